import { fromUtf8 } from '../codec/bytes.js';
import { POPCOUNT, readBits } from './bits.js';
import { TokenUpdateError } from './errors.js';
import {
  BLOCK_SPAN, F_TYPE_SHIFT, F_VALID, FORMAT_VERSION, H, HEADER_FIXED, MAGIC, NO_GROUP, SECTION_BYTES,
  SECTION_KINDS, u16, u24, u32,
} from './format.js';
import { TOKEN_TYPES, WHITELISTS, type Partner, type TokenEntry, type TokenLookup } from './types.js';
import { uidKey } from './uid.js';

/** What the header says, checked against itself; small, read once per image. */
export interface TableHeader {
  headerLength: number;
  bodyLength: number;
  listVersion: number;
  createdAt: number;
  tokenCount: number;
  bodySha: Uint8Array;
  partners: Partner[];
  /** Palette tuples: partner index, whitelist index, flags. */
  palette: Uint16Array;
  attrBits: number;
  groupCount: number;
  groupOffset: number;
  sections: Array<{ kind: number; count: number; blockCount: number; indexOffset: number; dataOffset: number }>;
}

const bad = (message: string) => new TokenUpdateError('BAD_FORMAT', `token table: ${message}`);

/** Parses and checks a header. `bytes` may hold just the header. */
export function readHeader(bytes: Uint8Array): TableHeader {
  if (bytes.length < HEADER_FIXED) throw new TokenUpdateError('TRUNCATED', `token table header needs ${HEADER_FIXED} bytes, got ${bytes.length}`);
  if (u32(bytes, H.magic) !== MAGIC) throw bad('magic is not RTK1');
  if (u16(bytes, H.formatVersion) !== FORMAT_VERSION) throw bad(`format version ${u16(bytes, H.formatVersion)}, this device reads ${FORMAT_VERSION}`);
  const headerLength = u32(bytes, H.headerLength);
  if (headerLength < HEADER_FIXED || headerLength > bytes.length) throw new TokenUpdateError('TRUNCATED', `token table header of ${headerLength} bytes, ${bytes.length} available`);
  const bodyLength = u32(bytes, H.bodyLength);
  const partnerCount = u16(bytes, H.partnerCount);
  const paletteCount = u16(bytes, H.paletteCount);
  const attrBits = bytes[H.attrBits];
  if (bytes[H.sectionCount] !== SECTION_KINDS.length) throw bad('section count');
  if (paletteCount > 1 << attrBits || attrBits > 16) throw bad('palette larger than its index bits');
  const palette = new Uint16Array(3 * paletteCount);
  let o = HEADER_FIXED;
  if (o + 4 * paletteCount > headerLength) throw bad('palette past the header');
  for (let i = 0; i < paletteCount; i++, o += 4) {
    palette[3 * i] = u16(bytes, o);
    palette[3 * i + 1] = bytes[o + 2];
    palette[3 * i + 2] = bytes[o + 3];
    if (palette[3 * i] >= partnerCount || palette[3 * i + 1] >= WHITELISTS.length) throw bad(`palette tuple ${i} out of range`);
  }
  const partners: Partner[] = [];
  const text = (len: number) => {
    if (o + len > headerLength) throw bad('partner table past the header');
    const s = fromUtf8(bytes.subarray(o, o + len));
    o += len;
    return s;
  };
  for (let id = 0; id < partnerCount; id++) {
    if (o + 2 > headerLength) throw bad('partner table past the header');
    const allowedUsesTable = bytes[o] === 1;
    o += 1;
    const countryCode = text(bytes[o++]);
    const partyId = text(bytes[o++]);
    partners.push({ id, countryCode, partyId, allowedUsesTable });
  }
  if (o !== headerLength) throw bad('header length does not match its tables');
  const sections: TableHeader['sections'] = [];
  let end = 0;
  for (let s = 0; s < SECTION_KINDS.length; s++) {
    const at = H.sections + s * SECTION_BYTES;
    const sec = { kind: bytes[at], count: u32(bytes, at + 4), blockCount: u32(bytes, at + 8), indexOffset: u32(bytes, at + 12), dataOffset: u32(bytes, at + 16) };
    if (sec.kind !== SECTION_KINDS[s]) throw bad(`section ${s} is of kind ${sec.kind}`);
    const indexBytes = sec.kind === 0 ? 4 * sec.count : (sec.kind + 6) * sec.blockCount;
    if (sec.indexOffset < end || sec.dataOffset !== sec.indexOffset + indexBytes || sec.dataOffset > bodyLength) throw bad(`section ${s} offsets`);
    if ((sec.count === 0) !== (sec.blockCount === 0) && sec.kind !== 0) throw bad(`section ${s} counts`);
    end = sec.dataOffset;
    sections.push(sec);
  }
  const groupOffset = u32(bytes, H.groupOffset);
  const groupCount = u32(bytes, H.groupCount);
  if (groupOffset < end || groupOffset + 4 * groupCount > bodyLength) throw bad('group table offsets');
  return {
    headerLength, bodyLength, listVersion: u32(bytes, H.listVersion),
    createdAt: new DataView(bytes.buffer, bytes.byteOffset, HEADER_FIXED).getFloat64(H.createdAt, true),
    tokenCount: u32(bytes, H.tokenCount), bodySha: bytes.slice(H.bodySha, H.bodySha + 32),
    partners, palette, attrBits, groupCount, groupOffset, sections,
  };
}

/**
 * Lookups in place over a table image (a mapped flash slot or a buffer): a
 * binary search over the block index, then one block. Nothing is parsed or
 * allocated per token at open.
 */
export class TokenTable implements TokenLookup {
  readonly header: TableHeader;
  private readonly body: number;
  /** Where each section's data ends (absolute; the next section, or the group table, starts there). */
  private readonly ends: number[];
  /** Palette tuples in the header. */
  private readonly tuples: number;

  /** `bytes`: the image (header + body, signature after it is ignored). */
  constructor(private readonly bytes: Uint8Array) {
    this.header = readHeader(bytes);
    this.body = this.header.headerLength;
    if (bytes.length < this.body + this.header.bodyLength) throw new TokenUpdateError('TRUNCATED', 'token table body is shorter than its header says');
    // readHeader checked the sections monotonic and inside the body: every read of a
    // lookup is bounded by these (O(1) checks), so a corrupt or hostile body can make a
    // lookup answer undefined, never read past the image or answer a malformed entry.
    const s = this.header.sections;
    this.ends = s.map((_, i) => this.body + (i + 1 < s.length ? s[i + 1].indexOffset : this.header.groupOffset));
    this.tuples = this.header.palette.length / 3;
  }

  get listVersion(): number {
    return this.header.listVersion;
  }

  get size(): number {
    return this.header.tokenCount;
  }

  lookup(uid: string): TokenEntry | undefined {
    uid = uid.toUpperCase(); // OCPI uids are case-insensitive
    const key = uidKey(uid);
    const h = this.header;
    if (key.kind === 0) return this.lookupText(uid, h.sections[3], this.ends[3]);
    const s = key.kind === 4 ? 0 : key.kind === 7 ? 1 : 2;
    return this.lookupKey(uid, h.sections[s], this.ends[s], key.hi, key.lo);
  }

  /** `end`: where the section's data ends; nothing at or past it is read. */
  private lookupKey(uid: string, sec: TableHeader['sections'][0], end: number, thi: number, tlo: number): TokenEntry | undefined {
    const b = this.bytes;
    const kind = sec.kind;
    const entry = kind + 6;
    const hiBytes = kind - 6;
    const index = this.body + sec.indexOffset;
    // Last block whose first key is ≤ the key sought.
    let low = 0, high = sec.blockCount - 1, found = -1, fhi = 0, flo = 0;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const at = index + mid * entry;
      let khi = 0;
      for (let i = 0; i < hiBytes; i++) khi = khi * 256 + b[at + i];
      let klo = 0;
      for (let i = hiBytes > 0 ? hiBytes : 0; i < kind; i++) klo = klo * 256 + b[at + i];
      if (khi < thi || (khi === thi && klo <= tlo)) { found = mid; fhi = khi; flo = klo; low = mid + 1; }
      else high = mid - 1;
    }
    if (found < 0) return undefined;
    const d = thi === fhi ? tlo - flo : thi === fhi + 1 ? tlo + BLOCK_SPAN - flo : BLOCK_SPAN;
    if (d >= BLOCK_SPAN) return undefined;
    const at = index + found * entry;
    const data = this.body + sec.dataOffset + u32(b, at + kind);
    const count = b[at + kind + 4] + 1;
    const l = b[at + kind + 5];
    if (l > 47) return undefined; // corrupt: the compiler never writes more
    const unit = Math.pow(2, l);
    const hiPart = Math.floor(d / unit);
    // l = ⌊log2(span / count)⌋ keeps every high part of a block below 2·count: past it,
    // the key is not there (and the unary scan below stays within ~3·count bits).
    if (hiPart >= 2 * count) return undefined;
    const loPart = d - hiPart * unit;
    const attrBits = this.header.attrBits;
    const groupsAt = data + ((count * (l + attrBits) + 7) >>> 3);
    if (groupsAt >= end) return undefined;
    let p = groupsAt + 1 + 4 * b[groupsAt]; // byte of the unary high parts
    const last = end - 1; // the last byte the unary scan may read
    if (p > last) return undefined;
    // Skip hiPart zeros (one per step of the high part); count ones as entries passed.
    let zeros = 0, ones = 0, bit = 7, byte = b[p];
    if (hiPart > 0) {
      while (zeros + 8 - POPCOUNT[byte] < hiPart) {
        zeros += 8 - POPCOUNT[byte];
        ones += POPCOUNT[byte];
        if (ones >= count || p >= last) return undefined;
        byte = b[++p];
      }
      // The byte holds the zero sought (the loop above stopped on it): bit stays ≥ 0.
      for (;;) {
        if ((byte >> bit) & 1) ones++;
        else if (++zeros === hiPart) break;
        bit--;
      }
      if (--bit < 0) {
        if (p >= last) return undefined;
        bit = 7; byte = b[++p];
      }
    }
    // Entries with this high part: ones up to the next zero, low parts ascending.
    const lows = data * 8;
    while (ones < count && (byte >> bit) & 1) {
      const v = readBits(b, lows + ones * l, l);
      if (v === loPart) return this.entry(uid, readBits(b, lows + count * l + ones * attrBits, attrBits), () => this.blockGroup(groupsAt, ones));
      if (v > loPart) return undefined;
      ones++;
      if (--bit < 0) {
        if (p >= last) return undefined;
        bit = 7; byte = b[++p];
      }
    }
    return undefined;
  }

  private blockGroup(groupsAt: number, local: number): number {
    const b = this.bytes;
    for (let i = 0, n = b[groupsAt]; i < n; i++) {
      const at = groupsAt + 1 + 4 * i;
      if (b[at] === local) return u24(b, at + 1);
    }
    return NO_GROUP;
  }

  private lookupText(uid: string, sec: TableHeader['sections'][0], end: number): TokenEntry | undefined {
    const b = this.bytes;
    const up = uid;
    const index = this.body + sec.indexOffset;
    const data = this.body + sec.dataOffset;
    let low = 0, high = sec.count - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const at = data + u32(b, index + 4 * mid);
      if (at >= end || at + 6 + b[at] > end) return undefined; // corrupt offset or length
      const len = b[at];
      let cmp = 0;
      for (let i = 0; cmp === 0 && i < len && i < up.length; i++) cmp = b[at + 1 + i] - up.charCodeAt(i);
      if (cmp === 0) cmp = len - up.length;
      if (cmp === 0) return this.entry(up, u16(b, at + 1 + len), () => u24(b, at + 3 + len));
      if (cmp < 0) low = mid + 1;
      else high = mid - 1;
    }
    return undefined;
  }

  private entry(uid: string, tuple: number, group: () => number): TokenEntry | undefined {
    if (tuple >= this.tuples) return undefined; // corrupt: no such palette tuple
    const p = this.header.palette;
    const flags = p[3 * tuple + 2];
    const e: TokenEntry = {
      uid,
      partner: this.header.partners[p[3 * tuple]],
      whitelist: WHITELISTS[p[3 * tuple + 1]],
      valid: (flags & F_VALID) !== 0,
      type: TOKEN_TYPES[(flags >> F_TYPE_SHIFT) & 3],
      sourceVersion: this.header.listVersion,
    };
    const g = group();
    if (g !== NO_GROUP) e.groupId = this.groupId(g);
    return e;
  }

  private groupId(g: number): string | undefined {
    if (g >= this.header.groupCount) return undefined;
    const table = this.body + this.header.groupOffset;
    const at = table + u32(this.bytes, table + 4 * g);
    const end = this.body + this.header.bodyLength;
    if (at >= end || at + 1 + this.bytes[at] > end) return undefined; // corrupt offset or length
    return fromUtf8(this.bytes.subarray(at + 1, at + 1 + this.bytes[at]));
  }
}
