// A register-level MFRC522 with ISO 14443A cards in its field, behind the SPI
// and Digital objects hal/moddable/mfrc522.ts is given. Portable (no Node
// imports): the same simulator runs on Node and inside XS.
import type { DigitalPin, SpiBus } from '../../hal/moddable/mfrc522.js';

const R = {
  TMode: 0x2a, TPrescaler: 0x2b, TReloadH: 0x2c, TReloadL: 0x2d,
  Command: 0x01, ComIrq: 0x04, DivIrq: 0x05, Error: 0x06, FIFOData: 0x09, FIFOLevel: 0x0a,
  Control: 0x0c, BitFraming: 0x0d, Coll: 0x0e, Mode: 0x11, TxControl: 0x14, CRCResultH: 0x21,
  CRCResultL: 0x22, Version: 0x37,
} as const;
const CMD_IDLE = 0x00, CMD_CALC_CRC = 0x03, CMD_TRANSCEIVE = 0x0c, CMD_SOFT_RESET = 0x0f;
const IRQ_RX = 0x20, IRQ_IDLE = 0x10, IRQ_ERR = 0x02, IRQ_TIMER = 0x01, DIV_CRC = 0x04;
const ERR_BUFFER = 0x10, ERR_COLL = 0x08;
const SEL = [0x93, 0x95, 0x97];
const CT = 0x88;

/** CRC_A (ISO/IEC 14443-3 annex B): x^16 + x^12 + x^5 + 1 reflected, preset 0x6363; low byte first. */
export function crcA(data: ArrayLike<number>): Uint8Array {
  let crc = 0x6363;
  for (let i = 0; i < data.length; i++) {
    let b = (data[i] ^ crc) & 0xff;
    b = (b ^ (b << 4)) & 0xff;
    crc = ((crc >> 8) ^ (b << 8) ^ (b << 3) ^ (b >> 4)) & 0xffff;
  }
  return Uint8Array.of(crc & 0xff, crc >> 8);
}

export interface SimCardSpec {
  uid: Uint8Array;
  /** SAK of the last cascade level; by UID length a MIFARE Classic, Ultralight, or ISO-DEP card. */
  sak?: number;
  /** The card leaves the field after answering this many frames (removed mid-read). */
  leaveAfterFrames?: number;
}

type CardState = 'idle' | 'ready' | 'active' | 'halt';

class SimCard {
  state: CardState = 'idle';
  level = 0;
  answered = 0;
  readonly levels: Uint8Array[]; // CLn || BCC per cascade level
  readonly sak: number;
  constructor(readonly spec: SimCardSpec) {
    const u = spec.uid;
    if (![4, 7, 10].includes(u.length)) throw new RangeError(`ISO 14443A UIDs are 4, 7 or 10 bytes, not ${u.length}`);
    const parts = u.length === 4 ? [[...u]]
      : u.length === 7 ? [[CT, u[0], u[1], u[2]], [...u.subarray(3)]]
      : [[CT, u[0], u[1], u[2]], [CT, u[3], u[4], u[5]], [...u.subarray(6)]];
    this.levels = parts.map((p) => Uint8Array.of(...p, p[0] ^ p[1] ^ p[2] ^ p[3]));
    this.sak = spec.sak ?? (u.length === 4 ? 0x08 : u.length === 7 ? 0x00 : 0x20);
  }
  get atqa(): Uint8Array {
    return Uint8Array.of(((this.levels.length - 1) << 6) | 0x04, 0x00);
  }
}

export interface Mfrc522SimOptions {
  /** No chip on the bus: MISO floats high, every read is 0xFF. */
  absent?: boolean;
  /** The chip never finishes a Transceive (neither receive nor its timer). */
  stuck?: boolean;
  version?: number;
  /**
   * The time (ms) as the code driving the chip sees it. Given, a Transceive
   * nobody answers raises its timer interrupt only once the chip's timer has
   * run out (TPrescaler, TReload: (2·TPrescaler+1)·(TReload+1)/13.56 MHz), as
   * on the chip; without it, at once.
   */
  now?: () => number;
}

export class Mfrc522Sim implements SpiBus {
  readonly select: DigitalPin;
  readonly reset: DigitalPin;
  /** Frames the chip put on air, for tests: the bytes of each. */
  readonly frames: Uint8Array[] = [];
  private readonly regs = new Uint8Array(64);
  private fifo: number[] = [];
  private cards: SimCard[] = [];
  private selected = false;
  private powered = true;
  private usesSelect = false;
  /** When the running timer raises its interrupt (ms, options.now's clock). */
  private timerDue?: number;

  constructor(private readonly options: Mfrc522SimOptions = {}) {
    this.select = { write: (v) => { this.usesSelect = true; this.selected = v === 0; } };
    this.reset = { write: (v) => { if (v === 0) this.powered = false; else if (!this.powered) { this.powered = true; this.softReset(); } } };
    this.softReset();
  }

  /** Put a card in the field. */
  present(spec: SimCardSpec): void {
    this.cards.push(new SimCard(spec));
  }

  /** Take the card with this UID out of the field (all cards when omitted). */
  remove(uid?: Uint8Array): void {
    this.cards = uid ? this.cards.filter((c) => !same(c.spec.uid, uid)) : [];
  }

  get cardsInField(): number {
    return this.cards.length;
  }

  transfer(buffer: Uint8Array): void {
    if (this.options.absent || !this.powered || (this.usesSelect && !this.selected)) {
      buffer.fill(0xff);
      return;
    }
    const address = buffer[0];
    if (address & 0x80) {
      // Each MOSI byte addresses the register whose value MISO carries in the next byte.
      const regsRead = Array.from(buffer.subarray(0, buffer.length - 1), (a) => (a >> 1) & 0x3f);
      buffer[0] = 0;
      for (let i = 1; i < buffer.length; i++) buffer[i] = this.read(regsRead[i - 1]);
    } else {
      const reg = (address >> 1) & 0x3f;
      for (let i = 1; i < buffer.length; i++) this.write(reg, buffer[i]);
      buffer.fill(0);
    }
  }

  private softReset(): void {
    this.regs.fill(0);
    this.regs[R.Command] = 0x20;
    this.regs[R.ComIrq] = 0x14;
    this.regs[R.Mode] = 0x3f;
    this.regs[R.TxControl] = 0x80;
    this.regs[R.Version] = this.options.version ?? 0x92;
    this.fifo = [];
  }

  private read(reg: number): number {
    if (reg === R.ComIrq && this.timerDue !== undefined && this.options.now!() >= this.timerDue) {
      this.timerDue = undefined;
      this.regs[R.ComIrq] |= IRQ_TIMER;
    }
    switch (reg) {
      case R.FIFOData: return this.fifo.length ? this.fifo.shift()! : 0;
      case R.FIFOLevel: return this.fifo.length;
      default: return this.regs[reg];
    }
  }

  private write(reg: number, value: number): void {
    switch (reg) {
      case R.Command: return this.command(value);
      case R.ComIrq: this.regs[reg] = value & 0x80 ? this.regs[reg] | (value & 0x7f) : this.regs[reg] & ~value & 0x7f; return;
      case R.DivIrq: this.regs[reg] = value & 0x80 ? this.regs[reg] | (value & 0x7f) : this.regs[reg] & ~value & 0x7f; return;
      case R.FIFOLevel:
        if (value & 0x80) { this.fifo = []; this.regs[R.Error] &= ~ERR_BUFFER; }
        return;
      case R.FIFOData:
        if (this.fifo.length >= 64) this.regs[R.Error] |= ERR_BUFFER;
        else this.fifo.push(value);
        return;
      case R.BitFraming:
        this.regs[reg] = value & 0x7f;
        if (value & 0x80 && (this.regs[R.Command] & 0x0f) === CMD_TRANSCEIVE) this.transceive();
        return;
      case R.Version: return; // read-only
      default: this.regs[reg] = value;
    }
  }

  private command(value: number): void {
    const cmd = value & 0x0f;
    if (cmd === CMD_SOFT_RESET) return this.softReset();
    this.regs[R.Command] = value & 0x1f;
    if (cmd === CMD_CALC_CRC) {
      const crc = crcA(this.fifo.splice(0));
      this.regs[R.CRCResultL] = crc[0];
      this.regs[R.CRCResultH] = crc[1];
      this.regs[R.DivIrq] |= DIV_CRC;
    } else if (cmd === CMD_IDLE) {
      this.regs[R.ComIrq] |= IRQ_IDLE;
    }
  }

  private transceive(): void {
    if (this.options.stuck) return;
    const framing = this.regs[R.BitFraming];
    const txLast = framing & 7, rxAlign = (framing >> 4) & 7;
    const bytes = Uint8Array.from(this.fifo.splice(0));
    this.frames.push(bytes);
    const txBits = bytes.length === 0 ? 0 : (bytes.length - 1) * 8 + (txLast || 8);
    this.regs[R.Error] = 0;
    this.regs[R.Coll] &= 0x80;
    const answers: number[][] = [];
    for (const card of [...this.cards]) {
      const limit = card.spec.leaveAfterFrames;
      if (limit !== undefined && card.answered >= limit) {
        this.cards = this.cards.filter((c) => c !== card);
        continue;
      }
      const answer = this.cardReceives(card, bytes, txBits);
      if (answer) {
        card.answered++;
        answers.push(answer);
      }
    }
    if (answers.length === 0) {
      // Nobody answered: the timer runs out (TAuto starts it at the end of the send).
      if (this.options.now) this.timerDue = this.options.now() + this.timerMs();
      else this.regs[R.ComIrq] |= IRQ_TIMER;
      return;
    }
    // Superpose the answers: the first bit where cards disagree is the collision.
    const length = Math.max(...answers.map((a) => a.length));
    let collision = -1;
    const bits: number[] = [];
    for (let i = 0; i < length; i++) {
      const values = answers.map((a) => a[i] ?? 0);
      if (collision < 0 && values.some((v) => v !== values[0])) collision = i;
      bits.push(values.some((v) => v === 1) ? 1 : 0);
    }
    const total = rxAlign + bits.length;
    const received = new Array<number>(Math.ceil(total / 8)).fill(0);
    bits.forEach((b, i) => { received[(rxAlign + i) >> 3] |= b << ((rxAlign + i) & 7); });
    this.fifo.push(...received);
    this.regs[R.Control] = (this.regs[R.Control] & ~7) | (total & 7);
    this.regs[R.ComIrq] |= IRQ_RX | IRQ_IDLE;
    if (collision >= 0) {
      const pos = rxAlign + collision + 1;
      this.regs[R.Error] |= ERR_COLL;
      this.regs[R.ComIrq] |= IRQ_ERR;
      this.regs[R.Coll] |= pos > 32 ? 0x20 : pos & 0x1f;
    }
  }

  /** The receive timeout the registers set, ms: ticks of 13.56 MHz / (2·TPrescaler+1), TReload+1 of them. */
  timerMs(): number {
    const prescaler = ((this.regs[R.TMode] & 0x0f) << 8) | this.regs[R.TPrescaler];
    const reload = (this.regs[R.TReloadH] << 8) | this.regs[R.TReloadL];
    return ((2 * prescaler + 1) * (reload + 1)) / 13_560;
  }

  /** ISO 14443-3 type A card logic: the bits it answers with, or undefined for silence. */
  private cardReceives(card: SimCard, frame: Uint8Array, txBits: number): number[] | undefined {
    if (txBits === 7) {
      const wakes = frame[0] === 0x52 ? card.state !== 'active' : frame[0] === 0x26 && card.state === 'idle';
      if (!wakes) return undefined;
      card.state = 'ready';
      card.level = 0;
      return bitsOf(card.atqa, 16);
    }
    if (frame[0] === 0x50 && frame.length === 4 && txBits === 32) {
      if (card.state === 'active' && same(frame.subarray(2), crcA(frame.subarray(0, 2)))) card.state = 'halt';
      return undefined;
    }
    if (card.state !== 'ready' || frame[0] !== SEL[card.level] || frame.length < 2) {
      if (card.state === 'ready' || card.state === 'active') card.state = 'idle';
      return undefined;
    }
    const cl = card.levels[card.level];
    const nvb = frame[1];
    if (nvb === 0x70) {
      if (txBits !== 72 || !same(frame.subarray(7, 9), crcA(frame.subarray(0, 7)))) return undefined;
      if (!same(frame.subarray(2, 7), cl)) {
        card.state = 'idle'; // another card was selected
        return undefined;
      }
      const last = card.level === card.levels.length - 1;
      const sak = last ? card.sak : 0x04;
      if (last) card.state = 'active';
      else card.level++;
      return bitsOf(Uint8Array.of(sak, ...crcA([sak])), 24);
    }
    const known = ((nvb >> 4) - 2) * 8 + (nvb & 0x0f);
    if (known < 0 || known > 39 || txBits !== 16 + known) return undefined;
    const sent = bitsOf(frame, txBits).slice(16);
    const mine = bitsOf(cl, 40);
    for (let i = 0; i < known; i++) if (sent[i] !== mine[i]) return undefined;
    return mine.slice(known);
  }
}

/** Bits of `bytes`, least significant first in each byte, as ISO 14443 sends them. */
function bitsOf(bytes: ArrayLike<number>, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((bytes[i >> 3] >> (i & 7)) & 1);
  return out;
}

function same(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
