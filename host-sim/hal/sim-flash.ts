import { closeSync, existsSync, openSync, readSync, writeSync } from 'node:fs';
import { checkNorWrite, FlashError, type FlashRegion } from '../../hal/flash.js';
import { PowerCut, PowerSwitch } from './power.js';

export interface SimFlashOptions {
  blockSize?: number;
  /** Persist to this file (created erased when missing). */
  file?: string;
  power?: PowerSwitch;
  /** Decides how much of an interrupted write lands; default: a seeded sequence. */
  tornLength?: (length: number) => number;
  /**
   * Which end of a block an interrupted erase reaches: real parts leave any
   * pattern, so by default either end (seeded), so that code can rely on neither.
   */
  tornErase?: 'start' | 'end' | 'either';
}

/**
 * NOR flash in a buffer (optionally mirrored to a file): erase sets a block to
 * 0xFF, a write may only clear bits and is refused where it would set one, and
 * a power cut interrupts a write or erase part-way, leaving what real parts leave:
 * a prefix written (its last byte half-programmed) or a block half-erased.
 */
export class SimFlash implements FlashRegion {
  readonly blockSize: number;
  readonly power: PowerSwitch;
  private readonly bytes: Uint8Array;
  private readonly fd?: number;
  private seed = 0x9e3779b9;
  private readonly tornLength: (length: number) => number;
  private readonly tornErase: 'start' | 'end' | 'either';

  constructor(readonly name: string, readonly byteLength: number, options: SimFlashOptions = {}) {
    this.blockSize = options.blockSize ?? 4096;
    if (byteLength <= 0 || byteLength % this.blockSize !== 0)
      throw new FlashError(name, `size ${byteLength} is not a positive multiple of the block size ${this.blockSize}`);
    this.power = options.power ?? new PowerSwitch();
    this.bytes = new Uint8Array(byteLength).fill(0xff);
    this.tornLength = options.tornLength ?? ((n) => this.nextRandom() % (n + 1));
    this.tornErase = options.tornErase ?? 'either';
    if (options.file) {
      const fresh = !existsSync(options.file);
      this.fd = openSync(options.file, fresh ? 'w+' : 'r+');
      if (fresh) writeSync(this.fd, this.bytes, 0, byteLength, 0);
      else readSync(this.fd, this.bytes, 0, byteLength, 0);
    }
  }

  read(offset: number, byteLength: number): Uint8Array {
    this.power.assertOn();
    this.check(offset, byteLength);
    return this.bytes.slice(offset, offset + byteLength);
  }

  write(offset: number, data: Uint8Array): void {
    this.check(offset, data.length);
    checkNorWrite(this.name, offset, this.bytes.subarray(offset, offset + data.length), data);
    if (this.power.beginWrite()) {
      const n = Math.min(this.tornLength(data.length), data.length);
      for (let i = 0; i < n; i++) this.bytes[offset + i] &= data[i];
      // The byte being programmed when power fails keeps only some of its cleared bits.
      if (n < data.length) this.bytes[offset + n] &= data[n] | (this.nextRandom() & 0xff);
      this.flush(offset, n + 1);
      throw new PowerCut(this.power.writes);
    }
    for (let i = 0; i < data.length; i++) this.bytes[offset + i] &= data[i];
    this.flush(offset, data.length);
  }

  erase(block: number): void {
    if (!Number.isInteger(block) || block < 0 || block >= this.byteLength / this.blockSize)
      throw new FlashError(this.name, `erase of block ${block} outside 0..${this.byteLength / this.blockSize - 1}`);
    const start = block * this.blockSize;
    if (this.power.beginWrite()) {
      const n = this.tornLength(this.blockSize);
      const fromEnd = this.tornErase === 'end' || (this.tornErase === 'either' && (this.nextRandom() & 1) === 1);
      const from = fromEnd ? start + this.blockSize - n : start;
      this.bytes.fill(0xff, from, from + n);
      this.flush(from, n);
      throw new PowerCut(this.power.writes);
    }
    this.bytes.fill(0xff, start, start + this.blockSize);
    this.flush(start, this.blockSize);
  }

  /** Zero-copy view, like Moddable's Flash.map(); valid until the next write or erase. */
  map(): Uint8Array {
    this.power.assertOn();
    return this.bytes.subarray(0);
  }

  /** Test access to the raw cells, bypassing power and NOR rules (bit flips, dumps). */
  get raw(): Uint8Array {
    return this.bytes;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
  }

  private check(offset: number, length: number): void {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > this.byteLength)
      throw new FlashError(this.name, `access [${offset}, ${offset + length}) outside [0, ${this.byteLength})`);
  }

  private flush(offset: number, length: number): void {
    if (this.fd === undefined) return;
    const end = Math.min(offset + length, this.byteLength);
    writeSync(this.fd, this.bytes, offset, end - offset, offset);
  }

  private nextRandom(): number {
    // xorshift32: deterministic torn writes, so a failing cut can be replayed.
    let x = this.seed;
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }
}
