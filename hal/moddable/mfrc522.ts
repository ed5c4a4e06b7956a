// MFRC522 (NXP) ISO 14443A reader over SPI, written against injected ECMA-419
// style objects so the same driver runs on a device, on Node and on XS against
// host-sim/mfrc522's register-level simulator. Register map and command set
// from the MFRC522 datasheet (rev. 3.9); frames from ISO/IEC 14443-3.
import type { RfidReader, Tap } from '../rfid.js';

/** The part of an ECMA-419 SPI the driver uses: full-duplex, in place. */
export interface SpiBus {
  transfer(buffer: Uint8Array): void;
}
/** An ECMA-419 Digital output (chip select, NRSTPD reset). */
export interface DigitalPin {
  write(value: 0 | 1): void;
}

export const enum Reg {
  Command = 0x01, ComIEn = 0x02, DivIEn = 0x03, ComIrq = 0x04, DivIrq = 0x05, Error = 0x06,
  Status1 = 0x07, Status2 = 0x08, FIFOData = 0x09, FIFOLevel = 0x0a, WaterLevel = 0x0b,
  Control = 0x0c, BitFraming = 0x0d, Coll = 0x0e, Mode = 0x11, TxMode = 0x12, RxMode = 0x13,
  TxControl = 0x14, TxASK = 0x15, CRCResultH = 0x21, CRCResultL = 0x22, ModWidth = 0x24,
  RFCfg = 0x26, TMode = 0x2a, TPrescaler = 0x2b, TReloadH = 0x2c, TReloadL = 0x2d, Version = 0x37,
}

export const enum Cmd { Idle = 0x00, CalcCRC = 0x03, Transceive = 0x0c, SoftReset = 0x0f }

// ComIrqReg / DivIrqReg / ErrorReg / CollReg bits
const IRQ_RX = 0x20, IRQ_IDLE = 0x10, IRQ_ERR = 0x02, IRQ_TIMER = 0x01, IRQ_CRC = 0x04;
const ERR_BUFFER = 0x10, ERR_COLL = 0x08, ERR_PARITY = 0x02, ERR_PROTOCOL = 0x01;
const COLL_POS_NOT_VALID = 0x20;

// ISO 14443-3 type A commands
const WUPA = 0x52, HLTA = 0x50, CT = 0x88;
const SEL = [0x93, 0x95, 0x97];
const SAK_CASCADE = 0x04;

/** Hardware failures: the reader is absent, unpowered, miswired, or misbehaving. */
export class Mfrc522Error extends Error {
  constructor(message: string) {
    super(`MFRC522: ${message}`);
    // Defined, not assigned: on a device preloading freezes Error.prototype, and
    // `this.name = …` then throws ("set name: not writable") instead of naming the error.
    Object.defineProperty(this, 'name', { value: 'Mfrc522Error', writable: true, enumerable: true, configurable: true });
  }
}

/** A frame that did not come back whole: no card, the card left, or a transmission error. */
class NoAnswer {
  constructor(readonly reason: string) {}
}

interface Received { data: Uint8Array; lastBits: number; collision?: number }

export interface Mfrc522Options {
  spi: SpiBus;
  /** Chip select; omit when the SPI object drives select itself. */
  select?: DigitalPin;
  /** NRSTPD: low powers the chip down, a rising edge resets it. */
  reset?: DigitalPin;
  /** Clock for bounding waits on the chip (ms); Date.now by default. */
  now?: () => number;
  /** Longest wait for a command the chip should finish, ms (bounds a chip that hangs). */
  commandTimeout?: number;
  /**
   * The chip's receive timeout, ms (1..25, default 1): how long a frame waits
   * for a card. ISO/IEC 14443-3 §6.2.1.1: a card answers REQA, WUPA,
   * ANTICOLLISION and SELECT after a frame delay time of 1172 or 1236 carrier
   * cycles (~91 µs), so 1 ms is ten times that. An empty poll ends when it
   * runs out; the JavaScript thread spins on the chip meanwhile.
   */
  receiveTimeout?: number;
}

/** The chip: registers, FIFO, CRC coprocessor, Transceive; and ISO 14443A on top. */
export class Mfrc522 {
  readonly version: number;
  private readonly spi: SpiBus;
  private readonly select?: DigitalPin;
  private readonly now: () => number;
  private readonly timeout: number;
  private readonly one = new Uint8Array(2);

  constructor(options: Mfrc522Options) {
    const ms = options.receiveTimeout ?? 1;
    if (!(Number.isInteger(ms) && ms >= 1 && ms <= 25)) throw new Mfrc522Error(`receiveTimeout must be an integer of 1..25 ms, got ${String(ms)}`);
    this.spi = options.spi;
    this.select = options.select;
    this.now = options.now ?? Date.now;
    this.timeout = options.commandTimeout ?? 100;
    this.select?.write(1);
    if (options.reset) {
      options.reset.write(0);
      options.reset.write(1);
    } else {
      this.writeReg(Reg.Command, Cmd.SoftReset);
    }
    // A floating MISO reads 0xFF, a dead or unpowered chip 0x00.
    const version = this.readReg(Reg.Version);
    if (version === 0x00 || version === 0xff)
      throw new Mfrc522Error(`no answer on SPI (VersionReg 0x${version.toString(16).padStart(2, '0')}): check power, wiring, chip select and reset`);
    this.version = version;
    this.waitFor(() => (this.readReg(Reg.Command) & 0x10) === 0, 'soft reset did not finish'); // PowerDown bit clears
    // Timer: TAuto, 13.56 MHz / (2 × 169 + 1) = 40 kHz ticks (25 µs); reload 40 × ms ticks, less one.
    const reload = 40 * ms - 1;
    this.writeReg(Reg.TMode, 0x80);
    this.writeReg(Reg.TPrescaler, 0xa9);
    this.writeReg(Reg.TReloadH, reload >> 8);
    this.writeReg(Reg.TReloadL, reload & 0xff);
    this.writeReg(Reg.TxASK, 0x40); // 100 % ASK, as type A requires
    this.writeReg(Reg.Mode, 0x3d); // CRC preset 0x6363 (CRC_A)
    this.writeReg(Reg.TxControl, this.readReg(Reg.TxControl) | 0x03); // antenna on
  }

  readReg(reg: number): number {
    const b = this.one;
    b[0] = 0x80 | ((reg << 1) & 0x7e);
    b[1] = 0;
    this.exchange(b);
    return b[1];
  }

  writeReg(reg: number, value: number): void {
    const b = this.one;
    b[0] = (reg << 1) & 0x7e;
    b[1] = value;
    this.exchange(b);
  }

  /** CRC_A of `data` by the chip's coprocessor, low byte first (as sent on air). */
  crc(data: Uint8Array): Uint8Array {
    this.writeReg(Reg.Command, Cmd.Idle);
    this.writeReg(Reg.DivIrq, IRQ_CRC);
    this.writeReg(Reg.FIFOLevel, 0x80);
    this.writeFifo(data);
    this.writeReg(Reg.Command, Cmd.CalcCRC);
    this.waitFor(() => (this.readReg(Reg.DivIrq) & IRQ_CRC) !== 0, 'CRC coprocessor did not finish');
    this.writeReg(Reg.Command, Cmd.Idle);
    return Uint8Array.of(this.readReg(Reg.CRCResultL), this.readReg(Reg.CRCResultH));
  }

  /**
   * Reads the UID of one card in the field: WUPA (halted cards answer too, so a
   * card still lying on the reader is seen), anticollision and select through
   * cascade levels 1–3, then HLTA. undefined when no card answers or the card
   * leaves part-way. Collisions are resolved toward the card with a 1 bit.
   */
  readUid(): Uint8Array | undefined {
    try {
      this.request(WUPA);
      const uid: number[] = [];
      for (let level = 0; level < 3; level++) {
        const cl = this.anticollision(level);
        const sak = this.selectCard(level, cl);
        if (sak & SAK_CASCADE) {
          if (cl[0] !== CT) return undefined; // a cascade needs the cascade tag: garbled frame
          uid.push(cl[1], cl[2], cl[3]);
          continue;
        }
        uid.push(cl[0], cl[1], cl[2], cl[3]);
        this.halt();
        return Uint8Array.from(uid);
      }
      return undefined; // SAK asked for a fourth level: not ISO 14443A
    } catch (e) {
      if (e instanceof NoAnswer) return undefined;
      throw e;
    }
  }

  /** REQA (idle cards) or WUPA (idle and halted): the ATQA, collisions allowed. */
  private request(command: number): Uint8Array {
    this.writeReg(Reg.Coll, 0x80); // ValuesAfterColl: cleared bits after a collision
    const r = this.transceive(Uint8Array.of(command), 7, 0, true);
    if (r.data.length !== 2) throw new NoAnswer('ATQA of wrong length');
    return r.data;
  }

  private anticollision(level: number): Uint8Array {
    // frame: SEL, NVB, then the CLn bits known so far (4 UID bytes + BCC when complete)
    const frame = new Uint8Array(7);
    frame[0] = SEL[level];
    let known = 0; // bits of CLn known
    for (let rounds = 0; rounds < 33; rounds++) {
      const whole = known >> 3, extra = known & 7;
      frame[1] = ((2 + whole) << 4) | extra;
      const sendBytes = 2 + whole + (extra ? 1 : 0);
      const r = this.transceive(frame.subarray(0, sendBytes), extra, extra, true);
      // Received bits start at bit `extra` of byte `whole`: merge the partial byte.
      const start = 2 + whole;
      for (let i = 0; i < r.data.length && start + i < 7; i++)
        frame[start + i] = i === 0 && extra ? (frame[start] & ((1 << extra) - 1)) | (r.data[0] & ~((1 << extra) - 1) & 0xff) : r.data[i];
      if (r.collision === undefined) {
        const cl = frame.subarray(2, 7);
        if ((cl[0] ^ cl[1] ^ cl[2] ^ cl[3]) !== cl[4]) throw new NoAnswer('BCC mismatch');
        return cl.slice();
      }
      // Bits before the collision are sure; take the colliding bit as 1 and go on.
      const bit = whole * 8 + r.collision;
      if (bit < known || bit >= 32) throw new NoAnswer('collision outside the UID');
      frame[2 + (bit >> 3)] |= 1 << (bit & 7);
      frame[2 + (bit >> 3)] &= (1 << ((bit & 7) + 1)) - 1;
      known = bit + 1;
    }
    throw new NoAnswer('anticollision did not converge');
  }

  private selectCard(level: number, cl: Uint8Array): number {
    const frame = new Uint8Array(9);
    frame[0] = SEL[level];
    frame[1] = 0x70;
    frame.set(cl, 2);
    frame.set(this.crc(frame.subarray(0, 7)), 7);
    const r = this.transceive(frame, 0, 0, false);
    if (r.data.length !== 3 || r.lastBits !== 0) throw new NoAnswer('SAK of wrong length');
    const crc = this.crc(r.data.subarray(0, 1));
    if (crc[0] !== r.data[1] || crc[1] !== r.data[2]) throw new NoAnswer('SAK CRC mismatch');
    return r.data[0];
  }

  private halt(): void {
    const frame = Uint8Array.of(HLTA, 0x00, 0, 0);
    frame.set(this.crc(frame.subarray(0, 2)), 2);
    try {
      this.transceive(frame, 0, 0, false);
    } catch (e) {
      if (!(e instanceof NoAnswer)) throw e; // silence is the answer to HLTA
    }
  }

  /**
   * One Transceive: send `data` (the last byte `txLastBits` long, 0 = 8),
   * receive into the FIFO aligned at `rxAlign`. Throws NoAnswer on timeout or
   * error; with `collisions`, a collision returns the bits before it instead.
   */
  private transceive(data: Uint8Array, txLastBits: number, rxAlign: number, collisions: boolean): Received {
    this.writeReg(Reg.Command, Cmd.Idle);
    this.writeReg(Reg.ComIrq, 0x7f);
    this.writeReg(Reg.FIFOLevel, 0x80);
    this.writeFifo(data);
    const framing = (rxAlign << 4) | txLastBits;
    this.writeReg(Reg.BitFraming, framing);
    this.writeReg(Reg.Command, Cmd.Transceive);
    this.writeReg(Reg.BitFraming, framing | 0x80); // StartSend
    let irq = 0;
    this.waitFor(() => ((irq = this.readReg(Reg.ComIrq)) & (IRQ_RX | IRQ_IDLE | IRQ_TIMER | IRQ_ERR)) !== 0, 'Transceive never finished: no receive, no timeout');
    this.writeReg(Reg.BitFraming, 0);
    this.writeReg(Reg.Command, Cmd.Idle);
    const error = this.readReg(Reg.Error);
    if (error & (ERR_BUFFER | ERR_PARITY | ERR_PROTOCOL)) throw new NoAnswer(`error 0x${error.toString(16)}`);
    if (!(irq & IRQ_RX) && !(error & ERR_COLL)) throw new NoAnswer('timeout');
    const count = this.readReg(Reg.FIFOLevel) & 0x7f;
    const out = new Uint8Array(count);
    for (let i = 0; i < count; i++) out[i] = this.readReg(Reg.FIFOData);
    const lastBits = this.readReg(Reg.Control) & 0x07;
    if (!(error & ERR_COLL)) return { data: out, lastBits };
    if (!collisions) throw new NoAnswer('collision');
    const coll = this.readReg(Reg.Coll);
    if (coll & COLL_POS_NOT_VALID) throw new NoAnswer('collision position not valid');
    const pos = coll & 0x1f || 32; // 1-based bit position in the received frame, 0 meaning 32
    return { data: out, lastBits, collision: pos - 1 };
  }

  private writeFifo(data: Uint8Array): void {
    const b = new Uint8Array(1 + data.length);
    b[0] = (Reg.FIFOData << 1) & 0x7e;
    b.set(data, 1);
    this.exchange(b);
  }

  private exchange(buffer: Uint8Array): void {
    this.select?.write(0);
    try {
      this.spi.transfer(buffer);
    } finally {
      this.select?.write(1);
    }
  }

  private waitFor(done: () => boolean, what: string): void {
    const deadline = this.now() + this.timeout;
    while (!done()) {
      if (this.now() > deadline) throw new Mfrc522Error(`${what} within ${this.timeout} ms`);
    }
  }
}

/**
 * Polls a reader and turns a card on it into exactly one Tap: the same UID
 * seen again is not a new tap until the card has been away for
 * `releaseAfter` polls in a row (a missed read is not a removal).
 */
export class Mfrc522Reader implements RfidReader {
  onTap?: (tap: Tap) => void;
  /**
   * The chip started failing (a dead reader is reported, not silent): once
   * per change, not every poll. poll() never throws: it runs from a Timer.
   */
  onError?: (error: unknown) => void;
  /** A failing chip answers again. */
  onRecover?: () => void;
  /** The chip is failing now (its last poll threw). */
  failing = false;
  private present?: Uint8Array;
  private misses = 0;
  private closed = false;

  constructor(readonly chip: Mfrc522, readonly name = 'reader0', private readonly releaseAfter = 2) {}

  poll(): void {
    if (this.closed) return;
    let uid: Uint8Array | undefined;
    try {
      uid = this.chip.readUid();
    } catch (e) {
      if (!this.failing) {
        this.failing = true;
        this.onError?.(e);
      }
      return;
    }
    if (this.failing) {
      this.failing = false;
      this.onRecover?.();
    }
    if (!uid) {
      if (this.present && ++this.misses >= this.releaseAfter) this.present = undefined;
      return;
    }
    this.misses = 0;
    if (this.present && sameBytes(this.present, uid)) return;
    this.present = uid;
    this.onTap?.({ reader: this.name, uid: uid.slice() });
  }

  close(): void {
    this.closed = true;
    this.onTap = undefined;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
