import { canonicalTextUid, uidKey } from './uid.js';
import { TOKEN_TYPES, WHITELISTS, type TokenType, type Whitelist } from './types.js';

export type TokenIssueReason =
  | 'NOT_AN_OBJECT' | 'PARTY_MISMATCH' | 'BAD_UID' | 'BAD_TYPE' | 'BAD_WHITELIST' | 'BAD_VALID'
  | 'BAD_GROUP' | 'MISSING_FIELD' | 'RANDOM_UID' | 'DUPLICATE_UID'
  | 'NOT_PRESENTABLE'; // APP_USER / AD_HOC_USER: never presented at a charger

/** One token the compiler left out, and why. `partner` and `index` locate it in the input. */
export interface TokenIssue {
  partner: number;
  index: number;
  uid?: string;
  reason: TokenIssueReason;
  detail: string;
}

/** The fields of an OCPI 2.2.1 Token the device keeps, checked. */
export interface CheckedToken {
  uid: string;
  countryCode: string;
  partyId: string;
  type: TokenType;
  whitelist: Whitelist;
  valid: boolean;
  groupId?: string;
}

const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

/** Checks one OCPI Token object; a string result is the reason it is unusable. */
export function checkOcpiToken(raw: unknown): CheckedToken | { reason: TokenIssueReason; detail: string } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { reason: 'NOT_AN_OBJECT', detail: 'token is not a JSON object' };
  const t = raw as Record<string, unknown>;
  if (!isText(t.country_code, 2) || !isText(t.party_id, 3)) return { reason: 'MISSING_FIELD', detail: 'country_code / party_id missing or too long' };
  if (typeof t.uid !== 'string') return { reason: 'BAD_UID', detail: 'uid missing' };
  const uid = canonicalTextUid(t.uid);
  if (uid === undefined) return { reason: 'BAD_UID', detail: `uid ${JSON.stringify(t.uid)} is not 1..36 printable ASCII characters` };
  if (TOKEN_TYPES.indexOf(t.type as TokenType) < 0) return { reason: 'BAD_TYPE', detail: `type ${JSON.stringify(t.type)}` };
  if (WHITELISTS.indexOf(t.whitelist as Whitelist) < 0) return { reason: 'BAD_WHITELIST', detail: `whitelist ${JSON.stringify(t.whitelist)}` };
  if (typeof t.valid !== 'boolean') return { reason: 'BAD_VALID', detail: 'valid is not a boolean' };
  if (!isText(t.contract_id, 36) || typeof t.last_updated !== 'string') return { reason: 'MISSING_FIELD', detail: 'contract_id / last_updated missing' };
  if (t.group_id !== undefined && t.group_id !== null && !isText(t.group_id, 36)) return { reason: 'BAD_GROUP', detail: 'group_id is not 1..36 characters' };
  const key = uidKey(uid);
  if (t.type === 'RFID' && key.kind === 4 && key.lo >= 0x08000000 && key.lo < 0x09000000)
    return { reason: 'RANDOM_UID', detail: `uid ${uid} starts 08: a random UID never identifies a card` };
  return {
    uid, countryCode: t.country_code, partyId: t.party_id, type: t.type as TokenType,
    whitelist: t.whitelist as Whitelist, valid: t.valid, groupId: (t.group_id as string | null | undefined) ?? undefined,
  };
}
