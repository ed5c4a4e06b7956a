import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const XS_WORKER = join(dirname(fileURLToPath(import.meta.url)), '.build', 'bin', 'roam-xsnap-worker');

/** ESP32 XS slots are 16 bytes (32 on this 64-bit host); peak heap is counted at device size. */
export const DEVICE_SLOT_BYTES = 16;

/** What the engine reported for one evaluation. */
export interface XsMeter {
  /** XS computation units (the meter): deterministic, independent of machine load. */
  compute: number;
  /** Bytes the machine has reserved in all (chunks + slots), host sizes. */
  allocate: number;
  /** Peak growth of the live heap during the evaluation: chunk bytes + slots × 16 B. */
  peakHeapBytes: number;
  /** Slots alive when the evaluation ended. */
  currentHeapCount: number;
  /** Live heap when the evaluation began: chunk bytes + slots × 16 (after a gc() evaluation, what is retained). */
  startHeapBytes: number;
}

export type CommandHandler = (request: Uint8Array) => Uint8Array;

interface Reply { ok: boolean; meter?: XsMeter; body: Uint8Array }

/**
 * One XS machine in a child process (roam's build of xsnap-worker), driven with
 * netstrings on fds 3 (to XS) and 4 (from XS). Code inside XS calls
 * issueCommand(ArrayBuffer) to reach the host; `onCommand` answers it, the way
 * a device's native C modules serve JavaScript.
 */
export class XsWorker {
  private readonly child: ChildProcess;
  private readonly toXs: Writable;
  private inbox = Buffer.alloc(0);
  private waiting: Array<(r: Reply) => void> = [];
  private failure?: Error;
  private stderr = '';

  constructor(private readonly onCommand: CommandHandler = () => new Uint8Array(0)) {
    if (!existsSync(XS_WORKER)) throw new Error(`XS engine not built: run \`npm run build:xs\` (expected ${XS_WORKER})`);
    this.child = spawn(XS_WORKER, [], { stdio: ['ignore', 'inherit', 'pipe', 'pipe', 'pipe'] });
    this.toXs = this.child.stdio[3] as Writable;
    (this.child.stdio[2] as Readable).on('data', (d) => { this.stderr += d; });
    (this.child.stdio[4] as Readable).on('data', (d: Buffer) => this.receive(d));
    this.child.on('exit', (code, signal) => this.fail(new Error(`XS worker exited (${signal ?? code})${this.stderr ? `: ${this.stderr.trim()}` : ''}`)));
  }

  /** Evaluates a script; resolves with the ArrayBuffer it returns (or `.result`) and the meter. */
  async evaluate(code: string): Promise<{ result: Uint8Array; meter: XsMeter }> {
    const reply = await this.request(Buffer.concat([Buffer.from('e'), Buffer.from(code, 'utf8')]));
    if (!reply.ok) throw new Error(`XS: ${Buffer.from(reply.body).toString('utf8')}`);
    return { result: reply.body, meter: reply.meter! };
  }

  close(): void {
    this.waiting = [];
    this.child.kill();
  }

  private request(message: Buffer): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.send(message);
    });
  }

  private send(message: Buffer | Uint8Array): void {
    this.toXs.write(Buffer.concat([Buffer.from(`${message.length}:`), message, Buffer.from(',')]));
  }

  private receive(data: Buffer): void {
    this.inbox = Buffer.concat([this.inbox, data]);
    for (;;) {
      const colon = this.inbox.indexOf(0x3a);
      if (colon < 0) return;
      const length = Number(this.inbox.subarray(0, colon).toString('latin1'));
      if (this.inbox.length < colon + 1 + length + 1) return;
      const message = this.inbox.subarray(colon + 1, colon + 1 + length);
      this.inbox = this.inbox.subarray(colon + 2 + length);
      this.dispatch(Buffer.from(message));
    }
  }

  private dispatch(message: Buffer): void {
    const kind = String.fromCharCode(message[0]);
    if (kind === '?') {
      let answer: Uint8Array;
      try {
        answer = this.onCommand(new Uint8Array(message.subarray(1)));
      } catch (e) {
        this.fail(e as Error);
        return;
      }
      this.send(Buffer.concat([Buffer.from('/'), answer]));
      return;
    }
    const resolve = this.waiting.shift();
    if (!resolve) return;
    if (kind === '.') {
      const split = message.indexOf(1);
      const m = JSON.parse(message.subarray(1, split).toString('utf8'));
      const meter: XsMeter = {
        compute: m.compute,
        allocate: m.allocate,
        peakHeapBytes: (m.peakChunks - m.baseChunks) + (m.peakSlots - m.baseSlots) * DEVICE_SLOT_BYTES,
        currentHeapCount: m.currentHeapCount,
        startHeapBytes: m.baseChunks + m.baseSlots * DEVICE_SLOT_BYTES,
      };
      resolve({ ok: true, meter, body: new Uint8Array(message.subarray(split + 1)) });
    } else {
      resolve({ ok: false, body: new Uint8Array(message.subarray(1)) });
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const w of this.waiting.splice(0)) w({ ok: false, body: new TextEncoder().encode(error.message) });
  }
}
