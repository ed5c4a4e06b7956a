import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../host-sim/broker/index.js';
import { SeededRandom, VirtualClock } from '../../host-sim/hal/index.js';
import { DeviceLink, encodeMessage, parseTopic, RecordUploader, topicOf } from '../../src/sync/index.js';
import { CountingBackend, FakeJournal } from './fakes.js';

const DEVICE = 'dev-1';

function setup(lossRate: number, seed = 1) {
  const loss = new SeededRandom(seed * 7919);
  const bus = new MemoryBus({ drop: () => loss.below(1000) < lossRate * 1000 });
  const clock = new VirtualClock();
  const journal = new FakeJournal();
  const deviceTransport = bus.connect();
  const backend = new CountingBackend(bus.connect(), DEVICE);
  const link = new DeviceLink(deviceTransport, DEVICE);
  const uploader = new RecordUploader(link, journal, clock, new SeededRandom(seed), { batchBytes: 1000, backoff: { baseMs: 1000, maxMs: 60_000 } });
  return { bus, clock, journal, deviceTransport, backend, link, uploader };
}

/** Runs the network and virtual time until nothing is pending (bounded). */
function settle(s: ReturnType<typeof setup>, maxSteps = 20_000) {
  for (let i = 0; i < maxSteps && (s.journal.acked < s.journal.lastSeq || s.bus.queued); i++) {
    s.bus.drain();
    s.clock.advance(500);
  }
  s.bus.drain();
}

describe('record uploader', () => {
  it('delivers every record exactly once in storage over a link that loses 40% of messages', () => {
    const s = setup(0.4);
    for (let round = 0; round < 30; round++) {
      for (let i = 0; i < 10; i++) s.journal.append(50 + ((round * 10 + i) % 90));
      s.uploader.notify();
      s.bus.drain();
      s.clock.advance(2000);
    }
    settle(s);
    expect(s.journal.acked).toBe(300);
    expect([...s.backend.stored.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    for (const r of s.journal.records) expect(s.backend.stored.get(r.seq)).toEqual(r.bytes);
    // Losses forced retransmissions, and the backend saw some records twice without storing them twice.
    expect(s.uploader.stats.retransmissions).toBeGreaterThan(0);
    expect(s.backend.received).toBe(300 + s.backend.duplicates);
    expect(s.backend.duplicates).toBeGreaterThan(0);
  });

  it('sends batches of consecutive records from the acknowledgement on, within the byte budget', () => {
    const s = setup(0);
    for (let i = 0; i < 25; i++) s.journal.append(100);
    s.uploader.notify();
    settle(s);
    // 1000-byte budget, 100-byte records: batches of 10, 10, 5, in order.
    expect(s.backend.batches).toEqual([{ first: 1, count: 10 }, { first: 11, count: 10 }, { first: 21, count: 5 }]);
  });

  it('resumes after a reboot from the persisted acknowledgement', () => {
    const s = setup(0);
    for (let i = 0; i < 25; i++) s.journal.append(100);
    s.uploader.notify();
    s.bus.drain(2); // batch 1 delivered and acked; the ack for it delivered; then "power off"
    const ackedBeforeReboot = s.journal.acked;
    expect(ackedBeforeReboot).toBe(10);
    s.uploader.stop();
    s.deviceTransport.close();
    s.bus.drain();
    // Reboot: a new link and uploader over the same journal (the ack is what persisted).
    const transport = s.bus.connect();
    const uploader = new RecordUploader(new DeviceLink(transport, DEVICE), s.journal, s.clock, new SeededRandom(2), { batchBytes: 1000 });
    s.backend.batches = [];
    uploader.notify();
    settle(s);
    expect(s.backend.batches[0].first).toBe(ackedBeforeReboot + 1);
    expect(s.journal.acked).toBe(25);
    expect(s.backend.stored.size).toBe(25);
  });

  it('backs off exponentially with jitter while nothing answers, and starts over on reconnect', () => {
    const s = setup(1); // the backend never hears anything
    s.journal.append(100);
    const sendTimes: number[] = [];
    const publish = s.deviceTransport.publish.bind(s.deviceTransport);
    s.deviceTransport.publish = (topic, payload) => {
      if (parseTopic(topic)?.kind === 'recordBatch') sendTimes.push(s.clock.monotonic());
      publish(topic, payload);
    };
    s.uploader.notify();
    for (let i = 0; i < 600; i++) s.clock.advance(1000);
    const gaps = sendTimes.slice(1).map((t, i) => t - sendTimes[i]);
    expect(gaps.length).toBeGreaterThanOrEqual(6);
    gaps.forEach((gap, k) => {
      const step = Math.min(60_000, 1000 * 2 ** k);
      expect(gap).toBeGreaterThanOrEqual(Math.floor(step / 2));
      expect(gap).toBeLessThanOrEqual(step);
    });
    expect(new Set(gaps.slice(0, 5).map((g, k) => g / 2 ** k)).size).toBeGreaterThan(1); // jitter: not a fixed schedule
    // The link drops and returns: the batch goes out at once, not after the backoff.
    s.deviceTransport.setOnline(false);
    const before = sendTimes.length;
    s.deviceTransport.setOnline(true);
    expect(sendTimes.length).toBe(before + 1);
  });

  it('skips a record the journal lost and goes on past it; the backend sees the gap', () => {
    const s = setup(0);
    for (let i = 0; i < 12; i++) s.journal.append(100);
    s.journal.lostSeqs.add(4);
    s.uploader.notify();
    settle(s);
    expect(s.journal.acked).toBe(12);
    expect([...s.backend.stored.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(s.backend.batches.map((b) => b.first)).toEqual([1, 5]);
  });

  it('ignores acks for what was never sent, and stale acks, changing nothing', () => {
    const s = setup(0);
    for (let i = 0; i < 5; i++) s.journal.append(400);
    const fake = s.bus.connect();
    const ack = (seq: number) => fake.publish(topicOf(DEVICE, 'recordAck'), encodeMessage('recordAck', { seq }));
    ack(3); // nothing sent yet
    s.bus.drain();
    expect(s.journal.acked).toBe(0);
    expect(s.uploader.stats.badAcks).toBe(1);
    s.uploader.notify();
    settle(s);
    expect(s.journal.acked).toBe(5);
    ack(2); // stale
    ack(99); // beyond the journal
    s.bus.drain();
    expect(s.journal.acked).toBe(5);
    fake.publish(topicOf(DEVICE, 'recordAck'), Uint8Array.of(0x01, 0xff, 0xff)); // garbage
    s.bus.drain();
    expect(s.journal.acked).toBe(5);
    expect(s.link.refusedCount).toBe(1);
  });
});
