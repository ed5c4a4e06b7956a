import type { Crypto, Signer } from '../../hal/crypto.js';
import { concatBytes, utf8 } from '../codec/bytes.js';
import { BitWriter } from './bits.js';
import { CompileError } from './errors.js';
import {
  CHUNK_BITS, F_GROUPED, F_TYPE_SHIFT, F_VALID, FORMAT_VERSION, GROUP_PAIR_BYTES, GROUPED_DIRECTORY_FROM, H, HEADER_FIXED, MAGIC, MAX_PREFIX_HEX,
  NO_GROUP, SECTION_BYTES, SECTION_KINDS, TAIL_PAD, put16, put24, put32, u32,
} from './format.js';
import { checkOcpiToken, type TokenIssue } from './ocpi.js';
import { TOKEN_TYPES, WHITELISTS, type ReaderConfig } from './types.js';
import { readsCardNumbers } from './uid.js';
import { uidKey, unreachableUid, type UnreachableReason } from './uid.js';

/** One partner of the site with its OCPI token list, as the backend holds it. */
export interface PartnerTokens {
  countryCode: string;
  partyId: string;
  allowedUsesTable: boolean;
  tokens: readonly unknown[];
}

export interface CompileInput {
  listVersion: number;
  /** Milliseconds since the Unix epoch. */
  createdAt: number;
  partners: readonly PartnerTokens[];
  /**
   * How the site's readers deliver UIDs. A uid starting 08 is dropped as a
   * random UID only where readers take UIDs from the chip (checkOcpiToken);
   * without it, the default readers are assumed.
   */
  reader?: ReaderConfig;
}

export interface CompileReport {
  accepted: number;
  /** Well-formed tokens that never reach a charger (APP_USER, AD_HOC_USER). */
  excluded: TokenIssue[];
  /** Tokens left out because they are malformed, duplicated or random UIDs. */
  invalid: TokenIssue[];
  /**
   * Tokens compiled in (counted in `accepted`) that no tap can produce with
   * the site's reader configuration (`reader`): per partner and reason, how
   * many, a few examples, why. Empty when every token can be presented.
   */
  unreachable: UnreachableTokens[];
  /** The reader configuration the tokens were checked against (the default readers when none was given). */
  reader: ReaderConfig;
}

/** Tokens of one partner that no tap can produce, for one reason. */
export interface UnreachableTokens {
  countryCode: string;
  partyId: string;
  reason: UnreachableReason;
  count: number;
  /** Up to EXAMPLES of their uids, in list order. */
  examples: string[];
  why: string;
}

/** The readers a site has when nothing else is said: whole UIDs from the chip, as a device's MFRC522 delivers them. */
export const DEFAULT_READER: ReaderConfig = { input: 'bytes' };
const EXAMPLES = 3;

function whyUnreachable(reason: UnreachableReason, reader: ReaderConfig): string {
  switch (reason) {
    case 'NOT_A_UID':
      return readsCardNumbers(reader)
        ? 'not 1..36 characters, which is all a printed card number can be'
        : 'not 8, 14 or 20 hex digits (a 4, 7 or 10-byte UID): readers that take the UID from the chip never deliver it (a printed card number needs readers that deliver card numbers, "verbatim")';
    case 'CUT_BY_READER':
      return `longer than the ${reader.truncateTo} bytes the site's readers keep ("truncateTo")`;
    case 'RANDOM_UID':
      return 'a 4-byte UID starting 08 is random (ISO 14443-3): the device refuses such a tap before any lookup';
    case 'NOT_DECIMAL':
      return 'not decimal digits, and the site\'s readers deliver printed decimal numbers';
    case 'NOT_HEX':
      return 'not hex digits, and the site\'s readers deliver printed hex numbers';
  }
}

/** Collects unreachable tokens per partner and reason, as compileTable and compileDiff report them. */
export class UnreachableTally {
  private readonly byKey = new Map<string, UnreachableTokens>();
  constructor(readonly reader: ReaderConfig) {}

  /** Notes `uid` of partner countryCode-partyId if no tap can produce it; says whether it was noted. */
  note(countryCode: string, partyId: string, uid: string): boolean {
    const reason = unreachableUid(uid, this.reader);
    if (!reason) return false;
    const key = `${countryCode}-${partyId} ${reason}`;
    let u = this.byKey.get(key);
    if (!u) this.byKey.set(key, (u = { countryCode, partyId, reason, count: 0, examples: [], why: whyUnreachable(reason, this.reader) }));
    u.count++;
    if (u.examples.length < EXAMPLES) u.examples.push(uid);
    return true;
  }

  list(): UnreachableTokens[] {
    return [...this.byKey.values()];
  }
}

/** One line per partner and reason: for logs and summaries. */
export function describeUnreachable(u: UnreachableTokens, reader: ReaderConfig): string {
  return `${u.countryCode}-${u.partyId}: ${u.count} token${u.count === 1 ? '' : 's'} no tap can produce with readers ${JSON.stringify(reader)} (e.g. ${u.examples.join(', ')}): ${u.why}`;
}

export interface CompiledTable {
  /** Header + body, unsigned: signTable adds the backend's signature. */
  image: Uint8Array;
  report: CompileReport;
}

/** Accepted tokens in columns: a million objects would cost the backend more than needed. */
class Columns {
  uid: string[] = [];
  hi: number[] = [];
  lo: number[] = [];
  attr: number[] = [];
  group: number[] = [];
}

/**
 * Compiles the token lists of all partners of a site into one table image in
 * the device's on-flash format. Per-token problems are reported, never thrown.
 */
export function compileTable(input: CompileInput, crypto: Crypto): CompiledTable {
  checkInput(input);
  const reader = input.reader ?? DEFAULT_READER;
  const unreachable = new UnreachableTally(reader);
  const report: CompileReport = { accepted: 0, excluded: [], invalid: [], unreachable: [], reader };
  const seen = new Set<string>();
  const paletteIndex = new Map<number, number>();
  const groupIndex = new Map<string, number>();
  const groups: string[] = [];
  const byKind = new Map<number, Columns>(SECTION_KINDS.map((k) => [k, new Columns()]));
  const tupleCodes: number[] = [];

  input.partners.forEach((partner, p) => {
    partner.tokens.forEach((raw, index) => {
      const t = checkOcpiToken(raw, input.reader);
      if ('reason' in t) return void report.invalid.push({ partner: p, index, reason: t.reason, detail: t.detail, uid: uidOf(raw) });
      if (t.countryCode !== partner.countryCode || t.partyId !== partner.partyId)
        return void report.invalid.push({ partner: p, index, uid: t.uid, reason: 'PARTY_MISMATCH', detail: `token of ${t.countryCode}-${t.partyId} in the list of ${partner.countryCode}-${partner.partyId}` });
      if (t.type === 'APP_USER' || t.type === 'AD_HOC_USER')
        return void report.excluded.push({ partner: p, index, uid: t.uid, reason: 'NOT_PRESENTABLE', detail: `${t.type} tokens are never presented at a charger` });
      if (seen.has(t.uid))
        return void report.invalid.push({ partner: p, index, uid: t.uid, reason: 'DUPLICATE_UID', detail: 'uid already listed earlier; the first one is kept' });
      seen.add(t.uid);
      let g = -1;
      if (t.groupId !== undefined) {
        g = groupIndex.get(t.groupId) ?? -1;
        if (g < 0) { g = groups.length; groupIndex.set(t.groupId, g); groups.push(t.groupId); }
      }
      const code = tupleCode(p, WHITELISTS.indexOf(t.whitelist), (t.valid ? F_VALID : 0) | (TOKEN_TYPES.indexOf(t.type) << F_TYPE_SHIFT) | (g >= 0 ? F_GROUPED : 0));
      if (!paletteIndex.has(code)) { paletteIndex.set(code, -1); tupleCodes.push(code); }
      const key = uidKey(t.uid);
      const c = byKind.get(key.kind)!;
      c.uid.push(t.uid); c.hi.push(key.hi); c.lo.push(key.lo); c.attr.push(code); c.group.push(g);
      report.accepted++;
      unreachable.note(partner.countryCode, partner.partyId, t.uid);
    });
  });
  report.unreachable = unreachable.list();
  if (groups.length >= NO_GROUP) throw new CompileError(`${groups.length} distinct group ids, over ${NO_GROUP - 1}`);

  // A canonical palette: sorted tuple codes, so the same lists give the same bytes.
  tupleCodes.sort((a, b) => a - b);
  tupleCodes.forEach((code, i) => paletteIndex.set(code, i));
  const attrBits = tupleCodes.length <= 1 ? 0 : Math.ceil(Math.log2(tupleCodes.length));

  const parts: Uint8Array[] = [];
  let bodyLength = 0;
  const sections = new Uint8Array(SECTION_BYTES * SECTION_KINDS.length);
  SECTION_KINDS.forEach((kind, s) => {
    const c = byKind.get(kind)!;
    const built = kind === 0 ? buildTextSection(c, paletteIndex) : buildKeySection(kind, c, paletteIndex, attrBits);
    const at = s * SECTION_BYTES;
    sections[at] = kind;
    sections[at + 1] = built.prefixHex;
    sections[at + 2] = built.dirBits;
    put32(sections, at + 4, c.uid.length);
    put32(sections, at + 8, built.grouped);
    put32(sections, at + 12, bodyLength);
    put32(sections, at + 16, bodyLength + built.index.length);
    parts.push(built.index, built.data);
    bodyLength += built.index.length + built.data.length;
  });
  const groupTable = buildGroupTable(groups);
  const groupOffset = bodyLength;
  parts.push(groupTable);
  bodyLength += groupTable.length;
  const body = concatBytes(...parts);

  const partnerBytes = concatBytes(...input.partners.map((p) => {
    const cc = utf8(p.countryCode), pid = utf8(p.partyId);
    return concatBytes(Uint8Array.of(p.allowedUsesTable ? 1 : 0, cc.length), cc, Uint8Array.of(pid.length), pid);
  }));
  const palette = new Uint8Array(4 * tupleCodes.length);
  tupleCodes.forEach((code, i) => {
    put16(palette, 4 * i, code >>> 16);
    palette[4 * i + 2] = (code >>> 8) & 0xff;
    palette[4 * i + 3] = code & 0xff;
  });
  const header = new Uint8Array(HEADER_FIXED + palette.length + partnerBytes.length);
  const view = new DataView(header.buffer);
  put32(header, H.magic, MAGIC);
  put16(header, H.formatVersion, FORMAT_VERSION);
  put32(header, H.headerLength, header.length);
  put32(header, H.bodyLength, body.length);
  put32(header, H.listVersion, input.listVersion);
  view.setFloat64(H.createdAt, input.createdAt, true);
  put32(header, H.tokenCount, report.accepted);
  header.set(crypto.sha256(body).digest(), H.bodySha);
  put16(header, H.partnerCount, input.partners.length);
  put16(header, H.paletteCount, tupleCodes.length);
  header[H.attrBits] = attrBits;
  header[H.sectionCount] = SECTION_KINDS.length;
  put32(header, H.groupCount, groups.length);
  put32(header, H.groupOffset, groupOffset);
  header.set(sections, H.sections);
  header.set(palette, HEADER_FIXED);
  header.set(partnerBytes, HEADER_FIXED + palette.length);
  return { image: concatBytes(header, body), report };
}

/** The image as the device accepts it: header + body + P-256 signature of the header. */
export function signTable(image: Uint8Array, signer: Signer): Uint8Array {
  return concatBytes(image, signer.sign(image.subarray(0, u32(image, H.headerLength))));
}

function tupleCode(partner: number, whitelist: number, flags: number): number {
  return partner * 65536 + whitelist * 256 + flags;
}

function uidOf(raw: unknown): string | undefined {
  const uid = (raw as { uid?: unknown } | null)?.uid;
  return typeof uid === 'string' ? uid : undefined;
}

function checkInput(input: CompileInput): void {
  if (!Number.isInteger(input.listVersion) || input.listVersion < 0 || input.listVersion > 0xffffffff)
    throw new CompileError(`list version ${input.listVersion} is not a 32-bit unsigned integer`);
  if (!Number.isFinite(input.createdAt)) throw new CompileError('createdAt is not a finite number');
  if (input.partners.length > 0xffff) throw new CompileError(`${input.partners.length} partners, over 65535`);
  const names = new Set<string>();
  for (const p of input.partners) {
    if (!/^[A-Z]{2}$/.test(p.countryCode) || !/^[A-Z0-9]{3}$/.test(p.partyId))
      throw new CompileError(`partner ${JSON.stringify(p.countryCode)}-${JSON.stringify(p.partyId)}: country code must be 2 letters, party id 3 letters or digits`);
    const name = `${p.countryCode}-${p.partyId}`;
    if (names.has(name)) throw new CompileError(`partner ${name} listed twice`);
    names.add(name);
  }
}

/** Hex digits all keys of a section share at their start (at most MAX_PREFIX_HEX, leaving a byte of remainder). */
function commonPrefix(uids: string[], hexLength: number): number {
  if (uids.length === 0) return 0;
  const first = uids[0], last = uids[uids.length - 1]; // sorted: the first and the last decide
  let p = 0;
  while (p < MAX_PREFIX_HEX && p < hexLength - 2 && first[p] === last[p]) p++;
  return p;
}

/**
 * Bits of a key section's directory (a multiple of 4, at most 16 and `maxHex` hex digits): buckets
 * of at most 8 keys where the directory fits its budget (a lookup bisects 1 to 3 entries); else the
 * most buckets that still hold 8 keys on average (a lookup bisects ~8 to 128).
 */
function directoryBits(n: number, maxHex: number): number {
  const most = Math.min(16, 4 * maxHex);
  // Bytes the directory may take: 2.5 a key below 4,096 keys (a 1,000-token list, not its size, is what
  // matters there), half a byte a key above (at 1M tokens: ≤ 6 bytes a token in all), 64 at least.
  const budget = Math.max(64, n < 4096 ? 2.5 * n : n / 2);
  for (let d = 0; d <= most && 4 * Math.pow(2, d) <= budget; d += 4) if (n / Math.pow(2, d) <= 8) return d;
  let d = 0;
  while (d + 4 <= most && n / Math.pow(2, d + 4) >= 8) d += 4;
  return d;
}

/**
 * Hex uids of one length (format 2). Sorted keys without their common prefix (P hex digits);
 * a directory on the next D bits (D a multiple of 4, about 8 to 128 keys a bucket): 2^D + 1
 * cumulative counts; then each entry as fixed-width bits, the remainder of the key (its hex
 * digits after prefix and bucket) then its palette index; then the group of each grouped entry,
 * found through a second directory of the grouped entries per bucket.
 * A lookup parses a few hex digits of the uid, reads two directory words and bisects one
 * bucket with one 32-bit read a step.
 */
function buildKeySection(kind: number, input: Columns, palette: Map<number, number>, attrBits: number) {
  const order = input.uid.map((_, i) => i).sort((a, b) => input.hi[a] - input.hi[b] || input.lo[a] - input.lo[b]);
  const uids = order.map((i) => input.uid[i]);
  const n = uids.length;
  const hexLength = 2 * kind;
  const prefixHex = commonPrefix(uids, hexLength);
  const dirBits = directoryBits(n, hexLength - 2 - prefixHex);
  const dirHex = dirBits / 4;
  const restHex = hexLength - prefixHex - dirHex;
  const buckets = Math.pow(2, dirBits);
  const groupedCount = order.reduce((c, i) => c + (input.group[i] >= 0 ? 1 : 0), 0);
  // The directory, and with grouped entries a second one over their pairs: a hit's group is looked up in its bucket's pairs.
  const index = new Uint8Array(8 + 4 * (buckets + 1) * (groupedCount > GROUPED_DIRECTORY_FROM ? 2 : 1));
  const groupDir = 8 + 4 * (buckets + 1);
  let groupBucket = 0;
  new DataView(index.buffer).setFloat64(0, prefixHex > 0 && n > 0 ? parseInt(uids[0].slice(0, prefixHex), 16) : 0, true);
  const data = new BitWriter();
  const grouped: number[] = [];
  let bucket = 0;
  for (let e = 0; e < n; e++) {
    const uid = uids[e];
    const b = dirHex > 0 ? parseInt(uid.slice(prefixHex, prefixHex + dirHex), 16) : 0;
    while (bucket <= b) put32(index, 8 + 4 * bucket++, e); // buckets up to this key's start here
    // The remainder, most significant first, in chunks of at most CHUNK_BITS (6 hex digits).
    for (let h = prefixHex + dirHex; h < hexLength; h += CHUNK_BITS / 4) {
      const digits = uid.slice(h, Math.min(hexLength, h + CHUNK_BITS / 4));
      data.write(parseInt(digits, 16), 4 * digits.length);
    }
    data.write(palette.get(input.attr[order[e]])!, attrBits);
    if (input.group[order[e]] >= 0) {
      if (groupedCount > GROUPED_DIRECTORY_FROM) while (groupBucket <= b) put32(index, groupDir + 4 * groupBucket++, grouped.length);
      grouped.push(e);
    }
  }
  while (bucket <= buckets) put32(index, 8 + 4 * bucket++, n);
  if (groupedCount > GROUPED_DIRECTORY_FROM) while (groupBucket <= buckets) put32(index, groupDir + 4 * groupBucket++, grouped.length);
  data.alignByte();
  data.skip(8 * TAIL_PAD); // a lookup reads 32 bits wherever an entry's field begins
  for (const e of grouped) {
    data.write(e & 0xff, 8); data.write((e >>> 8) & 0xff, 8); data.write((e >>> 16) & 0xff, 8); data.write(e >>> 24, 8);
    const g = input.group[order[e]];
    data.write(g & 0xff, 8); data.write((g >>> 8) & 0xff, 8); data.write(g >>> 16, 8);
  }
  if (restHex <= 0) throw new CompileError('key section without a remainder');
  const bytes = data.bytes();
  const size = Math.ceil((n * (4 * restHex + attrBits)) / 8) + TAIL_PAD + GROUP_PAIR_BYTES * grouped.length;
  const out = new Uint8Array(size);
  out.set(bytes.subarray(0, size));
  return { index, data: out, prefixHex, dirBits, grouped: grouped.length };
}

/** Text uids (rare): sorted, index of u32 offsets; entry = len u8, ASCII, palette u16, group u24. */
function buildTextSection(c: Columns, palette: Map<number, number>) {
  const order = c.uid.map((_, i) => i).sort((a, b) => (c.uid[a] < c.uid[b] ? -1 : c.uid[a] > c.uid[b] ? 1 : 0));
  const index = new Uint8Array(4 * order.length);
  let size = 0;
  for (const i of order) size += 6 + c.uid[i].length;
  const data = new Uint8Array(size);
  let o = 0;
  order.forEach((i, k) => {
    put32(index, 4 * k, o);
    const s = c.uid[i];
    data[o++] = s.length;
    for (let j = 0; j < s.length; j++) data[o++] = s.charCodeAt(j);
    put16(data, o, palette.get(c.attr[i])!);
    put24(data, o + 2, c.group[i] >= 0 ? c.group[i] : NO_GROUP);
    o += 5;
  });
  return { index, data, prefixHex: 0, dirBits: 0, grouped: 0 };
}

/** Group ids: u32 offsets (from the table start), then len u8 + UTF-8 each. */
function buildGroupTable(groups: string[]): Uint8Array {
  const encoded = groups.map((g) => utf8(g));
  let size = 4 * groups.length;
  for (const e of encoded) size += 1 + e.length;
  const out = new Uint8Array(size);
  let o = 4 * groups.length;
  encoded.forEach((e, i) => {
    put32(out, 4 * i, o);
    out[o] = e.length;
    out.set(e, o + 1);
    o += 1 + e.length;
  });
  return out;
}
