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

  // FLOOD-2/3 (docs/threat-model.md): refusals and full transfers are budgeted; a genuine backend still
  // gets through, because the device reports its version again when a window that dropped something ends.
  it('a burst of mismatching differentials: 3 reach the store, one listResync; the genuine differential applies after the window', () => {
    const s = setup({ tokens: 500 });
    s.transport.setOnline(true);
    s.run();
    let tried = 0;
    const apply = s.store.applyDifferential.bind(s.store);
    s.store.applyDifferential = (bytes) => { tried++; apply(bytes); };
    s.site.update('US', 'SEM', (t) => t); // version 2, with a differential from 1
    const evil = s.bus.connect();
    const resyncs = s.backend.counters.resyncRequests;
    for (let i = 0; i < 100; i++) evil.publish(topicOf(DEVICE, 'listDiff'), encodeMessage('listDiff', { from: 7, to: 8, data: fakeDiff(7, 8) }));
    s.bus.drain();
    expect(tried).toBe(3);
    expect(s.backend.counters.resyncRequests - resyncs).toBe(1);
    // 97 differentials, and the backend's answer (a full offer) that came while the budget was spent.
    expect(s.sync.lists.stats).toMatchObject({ mismatches: 3, refused: 3, dropped: 98 });
    expect(s.store.current).toBe(1);
    s.clock.advance(59_000);
    s.bus.drain();
    expect(s.store.current).toBe(1);
    s.clock.advance(1_000); // the window ends: list/status, answered with the 1 → 2 differential
    s.bus.drain();
    expect(s.store.current).toBe(2);
    expect(s.store.applied).toEqual(['full 1', 'diff 2']);
    expect(s.backend.counters.diffsSent).toBe(1);
  });

  it('a genuine refusal after a success is answered at once: a success settles the window', () => {
    const s = setup({ tokens: 500 });
    s.transport.setOnline(true);
    s.run();
    const other = s.bus.connect();
    other.publish(topicOf(DEVICE, 'listDiff'), encodeMessage('listDiff', { from: 7, to: 8, data: fakeDiff(7, 8) }));
    s.site.update('US', 'SEM', (t) => t);
    s.run(); // resync, full image 2
    expect(s.store.current).toBe(2);
    other.publish(topicOf(DEVICE, 'listDiff'), encodeMessage('listDiff', { from: 9, to: 10, data: fakeDiff(9, 10) }));
    s.bus.drain();
    expect(s.backend.counters.resyncRequests).toBe(2);
  });

  it('full transfers begun without a commit: 3 an hour, a commit starts the count again; after the hour the device asks again', () => {
    const bus = new MemoryBus();
    const clock = new VirtualClock();
    const store = new FakeListStore();
    let begun = 0;
    const begin = store.beginFull.bind(store);
    store.beginFull = (v, n) => { begun++; begin(v, n); };
    const transport = bus.connect(false);
    let statuses = 0;
    transport.publish = ((publish) => (topic: string, payload: Uint8Array) => {
      if (parseTopic(topic)?.kind === 'listStatus') statuses++;
      publish(topic, payload);
    })(transport.publish.bind(transport));
    const sync = new SyncClient({ deviceId: DEVICE, transport, clock, random: new SeededRandom(5), journal: new FakeJournal(), lists: store });
    transport.setOnline(true);
    clock.advance(5 * 60_000); // away from the heartbeat's quarter hours
    const evil = bus.connect();
    // Nobody answers the device here: offers and chunks come from the forger only.
    const offer = (ver: number, size = 5000) => { evil.publish(topicOf(DEVICE, 'listOffer'), encodeMessage('listOffer', { ver, size })); bus.drain(); };
    const chunk = (ver: number, data: Uint8Array = new Uint8Array(1000).fill(1)) => { evil.publish(topicOf(DEVICE, 'listChunk'), encodeMessage('listChunk', { ver, off: 0, data })); bus.drain(); };
    for (let i = 0; i < 2; i++) { offer(100 + i); chunk(100 + i); }
    offer(5, 4); // an image that commits (this fake store accepts any)
    chunk(5, fakeDiff(0, 5));
    expect(store.current).toBe(5);
    for (let i = 0; i < 20; i++) { offer(200 + i); chunk(200 + i); }
    expect(begun).toBe(3 + 3);
    expect(sync.lists.stats.deferred).toBe(17);
    expect(store.writes.length).toBe(2 + 1 + 3);
    clock.advance(59 * 60_000);
    bus.drain();
    offer(300);
    expect(begun).toBe(6);
    const asked = statuses;
    clock.advance(60_000); // the hour from the first transfer after the commit ends
    expect(statuses).toBe(asked + 1);
    offer(301);
    expect(begun).toBe(7);
    sync.stop();
  });

  it('offers and differentials naming the version in force count as refusals: one list/status per window, not one each', () => {
    const s = setup({ tokens: 300 });
    s.transport.setOnline(true);
    s.run();
    const evil = s.bus.connect();
    const published = s.transport.published;
    for (let i = 0; i < 50; i++) {
      evil.publish(topicOf(DEVICE, 'listOffer'), encodeMessage('listOffer', { ver: 1, size: 1000 }));
      evil.publish(topicOf(DEVICE, 'listDiff'), encodeMessage('listDiff', { from: 0, to: 1, data: fakeDiff(0, 1) }));
    }
    s.bus.drain();
    expect(s.transport.published - published).toBe(1);
    expect(s.sync.lists.stats).toMatchObject({ refused: 3, held: 2, dropped: 97 });
    s.clock.advance(60_000);
    expect(s.transport.published - published).toBe(2); // the window's end: the version once more
  });
});
