// OCPI 2.2.1 over HTTP into the backend peer: tokens ingested per second (PUT,
// each committed to SQLite with fsync before its answer), and the time from one
// PATCH valid=false to a charger holding the new list (through mosquitto).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackendPeer, generateOcpiTokens, ocpiDiffBuilder, SiteList } from '../host-sim/backend/index.js';
import { BackendDb } from '../host-sim/backend/db.js';
import { ListFeed } from '../host-sim/backend/ocpi/list-feed.js';
import { authorizationFor } from '../host-sim/backend/ocpi/pagination.js';
import { PartnerTokens } from '../host-sim/backend/ocpi/partner-tokens.js';
import { ocpiServer, TOKENS_PATH, type OcpiPartner } from '../host-sim/backend/ocpi/server.js';
import { Mosquitto } from '../host-sim/broker/index.js';
import { MqttTransport, NodeSigner, nodeCrypto } from '../host-sim/hal/index.js';
import { SimCharger } from '../host-sim/sim/charger.js';
import type { Bench } from './figure.js';

const SEM: OcpiPartner = { countryCode: 'US', partyId: 'SEM', credentialsToken: 'bench-sem-token' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const bench: Bench = async ({ quick, log }) => {
  const dir = mkdtempSync(join(tmpdir(), 'roam-ocpi-bench-'));
  const broker = await Mosquitto.start();
  try {
    const db = new BackendDb(join(dir, 'backend.sqlite'));
    const tokens = new PartnerTokens(db);
    const key = new NodeSigner();
    const list = new SiteList(key, nodeCrypto, Date.now, ocpiDiffBuilder(key));
    list.persistTo(db, 'bench');
    const peerLink = new MqttTransport(broker.url);
    const peer = new BackendPeer({ transport: peerLink, crypto: nodeCrypto, site: list, chunkBytes: 8192, repo: db });
    const feed = new ListFeed(tokens, [{ name: 'bench', list, partners: [SEM], announce: () => peer.announceList() }], { settleMs: 500 });
    const app = ocpiServer({ partners: [SEM], tokens });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const headers = { Authorization: authorizationFor(SEM.credentialsToken), 'Content-Type': 'application/json' };

    // Tokens in: PUT one by one, 16 requests in flight, as an eMSP pushing its list.
    const n = quick ? 300 : 3000;
    const sem = generateOcpiTokens({ countryCode: 'US', partyId: 'SEM', count: n, seed: 7, lastUpdated: '2026-03-01T00:00:00Z' });
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < sem.length) {
        const t = sem[next++];
        const r = await fetch(`${base}${TOKENS_PATH}/US/SEM/${t.uid}?type=${t.type}`, { method: 'PUT', headers, body: JSON.stringify(t) });
        if (r.status !== 201) throw new Error(`PUT answered ${r.status}`);
        await r.arrayBuffer();
      }
    }));
    const perSecond = n / ((performance.now() - t0) / 1000);
    log(`ocpi: ${n} tokens PUT in ${((performance.now() - t0) / 1000).toFixed(2)} s: ${perSecond.toFixed(0)} tokens/s`);
    await sleep(600);
    feed.publishNow();

    // One change to one charger: PATCH valid=false → differential → applied on the charger.
    const charger = new SimCharger({ id: 'bench-cp1', transport: new MqttTransport(broker.url), backendKey: key.publicKey, seed: 1, connectors: 1 });
    peer.registerDevice('bench-cp1', charger.signer.publicKey);
    for (let i = 0; i < 500 && charger.store.version !== list.current!.version; i++) { await sleep(20); charger.platform.clock.advance(1000); }
    const card = sem.find((t) => t.type === 'RFID' && t.valid)!;
    const before = charger.store.version;
    const p0 = performance.now();
    const r = await fetch(`${base}${TOKENS_PATH}/US/SEM/${card.uid}`, { method: 'PATCH', headers, body: JSON.stringify({ valid: false, last_updated: '2026-03-02T00:00:00Z' }) });
    await r.arrayBuffer();
    while (charger.store.version === before && performance.now() - p0 < 10_000) await sleep(1);
    const latency = performance.now() - p0;
    const compiled = feed.lastPublish!.changeToPublishMs;
    log(`ocpi: PATCH to charger ${latency.toFixed(0)} ms (settle window 500 ms; change to published ${compiled} ms; ${n} tokens)`);
    charger.sync.stop();
    charger.link.close();
    feed.stop();
    await app.close();
    peerLink.close();
    db.close();
    return [
      { name: 'ocpi.tokens_put_per_s', value: Math.round(perSecond), unit: `tokens/s (PUT over HTTP, 16 in flight, committed to SQLite with fsync before the answer, one commit per event-loop turn; ${n} tokens)` },
      { name: 'ocpi.patch_to_charger_ms', value: Math.round(latency), unit: `ms from one PATCH valid=false to the charger holding the new list (500 ms settle window, differential through mosquitto, ${n} tokens)` },
    ];
  } finally {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
};

export default bench;
