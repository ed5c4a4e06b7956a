// npm run fleet -- --chargers N [--broker mqtt://127.0.0.1:1883] [--sessions 5] [--tokens 500]
// N chargers on the real core against one broker (mosquitto, started here when
// no --broker is given), each with its own MQTT connection: lists down, a
// network outage, sessions, records up. Reports what was lost or duplicated.
import { BackendPeer, generateOcpiTokens, SiteList } from '../backend/index.js';
import { type Broker, Mosquitto } from '../broker/index.js';
import { MqttTransport, NodeSigner, nodeCrypto } from '../hal/index.js';
import { parseArgs } from './args.js';
import { SimCharger } from './charger.js';
import { tallyRecords } from './tally.js';

export interface FleetOptions {
  chargers: number;
  sessions: number;
  tokens: number;
  broker?: string;
  log: (line: string) => void;
  /** Progress line every second (overwritten in a terminal). */
  progress?: (line: string) => void;
  limitSeconds?: number;
}

export interface FleetReport {
  chargers: number;
  connected: number;
  listsApplied: number;
  recordsExpected: number;
  recordsStored: number;
  recordsVerified: number;
  recordsLost: number;
  recordsDuplicated: number;
  duplicatesIgnored: number;
  problems: number;
  seconds: number;
  uploadSeconds: number;
  brokerKind: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FLEET_PARTITIONS = { 'tokens-a': 64 * 1024, 'tokens-b': 64 * 1024, 'tokens-sel': 8192, 'tokens-ovl': 16 * 1024, journal: 64 * 1024, 'auth-list': 8192 };

export async function runFleet(o: FleetOptions): Promise<FleetReport> {
  const t0 = Date.now();
  const limit = t0 + (o.limitSeconds ?? 600) * 1000;
  const broker: Broker = o.broker ? { kind: 'external', url: o.broker, port: 0, close: async () => {} } : await Mosquitto.start();
  o.log(`broker: ${broker.kind} at ${broker.url}`);
  const backendKey = new NodeSigner();
  const site = new SiteList(backendKey, nodeCrypto, () => Date.UTC(2026, 0, 1));
  const blk = generateOcpiTokens({ countryCode: 'US', partyId: 'BLK', count: o.tokens, seed: 1 });
  const sem = generateOcpiTokens({ countryCode: 'US', partyId: 'SEM', count: o.tokens, seed: 2 });
  const image = site.publish([
    { countryCode: 'US', partyId: 'BLK', allowedUsesTable: true, tokens: blk },
    { countryCode: 'US', partyId: 'SEM', allowedUsesTable: true, tokens: sem },
  ]);
  const backendTransport = new MqttTransport(broker.url, { clientId: `roam-fleet-backend-${process.pid}` });
  const backend = new BackendPeer({ transport: backendTransport, crypto: nodeCrypto, site, chunkBytes: 8192 });
  const cards = [...blk, ...sem].filter((t) => t.type === 'RFID' && t.valid && t.whitelist !== 'NEVER' && t.whitelist !== 'ALLOWED_OFFLINE');

  const chargers: SimCharger[] = [];
  const advanceAll = (ms: number) => { for (const c of chargers) c.platform.clock.advance(ms); };
  let phase = 'connecting';
  const status = () => {
    const connected = chargers.filter((c) => c.link.connected).length;
    const lists = chargers.filter((c) => c.store.version === image.version).length;
    const appended = chargers.reduce((n, c) => n + c.recordsAppended, 0);
    const acked = chargers.reduce((n, c) => n + c.journal.ackedSeq, 0);
    return { connected, lists, appended, acked };
  };
  const ticker = setInterval(() => {
    const s = status();
    o.progress?.(`[${((Date.now() - t0) / 1000).toFixed(0)} s] ${phase}: ${chargers.length}/${o.chargers} started, ${s.connected} connected, list on ${s.lists}, records ${s.acked}/${s.appended} acknowledged, backend stored ${backend.counters.recordsReceived} received`);
  }, 1000);
  /** Real time passes; virtual time moves 1 s per 20 ms so that retransmission timers fire. */
  const waitFor = async (done: () => boolean, what: string) => {
    while (!done()) {
      if (Date.now() > limit) throw new Error(`fleet: gave up waiting for ${what}`);
      await sleep(20);
      advanceAll(1000);
    }
  };

  try {
    // Start chargers in waves, as a site's power-on would.
    for (let i = 1; i <= o.chargers; i++) {
      const id = `fleet-cp${i}`;
      const c = new SimCharger({ id, transport: new MqttTransport(broker.url, { clientId: `roam-${id}-${process.pid}`, keepalive: 120 }), backendKey: backendKey.publicKey, seed: i, partitions: FLEET_PARTITIONS, connectors: 1 });
      backend.registerDevice(id, c.signer.publicKey);
      chargers.push(c);
      if (i % 50 === 0) await sleep(50);
    }
    phase = 'lists';
    await waitFor(() => status().lists === o.chargers, 'every charger to have the list');
    const tUpload = Date.now();
    for (let round = 1; round <= o.sessions; round++) {
      // The middle round happens during a network outage of the whole fleet: records pile up offline.
      const outage = o.sessions >= 3 && round === Math.ceil(o.sessions / 2);
      phase = outage ? `session round ${round}/${o.sessions} (OUTAGE)` : `session round ${round}/${o.sessions}`;
      if (outage) for (const c of chargers) c.link.setOutage(true);
      const taps = chargers.map((c, i) => c.tap(cards[(i * 7 + round * 13) % cards.length].uid, 1));
      let settled = 0;
      for (const t of taps) void t.then(() => settled++);
      await waitFor(() => settled === taps.length, 'tap decisions');
      for (const c of chargers) c.charge(45);
      advanceAll(45 * 60_000);
      for (const c of chargers) c.endSession(1);
      if (outage) {
        advanceAll(60 * 60_000);
        for (const c of chargers) c.link.setOutage(false);
      }
      phase = `upload after round ${round}`;
      await waitFor(() => { const s = status(); return s.acked === s.appended; }, 'acknowledgements');
    }
    const uploadSeconds = (Date.now() - tUpload) / 1000;
    const t = tallyRecords(backend.records, chargers);
    const s = status();
    return {
      chargers: o.chargers, connected: s.connected, listsApplied: s.lists, recordsExpected: t.recorded, recordsStored: t.stored, recordsVerified: t.verified,
      recordsLost: t.lost, recordsDuplicated: t.duplicated, duplicatesIgnored: t.duplicatesIgnored, problems: t.problems, seconds: (Date.now() - t0) / 1000, uploadSeconds, brokerKind: broker.kind,
    };
  } finally {
    clearInterval(ticker);
    for (const c of chargers) { c.sync.stop(); c.link.close(); }
    backendTransport.close();
    await broker.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parseArgs(process.argv.slice(2), { chargers: 100, sessions: 5, tokens: 500, broker: '', limitSeconds: 900 });
  const tty = process.stdout.isTTY;
  const r = await runFleet({
    ...args, broker: args.broker || undefined, log: (l) => console.log(l),
    progress: (l) => (tty ? process.stdout.write(`\r${l.padEnd(150)}`) : console.log(l)),
  });
  if (tty) process.stdout.write('\n');
  console.log('\n== fleet report ==');
  console.log(`chargers: ${r.chargers} (${r.connected} connected at the end), broker: ${r.brokerKind}`);
  console.log(`lists applied: ${r.listsApplied}/${r.chargers}`);
  console.log(`records: ${r.recordsExpected} recorded, ${r.recordsStored} stored, ${r.recordsVerified} verified; retransmitted copies ignored: ${r.duplicatesIgnored}`);
  console.log(`LOST: ${r.recordsLost}, DUPLICATED: ${r.recordsDuplicated}, problems: ${r.problems}`);
  console.log(`time: ${r.seconds.toFixed(1)} s (sessions and upload ${r.uploadSeconds.toFixed(1)} s)`);
  process.exit(r.recordsLost === 0 && r.recordsDuplicated === 0 && r.problems === 0 ? 0 : 1);
}
