// The OCPI 2.2.1 Token object as a receiver checks it (mod_tokens §12.3.2):
// a PUT's whole object, a PATCH's fields, and the merge of the two.
import type { OcpiToken } from '../ocpi-tokens.js';
import { parseOcpiDateTime } from './envelope.js';

export const TOKEN_TYPES = ['AD_HOC_USER', 'APP_USER', 'OTHER', 'RFID'] as const;
export const WHITELIST_TYPES = ['ALWAYS', 'ALLOWED', 'ALLOWED_OFFLINE', 'NEVER'] as const;
const PROFILE_TYPES = ['CHEAP', 'FAST', 'GREEN', 'REGULAR'];

/** CiString(n): "Case Insensitive String. Only printable ASCII allowed." (types §16.1) */
const ciString = (v: unknown, max: number): v is string => typeof v === 'string' && v.length >= 1 && v.length <= max && /^[\x20-\x7E]*$/.test(v);
const string = (v: unknown, max: number): v is string => typeof v === 'string' && [...v].length <= max;

type Check = (v: unknown) => string | undefined;
const required = new Set(['country_code', 'party_id', 'uid', 'type', 'contract_id', 'issuer', 'valid', 'whitelist', 'last_updated']);

/** Each field of the Token object (§12.3.2), its type and cardinality; undefined = fine. */
const FIELDS: Record<string, Check> = {
  country_code: (v) => (ciString(v, 2) ? undefined : 'country_code must be CiString(2)'),
  party_id: (v) => (ciString(v, 3) ? undefined : 'party_id must be CiString(3)'),
  uid: (v) => (ciString(v, 36) ? undefined : 'uid must be CiString(36)'),
  type: (v) => ((TOKEN_TYPES as readonly unknown[]).includes(v) ? undefined : `type must be one of ${TOKEN_TYPES.join(', ')}`),
  contract_id: (v) => (ciString(v, 36) ? undefined : 'contract_id must be CiString(36)'),
  visual_number: (v) => (string(v, 64) ? undefined : 'visual_number must be string(64)'),
  issuer: (v) => (string(v, 64) && v.length > 0 ? undefined : 'issuer must be string(64)'),
  group_id: (v) => (ciString(v, 36) ? undefined : 'group_id must be CiString(36)'),
  valid: (v) => (typeof v === 'boolean' ? undefined : 'valid must be a boolean'),
  whitelist: (v) => ((WHITELIST_TYPES as readonly unknown[]).includes(v) ? undefined : `whitelist must be one of ${WHITELIST_TYPES.join(', ')}`),
  language: (v) => (string(v, 2) ? undefined : 'language must be string(2)'),
  default_profile_type: (v) => (PROFILE_TYPES.includes(v as string) ? undefined : `default_profile_type must be one of ${PROFILE_TYPES.join(', ')}`),
  energy_contract: (v) => {
    const e = v as { supplier_name?: unknown; contract_id?: unknown } | null;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) return 'energy_contract must be an object';
    if (!string(e.supplier_name, 64) || e.supplier_name.length === 0) return 'energy_contract.supplier_name must be string(64)';
    if (e.contract_id !== undefined && e.contract_id !== null && !string(e.contract_id, 64)) return 'energy_contract.contract_id must be string(64)';
    return undefined;
  },
  last_updated: (v) => (parseOcpiDateTime(v) !== undefined ? undefined : 'last_updated must be an OCPI DateTime'),
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where a Token is addressed: the URL of the receiver interface (§12.2.1). */
export interface TokenAddress {
  countryCode: string;
  partyId: string;
  uid: string;
  /** "Token.type of the Token … Default if omitted: RFID" */
  type: string;
}

/** Checks every field present and that the required ones are; a problem's text, or undefined. */
function checkFields(t: Record<string, unknown>, whole: boolean): string | undefined {
  for (const [k, v] of Object.entries(t)) {
    const check = FIELDS[k];
    if (!check) continue; // fields of later versions or extensions: kept, not interpreted
    if (v === null) {
      if (required.has(k)) return `${k} is required and cannot be null`;
      continue;
    }
    const problem = check(v);
    if (problem) return problem;
  }
  if (whole) for (const k of required) if (t[k] === undefined) return `${k} is required`;
  return undefined;
}

/**
 * Checks that a token names the URL's object. PUT §12.2.1.2: country_code and
 * party_id "SHALL be the same value as the country_code [party_id] in the Token
 * object being pushed"; transport_and_format §4.1.5.1: "When a client pushes a
 * Client Owned Object, but the {object-id} in the URL is different from the id
 * in the object being pushed, server implementations are advised to return an
 * OCPI status code: 2001."
 */
function checkAddress(t: Record<string, unknown>, at: TokenAddress): string | undefined {
  const same = (a: unknown, b: string) => typeof a === 'string' && a.toUpperCase() === b.toUpperCase();
  if (t.country_code !== undefined && !same(t.country_code, at.countryCode)) return `country_code ${JSON.stringify(t.country_code)} is not the URL's ${at.countryCode}`;
  if (t.party_id !== undefined && !same(t.party_id, at.partyId)) return `party_id ${JSON.stringify(t.party_id)} is not the URL's ${at.partyId}`;
  if (t.uid !== undefined && !same(t.uid, at.uid)) return `uid ${JSON.stringify(t.uid)} is not the URL's ${at.uid}`;
  if (t.type !== undefined && t.type !== at.type) return `type ${JSON.stringify(t.type)} is not the URL's ${at.type}`;
  return undefined;
}

/** A PUT body: a whole Token for this address, or the reason it is not one (OCPI 2001). */
export function checkPutToken(body: unknown, at: TokenAddress): { token: OcpiToken } | { problem: string } {
  if (!isObject(body)) return { problem: 'the body is not a Token object' };
  const problem = checkFields(body, true) ?? checkAddress(body, at);
  if (problem) return { problem };
  return { token: withoutNulls(body) as unknown as OcpiToken };
}

/**
 * A PATCH merged into the stored token. §12.2.1.3: "Same as the PUT method, but
 * only the fields/objects that have to be updated have to be present, other
 * fields/objects that are not specified are considered unchanged. Any request
 * to the PATCH method SHALL contain the last_updated field." A field set to
 * null is removed (optional fields only); the result must still be a whole Token.
 */
export function mergePatch(stored: OcpiToken, body: unknown, at: TokenAddress): { token: OcpiToken } | { problem: string } {
  if (!isObject(body)) return { problem: 'the body is not a JSON object' };
  if (body.last_updated === undefined) return { problem: 'a PATCH must contain last_updated' };
  const problem = checkFields(body, false) ?? checkAddress(body, at);
  if (problem) return { problem };
  const merged = withoutNulls({ ...(stored as unknown as Record<string, unknown>), ...body });
  const whole = checkFields(merged, true);
  if (whole) return { problem: whole };
  return { token: merged as unknown as OcpiToken };
}

function withoutNulls(t: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(t)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}
