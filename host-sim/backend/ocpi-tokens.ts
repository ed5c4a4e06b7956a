import { readFileSync } from 'node:fs';
import { SeededRandom } from '../hal/seeded-random.js';

/** An OCPI 2.2.1 Token object, as partners publish them (the fields roam reads, plus the required rest). */
export interface OcpiToken {
  country_code: string;
  party_id: string;
  uid: string;
  type: 'RFID' | 'APP_USER' | 'AD_HOC_USER' | 'OTHER';
  contract_id: string;
  visual_number?: string;
  issuer: string;
  group_id?: string;
  valid: boolean;
  whitelist: 'ALWAYS' | 'ALLOWED' | 'ALLOWED_OFFLINE' | 'NEVER';
  language?: string;
  last_updated: string;
}

/** One partner network's token list with the issuer it is expected to carry. */
export interface PartnerList {
  countryCode: string;
  partyId: string;
  /** For whitelist ALLOWED: decide from the table (true) or ask in real time. */
  allowedUsesTable: boolean;
  tokens: OcpiToken[];
}

/**
 * Reads an OCPI Tokens file: either a bare JSON array of Token objects or an
 * OCPI response envelope ({ data: [...] }). The issuer comes from the tokens.
 */
export function readOcpiTokenFile(path: string, allowedUsesTable = true): PartnerList {
  const json = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  const tokens = Array.isArray(json) ? json : (json as { data?: unknown }).data;
  if (!Array.isArray(tokens) || tokens.length === 0) throw new Error(`${path}: no OCPI tokens (expected an array or { data: [...] })`);
  const first = tokens[0] as Partial<OcpiToken>;
  if (typeof first.country_code !== 'string' || typeof first.party_id !== 'string') throw new Error(`${path}: the first token has no country_code/party_id`);
  return { countryCode: first.country_code, partyId: first.party_id, allowedUsesTable, tokens: tokens as OcpiToken[] };
}

export interface GenerateOptions {
  countryCode: string;
  partyId: string;
  count: number;
  seed: number;
  /** Issuer name written into the tokens. */
  issuer?: string;
  lastUpdated?: string;
}

/**
 * A partner's token list from a seed: mostly 7-byte RFID UIDs (NTAG/DESFire),
 * some 4-byte ones, a few app users that never reach a charger, about 2% not
 * valid, whitelist classes in the proportions networks use (mostly ALLOWED),
 * fleets sharing group ids. The same seed gives the same list.
 */
export function generateOcpiTokens(o: GenerateOptions): OcpiToken[] {
  const rnd = new SeededRandom(o.seed);
  const hex = (bytes: number) => {
    let s = '';
    for (let i = 0; i < bytes; i++) s += rnd.below(256).toString(16).padStart(2, '0').toUpperCase();
    return s;
  };
  const seen = new Set<string>();
  const out: OcpiToken[] = [];
  const lastUpdated = o.lastUpdated ?? '2026-01-01T00:00:00Z';
  while (out.length < o.count) {
    const kind = rnd.below(100);
    let uid = kind < 80 ? `04${hex(6)}` : kind < 97 ? hex(4) : `APP${hex(5)}`;
    if (uid.length === 8 && uid.startsWith('08')) uid = `1${uid.slice(1)}`; // 08…: random UIDs never identify a card
    if (seen.has(uid)) continue;
    seen.add(uid);
    const n = out.length;
    const w = rnd.below(100);
    out.push({
      country_code: o.countryCode,
      party_id: o.partyId,
      uid,
      type: kind >= 97 ? 'APP_USER' : 'RFID',
      contract_id: `${o.countryCode}-${o.partyId}-C${String(n).padStart(8, '0')}`,
      issuer: o.issuer ?? `${o.partyId} network`,
      group_id: rnd.below(10) === 0 ? `${o.partyId}-FLEET-${rnd.below(50)}` : undefined,
      valid: rnd.below(50) !== 0,
      whitelist: w < 15 ? 'ALWAYS' : w < 85 ? 'ALLOWED' : w < 97 ? 'ALLOWED_OFFLINE' : 'NEVER',
      last_updated: lastUpdated,
    });
  }
  return out;
}
