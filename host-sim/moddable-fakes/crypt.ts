// Fake of Moddable's `crypt` Digest (SHA-256 only is used by roam) on
// @noble/hashes: write() any number of times, close() once; process() in one call.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesOf } from './device.js';

type Hash = ReturnType<typeof sha256.create>;

function input(data: ArrayBuffer | string): Uint8Array {
  return typeof data === 'string' ? new TextEncoder().encode(data) : bytesOf(data);
}

export class Digest {
  private h?: Hash;
  constructor(algorithm: string) {
    if (algorithm !== 'SHA256') throw new Error(`crypt fake: only SHA256 is faked, not ${algorithm}`);
    this.h = sha256.create();
  }
  write(data: ArrayBuffer | string): void {
    if (!this.h) throw new Error('Digest: closed');
    this.h.update(input(data));
  }
  close(): ArrayBuffer {
    if (!this.h) throw new Error('Digest: closed');
    const d = this.h.digest();
    this.h = undefined;
    return d.slice().buffer as ArrayBuffer;
  }
  reset(): void {
    this.h = sha256.create();
  }
  process(...data: Array<ArrayBuffer | string>): ArrayBuffer {
    this.reset();
    for (const d of data) this.write(d);
    return this.close();
  }
}
