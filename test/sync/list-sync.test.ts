import { describe, expect, it } from 'vitest';
import { BackendPeer, generateOcpiTokens, SiteList } from '../../host-sim/backend/index.js';
import { MemoryBus } from '../../host-sim/broker/index.js';
import { NodeSigner, nodeCrypto, SeededRandom, VirtualClock } from '../../host-sim/hal/index.js';
import { decodeMessage, encodeMessage, parseTopic, SyncClient, topicOf } from '../../src/sync/index.js';
import { FakeJournal, fakeDiff, FakeListStore } from './fakes.js';

const DEVICE = 'site1-cp1';

function setup(options: { loss?: number; tokens?: number } = {}) {
  const loss = new SeededRandom(99);
  const bus = new MemoryBus({ drop: () => loss.below(1000) < (options.loss ?? 0) * 1000 });
  const clock = new VirtualClock();
  const site = new SiteList(new NodeSigner(), nodeCrypto, () => clock.wall().ms, (from, to) => fakeDiff(from.version, to.version));
  const partners = [
    { countryCode: 'US', partyId: 'BLK', allowedUsesTable: true, tokens: generateOcpiTokens({ countryCode: 'US', partyId: 'BLK', count: options.tokens ?? 3000, seed: 1 }) },
    { countryCode: 'US', partyId: 'SEM', allowedUsesTable: false, tokens: generateOcpiTokens({ countryCode: 'US', partyId: 'SEM', count: options.tokens ?? 3000, seed: 2 }) },
  ];
  site.publish(partners);
  const backend = new BackendPeer({ transport: bus.connect(), crypto: nodeCrypto, site, chunkBytes: 1024 });
  const store = new FakeListStore();
  const transport = bus.connect(false);
  const gets: { ver: number; off: number; n: number }[] = [];
  transport.publish = ((publish) => (topic: string, payload: Uint8Array) => {
    if (parseTopic(topic)?.kind === 'listGet') gets.push(decodeMessage('listGet', payload));
    publish(topic, payload);
  })(transport.publish.bind(transport));
  const sync = new SyncClient({ deviceId: DEVICE, transport, clock, random: new SeededRandom(5), journal: new FakeJournal(), lists: store, listWindow: 2, listBackoff: { baseMs: 1000, maxMs: 8000 } });
  const run = (steps = 5000) => {
    for (let i = 0; i < steps && (bus.queued || store.current !== site.current!.version); i++) {
      bus.drain();
      clock.advance(500);
    }
    bus.drain();
  };
  return { bus, clock, site, backend, store, transport, sync, gets, run, partners };
}


describe('list sync', () => {
  it('a device with no list fetches the signed full image in chunks and reports the version', () => {
    const s = setup();
    s.transport.setOnline(true);
    s.run();
    const image = s.site.current!;
    expect(image.bytes.length).toBeGreaterThan(4 * 1024); // several chunks
    expect(s.store.current).toBe(image.version);
    expect(s.store.content).toEqual(image.bytes);
    expect(s.store.writes.length).toBe(Math.ceil(image.bytes.length / 1024));
    expect(s.backend.listVersions.get(DEVICE)).toBe(image.version);
  });

  it('resumes a transfer cut by a disconnect from the last written offset', () => {
    const s = setup();
    s.transport.setOnline(true);
    for (let i = 0; i < 40 && s.store.writes.length < 3; i++) s.bus.drain(1);
    const written = s.store.pendingFull()!.written;
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(s.site.current!.bytes.length);
    s.transport.setOnline(false);
    s.bus.drain(); // whatever was on its way is lost
    s.clock.advance(60_000);
    s.gets.length = 0;
    s.transport.setOnline(true);
    s.run();
    expect(s.gets[0]).toEqual({ ver: s.site.current!.version, off: written, n: 2 });
    expect(s.store.content).toEqual(s.site.current!.bytes);
    // Every byte written exactly once: no restart from zero.
    expect(s.store.writes.reduce((n, w) => n + w.length, 0)).toBe(s.site.current!.bytes.length);
  });

  it('gets the whole image over a link that loses 30% of messages', () => {
    const s = setup({ loss: 0.3, tokens: 1500 });
    s.transport.setOnline(true);
    s.run(20_000);
    expect(s.store.content).toEqual(s.site.current!.bytes);
    expect(s.sync.lists.stats.rerequests).toBeGreaterThan(0);
  });

  it('follows a new version with a differential', () => {
    const s = setup({ tokens: 500 });
    s.transport.setOnline(true);
    s.run();
    const blocked = s.partners[0].tokens.find((t) => t.valid && t.type === 'RFID')!;
    s.site.update('US', 'BLK', (t) => (t.uid === blocked.uid ? { ...t, valid: false } : undefined));
    s.backend.announceList();
    s.run();
    expect(s.store.applied).toEqual(['full 1', 'diff 2']);
    expect(s.backend.counters.diffsSent).toBe(1);
  });

  it('answers a differential that does not follow its version with VersionMismatch, then takes a full image', () => {
    const s = setup({ tokens: 500 });
    s.transport.setOnline(true);
    s.run();
    s.site.update('US', 'SEM', (t) => t);
    const other = s.bus.connect();
    other.publish(topicOf(DEVICE, 'listDiff'), encodeMessage('listDiff', { from: 7, to: 8, data: fakeDiff(7, 8) }));
    s.run();
    expect(s.sync.lists.stats.mismatches).toBe(1);
    expect(s.backend.counters.resyncRequests).toBe(1);
    expect(s.store.applied).toEqual(['full 1', 'full 2']);
    expect(s.store.content).toEqual(s.site.current!.bytes);
  });

  it('refuses a bad image at commit, keeps the old list and asks again', () => {
    const s = setup({ tokens: 300 });
    let refuse = true;
    s.store.check = () => !refuse;
    s.transport.setOnline(true);
    for (let i = 0; i < 200 && s.sync.lists.stats.badImages === 0; i++) s.bus.drain(1);
    expect(s.sync.lists.stats.badImages).toBe(1);
    expect(s.store.current).toBe(0);
    refuse = false;
    s.run();
    expect(s.store.current).toBe(1);
  });

  it('ignores a truncated or foreign chunk without writing anything', () => {
    const s = setup({ tokens: 300 });
    s.transport.setOnline(true);
    for (let i = 0; i < 40 && s.store.writes.length < 1; i++) s.bus.drain(1);
    const before = s.store.pendingFull()!.written;
    const other = s.bus.connect();
    const chunk = encodeMessage('listChunk', { ver: 1, off: before, data: new Uint8Array(100) });
    other.publish(topicOf(DEVICE, 'listChunk'), chunk.subarray(0, chunk.length - 5));
    other.publish(topicOf(DEVICE, 'listChunk'), encodeMessage('listChunk', { ver: 9, off: before, data: new Uint8Array(100) }));
    other.publish(topicOf(DEVICE, 'listChunk'), encodeMessage('listChunk', { ver: 1, off: before + 1024 * 50, data: new Uint8Array(100) }));
    const writes = s.store.writes.length;
    s.bus.drain();
    expect(s.sync.link.refusedCount).toBe(1);
    expect(s.sync.lists.stats.chunksIgnored).toBeGreaterThanOrEqual(2);
    expect(s.store.writes.slice(writes).every((w) => w.offset >= before)).toBe(true);
    s.run();
    expect(s.store.content).toEqual(s.site.current!.bytes);
  });
});
