import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Broker } from './broker.js';

const CANDIDATES = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/local/bin/mosquitto'];

/** The mosquitto binary, or a clear error: tests that need it must fail, not skip. */
export function mosquittoBinary(): string {
  for (const c of CANDIDATES) if (existsSync(c)) return c;
  const which = spawnSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  throw new Error('mosquitto is not installed: run `apt-get install -y mosquitto` (the CI script .ci/run installs it)');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The plain test broker: anonymous, no persistence, deep queues. */
function plainConfig(port: number): string {
  return [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    'max_queued_messages 100000',
    'max_inflight_messages 0',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    '',
  ].join('\n');
}

export interface MosquittoOptions {
  port?: number;
  /** The config file for `port`; it may write files of its own (ACL, …) into `dir`. Default: plainConfig. */
  config?: (port: number, dir: string) => string;
  /** URL scheme clients use: mqtts for a TLS listener. */
  scheme?: 'mqtt' | 'mqtts';
}

/**
 * Debian's mosquitto on a free loopback port, with a generated config (by
 * default anonymous access, no persistence: a restart loses everything in
 * flight, which is the point of the kill/restart tests). kill() and restart()
 * keep the port.
 */
export class Mosquitto implements Broker {
  readonly kind = 'mosquitto' as const;
  private child?: ChildProcess;
  /** Where the config (and whatever the config wrote) lives; removed by close(). */
  readonly dir: string;
  log = '';

  private constructor(readonly port: number, private readonly binary: string, private readonly scheme: 'mqtt' | 'mqtts', config: (port: number, dir: string) => string) {
    this.dir = mkdtempSync(join(tmpdir(), 'roam-mosquitto-'));
    writeFileSync(join(this.dir, 'mosquitto.conf'), config(port, this.dir));
  }

  static async start(options: MosquittoOptions = {}): Promise<Mosquitto> {
    const m = new Mosquitto(options.port ?? (await freePort()), mosquittoBinary(), options.scheme ?? 'mqtt', options.config ?? plainConfig);
    await m.launch();
    return m;
  }

  get url(): string {
    return `${this.scheme}://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL: the broker dies without saying goodbye to anyone. */
  async kill(): Promise<void> {
    const c = this.child;
    if (!c || !this.running) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGKILL');
    await exited;
    this.child = undefined;
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  async close(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    const child = spawn(this.binary, ['-c', join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    child.stderr!.on('data', (d: Buffer) => { this.log = (this.log + d.toString()).slice(-4000); });
    // Ready when the port accepts a connection; the port may still be in TIME_WAIT after a kill.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`mosquitto exited at start (code ${child.exitCode}): ${this.log}`);
      if (await canConnect(this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`mosquitto did not listen on ${this.port} within 10 s: ${this.log}`);
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}
