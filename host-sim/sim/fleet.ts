// npm run fleet -- --chargers N [--broker mqtt://127.0.0.1:1883] [--sessions 5] [--tokens 500] [--limit-seconds 900]
// N chargers on the real core against one broker (mosquitto, started here when
// no --broker is given), each with its own MQTT connection: lists down, a
// network outage, sessions, records up. Reports what was lost or duplicated.
import { BackendPeer, generateOcpiTokens, SiteList } from '../backend/index.js';
import { BackendWorkers } from '../backend/workers.js';
import type { Broker } from '../broker/index.js';
import { MqttTransport, NodeSigner, nodeCrypto } from '../hal/index.js';
import { Progress } from '../progress.js';
import { optionsHelp, parseOptions, RunError, runCommand, type Spec } from './args.js';
import { SimCharger } from './charger.js';
import { reachBroker, startMosquitto, UNREACHABLE } from './reach.js';
import { tallyRecords } from './tally.js';

export interface FleetOptions {
  chargers: number;
  sessions: number;
  tokens: number;
  broker?: string;
  log: (line: string) => void;
  /** A status line every second (bench logs it; the command draws a progress line instead). */
  progress?: (line: string) => void;
  /** Done/total, rate and time left of each stage, on a terminal. */
  bar?: Progress;
  /** The whole run's limit; past it the run ends with a RunError naming --limit-seconds. */
  limitSeconds?: number;
  /** Backend worker processes on an MQTT shared subscription (host-sim/backend/workers.ts); 0 or absent: one peer in this process. */
  workers?: number;
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
  workers: number;
  /** CPU time of the backend (the workers', or this process's share while uploading), ms. */
  backendCpuMs: number;
  /** Resident memory of this process (the chargers) per charger, bytes. */
  rssPerCharger: number;
  /** Record batches the chargers sent, and those each worker received (a shared subscription hands each to one). */
  batchesSent: number;
  workerBatches: number[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FLEET_PARTITIONS = { 'tokens-a': 64 * 1024, 'tokens-b': 64 * 1024, 'tokens-sel': 8192, 'tokens-ovl': 16 * 1024, journal: 64 * 1024, 'auth-list': 8192 };

export async function runFleet(o: FleetOptions): Promise<FleetReport> {
  const t0 = Date.now();
  const limit = t0 + (o.limitSeconds ?? 600) * 1000;
  if (o.broker) await reachBroker(o.broker);
  const broker: Broker = o.broker ? { kind: 'external', url: o.broker, port: 0, close: async () => {} } : await startMosquitto();
  o.log(`broker: ${broker.kind} at ${broker.url}`);
  const blk = generateOcpiTokens({ countryCode: 'US', partyId: 'BLK', count: o.tokens, seed: 1 });
  const sem = generateOcpiTokens({ countryCode: 'US', partyId: 'SEM', count: o.tokens, seed: 2 });
  const partners = [
    { countryCode: 'US', partyId: 'BLK', allowedUsesTable: true, tokens: blk },
    { countryCode: 'US', partyId: 'SEM', allowedUsesTable: true, tokens: sem },
  ];
  // One peer in this process, or worker processes sharing the site's list and device keys through SQLite.
  const workers = o.workers ? await BackendWorkers.start({ workers: o.workers, broker: broker.url, partners, chunkBytes: 8192, clock: () => Date.UTC(2026, 0, 1) }) : undefined;
  if (workers) o.log(`backend: ${o.workers} worker processes on $share/roam-${workers.site}/roam/v1/+/…`);
  const backendKey = workers?.signer ?? new NodeSigner();
  const site = new SiteList(backendKey, nodeCrypto, () => Date.UTC(2026, 0, 1));
  const image = workers?.image ?? site.publish(partners);
  const backendTransport = workers ? undefined : new MqttTransport(broker.url, { clientId: `roam-fleet-backend-${process.pid}` });
  const backend = backendTransport && new BackendPeer({ transport: backendTransport, crypto: nodeCrypto, site, chunkBytes: 8192 });
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
  // The progress line counts what the current stage waits for: connections, lists, then each round's acknowledgements.
  let measure = (): [number, string] => [status().connected, `${chargers.length} started`];
  const stage = (label: string, total: number, m: typeof measure) => { o.bar?.stage(`fleet: ${label}`, total); measure = m; };
  stage('connecting', o.chargers, measure);
  const bar = setInterval(() => o.bar?.update(...measure()), 250);
  const ticker = setInterval(() => {
    const s = status();
    o.progress?.(`[${((Date.now() - t0) / 1000).toFixed(0)} s] ${phase}: ${chargers.length}/${o.chargers} started, ${s.connected} connected, list on ${s.lists}, records ${s.acked}/${s.appended} acknowledged${backend ? `, backend received ${backend.counters.recordsReceived}` : ''}`);
  }, 1000);
  /** Real time passes; virtual time moves 1 s per 20 ms so that retransmission timers fire. */
  const waitFor = async (done: () => boolean, what: string) => {
    while (!done()) {
      if (Date.now() > limit) {
        const s = status();
        throw new RunError(`time limit of ${o.limitSeconds ?? 600} s (--limit-seconds) reached waiting for ${what}: ${s.connected}/${o.chargers} connected to ${broker.url}, list on ${s.lists}, records ${s.acked}/${s.appended} acknowledged`, 1);
      }
      await sleep(20);
      advanceAll(1000);
    }
  };

  try {
    // Start chargers in waves, as a site's power-on would.
    for (let i = 1; i <= o.chargers; i++) {
      const id = `fleet-cp${i}`;
      const c = new SimCharger({ id, transport: new MqttTransport(broker.url, { clientId: `roam-${id}-${process.pid}`, keepalive: 120 }), backendKey: backendKey.publicKey, seed: i, partitions: FLEET_PARTITIONS, connectors: 1 });
      (backend ?? workers!).registerDevice(id, c.signer.publicKey);
      chargers.push(c);
      if (i % 50 === 0) {
        workers?.flushKeys();
        await sleep(50);
      }
    }
    workers?.flushKeys();
    await waitFor(() => status().connected === o.chargers, 'every charger to connect');
    phase = 'lists';
    stage('list applied', o.chargers, () => [status().lists, '']);
    await waitFor(() => status().lists === o.chargers, 'every charger to have the list');
    const tUpload = Date.now();
    const cpuUpload = process.cpuUsage();
    for (let round = 1; round <= o.sessions; round++) {
      // The middle round happens during a network outage of the whole fleet: records pile up offline.
      const outage = o.sessions >= 3 && round === Math.ceil(o.sessions / 2);
      phase = outage ? `session round ${round}/${o.sessions} (OUTAGE)` : `session round ${round}/${o.sessions}`;
      if (outage) for (const c of chargers) c.link.setOutage(true);
      const ackedBefore = status().acked;
      stage(`round ${round}/${o.sessions}${outage ? ' (outage)' : ''}: records acknowledged`, o.chargers, () => [status().acked - ackedBefore, '']);
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
    const cpu = process.cpuUsage(cpuUpload);
    const rss = process.memoryUsage().rss;
    await workers?.stop();
    const t = tallyRecords(workers ? workers.records() : backend!.records, chargers);
    const s = status();
    return {
      chargers: o.chargers, connected: s.connected, listsApplied: s.lists, recordsExpected: t.recorded, recordsStored: t.stored, recordsVerified: t.verified,
      recordsLost: t.lost, recordsDuplicated: t.duplicated, duplicatesIgnored: t.duplicatesIgnored, problems: t.problems, seconds: (Date.now() - t0) / 1000, uploadSeconds, brokerKind: broker.kind,
      workers: o.workers ?? 0, backendCpuMs: workers ? workers.stats.reduce((n, w) => n + (w?.cpuMs ?? 0), 0) : Math.round((cpu.user + cpu.system) / 1000), rssPerCharger: Math.round(rss / o.chargers),
      batchesSent: chargers.reduce((n, c) => n + c.sync.uploader.stats.batchesSent, 0), workerBatches: workers ? workers.stats.map((w) => w?.batches ?? 0) : [],
    };
  } finally {
    clearInterval(ticker);
    clearInterval(bar);
    o.bar?.end();
    for (const c of chargers) { c.sync.stop(); c.link.close(); }
    backendTransport?.close();
    await workers?.stop();
    workers?.close();
    await broker.close();
  }
}

const OPTIONS = {
  chargers: { kind: 'int', default: 100, min: 1, max: 20_000, about: 'chargers, each with its own MQTT connection' },
  sessions: { kind: 'int', default: 5, min: 1, max: 100, about: 'session rounds (from 3, the middle one during an outage of the whole fleet)' },
  tokens: { kind: 'int', default: 500, min: 10, max: 2000, about: 'tokens of each of the two partner networks (the list fits a 64 KiB slot)' },
  broker: { kind: 'url', default: '', about: 'an MQTT broker to use (default: mosquitto, started here on a free port)' },
  limitSeconds: { kind: 'int', default: 900, min: 1, max: 86_400, about: 'time limit of the whole run, in seconds' },
  workers: { kind: 'int', default: 2, min: 0, max: 32, about: 'backend worker processes on an MQTT shared subscription ($share/…); 0: one backend peer in this process' },
} satisfies Spec;

const HELP = `usage: npm run fleet [-- options]

N chargers on roam's core against one broker, each with its own MQTT
connection: the list down, session rounds (one during an outage of the whole
fleet), records up; reports what was lost or duplicated. Progress (done/total,
rate, time left) is drawn on a terminal, never in CI or a pipe.

options:
${optionsHelp(OPTIONS)}

exit codes: 0 every record stored and verified once; 1 a record lost or
duplicated, a problem, or the time limit reached (the line says what was
awaited); 2 bad input (an option, its value); ${UNREACHABLE} the MQTT broker cannot be
reached, or mosquitto (started when there is no --broker) is not installed.`;

if (import.meta.url === `file://${process.argv[1]}`) {
  await runCommand('npm run fleet', async () => {
    const args = parseOptions(process.argv.slice(2), OPTIONS);
    if (args === 'help') {
      console.log(HELP);
      return 0;
    }
    const bar = new Progress('fleet', args.chargers);
    const r = await runFleet({ ...args, broker: args.broker || undefined, log: (l) => bar.print(l), bar });
    console.log('\n== fleet report ==');
    console.log(`chargers: ${r.chargers} (${r.connected} connected at the end), broker: ${r.brokerKind}`);
    console.log(`lists applied: ${r.listsApplied}/${r.chargers}`);
    console.log(`records: ${r.recordsExpected} recorded, ${r.recordsStored} stored, ${r.recordsVerified} verified; retransmitted copies ignored: ${r.duplicatesIgnored}`);
    console.log(`LOST: ${r.recordsLost}, DUPLICATED: ${r.recordsDuplicated}, problems: ${r.problems}`);
    console.log(`time: ${r.seconds.toFixed(1)} s (sessions and upload ${r.uploadSeconds.toFixed(1)} s, ${Math.round(r.recordsExpected / r.uploadSeconds)} records/s)`);
    console.log(`backend: ${r.workers ? `${r.workers} worker processes` : 'one peer in this process'}, ${(r.backendCpuMs / 1000).toFixed(1)} s CPU; chargers' process: ${(r.rssPerCharger / 1024).toFixed(0)} KiB RSS per charger`);
    return r.recordsLost === 0 && r.recordsDuplicated === 0 && r.problems === 0 ? 0 : 1;
  });
}
