import { checkNorWrite, FlashError, type FlashRegion } from '../../hal/flash.js';

/**
 * NOR flash in RAM, for the device test app on mcsim (the simulator has no
 * `flash` module): the rules of host-sim/hal/sim-flash.ts's SimFlash (erase
 * sets a block to 0xFF, a write may only clear bits and is refused where it
 * would set one, the same errors), without its file, power cuts or Node
 * imports, so that it bundles for XS. It counts what it is asked to do, so the
 * app can say how much of a scenario went through it.
 */
export class RamFlash implements FlashRegion {
  readonly blockSize: number;
  private readonly bytes: Uint8Array;
  reads = 0;
  writes = 0;
  erases = 0;

  constructor(readonly name: string, readonly byteLength: number, blockSize = 4096) {
    this.blockSize = blockSize;
    if (byteLength <= 0 || byteLength % blockSize !== 0)
      throw new FlashError(name, `size ${byteLength} is not a positive multiple of the block size ${blockSize}`);
    this.bytes = new Uint8Array(byteLength).fill(0xff);
  }

  read(offset: number, byteLength: number): Uint8Array {
    this.check(offset, byteLength);
    this.reads++;
    return this.bytes.slice(offset, offset + byteLength);
  }

  write(offset: number, data: Uint8Array): void {
    this.check(offset, data.length);
    checkNorWrite(this.name, offset, this.bytes.subarray(offset, offset + data.length), data);
    this.writes++;
    for (let i = 0; i < data.length; i++) this.bytes[offset + i] &= data[i];
  }

  erase(block: number): void {
    if (!Number.isInteger(block) || block < 0 || block >= this.byteLength / this.blockSize)
      throw new FlashError(this.name, `erase of block ${block} outside 0..${this.byteLength / this.blockSize - 1}`);
    this.erases++;
    this.bytes.fill(0xff, block * this.blockSize, (block + 1) * this.blockSize);
  }

  /** Zero-copy view, like Moddable's Flash.map(); valid until the next write or erase. */
  map(): Uint8Array {
    return this.bytes.subarray(0);
  }

  private check(offset: number, length: number): void {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > this.byteLength)
      throw new FlashError(this.name, `access [${offset}, ${offset + length}) outside [0, ${this.byteLength})`);
  }
}
