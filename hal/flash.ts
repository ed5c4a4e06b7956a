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
