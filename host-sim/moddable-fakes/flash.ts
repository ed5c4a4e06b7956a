// Fake of Moddable's `flash` (modules/files/flash, ESP32): a data partition by
// name; read copies; write programs NOR cells (bits only clear: the chip ANDs);
// erase sets a 4 KiB sector to 0xFF; map() gives the whole partition as a
// buffer that is read-only on a device (a petrified host buffer). Here it is a
// live ArrayBuffer kept in step by write/erase; device.checkMaps() reports any
// byte changed through it, which is how tests prove the code never writes there.
import { bytesOf, device, type FakePartition } from './device.js';

export default class Flash {
  private readonly p: FakePartition;

  constructor(partition?: string) {
    const p = partition === undefined ? undefined : device.partitions.get(partition);
    if (!p) throw new Error(`flash: partition not found: ${String(partition)}`);
    this.p = p;
  }

  get byteLength(): number {
    return this.p.cells.length;
  }

  get blockSize(): number {
    return this.p.blockSize;
  }

  read(offset: number, byteLength: number): ArrayBuffer {
    this.range(offset, byteLength);
    return this.p.cells.slice(offset, offset + byteLength).buffer;
  }

  write(offset: number, byteLength: number, buffer: unknown): void {
    const data = bytesOf(buffer);
    if (byteLength > data.length) throw new RangeError('flash: buffer shorter than byteLength');
    this.range(offset, byteLength);
    const cells = this.p.cells;
    for (let i = 0; i < byteLength; i++) cells[offset + i] &= data[i];
    if (this.p.mapped) this.p.mapped.set(cells.subarray(offset, offset + byteLength), offset);
  }

  erase(sector: number): void {
    const sectors = this.p.cells.length / this.p.blockSize;
    if (!Number.isInteger(sector) || sector < 0 || sector >= sectors) throw new RangeError(`flash: invalid sector ${sector}`);
    const at = sector * this.p.blockSize;
    this.p.cells.fill(0xff, at, at + this.p.blockSize);
    if (this.p.mapped) this.p.mapped.fill(0xff, at, at + this.p.blockSize);
  }

  map(): ArrayBuffer {
    this.p.mapped ??= this.p.cells.slice();
    return this.p.mapped.buffer as ArrayBuffer;
  }

  private range(offset: number, length: number): void {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > this.p.cells.length)
      throw new RangeError(`flash: invalid range [${offset}, ${offset + length}) of ${this.p.cells.length}`);
  }
}
