// Pull: the CPO GETs a partner's Tokens from the eMSP's sender interface
// (paginated, then increments by date_from). CDRs back: verified records as
// OCPI 2.2.1 CDRs on the CDRs sender interface and pushed to the eMSP.
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { BackendPeer, generateOcpiTokens, ocpiDiffBuilder, SiteList } from '../../host-sim/backend/index.js';
import { cdrSource, pushCdrs, ROAM_SIGNED_DATA_ENCODING, type CdrContext, type PushLog } from '../../host-sim/backend/ocpi/cdr.js';
import { startEmspSim, type EmspSim } from '../../host-sim/backend/ocpi/emsp-sim.js';
import { ListFeed } from '../../host-sim/backend/ocpi/list-feed.js';
import { crawl } from '../../host-sim/backend/ocpi/pagination.js';
import { PartnerTokens } from '../../host-sim/backend/ocpi/partner-tokens.js';
import { pullTokens, type PullCursors } from '../../host-sim/backend/ocpi/pull.js';
import { CDRS_PATH, ocpiServer, type OcpiPartner } from '../../host-sim/backend/ocpi/server.js';
import { MemoryBus } from '../../host-sim/broker/memory-bus.js';
import { NodeSigner, nodeCrypto } from '../../host-sim/hal/index.js';
import { SimCharger } from '../../host-sim/sim/charger.js';
import { verifyRecord } from '../../src/sessions/index.js';

const sims: EmspSim[] = [];
let app: FastifyInstance | undefined;
afterEach(async () => {
  for (const s of sims.splice(0)) await s.close();
  await app?.close();
  app = undefined;
});

class MemoryCursors implements PullCursors, PushLog {
  readonly cursors = new Map<string, string>();
  readonly pushed = new Map<string, Set<string>>();
  cursor(n: string) { return this.cursors.get(n); }
  setCursor(n: string, v: string) { this.cursors.set(n, v); }
  pushedCdrs(p: string) { return new Set(this.pushed.get(p)); }
  setPushed(p: string, id: string) { if (!this.pushed.has(p)) this.pushed.set(p, new Set()); this.pushed.get(p)!.add(id); }
}

describe('OCPI Tokens pull', () => {
  it('crawls every page by Link, then takes only what changed since the last date_to; a pulled change reaches the site as a differential', async () => {
    const sem = generateOcpiTokens({ countryCode: 'US', partyId: 'SEM', count: 250, seed: 31, lastUpdated: '2026-03-01T00:00:00Z' });
    const stranger = { ...sem[0], country_code: 'NL', party_id: 'TNM', uid: '04FFEEDDCCBBAA' }; // not this partner's role
    const sim = await startEmspSim({ credentialsToken: 'cpo-to-sem', tokens: [...sem, stranger], maxPage: 100 });
    sims.push(sim);
    const partner: OcpiPartner = { countryCode: 'US', partyId: 'SEM', credentialsToken: 'sem-to-cpo', tokensUrl: sim.tokensUrl, outgoingToken: 'cpo-to-sem' };
    const tokens = new PartnerTokens();
    const key = new NodeSigner();
    const list = new SiteList(key, nodeCrypto, () => Date.UTC(2026, 5, 1), ocpiDiffBuilder(key));
    const feed = new ListFeed(tokens, [{ name: 'garage', list, partners: [partner], announce: () => {} }], { settleMs: 60_000 });
    const cursors = new MemoryCursors();

    const first = await pullTokens(partner, tokens, cursors, { now: Date.UTC(2026, 5, 1) });
    // transport_and_format §4.1.4.1: "X-Total-Count … The total number of objects available in the server system that
    // match the given query"; "Link to the 'next' page should be provided when this is NOT the last page."
    expect(first.total).toBe(251);
    expect(first.pages).toBe(3);
    expect(first.received).toBe(251);
    expect(first.applied.created).toBe(250);
    expect(first.refused).toEqual([{ uid: '04FFEEDDCCBBAA', problem: expect.stringMatching(/country_code/) }]); // §4.1.6: "these objects may be ignored"
    expect(tokens.size).toBe(250);
    // "The Link should also contain any filters present in the original request."
    expect(sim.gets.slice(1).every((u) => u.includes('date_to=2026-06-01T00%3A00%3A00Z') || u.includes('date_to=2026-06-01T00:00:00Z'))).toBe(true);
    feed.publishNow();
    expect(list.current!.version).toBe(1);

    // The eMSP changes 5 tokens and adds 2; the next pull asks from the previous date_to.
    sim.tokens.splice(0, 5, ...sim.tokens.slice(0, 5).map((t) => ({ ...t, valid: false, last_updated: '2026-06-15T00:00:00Z' })));
    sim.tokens.push(...generateOcpiTokens({ countryCode: 'US', partyId: 'SEM', count: 2, seed: 32, lastUpdated: '2026-06-20T00:00:00Z' }));
    const second = await pullTokens(partner, tokens, cursors, { now: Date.UTC(2026, 6, 1) });
    // "the date_from of the next interval is simply the date_to of the previous interval"
    expect(second.dateFrom).toBe('2026-06-01T00:00:00Z');
    expect(sim.gets.at(-1)).toContain('date_from=');
    expect(second.received).toBe(7);
    expect(second.applied).toEqual({ created: 2, updated: 5, unchanged: 0, stale: 0 });
    expect(tokens.get('US', 'SEM', sem[0].uid, sem[0].type)!.valid).toBe(false);
    feed.publishNow();
    expect(list.current!.version).toBe(2);
    expect(list.diffFrom(1)).toBeDefined(); // a signed differential for the devices

    // A pull that brings an older state than a push already applied does not undo it.
    tokens.apply({ ...sem[10], whitelist: 'NEVER', last_updated: '2026-07-15T00:00:00Z' });
    sim.tokens[10] = { ...sem[10], whitelist: 'ALWAYS', last_updated: '2026-07-10T00:00:00Z' };
    const third = await pullTokens(partner, tokens, cursors, { now: Date.UTC(2026, 7, 1) });
    expect(third.applied.stale).toBe(1);
    expect(tokens.get('US', 'SEM', sem[10].uid, sem[10].type)!.whitelist).toBe('NEVER');
    feed.stop();
  });

  it('a sender answering with an error stops the pull and the cursor stays', async () => {
    const sim = await startEmspSim({ credentialsToken: 'right', tokens: generateOcpiTokens({ countryCode: 'US', partyId: 'SEM', count: 10, seed: 1 }) });
    sims.push(sim);
    const cursors = new MemoryCursors();
    const partner: OcpiPartner = { countryCode: 'US', partyId: 'SEM', credentialsToken: 'x'.repeat(8), tokensUrl: sim.tokensUrl, outgoingToken: 'wrong' };
    const tokens = new PartnerTokens();
    await expect(pullTokens(partner, tokens, cursors)).rejects.toThrow(/HTTP 401/);
    expect(cursors.cursors.size).toBe(0);
    expect(tokens.size).toBe(0);
  });
});

const CPO: CdrContext = {
  countryCode: 'US', partyId: 'ROM', currency: 'USD',
  location: { id: 'GARAGE-1', address: '1 Main St', city: 'Springfield', country: 'USA', coordinates: { latitude: '39.781721', longitude: '-89.650148' }, connector_standard: 'IEC_62196_T1', connector_format: 'CABLE', connector_power_type: 'AC_1_PHASE' },
};

describe('CDRs from verified records', () => {
  it('served paginated per partner on the CDRs sender interface, pushed to the eMSP receiver once, each carrying the signed record', async () => {
    const SEM: OcpiPartner = { countryCode: 'US', partyId: 'SEM', credentialsToken: 'sem-to-cpo', outgoingToken: 'cpo-to-sem' };
    const BLK: OcpiPartner = { countryCode: 'US', partyId: 'BLK', credentialsToken: 'blk-to-cpo' };
    const tokens = new PartnerTokens();
    const sem = generateOcpiTokens({ countryCode: 'US', partyId: 'SEM', count: 100, seed: 5 });
    const blk = generateOcpiTokens({ countryCode: 'US', partyId: 'BLK', count: 100, seed: 6 });
    for (const t of [...sem, ...blk]) tokens.apply(t);
    const bus = new MemoryBus();
    const key = new NodeSigner();
    const list = new SiteList(key, nodeCrypto, () => Date.UTC(2026, 2, 1));
    const peer = new BackendPeer({ transport: bus.connect(), crypto: nodeCrypto, site: list });
    const feed = new ListFeed(tokens, [{ name: 'garage', list, partners: [BLK, SEM], announce: () => peer.announceList() }]);
    expect(feed.catchUp()).toEqual(['garage']); // no list yet: compiled from the tokens held
    const charger = new SimCharger({ id: 'garage-cp1', transport: bus.connect(true), backendKey: key.publicKey, seed: 9, connectors: 1 });
    peer.registerDevice(charger.id, charger.signer.publicKey);
    const step = (n = 200) => { for (let i = 0; i < n; i++) { charger.platform.clock.advance(1000); bus.drain(); } };
    step(50);
    expect(charger.store.version).toBe(list.current!.version);
    const cards = (ts: typeof sem) => ts.filter((t) => t.type === 'RFID' && t.valid && t.whitelist === 'ALWAYS' && /^[0-9A-F]{14}$/.test(t.uid));
    const semCard = cards(sem)[0];
    const blkCard = cards(blk)[0];
    for (let i = 0; i < 7; i++) {
      const card = i < 5 ? semCard : blkCard;
      const tap = charger.tap(card.uid, 1);
      step(3); // an answer the authorizer may wait for comes with the clock
      expect((await tap).accept).toBe(true);
      charger.charge(60);
      charger.platform.clock.advance(3600_000);
      charger.endSession(1);
      step(20);
    }
    step();
    expect(peer.records.report(charger.id).verified).toBe(7);

    const source = cdrSource(peer.records, CPO, (id) => peer.records.keyOf(id), tokens);
    app = ocpiServer({ partners: [SEM, BLK], tokens, cdrs: source, maxPage: 2 });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    // mod_cdrs §10.1.3: "the CPO is allowed to return only the CDRs that are relevant for the requesting eMSP."
    const semCdrs = await crawl<Record<string, any>>(`${base}${CDRS_PATH}`, SEM.credentialsToken);
    expect(semCdrs.total).toBe(5);
    expect(semCdrs.pages).toBe(3); // X-Limit 2: pages of 2, 2, 1
    expect(semCdrs.items.map((c) => c.id)).toEqual([1, 2, 3, 4, 5].map((s) => `garage-cp1-${s}`));
    const blkCdrs = await crawl<Record<string, any>>(`${base}${CDRS_PATH}`, BLK.credentialsToken);
    expect(blkCdrs.items.map((c) => c.id)).toEqual(['garage-cp1-6', 'garage-cp1-7']);

    const cdr = semCdrs.items[0];
    expect(cdr).toMatchObject({
      country_code: 'US', party_id: 'ROM', currency: 'USD', auth_method: 'WHITELIST',
      cdr_token: { country_code: 'US', party_id: 'SEM', uid: semCard.uid, type: 'RFID', contract_id: semCard.contract_id },
      cdr_location: { id: 'GARAGE-1', evse_id: 'US*SIM*Egaragecp1*1', evse_uid: 'US*SIM*Egaragecp1*1', connector_id: '1' },
      total_energy: 7.2, total_time: 1, total_cost: { excl_vat: 0 },
    });
    expect(Date.parse(cdr.end_date_time) - Date.parse(cdr.start_date_time)).toBe(3600_000);
    // mod_cdrs §10.4.7 SignedData: "public_key string(512)? Public key used to sign the data, base64 encoded";
    // §10.4.8: "signed_data string(5000) 1 Blob of signed data, base64 encoded."
    expect(cdr.signed_data.encoding_method).toBe(ROAM_SIGNED_DATA_ENCODING);
    const signed = new Uint8Array(Buffer.from(cdr.signed_data.signed_values[0].signed_data, 'base64'));
    const v = verifyRecord(signed, new Uint8Array(Buffer.from(cdr.signed_data.public_key, 'base64')), nodeCrypto, 'garage-cp1');
    expect(v.id).toBe(cdr.id);
    expect(v.record.energyWh).toBe(7200);

    const emsp = await startEmspSim({ credentialsToken: 'cpo-to-sem', tokens: [] });
    sims.push(emsp);
    const log = new MemoryCursors();
    const pushed = await pushCdrs({ ...SEM, cdrsUrl: emsp.cdrsUrl }, source.cdrsFor(SEM), log);
    expect(pushed).toEqual({ sent: 5, accepted: 5, failed: [] });
    expect([...emsp.cdrs.keys()]).toEqual(semCdrs.items.map((c) => c.id));
    expect(emsp.cdrs.get('garage-cp1-1')).toEqual(cdr);
    // Once accepted, a CDR is not sent again ("it cannot be changed or replaced once sent").
    expect(await pushCdrs({ ...SEM, cdrsUrl: emsp.cdrsUrl }, source.cdrsFor(SEM), log)).toEqual({ sent: 0, accepted: 0, failed: [] });
    feed.stop();
  });
});
