import type { FlashRegion } from '../../hal/flash.js';
import { crc32 } from '../codec/crc32.js';
import { put32, u32 } from './format.js';
import { FINGERPRINT_BYTES, KEY_BYTES } from './key-rotation.js';

/** Which slot holds the list in force. Written as one record: the atomic step of a full update. */
export interface Selection {
  seq: number;
  slot: number;
  listVersion: number;
  /** Signed image length in the slot (header + body + signature). */
  imageLength: number;
}

/** The backend key in force after a rotation (none stored: the provisioned key, sequence 0). */
export interface KeyState {
  /** Key sequence, ≥ 1. */
  seq: number;
  key: Uint8Array;
  /** Fingerprints of revoked keys, oldest first, at most MAX_REVOKED. */
  revoked: Uint8Array[];
}

/**
 * A full image being streamed into a slot, as far as its writes completed: what
 * a reboot resumes from. Not part of the state: the store checks it against the
 * slot before trusting it, and the commit re-hashes the whole image anyway.
 */
export interface Progress {
  slot: number;
  listVersion: number;
  imageLength: number;
  /** Bytes from the image's start whose writes completed. */
  offset: number;
}

export const MAX_REVOKED = 8;

const SLOT = 32;
const MAGIC = 0x53544b52; // "RKTS": a selection record, one slot
const KEY_MAGIC = 0x4b544b52; // "RKTK": first slot of a selection + key record
const CONT_MAGIC = 0x43544b52; // "RKTC": its other slots
const PROGRESS_MAGIC = 0x50544b52; // "RKTP": a transfer's progress, one slot
// A selection + key record spans 8 slots, each opening with its tag, so no slot
// of it can be read as the start of another record; 28 bytes of each carry the
// payload, whose last 4 bytes are the CRC-32 of the record's first 252 bytes.
const KEY_SLOTS = 8;
const KEY_RECORD = KEY_SLOTS * SLOT;
const PAYLOAD = KEY_SLOTS * (SLOT - 4);
// Payload offsets.
const P = { seq: 0, slot: 4, revokedCount: 5, listVersion: 8, imageLength: 12, keySeq: 16, key: 20, revoked: 88, crc: 220 } as const;
const NO_SLOT = 0xff;
/** Boot sorts candidate slots by sequence · SLOT_KEY + slot (a slot index below 2^20: blocks up to 16 MiB). */
const SLOT_KEY = 1048576;

/**
 * An append-only log of records over two flash blocks; the valid state record
 * with the highest sequence number is the whole state. A torn record fails its CRC
 * and the previous one stays in force. When the head block cannot take the next
 * record, the other one is erased and the log continues there: that block holds
 * only older records, so a valid record survives any single cut.
 *
 * While the provisioned backend key is in force, records are one slot (RKTS:
 * the selection). Once a key was rotated, every record is the 8-slot RKTK form
 * carrying selection and key state together, so the newest of them is always
 * complete.
 *
 * Progress records (RKTP, one slot) share the sequence: the newest one is the
 * transfer in force (none once it names the selected slot, or is a clear record).
 * They are not state, so a block opened by one starts with a copy of the state in
 * force, and one opened by a state record gets a copy of the progress in force
 * after it (a clear record when there is none: the older block may keep, through
 * an erase torn before its end, a progress record whose clear record is gone, and
 * the newest block must outrank it). A cut between the two loses at most that
 * progress (a resume), never the state.
 */
export class SlotSelector {
  private current?: Selection;
  private keys?: KeyState;
  private pending?: Progress;
  private lastSeq = 0;
  private next = 0; // byte offset of the next record

  constructor(private readonly region: FlashRegion) {
    if (region.byteLength < 2 * region.blockSize) throw new RangeError(`selector region ${region.name} needs two flash blocks`);
    // A block opened by a record starts with it and a copy of a record of the other kind (≤ KEY_RECORD + SLOT).
    if (region.blockSize % SLOT !== 0 || region.blockSize < KEY_RECORD + SLOT) throw new RangeError(`selector region ${region.name}: blocks of ${region.blockSize} bytes cannot hold its records`);
    this.scan();
  }

  get selection(): Selection | undefined {
    return this.current;
  }

  /** The rotated key in force, undefined while the provisioned key is. */
  get keyState(): KeyState | undefined {
    return this.keys;
  }

  /** The transfer in force, if any: as recorded, not checked against the slot. */
  get progress(): Progress | undefined {
    return this.pending;
  }

  select(slot: number, listVersion: number, imageLength: number): void {
    const keys = this.keys;
    // A transfer into the slot now selected is over: not carried into another block.
    const pending = this.pending?.slot === slot ? undefined : this.pending;
    const seq = this.append(true, (n) => keys ? keyRecord(n, { seq: n, slot, listVersion, imageLength }, keys) : selectionRecord({ seq: n, slot, listVersion, imageLength }), pending);
    this.current = { seq, slot, listVersion, imageLength };
    this.pending = pending;
  }

  /** Records a new key state, keeping the selection as it is. One record: the atomic step of a rotation. */
  setKey(state: KeyState): void {
    const keys = { seq: state.seq, key: state.key.slice(), revoked: state.revoked.slice(-MAX_REVOKED).map((f) => f.slice()) };
    const current = this.current;
    const seq = this.append(true, (n) => keyRecord(n, current, keys), this.pending);
    this.keys = keys;
    if (this.current) this.current = { ...this.current, seq };
  }

  /**
   * Records how far a transfer's writes completed (undefined: no transfer). Not
   * atomic with anything: a cut leaves the previous progress record in force.
   */
  setProgress(progress: Progress | undefined): void {
    const p = progress && { ...progress };
    const state = this.stateRecord();
    this.append(false, (n) => progressRecord(n, p), undefined, state);
    this.pending = p;
  }

  /** Forgets the progress in force without writing (the store found it stale): it is not carried on. */
  dropProgress(): void {
    this.pending = undefined;
  }

  /** The state in force as a record builder, for a block opened by a progress record. */
  private stateRecord(): ((seq: number) => Uint8Array) | undefined {
    const current = this.current, keys = this.keys;
    if (keys) return (n) => keyRecord(n, current && { ...current, seq: n }, keys);
    if (current) return (n) => selectionRecord({ ...current, seq: n });
    return undefined;
  }

  /**
   * Appends the record `build` makes for the next sequence number; returns that number. A record
   * opening a block erases it first (it holds only older records) and is joined there by a copy of
   * what it does not carry itself: the progress in force after a state record, the state in force
   * before a progress record. State first: once the new block holds any valid record it holds a
   * complete state, so the other block may be erased when this one is full.
   */
  private append(isState: boolean, build: (seq: number) => Uint8Array, progress?: Progress, state?: (seq: number) => Uint8Array): number {
    const bs = this.region.blockSize;
    let at = this.next;
    let rec = build(this.lastSeq + 1);
    const blockEnd = (Math.floor(at / bs) + 1) * bs;
    if (at % bs !== 0) at = this.erasedFrom(at, rec.length, blockEnd) % (2 * bs);
    if (at % bs === 0) {
      this.region.erase(at / bs);
      if (!isState && state) {
        at = this.put(at, state(this.lastSeq + 1));
        rec = build(this.lastSeq + 1);
      }
      at = this.put(at, rec);
      const seq = this.lastSeq;
      if (isState) at = this.put(at, progressRecord(this.lastSeq + 1, progress));
      this.next = at % (2 * bs);
      return seq;
    }
    this.next = this.put(at, rec) % (2 * bs);
    return this.lastSeq;
  }

  private put(at: number, rec: Uint8Array): number {
    this.region.write(at, rec);
    this.lastSeq = u32(rec, 4);
    return at + rec.length;
  }

  /**
   * Boot: the newest valid record of each kind, without reading every byte. Slots that open
   * with a tag are candidates (one byte tested per slot); they are checked newest first
   * (sequence, then position), and only until the state, the progress and the head are known:
   * a few CRCs, not one per record. Where the next record goes is checked when it is written
   * (append), not here: only the cells it lands on must read erased.
   */
  private scan(): void {
    const bs = this.region.blockSize;
    const all = this.region.read(0, 2 * bs);
    // Every tag's first byte is 'R' (0x52). Keys: sequence · 2^20 + (2^20 − 1 − slot), sorted natively.
    let keys = new Float64Array(16), n = 0;
    for (let at = 0; at + SLOT <= 2 * bs; at += SLOT) {
      if (all[at] !== 0x52) continue;
      const tag = u32(all, at);
      if (tag !== MAGIC && tag !== PROGRESS_MAGIC && tag !== KEY_MAGIC) continue;
      if (n === keys.length) { const k = new Float64Array(2 * n); k.set(keys); keys = k; }
      keys[n++] = u32(all, at + 4) * SLOT_KEY + (SLOT_KEY - 1 - at / SLOT);
    }
    keys = keys.subarray(0, n).sort();
    let state = false, progress = false, head = false;
    for (let i = n - 1; i >= 0 && !(state && progress && head); i--) {
      const at = (SLOT_KEY - 1 - (keys[i] % SLOT_KEY)) * SLOT;
      const tag = u32(all, at);
      const isState = tag !== PROGRESS_MAGIC;
      // Only what is still unknown is checked: an older record of a kind already found is not read.
      if (head && (isState ? state : progress)) continue;
      let seq: number, end: number;
      if (tag === KEY_MAGIC) {
        // A record never straddles the two blocks.
        if (Math.floor(at / bs) !== Math.floor((at + KEY_RECORD - 1) / bs)) continue;
        const r = readKeyRecord(all, at);
        if (!r) continue;
        seq = r.seq;
        end = at + KEY_RECORD;
        if (!state) { this.current = r.selection; this.keys = r.keys; state = true; }
      } else {
        if (u32(all, at + 28) !== crc32(all, at, at + 28)) continue;
        seq = u32(all, at + 4);
        end = at + SLOT;
        if (tag === MAGIC && !state) {
          this.current = { seq, slot: all[at + 8], listVersion: u32(all, at + 12), imageLength: u32(all, at + 16) };
          this.keys = undefined;
          state = true;
        } else if (tag === PROGRESS_MAGIC && !progress) {
          this.pending = readProgress(all, at);
          progress = true;
        }
      }
      if (!head) {
        this.lastSeq = seq;
        head = true;
        // The log continues past the newest record; a record that would not fit opens the other block.
        this.next = end % (2 * bs);
      }
    }
    // A transfer into the selected slot was committed.
    if (this.pending && this.current && this.pending.slot === this.current.slot) this.pending = undefined;
  }

  /**
   * Where a record of `length` bytes can go from `at` (inside a block, not at its start): the first
   * slot from which its cells read erased. Past the newest record a cut may have left a torn one
   * (or an erase torn short, old bytes): those slots are stepped over. Returns the block's end when
   * the record no longer fits there.
   */
  private erasedFrom(at: number, length: number, blockEnd: number): number {
    const rest = this.region.read(at, blockEnd - at);
    const words = new DataView(rest.buffer, rest.byteOffset, rest.byteLength);
    let from = 0;
    while (from + length <= rest.length) {
      // 32 bits a step, last first (records and slots are whole words): a written byte past the window's start moves it.
      let last = -1;
      for (let i = from + length - 4; i >= from; i -= 4) if (words.getUint32(i) !== 0xffffffff) { last = i; break; }
      if (last < 0) return at + from;
      from = (Math.floor(last / SLOT) + 1) * SLOT;
    }
    return blockEnd;
  }
}

function selectionRecord(s: Selection): Uint8Array {
  const rec = new Uint8Array(SLOT).fill(0xff);
  put32(rec, 0, MAGIC);
  put32(rec, 4, s.seq);
  rec[8] = s.slot;
  put32(rec, 12, s.listVersion);
  put32(rec, 16, s.imageLength);
  put32(rec, 28, crc32(rec, 0, 28));
  return rec;
}

function progressRecord(seq: number, p: Progress | undefined): Uint8Array {
  const rec = new Uint8Array(SLOT).fill(0xff);
  put32(rec, 0, PROGRESS_MAGIC);
  put32(rec, 4, seq);
  rec[8] = p ? p.slot : NO_SLOT;
  put32(rec, 12, p ? p.listVersion : 0);
  put32(rec, 16, p ? p.imageLength : 0);
  put32(rec, 20, p ? p.offset : 0);
  put32(rec, 28, crc32(rec, 0, 28));
  return rec;
}

function readProgress(all: Uint8Array, at: number): Progress | undefined {
  const slot = all[at + 8];
  if (slot === NO_SLOT) return undefined; // a clear record
  return { slot, listVersion: u32(all, at + 12), imageLength: u32(all, at + 16), offset: u32(all, at + 20) };
}

function keyRecord(seq: number, s: Selection | undefined, k: KeyState): Uint8Array {
  const p = new Uint8Array(PAYLOAD);
  put32(p, P.seq, seq);
  p[P.slot] = s ? s.slot : NO_SLOT;
  p[P.revokedCount] = k.revoked.length;
  put32(p, P.listVersion, s ? s.listVersion : 0);
  put32(p, P.imageLength, s ? s.imageLength : 0);
  put32(p, P.keySeq, k.seq);
  p.set(k.key, P.key);
  k.revoked.forEach((f, i) => p.set(f, P.revoked + i * FINGERPRINT_BYTES));
  const rec = new Uint8Array(KEY_RECORD);
  for (let i = 0; i < KEY_SLOTS; i++) {
    put32(rec, i * SLOT, i === 0 ? KEY_MAGIC : CONT_MAGIC);
    rec.set(p.subarray(i * (SLOT - 4), (i + 1) * (SLOT - 4)), i * SLOT + 4);
  }
  put32(rec, KEY_RECORD - 4, crc32(rec, 0, KEY_RECORD - 4));
  return rec;
}

function readKeyRecord(all: Uint8Array, at: number): { seq: number; selection?: Selection; keys: KeyState } | undefined {
  for (let i = 1; i < KEY_SLOTS; i++) if (u32(all, at + i * SLOT) !== CONT_MAGIC) return undefined;
  if (u32(all, at + KEY_RECORD - 4) !== crc32(all, at, at + KEY_RECORD - 4)) return undefined;
  const p = new Uint8Array(PAYLOAD);
  for (let i = 0; i < KEY_SLOTS; i++) p.set(all.subarray(at + i * SLOT + 4, at + (i + 1) * SLOT), i * (SLOT - 4));
  const count = p[P.revokedCount];
  const keySeq = u32(p, P.keySeq);
  // CRC-valid but not what this code writes: not a record.
  if (count > MAX_REVOKED || keySeq === 0 || p[P.key] !== 0x04) return undefined;
  const seq = u32(p, P.seq);
  const revoked: Uint8Array[] = [];
  for (let i = 0; i < count; i++) revoked.push(p.slice(P.revoked + i * FINGERPRINT_BYTES, P.revoked + (i + 1) * FINGERPRINT_BYTES));
  return {
    seq,
    selection: p[P.slot] === NO_SLOT ? undefined : { seq, slot: p[P.slot], listVersion: u32(p, P.listVersion), imageLength: u32(p, P.imageLength) },
    keys: { seq: keySeq, key: p.slice(P.key, P.key + KEY_BYTES), revoked },
  };
}
