import { describe, expect, it } from 'vitest';
import { hostPlatform, NodeSigner, PowerCut, type HostPlatform } from '../../host-sim/hal/index.js';
import { nodeCrypto } from '../../host-sim/hal/node-crypto.js';
import {
  compileDiff, compileTable, signDiff, signTable, TokenStore, type PartnerTokens, type TokenUpdateErrorCode,
} from '../../src/tokens/index.js';
import { asExpected, expectedEntries, ocpiToken } from './expected.js';
import { partnerLists } from './fixtures.js';
import { applyFull, rejects } from './store-helpers.js';

/** Images go in chunks of this many bytes, as the list client streams them (several per image). */
const CHUNK = 1000;

const backend = new NodeSigner(new Uint8Array(32).fill(7));
const stranger = new NodeSigner(new Uint8Array(32).fill(9));
const PARTITIONS = { 'tokens-a': 64 * 1024, 'tokens-b': 64 * 1024, 'tokens-sel': 8 * 1024, 'tokens-ovl': 16 * 1024 };
const BLK = { countryCode: 'US', partyId: 'BLK' };

const boot = (p: HostPlatform, maxOverlayEntries?: number) => new TokenStore({ platform: p, backendKey: backend.publicKey, maxOverlayEntries });
const image = (lists: PartnerTokens[], version: number, signer = backend) =>
  signTable(compileTable({ listVersion: version, createdAt: 0, partners: lists }, nodeCrypto).image, signer);
const diff = (from: number, to: number, ops: { add?: unknown[]; change?: unknown[]; remove?: string[] }, signer = backend) =>
  signDiff(compileDiff({ from, to, createdAt: 0, ...ops }).diff, signer);



/** Every answer the store gives for the uids of a list, plus a few others. */
function answers(store: TokenStore, uids: string[]) {
  return { version: store.version, entries: uids.map((u) => store.lookup(u)) };
}

const v1Lists = partnerLists(21, 1500);
const v2Lists = partnerLists(22, 1500);
const probe = [...new Set([...expectedEntries(v1Lists).keys(), ...[...expectedEntries(v2Lists).keys()].slice(0, 300), 'NOPE', '0A0B0C0D'])];
const firstUid = [...expectedEntries(v1Lists).keys()][0];

describe('token store: full images', () => {
  it('streams an image into a slot, answers from it and keeps it across a reboot', () => {
    const p = hostPlatform(PARTITIONS);
    const store = boot(p);
    expect(store.version).toBeUndefined();
    expect(store.lookup(firstUid)).toBeUndefined();
    const bytes = image(v1Lists, 1);
    store.beginFull(bytes.length);
    // Odd chunk sizes: a first chunk shorter than the fixed header, one that straddles header and body.
    let o = 0;
    for (const n of [7, 150, 3001]) { store.writeChunk(o, bytes.subarray(o, o + n)); o += n; }
    store.writeChunk(150, bytes.subarray(150, 1000)); // retransmission overlapping what was written
    o = 1000;
    for (; o < bytes.length; o += 4096) store.writeChunk(o, bytes.subarray(o, o + 4096));
    expect(store.commit()).toBe(1);
    const expected = expectedEntries(v1Lists);
    for (const [uid, e] of expected) expect(asExpected(store.lookup(uid))).toEqual(e);
    expect(store.status).toMatchObject({ version: 1, slot: 0, tokens: expected.size });
    const again = boot(p);
    expect(answers(again, probe)).toEqual(answers(store, probe));
  });

  it('writes the inactive slot and leaves the active one untouched', () => {
    const p = hostPlatform(PARTITIONS);
    const store = boot(p);
    applyFull(store, image(v1Lists, 1), CHUNK);
    const slotA = p.regions.get('tokens-a')!.raw.slice();
    applyFull(store, image(v2Lists, 2), 5000);
    expect(Buffer.from(p.regions.get('tokens-a')!.raw).equals(Buffer.from(slotA))).toBe(true);
    expect(store.status).toMatchObject({ version: 2, slot: 1 });
    for (const [uid, e] of expectedEntries(v2Lists)) expect(asExpected(store.lookup(uid))).toEqual(e);
    applyFull(store, image([{ ...v1Lists[0], tokens: [] }], 3), CHUNK);
    expect(store.status).toMatchObject({ version: 3, slot: 0, tokens: 0 });
    expect(store.lookup(firstUid)).toBeUndefined();
  });

  it('rejects bad images with a clear reason and changes nothing', () => {
    const p = hostPlatform(PARTITIONS);
    const store = boot(p);
    applyFull(store, image(v1Lists, 5), CHUNK);
    const before = answers(store, probe);
    const good = image(v2Lists, 6);
    const flip = (at: number) => { const b = good.slice(); b[at] ^= 1; return b; };
    const headerLength = new DataView(good.buffer).getUint32(8, true);
    const cases: Array<[TokenUpdateErrorCode, () => unknown]> = [
      ['BAD_HASH', () => applyFull(store, flip(headerLength + 100), CHUNK)],
      ['BAD_SIGNATURE', () => applyFull(store, flip(40), CHUNK)],
      ['BAD_SIGNATURE', () => applyFull(store, flip(good.length - 1), CHUNK)],
      ['BAD_SIGNATURE', () => applyFull(store, image(v2Lists, 6, stranger), CHUNK)],
      ['ROLLBACK', () => applyFull(store, image(v2Lists, 4), CHUNK)],
      ['ROLLBACK', () => applyFull(store, image(v2Lists, 5), CHUNK)],
      ['BAD_FORMAT', () => applyFull(store, flip(0), CHUNK)],
      ['TRUNCATED', () => { store.beginFull(good.length); store.writeChunk(0, good.subarray(0, good.length - 1)); store.commit(); }],
      ['TRUNCATED', () => applyFull(store, good.subarray(0, good.length - 10), CHUNK)],
      ['TRUNCATED', () => store.beginFull(100)],
      ['OVERSIZED', () => applyFull(store, Buffer.concat([good, Buffer.alloc(10)]), CHUNK)],
      ['OVERSIZED', () => store.beginFull(64 * 1024 + 1)],
      ['OVERSIZED', () => { store.beginFull(good.length); store.writeChunk(0, Buffer.concat([good, Buffer.alloc(1)])); }],
      ['BAD_OFFSET', () => { store.beginFull(good.length); store.writeChunk(0, good.subarray(0, 500)); store.writeChunk(501, good.subarray(501)); }],
      // Not a flash error out of the region: a typed refusal.
      ['BAD_OFFSET', () => { store.beginFull(good.length); store.writeChunk(Number.NaN, good.subarray(0, 500)); }],
      ['NO_UPDATE', () => store.writeChunk(0, good)],
      ['NO_UPDATE', () => store.commit()],
      ['TRUNCATED', () => { store.beginFull(good.length); store.writeChunk(0, good.subarray(0, 10)); store.writeChunk(0, good.subarray(0, 5000)); store.writeChunk(30, new Uint8Array(10)); store.commit(); }],
    ];
    for (const [code, f] of cases) {
      rejects(code, f);
      expect(answers(store, probe)).toEqual(before);
      expect(answers(boot(p), probe)).toEqual(before);
    }
    expect(applyFull(store, good, CHUNK)).toBe(6);
  });

  it('moves the selector log on through its two blocks over hundreds of updates', () => {
    const p = hostPlatform(PARTITIONS);
    const lists = [{ countryCode: 'US', partyId: 'BLK', allowedUsesTable: true, tokens: [ocpiToken(BLK, '01020304')] }];
    let store = boot(p);
    for (let v = 1; v <= 300; v++) {
      applyFull(store, image(lists, v), CHUNK);
      if (v % 37 === 0) store = boot(p);
      expect(store.version).toBe(v);
    }
    expect(boot(p).status).toMatchObject({ version: 300, slot: 1 });
  });
});

describe('token store: differentials', () => {
  const t = (uid: string, extra: Record<string, unknown> = {}) => ocpiToken(BLK, uid, extra);
  const fresh = () => {
    const p = hostPlatform(PARTITIONS);
    const store = boot(p);
    applyFull(store, image(v1Lists, 10), CHUNK);
    return { p, store };
  };

  it('adds, changes and removes tokens in an overlay that survives reboots', () => {
    const { p, store } = fresh();
    const present = [...expectedEntries(v1Lists).keys()].slice(0, 3);
    expect(store.applyDifferential(diff(10, 11, { add: [t('A1B2C3D4'), t('cafe-card', { group_id: 'FLEET' })], change: [t(present[0], { valid: false, whitelist: 'NEVER' })], remove: [present[1]] }))).toBe(11);
    const check = (s: TokenStore) => {
      expect(s.version).toBe(11);
      expect(s.lookup('A1B2C3D4')).toMatchObject({ uid: 'A1B2C3D4', valid: true, whitelist: 'ALLOWED', sourceVersion: 11, partner: { partyId: 'BLK' } });
      expect(s.lookup('CAFE-CARD')).toMatchObject({ groupId: 'FLEET', sourceVersion: 11 });
      expect(s.lookup(present[0])).toMatchObject({ valid: false, whitelist: 'NEVER', sourceVersion: 11 });
      expect(s.lookup(present[1])).toBeUndefined();
      expect(s.lookup(present[2])).toMatchObject({ sourceVersion: 10 });
    };
    check(store);
    check(boot(p));
    expect(store.applyDifferential(diff(11, 12, { add: [t(present[1])], remove: ['A1B2C3D4'] }))).toBe(12);
    const after = boot(p);
    expect(after.version).toBe(12);
    expect(after.lookup('A1B2C3D4')).toBeUndefined();
    expect(after.lookup(present[1])).toMatchObject({ sourceVersion: 12 });
    // A full image replaces the overlay.
    applyFull(after, image(v2Lists, 13), CHUNK);
    expect(after.lookup('CAFE-CARD')).toBeUndefined();
    expect(boot(p).lookup('CAFE-CARD')).toBeUndefined();
    expect(after.applyDifferential(diff(13, 14, { add: [t('CAFE-CARD')] }))).toBe(14);
    expect(boot(p).lookup('CAFE-CARD')).toMatchObject({ sourceVersion: 14 });
  });

  it('rejects bad differentials with a clear reason and changes nothing', () => {
    const { p, store } = fresh();
    store.applyDifferential(diff(10, 11, { add: [t('A1B2C3D4')] }));
    const before = answers(store, [...probe, 'A1B2C3D4']);
    const good = diff(11, 12, { add: [t('11112222')] });
    const cases: Array<[TokenUpdateErrorCode, Uint8Array]> = [
      ['VERSION_MISMATCH', diff(12, 13, { add: [t('11112222')] })],
      ['ROLLBACK', diff(10, 11, { add: [t('11112222')] })],
      ['ROLLBACK', diff(9, 10, { add: [t('11112222')] })],
      ['BAD_SIGNATURE', diff(11, 12, { add: [t('11112222')] }, stranger)],
      ['BAD_SIGNATURE', (() => { const b = good.slice(); b[12] ^= 1; return b; })()],
      ['TRUNCATED', good.subarray(0, good.length - 1)],
      ['OVERSIZED', Buffer.concat([good, Buffer.alloc(1)])],
      ['BAD_FORMAT', Buffer.alloc(100)],
      ['NOT_PRESENT', diff(11, 12, { remove: ['99887766'] })],
      ['NOT_PRESENT', diff(11, 12, { change: [t('99887766')] })],
      ['ALREADY_PRESENT', diff(11, 12, { add: [t('A1B2C3D4')] })],
      ['UNKNOWN_PARTNER', diff(11, 12, { add: [ocpiToken({ countryCode: 'FR', partyId: 'XYZ' }, '11112222')] })],
      ['NOT_PRESENT', diff(11, 12, { add: [t('11112222')], remove: ['99887766'] })],
    ];
    for (const [code, bytes] of cases) {
      const e = rejects(code, () => store.applyDifferential(bytes));
      expect(e.needsFullImage).toBe(code === 'VERSION_MISMATCH');
      expect(answers(store, [...probe, 'A1B2C3D4'])).toEqual(before);
      expect(answers(boot(p), [...probe, 'A1B2C3D4'])).toEqual(before);
    }
    expect(store.applyDifferential(good)).toBe(12);
  });

  it('asks for a full image when the overlay passes its bound, or before any list', () => {
    const p = hostPlatform(PARTITIONS);
    rejects('VERSION_MISMATCH', () => boot(p).applyDifferential(diff(0, 1, { add: [t('11112222')] })));
    const store = boot(p, 50);
    applyFull(store, image(v1Lists, 10), CHUNK);
    const adds = (from: number, n: number) => Array.from({ length: n }, (_, i) => t(`FF00${(from * 100 + i).toString(16).toUpperCase().padStart(4, '0')}`));
    store.applyDifferential(diff(10, 11, { add: adds(1, 40) }));
    const e = rejects('OVERLAY_FULL', () => store.applyDifferential(diff(11, 12, { add: adds(2, 11) })));
    expect(e.needsFullImage).toBe(true);
    expect(store.version).toBe(11);
    // The region itself fills up too: many small records past its 16 KiB.
    const roomy = boot(hostPlatform(PARTITIONS), 100_000);
    applyFull(roomy, image(v1Lists, 1), CHUNK);
    let v = 1;
    const full = rejects('OVERLAY_FULL', () => { for (;;) { roomy.applyDifferential(diff(v, v + 1, { add: adds(v, 30) })); v++; } });
    expect(full.needsFullImage).toBe(true);
    expect(roomy.version).toBe(v);
  });
});

describe('token store: power cut at every write', () => {
  /** A device with list 1 and one differential on it; `then` runs with the cut armed. */
  function device(freshImage: boolean): { p: HostPlatform; store: TokenStore } {
    const p = hostPlatform(PARTITIONS);
    const store = boot(p);
    applyFull(store, image(v1Lists, 1), 4096);
    store.applyDifferential(diff(1, 2, { add: [ocpiToken(BLK, 'A1B2C3D4')] }));
    // A new image leaves the overlay's records stale: the next differential erases them first.
    if (freshImage) applyFull(store, image(v2Lists, 3), 8192);
    return { p, store };
  }

  function everyCut(update: (store: TokenStore) => void, freshImage = false) {
    const dry = device(freshImage);
    const w0 = dry.p.power.writes;
    update(dry.store);
    const newAnswers = answers(dry.store, [...probe, 'A1B2C3D4', 'B1B2C3D4']);
    const writes = dry.p.power.writes - w0;
    expect(writes).toBeGreaterThan(0);
    for (let n = 1; n <= writes; n++) {
      const { p, store } = device(freshImage);
      const oldAnswers = answers(store, [...probe, 'A1B2C3D4', 'B1B2C3D4']);
      p.power.cutAtWrite(n);
      expect(() => update(store)).toThrow(PowerCut);
      p.power.restore();
      const rebooted = boot(p);
      const got = answers(rebooted, [...probe, 'A1B2C3D4', 'B1B2C3D4']);
      // The old list in force, or (a cut inside the last write that still landed whole) the new one; never a mix.
      if (n < writes) expect(got).toEqual(oldAnswers);
      else expect([oldAnswers, newAnswers]).toContainEqual(got);
      // And the device takes updates again.
      if (got.version === oldAnswers.version) update(rebooted);
      expect(answers(rebooted, [...probe, 'A1B2C3D4', 'B1B2C3D4'])).toEqual(newAnswers);
    }
  }

  it('full apply: the previous list stays in force', () => {
    everyCut((s) => applyFull(s, image(v2Lists, 3), 2048));
  });

  it('differential on a fresh image (the overlay is erased first)', () => {
    const gone = [...expectedEntries(v2Lists).keys()][0];
    everyCut((s) => { s.applyDifferential(diff(3, 4, { add: [ocpiToken(BLK, 'B1B2C3D4')], remove: [gone] })); }, true);
  });

  it('differential appended to the overlay', () => {
    everyCut((s) => { s.applyDifferential(diff(2, 3, { add: [ocpiToken(BLK, 'B1B2C3D4')], remove: ['A1B2C3D4'] })); });
  });
});

describe('token store: the selected slot does not open at boot (bootError)', () => {
  it('still refuses an older list, by the version the selector recorded and the differentials applied on it', () => {
    const p = hostPlatform(PARTITIONS);
    const store = boot(p);
    applyFull(store, image(v1Lists, 5), CHUNK); // slot A
    applyFull(store, image(v2Lists, 7), CHUNK); // slot B, selected
    store.applyDifferential(diff(7, 8, { add: [ocpiToken(BLK, '04A2B3C4D5E6F0')] }));
    expect(store.version).toBe(8);
    // The selected slot's header is damaged: the device boots with no list in force.
    p.regions.get('tokens-b')!.raw[0] ^= 0xff;
    const damaged = boot(p);
    expect(damaged.bootError).toBeDefined();
    expect(damaged.version).toBeUndefined();
    // A replayed older image, validly signed, is still a rollback (it was accepted before the fix).
    rejects('ROLLBACK', () => applyFull(damaged, image(v1Lists, 5), CHUNK));
    expect(rejects('ROLLBACK', () => applyFull(damaged, image(v2Lists, 7), CHUNK)).message).toMatch(/older than 8/);
    // After a reboot too: the floor comes from flash, not from this boot's memory.
    rejects('ROLLBACK', () => applyFull(boot(p), image(v1Lists, 6), CHUNK));
    // The version it had (what the backend sends when it has none newer) or a newer one brings the list back.
    expect(applyFull(boot(p), image(v2Lists, 8), CHUNK)).toBe(8);
    const back = boot(p);
    expect(back.bootError).toBeUndefined();
    expect(back.version).toBe(8);
    rejects('ROLLBACK', () => applyFull(back, image(v2Lists, 8), CHUNK));
  });
});
