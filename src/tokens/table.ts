import type { TokenSearch } from '../../hal/token-search.js';
import { fromUtf8 } from '../codec/bytes.js';
import { TokenUpdateError } from './errors.js';
import {
  CHUNK_BITS, F_GROUPED, F_TYPE_SHIFT, F_VALID, FORMAT_VERSION, GROUP_PAIR_BYTES, GROUPED_DIRECTORY_FROM, H, HEADER_FIXED, MAGIC, MAX_PREFIX_HEX,
  NO_GROUP, SECTION_BYTES, SECTION_KINDS, TAIL_PAD, u16, u24, u32,
} from './format.js';
import { searchPlan, TUPLE_SCALE, UNDECIDED } from './search-plan.js';
import { TOKEN_TYPES, WHITELISTS, type Partner, type TokenEntry, type TokenLookup } from './types.js';
import { uidKind } from './uid.js';

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
  /** In table order (4-, 7-, 10-byte keys, text). Key sections: common prefix (hex digits), directory bits, grouped entries. */
  sections: Array<{ kind: number; prefixHex: number; dirBits: number; count: number; grouped: number; indexOffset: number; dataOffset: number }>;
}

/** Bits of a key's remainder in a key section: its hex digits after the prefix and the directory's. */
function remainderBits(sec: { kind: number; prefixHex: number; dirBits: number }): number {
  return 4 * (2 * sec.kind - sec.prefixHex) - sec.dirBits;
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
    const sec = { kind: bytes[at], prefixHex: bytes[at + 1], dirBits: bytes[at + 2], count: u32(bytes, at + 4), grouped: u32(bytes, at + 8), indexOffset: u32(bytes, at + 12), dataOffset: u32(bytes, at + 16) };
    if (sec.kind !== SECTION_KINDS[s]) throw bad(`section ${s} is of kind ${sec.kind}`);
    if (sec.kind === 0 ? sec.prefixHex !== 0 || sec.dirBits !== 0 || sec.grouped !== 0
      : sec.prefixHex > MAX_PREFIX_HEX || sec.dirBits % 4 !== 0 || sec.dirBits > 16 || remainderBits(sec) < 8)
      throw bad(`section ${s} layout`);
    const indexBytes = sec.kind === 0 ? 4 * sec.count : 8 + 4 * (Math.pow(2, sec.dirBits) + 1) * (sec.grouped > GROUPED_DIRECTORY_FROM ? 2 : 1);
    if (sec.indexOffset < end || sec.dataOffset !== sec.indexOffset + indexBytes || sec.dataOffset > bodyLength) throw bad(`section ${s} offsets`);
    end = sec.dataOffset;
    sections.push(sec);
  }
  const groupOffset = u32(bytes, H.groupOffset);
  const groupCount = u32(bytes, H.groupCount);
  if (groupOffset < end || groupOffset + 4 * groupCount > bodyLength) throw bad('group table offsets');
  // A key section's entries, padding and group pairs fit before the next section: lookups read inside it.
  for (let s = 0; s < sections.length; s++) {
    const sec = sections[s];
    const sectionEnd = s + 1 < sections.length ? sections[s + 1].indexOffset : groupOffset;
    const need = sec.kind === 0 ? 0 : Math.ceil((sec.count * (remainderBits(sec) + attrBits)) / 8) + TAIL_PAD + GROUP_PAIR_BYTES * sec.grouped;
    if (sec.dataOffset + need > sectionEnd) throw bad(`section ${s} data`);
  }
  return {
    headerLength, bodyLength, listVersion: u32(bytes, H.listVersion),
    createdAt: new DataView(bytes.buffer, bytes.byteOffset, HEADER_FIXED).getFloat64(H.createdAt, true),
    tokenCount: u32(bytes, H.tokenCount), bodySha: bytes.slice(H.bodySha, H.bodySha + 32),
    partners, palette, attrBits, groupCount, groupOffset, sections,
  };
}

/** A key section as a lookup uses it: fixed per image, worked out once at open (no per-token state). */
interface KeySection {
  count: number;
  grouped: number;
  /** Common prefix: hex digits, and their value. */
  prefixHex: number;
  prefix: number;
  dirBits: number;
  /** Hex digits parsed at once: the directory's, then the remainder's first chunk. */
  headHex: number;
  /** 2^(bits of the first chunk): splits that parse into bucket and chunk. */
  chunk0: number;
  /** 32 − bits of the first chunk: its shift out of a 32-bit read. */
  shift0: number;
  /** Bits of the remainder, and of an entry (remainder + palette index). */
  rest: number;
  width: number;
  /** Bits of the remainder past its first chunk, and where their hex digits start in the uid. */
  tail: number;
  tailAt: number;
  /** Absolute offsets: the directory and the grouped entries' (bytes), the first entry (bits), the group pairs (bytes). */
  dir: number;
  groupDir: number;
  bits: number;
  groups: number;
}

/**
 * Lookups in place over a table image (a mapped flash slot or a buffer): two
 * directory words, then a binary search over one bucket of fixed-width
 * entries. Nothing is parsed or allocated per token at open; a lookup
 * allocates only the entry it returns (and a few short hex substrings to
 * parse). Costs are XS bytecodes (the meter counts one per instruction): a step
 * is one 32-bit DataView read and a shift, a hex field one native parseInt.
 * With a native search (hal/token-search.ts) the bisection runs in C on the
 * same bytes; this class still builds the entry, and answers where the native
 * search does not decide.
 */
export class TokenTable implements TokenLookup {
  readonly header: TableHeader;
  private readonly body: number;
  /** Where the text section's data ends (the group table starts there). */
  private readonly textEnd: number;
  /** Palette tuples in the header. */
  private readonly tuples: number;
  private readonly view: DataView;
  private readonly keys: KeySection[];
  private readonly plan?: Uint8Array;

  /** `bytes`: the image (header + body, signature after it is ignored); `search`: the platform's native search, if it has one. */
  constructor(private readonly bytes: Uint8Array, private readonly search?: TokenSearch) {
    this.header = readHeader(bytes);
    const h = this.header;
    this.body = h.headerLength;
    if (bytes.length < this.body + h.bodyLength) throw new TokenUpdateError('TRUNCATED', 'token table body is shorter than its header says');
    // readHeader checked the sections monotonic and inside the body, and each key section's
    // entries, padding and group pairs inside it: every read of a lookup is bounded by these
    // (O(1) checks), so a corrupt or hostile body can make a lookup answer undefined, never
    // read past the image or answer a malformed entry.
    this.textEnd = this.body + h.groupOffset;
    this.tuples = h.palette.length / 3;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.keys = h.sections.slice(0, 3).map((sec) => {
      const rest = remainderBits(sec);
      const c0 = Math.min(CHUNK_BITS, rest);
      const dir = this.body + sec.indexOffset;
      const bits = 8 * (this.body + sec.dataOffset);
      return {
        count: sec.count, grouped: sec.grouped, prefixHex: sec.prefixHex, prefix: this.view.getFloat64(dir, true), dirBits: sec.dirBits,
        headHex: (sec.dirBits + c0) / 4, chunk0: Math.pow(2, c0), shift0: 32 - c0, rest, width: rest + h.attrBits,
        tail: rest - c0, tailAt: sec.prefixHex + (sec.dirBits + c0) / 4,
        dir: dir + 8, groupDir: dir + 8 + 4 * (Math.pow(2, sec.dirBits) + 1), bits, groups: this.body + sec.dataOffset + Math.ceil((sec.count * (rest + h.attrBits)) / 8) + TAIL_PAD,
      };
    });
    if (search) this.plan = searchPlan(h, this.body, this.keys, this.textEnd);
  }

  get listVersion(): number {
    return this.header.listVersion;
  }

  get size(): number {
    return this.header.tokenCount;
  }

  lookup(uid: string): TokenEntry | undefined {
    return this.find(uid.toUpperCase()); // OCPI uids are case-insensitive
  }

  /** `uid` already upper-cased (the store's lookup did it). */
  find(uid: string): TokenEntry | undefined {
    if (this.search) {
      const r = this.search(this.bytes, this.plan!, uid);
      if (r >= 0) return this.entry(uid, Math.floor(r / TUPLE_SCALE), r % TUPLE_SCALE);
      if (r !== UNDECIDED) return undefined;
    }
    return this.findHere(uid);
  }

  /** The portable search: what the native one must answer alike (test/tokens/native-search.test.ts). */
  findHere(uid: string): TokenEntry | undefined {
    const kind = uidKind(uid);
    if (kind === 0) return this.lookupText(uid, this.header.sections[3], this.textEnd);
    return this.lookupKey(uid, this.keys[kind === 4 ? 0 : kind === 7 ? 1 : 2]);
  }

  private lookupKey(uid: string, k: KeySection): TokenEntry | undefined {
    const p = k.prefixHex;
    if (p > 0 && parseInt(uid.substring(0, p), 16) !== k.prefix) return undefined;
    // The bucket and the remainder's first chunk in one parse (at most 40 bits: exact).
    const head = parseInt(uid.substring(p, p + k.headHex), 16);
    const bucket = Math.floor(head / k.chunk0);
    const first = head - bucket * k.chunk0;
    const v = this.view;
    let low = v.getUint32(k.dir + 4 * bucket, true);
    let high = v.getUint32(k.dir + 4 * bucket + 4, true) - 1;
    if (high >= k.count) return undefined; // corrupt directory
    const width = k.width, bits = k.bits, shift = k.shift0;
    let tail = -1; // the uid's rest past the first chunk, parsed at the first tie
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const pos = bits + mid * width;
      let c = ((v.getUint32(pos >>> 3) << (pos & 7)) >>> shift) - first;
      // Most steps end on the first chunk; a tie (usually the hit) compares the rest.
      if (c < 0) { low = mid + 1; continue; }
      if (c > 0) { high = mid - 1; continue; }
      if (k.tail > 32) c = this.compareRest(uid, k, pos);
      else if (k.tail > 0) {
        // The usual case, inline: the rest is one field of up to 32 bits (two reads), the uid's rest one parse.
        const at = pos + 32 - shift, s = at & 7, byte = at >>> 3;
        const word = s === 0 ? v.getUint32(byte) : ((v.getUint32(byte) << s) | (v.getUint32(byte + 4) >>> (32 - s))) >>> 0;
        if (tail < 0) tail = parseInt(uid.substring(k.tailAt), 16);
        c = (k.tail === 32 ? word : word >>> (32 - k.tail)) - tail;
      }
      if (c === 0) return this.keyEntry(uid, k, mid, bucket, pos + k.rest);
      if (c < 0) low = mid + 1;
      else high = mid - 1;
    }
    return undefined;
  }

  /**
   * Entry at bit `pos` against the uid, past the first chunk: < 0, 0 or > 0 (the rare tie, or
   * the hit). The rest in fields of up to 32 bits (8 hex digits): two 32-bit reads from the
   * field's byte make any 32 bits at any bit offset (TAIL_PAD keeps them inside the section).
   */
  private compareRest(uid: string, k: KeySection, pos: number): number {
    const v = this.view;
    let h = k.prefixHex + k.headHex;
    for (let off = 32 - k.shift0; off < k.rest;) {
      const w = k.rest - off < 32 ? k.rest - off : 32;
      const at = pos + off, s = at & 7, byte = at >>> 3;
      const word = s === 0 ? v.getUint32(byte) : ((v.getUint32(byte) << s) | (v.getUint32(byte + 4) >>> (32 - s))) >>> 0;
      const c = (w === 32 ? word : word >>> (32 - w)) - parseInt(uid.substring(h, h + w / 4), 16);
      if (c !== 0) return c;
      off += w;
      h += w / 4;
    }
    return 0;
  }

  /** The entry found at index `i` of `bucket`, its palette index at bit `at`. */
  private keyEntry(uid: string, k: KeySection, i: number, bucket: number, at: number): TokenEntry | undefined {
    const a = this.header.attrBits;
    const tuple = a === 0 ? 0 : (this.view.getUint32(at >>> 3) << (at & 7)) >>> (32 - a);
    if (tuple >= this.tuples) return undefined; // corrupt: no such palette tuple
    return this.entry(uid, tuple, this.header.palette[3 * tuple + 2] & F_GROUPED ? this.groupOf(k, i, bucket) : NO_GROUP);
  }

  /** The group of grouped entry `i`: a binary search over its bucket's (entry, group) pairs (the second directory: usually one), or all of a few. */
  private groupOf(k: KeySection, i: number, bucket: number): number {
    const v = this.view;
    let low = 0, high = k.grouped - 1;
    if (k.grouped > GROUPED_DIRECTORY_FROM) {
      low = v.getUint32(k.groupDir + 4 * bucket, true);
      high = v.getUint32(k.groupDir + 4 * bucket + 4, true) - 1;
      if (high >= k.grouped) return NO_GROUP; // corrupt directory
    }
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const at = k.groups + GROUP_PAIR_BYTES * mid;
      const e = v.getUint32(at, true);
      if (e === i) return v.getUint32(at + 3, true) >>> 8; // the u24 at at + 4
      if (e < i) low = mid + 1;
      else high = mid - 1;
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
      // Decoded and compared natively (ASCII: the byte order): a character loop costs ~45 XS units a character.
      const text = fromUtf8(b.subarray(at + 1, at + 1 + len));
      const cmp = text < up ? -1 : text > up ? 1 : 0;
      if (cmp === 0) return this.entry(up, u16(b, at + 1 + len), u24(b, at + 3 + len));
      if (cmp < 0) low = mid + 1;
      else high = mid - 1;
    }
    return undefined;
  }

  private entry(uid: string, tuple: number, group: number): TokenEntry | undefined {
    if (tuple >= this.tuples) return undefined; // corrupt: no such palette tuple
    const p = this.header.palette;
    const flags = p[3 * tuple + 2];
    const e: TokenEntry = {
      uid, partner: this.header.partners[p[3 * tuple]], whitelist: WHITELISTS[p[3 * tuple + 1]], valid: (flags & F_VALID) !== 0,
      type: TOKEN_TYPES[(flags >> F_TYPE_SHIFT) & 3], sourceVersion: this.header.listVersion,
    };
    if (group !== NO_GROUP) e.groupId = this.groupId(group);
    return e;
  }

  private groupId(g: number): string | undefined {
    if (g >= this.header.groupCount) return undefined;
    const table = this.textEnd; // the group table follows the text section
    const at = table + this.view.getUint32(table + 4 * g, true);
    const end = this.body + this.header.bodyLength;
    if (at >= end) return undefined; // corrupt offset: nothing past the body is read
    const len = this.bytes[at];
    if (at + 1 + len > end) return undefined; // corrupt length
    return fromUtf8(this.bytes.subarray(at + 1, at + 1 + len));
  }
}
