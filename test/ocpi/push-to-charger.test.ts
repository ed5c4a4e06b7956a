// A partner's OCPI push reaches the chargers of every site that carries that
// partner as a signed differential, and the charger acts on it offline.
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { BackendPeer, generateOcpiTokens, ocpiDiffBuilder, SiteList, type OcpiToken } from '../../host-sim/backend/index.js';
import { ListFeed, type FedSite } from '../../host-sim/backend/ocpi/list-feed.js';
import { authorizationFor } from '../../host-sim/backend/ocpi/pagination.js';
import { PartnerTokens } from '../../host-sim/backend/ocpi/partner-tokens.js';
import { ocpiServer, TOKENS_PATH, type OcpiPartner } from '../../host-sim/backend/ocpi/server.js';
import { MemoryBus } from '../../host-sim/broker/memory-bus.js';
import { NodeSigner, nodeCrypto } from '../../host-sim/hal/index.js';
import { SimCharger } from '../../host-sim/sim/charger.js';

const SEM: OcpiPartner = { countryCode: 'US', partyId: 'SEM', credentialsToken: 'sem-credentials' };
const BLK: OcpiPartner = { countryCode: 'US', partyId: 'BLK', credentialsToken: 'blk-credentials' };
const PARTITIONS = { 'tokens-a': 64 * 1024, 'tokens-b': 64 * 1024, 'tokens-sel': 8192, 'tokens-ovl': 16 * 1024, journal: 32 * 1024, 'auth-list': 8192 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let app: FastifyInstance | undefined;
let feed: ListFeed | undefined;
afterEach(async () => { feed?.stop(); await app?.close(); app = undefined; });

/** A site: its own broker, backend peer and signed list, and one charger. */
function site(name: string, partners: OcpiPartner[], seed: number) {
  const bus = new MemoryBus();
  const key = new NodeSigner();
  const list = new SiteList(key, nodeCrypto, () => Date.UTC(2026, 2, 1), ocpiDiffBuilder(key));
  const peer = new BackendPeer({ transport: bus.connect(), crypto: nodeCrypto, site: list, chunkBytes: 4096 });
  const charger = new SimCharger({ id: `${name}-cp1`, transport: bus.connect(true), backendKey: key.publicKey, seed, partitions: PARTITIONS, connectors: 1 });
  peer.registerDevice(charger.id, charger.signer.publicKey);
  const fed: FedSite = { name, list, partners, announce: () => peer.announceList() };
  const step = () => { charger.platform.clock.advance(1000); bus.drain(); };
  return { bus, list, peer, charger, fed, step };
}

describe('OCPI push → signed differential → charger', () => {
  it('PATCH valid=false reaches every site carrying the partner as a differential; the charger then refuses that card offline', async () => {
    const tokens = new PartnerTokens();
    const a = site('garage', [BLK, SEM], 1); // roams with both networks
    const b = site('hospital', [BLK], 2); // Blink members only
    feed = new ListFeed(tokens, [a.fed, b.fed], { settleMs: 100 });
    app = ocpiServer({ partners: [SEM, BLK], tokens });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const http = (method: string, p: OcpiPartner, path: string, body: unknown) =>
      fetch(`${base}${TOKENS_PATH}${path}`, { method, headers: { Authorization: authorizationFor(p.credentialsToken), 'Content-Type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ http: r.status, ...(await r.json()) }));

    // Both partners push their lists over HTTP, one PUT per token.
    const sem = generateOcpiTokens({ countryCode: 'US', partyId: 'SEM', count: 150, seed: 21, lastUpdated: '2026-03-01T00:00:00Z' });
    const blk = generateOcpiTokens({ countryCode: 'US', partyId: 'BLK', count: 150, seed: 22, lastUpdated: '2026-03-01T00:00:00Z' });
    for (const [p, list] of [[SEM, sem], [BLK, blk]] as [OcpiPartner, OcpiToken[]][])
      for (const t of list) expect((await http('PUT', p, `/${t.country_code}/${t.party_id}/${t.uid}?type=${t.type}`, t)).status_code).toBe(1000);
    await sleep(250); // past the settle window: the burst is published (one version per window)
    const va = a.list.current!.version;
    const vb = b.list.current!.version;
    expect(a.list.current!.tokens).toBeGreaterThan(250);
    for (let i = 0; i < 200 && (a.charger.store.version !== va || b.charger.store.version !== vb); i++) { a.step(); b.step(); }
    expect([a.charger.store.version, b.charger.store.version]).toEqual([va, vb]);

    const card = sem.find((t) => t.type === 'RFID' && t.valid && t.whitelist === 'ALWAYS' && /^[0-9A-F]{14}$/.test(t.uid))!;
    a.charger.link.setOutage(true);
    const before = await a.charger.tap(card.uid, 1);
    expect(before.accept).toBe(true); // offline, from the table
    a.charger.endSession(1);
    a.charger.link.setOutage(false);
    for (let i = 0; i < 5; i++) a.step();

    // The eMSP blocks the card: mod_tokens §12.1.1 "When the eMSP invalidates a Token (deleting is not possible),
    // the eMSP will send the updated Token (with the field: valid set to false, by calling, either the PUT or the
    // PATCH on the CPO's Tokens endpoint"; §12.2.1.3's example is this very body.
    const t0 = Date.now();
    const patched = await http('PATCH', SEM, `/US/SEM/${card.uid}`, { valid: false, last_updated: '2026-03-02T02:11:11Z' });
    expect([patched.http, patched.status_code]).toEqual([200, 1000]);
    const diffsBefore = a.charger.totals().diffsApplied;
    const fullBefore = a.charger.totals().fullApplied;
    while (a.charger.store.version !== va + 1 && Date.now() - t0 < 10_000) { await sleep(10); a.step(); }
    expect(a.charger.store.version).toBe(va + 1);
    // A differential, signed by the site's key, not a full image.
    expect(a.charger.totals().diffsApplied).toBe(diffsBefore + 1);
    expect(a.charger.totals().fullApplied).toBe(fullBefore);
    
    // The site that does not carry SEM got no new version.
    for (let i = 0; i < 5; i++) b.step();
    expect(b.list.current!.version).toBe(vb);
    expect(b.charger.store.version).toBe(vb);

    a.charger.link.setOutage(true);
    const after = await a.charger.tap(card.uid, 1);
    expect(after.accept).toBe(false);
    expect(after.status).toBe('Invalid');
    expect(after.reason).toMatch(/^token table: valid=false/);
  });

  it('past the differential bound the change goes out as a full image', async () => {
    const tokens = new PartnerTokens();
    const a = site('garage', [SEM], 3);
    feed = new ListFeed(tokens, [a.fed], { settleMs: 10_000 });
    const sem = generateOcpiTokens({ countryCode: 'US', partyId: 'SEM', count: 700, seed: 23, lastUpdated: '2026-03-01T00:00:00Z' });
    for (const t of sem) tokens.apply(t);
    feed.publishNow();
    for (let i = 0; i < 200 && a.charger.store.version !== 1; i++) a.step();
    expect(a.charger.store.version).toBe(1);
    // 600 blocks at once: more than ocpiDiffBuilder's 500 changes.
    for (const t of sem.slice(0, 600)) tokens.apply({ ...t, valid: false, last_updated: '2026-03-03T00:00:00Z' });
    feed.publishNow();
    expect(a.list.diffFrom(1)).toBeUndefined();
    for (let i = 0; i < 300 && a.charger.store.version !== 2; i++) a.step();
    expect(a.charger.store.version).toBe(2);
    expect(a.charger.totals().fullApplied).toBe(2);
  });
});
