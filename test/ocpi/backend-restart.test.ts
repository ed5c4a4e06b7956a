// The backend process killed (SIGKILL) in the middle of a list transfer and in
// the middle of a record upload, then started again on its database: the
// transfer completes with the same signed image, every record is stored once.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { generateOcpiTokens } from '../../host-sim/backend/index.js';
import { BackendDb } from '../../host-sim/backend/db.js';
import { authorizationFor } from '../../host-sim/backend/ocpi/pagination.js';
import { TOKENS_PATH } from '../../host-sim/backend/ocpi/server.js';
import type { BackendConfig } from '../../host-sim/backend/service.js';
import { Mosquitto } from '../../host-sim/broker/index.js';
import { MqttTransport, NodeSigner, nodeCrypto } from '../../host-sim/hal/index.js';
import { SimCharger } from '../../host-sim/sim/charger.js';
import { toHex } from '../../src/codec/index.js';
import { verifyRecordChain } from '../../src/sessions/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SEM = { countryCode: 'US', partyId: 'SEM', credentialsToken: 'sem-credentials-token' };
const DEVICE = 'restart-cp1';
const dir = mkdtempSync(join(tmpdir(), 'roam-backend-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `npm run backend` on the config; resolves with its OCPI URL once it says ready. */
function startBackend(configPath: string): Promise<{ child: ChildProcess; url: string; version: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'host-sim/backend/main.ts', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d) => (err += String(d)));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (l) => {
      const m = /^ready url=(\S+) site=\S+ version=(\d+)/.exec(l);
      if (m) resolve({ child, url: m[1], version: Number(m[2]) });
    });
    child.on('exit', (code) => reject(new Error(`backend exited ${code}: ${err}`)));
  });
}

const killed = (child: ChildProcess) => new Promise<void>((r) => { child.once('exit', () => r()); child.kill('SIGKILL'); });

describe('backend restart after SIGKILL', () => {
  it('mid-transfer and mid-upload: nothing lost, nothing duplicated', async () => {
    const broker = await Mosquitto.start();
    try {
      const siteKey = new NodeSigner();
      const charger = new SimCharger({ id: DEVICE, transport: new MqttTransport(broker.url, { clientId: `roam-${DEVICE}` }), backendKey: siteKey.publicKey, seed: 3, connectors: 1 });
      const config: BackendConfig = {
        db: join(dir, 'backend.sqlite'), broker: broker.url, site: 'garage', siteKey: toHex(siteKey.exportPrivateKey()), partners: [SEM],
        devices: [{ id: DEVICE, publicKey: toHex(charger.signer.publicKey) }], chunkBytes: 1024, settleMs: 50,
      };
      const configPath = join(dir, 'backend.json');
      writeFileSync(configPath, JSON.stringify(config));
      // 20,000 tokens already accepted (as an earlier run would have kept them): the backend compiles them at start.
      const sem = generateOcpiTokens({ countryCode: 'US', partyId: 'SEM', count: 20_000, seed: 41, lastUpdated: '2026-03-01T00:00:00Z' });
      const seed = new BackendDb(config.db);
      seed.db.transaction(() => { for (const t of sem) seed.putToken(t); })();
      seed.close();

      const step = () => charger.platform.clock.advance(10_000);
      let b = await startBackend(configPath);
      expect(b.version).toBe(1);
      const image = 1;

      // Mid-transfer: ~130 chunks of 1 KiB; kill once some, not all, are written.
      const deadline = Date.now() + 60_000;
      for (let i = 0; !(charger.sync.lists.progress && charger.sync.lists.progress.written > 0) && Date.now() < deadline; i++) {
        await sleep(1);
        // The status heartbeat, should the first one have come before the backend subscribed.
        if (!charger.sync.lists.progress) charger.platform.clock.advance(20_000);
      }
      const at = charger.sync.lists.progress!;
      expect(at.written).toBeGreaterThan(0);
      expect(at.written).toBeLessThan(at.size);
      await killed(b.child);
      for (let i = 0; i < 5; i++) { step(); await sleep(20); } // the device asks again into the void
      b = await startBackend(configPath);
      expect(b.version).toBe(image); // the same version, from the database: not compiled again
      while (charger.store.version !== image && Date.now() < deadline) { await sleep(20); step(); }
      expect(charger.store.version).toBe(image);
      expect(charger.totals().fullApplied).toBe(1); // one transfer, resumed, verified by the device (signature, SHA-256)

      // Tokens survive too: GET one from the restarted backend.
      const card = sem.find((t) => t.type === 'RFID' && t.valid && t.whitelist === 'ALWAYS' && /^[0-9A-F]{14}$/.test(t.uid))!;
      const got = await fetch(`${b.url}${TOKENS_PATH}/US/SEM/${card.uid}`, { headers: { Authorization: authorizationFor(SEM.credentialsToken) } }).then((r) => r.json());
      expect(got.data).toEqual(card);

      // Mid-upload: 600 sessions offline, then reconnect; kill once some batches, not all, are acknowledged.
      charger.link.setOutage(true);
      for (let i = 0; i < 600; i++) {
        const d = await charger.tap(card.uid, 1);
        expect(d.accept).toBe(true);
        charger.charge(30);
        charger.platform.clock.advance(60_000);
        charger.endSession(1);
      }
      expect(charger.recordsAppended).toBe(600);
      charger.link.setOutage(false);
      while (charger.journal.ackedSeq === 0 && Date.now() < deadline) await sleep(1);
      const acked = charger.journal.ackedSeq;
      expect(acked).toBeGreaterThan(0);
      expect(acked).toBeLessThan(600);
      await killed(b.child);
      for (let i = 0; i < 10; i++) { step(); await sleep(10); } // retransmissions meet no backend
      b = await startBackend(configPath);
      while (charger.journal.ackedSeq < 600 && Date.now() < deadline) { await sleep(20); step(); }
      expect(charger.journal.ackedSeq).toBe(600);
      b.child.kill('SIGTERM');
      await new Promise((r) => b.child.once('exit', r));

      // What the database holds: seqs 1..600 once each, every signature and chain link verified.
      const db = new BackendDb(config.db);
      const rows = db.records(DEVICE);
      db.close();
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
      const chain = verifyRecordChain(rows.map((r) => r.bytes), charger.signer.publicKey, nodeCrypto, undefined, DEVICE);
      expect(chain.records.length).toBe(600);
      expect(chain.last.seq).toBe(600);
      charger.sync.stop();
      charger.link.close();
    } finally {
      await broker.close();
    }
  });
});
