// Verified session records as OCPI 2.2.1 CDR objects (mod_cdrs §10.3.1), served
// on the CDRs sender interface and pushed to each partner's receiver.
import { createHash } from 'node:crypto';
import type { RecordStore, StoredRecord } from '../record-store.js';
import { OCPI_STATUS, ocpiDateTime } from './envelope.js';
import { authorizationFor } from './pagination.js';
import type { PartnerTokens } from './partner-tokens.js';
import type { CdrSource, OcpiPartner } from './server.js';

/**
 * What the CPO knows that a roam record does not carry: its own identity, the
 * site's location and connectors, the currency. OCPI requires them in a CDR.
 */
export interface CdrContext {
  countryCode: string;
  partyId: string;
  currency: string;
  location: {
    id: string;
    name?: string;
    address: string;
    city: string;
    postal_code?: string;
    state?: string;
    /** ISO 3166-1 alpha-3. */
    country: string;
    coordinates: { latitude: string; longitude: string };
    connector_standard: string;
    connector_format: 'SOCKET' | 'CABLE';
    connector_power_type: string;
  };
}

export const ROAM_SIGNED_DATA_ENCODING = 'roam-COSE_Sign1-ES256';

const hours = (seconds: number) => Math.round((seconds / 3600) * 10_000) / 10_000;

/** "Normal (non-credit) CDRs SHALL only have an ID with a maximum length of 36." (§10.3.1) */
export function cdrId(recordId: string): string {
  return recordId.length <= 36 ? recordId : `R${createHash('sha256').update(recordId).digest('hex').slice(0, 35).toUpperCase()}`;
}

/**
 * One CDR from a verified record. From the record: id (`{device}-{seq}`),
 * start/end (the device's clock, its OCMF time status in the remark when not
 * synchronized), the token (uid, its issuer from the record's partner), the
 * auth method, the EVSE id, the energy, and the signed record itself as
 * `signed_data` (the COSE_Sign1 bytes, Base64, with the device's public key).
 * From the CPO (CdrContext): its identity, the location, connector and currency.
 * From the partner's Token: contract_id (the uid when the token is gone).
 * Not filled: session_id (no Sessions module), tariffs and costs (roam prices
 * nothing: total_cost 0), authorization_reference, meter_id.
 */
export function recordToCdr(stored: StoredRecord, ctx: CdrContext, publicKey: Uint8Array, tokens?: PartnerTokens): Record<string, unknown> | undefined {
  const v = stored.verified;
  if (!v || stored.problem) return undefined; // only records that verified, signature and chain
  const r = v.record;
  if (!r.partner) return undefined; // a card of the site's own network: no roaming partner to bill
  const token = tokens?.get(r.partner.countryCode, r.partner.partyId, r.uid, 'RFID');
  const energyKWh = r.energyWh === null ? 0 : r.energyWh / 1000;
  const connector = r.evseId.split('*').pop() ?? '1';
  const remarks = [`stop: ${r.stopReason}`];
  if (r.offline) remarks.push('authorized offline');
  if (r.start.quality !== 'S' || r.stop.quality !== 'S') remarks.push(`device time status ${r.start.quality}/${r.stop.quality} (OCMF: S synchronized, I informative, R relative, U unknown)`);
  if (r.energyWh === null) remarks.push('a meter reading was refused: energy unknown, not 0');
  const plain = JSON.stringify({ id: v.id, seq: r.seq, evse: r.evseId, uid: r.uid, start: r.start.seconds, stop: r.stop.seconds, wh: [r.meterStartWh, r.meterStopWh] });
  return {
    country_code: ctx.countryCode,
    party_id: ctx.partyId,
    id: cdrId(v.id),
    start_date_time: ocpiDateTime(r.start.seconds * 1000),
    end_date_time: ocpiDateTime(r.stop.seconds * 1000),
    cdr_token: { country_code: r.partner.countryCode, party_id: r.partner.partyId, uid: r.uid, type: 'RFID', contract_id: token?.contract_id ?? r.uid },
    auth_method: r.method,
    cdr_location: { ...ctx.location, evse_uid: r.evseId, evse_id: r.evseId, connector_id: connector },
    currency: ctx.currency,
    charging_periods: [{ start_date_time: ocpiDateTime(r.start.seconds * 1000), dimensions: [{ type: 'ENERGY', volume: energyKWh }, { type: 'TIME', volume: hours(r.stop.seconds - r.start.seconds) }] }],
    signed_data: {
      encoding_method: ROAM_SIGNED_DATA_ENCODING,
      encoding_method_version: 1,
      public_key: Buffer.from(publicKey).toString('base64'),
      signed_values: [{ nature: 'End', plain_data: plain.slice(0, 512), signed_data: Buffer.from(stored.bytes).toString('base64') }],
    },
    total_cost: { excl_vat: 0 },
    total_energy: energyKWh,
    total_time: hours(r.stop.seconds - r.start.seconds),
    remark: remarks.join('; ').slice(0, 255),
    // When the backend stored the record: a record uploaded days late is still found by a pull from the last date_to.
    last_updated: ocpiDateTime(stored.storedAt),
  };
}

const partnerKey = (cc: string, pid: string) => `${cc.toUpperCase()}*${pid.toUpperCase()}`;

/** The CDRs of every verified record, by the partner whose token started the session, oldest stored first. */
export function cdrSource(records: RecordStore, ctx: CdrContext, keyOf: (deviceId: string) => Uint8Array | undefined, tokens?: PartnerTokens): CdrSource & { all(): Map<string, { cdr: Record<string, unknown>; lastUpdated: number }[]> } {
  const all = () => {
    const out = new Map<string, { cdr: Record<string, unknown>; lastUpdated: number }[]>();
    for (const id of records.deviceIds()) {
      const key = keyOf(id);
      if (!key) continue;
      for (const s of records.records(id)) {
        const cdr = recordToCdr(s, ctx, key, tokens);
        if (!cdr) continue;
        const p = s.verified!.record.partner!;
        const k = partnerKey(p.countryCode, p.partyId);
        let list = out.get(k);
        if (!list) out.set(k, (list = []));
        list.push({ cdr, lastUpdated: s.storedAt });
      }
    }
    for (const list of out.values()) list.sort((a, b) => a.lastUpdated - b.lastUpdated || String(a.cdr.id).localeCompare(String(b.cdr.id)));
    return out;
  };
  return { all, cdrsFor: (p: OcpiPartner) => all().get(partnerKey(p.countryCode, p.partyId)) ?? [] };
}

/** CDR ids already accepted by each partner. */
export interface PushLog {
  pushedCdrs(partner: string): Set<string>;
  setPushed(partner: string, id: string, location: string): void;
}

export interface PushReport {
  sent: number;
  accepted: number;
  failed: { id: string; why: string }[];
}

/**
 * Pushes the CDRs a partner has not accepted yet to its receiver interface
 * (§10.2.2.2: "The POST method should contain the full and final CDR object";
 * the answer's "Location URL yes URL to the newly created CDR in the eMSP's
 * system"). A CDR counts as pushed once answered 1000 with a Location; the
 * others are tried again on the next push. CDRs are never sent changed
 * (§10.1: "it cannot be changed or replaced once sent").
 */
export async function pushCdrs(partner: OcpiPartner, cdrs: { cdr: Record<string, unknown> }[], log: PushLog, fetchImpl: typeof fetch = fetch): Promise<PushReport> {
  if (!partner.cdrsUrl || !partner.outgoingToken) throw new Error(`${partner.countryCode}/${partner.partyId}: no cdrsUrl and outgoingToken to push to`);
  const name = partnerKey(partner.countryCode, partner.partyId);
  const done = log.pushedCdrs(name);
  const report: PushReport = { sent: 0, accepted: 0, failed: [] };
  for (const { cdr } of cdrs) {
    const id = String(cdr.id);
    if (done.has(id)) continue;
    report.sent++;
    try {
      const res = await fetchImpl(partner.cdrsUrl, { method: 'POST', headers: { Authorization: authorizationFor(partner.outgoingToken), 'Content-Type': 'application/json' }, body: JSON.stringify(cdr) });
      const body = (await res.json().catch(() => undefined)) as { status_code?: number; status_message?: string } | undefined;
      const location = res.headers.get('Location');
      if (res.ok && body?.status_code === OCPI_STATUS.SUCCESS && location) {
        log.setPushed(name, id, location);
        report.accepted++;
      } else report.failed.push({ id, why: `HTTP ${res.status}, OCPI ${body?.status_code ?? '-'} ${body?.status_message ?? ''}${location ? '' : ', no Location'}`.trim() });
    } catch (e) {
      report.failed.push({ id, why: (e as Error).message });
    }
  }
  return report;
}

