import { describe, expect, it } from 'vitest';
import { hostPlatform, NodeSigner, type HostPlatform } from '../../host-sim/hal/index.js';
import { nodeCrypto } from '../../host-sim/hal/node-crypto.js';
import { SeededRandom } from '../../host-sim/hal/seeded-random.js';
import type { Crypto } from '../../hal/crypto.js';
import type { FlashRegion } from '../../hal/flash.js';
import {
  compileDiff, compileTable, signDiff, signTable, TokenStore, TokenUpdateError, type PartnerTokens, type TokenEntry,
} from '../../src/tokens/index.js';
import { hashUid, hashUidBytes, OverlayIndex } from '../../src/tokens/overlay-index.js';
import { OverlayLog } from '../../src/tokens/overlay.js';
import { asExpected, expectedEntries, ocpiToken, type Expected } from './expected.js';
import { partnerLists, randomHex } from './fixtures.js';
import { applyFull } from './store-helpers.js';

// The overlay's index keeps a hash of each changed uid and the flash offset of its op; these
// tests hold it to the map of changes it replaced: exact answers (hash collisions included),
// live, after a reboot, with flash mapped or read, and its bound.

const backend = new NodeSigner(new Uint8Array(32).fill(7));
const PARTITIONS = { 'tokens-a': 64 * 1024, 'tokens-b': 64 * 1024, 'tokens-sel': 8 * 1024, 'tokens-ovl': 64 * 1024 };
const BLK = { countryCode: 'US', partyId: 'BLK' };
const SEM = { countryCode: 'US', partyId: 'SEM' };

const image = (lists: PartnerTokens[], version: number) =>
  signTable(compileTable({ listVersion: version, createdAt: 0, partners: lists }, nodeCrypto).image, backend);
const diff = (from: number, to: number, ops: { add?: unknown[]; change?: unknown[]; remove?: string[] }) =>
  signDiff(compileDiff({ from, to, createdAt: 0, ...ops }).diff, backend);

/** The same flash, its overlay region without map(): every read of an op goes through read(). */
const unmapped = (p: HostPlatform): { flash(name: string): FlashRegion; crypto: Crypto } => ({
  crypto: p.crypto,
  flash: (name: string) => {
    const r = p.flash(name);
    if (name !== 'tokens-ovl') return r;
    return { name: r.name, byteLength: r.byteLength, blockSize: r.blockSize, read: (o: number, n: number) => r.read(o, n), write: (o: number, d: Uint8Array) => r.write(o, d), erase: (b: number) => r.erase(b) };
  },
});

function boot(p: HostPlatform, options: { maxOverlayEntries?: number; mapped?: boolean } = {}): TokenStore {
  return new TokenStore({ platform: options.mapped === false ? unmapped(p) : p, backendKey: backend.publicKey, maxOverlayEntries: options.maxOverlayEntries });
}


/** A uid of each kind a list holds (4-, 7- and 10-byte UIDs, text: card numbers and odd forms), upper case. */
function anyUid(r: SeededRandom): string {
  const kind = r.below(5);
  if (kind === 0) {
    let s = randomHex(r, 4);
    while (s.startsWith('08')) s = randomHex(r, 4);
    return s;
  }
  if (kind < 3) return randomHex(r, kind === 1 ? 7 : 10);
  if (kind === 3) return `CARD-${randomHex(r, 3)}-${r.below(10000)}`;
  return String(1e15 + r.below(9e15)); // a card number: decimal digits, hashed as hex
}

/**
 * Pairs of distinct uids whose hashes are equal (a birthday search over uids of every kind,
 * seeded): a 4-byte UID's hash is a bijection of its value, so its partner is of another kind.
 */
function collidingPairs(count: number): Array<[string, string]> {
  const r = new SeededRandom(77);
  const seen = new Map<number, string>();
  const out: Array<[string, string]> = [];
  while (out.length < count) {
    const uid = anyUid(r);
    const h = hashUid(uid);
    const other = seen.get(h);
    if (other !== undefined && other !== uid) {
      out.push([other, uid]);
      seen.delete(h);
    } else seen.set(h, uid);
  }
  return out;
}

type Model = Map<string, Expected & { sourceVersion: number }>;
const seen = (e: TokenEntry | undefined) => e && { ...asExpected(e)!, sourceVersion: e.sourceVersion };

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('uid hash', () => {
  // A lookup hashes the string, boot the op's bytes in flash: any difference would hide a change.
  it('is the same of a uid\'s characters as of its bytes, for every kind of uid', () => {
    const r = new SeededRandom(5);
    const uids = [
      'A1B2C3D4', '04A1B2C3D4E5F6', '04A1B2C3D4E5F6A7B8C9', // 4-, 7-, 10-byte UIDs
      '1234567890123456', '6041234567890123456', 'CARD-0001', 'NL-ABC-123456-7', // card numbers, text
      'A', '0', 'G', '@', '/', ':', '`', '~!', 'a1b2c3d4', '04a1B2C3d4e5f6', // one character, just outside hex, lower and mixed case
      'F'.repeat(36), '9'.repeat(36), 'Z'.repeat(35), '0123456789ABCDEF0123456789ABCDEF0123', // the longest, hex past 3 chunks
    ];
    for (let i = 0; i < 2000; i++) uids.push(anyUid(r));
    for (let n = 1; n <= 36; n++) uids.push(randomHex(r, 18).slice(0, n));
    for (const uid of uids) {
      // Somewhere inside a larger buffer, as an op lies in the log.
      const b = new Uint8Array(uid.length + 10).fill(0x41);
      b.set(ascii(uid), 7);
      expect(hashUidBytes(b, 7, uid.length), uid).toBe(hashUid(uid));
      expect(hashUid(uid)).toBeGreaterThanOrEqual(0);
      expect(hashUid(uid)).toBeLessThan(2 ** 32);
    }
  });

  it('is the same of any bytes as of the string of their units, -1 for both where one is not printable ASCII', () => {
    // Seeded bytes, mostly hex digits (the hex path and its chunks), some other printable, some not.
    const r = new SeededRandom(16);
    const pick = () => {
      const x = r.below(20);
      return x < 14 ? '0123456789ABCDEF'.charCodeAt(r.below(16)) : x < 18 ? 0x21 + r.below(94) : r.below(256);
    };
    for (let i = 0; i < 20000; i++) {
      const b = Uint8Array.from({ length: r.below(41) }, pick);
      expect(hashUidBytes(b, 0, b.length), Array.from(b).join(',')).toBe(hashUid(String.fromCharCode(...b)));
    }
  });

  it('tells hex from text by upper-case hex digits only, on both sides', () => {
    // 'A1B2C3D4' as hex and as text give different hashes; its lower-case form is text on both sides.
    const hexHash = hashUid('A1B2C3D4');
    expect(hashUidBytes(ascii('a1b2c3d4'), 0, 8)).toBe(hashUid('a1b2c3d4'));
    expect(hashUid('a1b2c3d4')).not.toBe(hexHash);
    // A uid differing from another by one digit anywhere hashes differently within its kind.
    for (const uid of ['04A1B2C3D4E5F6', '04A1B2C3D4E5F6A7B8C9', '1234567890123456789']) {
      for (let i = 0; i < uid.length; i++) {
        const other = uid.slice(0, i) + (uid[i] === '0' ? '1' : '0') + uid.slice(i + 1);
        expect(hashUid(other), other).not.toBe(hashUid(uid));
      }
    }
  });

  it('is -1 for a uid that is not printable ASCII, of bytes (boot refuses the op) and of a string (no op holds it)', () => {
    for (const bad of [[0x41, 0x20, 0x42], [0x41, 0x7f], [0xc3, 0xa9], [0x30, 0x31, 0x00], [0x80]]) expect(hashUidBytes(Uint8Array.from(bad), 0, bad.length)).toBe(-1);
    for (const bad of ['A1B2 C3D4', 'CARDÉ', '\ufffd', 'A\u0000', 'AB\u0141']) expect(hashUid(bad), bad).toBe(-1);
  });
});

describe('overlay index', () => {
  const pairs = collidingPairs(6);
  const base = partnerLists(31, 400);
  // One uid of each of the first three pairs on the table; the others arrive by differentials.
  const lists: PartnerTokens[] = base.map((l, i) => (i === 0 ? { ...l, tokens: [...l.tokens, ...pairs.slice(0, 3).map(([a]) => ocpiToken(BLK, a))] } : l));

  it('finds colliding pairs to test with (their hashes are equal, their uids not)', () => {
    for (const [a, b] of pairs) {
      expect(a).not.toBe(b);
      expect(hashUid(a)).toBe(hashUid(b));
    }
  });

  for (const mapped of [true, false]) {
    it(`answers as a map of the changes would, hash collisions included, live and after a reboot (${mapped ? 'mapped flash' : 'flash read per op'})`, () => {
      const p = hostPlatform(PARTITIONS);
      const store = boot(p, { mapped });
      applyFull(store, image(lists, 10));
      const model: Model = new Map([...expectedEntries(lists)].map(([uid, e]) => [uid, { ...e, sourceVersion: 10 }]));
      const pool = [...pairs.flat(), ...[...model.keys()].slice(0, 40)];
      for (let i = 0; i < 30; i++) pool.push(randomHex(new SeededRandom(500 + i), 7));
      const probes = [...new Set([...pool, ...[...model.keys()].slice(40, 80), 'NOPE'])];
      const check = (s: TokenStore) => {
        for (const uid of probes) expect(seen(s.lookup(uid)), uid).toEqual(model.get(uid));
      };
      const r = new SeededRandom(9);
      let v = 10;
      for (let d = 0; d < 40; d++) {
        const add: unknown[] = [], change: unknown[] = [], remove: string[] = [];
        const used = new Set<string>();
        for (let k = 0; k < 1 + r.below(6); k++) {
          const uid = pool[r.below(pool.length)];
          if (used.has(uid)) continue;
          used.add(uid);
          const party = r.below(2) ? BLK : SEM;
          const extra = { valid: r.below(3) > 0, whitelist: ['ALWAYS', 'ALLOWED', 'NEVER'][r.below(3)], ...(r.below(4) === 0 ? { group_id: `G-${d}-${k}-ü` } : {}) };
          if (!model.has(uid)) add.push(ocpiToken(party, uid, extra));
          else if (r.below(3) === 0) remove.push(uid);
          else change.push(ocpiToken(party, uid, extra));
        }
        expect(store.applyDifferential(diff(v, v + 1, { add, change, remove }))).toBe(v + 1);
        v++;
        for (const t of [...add, ...change] as Array<Record<string, any>>)
          model.set(t.uid, { partyId: t.party_id, whitelist: t.whitelist, valid: t.valid, type: 'RFID', ...(t.group_id ? { groupId: t.group_id } : {}), sourceVersion: v });
        for (const uid of remove) model.delete(uid);
        check(store);
      }
      const again = boot(p, { mapped });
      expect(again.version).toBe(v);
      check(again);
      expect(again.status.overlayEntries).toBe(store.status.overlayEntries);
      expect(again.status.overlayChanges).toBe(store.status.overlayChanges);
      // The other way of reading flash gives the same answers.
      check(boot(p, { mapped: !mapped }));
    });
  }

  it('a uid under another uid\'s hash is neither accepted nor refused on its behalf', () => {
    const p = hostPlatform(PARTITIONS);
    const store = boot(p);
    applyFull(store, image(lists, 10));
    const [onTable, added] = pairs[0];
    const [, stranger] = pairs[4];
    expect(store.lookup(onTable)).toMatchObject({ sourceVersion: 10 });
    store.applyDifferential(diff(10, 11, { add: [ocpiToken(SEM, added)] }));
    // Same hash, other uid: the table's entry, not the overlay's.
    expect(store.lookup(onTable)).toMatchObject({ partner: { partyId: 'BLK' }, sourceVersion: 10 });
    expect(store.lookup(added)).toMatchObject({ partner: { partyId: 'SEM' }, sourceVersion: 11 });
    store.applyDifferential(diff(11, 12, { remove: [onTable] }));
    expect(store.lookup(onTable)).toBeUndefined();
    expect(store.lookup(added)).toMatchObject({ sourceVersion: 11 });
    // A uid no list ever held, under the hash of an added one, stays unknown.
    store.applyDifferential(diff(12, 13, { add: [ocpiToken(SEM, pairs[4][0])] }));
    expect(store.lookup(stranger)).toBeUndefined();
    for (const s of [store, boot(p), boot(p, { mapped: false })]) {
      expect(s.lookup(onTable)).toBeUndefined();
      expect(s.lookup(added)).toMatchObject({ sourceVersion: 11 });
      expect(s.lookup(stranger)).toBeUndefined();
      expect(s.status).toMatchObject({ overlayEntries: 3, overlayChanges: 3 });
    }
  });

  it('gives each change the version of its record, whether versions step by one, jump or pass in an empty differential', () => {
    for (const steps of [[1, 1, 1, 1], [1, 4, 1, 2], [1, 0, 1, 1]]) {
      const p = hostPlatform(PARTITIONS);
      const store = boot(p);
      applyFull(store, image(lists, 10));
      const want = new Map<string, number>();
      let v = 10;
      steps.forEach((step, i) => {
        // step 0: a differential with no change (10 → 11 with nothing in it), then the next from there.
        const uids = step === 0 ? [] : [`C${i}000001`, `C${i}00000200000${i}`];
        const to = v + (step === 0 ? 1 : step);
        store.applyDifferential(diff(v, to, { add: uids.map((u) => ocpiToken(SEM, u)) }));
        for (const u of uids) want.set(u, to);
        v = to;
      });
      for (const s of [store, boot(p), boot(p, { mapped: false })]) {
        expect(s.version).toBe(v);
        for (const [uid, version] of want) expect(s.lookup(uid), `${steps} ${uid}`).toMatchObject({ sourceVersion: version });
      }
    }
  });

  it('answers the same from a region past 2 MiB, whose keys keep fewer hash bits', () => {
    const p = hostPlatform({ ...PARTITIONS, 'tokens-ovl': 4 * 1024 * 1024 });
    const store = boot(p);
    applyFull(store, image(lists, 10));
    const [onTable, added] = pairs[0];
    // Not on the table (the first uid of each of the first three pairs is): the others, and two more.
    const uids = [added, ...pairs.slice(1, 3).map(([, b]) => b), ...pairs.slice(3).flat(), 'A1B2C3D5', '04A1B2C3D4E5F6'];
    store.applyDifferential(diff(10, 11, { add: uids.slice(0, 6).map((u) => ocpiToken(SEM, u)) }));
    store.applyDifferential(diff(11, 12, { add: uids.slice(6).map((u) => ocpiToken(SEM, u)), remove: [onTable] }));
    for (const s of [store, boot(p), boot(p, { mapped: false })]) {
      uids.forEach((u, i) => expect(s.lookup(u), u).toMatchObject({ partner: { partyId: 'SEM' }, sourceVersion: i < 6 ? 11 : 12 }));
      expect(s.lookup(onTable)).toBeUndefined();
      expect(s.lookup('A1B2C3D6')).toBeUndefined();
    }
  });

  it('finds a change by its uid in any case, for every kind of uid, live and after a reboot', () => {
    const p = hostPlatform(PARTITIONS);
    const store = boot(p);
    applyFull(store, image(lists, 10));
    // OCPI uids are case-insensitive: the differential may carry lower case, the store holds upper case.
    const uids = ['a1b2c3d5', '04a1B2c3D4e5F6', '04A1b2C3d4E5f6A7b8C9', 'card-Ab-12', '6041234567890123456'];
    store.applyDifferential(diff(10, 11, { add: uids.map((u) => ocpiToken(SEM, u)) }));
    for (const s of [store, boot(p), boot(p, { mapped: false })]) {
      for (const uid of uids) {
        for (const form of [uid, uid.toUpperCase(), uid.toLowerCase()]) expect(s.lookup(form), form).toMatchObject({ uid: uid.toUpperCase(), partner: { partyId: 'SEM' }, sourceVersion: 11 });
      }
      expect(s.lookup('card-ab-13')).toBeUndefined();
      // Characters no op can hold: the table's answer (none), not an error.
      for (const odd of ['card-Ab-1\u00e9', 'A1B2 C3D5', '\ufffd']) expect(s.lookup(odd), odd).toBeUndefined();
    }
  });

  it('steps over a CRC-valid record naming a partner the image does not have (KD-2) and takes the next that chains', () => {
    const p = hostPlatform(PARTITIONS);
    applyFull(boot(p), image(lists, 10));
    // Shaped as the store writes records, CRC and all, but with partner index 99 of 4.
    new OverlayLog(p.flash('tokens-ovl')).add({ base: 10, from: 10, to: 11, ops: [['A1B2C3D4', 99, 0, true, 0, null]] });
    const after = boot(p);
    expect(after.bootError).toBeUndefined();
    expect(after.version).toBe(10);
    expect(after.lookup('A1B2C3D4')).toBeUndefined();
    expect(after.status.overlayEntries).toBe(0);
    // The differential the device still needs is taken again, after the stepped-over record.
    expect(after.applyDifferential(diff(10, 11, { add: [ocpiToken(BLK, 'A1B2C3D4')] }))).toBe(11);
    const again = boot(p);
    expect(again.version).toBe(11);
    expect(again.lookup('A1B2C3D4')).toMatchObject({ partner: { partyId: 'BLK' }, sourceVersion: 11 });
  });

  it('refuses at apply a record naming a partner the image does not have, indexing nothing', () => {
    const p = hostPlatform(PARTITIONS);
    const log = new OverlayLog(p.flash('tokens-ovl'));
    const index = new OverlayIndex(log, 100);
    const bad = log.frame({ base: 1, from: 1, to: 2, ops: [['A1B2C3D4', 0, 0, true, 0, null], ['B1B2C3D4', 4, 0, true, 0, null]] });
    // What the store compares with the image's partners before the write.
    expect(bad.maxPartner).toBe(4);
    log.append(bad);
    expect(index.take(bad, 4)).toBe(false);
    expect(index.changes).toBe(0);
    expect(index.lookup('A1B2C3D4', [])).toBeUndefined();
    // The same record is taken where the image has five partners.
    expect(index.take(bad, 5)).toBe(true);
    expect(index.changes).toBe(2);
  });

  it('bounds the changes held, a uid changed again counting again; a longer overlay found at boot stays in force', () => {
    const p = hostPlatform(PARTITIONS);
    const store = boot(p, { maxOverlayEntries: 10 });
    applyFull(store, image(lists, 10));
    const uid = 'A1B2C3D4';
    store.applyDifferential(diff(10, 11, { add: [ocpiToken(BLK, uid)] }));
    for (let v = 11; v < 20; v++) store.applyDifferential(diff(v, v + 1, { change: [ocpiToken(BLK, uid, { valid: v % 2 === 0 })] }));
    expect(store.status).toMatchObject({ version: 20, overlayEntries: 1, overlayChanges: 10 });
    let e: unknown;
    try { store.applyDifferential(diff(20, 21, { change: [ocpiToken(BLK, uid)] })); } catch (x) { e = x; }
    expect(e).toBeInstanceOf(TokenUpdateError);
    expect((e as TokenUpdateError).code).toBe('OVERLAY_FULL');
    expect((e as TokenUpdateError).needsFullImage).toBe(true);
    expect(store.lookup(uid)).toMatchObject({ valid: false, sourceVersion: 20 });
    // A smaller bound (a firmware update) does not drop changes in force: the list stays exact, the next differential is refused.
    const smaller = boot(p, { maxOverlayEntries: 4 });
    expect(smaller.version).toBe(20);
    expect(smaller.lookup(uid)).toMatchObject({ valid: false, sourceVersion: 20 });
    expect(() => smaller.applyDifferential(diff(20, 21, { remove: [uid] }))).toThrow(/OVERLAY_FULL|over 4/);
    // A full image empties the overlay and its index.
    applyFull(smaller, image(lists, 30));
    expect(smaller.status).toMatchObject({ overlayEntries: 0, overlayChanges: 0 });
    expect(smaller.lookup(uid)).toBeUndefined();
  });
});
