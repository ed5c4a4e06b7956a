/**
 * A raw flash partition with NOR semantics: erase sets a whole block to 0xFF,
 * write may only clear bits, so a block must be erased before it is rewritten.
 * Offsets are relative to the start of the region.
 */
export interface FlashRegion {
  readonly name: string;
  readonly byteLength: number;
  readonly blockSize: number;
  read(offset: number, byteLength: number): Uint8Array;
  write(offset: number, data: Uint8Array): void;
  /** Erases block `block` (offset block * blockSize). */
  erase(block: number): void;
  /**
   * A read-only view of the whole region without copying, where the platform
   * can memory-map flash (Moddable's Flash.map()); undefined elsewhere.
   * Callers must not keep it across erase/write of the same region.
   */
  map?(): Uint8Array;
}

/** Thrown by every flash implementation for an out-of-range or not-erased access. */
export class FlashError extends Error {
  constructor(readonly region: string, message: string) {
    super(`flash ${region}: ${message}`);
    // Defined, not assigned: on a device preloading freezes Error.prototype, and
    // `this.name = …` then throws ("set name: not writable") instead of naming the error.
    Object.defineProperty(this, 'name', { value: 'FlashError', writable: true, enumerable: true, configurable: true });
  }
}

/**
 * NOR programming only clears bits: throws FlashError when writing `data` at
 * `offset` over `current` (the bytes there now) would set one. Every
 * FlashRegion applies this same rule before it programs.
 */
export function checkNorWrite(region: string, offset: number, current: Uint8Array, data: Uint8Array): void {
  for (let i = 0; i < data.length; i++) {
    if ((current[i] & data[i]) !== data[i])
      throw new FlashError(region, `write at ${offset + i} would set bits of a byte not erased (0x${current[i].toString(16)} → 0x${data[i].toString(16)})`);
  }
}
