import type { FlashRegion } from '../../hal/flash.js';
import { fromUtf8 } from '../codec/bytes.js';
import { encodeCbor } from '../codec/cbor.js';
import { crc32 } from '../codec/crc32.js';
import { TokenUpdateError } from './errors.js';
import { put32, u32 } from './format.js';
import { TOKEN_TYPES, WHITELISTS } from './types.js';

/** One change as the overlay stores it: [uid] removes, the 6-tuple sets. */
export type OverlayOp = [string] | [string, number, number, boolean, number, string | null];

export interface OverlayRecord {
  /** List version of the image the record applies to. */
  base: number;
  from: number;
  to: number;
  ops: OverlayOp[];
}

/**
 * A record as it lies in flash (or in the frame about to be written), its head
 * checked (a scan leaves its ops to the visitor): bytes[i] is the region's byte
 * origin + i.
 */
export interface RecordView {
  bytes: Uint8Array;
  origin: number;
  /** The payload is bytes[start, end). */
  start: number;
  end: number;
  base: number;
  from: number;
  to: number;
  /** bytes[toAt]: the head of `to`, before the ops. */
  toAt: number;
  /** Ops, the first at bytes[opsAt], each right after the one before. */
  count: number;
  opsAt: number;
  /** Set by frame(), which checks the ops: the largest partner index they name (-1: none). */
  maxPartner?: number;
}

const MARK = 0xa5;
const HEAD = 9; // mark u8, length u32, crc32 u32
/** Longest uid and group id (bytes) an op may carry: OCPI CiString(36); a group is 36 UTF-16 units. */
const MAX_UID = 36;
const MAX_GROUP = 108;
// The record's keys as cbor-x writes them (a one-byte text head, then the name): compared as
// bytes, since a string compare costs more on XS (and allocates, for a literal).
const BASE = Uint8Array.of(0x64, 0x62, 0x61, 0x73, 0x65);
const FROM = Uint8Array.of(0x64, 0x66, 0x72, 0x6f, 0x6d);
const TO = Uint8Array.of(0x62, 0x74, 0x6f);
const OPS = Uint8Array.of(0x63, 0x6f, 0x70, 0x73);

/** Longest op the reader takes: what one read needs where flash is not mapped. */
export const MAX_OP_BYTES = 1 + (2 + MAX_UID) + 3 + 1 + 1 + 1 + (2 + MAX_GROUP);

/**
 * Reads records in place, as add() frames them (cbor-x, plain maps): a map of
 * `base`, `from`, `to` (u32) and `ops`, in that order, each op [uid] or [uid,
 * partner, whitelist, valid, type, group|null], uids printable ASCII. Anything
 * else, whatever CBOR it is, is not a record of the store's. The fields hold the
 * results of the last read: no allocation per record or per op.
 */
export class OverlayReader {
  // The last head: its argument, and where the item after it starts.
  private v = 0;
  private n = 0;
  /** The last op: where it ends and where its fields are, in the bytes it was read from. */
  end = 0;
  uidAt = 0;
  uidLength = 0;
  /** false: the op removes the uid. */
  set = false;
  partner = 0;
  whitelist = 0;
  valid = false;
  type = 0;
  groupAt = 0;
  /** -1: no group. */
  groupLength = -1;
  /** The last record's head. */
  base = 0;
  from = 0;
  to = 0;
  toAt = 0;
  count = 0;
  opsAt = 0;
  /** The largest partner index the ops of the last record() name; -1 if none. */
  maxPartner = -1;

  /** Checks the payload bytes[at, end) and every op in it. */
  record(b: Uint8Array, at: number, end: number): boolean {
    if (!this.head(b, at, end)) return false;
    let p = this.opsAt, max = -1;
    for (let i = 0; i < this.count; i++) {
      if (!this.op(b, p, end) || !this.printable(b)) return false;
      if (this.set && this.partner > max) max = this.partner;
      p = this.end;
    }
    this.maxPartner = max;
    return p === end;
  }

  /** Reads base, from, to and the ops' count and start only. */
  head(b: Uint8Array, at: number, end: number): boolean {
    if (this.item(b, at, end) !== 5 || this.v !== 4) return false;
    if (!this.key(b, this.n, end, BASE) || this.item(b, this.n, end) !== 0) return false;
    this.base = this.v;
    if (!this.key(b, this.n, end, FROM) || this.item(b, this.n, end) !== 0) return false;
    this.from = this.v;
    if (!this.key(b, this.n, end, TO)) return false;
    this.toAt = this.n;
    if (this.item(b, this.n, end) !== 0) return false;
    this.to = this.v;
    if (!this.key(b, this.n, end, OPS) || this.item(b, this.n, end) !== 4) return false;
    this.count = this.v;
    this.opsAt = this.n;
    return true;
  }

  /** The unsigned integer at bytes[at], or -1. */
  uint(b: Uint8Array, at: number, end: number): number {
    return this.item(b, at, end) === 0 ? this.v : -1;
  }

  /**
   * Reads the op at bytes[at], which must end by `end` (printable() checks its uid's
   * characters). Heads as cbor-x writes them, the shortest form: one byte for the
   * array, for whitelist and type, for a text under 24 bytes (two up to 255); a
   * partner index in 1 to 3 bytes. Read inline: this runs once per change at boot.
   */
  op(b: Uint8Array, at: number, end: number): boolean {
    if (at + 2 > end) return false;
    const a = b[at];
    if (a !== 0x81 && a !== 0x86) return false;
    let p = at + 1, c = b[p], len: number;
    if (c > 0x60 && c < 0x78) { len = c - 0x60; p += 1; }
    else if (c === 0x78 && p + 1 < end) { len = b[p + 1]; p += 2; }
    else return false;
    if (len < 1 || len > MAX_UID || p + len > end) return false;
    this.uidAt = p;
    this.uidLength = len;
    p += len;
    this.set = a === 0x86;
    if (!this.set) {
      this.end = p;
      return true;
    }
    // partner, whitelist, valid, type, then the group's first byte: 5 bytes at least.
    if (p + 5 > end) return false;
    c = b[p];
    if (c < 0x18) { this.partner = c; p += 1; }
    else if (c === 0x18) { this.partner = b[p + 1]; p += 2; }
    else if (c === 0x19) { this.partner = b[p + 1] * 256 + b[p + 2]; p += 3; }
    else return false;
    if (p + 4 > end) return false;
    const wl = b[p], valid = b[p + 1], type = b[p + 2];
    if (wl >= WHITELISTS.length || (valid !== 0xf4 && valid !== 0xf5) || type >= TOKEN_TYPES.length) return false;
    this.whitelist = wl;
    this.valid = valid === 0xf5;
    this.type = type;
    p += 3;
    c = b[p];
    if (c === 0xf6) {
      this.groupLength = -1;
      this.end = p + 1;
      return true;
    }
    if (c >= 0x60 && c < 0x78) { len = c - 0x60; p += 1; }
    else if (c === 0x78 && p + 1 < end) { len = b[p + 1]; p += 2; }
    else return false;
    if (len > MAX_GROUP || p + len > end) return false;
    this.groupAt = p;
    this.groupLength = len;
    this.end = p + len;
    return true;
  }

  /** Whether the uid of the last op is printable ASCII, as canonical uids are: a byte is then the UTF-16 unit a lookup compares. */
  printable(b: Uint8Array): boolean {
    for (let i = this.uidAt, e = i + this.uidLength; i < e; i++) if (b[i] < 0x21 || b[i] > 0x7e) return false;
    return true;
  }

  /** The last op as the store wrote it. */
  decode(b: Uint8Array): OverlayOp {
    let uid = '';
    for (let i = this.uidAt; i < this.uidAt + this.uidLength; i++) uid += String.fromCharCode(b[i]);
    if (!this.set) return [uid];
    return [uid, this.partner, this.whitelist, this.valid, this.type, this.group(b) ?? null];
  }

  /** The group id of the last op, if it has one. */
  group(b: Uint8Array): string | undefined {
    return this.groupLength < 0 ? undefined : fromUtf8(b.subarray(this.groupAt, this.groupAt + this.groupLength));
  }

  private key(b: Uint8Array, at: number, end: number, key: Uint8Array): boolean {
    const n = key.length;
    if (at + n > end) return false;
    for (let i = 0; i < n; i++) if (b[at + i] !== key[i]) return false;
    this.n = at + n;
    return true;
  }

  // A CBOR head of a definite length or an unsigned integer up to 32 bits: its major type, or -1.
  private item(b: Uint8Array, at: number, end: number): number {
    if (at >= end) return -1;
    const first = b[at], info = first & 31;
    let v = info, n = at + 1;
    if (info === 24) {
      if (n + 1 > end) return -1;
      v = b[n];
      n += 1;
    } else if (info === 25) {
      if (n + 2 > end) return -1;
      v = b[n] * 256 + b[n + 1];
      n += 2;
    } else if (info === 26) {
      if (n + 4 > end) return -1;
      v = ((b[n] * 256 + b[n + 1]) * 256 + b[n + 2]) * 256 + b[n + 3];
      n += 4;
    } else if (info > 26) return -1;
    this.v = v;
    this.n = n;
    return first >> 5;
  }
}

/** Where appending resumes and what the log holds, as found by one walk over the region. */
interface LogState {
  append: number;
  /** Torn or unreadable bytes were skipped: the region needs an erase before records of a new image. */
  stale: boolean;
  /** Image versions the log has records of: one, or none after an erase. */
  bases: number[];
}

/**
 * Differentials in force on top of the table: an append-only log of CRC-framed
 * records in their own region. Records of an older image are stale and the
 * region is erased before the next append. A torn record is skipped to the next
 * flash block, where appending resumes.
 *
 * The log keeps no record in RAM. Records are read in place (the mapped region,
 * or one record at a time where flash is not mapped) and handed over as views;
 * the store indexes their ops by flash offset.
 */
export class OverlayLog {
  // Undefined until the first walk: the store's boot replay is that walk, so boot reads the region once.
  private state?: LogState;
  private view?: Uint8Array;
  private readonly reader = new OverlayReader();

  constructor(private readonly region: FlashRegion) {}

  /**
   * Hands `visit` the records that chain from image version `base`, in order, as
   * views valid for the call only, their ops unchecked. The chain moves on only
   * past a record `visit` takes (returns true): one it refuses (ops malformed, or
   * not for the image) is stepped over like a malformed one.
   */
  scan(base: number, visit: (record: RecordView) => boolean): void {
    let version = base;
    this.walk((r) => {
      if (r.base === base && r.from === version && visit(r)) version = r.to;
    });
  }

  /** The same records decoded, each only for the call: for tools and tests. */
  replay(base: number, visit: (record: OverlayRecord) => void): void {
    const reader = new OverlayReader();
    this.scan(base, (r) => {
      if (!reader.record(r.bytes, r.start, r.end)) return false;
      const ops: OverlayOp[] = [];
      for (let i = 0, at = r.opsAt; i < r.count; i++, at = reader.end) {
        reader.op(r.bytes, at, r.end);
        ops.push(reader.decode(r.bytes));
      }
      visit({ base: r.base, from: r.from, to: r.to, ops });
      return true;
    });
  }

  /** The same records as an array, for tools; the device replays them instead. */
  chain(base: number): OverlayRecord[] {
    const out: OverlayRecord[] = [];
    this.replay(base, (r) => out.push(r));
    return out;
  }

  /**
   * The record framed for append(), read back as boot will read it: what cannot be
   * is refused here (BAD_FORMAT), never written.
   */
  frame(record: OverlayRecord): RecordView {
    const payload = encodeCbor(record);
    const out = new Uint8Array(HEAD + payload.length);
    out[0] = MARK;
    put32(out, 1, payload.length);
    out.set(payload, HEAD);
    put32(out, 5, crc32(out, HEAD));
    const r = this.reader;
    if (!r.record(out, HEAD, out.length)) throw new TokenUpdateError('BAD_FORMAT', 'overlay record would not read back');
    return { bytes: out, origin: 0, start: HEAD, end: out.length, base: r.base, from: r.from, to: r.to, toAt: r.toAt, count: r.count, opsAt: r.opsAt, maxPartner: r.maxPartner };
  }

  /** Appends a framed record (its origin is set to where it lands); makes room first when the log holds only records of an older image. */
  append(framed: RecordView): void {
    const out = framed.bytes;
    if (!this.state) this.walk(() => {});
    let s = this.state!;
    const keepsCurrent = s.bases.indexOf(framed.base) >= 0;
    if ((s.stale || s.bases.length > 0) && !keepsCurrent) s = this.clear();
    if (s.append + out.length > this.region.byteLength)
      throw new TokenUpdateError('OVERLAY_FULL', `overlay region ${this.region.name} is full: send a full image`);
    if (!this.erasedAt(s.append, out.length)) {
      // Left over from a cut erase or a torn append.
      if (keepsCurrent) throw new TokenUpdateError('OVERLAY_FULL', `overlay region ${this.region.name} needs compaction: send a full image`);
      s = this.clear();
    }
    this.view = undefined;
    this.region.write(s.append, out);
    if (s.bases.indexOf(framed.base) < 0) s.bases.push(framed.base);
    framed.origin = s.append;
    s.append += out.length;
  }

  add(record: OverlayRecord): RecordView {
    const framed = this.frame(record);
    this.append(framed);
    return framed;
  }

  /** The region memory-mapped, where the platform maps flash; kept until the log writes or erases. */
  mapped(): Uint8Array | undefined {
    if (!this.view && this.region.map) this.view = this.region.map();
    return this.view;
  }

  get byteLength(): number {
    return this.region.byteLength;
  }

  /** Up to `length` bytes at `offset`, fewer at the region's end. */
  read(offset: number, length: number): Uint8Array {
    return this.region.read(offset, Math.min(length, this.region.byteLength - offset));
  }

  private erasedAt(offset: number, length: number): boolean {
    const b = this.region.read(offset, length);
    for (let i = 0; i < b.length; i++) if (b[i] !== 0xff) return false;
    return true;
  }

  private clear(): LogState {
    this.view = undefined;
    // Last block first: a cut leaves the log's start readable, or erased up to junk that add() checks for.
    for (let b = this.region.byteLength / this.region.blockSize - 1; b >= 0; b--) this.region.erase(b);
    return (this.state = { append: 0, stale: false, bases: [] });
  }

  // Record by record, in place where flash is mapped; else one read per record (a whole-region
  // read would be a heap copy of the region). The state is kept only once the walk is complete:
  // a visit that throws leaves it to the next walk.
  private walk(visit: (record: RecordView) => void): void {
    const bs = this.region.blockSize;
    const size = this.region.byteLength;
    const found: LogState = { append: 0, stale: false, bases: [] };
    const map = this.mapped();
    const r = this.reader;
    // One view for the walk, refilled per record: valid for the visit only.
    const view: RecordView = { bytes: new Uint8Array(0), origin: 0, start: 0, end: 0, base: 0, from: 0, to: 0, toAt: 0, count: 0, opsAt: 0 };
    let o = 0;
    while (o + HEAD <= size) {
      const head = map ?? this.region.read(o, HEAD);
      const h = map ? o : 0;
      if (head[h] === 0xff) break;
      const len = u32(head, h + 1);
      let bytes: Uint8Array | undefined;
      let start = 0;
      if (head[h] === MARK && o + HEAD + len <= size) {
        bytes = map ?? this.region.read(o + HEAD, len);
        start = map ? o + HEAD : 0;
        if (u32(head, h + 5) !== crc32(bytes, start, start + len)) bytes = undefined;
      }
      if (!bytes) {
        found.stale = true;
        o = (Math.floor(o / bs) + 1) * bs;
        continue;
      }
      // Its CRC vouches for its length: a record of another shape is stepped over, the ones after it
      // kept. The head is checked here, the ops by the visitor as it takes them (one pass at boot).
      const origin = map ? 0 : o + HEAD;
      o += HEAD + len;
      if (!r.head(bytes, start, start + len)) {
        found.stale = true;
        continue;
      }
      if (found.bases.indexOf(r.base) < 0) found.bases.push(r.base);
      view.bytes = bytes;
      view.origin = origin;
      view.start = start;
      view.end = start + len;
      view.base = r.base;
      view.from = r.from;
      view.to = r.to;
      view.toAt = r.toAt;
      view.count = r.count;
      view.opsAt = r.opsAt;
      visit(view);
    }
    found.append = Math.min(o, size);
    this.state = found;
  }
}
