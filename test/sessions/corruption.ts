// Corruption of a full journal, window by window: the world (a journal written
// by the real code through wrap-around, acknowledgements, a full ring and
// unsigned records at its end), the damage (64-byte windows zeroed or
// inverted, alone or in pairs) and the three properties checked after the
// device's recovery:
//   1. the acknowledged position is at most the true one;
//   2. every unacknowledged record is recovered intact (the very payload
//      written) or counted in `lost` (what the device reports in `status`);
//   3. nothing is reported as uploaded that was not: the backend holds every
//      signed record (each may have been sent before the damage), the device
//      goes on (signs, appends, uploads, takes the backend's acks, boots
//      again), and every record it then counts as acknowledged is held by the
//      backend with the device's own payload (a number used twice would be
//      a conflict there, and its ack would cover a record never stored).
import type { Signer } from '../../hal/crypto.js';
import { SimFlash } from '../../host-sim/hal/index.js';
import { decodeCoseSign1, Journal } from '../../src/sessions/index.js';
import { DEVICE, facts, nodeCrypto } from './helpers.js';

export const WINDOW = 64;
/** A 64-byte window zeroed or inverted; or one bit flipped (bit `at` % 8 of byte `at`). */
export type Damage = 'zero' | 'invert' | 'bit';

/** A fast stand-in signer (the journal never checks signatures; this suite is about flash). */
export const fastSigner: Signer = {
  publicKey: new Uint8Array(65),
  sign: (m) => {
    const h = nodeCrypto.sha256(m).digest();
    const s = new Uint8Array(64);
    s.set(h);
    s.set(h, 32);
    return s;
  },
};

export interface JournalWorld {
  bytes: number;
  raw: Uint8Array;
  /** The last written byte + 1 (windows past it hit erased flash only). */
  used: number;
  ackedSeq: number;
  lastSeq: number;
  /** Payload of every unacknowledged record, by seq (hex). */
  payloads: Map<number, string>;
  /** Payload of every record ever written, by seq (hex). */
  written: Map<number, string>;
  /** Seqs of the records signed before the damage: the backend may hold every one. */
  signed: Set<number>;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const open = (flash: SimFlash) => {
  const j = new Journal(flash, { crypto: nodeCrypto, deviceId: DEVICE, signer: fastSigner });
  const report = j.recover();
  return { j, report };
};

/**
 * A full journal of `bytes` (4 KiB sectors): the ring wrapped twice through
 * acknowledged rounds, then filled to 'full' with an acknowledgement in the
 * middle (the oldest sector is partly acknowledged, ack entries sit between
 * records), then two records on the reserve left unsigned. `sealed`: with the
 * device's background step (maintain(), which seals closed sectors) after
 * each signature, as the device runs it.
 */
export function fullJournal(bytes = 32 * 1024, sealed = false): JournalWorld {
  const flash = new SimFlash('journal', bytes);
  const { j } = open(flash);
  let i = 0;
  const written = new Map<number, string>();
  const append = (reserved = false) => {
    const seq = j.append(facts(i++), { reserved });
    written.set(seq, hex(j.payloadsFrom(seq)[0]));
  };
  const capacity = Math.floor(bytes / 200);
  while (i < 2 * capacity) {
    for (let k = 0; k < 17; k++) {
      append();
      j.signPending();
      if (sealed) j.maintain();
    }
    j.acknowledge(j.lastSeq - 3);
  }
  let ackedMidway = false;
  while (j.status !== 'full') {
    append();
    j.signPending();
    if (sealed) j.maintain();
    if (!ackedMidway && j.depth > capacity / 3) {
      j.acknowledge(j.lastSeq - 5);
      ackedMidway = true;
    }
  }
  for (let k = 0; sealed && k < 8; k++) j.maintain();
  append(true);
  append(true);
  const payloads = new Map<number, string>();
  for (const p of j.payloadsFrom(j.ackedSeq + 1)) payloads.set(j.ackedSeq + 1 + payloads.size, hex(p));
  const signed = new Set(j.readFrom(1, Infinity).map((r) => r.seq));
  let used = flash.raw.length;
  while (used > 0 && flash.raw[used - 1] === 0xff) used--;
  return { bytes, raw: flash.raw.slice(), used, ackedSeq: j.ackedSeq, lastSeq: j.lastSeq, payloads, written, signed };
}

/**
 * A young journal: one sector in use (the ring never went round), records
 * 1..`records` with the first third acknowledged, the last two unsigned.
 */
export function youngJournal(bytes = 16 * 1024, records = 24): JournalWorld {
  const flash = new SimFlash('journal', bytes);
  const { j } = open(flash);
  const written = new Map<number, string>();
  for (let i = 0; i < records; i++) {
    const seq = j.append(facts(i));
    written.set(seq, hex(j.payloadsFrom(seq)[0]));
    if (i < records - 2) j.signPending();
    if (i === Math.floor(records / 3)) j.acknowledge(Math.floor(records / 3) - 1);
  }
  const payloads = new Map<number, string>();
  for (const [seq, p] of written) if (seq > j.ackedSeq) payloads.set(seq, p);
  const signed = new Set(j.readFrom(1, Infinity).map((r) => r.seq));
  let used = flash.raw.length;
  while (used > 0 && flash.raw[used - 1] === 0xff) used--;
  return { bytes, raw: flash.raw.slice(), used, ackedSeq: j.ackedSeq, lastSeq: j.lastSeq, payloads, written, signed };
}

/** Window starts of the world: every 64-byte window of the region. */
export function windows(w: JournalWorld): number[] {
  return Array.from({ length: w.bytes / WINDOW }, (_, k) => k * WINDOW);
}

export function damage(raw: Uint8Array, at: number, kind: Damage): void {
  if (kind === 'bit') {
    raw[at] ^= 1 << (at % 8);
    return;
  }
  for (let i = at; i < Math.min(at + WINDOW, raw.length); i++) raw[i] = kind === 'zero' ? 0 : raw[i] ^ 0xff;
}

/** Damages a copy of the world, recovers it as the device does, checks the three properties; returns the broken ones (empty: all held). */
export function checkDamaged(w: JournalWorld, hits: Array<{ at: number; kind: Damage }>): string[] {
  return damagedOutcome(w, hits).problems;
}

/** The same, with how many unacknowledged records were not read back (lost, and counted). */
export function damagedOutcome(w: JournalWorld, hits: Array<{ at: number; kind: Damage }>): { problems: string[]; missing: number } {
  const problems: string[] = [];
  const flash = new SimFlash('journal', w.bytes);
  flash.raw.set(w.raw);
  for (const h of hits) damage(flash.raw, h.at, h.kind);
  const { j, report } = open(flash);
  // 1. The acknowledged position never moves forward.
  if (report.ackedSeq > w.ackedSeq) problems.push(`acknowledged position moved from ${w.ackedSeq} to ${report.ackedSeq}`);
  // 2. Every unacknowledged record recovered intact, or counted.
  const back = new Map<number, string>();
  let seq = 0;
  for (const p of j.payloadsFrom(j.ackedSeq + 1)) {
    const s = decodeSeq(p);
    if (s <= seq) problems.push(`record ${s} read back after ${seq}`);
    seq = s;
    back.set(s, hex(p));
  }
  let missing = 0;
  for (const [s, payload] of w.payloads) {
    const got = back.get(s);
    if (got === undefined) missing++;
    else if (got !== payload) problems.push(`record ${s} read back with other bytes`);
  }
  for (const [s, payload] of back) if (!w.payloads.has(s) && w.written.get(s) !== payload) problems.push(`record ${s} read back with bytes never written as ${s}`);
  if (missing > j.lost) problems.push(`${missing} unacknowledged records neither recovered nor counted (lost ${j.lost}, report ${report.lostRecords})`);
  if (j.lastSeq < w.lastSeq - missing) problems.push(`last seq ${j.lastSeq} below the last record read back`);
  // 3. Go on: sign, append, upload to a backend that holds every record signed before, take its acks, boot again.
  const backend = new Map<number, string>();
  for (const s of w.signed) if (w.payloads.has(s)) backend.set(s, w.payloads.get(s)!);
  const mine = new Map<number, string>();
  const upload = () => {
    j.signPending();
    for (let round = 0; round < 50 && j.depth > 0; round++) {
      const batch = j.readFrom(j.ackedSeq + 1, 16 * 1024);
      if (batch.length === 0) break;
      for (const r of batch) {
        const payload = hex(decodeCoseSign1(r.bytes).payload);
        if (!backend.has(r.seq)) backend.set(r.seq, payload);
        else if (backend.get(r.seq) !== payload) problems.push(`seq ${r.seq} uploaded with a payload the backend holds other bytes for (a number used twice)`);
      }
      j.acknowledge(batch[batch.length - 1].seq); // the backend acknowledges the whole batch
    }
  };
  try {
    upload();
    for (let k = 0; k < 2; k++) {
      const s = j.append(facts(9000 + k));
      mine.set(s, hex(j.payloadsFrom(s)[0]));
    }
    upload();
  } catch (e) {
    problems.push(`going on after recovery failed: ${(e as Error).message}`);
  }
  const again = open(flash).j;
  for (const [s, payload] of mine) {
    if (s <= again.ackedSeq && backend.get(s) !== payload) problems.push(`record ${s}, appended after recovery, counts as acknowledged but the backend does not hold it`);
    if (s > again.ackedSeq && !again.payloadsFrom(s).some((p) => hex(p) === payload)) problems.push(`record ${s}, appended after recovery, lost at the next boot`);
  }
  if (again.ackedSeq < j.ackedSeq) problems.push(`the next boot moved the acknowledged position back from ${j.ackedSeq} to ${again.ackedSeq}`);
  return { problems, missing };
}

function decodeSeq(payload: Uint8Array): number {
  // Key 1 (seq) comes first: a0+n, 01, uint.
  const ib = payload[2];
  if (ib < 24) return ib;
  const n = ib === 24 ? 1 : ib === 25 ? 2 : ib === 26 ? 4 : 8;
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + payload[3 + i];
  return v;
}
