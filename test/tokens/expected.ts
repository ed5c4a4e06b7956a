// Independent expectations: what a list means, straight from the OCPI objects,
// without the compiler's code (first occurrence of a uid wins; APP_USER,
// AD_HOC_USER and random UIDs are out).
import type { PartnerTokens } from '../../src/tokens/index.js';

export interface Expected { partyId: string; whitelist: string; valid: boolean; type: string; groupId?: string }

export function expectedEntries(lists: PartnerTokens[]): Map<string, Expected> {
  const out = new Map<string, Expected>();
  for (const p of lists) {
    for (const raw of p.tokens) {
      const t = raw as Record<string, any>;
      const uid = String(t.uid).toUpperCase();
      if (t.type === 'APP_USER' || t.type === 'AD_HOC_USER') continue;
      if (/^08[0-9A-F]{6}$/.test(uid) && t.type === 'RFID') continue;
      if (out.has(uid)) continue;
      out.set(uid, { partyId: t.party_id, whitelist: t.whitelist, valid: t.valid, type: t.type, ...(t.group_id ? { groupId: t.group_id } : {}) });
    }
  }
  return out;
}

export function asExpected(e: { partner: { partyId: string }; whitelist: string; valid: boolean; type: string; groupId?: string } | undefined): Expected | undefined {
  if (!e) return undefined;
  return { partyId: e.partner.partyId, whitelist: e.whitelist, valid: e.valid, type: e.type, ...(e.groupId ? { groupId: e.groupId } : {}) };
}

export function ocpiToken(party: { countryCode: string; partyId: string }, uid: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    country_code: party.countryCode, party_id: party.partyId, uid, type: 'RFID', contract_id: `C-${uid}`,
    valid: true, whitelist: 'ALLOWED', last_updated: '2026-01-01T00:00:00Z', ...extra,
  };
}
