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

/** The MFRC522 on the charger's SPI bus, polled by a Timer (10 Hz by default). */
export function openMfrc522(pins: ReaderPins, name = 'reader0'): Mfrc522Reader & { stop(): void } {
  const spi = new SPI({ port: pins.spi.port, clock: pins.spi.clock, out: pins.spi.out, in: pins.spi.in, hz: pins.spi.hz ?? 4_000_000, mode: 0 });
  const select = new Digital({ pin: pins.select, mode: Digital.Output });
  const reset = pins.reset === undefined ? undefined : new Digital({ pin: pins.reset, mode: Digital.Output });
  const chip = new Mfrc522({
    spi: { transfer: (b) => spi.transfer(b) },
    select,
    reset,
  });
  const reader = new Mfrc522Reader(chip, name) as Mfrc522Reader & { stop(): void };
  const timer = Timer.repeat(() => reader.poll(), pins.pollMs ?? 100);
  reader.stop = () => {
    Timer.clear(timer);
    reader.close();
  };
  return reader;
}
