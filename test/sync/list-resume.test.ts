import { describe, expect, it } from 'vitest';
import { BackendPeer, generateOcpiTokens, SiteList } from '../../host-sim/backend/index.js';
import { MemoryBus } from '../../host-sim/broker/index.js';
import { hostPlatform, NodeSigner, nodeCrypto, PowerCut, SeededRandom, type HostPlatform } from '../../host-sim/hal/index.js';
import { decodeMessage, listStoreOf, parseTopic, SyncClient } from '../../src/sync/index.js';
import { TokenStore } from '../../src/tokens/index.js';
import { FakeJournal } from './fakes.js';

// A full transfer cut by a power cut resumes after the reboot from the offset the
// real token store persisted (ListStore.pendingFull), through the list client
// and the backend peer; a version the backend no longer has starts over.

const PARTITIONS = { 'tokens-a': 256 * 1024, 'tokens-b': 256 * 1024, 'tokens-sel': 8192, 'tokens-ovl': 64 * 1024 };
const EVERY = 8 * 1024;

interface Device { store: TokenStore; sync: SyncClient; gets: { ver: number; off: number; n: number }[]; written: number; online(on: boolean): void }

function setup() {
  const bus = new MemoryBus();
  const platform = hostPlatform(PARTITIONS, 3);
  const signer = new NodeSigner();
  const site = new SiteList(signer, nodeCrypto, () => platform.clock.wall().ms);
  const tokens = (seed: number) => generateOcpiTokens({ countryCode: 'US', partyId: 'BLK', count: 20_000, seed });
  site.publish([{ countryCode: 'US', partyId: 'BLK', allowedUsesTable: true, tokens: tokens(1) }]);
  const backend = new BackendPeer({ transport: bus.connect(), crypto: nodeCrypto, site, chunkBytes: 2048 });
  /** A boot: the store from flash, a list client on a fresh connection. */
  const boot = (p: HostPlatform): Device => {
    const store = new TokenStore({ platform: p, backendKey: signer.publicKey, resumeEvery: EVERY });
    const port = listStoreOf(store);
    const d: Device = { store, sync: undefined!, gets: [], written: 0, online: () => {} };
    const write = port.writeChunk;
    port.writeChunk = (o, b) => { write(o, b); d.written += b.length; };
    const transport = bus.connect(false);
    transport.publish = ((publish) => (topic: string, payload: Uint8Array) => {
      if (parseTopic(topic)?.kind === 'listGet') d.gets.push(decodeMessage('listGet', payload));
      publish(topic, payload);
    })(transport.publish.bind(transport));
    d.sync = new SyncClient({ deviceId: 'cp-1', transport, clock: p.clock, random: new SeededRandom(1), journal: new FakeJournal(), lists: port, listWindow: 4 });
    d.online = (on) => transport.setOnline(on);
    return d;
  };
  const run = (d: Device) => {
    for (let i = 0; i < 2000 && (bus.queued || d.store.version !== site.current!.version); i++) {
      bus.drain();
      platform.clock.advance(1000);
    }
  };
  /** Runs the transfer until `bytes` are written, then cuts the power at the next flash write. */
  const cutAfter = (d: Device, bytes: number) => {
    for (let i = 0; i < 10_000 && d.written < bytes; i++) bus.drain(1);
    expect(d.written).toBeGreaterThanOrEqual(bytes);
    platform.power.cutAtWrite(1);
    expect(() => { for (let i = 0; i < 10_000; i++) { bus.drain(1); platform.clock.advance(1000); } }).toThrow(PowerCut);
    d.online(false); // the device is off: its connection and its timers are gone
    d.sync.stop();
    bus.drain();
    platform.power.restore();
  };
  return { bus, platform, site, backend, boot, run, cutAfter, tokens };
}

describe('list transfer after a reboot', () => {
  it('resumes from the persisted offset: only the rest of the image is sent again', () => {
    const s = setup();
    const image = s.site.current!;
    expect(image.bytes.length).toBeGreaterThan(6 * EVERY);
    const first = s.boot(s.platform);
    first.online(true);
    s.cutAfter(first, 50_000);
    expect(first.store.version).toBeUndefined();

    const second = s.boot(s.platform);
    const pending = second.store.pendingFull()!;
    expect(pending).toMatchObject({ version: image.version, size: image.bytes.length });
    expect(pending.written).toBeGreaterThanOrEqual(5 * EVERY);
    expect(pending.written).toBeLessThanOrEqual(first.written);
    second.online(true);
    s.run(second);
    expect(second.gets[0]).toEqual({ ver: image.version, off: pending.written, n: 4 });
    expect(second.store.version).toBe(image.version);
    expect(second.written).toBe(image.bytes.length - pending.written);
    expect(second.sync.lists.stats).toMatchObject({ fullApplied: 1, badImages: 0 });
    const third = new TokenStore({ platform: s.platform, backendKey: s.site.publicKey });
    expect(third.version).toBe(image.version);
    expect(third.pendingFull()).toBeUndefined();
    for (const t of s.tokens(1).filter((x) => x.type === 'RFID').slice(0, 200)) expect(third.lookup(t.uid)?.valid).toBe(t.valid);
  });

  it('a version the backend no longer keeps starts over from 0 with the current one', () => {
    const s = setup();
    const first = s.boot(s.platform);
    first.online(true);
    s.cutAfter(first, 50_000);
    const gone = s.site.current!.version;
    for (let i = 0; i < 3; i++) s.site.update('US', 'BLK', (t) => t); // the backend keeps the last 3
    expect(s.site.image(gone)).toBeUndefined();

    const second = s.boot(s.platform);
    expect(second.store.pendingFull()).toMatchObject({ version: gone });
    second.online(true);
    s.run(second);
    const now = s.site.current!;
    expect(second.gets[0]).toMatchObject({ ver: gone });
    expect(second.gets.find((g) => g.ver === now.version)).toEqual({ ver: now.version, off: 0, n: 4 });
    expect(second.store.version).toBe(now.version);
    expect(second.written).toBe(now.bytes.length);
  });
});
