import { equalBytes } from '../codec/index.js';
import { u32 } from '../codec/bytes.js';
import { crc32 } from '../codec/crc32.js';
import { entryAt, ENTRY_OVERHEAD, MIN_RECORD_ENTRY_BYTES, SECTOR_HEADER_BYTES, SIG_BODY_BYTES, T_ACK, T_RECORD, T_SIGNATURE } from './frame.js';
import { decodeRecord, MAX_PAYLOAD_BYTES, seqOfPayload } from './record.js';

// Reading the journal's sectors: the entry walk and the strict checks every
// reader shares (recovery, the sealer, readFrom), with no state of their own.

/** What a sector walk counts: torn or corrupted entries. */
export interface CorruptCount { corruptEntries: number }

/**
 * Visits the well-formed entries of the sector at buf[base, base + room)
 * (`room`: the block size, less the seal's place in a sealed-format sector;
 * positions passed to `visit` are in buf); a torn or corrupted entry is
 * counted and skipped by searching for the next well-formed one (`corrupt`
 * gets each skipped stretch [start, stop) and the end of the written part). Returns
 * where in the sector the next entry may be written: past the last programmed byte.
 */
export function scanSector(
  buf: Uint8Array, base: number, room: number, visit: (type: number, at: number, length: number) => void, report?: CorruptCount,
  corrupt?: (start: number, stop: number, end: number) => void,
): number {
  const limit = base + room;
  let lastWritten = limit - 1;
  while (lastWritten >= base + SECTOR_HEADER_BYTES && buf[lastWritten] === 0xff) lastWritten--;
  const end = lastWritten + 1;
  let pos = base + SECTOR_HEADER_BYTES;
  while (pos < end) {
    const size = entryAt(buf, pos, limit);
    if (size > 0) {
      visit(buf[pos], pos, size - ENTRY_OVERHEAD);
      pos += size;
      continue;
    }
    if (report) report.corruptEntries++;
    const start = pos;
    pos++;
    while (pos < end && entryAt(buf, pos, limit) === 0) pos++;
    if (corrupt) corrupt(start, Math.min(pos, end), end);
  }
  // An entry may end in 0xFF bytes (its CRC): never write over it.
  return Math.max(end, pos, base + SECTOR_HEADER_BYTES) - base;
}

/**
 * The seq of the record entry at `at` if it is above `above` (else it is a
 * stale copy) and its payload has the shape of a record, else 0: a CRC-valid
 * entry is not trusted by its seq alone. (The shape, not a full decode: this
 * runs on every record at boot, without allocating.)
 */
export function freshSeq(buf: Uint8Array, at: number, length: number, above: number): number {
  const seq = seqOfPayload(buf, at + 3, at + 3 + length)!;
  return seq > above && recordShaped(buf, at + 3, at + 3 + length) ? seq : 0;
}

/** Is this payload a well-formed record numbered `seq` whose prev is `prev`? */
export function continuesChain(payload: Uint8Array, seq: number, prev: Uint8Array): boolean {
  try {
    const r = decodeRecord(payload);
    return r.seq === seq && equalBytes(r.prev, prev);
  } catch {
    return false;
  }
}

/**
 * The journal's part of the ring, from the sector counters (-1: no valid
 * header): the longest run of valid headers each continuing the previous one
 * round the ring (counter + distance; unreadable headers in between are
 * bridged), ties to the higher head. The journal writes only such runs, so a
 * valid header that breaks continuity is stale or forged: it ends a run and is
 * never taken as newer. O(sectors), no allocation but the answer.
 */
export function liveRun(counters: Float64Array): { tail: number; head: number } {
  const n = counters.length;
  let last = -1;
  for (let s = n - 1; s >= 0 && last < 0; s--) if (counters[s] >= 0) last = s;
  if (last < 0) return { tail: 0, head: -1 };
  // Start at a run's first sector. There is one: continuity all round the
  // ring would make a counter exceed itself by n (one valid header alone
  // "continues" itself at distance n, which fails the same way).
  let start = -1;
  for (let s = 0, prev = last; s < n && start < 0; s++) {
    if (counters[s] < 0) continue;
    if (counters[s] - counters[prev] !== (s > prev ? s - prev : s - prev + n)) start = s;
    prev = s;
  }
  let bestTail = 0;
  let bestHead = -1;
  let runTail = -1;
  let runHead = -1;
  let at = -1;
  for (let k = 0; k <= n; k++) {
    const s = (start + k) % n;
    if (k < n && counters[s] < 0) continue;
    if (k < n && runTail >= 0 && counters[s] - runHead === (s - at + n) % n) {
      runHead = counters[s];
      at = s;
      continue;
    }
    if (runTail >= 0 && (bestHead < 0 || runHead - runTail > bestHead - bestTail || (runHead - runTail === bestHead - bestTail && runHead > bestHead))) {
      bestTail = runTail;
      bestHead = runHead;
    }
    if (k < n) runTail = runHead = counters[(at = s)];
  }
  return { tail: bestTail, head: bestHead };
}

export const PRESENT = 0;
export const SIGNED = 1;

/**
 * What a damaged stretch b[start, stop) of a sector may hide; `end` is the end
 * of the sector's written part, `limit` of the sector. The stretch starts
 * where an entry should: entry frames that still read (a type, a length that
 * suits it, ending inside the stretch) are followed. out[1]: record frames
 * whose bytes are all there (certain records). out[2]: record frames a torn
 * append leaves (cut short by the end of the written part, or followed inside
 * their extent by the same record appended again): nothing was lost to a torn
 * append (the journal refused it; its session is recorded again at boot), so
 * they count only if a signature or ack names them. out[0]: certain ones,
 * frames whole but for bits set in their last byte (a torn append or a
 * flipped bit: they cannot be told apart), and past the first frame that
 * does not read, as many records as the programmed bytes left could hold.
 */
export function hiddenRecords(b: Uint8Array, start: number, stop: number, end: number, limit: number, out: Float64Array): void {
  let possible = 0;
  let certain = 0;
  let torn = 0;
  let pos = start;
  while (pos < stop) {
    const t = b[pos];
    const n = pos + 2 < limit ? b[pos + 1] | (b[pos + 2] << 8) : -1;
    const size = ENTRY_OVERHEAD + n;
    if (t === T_RECORD && n >= 3 && n <= MAX_PAYLOAD_BYTES) {
      if (pos + size <= stop) {
        // Whole but for bits set in its last byte: a power cut while that
        // byte was programmed (the session is recorded again at boot), or a
        // bit flipped there. Not certain (no number kept for it), but counted.
        if (tornInLastByte(b, pos, size)) {
          possible++;
          pos += size;
          continue;
        }
        // A torn append, then the same record appended again after it (and torn too).
        const again = reappended(b, pos, size);
        if (again > 0) {
          torn++;
          pos = again;
          continue;
        }
        possible++;
        certain++;
        pos += size;
        continue;
      }
      if (stop === end && pos + size > end) {
        if (wholeButLength(b, pos, end)) {
          possible++;
          certain++;
        } else torn++;
        break;
      }
    } else if ((t === T_SIGNATURE && n === SIG_BODY_BYTES) || (t === T_ACK && n === 4)) {
      if (pos + size <= stop) {
        pos += size;
        continue;
      }
      if (stop === end && pos + size > end) break; // a torn signature or ack
    }
    possible += Math.floor(programmedBytes(b, pos, stop) / MIN_RECORD_ENTRY_BYTES);
    break;
  }
  out[0] = possible;
  out[1] = certain;
  out[2] = torn;
}

/**
 * Bytes of b[from, to) outside runs of 16 or more 0xFF: erased space (before
 * a byte damage programmed, or left by a torn erase), where no record is. (A
 * record never holds 16 0xFF bytes in a row: its hash would have to.)
 */
function programmedBytes(b: Uint8Array, from: number, to: number): number {
  let count = 0;
  let run = 0;
  for (let i = from; i < to; i++) {
    if (b[i] !== 0xff) {
      count += run < 16 ? run + 1 : 1;
      run = 0;
    } else run++;
  }
  return count + (run < 16 ? run : 0);
}

/**
 * Is the frame at `at` of `size` bytes what a write cut while programming its
 * last byte leaves: every byte right but that one, which kept only some of
 * its cleared bits (NOR programming clears bits; the CRC's last byte reads
 * with more bits set than it should)?
 */
function tornInLastByte(b: Uint8Array, at: number, size: number): boolean {
  const crc = crc32(b, at, at + size - 4);
  const stored = u32(b, at + size - 4);
  const last = crc >>> 24;
  return (crc & 0xffffff) === (stored & 0xffffff) && ((stored >>> 24) & last) === last;
}

/**
 * Where a record frame with the same seq as the one at `at` starts inside its
 * `size` bytes, or 0: the journal appends past the last programmed byte, so
 * a record appended again after its torn append starts inside the torn one's extent.
 */
function reappended(b: Uint8Array, at: number, size: number): number {
  const seq = seqOfPayload(b, at + 3, at + size);
  if (seq === undefined) return 0;
  for (let p = at + 1; p < at + size; p++) {
    if (b[p] !== T_RECORD || p + 3 >= b.length) continue;
    const n = b[p + 1] | (b[p + 2] << 8);
    if (n >= 3 && n <= MAX_PAYLOAD_BYTES && seqOfPayload(b, p + 3, Math.min(b.length, p + 3 + n)) === seq) return p;
  }
  return 0;
}

/** Is the record frame at `at`, up to the end of the written part, whole but for its length field? */
function wholeButLength(b: Uint8Array, at: number, end: number): boolean {
  // The last CRC byte may be 0xFF, which reads as erased.
  for (let e = end; e <= end + 1 && e <= b.length; e++) {
    const n = e - at - ENTRY_OVERHEAD;
    if (n < 3 || n > MAX_PAYLOAD_BYTES) continue;
    const frame = b.slice(at, at + 3 + n); // a rare path: a damaged last entry
    frame[1] = n & 0xff;
    frame[2] = n >>> 8;
    if (crc32(frame) === u32(b, at + 3 + n)) return true;
  }
  return false;
}

/** [from, to] pairs of the numbers in (acked, last] not present. */
export function lostRanges(seqs: SeqBits, acked: number, last: number): number[] {
  const out: number[] = [];
  for (let q = acked + 1; q <= last; q++) {
    if (seqs.has(q, PRESENT)) continue;
    if (out.length > 0 && out[out.length - 1] === q - 1) out[out.length - 1] = q;
    else out.push(q, q);
  }
  return out;
}

/**
 * Has b[at, end) the shape of a record payload: one CBOR map of integer keys
 * 1..14 in increasing order, key 2 a 32-byte string, values well-formed
 * (integers, strings, booleans, null, arrays of those), nothing after it? One flat
 * loop, no call per item: it runs on every record at boot.
 */
export function recordShaped(b: Uint8Array, at: number, end: number): boolean {
  const count = b[at] - 0xa0;
  if (count < 2 || count > 14) return false;
  let p = at + 1;
  let key = 0;
  let keys = 0;
  let items = 0; // elements of the array being read still to come
  while (keys < count || items > 0) {
    const element = items > 0;
    if (element) items--;
    else {
      const k = b[p];
      if (p >= end || k <= key || k > 14) return false;
      key = k;
      keys++;
      p++;
      if (k === 2 && (b[p] !== 0x58 || b[p + 1] !== 32)) return false;
    }
    if (p >= end) return false;
    const ib = b[p++];
    const major = ib >> 5;
    let v = ib & 0x1f;
    if (v >= 24) {
      const n = v === 24 ? 1 : v === 25 ? 2 : v === 26 ? 4 : v === 27 ? 8 : 0;
      if (n === 0 || n > end - p) return false;
      v = 0;
      for (let i = 0; i < n; i++) v = v * 256 + b[p + i];
      p += n;
    }
    if (major <= 1) continue;
    if (major === 2 || major === 3) {
      if (v > end - p) return false;
      p += v;
    } else if (major === 4 && !element && v <= end - p) items = v;
    else if (major !== 7 || (v !== 20 && v !== 21 && v !== 22)) return false; // false, true, null (the energy of a refused reading)
  }
  return p === end;
}

/**
 * Two bits per sequence number (present, signed), from the first one marked
 * present; grows if it must. Ranges are marked and searched a byte at a
 * time: a sealed sector marks its records in one call.
 */
export class SeqBits {
  first = 0;
  private present: Uint8Array;
  private signed: Uint8Array;
  constructor(capacity: number) {
    const bytes = Math.max(32, capacity >> 3);
    this.present = new Uint8Array(bytes);
    this.signed = new Uint8Array(bytes);
  }
  mark(seq: number, kind: number): void {
    if (this.first === 0) {
      if (kind !== PRESENT) return;
      this.first = seq;
    }
    const i = seq - this.first;
    if (i < 0) return;
    this.room(i);
    (kind === PRESENT ? this.present : this.signed)[i >> 3] |= 1 << (i & 7);
  }
  /** Marks every number in [from, to]. */
  markRange(from: number, to: number, kind: number): void {
    if (this.first === 0) {
      if (kind !== PRESENT) return;
      this.first = from;
    }
    let i = Math.max(0, from - this.first);
    const end = to - this.first;
    if (end < i) return;
    this.room(end);
    const a = kind === PRESENT ? this.present : this.signed;
    for (; i <= end && (i & 7) !== 0; i++) a[i >> 3] |= 1 << (i & 7);
    for (; i + 7 <= end; i += 8) a[i >> 3] = 0xff;
    for (; i <= end; i++) a[i >> 3] |= 1 << (i & 7);
  }
  /** Marks signed every number in [from, to] marked present. */
  signWherePresent(from: number, to: number): void {
    if (this.first === 0) return;
    const last = Math.min(to - this.first, (this.present.length << 3) - 1);
    let i = Math.max(0, from - this.first);
    const p = this.present;
    const s = this.signed;
    for (; i <= last && (i & 7) !== 0; i++) s[i >> 3] |= p[i >> 3] & (1 << (i & 7));
    for (; i + 7 <= last; i += 8) s[i >> 3] |= p[i >> 3];
    for (; i <= last; i++) s[i >> 3] |= p[i >> 3] & (1 << (i & 7));
  }
  has(seq: number, kind: number): boolean {
    const i = seq - this.first;
    return this.first > 0 && i >= 0 && i >> 3 < this.present.length && ((kind === PRESENT ? this.present : this.signed)[i >> 3] & (1 << (i & 7))) !== 0;
  }
  /** The first number in [from, to] present and not signed, or 0. */
  firstUnsigned(from: number, to: number): number {
    if (this.first === 0) return 0;
    const last = Math.min(to - this.first, (this.present.length << 3) - 1);
    for (let i = Math.max(0, from - this.first); i <= last; ) {
      if ((i & 7) === 0 && i + 7 <= last && (this.present[i >> 3] & ~this.signed[i >> 3]) === 0) {
        i += 8;
        continue;
      }
      if ((this.present[i >> 3] & ~this.signed[i >> 3] & (1 << (i & 7))) !== 0) return this.first + i;
      i++;
    }
    return 0;
  }
  private room(index: number): void {
    if (index >> 3 < this.present.length) return;
    const bytes = Math.max(this.present.length * 2, (index >> 3) + 1);
    const p = new Uint8Array(bytes);
    const s = new Uint8Array(bytes);
    p.set(this.present);
    s.set(this.signed);
    this.present = p;
    this.signed = s;
  }
}
