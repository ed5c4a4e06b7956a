import Flash from 'flash';
import { checkNorWrite, FlashError, type FlashRegion } from '../flash.js';

/**
 * A data partition of the ESP32 partition table (found by its name, any
 * subtype) through Moddable's `flash` module. The NOR rule the HAL promises
 * (a write only clears bits) is checked before programming, since the chip
 * would silently AND the bytes instead of failing.
 */
export class ModdableFlash implements FlashRegion {
  readonly byteLength: number;
  readonly blockSize: number;
  private readonly flash: Flash;
  private view?: Uint8Array;

  constructor(readonly name: string) {
    try {
      this.flash = new Flash(name);
    } catch {
      throw new FlashError(name, 'no data partition of that name in the partition table');
    }
    this.byteLength = this.flash.byteLength;
    this.blockSize = this.flash.blockSize;
  }

  read(offset: number, byteLength: number): Uint8Array {
    this.check(offset, byteLength);
    if (byteLength === 0) return new Uint8Array(0);
    return new Uint8Array(this.flash.read(offset, byteLength) as ArrayBuffer);
  }

  write(offset: number, data: Uint8Array): void {
    this.check(offset, data.length);
    if (data.length === 0) return;
    checkNorWrite(this.name, offset, this.read(offset, data.length), data);
    this.flash.write(offset, data.length, data);
  }

  erase(block: number): void {
    const blocks = this.byteLength / this.blockSize;
    if (!Number.isInteger(block) || block < 0 || block >= blocks)
      throw new FlashError(this.name, `erase of block ${block} outside 0..${blocks - 1}`);
    this.flash.erase(block);
  }

  /**
   * The partition memory-mapped (esp_partition_mmap): a petrified host buffer,
   * so a store into it throws. The mapping is made once and kept; the flash
   * cache is invalidated by the driver on write/erase, so it stays current.
   */
  map(): Uint8Array {
    return (this.view ??= new Uint8Array(this.flash.map() as unknown as ArrayBuffer));
  }

  private check(offset: number, length: number): void {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > this.byteLength)
      throw new FlashError(this.name, `access [${offset}, ${offset + length}) outside [0, ${this.byteLength})`);
  }
}
