import { MAX_OP_BYTES, OverlayReader, type OverlayLog, type RecordView } from './overlay.js';
import { TOKEN_TYPES, WHITELISTS, type Partner, type TokenEntry } from './types.js';

// A hash of the uid's characters, two at a time (fewer steps of a loop XS meters): printable
// ASCII, so the same value as of its bytes in a record (take()). Multiplier below 2^21: the
// product stays an exact double, no Math.imul call.
export function hashUid(uid: string): number {
  let h = 0, i = 0;
  const n = uid.length;
  for (; i + 1 < n; i += 2) h = ((h ^ ((uid.charCodeAt(i) << 8) | uid.charCodeAt(i + 1))) * 1000003) >>> 0;
  if (i < n) h = ((h ^ uid.charCodeAt(i)) * 1000003) >>> 0;
  return h;
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
 * its entries. 8 bytes per change, 4 per record, and a 1 KiB directory.
 *
 * Exact: a hash only says where to look. A lookup reads the ops under its hash
 * from flash, latest first, and answers from the first whose uid equals the one
 * sought, byte for byte; every op is indexed under the hash of its own uid, so
 * none under the hash means the overlay has no change of that uid.
 */
export class OverlayIndex {
  private keys: Float64Array = new Float64Array(0);
  // Where the keys of each value of a hash's top 8 bits begin (256 + 1): a lookup bisects one
  // bucket (~10 keys at the bound) instead of all, on every tap that misses the overlay.
  private dir?: Uint32Array;
  private tos: Uint32Array = new Uint32Array(0);
  private records = 0;
  /** Changes taken (a uid changed twice counts twice): what the store's bound limits. */
  changes = 0;
  private sorted = true;
  private readonly scale: number;
  private readonly hashShift: number;
  /** A key's bucket is ⌊key / bucketScale⌋: the top 8 bits of its hash. */
  private readonly bucketScale: number;
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
    this.bucketScale = this.scale * 2 ** (24 - this.hashShift);
  }

  reset(): void {
    this.keys = new Float64Array(0);
    this.dir = undefined;
    this.tos = new Uint32Array(0);
    this.records = this.changes = 0;
    this.sorted = true;
  }

  /** RAM the index holds (its arrays). */
  get bytes(): number {
    return this.keys.byteLength + this.tos.byteLength + (this.dir ? this.dir.byteLength : 0);
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
      // Printable ASCII (as canonical uids are: a byte is the UTF-16 unit a lookup hashes), hashed in the same loop.
      let h = 0, j = rd.uidAt;
      const e = j + rd.uidLength;
      for (; j + 1 < e; j += 2) {
        const c = b[j], d = b[j + 1];
        if (c < 0x21 || c > 0x7e || d < 0x21 || d > 0x7e) return false;
        h = ((h ^ ((c << 8) | d)) * 1000003) >>> 0;
      }
      if (j < e) {
        const c = b[j];
        if (c < 0x21 || c > 0x7e) return false;
        h = ((h ^ c) * 1000003) >>> 0;
      }
      this.keys[n++] = (h >>> shift) * scale + r.origin + at;
    }
    if (at !== end) return false;
    // Keys past `changes` are not in force until here: a refused record leaves nothing.
    if (r.count > 0) {
      this.changes = n;
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
    const k = this.keys, n = this.changes, scale = this.scale, h = hashUid(uid), dir = this.dir!;
    const low = (h >>> this.hashShift) * scale, high = low + scale;
    let lo = dir[h >>> 24], hi = dir[(h >>> 24) + 1];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (k[mid] < low) lo = mid + 1;
      else hi = mid;
    }
    let e = lo;
    while (e < n && k[e] < high) e++;
    const rd = this.reader;
    for (let j = e - 1; j >= lo; j--) {
      const o = k[j] - low;
      const b = this.load(o);
      if (!rd.op(b, this.winAt, b.length)) return null;
      if (!rd.uidIs(b, uid)) continue;
      const partner = partners[rd.partner];
      if (!rd.set || !partner) return null;
      const group = rd.group(b);
      const version = this.versionAt(o);
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
    const k = this.keys, n = this.changes, unit = this.bucketScale;
    k.subarray(0, n).sort();
    const d = (this.dir ??= new Uint32Array(257));
    let i = 0;
    for (let b = 0; b < 256; b++) {
      d[b] = i;
      const next = (b + 1) * unit;
      while (i < n && k[i] < next) i++;
    }
    d[256] = n;
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
  private versionAt(offset: number): number {
    const t = this.tos;
    let lo = 0, hi = this.records - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (t[mid] < offset) lo = mid;
      else hi = mid - 1;
    }
    const b = this.load(t[lo], 5);
    return this.reader.uint(b, this.winAt, b.length);
  }

  // Bytes holding region[offset, offset + length): the mapped region, or a read of them.
  private load(offset: number, length = MAX_OP_BYTES): Uint8Array {
    const m = this.log.mapped();
    if (m) {
      this.winAt = offset;
      return m;
    }
    this.winAt = 0;
    return this.log.read(offset, length);
  }
}
