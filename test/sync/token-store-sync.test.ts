import { describe, expect, it } from 'vitest';
import { BackendPeer, generateOcpiTokens, ocpiDiffBuilder, SiteList } from '../../host-sim/backend/index.js';
import { MemoryBus } from '../../host-sim/broker/index.js';
import { hostPlatform, NodeSigner, nodeCrypto, SeededRandom } from '../../host-sim/hal/index.js';
import { encodeMessage, listStoreOf, SyncClient, topicOf } from '../../src/sync/index.js';
import { TokenStore } from '../../src/tokens/index.js';
import { FakeJournal } from './fakes.js';

// The list client with the real A/B token store: full image, differential,
// VersionMismatch answered by a full image; lookups checked against the OCPI input.

const PARTITIONS = { 'tokens-a': 256 * 1024, 'tokens-b': 256 * 1024, 'tokens-sel': 8192, 'tokens-ovl': 64 * 1024 };

function setup(sizes: Partial<typeof PARTITIONS> = {}) {
  const bus = new MemoryBus();
  const platform = hostPlatform({ ...PARTITIONS, ...sizes }, 3);
  const backendKey = new NodeSigner();
  const site = new SiteList(backendKey, nodeCrypto, () => platform.clock.wall().ms, ocpiDiffBuilder(backendKey));
  const blk = generateOcpiTokens({ countryCode: 'US', partyId: 'BLK', count: 4000, seed: 21 });
  const sem = generateOcpiTokens({ countryCode: 'US', partyId: 'SEM', count: 4000, seed: 22 });
  site.publish([
    { countryCode: 'US', partyId: 'BLK', allowedUsesTable: true, tokens: blk },
    { countryCode: 'US', partyId: 'SEM', allowedUsesTable: false, tokens: sem },
  ]);
  const backend = new BackendPeer({ transport: bus.connect(), crypto: nodeCrypto, site, chunkBytes: 4096 });
  const store = new TokenStore({ platform, backendKey: backendKey.publicKey });
  const transport = bus.connect(false);
  const sync = new SyncClient({ deviceId: 'cp-1', transport, clock: platform.clock, random: new SeededRandom(1), journal: new FakeJournal(), lists: listStoreOf(store) });
  const run = () => {
    for (let i = 0; i < 1000 && (bus.queued || store.version !== site.current!.version); i++) {
      bus.drain();
      platform.clock.advance(1000);
    }
  };
  return { bus, site, backend, store, transport, sync, run, blk, sem };
}

describe('list sync with the real token store', () => {
  it('applies the signed full image; every presentable token reads back as the partner listed it', () => {
    const s = setup();
    s.transport.setOnline(true);
    s.run();
    expect(s.store.version).toBe(1);
    for (const t of [...s.blk, ...s.sem].filter((x) => x.type === 'RFID')) {
      const e = s.store.lookup(t.uid);
      expect(e, t.uid).toBeDefined();
      expect([e!.valid, e!.whitelist, e!.partner.partyId]).toEqual([t.valid, t.whitelist, t.party_id]);
    }
  });

  it('follows a blocked card with a signed differential, and a gap with a full image', () => {
    const s = setup();
    s.transport.setOnline(true);
    s.run();
    const card = s.blk.find((t) => t.valid && t.type === 'RFID')!;
    s.site.update('US', 'BLK', (t) => (t.uid === card.uid ? { ...t, valid: false } : undefined));
    s.backend.announceList();
    s.run();
    expect(s.store.version).toBe(2);
    expect(s.store.lookup(card.uid)!.valid).toBe(false);
    expect(s.sync.lists.stats.diffsApplied).toBe(1);
    expect(s.sync.lists.stats.fullApplied).toBe(1);

    // Two versions published while the device was away; on its return a stray 3 → 4
    // differential reaches it before the backend's 2 → 3: VersionMismatch, then a full image.
    s.transport.setOnline(false);
    s.site.update('US', 'BLK', (t) => (t.uid === card.uid ? { ...t, valid: true } : undefined));
    s.site.update('US', 'SEM', (t) => (t.uid === s.sem[0].uid ? { ...t, whitelist: 'NEVER' } : undefined));
    s.transport.setOnline(true);
    s.bus.connect().publish(topicOf('cp-1', 'listDiff'), encodeMessage('listDiff', { from: 3, to: 4, data: s.site.diffFrom(3)! }));
    s.run();
    expect(s.sync.lists.stats.mismatches).toBe(1);
    expect(s.backend.counters.resyncRequests).toBe(1);
    expect(s.sync.lists.stats.fullApplied).toBe(2);
    expect(s.store.version).toBe(4);
    expect(s.store.lookup(card.uid)!.valid).toBe(true);
    if (s.sem[0].type === 'RFID') expect(s.store.lookup(s.sem[0].uid)!.whitelist).toBe('NEVER');
  });
  it('an offer too small or too big for a slot is refused and said so; the transfer under way goes on', () => {
    const s = setup();
    s.transport.setOnline(true);
    s.bus.drain(); // the device asks, the backend offers v1
    s.bus.drain(); // the device requests the first chunks
    s.bus.drain(); // some chunks arrive: a transfer is under way
    const inject = (size: number) =>
      expect(() => s.bus.connect().publish(topicOf('cp-1', 'listOffer'), encodeMessage('listOffer', { ver: 9, size }))).not.toThrow();
    inject(10);
    inject(10_000_000);
    s.bus.drain();
    expect(s.sync.lists.stats.badImages).toBe(2);
    // One answer per refusal window (FLOOD-2): the first at once, the second held to the window's end.
    expect(s.backend.counters.resyncRequests).toBe(1);
    expect(s.sync.lists.stats.held).toBeGreaterThanOrEqual(1);
    s.run();
    expect(s.store.version).toBe(1); // the good image still arrived and applied
  });
});

describe('overlay bound, end to end with the backend peer', () => {
  it('differentials of up to 500 changes (the backend\'s maxChanges) until the default bound, then OVERLAY_FULL: a resync and a full image', () => {
    const { site, backend: backendPeer, store, transport, sync, run, blk } = setup({ 'tokens-ovl': 192 * 1024 });
    transport.setOnline(true);
    run();
    expect(store.version).toBe(1);
    const cards = blk.filter((t) => t.type === 'RFID').map((t) => t.uid);
    const flipped = new Set<string>();
    // Rounds of 500 cards turned (valid flipped) each: 5 fit the default bound of 2,560 changes, the sixth does not.
    for (let round = 0; round < 6; round++) {
      const now = new Set(cards.slice(round * 500, (round + 1) * 500));
      site.update('US', 'BLK', (t) => (now.has(t.uid) ? { ...t, valid: !t.valid } : undefined));
      for (const u of now) flipped.add(u);
      backendPeer.announceList();
      run();
      expect(store.version).toBe(round + 2);
      expect(sync.lists.stats.diffsApplied).toBe(Math.min(round + 1, 5));
      expect(store.status.overlayChanges).toBe(round < 5 ? 500 * (round + 1) : 0);
    }
    expect(sync.lists.stats.mismatches).toBe(1);
    expect(sync.lists.stats.fullApplied).toBe(2);
    expect(backendPeer.counters.resyncRequests).toBe(1);
    for (const uid of cards.slice(0, 3200)) expect(store.lookup(uid)!.valid, uid).toBe(flipped.has(uid) !== blk.find((t) => t.uid === uid)!.valid);
  }, 60_000);
});
