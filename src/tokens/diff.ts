import type { Crypto, Signer } from '../../hal/crypto.js';
import { concatBytes } from '../codec/bytes.js';
import { decodeCbor, encodeCbor } from '../codec/cbor.js';
import { CompileError, TokenUpdateError } from './errors.js';
import { put32, u32 } from './format.js';
import { checkOcpiToken, type TokenIssue } from './ocpi.js';
import { canonicalTextUid } from './uid.js';
import { DEFAULT_READER, UnreachableTally, type UnreachableTokens } from './compile.js';
import { TOKEN_TYPES, WHITELISTS, type ReaderConfig, type TokenType, type Whitelist } from './types.js';
import { SIGNATURE_BYTES } from './format.js';

// A differential update on the wire: "RTKD" u32, payload length u32, CBOR
// payload, P-256 signature of everything before it. Small, so CBOR (cbor-x)
// rather than a hand-made layout.
const DIFF_MAGIC = 0x444b5452; // "RTKD" as u32 LE

export interface DiffInput {
  from: number;
  to: number;
  createdAt: number;
  /** OCPI Token objects new to the list. */
  add?: readonly unknown[];
  /** OCPI Token objects already on the list, with new values. */
  change?: readonly unknown[];
  /** uids leaving the list. */
  remove?: readonly string[];
  /** The site's readers, as for compileTable: they decide which uids are random UIDs. */
  reader?: ReaderConfig;
}

/** One token as a differential carries it. */
export interface DiffToken {
  uid: string;
  countryCode: string;
  partyId: string;
  whitelist: Whitelist;
  valid: boolean;
  type: TokenType;
  groupId?: string;
}

export interface Differential {
  from: number;
  to: number;
  createdAt: number;
  add: DiffToken[];
  change: DiffToken[];
  remove: string[];
}

type WireToken = [string, string, string, number, boolean, number, string | null];

/** Builds the unsigned differential; per-token problems are reported, as by compileTable. */
export function compileDiff(input: DiffInput): { diff: Uint8Array; report: { excluded: TokenIssue[]; invalid: TokenIssue[]; unreachable: UnreachableTokens[] } } {
  if (!isVersion(input.from) || !isVersion(input.to) || input.to <= input.from)
    throw new CompileError(`differential versions ${input.from} → ${input.to}: need 32-bit unsigned integers, to > from`);
  const report = { excluded: [] as TokenIssue[], invalid: [] as TokenIssue[], unreachable: [] as UnreachableTokens[] };
  const unreachable = new UnreachableTally(input.reader ?? DEFAULT_READER);
  const seen = new Set<string>();
  const tokens = (list: readonly unknown[] | undefined, which: number): WireToken[] => {
    const out: WireToken[] = [];
    (list ?? []).forEach((raw, index) => {
      const t = checkOcpiToken(raw, input.reader);
      if ('reason' in t) return void report.invalid.push({ partner: which, index, reason: t.reason, detail: t.detail });
      if (t.type === 'APP_USER' || t.type === 'AD_HOC_USER')
        return void report.excluded.push({ partner: which, index, uid: t.uid, reason: 'NOT_PRESENTABLE', detail: `${t.type} tokens are never presented at a charger` });
      if (seen.has(t.uid)) return void report.invalid.push({ partner: which, index, uid: t.uid, reason: 'DUPLICATE_UID', detail: 'uid twice in one differential' });
      seen.add(t.uid);
      unreachable.note(t.countryCode, t.partyId, t.uid);
      out.push([t.uid, t.countryCode, t.partyId, WHITELISTS.indexOf(t.whitelist), t.valid, TOKEN_TYPES.indexOf(t.type), t.groupId ?? null]);
    });
    return out;
  };
  const add = tokens(input.add, 0);
  const change = tokens(input.change, 1);
  const remove: string[] = [];
  (input.remove ?? []).forEach((raw, index) => {
    const uid = typeof raw === 'string' ? canonicalTextUid(raw) : undefined;
    if (uid === undefined) return void report.invalid.push({ partner: 2, index, reason: 'BAD_UID', detail: `uid ${JSON.stringify(raw)}` });
    if (seen.has(uid)) return void report.invalid.push({ partner: 2, index, uid, reason: 'DUPLICATE_UID', detail: 'uid twice in one differential' });
    seen.add(uid);
    remove.push(uid);
  });
  report.unreachable = unreachable.list();
  const payload = encodeCbor({ v: 1, from: input.from, to: input.to, at: input.createdAt, add, change, remove });
  const head = new Uint8Array(8);
  put32(head, 0, DIFF_MAGIC);
  put32(head, 4, payload.length);
  return { diff: concatBytes(head, payload), report };
}

export function signDiff(diff: Uint8Array, signer: Signer): Uint8Array {
  return concatBytes(diff, signer.sign(diff));
}

/** Device side: checks framing and signature, then decodes. Throws TokenUpdateError. */
export function openDiff(bytes: Uint8Array, crypto: Crypto, backendKey: Uint8Array): Differential {
  if (bytes.length < 8 + SIGNATURE_BYTES) throw new TokenUpdateError('TRUNCATED', `differential of ${bytes.length} bytes is shorter than its framing`);
  if (u32(bytes, 0) !== DIFF_MAGIC) throw new TokenUpdateError('BAD_FORMAT', 'not a differential (magic is not RTKD)');
  const signed = 8 + u32(bytes, 4);
  if (bytes.length < signed + SIGNATURE_BYTES) throw new TokenUpdateError('TRUNCATED', `differential announces ${signed + SIGNATURE_BYTES} bytes, got ${bytes.length}`);
  if (bytes.length > signed + SIGNATURE_BYTES) throw new TokenUpdateError('OVERSIZED', `differential announces ${signed + SIGNATURE_BYTES} bytes, got ${bytes.length}`);
  if (!crypto.verifyP256(backendKey, bytes.subarray(0, signed), bytes.subarray(signed)))
    throw new TokenUpdateError('BAD_SIGNATURE', 'differential signature does not verify with the backend key');
  let p: Record<string, unknown>;
  try {
    p = decodeCbor(bytes.subarray(8, signed)) as Record<string, unknown>;
  } catch {
    throw new TokenUpdateError('BAD_FORMAT', 'differential payload is not CBOR');
  }
  const bad = (what: string) => new TokenUpdateError('BAD_FORMAT', `differential: ${what}`);
  if (typeof p !== 'object' || p === null || p.v !== 1) throw bad('unknown payload version');
  if (!isVersion(p.from) || !isVersion(p.to) || (p.to as number) <= (p.from as number)) throw bad('versions');
  const seen = new Set<string>();
  const uidOf = (u: unknown) => {
    const uid = typeof u === 'string' ? canonicalTextUid(u) : undefined;
    if (uid === undefined || seen.has(uid)) throw bad(`uid ${JSON.stringify(u)} malformed or twice`);
    seen.add(uid);
    return uid;
  };
  const tokens = (list: unknown): DiffToken[] => {
    if (!Array.isArray(list)) throw bad('token list is not an array');
    return list.map((w) => {
      if (!Array.isArray(w) || w.length !== 7) throw bad('token is not a 7-tuple');
      const [uid, countryCode, partyId, wl, valid, type, group] = w as WireToken;
      if (typeof countryCode !== 'string' || typeof partyId !== 'string' || typeof valid !== 'boolean') throw bad('token fields');
      if (!WHITELISTS[wl] || (type !== 0 && type !== 3)) throw bad('whitelist or type');
      if (group !== null && (typeof group !== 'string' || group.length === 0 || group.length > 36)) throw bad('group id');
      const t: DiffToken = { uid: uidOf(uid), countryCode, partyId, whitelist: WHITELISTS[wl], valid, type: TOKEN_TYPES[type] };
      if (group !== null) t.groupId = group;
      return t;
    });
  };
  if (!Array.isArray(p.remove)) throw bad('remove is not an array');
  return {
    from: p.from as number, to: p.to as number, createdAt: typeof p.at === 'number' ? p.at : 0,
    add: tokens(p.add), change: tokens(p.change), remove: (p.remove as unknown[]).map(uidOf),
  };
}

function isVersion(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}
