import Digital from 'embedded:io/digital';
import SPI from 'embedded:io/spi';
import Timer from 'timer';
import { Mfrc522, Mfrc522Reader } from './mfrc522.js';

export interface ReaderPins {
  spi: { port?: number; clock: number; out: number; in: number; hz?: number };
  select: number;
  reset?: number;
  pollMs?: number;
}

/**
 * The MFRC522 on the charger's SPI bus, polled by a Timer (10 Hz by default).
 * A chip that does not answer closes the SPI and pins it opened, then throws
 * (as Moddable's own drivers do); close() stops the poll and closes them all.
 */
export function openMfrc522(pins: ReaderPins, name = 'reader0'): Mfrc522Reader {
  const opened: Array<{ close(): void }> = [];
  const closeAll = () => { while (opened.length > 0) opened.pop()!.close(); };
  let chip: Mfrc522;
  try {
    const spi = new SPI({ port: pins.spi.port, clock: pins.spi.clock, out: pins.spi.out, in: pins.spi.in, hz: pins.spi.hz ?? 4_000_000, mode: 0 });
    // ECMA-419 SPI has close(); the SDK's typings leave it out.
    opened.push({ close: () => (spi as unknown as { close(): void }).close() });
    const select = new Digital({ pin: pins.select, mode: Digital.Output });
    opened.push(select);
    const reset = pins.reset === undefined ? undefined : new Digital({ pin: pins.reset, mode: Digital.Output });
    if (reset) opened.push(reset);
    chip = new Mfrc522({ spi: { transfer: (b) => spi.transfer(b) }, select, reset });
  } catch (e) {
    closeAll();
    throw e;
  }
  const reader = new Mfrc522Reader(chip, name);
  const timer = Timer.repeat(() => reader.poll(), pins.pollMs ?? 100); // poll() never throws
  const close = reader.close.bind(reader);
  reader.close = () => {
    Timer.clear(timer);
    close();
    closeAll();
  };
  return reader;
}
