import { MAX_OP_BYTES, OverlayReader, type OverlayLog, type RecordView } from './overlay.js';
import { TOKEN_TYPES, WHITELISTS, type Partner, type TokenEntry } from './types.js';

// Any character but an upper-case hex digit: one RegExp made once (a literal in a function is a new object per call on XS).
const NOT_HEX = /[^0-9A-F]/;
// Below 2^21: (a 32-bit value) × M stays an exact double, no Math.imul call.
const M = 1000003;
// Held once: a global's property is looked up on every call otherwise.
const fromCharCode = String.fromCharCode;
// A byte's value as an upper-case hex digit, -1 if it is not one.
const DIGIT = new Int8Array(256).fill(-1);
for (let c = 0; c < 16; c++) DIGIT['0123456789ABCDEF'.charCodeAt(c)] = c;

/**
 * A hash of a uid, or -1 if it holds a character no op can (boot refuses a uid
 * that is not printable ASCII). Upper-case hex (canonical uids, card numbers) is
 * hashed as numbers, 8 digits a native parseInt (~35 XS units each); any other
 * text a character pair a step (~60 units each). It only says where to look: the
 * index compares the uid itself, and holds it in RAM only (rebuilt at boot), so
 * the function may change with no change on flash.
 */
export function hashUid(uid: string): number {
  const n = uid.length;
  if (n === 0 || NOT_HEX.test(uid)) return hashText(uid);
  // Three chunks unrolled (20-digit uids), a loop past them.
  let h = ((n ^ parseInt(uid.substring(0, 8), 16)) * M) >>> 0;
  if (n > 8) h = ((h ^ parseInt(uid.substring(8, 16), 16)) * M) >>> 0;
  if (n > 16) h = ((h ^ parseInt(uid.substring(16, 24), 16)) * M) >>> 0;
  for (let i = 24; i < n; i += 8) h = ((h ^ parseInt(uid.substring(i, i + 8), 16)) * M) >>> 0;
  return h;
}

function hashText(uid: string): number {
  let h = 0, i = 0;
  const n = uid.length;
  for (; i + 1 < n; i += 2) {
    const c = uid.charCodeAt(i), d = uid.charCodeAt(i + 1);
    if (c < 0x21 || c > 0x7e || d < 0x21 || d > 0x7e) return -1;
    h = ((h ^ ((c << 8) | d)) * M) >>> 0;
  }
  if (i < n) {
    const c = uid.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return -1;
    h = ((h ^ c) * M) >>> 0;
  }
  return h;
}

/**
 * hashUid of the uid whose bytes are b[at, at + n) (each byte the UTF-16 unit of its
 * value), or -1 if one is not printable ASCII. Boot runs it once per change, with no
 * allocation: the hex digits are summed as parseInt would, a run of 8 a value, two a step.
 */
export function hashUidBytes(b: Uint8Array, at: number, n: number): number {
  const end = at + n;
  let h = n, v = 0, k = 0, i = at;
  for (; i + 1 < end; i += 2) {
    const x = DIGIT[b[i]], y = DIGIT[b[i + 1]];
    if ((x | y) < 0) return hashTextBytes(b, at, end);
    v = v * 256 + x * 16 + y;
    if ((k += 2) === 8) {
      h = ((h ^ v) * M) >>> 0;
      v = k = 0;
    }
  }
  if (i < end) {
    const x = DIGIT[b[i]];
    if (x < 0) return hashTextBytes(b, at, end);
    v = v * 16 + x;
    k++;
  }
  return k > 0 ? ((h ^ v) * M) >>> 0 : h;
}

function hashTextBytes(b: Uint8Array, at: number, end: number): number {
  let h = 0, i = at;
  for (; i + 1 < end; i += 2) {
    const c = b[i], d = b[i + 1];
    if (c < 0x21 || c > 0x7e || d < 0x21 || d > 0x7e) return -1;
    h = ((h ^ ((c << 8) | d)) * M) >>> 0;
  }
  if (i < end) {
    if (b[i] < 0x21 || b[i] > 0x7e) return -1;
    h = ((h ^ b[i]) * M) >>> 0;
  }
  return h;
}

/** Bits of a uid's hash its bucket in the index's directory is. */
const KEY_BITS = 9;

type Directory = Uint16Array | Uint32Array;

// 16-bit entries while the counts fit (they do at any bound a device's heap allows): half the RAM.
function directory(old: Directory | undefined, length: number, count: number): Directory {
  const wide = count > 0xffff;
  if (old && old instanceof Uint32Array === wide) return old;
  return wide ? new Uint32Array(length) : new Uint16Array(length);
}

/** d[b]: the first of the sorted values[0, count) at or above b · unit; its last entry `count`. */
function fill(d: Directory, values: Float64Array | Uint32Array, count: number, unit: number): void {
  const last = d.length - 1;
  let i = 0;
  for (let b = 0; b < last; b++) {
    d[b] = i;
    const next = (b + 1) * unit;
    while (i < count && values[i] < next) i++;
  }
  d[last] = count;
}

// Doubling, but stopping at the bound once: at the bound the array holds it exactly.
function size(length: number, need: number, first: number, bound: number): number {
  let n = length > 0 ? length * 2 : first;
  if (n > bound && need <= bound) n = bound;
  return n < need ? need : n;
}

/**
 * The overlay's RAM: where each change in force lies in the overlay log, and
 * nothing the log already holds. Per change, one double: a hash of its uid
 * times 2^s plus the flash offset of its op (s: the bits of an offset in the
 * region), sorted, so the ops of one hash are together in log order. Per record
 * holding changes, the flash offset of its `to` (a u32): the version that set
 * its entries. 8 bytes per change, 4 per record, and two directories (1.5 KiB).
 *
 * Exact: a hash only says where to look. A lookup reads the ops under its hash
 * from flash, latest first, and answers from the first whose uid equals the one
 * sought, byte for byte; every op is indexed under the hash of its own uid, so
 * none under the hash means the overlay has no change of that uid.
 */
export class OverlayIndex {
  private keys: Float64Array = new Float64Array(0);
  // Where the keys of each value of a hash's top KEY_BITS bits begin: a lookup bisects one
  // bucket (~5 keys at the bound) instead of all, on every tap that misses the overlay.
  private dir?: Directory;
  private tos: Uint32Array = new Uint32Array(0);
  // Where the records whose `to` lies in each 256th of the region begin: a hit bisects a few
  // records for its version instead of all (12 steps with records of one change at the bound).
  private toDir?: Directory;
  private records = 0;
  // The `to` of the first record held, and whether each record since raised the version by one (the
  // usual chain): then a hit's version is the first's plus its record's index, with no read of flash.
  private firstTo = 0;
  private lastTo = 0;
  private byOne = true;
  /** Changes taken (a uid changed twice counts twice): what the store's bound limits. */
  changes = 0;
  private sorted = true;
  private readonly scale: number;
  private readonly hashShift: number;
  /** A key's bucket is ⌊key / bucketScale⌋: the top KEY_BITS bits of its hash. */
  private readonly bucketScale: number;
  /** A record's slice (of 256) is the offset of its `to` >>> toShift. */
  private readonly toShift: number;
  private readonly reader = new OverlayReader();
  // Where the last load() put region[offset] in the bytes it returned.
  private winAt = 0;

  /** `bound`: the changes the store allows; the arrays stop growing there (a longer log at boot still fits). */
  constructor(private readonly log: OverlayLog, private readonly bound: number) {
    let bits = 1;
    while (2 ** bits < log.byteLength) bits++;
    this.scale = 2 ** bits;
    // hash · 2^bits + offset stays below 2^53: regions past 2 MiB keep fewer hash bits (still exact, more to read).
    this.hashShift = bits > 21 ? bits - 21 : 0;
    this.bucketScale = this.scale * 2 ** (32 - KEY_BITS - this.hashShift);
    this.toShift = bits > 8 ? bits - 8 : 0;
  }

  reset(): void {
    this.keys = new Float64Array(0);
    this.dir = this.toDir = undefined;
    this.tos = new Uint32Array(0);
    this.records = this.changes = 0;
    this.byOne = true;
    this.sorted = true;
  }

  /** RAM the index holds (its arrays). */
  get bytes(): number {
    return this.keys.byteLength + this.tos.byteLength + (this.dir ? this.dir.byteLength + this.toDir!.byteLength : 0);
  }

  /** Uids changed: each with its latest change. */
  get size(): number {
    this.sort();
    const k = this.keys, n = this.changes;
    let count = 0;
    for (let i = 0; i < n;) {
      const next = (Math.floor(k[i] / this.scale) + 1) * this.scale;
      let e = i + 1;
      while (e < n && k[e] < next) e++;
      // One op under a hash is one uid; several are compared (a uid changed again, or a collision).
      for (let a = i; a < e; a++) {
        let later = false;
        for (let b = a + 1; b < e && !later; b++) later = this.sameUid(k[a] % this.scale, k[b] % this.scale);
        if (!later) count++;
      }
      i = e;
    }
    return count;
  }

  /**
   * Indexes the ops of a record the log holds (origin set), later ones over earlier
   * ones of a uid, if they are well formed (the log checked only its head) and each
   * names a partner of the image (KD-2: src/auth reads token.partner); else nothing.
   * One pass: the record is read once at boot.
   */
  take(r: RecordView, partners: number): boolean {
    // An op is 3 bytes at least: a count no record could hold is refused before anything is reserved.
    if (r.count > (r.end - r.opsAt) / 3) return false;
    this.reserve(r.count);
    const rd = this.reader, b = r.bytes, end = r.end, scale = this.scale, shift = this.hashShift;
    let at = r.opsAt, n = this.changes;
    for (let i = 0; i < r.count; i++, at = rd.end) {
      if (!rd.op(b, at, end) || (rd.set && rd.partner >= partners)) return false;
      const h = hashUidBytes(b, rd.uidAt, rd.uidLength);
      if (h < 0) return false;
      this.keys[n++] = (h >>> shift) * scale + r.origin + at;
    }
    if (at !== end) return false;
    // Keys past `changes` are not in force until here: a refused record leaves nothing.
    if (r.count > 0) {
      this.changes = n;
      if (this.records === 0) this.firstTo = r.to;
      else if (r.to !== this.lastTo + 1) this.byOne = false;
      this.lastTo = r.to;
      this.tos[this.records++] = r.origin + r.toAt;
      // Sorted at the next lookup: boot indexes every record first, then sorts once.
      this.sorted = false;
    }
    return true;
  }

  private reserve(count: number): void {
    if (this.records === this.tos.length) {
      const t = new Uint32Array(size(this.tos.length, this.records + 1, 16, this.bound));
      t.set(this.tos);
      this.tos = t;
    }
    // The bound at once: what a device must hold anyway, and no growth (garbage, or a copy) after.
    if (this.changes + count > this.keys.length) {
      const k = new Float64Array(size(this.keys.length, this.changes + count, this.bound, this.bound));
      k.set(this.keys);
      this.keys = k;
    }
  }

  /**
   * The overlay's answer for `uid` (upper case): undefined when it holds no change
   * of it; null when its latest change removes it, or that op no longer reads as
   * indexed (refused, never left to the table).
   */
  lookup(uid: string, partners: readonly Partner[]): TokenEntry | null | undefined {
    if (this.changes === 0) return undefined;
    if (!this.sorted) this.sort();
    const h = hashUid(uid);
    if (h < 0) return undefined;
    const k = this.keys, scale = this.scale, dir = this.dir!, bucket = h >>> (32 - KEY_BITS);
    const low = (h >>> this.hashShift) * scale, high = low + scale, end = dir[bucket + 1];
    let lo = dir[bucket], hi = end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (k[mid] < low) lo = mid + 1;
      else hi = mid;
    }
    let e = lo;
    while (e < end && k[e] < high) e++;
    if (e === lo) return undefined;
    // Mapped flash once a lookup (the log drops its view when it writes).
    const rd = this.reader, m = this.log.mapped();
    for (let j = e - 1; j >= lo; j--) {
      const o = k[j] - low;
      // load(), inline: a call costs more than the rest of a hit's reading of its op.
      const b = m ?? this.log.read(o, MAX_OP_BYTES);
      if (!rd.op(b, m ? o : 0, b.length)) return null;
      // The op's uid against the one sought: one native call makes its bytes a string of those
      // units (exact: a byte is the UTF-16 unit at its place), ~300 XS units less than a loop over 14.
      const at = rd.uidAt, len = rd.uidLength;
      if (len !== uid.length || fromCharCode.apply(null, b.subarray(at, at + len) as unknown as number[]) !== uid) continue;
      const partner = partners[rd.partner];
      if (!rd.set || !partner) return null;
      const group = rd.groupLength < 0 ? undefined : rd.group(b);
      const version = this.versionAt(o, m);
      if (version < 0) return null;
      const entry: TokenEntry = { uid, partner, whitelist: WHITELISTS[rd.whitelist], valid: rd.valid, type: TOKEN_TYPES[rd.type], sourceVersion: version };
      if (group !== undefined) entry.groupId = group;
      return entry;
    }
    return undefined;
  }

  // Native, and only after inserts: once per boot and per differential.
  private sort(): void {
    if (this.sorted) return;
    const n = this.changes;
    this.keys.subarray(0, n).sort();
    fill((this.dir = directory(this.dir, (1 << KEY_BITS) + 1, n)), this.keys, n, this.bucketScale);
    // Records are taken in log order: `tos` is sorted already.
    fill((this.toDir = directory(this.toDir, 257, this.records)), this.tos, this.records, 2 ** this.toShift);
    this.sorted = true;
  }

  private sameUid(a: number, b: number): boolean {
    const rd = this.reader;
    const x = this.load(a);
    if (!rd.op(x, this.winAt, x.length)) return false;
    const at = rd.uidAt, n = rd.uidLength;
    // x stays valid: the mapped region again, or a read of its own.
    const y = this.load(b);
    if (!rd.op(y, this.winAt, y.length) || rd.uidLength !== n) return false;
    for (let i = 0; i < n; i++) if (x[at + i] !== y[rd.uidAt + i]) return false;
    return true;
  }

  /** `to` of the record holding the op at `offset`; -1 if it no longer reads. */
  private versionAt(offset: number, mapped: Uint8Array | undefined): number {
    const t = this.tos, d = this.toDir!, slice = offset >>> this.toShift;
    // The last record whose `to` lies before the op: the last of the earlier slices, or one of this one.
    let lo = d[slice] > 0 ? d[slice] - 1 : 0, hi = d[slice + 1] - 1;
    if (hi < 0) return -1;
    if (lo < hi) {
      // First a guess as if the slice's records were of one size (records of one change nearly are).
      const g = lo + ((((offset - t[lo]) * (hi - lo)) / (t[hi] - t[lo])) | 0);
      if (g >= lo && g <= hi) {
        if (t[g] >= offset) hi = g - 1;
        else if (g === hi || t[g + 1] >= offset) lo = hi = g;
        else lo = g + 1;
      }
    }
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (t[mid] < offset) lo = mid;
      else hi = mid - 1;
    }
    if (this.byOne) return this.firstTo + lo;
    const b = this.load(t[lo], 5, mapped);
    return this.reader.uint(b, this.winAt, b.length);
  }

  // Bytes holding region[offset, offset + length): the mapped region, or a read of them.
  private load(offset: number, length = MAX_OP_BYTES, m = this.log.mapped()): Uint8Array {
    if (m) {
      this.winAt = offset;
      return m;
    }
    this.winAt = 0;
    return this.log.read(offset, length);
  }
}
