import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Broker, Mosquitto, startAedes } from '../../host-sim/broker/index.js';
import { mqttBackend, mqttDevice, sleep, until } from './broker-helpers.js';

// The same upload and list transfer through both real brokers; then the
// broker is killed and restarted in the middle of each.

const seqs = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

type Restartable = Broker & { restartBroker(): Promise<void> };

async function mosquitto(): Promise<Restartable> {
  const m = await Mosquitto.start();
  return Object.assign(m, { restartBroker: () => m.restart() });
}

async function aedes(): Promise<Restartable> {
  let b = await startAedes();
  const port = b.port;
  return {
    kind: 'aedes', url: b.url, port,
    close: () => b.close(),
    async restartBroker() {
      await b.close();
      await sleep(200);
      b = await startAedes(port);
    },
  };
}

for (const [name, start] of [['mosquitto', mosquitto], ['aedes', aedes]] as const) {
  describe(`through ${name}`, () => {
    let broker: Restartable;
    beforeAll(async () => { broker = await start(); });
    afterAll(async () => { await broker?.close(); });

    it('uploads signed records; the backend stores and verifies each once', async () => {
      const backend = mqttBackend(broker.url, 200);
      const device = mqttDevice(broker.url, `${name}-cp1`);
      backend.peer.registerDevice(`${name}-cp1`, device.signer.publicKey);
      try {
        device.append(150);
        await until(() => device.journal.ackedSeq === 150, () => device.platform.clock.advance(1000), 'acks');
        const report = backend.peer.records.report(`${name}-cp1`);
        expect(report).toMatchObject({ stored: 150, verified: 150, gaps: [], problems: [], highestSeq: 150 });
        expect(backend.peer.records.records(`${name}-cp1`).map((r) => r.seq)).toEqual(seqs(150));
      } finally {
        device.close();
        backend.close();
      }
    });

    it('loses and duplicates nothing when the broker is killed and restarted mid-upload', async () => {
      const id = `${name}-cp2`;
      const backend = mqttBackend(broker.url, 200);
      const device = mqttDevice(broker.url, id, 2);
      backend.peer.registerDevice(id, device.signer.publicKey);
      try {
        await until(() => device.transport.connected && backend.transport.connected, () => {}, 'connections');
        // Small batches so that the upload is still under way when the broker dies.
        device.append(800);
        await until(() => device.journal.ackedSeq >= 50, () => {}, 'the first acks');
        await broker.restartBroker();
        const ackedAtRestart = device.journal.ackedSeq;
        await until(() => device.journal.ackedSeq === 800, () => device.platform.clock.advance(1000), 'all acks after the restart', 60_000);
        expect(ackedAtRestart).toBeLessThan(800); // the kill really came mid-upload
        const report = backend.peer.records.report(id);
        expect(report).toMatchObject({ stored: 800, verified: 800, gaps: [], problems: [], highestSeq: 800 });
        expect(backend.peer.records.records(id).map((r) => r.seq)).toEqual(seqs(800));
        expect(backend.peer.counters.recordsReceived).toBe(800 + report.duplicatesIgnored);
      } finally {
        device.close();
        backend.close();
      }
    });

    it('resumes a list transfer after the broker is killed and restarted mid-transfer', async () => {
      const id = `${name}-cp3`;
      const backend = mqttBackend(broker.url, 20_000);
      const image = backend.site.current!;
      const device = mqttDevice(broker.url, id, 3);
      try {
        await until(() => (device.lists.pendingFull()?.written ?? 0) > 8 * 1024, () => {}, 'the transfer to start');
        await broker.restartBroker();
        const writtenAtRestart = device.lists.pendingFull()?.written ?? image.bytes.length;
        await until(() => device.lists.current === image.version, () => device.platform.clock.advance(1000), 'the list', 60_000);
        expect(writtenAtRestart).toBeLessThan(image.bytes.length);
        expect(device.lists.content).toEqual(image.bytes);
        // Resumed, not restarted: every byte was written once.
        expect(device.lists.writes.reduce((n, w) => n + w.length, 0)).toBe(image.bytes.length);
        expect(device.lists.writes[0].offset).toBe(0);
      } finally {
        device.close();
        backend.close();
      }
    });
  });
}
