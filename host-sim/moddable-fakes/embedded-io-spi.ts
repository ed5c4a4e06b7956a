// Fake of ECMA-419 `embedded:io/spi`: transfer(buffer) in place, served by the
// SPI device the test attaches to the fake board (device.spi: e.g. the MFRC522
// register-level simulator of host-sim/mfrc522/).
import { bytesOf, device } from './device.js';

export default class SPI {
  private closed = false;
  constructor(readonly options: Record<string, unknown>) {
    if (!device.spi) throw new Error('embedded:io/spi: nothing on this bus');
    if (device.inUse.has(this.port)) throw new Error(`embedded:io/spi: ${this.port} in use`);
    device.inUse.add(this.port);
  }
  private get port(): string {
    return `spi${String(this.options.port ?? 0)}`;
  }
  transfer(buffer: ArrayBuffer | ArrayBufferView): void {
    if (this.closed) throw new Error('embedded:io/spi: closed');
    device.spi!.transfer(bytesOf(buffer));
  }
  read(buffer: ArrayBuffer | ArrayBufferView): void {
    this.transfer(buffer);
  }
  write(buffer: ArrayBuffer | ArrayBufferView): void {
    this.transfer(bytesOf(buffer).slice());
  }
  close(): void {
    if (!this.closed) device.inUse.delete(this.port);
    this.closed = true;
  }
}
