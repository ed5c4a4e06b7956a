import { canonicalTextUid, isRandomUid, readsCardNumbers } from './uid.js';
import { TOKEN_TYPES, WHITELISTS, type ReaderConfig, type TokenType, type Whitelist } from './types.js';

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
const sameText = (v: unknown, uid: string): boolean => typeof v === 'string' && v.toUpperCase() === uid;

/**
 * Checks one OCPI Token object; a `reason` result says why it is unusable.
 * `reader`: how the site's readers deliver uids, when the caller knows; by
 * default whole UIDs, as a device's reader does.
 */
export function checkOcpiToken(raw: unknown, reader?: ReaderConfig): CheckedToken | { reason: TokenIssueReason; detail: string } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { reason: 'NOT_AN_OBJECT', detail: 'token is not a JSON object' };
  const t = raw as Record<string, unknown>;
  if (!isText(t.country_code, 2)) return { reason: 'MISSING_FIELD', detail: 'country_code missing or not 1..2 characters' };
  if (!isText(t.party_id, 3)) return { reason: 'MISSING_FIELD', detail: 'party_id missing or not 1..3 characters' };
  if (typeof t.uid !== 'string') return { reason: 'BAD_UID', detail: 'uid missing' };
  const uid = canonicalTextUid(t.uid);
  if (uid === undefined) return { reason: 'BAD_UID', detail: `uid ${JSON.stringify(t.uid)} is not 1..36 printable ASCII characters` };
  if (TOKEN_TYPES.indexOf(t.type as TokenType) < 0) return { reason: 'BAD_TYPE', detail: `type ${JSON.stringify(t.type)} is not one of ${TOKEN_TYPES.join(', ')}` };
  if (WHITELISTS.indexOf(t.whitelist as Whitelist) < 0) return { reason: 'BAD_WHITELIST', detail: `whitelist ${JSON.stringify(t.whitelist)} is not one of ${WHITELISTS.join(', ')}` };
  if (typeof t.valid !== 'boolean') return { reason: 'BAD_VALID', detail: 'valid is not a boolean' };
  if (!isText(t.contract_id, 36)) return { reason: 'MISSING_FIELD', detail: 'contract_id missing or not 1..36 characters' };
  if (typeof t.last_updated !== 'string') return { reason: 'MISSING_FIELD', detail: 'last_updated missing' };
  if (t.group_id !== undefined && t.group_id !== null && !isText(t.group_id, 36)) return { reason: 'BAD_GROUP', detail: 'group_id is not 1..36 characters' };
  if (isRandomUid(uid) && readAsUid(t, uid, reader))
    return { reason: 'RANDOM_UID', detail: `RFID uid ${uid} is a 4-byte UID starting 0x08: random (ISO 14443-3), new at every tap, it names no card. A card or contract number is kept when it is also the token's visual_number or contract_id, or when the readers deliver card numbers (verbatim)` };
  return {
    uid, countryCode: t.country_code, partyId: t.party_id, type: t.type as TokenType,
    whitelist: t.whitelist as Whitelist, valid: t.valid, groupId: (t.group_id as string | null | undefined) ?? undefined,
  };
}

/**
 * Whether a token's uid is a UID a reader takes from the chip. OCPI allows an
 * RFID token's uid to be another identifier, and these are not UIDs:
 * - the uid of a token of another type (OTHER: a number typed or shown);
 * - a uid that is also the printed card number (visual_number) or the contract
 *   id: fixed numbers, which a random UID never is;
 * - uids of a site whose readers deliver printed card numbers (verbatim text),
 *   or cut UIDs to 4 bytes (truncateTo 4: a cut 7- or 10-byte UID may start
 *   08, while a random 4-byte tap is refused before the cut).
 */
function readAsUid(t: Record<string, unknown>, uid: string, reader: ReaderConfig | undefined): boolean {
  if (t.type !== 'RFID' || sameText(t.visual_number, uid) || sameText(t.contract_id, uid)) return false;
  return !reader || (!readsCardNumbers(reader) && reader.truncateTo !== 4);
}
