// Seeded partner token lists for tests, scenarios and the bench. Portable (no
// Node imports) so the shared scenario can build the same lists inside XS.
import { SeededRandom } from '../../host-sim/hal/seeded-random.js';
import type { PartnerTokens } from '../../src/tokens/compile.js';
import { crc32 } from '../../src/codec/crc32.js';
import { put32 } from '../../src/tokens/format.js';

const HEX = '0123456789ABCDEF';
const PARTNERS = [
  { countryCode: 'US', partyId: 'BLK', allowedUsesTable: true, main: 'ALLOWED' },
  { countryCode: 'US', partyId: 'SEM', allowedUsesTable: false, main: 'ALWAYS' },
  { countryCode: 'NL', partyId: 'TNM', allowedUsesTable: true, main: 'ALLOWED_OFFLINE' },
  { countryCode: 'DE', partyId: 'EMP', allowedUsesTable: false, main: 'ALLOWED' },
];
const CLASSES = ['ALWAYS', 'ALLOWED', 'ALLOWED_OFFLINE', 'NEVER'];

export function randomHex(r: SeededRandom, bytes: number): string {
  let s = '';
  for (let i = 0; i < 2 * bytes; i++) s += HEX[r.below(16)];
  return s;
}

/** A uid of the mix real lists hold: mostly 4- and 7-byte, some 10-byte, a few card numbers and odd forms. */
export function randomUid(r: SeededRandom): string {
  const x = r.below(1000);
  if (x < 450) {
    let s = randomHex(r, 4);
    while (s.startsWith('08')) s = randomHex(r, 4);
    return s;
  }
  if (x < 930) return randomHex(r, 7);
  if (x < 980) return randomHex(r, 10);
  if (x < 990) { let s = ''; for (let i = 0; i < 10; i++) s += String.fromCharCode(48 + r.below(10)); return s; }
  return randomHex(r, 1).slice(0, 1) + randomHex(r, 2 + r.below(3)); // odd length hex
}

export interface FixtureOptions {
  /** Fraction (per mille) of tokens with a group id. */
  groupedPerMille?: number;
}

/** `count` OCPI tokens spread over four partners; a few are APP_USER (left out by the compiler). */
export function partnerLists(seed: number, count: number, options: FixtureOptions = {}): PartnerTokens[] {
  const r = new SeededRandom(seed);
  const grouped = options.groupedPerMille ?? 30;
  const lists: PartnerTokens[] = PARTNERS.map((p) => ({ countryCode: p.countryCode, partyId: p.partyId, allowedUsesTable: p.allowedUsesTable, tokens: [] as unknown[] }));
  for (let i = 0; i < count; i++) {
    const p = r.below(100) < 50 ? 0 : r.below(3) + 1;
    const partner = PARTNERS[p];
    const t = r.below(1000);
    const token: Record<string, unknown> = {
      country_code: partner.countryCode,
      party_id: partner.partyId,
      uid: randomUid(r),
      type: t < 985 ? 'RFID' : t < 995 ? 'OTHER' : 'APP_USER',
      contract_id: `${partner.countryCode}-${partner.partyId}-C${i}`,
      issuer: partner.partyId,
      valid: r.below(100) < 97,
      whitelist: r.below(100) < 96 ? partner.main : CLASSES[r.below(4)],
      last_updated: '2026-01-01T00:00:00Z',
    };
    if (r.below(1000) < grouped) token.group_id = `G${r.below(400)}`;
    (lists[p].tokens as unknown[]).push(token);
  }
  return lists;
}

/** An overlay log frame (0xA5, length, CRC-32, payload) around any payload: CRC-valid whatever it holds. */
export function overlayFrame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(9 + payload.length);
  out[0] = 0xa5;
  put32(out, 1, payload.length);
  out.set(payload, 9);
  put32(out, 5, crc32(out, 9));
  return out;
}
