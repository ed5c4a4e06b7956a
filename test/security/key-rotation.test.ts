// C-ROT: the backend's list-signing key (A4) can be rotated and revoked, only by
// the key in force, and the device never ends up without a key (T3, T4, T6).
import { describe, expect, it, vi } from 'vitest';
import { hostPlatform, NodeSigner, nodeCrypto, PowerCut, type HostPlatform } from '../../host-sim/hal/index.js';
import {
  compileDiff, compileTable, encodeKeyRotation, signDiff, signKeyRotation, signTable, TokenStore,
  type TokenUpdateErrorCode,
} from '../../src/tokens/index.js';
import { BackendPeer, ocpiDiffBuilder, SiteList } from '../../host-sim/backend/index.js';
import { MemoryBus } from '../../host-sim/broker/memory-bus.js';
import { decodeMessage, encodeMessage, MESSAGES, parseTopic, SyncDecodeError, topicOf, type MessageOf } from '../../src/sync/index.js';
import { DEVICE, Rig } from '../charger/rig.js';
import { ocpiToken } from '../tokens/expected.js';
import { applyFull, rejects } from '../tokens/store-helpers.js';

/** Images go in chunks of this many bytes, as the list client streams them (several per image). */
const CHUNK = 700;

const K1 = new NodeSigner(new Uint8Array(32).fill(0x51)); // provisioned
const K2 = new NodeSigner(new Uint8Array(32).fill(0x52));
const K3 = new NodeSigner(new Uint8Array(32).fill(0x53));
const PARTITIONS = { 'tokens-a': 16 * 1024, 'tokens-b': 16 * 1024, 'tokens-sel': 8 * 1024, 'tokens-ovl': 8 * 1024 };
const BLK = { countryCode: 'US', partyId: 'BLK' };
const UIDS = ['01020304', 'A1B2C3D4E5F601', 'CARD-7'];
const PROBES = [...UIDS, 'B1B2B3B4', 'C1C2C3C4', 'FFFFFFFF'];

const boot = (p: HostPlatform) => new TokenStore({ platform: p, backendKey: K1.publicKey });
const rotation = (seq: number, to: NodeSigner, by: NodeSigner, revoke = false) => signKeyRotation(encodeKeyRotation({ seq, key: to.publicKey, revoke }), by);
const image = (version: number, signer: NodeSigner, uids = UIDS) =>
  signTable(compileTable({ listVersion: version, createdAt: 0, partners: [{ ...BLK, allowedUsesTable: true, tokens: uids.map((u) => ocpiToken(BLK, u)) }] }, nodeCrypto).image, signer);
const diff = (from: number, to: number, uid: string, signer: NodeSigner) => signDiff(compileDiff({ from, to, createdAt: 0, add: [ocpiToken(BLK, uid)] }).diff, signer);



/** What a device's list and key amount to: compared before and after each refusal. */
function state(store: TokenStore) {
  return {
    version: store.version, keySeq: store.keySeq, key: Buffer.from(store.backendKey).toString('hex'),
    status: store.status, lookups: PROBES.map((u) => store.lookup(u) ?? null),
  };
}

describe('C-ROT: backend key rotation on the token store', () => {
  it('an image signed by K2 is refused until K1 signs the rotation to K2; then K2 images and differentials apply and K1 images are refused, across reboots', () => {
    const p = hostPlatform(PARTITIONS);
    let store = boot(p);
    expect(applyFull(store, image(1, K1), CHUNK)).toBe(1);
    rejects('BAD_SIGNATURE', () => applyFull(store, image(2, K2), CHUNK));
    rejects('BAD_SIGNATURE', () => store.applyDifferential(diff(1, 2, 'B1B2B3B4', K2)));
    store = boot(p);
    rejects('BAD_SIGNATURE', () => applyFull(store, image(2, K2), CHUNK));
    expect(store.rotateKey(rotation(1, K2, K1))).toBe(1);
    expect(store.keySeq).toBe(1);
    store = boot(p);
    expect(store.keySeq).toBe(1);
    expect(store.backendKey).toEqual(K2.publicKey);
    rejects('BAD_SIGNATURE', () => applyFull(store, image(2, K1), CHUNK));
    rejects('BAD_SIGNATURE', () => store.applyDifferential(diff(1, 2, 'B1B2B3B4', K1)));
    expect(applyFull(store, image(2, K2), CHUNK)).toBe(2);
    store = boot(p);
    expect(store.applyDifferential(diff(2, 3, 'B1B2B3B4', K2))).toBe(3);
    store = boot(p);
    expect(store.version).toBe(3);
    expect(store.lookup('B1B2B3B4')).toMatchObject({ sourceVersion: 3 });
    rejects('BAD_SIGNATURE', () => applyFull(store, image(4, K1), CHUNK));
    expect(boot(p).version).toBe(3);
  });

  it('a rotation signed by K2 before K2 is in force is refused, before and after a reboot', () => {
    const p = hostPlatform(PARTITIONS);
    const store = boot(p);
    applyFull(store, image(1, K1), CHUNK);
    rejects('BAD_SIGNATURE', () => store.rotateKey(rotation(1, K2, K2)));
    rejects('BAD_SIGNATURE', () => store.rotateKey(rotation(1, K3, K2)));
    rejects('BAD_SIGNATURE', () => boot(p).rotateKey(rotation(1, K3, K2)));
    expect(boot(p).keySeq).toBe(0);
    // K2 can sign the next rotation once K1 made it current, not before.
    store.rotateKey(rotation(1, K2, K1));
    rejects('BAD_SIGNATURE', () => store.rotateKey(rotation(2, K3, K1)));
    expect(boot(p).rotateKey(rotation(2, K3, K2))).toBe(2);
  });

  it('a replayed rotation (older or equal sequence) is refused, after reboots too', () => {
    const p = hostPlatform(PARTITIONS);
    const store = boot(p);
    const r1 = rotation(1, K2, K1), r2 = rotation(2, K3, K2);
    store.rotateKey(r1);
    rejects('BAD_SIGNATURE', () => store.rotateKey(r1)); // signed by K1, no longer in force
    rejects('KEY_ROLLBACK', () => store.rotateKey(rotation(1, K3, K2)));
    store.rotateKey(r2);
    // Replays signed by the key in force: the sequence decides.
    rejects('KEY_ROLLBACK', () => boot(p).rotateKey(rotation(2, K2, K3)));
    rejects('KEY_ROLLBACK', () => boot(p).rotateKey(rotation(1, K2, K3)));
    rejects('BAD_SIGNATURE', () => boot(p).rotateKey(r1));
    rejects('BAD_SIGNATURE', () => boot(p).rotateKey(r2));
    expect(boot(p).status).toMatchObject({ keySeq: 2 });
  });

  it('a rotation back to a revoked key is refused, after reboots too', () => {
    const p = hostPlatform(PARTITIONS);
    boot(p).rotateKey(rotation(1, K2, K1, true)); // K1 revoked
    rejects('KEY_REVOKED', () => boot(p).rotateKey(rotation(2, K1, K2)));
    boot(p).rotateKey(rotation(2, K3, K2)); // K2 retired, not revoked
    rejects('KEY_REVOKED', () => boot(p).rotateKey(rotation(3, K1, K3)));
    expect(boot(p).rotateKey(rotation(3, K2, K3))).toBe(3);
    expect(boot(p).status).toMatchObject({ keySeq: 3, revokedKeys: 1 });
  });

  it('every refusal leaves version, lookups and key as they were, live and after a reboot', () => {
    const p = hostPlatform(PARTITIONS);
    const store = boot(p);
    applyFull(store, image(1, K1), CHUNK);
    store.applyDifferential(diff(1, 2, 'B1B2B3B4', K1));
    store.rotateKey(rotation(4, K2, K1, true));
    const before = state(store);
    const selector = Buffer.from(p.regions.get('tokens-sel')!.raw).toString('hex');
    const good = rotation(5, K3, K2);
    const cases: Array<[TokenUpdateErrorCode, Uint8Array]> = [
      ['BAD_SIGNATURE', rotation(5, K3, K1)],
      ['BAD_SIGNATURE', rotation(5, K3, K3)],
      ['BAD_SIGNATURE', (() => { const b = good.slice(); b[30] ^= 4; return b; })()],
      ['KEY_ROLLBACK', rotation(4, K3, K2)],
      ['KEY_ROLLBACK', rotation(3, K3, K2)],
      ['KEY_UNCHANGED', rotation(5, K2, K2)],
      ['KEY_REVOKED', rotation(5, K1, K2)],
      ['TRUNCATED', good.subarray(0, good.length - 2)],
      ['OVERSIZED', Uint8Array.of(...good, 1)],
      ['BAD_FORMAT', diff(2, 3, 'C1C2C3C4', K2)],
    ];
    for (const [code, bytes] of cases) {
      rejects(code, () => store.rotateKey(bytes));
      expect(state(store)).toEqual(before);
      expect(state(boot(p))).toEqual(before);
      expect(Buffer.from(p.regions.get('tokens-sel')!.raw).toString('hex')).toBe(selector);
    }
    // And images or differentials signed by anything but the key in force change nothing either.
    rejects('BAD_SIGNATURE', () => applyFull(store, image(3, K1), CHUNK));
    rejects('BAD_SIGNATURE', () => store.applyDifferential(diff(2, 3, 'C1C2C3C4', K3)));
    expect(state(boot(p))).toEqual(before);
    expect(store.rotateKey(good)).toBe(5);
  });
});

describe('C-ROT: a power cut at every flash write of a rotation', () => {
  /** A device with list 1 (+1 differential) on K1, after `selections` more list updates on it. */
  function device(selections: number, rotated: boolean): { p: HostPlatform; store: TokenStore } {
    const p = hostPlatform(PARTITIONS);
    const store = boot(p);
    applyFull(store, image(1, K1), CHUNK);
    store.applyDifferential(diff(1, 2, 'B1B2B3B4', K1));
    let v = 2;
    if (rotated) store.rotateKey(rotation(1, K2, K1, true));
    const signer = rotated ? K2 : K1;
    for (let i = 0; i < selections; i++) applyFull(store, image(++v, signer), 4096);
    return { p, store };
  }

  /**
   * Cuts `update` at each of its writes; after the reboot the old or (a cut in
   * the last write that still landed whole) the new key is in force, the list
   * is what it was, and the device can still rotate and take lists.
   */
  function everyCut(selections: number, rotated: boolean, update: (s: TokenStore) => void, oldKey: NodeSigner, newKey: NodeSigner, newSeq: number) {
    const dry = device(selections, rotated);
    const w0 = dry.p.power.writes;
    update(dry.store);
    const writes = dry.p.power.writes - w0;
    expect(writes).toBeGreaterThan(0);
    let sawNew = 0;
    for (let n = 1; n <= writes; n++) {
      const { p, store } = device(selections, rotated);
      const list = state(store).lookups;
      const version = store.version!;
      const oldSeq = store.keySeq;
      p.power.cutAtWrite(n);
      expect(() => update(store)).toThrow(PowerCut);
      p.power.restore();
      const rebooted = boot(p);
      const key = Buffer.from(rebooted.backendKey).toString('hex');
      const isNew = key === Buffer.from(newKey.publicKey).toString('hex');
      if (isNew) sawNew++;
      expect(isNew || key === Buffer.from(oldKey.publicKey).toString('hex'), `cut at write ${n}: neither key in force`).toBe(true);
      if (n < writes) expect(isNew, `cut at write ${n} of ${writes}: the new key before its last write`).toBe(false);
      expect(rebooted.keySeq).toBe(isNew ? newSeq : oldSeq);
      expect(rebooted.version).toBe(version);
      expect(PROBES.map((u) => rebooted.lookup(u) ?? null)).toEqual(list);
      expect(rebooted.bootError).toBeUndefined();
      // The key in force is the one that works.
      rejects('BAD_SIGNATURE', () => applyFull(rebooted, image(version + 1, isNew ? oldKey : newKey), CHUNK));
      if (!isNew) update(rebooted);
      expect(applyFull(rebooted, image(version + 1, newKey), CHUNK)).toBe(version + 1);
      expect(boot(p).status).toMatchObject({ version: version + 1, keySeq: newSeq });
    }
    return { writes, sawNew };
  }

  it('a rotation appended to the selector log', () => {
    const r = everyCut(0, false, (s) => void s.rotateKey(rotation(1, K2, K1, true)), K1, K2, 1);
    expect(r.writes).toBe(1);
  });

  it('a rotation that must erase the other selector block first', () => {
    // 1 + 1 + 124 one-slot records (the first selection, the clear progress record that joins it in a
    // block it opens, then 124 selections) leave 64 bytes in the first 4 KiB block: the 256-byte record
    // moves on, and a clear progress record joins it there.
    const r = everyCut(124, false, (s) => void s.rotateKey(rotation(1, K2, K1, true)), K1, K2, 1);
    expect(r.writes).toBe(3);
  });

  it('a second rotation, in the log of rotated records, and across its block boundary', () => {
    for (const selections of [0, 13, 14]) {
      everyCut(selections, true, (s) => void s.rotateKey(rotation(2, K3, K2, true)), K2, K3, 2);
    }
  });

  it('a list update after a rotation keeps the rotated key whatever the cut', () => {
    for (const selections of [0, 14]) {
      const dry = device(selections, true);
      const w0 = dry.p.power.writes;
      const next = image(3 + selections, K2);
      applyFull(dry.store, next, 4096);
      const writes = dry.p.power.writes - w0;
      for (let n = 1; n <= writes; n++) {
        const { p, store } = device(selections, true);
        p.power.cutAtWrite(n);
        expect(() => applyFull(store, next, 4096)).toThrow(PowerCut);
        p.power.restore();
        const rebooted = boot(p);
        expect(rebooted.status).toMatchObject({ keySeq: 1, revokedKeys: 1 });
        expect(rebooted.backendKey).toEqual(K2.publicKey);
        expect([2 + selections, 3 + selections]).toContain(rebooted.version);
      }
    }
  });
});

describe('C-ROT: the backend sends the rotations a device lacks before lists signed by the new key', () => {
  function world() {
    const bus = new MemoryBus();
    const site = new SiteList(K1, nodeCrypto, () => 0, ocpiDiffBuilder());
    site.publish([{ ...BLK, allowedUsesTable: true, tokens: UIDS.map((u) => ocpiToken(BLK, u) as never) }]);
    const peer = new BackendPeer({ transport: bus.connect(), crypto: nodeCrypto, site });
    const dev = bus.connect();
    dev.subscribe(`roam/v1/${DEVICE}/#`);
    let got: Array<{ kind: string; msg: any }> = [];
    dev.onMessage = (topic, payload) => {
      const t = parseTopic(topic)!;
      if (MESSAGES[t.kind].direction === 'down') got.push({ kind: t.kind, msg: decodeMessage(t.kind, payload) });
    };
    const p = hostPlatform(PARTITIONS);
    const store = boot(p);
    applyFull(store, site.current!.bytes, CHUNK);
    const say = <K extends 'listStatus' | 'listResync'>(kind: K, msg: MessageOf<K>) => {
      got = [];
      dev.publish(topicOf(DEVICE, kind), encodeMessage(kind, msg));
      bus.drain();
      return got;
    };
    return { site, peer, store, p, say };
  }

  it('in order, each signed by its predecessor; the device follows them and then takes the list signed by the last key', () => {
    const { site, peer, store, p, say } = world();
    expect(say('listStatus', { ver: 1, kseq: 0 })).toEqual([]);
    site.rotateKey(K2, { revoke: true });
    site.rotateKey(K3);
    expect(site.keySeq).toBe(2);
    site.update('US', 'BLK', (t) => (t.uid === UIDS[0] ? { ...t, valid: false } : undefined));
    // Old firmware (no kseq) and a device on key 0: both rotations, nothing else yet.
    for (const status of [{ ver: 1 }, { ver: 1, kseq: 0 }]) {
      const sent = say('listStatus', status);
      expect(sent.map((m) => `${m.kind}:${m.msg.seq}`)).toEqual(['listKey:1', 'listKey:2']);
    }
    const [r1, r2] = say('listStatus', { ver: 1, kseq: 0 }).map((m) => m.msg.data as Uint8Array);
    rejects('BAD_SIGNATURE', () => store.rotateKey(r2)); // out of order: signed by K2, not yet in force
    expect(store.rotateKey(r1)).toBe(1);
    expect(say('listStatus', { ver: 1, kseq: 1 }).map((m) => `${m.kind}:${m.msg.seq}`)).toEqual(['listKey:2']);
    expect(store.rotateKey(r2)).toBe(2);
    expect(boot(p).backendKey).toEqual(K3.publicKey);
    // On the last key: the differential, signed by K3, applies.
    const next = say('listStatus', { ver: 1, kseq: 2 });
    expect(next.map((m) => m.kind)).toEqual(['listDiff']);
    expect(store.applyDifferential(next[0].msg.data)).toBe(2);
    expect(store.lookup(UIDS[0])).toMatchObject({ valid: false });
    // A resync from a device still on key 0 gets the rotations, not an image it would refuse.
    say('listStatus', { ver: 2, kseq: 0 });
    expect(say('listResync', { have: 2, why: 'bad-image' }).map((m) => m.kind)).toEqual(['listKey', 'listKey']);
    expect(peer.counters.keysSent).toBe(11);
    // The images the site keeps were signed again: the current one verifies with K3 only.
    const fresh = boot(hostPlatform(PARTITIONS));
    rejects('BAD_SIGNATURE', () => applyFull(fresh, site.current!.bytes, CHUNK));
    fresh.rotateKey(r1);
    fresh.rotateKey(r2);
    expect(applyFull(fresh, site.current!.bytes, CHUNK)).toBe(2);
  });

  it('list/key is bounded to a rotation and list/status and status say which key the device has', () => {
    const r = rotation(0xffffffff, K2, K1, true);
    const wire = encodeMessage('listKey', { seq: 0xffffffff, data: r });
    expect(wire.length).toBeLessThanOrEqual(MESSAGES.listKey.limits.maxWireBytes);
    expect(decodeMessage('listKey', wire)).toEqual({ seq: 0xffffffff, data: r });
    expect(() => decodeMessage('listKey', encodeMessage('listKey', { seq: 1, data: new Uint8Array(257) }))).toThrow(SyncDecodeError);
    expect(() => decodeMessage('listKey', encodeMessage('listKey', { seq: -1, data: r }))).toThrow(SyncDecodeError);
    expect(MESSAGES.listKey.limits).toMatchObject({ maxWireBytes: 288, maxDepth: 1 });
    expect(decodeMessage('listStatus', encodeMessage('listStatus', { ver: 3, kseq: 2 }))).toEqual({ ver: 3, kseq: 2 });
    expect(decodeMessage('listStatus', encodeMessage('listStatus', { ver: 3 })).kseq).toBeUndefined();
    const health = { list: 3, depth: 0, acked: 0, lastSync: 0, time: 'S', listBusy: false } as const;
    expect(decodeMessage('status', encodeMessage('status', { ...health, kseq: 2 }))).toEqual({ ...health, kseq: 2 });
    expect(decodeMessage('status', encodeMessage('status', health))).toEqual(health); // older devices: no kseq
  });

  it('refuses to rotate to the key in force or to one it revoked', () => {
    const { site } = world();
    expect(() => site.rotateKey(K1)).toThrow(/already in force/);
    site.rotateKey(K2, { revoke: true });
    expect(() => site.rotateKey(K1)).toThrow(/revoked/);
    expect(site.keySeq).toBe(1);
  });
});

describe('C-ROT end to end: the backend rotates, the device follows over MQTT, the next list applies', () => {
  const member = (rig: Rig) => rig.members.find((t) => t.whitelist === 'ALWAYS' || t.whitelist === 'ALLOWED')!.uid;

  it('K1 → K2 (K1 revoked), then a list signed by K2; across a reboot; then K2 → K3 with a full image', () => {
    const rig = new Rig();
    const tokens = () => rig.charger.tokens;
    expect(tokens().status).toMatchObject({ version: 1, keySeq: 0 });
    expect(rig.backend.keySeqs.get(DEVICE)).toBe(0);
    const K2r = new NodeSigner(), K3r = new NodeSigner();
    const uid = member(rig);
    rig.site.rotateKey(K2r, { revoke: true });
    rig.site.update('US', 'BLK', (t) => (t.uid === uid ? { ...t, valid: false } : undefined));
    rig.backend.announceList();
    rig.run();
    expect(tokens().status).toMatchObject({ version: 2, keySeq: 1, revokedKeys: 1 });
    expect(tokens().backendKey).toEqual(K2r.publicKey);
    expect(tokens().lookup(uid)).toMatchObject({ valid: false });
    expect(rig.backend.keySeqs.get(DEVICE)).toBe(1);
    expect(rig.backend.listVersions.get(DEVICE)).toBe(2);
    expect(rig.charger.sync.lists.stats).toMatchObject({ keysApplied: 1, badKeys: 0, refused: 0 });
    rig.charger.sync.sendStatus();
    rig.run();
    expect(rig.backend.statuses.get(DEVICE)).toMatchObject({ list: 2, kseq: 1 });
    rig.reboot();
    rig.run();
    expect(tokens().status).toMatchObject({ version: 2, keySeq: 1 });
    rig.site.rotateKey(K3r);
    rig.site.publish([{ countryCode: 'US', partyId: 'BLK', allowedUsesTable: true, tokens: rig.site.current!.partners[0].tokens.filter((t) => t.uid !== uid) }]);
    rig.backend.announceList();
    rig.run();
    expect(tokens().status).toMatchObject({ version: 3, keySeq: 2, revokedKeys: 1 });
    expect(tokens().backendKey).toEqual(K3r.publicKey);
    expect(tokens().lookup(uid)).toBeUndefined();
    expect(rig.charger.sync.lists.stats.fullApplied).toBeGreaterThanOrEqual(1);
  });

  it('a device offline through two rotations follows both in order when it reconnects, then takes the list', () => {
    const rig = new Rig();
    rig.transport.setOnline(false);
    const K2r = new NodeSigner(), K3r = new NodeSigner();
    rig.site.rotateKey(K2r);
    rig.site.rotateKey(K3r, { revoke: true });
    const uid = member(rig);
    rig.site.update('US', 'BLK', (t) => (t.uid === uid ? { ...t, whitelist: 'NEVER' } : undefined));
    rig.run();
    expect(rig.charger.tokens.status).toMatchObject({ version: 1, keySeq: 0 });
    rig.transport.setOnline(true);
    rig.run();
    expect(rig.charger.tokens.status).toMatchObject({ version: 2, keySeq: 2, revokedKeys: 1 });
    expect(rig.charger.tokens.lookup(uid)).toMatchObject({ whitelist: 'NEVER' });
    // Repeats of rotations it had were dropped without a signature check.
    expect(rig.charger.sync.lists.stats).toMatchObject({ keysApplied: 2, badKeys: 0 });
  });

  it('forged rotations on the device topic: none applied, at most the refusal budget verified, the genuine one still gets through', () => {
    const rig = new Rig();
    const K2r = new NodeSigner();
    const forger = rig.bus.connect();
    const verify = vi.spyOn(nodeCrypto, 'verifyP256');
    try {
      for (let i = 0; i < 200; i++) {
        const by = i % 2 ? K2r : new NodeSigner(new Uint8Array(32).fill(0x60 + (i % 8)));
        forger.publish(topicOf(DEVICE, 'listKey'), encodeMessage('listKey', { seq: 1 + i, data: rotation(1 + i, K3, by) }));
      }
      rig.bus.drain();
      expect(verify.mock.calls.length).toBeLessThanOrEqual(3);
    } finally {
      verify.mockRestore();
    }
    expect(rig.charger.tokens.status).toMatchObject({ version: 1, keySeq: 0 });
    const stats = rig.charger.sync.lists.stats;
    expect(stats.keysApplied).toBe(0);
    expect(stats.badKeys).toBeLessThanOrEqual(3);
    expect(stats.dropped).toBeGreaterThanOrEqual(197);
    expect(new TokenStore({ platform: rig.platform, backendKey: rig.backendKey.publicKey }).status).toMatchObject({ version: 1, keySeq: 0 });
    // The backend's own rotation, once the window is over, without a reboot.
    rig.platform.clock.advance(61_000);
    rig.site.rotateKey(K2r);
    rig.site.update('US', 'BLK', (t) => t);
    rig.backend.announceList();
    rig.run();
    expect(rig.charger.tokens.status).toMatchObject({ version: 2, keySeq: 1 });
    rig.reboot();
    expect(rig.charger.tokens.status).toMatchObject({ version: 2, keySeq: 1 });
  });
});
