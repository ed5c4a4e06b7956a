import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Mfrc522, Mfrc522Error, Mfrc522Reader } from '../../hal/moddable/mfrc522.js';
import type { Tap } from '../../hal/rfid.js';
import { crcA, Mfrc522Sim } from '../../host-sim/mfrc522/sim.js';
import { emptyPoll } from '../../host-sim/mfrc522/poll-cost.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function rig(options = {}) {
  const sim = new Mfrc522Sim(options);
  const chip = new Mfrc522({ spi: sim, select: sim.select, reset: sim.reset });
  const reader = new Mfrc522Reader(chip, 'r1');
  const taps: Tap[] = [];
  reader.onTap = (t) => taps.push(t);
  return { sim, chip, reader, taps };
}

// UIDs as ISO 14443-3 allows them: the byte that would sit where a cascade tag
// goes (uid0 single, uid3 double, uid6 triple) is never 0x88.
const uidOf = (length: 4 | 7 | 10) => fc.uint8Array({ minLength: length, maxLength: length })
  .filter((u) => u[length === 4 ? 0 : length === 7 ? 3 : 6] !== 0x88);
const anyUid = fc.oneof(uidOf(4), uidOf(7), uidOf(10));

/** Cascade levels of a UID, as ISO 14443-3 splits it (written here from the standard, not from the simulator). */
function levels(uid: Uint8Array): number[][] {
  const u = [...uid];
  if (u.length === 4) return [u];
  if (u.length === 7) return [[0x88, ...u.slice(0, 3)], u.slice(3)];
  return [[0x88, ...u.slice(0, 3)], [0x88, ...u.slice(3, 6)], u.slice(6)];
}

/** Which card bit-wise anticollision ends on when it always follows the 1 bit. */
function expectedWinner(uids: Uint8Array[]): Uint8Array {
  let left = uids.map((u) => ({ u, lv: levels(u) }));
  for (let level = 0; level < 3 && left.length > 1; level++) {
    for (let bit = 0; bit < 32 && left.length > 1; bit++) {
      const value = (c: { lv: number[][] }) => (c.lv[level][bit >> 3] >> (bit & 7)) & 1;
      if (left.some((c) => value(c) !== value(left[0]))) left = left.filter((c) => value(c) === 1);
    }
  }
  return left[0].u;
}

describe('MFRC522 simulator: CRC coprocessor', () => {
  it('computes CRC_A as ISO 14443-3 gives it for HLTA (50 00 → 57 CD)', () => {
    expect(hex(crcA([0x50, 0x00]))).toBe('57cd');
    const { chip } = rig();
    expect(hex(chip.crc(Uint8Array.of(0x50, 0x00)))).toBe('57cd');
  });
  it('chip CRC matches a bitwise CRC-16/ISO-IEC-14443-3-A for any data', () => {
    // Independent bit-at-a-time form of the same polynomial (0x8408 reflected, init 0x6363).
    const slow = (data: Uint8Array) => {
      let crc = 0x6363;
      for (const byte of data) {
        crc ^= byte;
        for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
      }
      return Uint8Array.of(crc & 0xff, crc >>> 8);
    };
    const { chip } = rig();
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 60 }), (d) => hex(chip.crc(d)) === hex(slow(d))));
  });
});

describe('MFRC522 driver against the simulator', () => {
  it('reads 4-, 7- and 10-byte UIDs exactly, through cascade levels 1–3', () => {
    fc.assert(fc.property(anyUid, (uid) => {
      const { sim, reader, taps } = rig();
      sim.present({ uid });
      reader.poll();
      return taps.length === 1 && hex(taps[0].uid) === hex(uid) && taps[0].reader === 'r1';
    }), { numRuns: 200 });
  });

  it('halts the card after reading it (HLTA with its CRC is the last frame)', () => {
    const { sim, reader } = rig();
    sim.present({ uid: Uint8Array.of(1, 2, 3, 4, 5, 6, 7) });
    reader.poll();
    expect(hex(sim.frames.at(-1)!)).toBe('500057cd');
    // A 7-byte UID takes WUPA, two anticollisions, two selects, HLTA.
    expect(sim.frames.map((f) => f[0].toString(16))).toEqual(['52', '93', '93', '95', '95', '50']);
  });

  it('one tap, one event: a card left on the reader is reported once', () => {
    const { sim, reader, taps } = rig();
    const uid = Uint8Array.of(0xde, 0xad, 0xbe, 0xef);
    sim.present({ uid });
    for (let i = 0; i < 10; i++) reader.poll();
    expect(taps).toHaveLength(1);
  });

  it('a single missed read is not a removal; two are, and the next presentation is a new tap', () => {
    const { sim, reader, taps } = rig();
    const uid = Uint8Array.of(0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66);
    sim.present({ uid });
    reader.poll();
    sim.remove();
    reader.poll(); // one miss
    sim.present({ uid });
    reader.poll();
    expect(taps).toHaveLength(1);
    sim.remove();
    reader.poll();
    reader.poll(); // two misses: gone
    sim.present({ uid });
    reader.poll();
    expect(taps).toHaveLength(2);
  });

  it('a different card is a new tap at once', () => {
    const { sim, reader, taps } = rig();
    sim.present({ uid: Uint8Array.of(1, 2, 3, 4) });
    reader.poll();
    sim.remove();
    sim.present({ uid: Uint8Array.of(5, 6, 7, 8) });
    reader.poll();
    expect(taps.map((t) => hex(t.uid))).toEqual(['01020304', '05060708']);
  });

  it('two or three cards in the field: exactly one tap, the card anticollision selects, never a mix', () => {
    fc.assert(fc.property(fc.uniqueArray(anyUid, { minLength: 2, maxLength: 3, selector: (u) => hex(u) }), (uids) => {
      // Two UIDs where one is a prefix-equal cascade of the other cannot be told apart by ISO 14443 either.
      const { sim, reader, taps } = rig();
      for (const uid of uids) sim.present({ uid });
      reader.poll();
      reader.poll();
      return taps.length === 1 && hex(taps[0].uid) === hex(expectedWinner(uids));
    }), { numRuns: 150 });
  });

  it('a card removed mid-read gives no tap and no error; the next card reads fine', () => {
    // A 10-byte UID takes 7 frames to read: WUPA, 3 × (anticollision, select).
    for (let frames = 1; frames < 7; frames++) {
      const { sim, reader, taps } = rig();
      sim.present({ uid: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), leaveAfterFrames: frames });
      reader.poll();
      expect(taps, `left after ${frames} frames`).toHaveLength(0);
      expect(sim.cardsInField).toBe(0);
      sim.present({ uid: Uint8Array.of(9, 9, 9, 9) });
      reader.poll();
      expect(taps.map((t) => hex(t.uid))).toEqual(['09090909']);
    }
  });

  it('a reader that does not answer is a clear error at start', () => {
    expect(() => rig({ absent: true })).toThrow(Mfrc522Error);
    expect(() => rig({ absent: true })).toThrow(/no answer on SPI \(VersionReg 0xff\)/);
    // Chip select never asserted (wired to the wrong pin): the same.
    const sim = new Mfrc522Sim();
    const wrongPin = { write: () => {} };
    sim.select.write(1);
    expect(() => new Mfrc522({ spi: sim, select: wrongPin })).toThrow(Mfrc522Error);
  });

  it('a chip that stops finishing commands is reported once per change, never thrown out of poll, not taken for "no card"', () => {
    const sim = new Mfrc522Sim();
    let t = 0;
    const chip = new Mfrc522({ spi: sim, select: sim.select, reset: sim.reset, now: () => (t += 5) });
    const reader = new Mfrc522Reader(chip);
    const options = (sim as unknown as { options: { stuck: boolean } }).options;
    options.stuck = true;
    expect(() => reader.poll()).not.toThrow(); // a Timer callback: nothing may escape it
    expect(reader.failing).toBe(true);
    const told: string[] = [];
    reader.onError = (e) => told.push(`error ${(e as Error).name}: ${(e as Error).message}`);
    reader.onRecover = () => told.push('recovered');
    options.stuck = false;
    reader.poll(); // answers again
    options.stuck = true;
    for (let i = 0; i < 5; i++) reader.poll(); // five failing polls: one report
    options.stuck = false;
    reader.poll();
    reader.poll();
    expect(told).toEqual(['recovered', 'error Mfrc522Error: MFRC522: Transceive never finished: no receive, no timeout within 100 ms', 'recovered']);
  });

  it('works without a chip-select pin when the SPI drives select itself', () => {
    const sim = new Mfrc522Sim();
    const chip = new Mfrc522({ spi: sim });
    sim.present({ uid: Uint8Array.of(0x12, 0x34, 0x56, 0x78) });
    expect(hex(chip.readUid()!)).toBe('12345678');
  });

  it('an empty poll ends when the chip\'s receive timeout runs out: 1 ms by default, not the usual 25 ms', () => {
    // ISO/IEC 14443-3 6.2.1.1: a card answers WUPA, ANTICOLLISION and SELECT after a frame delay
    // time of 1236 (or 1172) carrier cycles, ~91 µs at 13.56 MHz: 1 ms is ten times that.
    const fast = emptyPoll(1, 50);
    const usual = emptyPoll(25, 50);
    expect(fast.threadMs).toBeGreaterThanOrEqual(1);
    expect(fast.threadMs).toBeLessThan(2);
    expect(usual.threadMs).toBeGreaterThanOrEqual(25);
    expect(fast.transfers).toBeLessThan(usual.transfers / 10);
  });

  it('reads cards with the short timeout on a chip whose timer takes its time, and refuses a timeout out of 1..25 ms', () => {
    let t = 0;
    const sim = new Mfrc522Sim({ now: () => t });
    const spi = { transfer: (b: Uint8Array) => { t += 0.05; sim.transfer(b); } };
    const chip = new Mfrc522({ spi, select: sim.select, reset: sim.reset, now: () => t });
    expect(sim.timerMs()).toBeCloseTo(1, 5); // (2·169+1)·40 / 13.56 MHz
    sim.present({ uid: Uint8Array.of(0x04, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x80) });
    expect(hex(chip.readUid()!)).toBe('04a2b3c4d5e680');
    for (const bad of [0, 26, 1.5]) expect(() => new Mfrc522({ spi: sim, select: sim.select, receiveTimeout: bad })).toThrow(/receiveTimeout must be an integer of 1..25 ms/);
  });
});

