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

/** A reader polled by a Timer; close() also stops the poll and closes the SPI and pins it was opened with. */
class PolledReader extends Mfrc522Reader {
  private readonly timer: Timer;

  constructor(chip: Mfrc522, name: string, pollMs: number, private readonly io: Array<{ close(): void }>) {
    super(chip, name);
    this.timer = Timer.repeat(() => this.poll(), pollMs); // poll() never throws
  }

  // A method, not an assigned property: on a device the preloaded prototype is frozen,
  // and assigning `reader.close = …` threw "set close: not writable" (found on mcsim).
  override close(): void {
    Timer.clear(this.timer);
    super.close();
    while (this.io.length > 0) this.io.pop()!.close();
  }
}

/**
 * The MFRC522 on the charger's SPI bus, polled by a Timer (10 Hz by default).
 * A chip that does not answer closes the SPI and pins it opened, then throws
 * (as Moddable's own drivers do); close() stops the poll and closes them all.
 */
export function openMfrc522(pins: ReaderPins, name = 'reader0'): Mfrc522Reader {
  const opened: Array<{ close(): void }> = [];
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
    while (opened.length > 0) opened.pop()!.close();
    throw e;
  }
  return new PolledReader(chip, name, pins.pollMs ?? 100, opened);
}
