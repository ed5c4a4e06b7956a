import { BackendPeer, SiteList } from '../host-sim/backend/index.js';
import { Mosquitto } from '../host-sim/broker/index.js';
import { hostPlatform, MqttTransport, NodeSigner, nodeCrypto, SeededRandom } from '../host-sim/hal/index.js';
import { runFleet } from '../host-sim/sim/fleet.js';
import { Journal, type SessionFacts } from '../src/sessions/index.js';
import { parseTopic, SyncClient } from '../src/sync/index.js';
import type { Bench } from './figure.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function facts(n: number): SessionFacts {
  const start = 1767225600 + n * 3600;
  return {
    evseId: 'US*SEM*E1234*1', uid: (0x04a2b3c4d5e600 + (n % 250)).toString(16).toUpperCase(), partner: { id: n % 2, countryCode: 'US', partyId: n % 2 ? 'SEM' : 'BLK' },
    method: 'WHITELIST', offline: n % 2 === 0, start: { seconds: start, quality: 'S' }, stop: { seconds: start + 5400, quality: 'S' },
    meterStartWh: n * 9000, meterStopWh: n * 9000 + 6000 + (n % 700), stopReason: 'EVDisconnected',
  };
}

/** One device uploads `count` signed records through mosquitto to the backend peer; real time from first send to last ack. */
async function uploadThroughMosquitto(count: number): Promise<{ perSecond: number; wireBytesPerRecord: number; coseBytes: number }> {
  const broker = await Mosquitto.start();
  try {
    const site = new SiteList(new NodeSigner(), nodeCrypto, () => 0);
    const backendTransport = new MqttTransport(broker.url);
    const backend = new BackendPeer({ transport: backendTransport, crypto: nodeCrypto, site });
    const platform = hostPlatform({ journal: 4 * 1024 * 1024 }, 1);
    const signer = new NodeSigner();
    const journal = new Journal(platform.flash('journal'), { crypto: nodeCrypto, deviceId: 'bench-cp1', signer });
    journal.recover();
    for (let i = 1; i <= count; i++) journal.append(facts(i));
    journal.signPending();
    const coseBytes = journal.readFrom(1, 1 << 30).reduce((n, r) => n + r.bytes.length, 0) / count;
    backend.registerDevice('bench-cp1', signer.publicKey);
    const transport = new MqttTransport(broker.url);
    let wire = 0;
    const publish = transport.publish.bind(transport);
    transport.publish = (topic, payload) => {
      if (parseTopic(topic)?.kind === 'recordBatch') wire += payload.length + topic.length + 4; // + MQTT fixed header, topic, length
      publish(topic, payload);
    };
    while (!transport.connected || !backendTransport.connected) await sleep(5);
    const t0 = performance.now();
    const sync = new SyncClient({ deviceId: 'bench-cp1', transport, clock: platform.clock, random: new SeededRandom(1), journal, lists: { version: () => 0, beginFull() {}, writeChunk() {}, commit() {}, applyDifferential() {}, isVersionMismatch: () => false } });
    while (journal.ackedSeq < count) {
      await sleep(1);
      platform.clock.advance(100);
    }
    const seconds = (performance.now() - t0) / 1000;
    const report = backend.records.report('bench-cp1');
    if (report.verified !== count) throw new Error(`bench upload verified ${report.verified} of ${count}`);
    sync.stop();
    transport.close();
    backendTransport.close();
    return { perSecond: Math.round(count / seconds), wireBytesPerRecord: Math.round((wire / count) * 10) / 10, coseBytes: Math.round(coseBytes) };
  } finally {
    await broker.close();
  }
}

// sync figures: upload rate and bytes per record through mosquitto, and the fleet.
const bench: Bench = async ({ quick, log }) => {
  const up = await uploadThroughMosquitto(quick ? 500 : 5000);
  const n = quick ? 100 : 1000;
  const fleet = await runFleet({ chargers: n, sessions: 5, tokens: 500, log, progress: quick ? undefined : log });
  log(`fleet: ${fleet.chargers} chargers, ${fleet.recordsVerified}/${fleet.recordsExpected} records verified, ${fleet.seconds.toFixed(1)} s`);
  return [
    { name: 'sync.upload_records_per_s', value: up.perSecond, unit: 'records/s (one device, mosquitto, signed and verified)' },
    { name: 'sync.bytes_per_record', value: up.wireBytesPerRecord, unit: 'bytes on the wire per record (batches, compressed)' },
    { name: 'sync.record_cose_bytes', value: up.coseBytes, unit: 'bytes per signed record (COSE_Sign1)' },
    { name: 'fleet.chargers', value: fleet.recordsLost === 0 && fleet.recordsDuplicated === 0 ? fleet.chargers : 0, unit: 'chargers through mosquitto with 0 lost' },
    { name: 'fleet.records_lost', value: fleet.recordsLost + fleet.recordsDuplicated, unit: 'records lost or duplicated' },
  ];
};
export default bench;
