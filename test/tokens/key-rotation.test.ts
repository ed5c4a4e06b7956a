import { describe, expect, it } from 'vitest';
import { hostPlatform, NodeSigner, type HostPlatform } from '../../host-sim/hal/index.js';
import { nodeCrypto } from '../../host-sim/hal/node-crypto.js';
import { crc32, encodeCbor } from '../../src/codec/index.js';
import {
  compileDiff, compileTable, encodeKeyRotation, keyFingerprint, MAX_ROTATION_BYTES, signDiff, signKeyRotation, signTable, TokenStore,
  type PartnerTokens, type TokenUpdateErrorCode,
} from '../../src/tokens/index.js';
import { openKeyRotation } from '../../src/tokens/key-rotation.js';
import { SlotSelector } from '../../src/tokens/selector.js';
import { put32, u32 } from '../../src/tokens/format.js';
import { ocpiToken } from './expected.js';
import { applyFull, rejects } from './store-helpers.js';

const keys = Array.from({ length: 12 }, (_, i) => new NodeSigner(new Uint8Array(32).fill(0x41 + i)));
const [k0, k1, k2] = keys;
const PARTITIONS = { 'tokens-a': 16 * 1024, 'tokens-b': 16 * 1024, 'tokens-sel': 8 * 1024, 'tokens-ovl': 8 * 1024 };
const BLK = { countryCode: 'US', partyId: 'BLK' };
const lists = (uids: string[]): PartnerTokens[] => [{ countryCode: 'US', partyId: 'BLK', allowedUsesTable: true, tokens: uids.map((u) => ocpiToken(BLK, u)) }];

const boot = (p: HostPlatform) => new TokenStore({ platform: p, backendKey: k0.publicKey });
const rotation = (seq: number, to: NodeSigner, by: NodeSigner, revoke = false) => signKeyRotation(encodeKeyRotation({ seq, key: to.publicKey, revoke }), by);
const image = (version: number, signer: NodeSigner, uids = ['01020304']) =>
  signTable(compileTable({ listVersion: version, createdAt: 0, partners: lists(uids) }, nodeCrypto).image, signer);
const diff = (from: number, to: number, uid: string, signer: NodeSigner) => signDiff(compileDiff({ from, to, createdAt: 0, add: [ocpiToken(BLK, uid)] }).diff, signer);



/** A rotation frame around any payload, signed by `by`: shapes only a key holder could send. */
function framed(payload: unknown, by: NodeSigner, rawPayload?: Uint8Array): Uint8Array {
  const p = rawPayload ?? encodeCbor(payload);
  const head = new Uint8Array(8 + p.length);
  put32(head, 0, 0x524b5452);
  put32(head, 4, p.length);
  head.set(p, 8);
  return signKeyRotation(head, by);
}

describe('key rotation: the signed message', () => {
  it('round-trips and stays within its bound', () => {
    const r = rotation(0xffffffff, k1, k0, true);
    expect(r.length).toBeLessThanOrEqual(MAX_ROTATION_BYTES);
    expect(openKeyRotation(r, nodeCrypto, k0.publicKey)).toEqual({ seq: 0xffffffff, key: k1.publicKey, revoke: true });
    expect(openKeyRotation(rotation(1, k1, k0), nodeCrypto, k0.publicKey).revoke).toBe(false);
  });

  it('refuses every malformed or unsigned frame with its code', () => {
    const good = rotation(1, k1, k0);
    const flip = (at: number) => { const b = good.slice(); b[at] ^= 1; return b; };
    const bad64 = k1.publicKey.slice(0, 64);
    const compressed = k1.publicKey.slice(); compressed[0] = 0x02;
    const cases: Array<[TokenUpdateErrorCode, Uint8Array]> = [
      ['TRUNCATED', good.subarray(0, 71)],
      ['TRUNCATED', good.subarray(0, good.length - 1)],
      ['OVERSIZED', Uint8Array.of(...good, 0)],
      ['OVERSIZED', new Uint8Array(MAX_ROTATION_BYTES + 1)],
      ['BAD_FORMAT', flip(0)],
      ['BAD_FORMAT', diff(1, 2, 'A1B2C3D4', k0)], // a differential is not a rotation
      ['BAD_SIGNATURE', rotation(1, k1, k2)],
      ['BAD_SIGNATURE', flip(20)],
      ['BAD_SIGNATURE', flip(good.length - 1)],
      ['BAD_FORMAT', framed(undefined, k0, Uint8Array.of(0xff, 0x00))],
      ['BAD_FORMAT', framed([1, 2, 3], k0)],
      ['BAD_FORMAT', framed({ v: 2, seq: 1, key: k1.publicKey }, k0)],
      ['BAD_FORMAT', framed({ v: 1, seq: 0, key: k1.publicKey }, k0)],
      ['BAD_FORMAT', framed({ v: 1, seq: 1.5, key: k1.publicKey }, k0)],
      ['BAD_FORMAT', framed({ v: 1, seq: 2 ** 32, key: k1.publicKey }, k0)],
      ['BAD_FORMAT', framed({ v: 1, seq: '1', key: k1.publicKey }, k0)],
      ['BAD_FORMAT', framed({ v: 1, seq: 1, key: k1.publicKey, revoke: 1 }, k0)],
      ['BAD_FORMAT', framed({ v: 1, seq: 1, key: k1.publicKey, notBefore: 5 }, k0)],
      ['BAD_FORMAT', framed({ v: 1, seq: 1, key: Array.from(k1.publicKey) }, k0)],
      ['BAD_KEY', framed({ v: 1, seq: 1, key: bad64 }, k0)],
      ['BAD_KEY', framed({ v: 1, seq: 1, key: compressed }, k0)],
    ];
    for (const [code, bytes] of cases) rejects(code, () => openKeyRotation(bytes, nodeCrypto, k0.publicKey));
  });

  it('the encoder refuses what the device would refuse', () => {
    expect(() => encodeKeyRotation({ seq: 0, key: k1.publicKey, revoke: false })).toThrow(RangeError);
    expect(() => encodeKeyRotation({ seq: 1, key: k1.publicKey.subarray(1), revoke: false })).toThrow(RangeError);
  });
});

describe('key rotation: the store', () => {
  it('starts on the provisioned key, sequence 0, and says which key is in force', () => {
    const store = boot(hostPlatform(PARTITIONS));
    expect(store.keySeq).toBe(0);
    expect(store.backendKey).toEqual(k0.publicKey);
    const id = Buffer.from(keyFingerprint(nodeCrypto, k0.publicKey).subarray(0, 8)).toString('hex');
    expect(store.status).toMatchObject({ keySeq: 0, keyId: id, revokedKeys: 0 });
  });

  it('refuses a rotation to the key in force, a replay and a key revoked earlier', () => {
    const p = hostPlatform(PARTITIONS);
    const store = boot(p);
    rejects('KEY_UNCHANGED', () => store.rotateKey(rotation(1, k0, k0)));
    expect(store.rotateKey(rotation(3, k1, k0, true))).toBe(3);
    rejects('KEY_ROLLBACK', () => store.rotateKey(rotation(3, k2, k1)));
    rejects('KEY_ROLLBACK', () => store.rotateKey(rotation(2, k2, k1)));
    rejects('KEY_REVOKED', () => store.rotateKey(rotation(4, k0, k1)));
    expect(store.rotateKey(rotation(4, k2, k1))).toBe(4); // k1 not revoked by this one
    expect(store.rotateKey(rotation(5, k1, k2))).toBe(5);
    expect(boot(p).status).toMatchObject({ keySeq: 5, revokedKeys: 1 });
    rejects('KEY_REVOKED', () => boot(p).rotateKey(rotation(6, k0, k1)));
  });

  it('remembers the last 8 revoked keys, across reboots', () => {
    const p = hostPlatform(PARTITIONS);
    let store = boot(p);
    for (let i = 1; i <= 10; i++) {
      expect(store.rotateKey(rotation(i, keys[i], keys[i - 1], true))).toBe(i);
      store = boot(p);
    }
    expect(store.status).toMatchObject({ keySeq: 10, revokedKeys: 8 });
    for (let i = 2; i <= 9; i++) rejects('KEY_REVOKED', () => store.rotateKey(rotation(11, keys[i], keys[10])));
    // The oldest two were forgotten: the bound is a bound.
    expect(store.rotateKey(rotation(11, keys[0], keys[10]))).toBe(11);
  });

  it('a full transfer under way verifies with the key in force at commit', () => {
    const p = hostPlatform(PARTITIONS);
    const store = boot(p);
    applyFull(store, image(1, k0));
    const img = image(2, k1, ['01020304', 'A1A2A3A4']);
    store.beginFull(img.length);
    store.writeChunk(0, img.subarray(0, 100));
    store.rotateKey(rotation(1, k1, k0));
    store.writeChunk(100, img.subarray(100));
    expect(store.commit()).toBe(2);
    // And the other way: begun under k1, signed by k1, committed after k1 → k2: refused.
    const img3 = image(3, k1);
    store.beginFull(img3.length);
    store.writeChunk(0, img3);
    store.rotateKey(rotation(2, k2, k1));
    rejects('BAD_SIGNATURE', () => store.commit());
    expect(boot(p).version).toBe(2);
  });

  it('differentials already applied stay in force after a rotation; new ones verify with the new key only', () => {
    const p = hostPlatform(PARTITIONS);
    const store = boot(p);
    applyFull(store, image(1, k0));
    store.applyDifferential(diff(1, 2, 'A1A2A3A4', k0));
    store.rotateKey(rotation(1, k1, k0));
    rejects('BAD_SIGNATURE', () => store.applyDifferential(diff(2, 3, 'B1B2B3B4', k0)));
    expect(store.applyDifferential(diff(2, 3, 'B1B2B3B4', k1))).toBe(3);
    const again = boot(p);
    expect(again.version).toBe(3);
    expect(again.lookup('A1A2A3A4')).toMatchObject({ sourceVersion: 2 });
    expect(again.lookup('B1B2B3B4')).toMatchObject({ sourceVersion: 3 });
  });
});

describe('key rotation: the selector log', () => {
  it('keeps key and selection through hundreds of interleaved updates and rotations, across block recycling', () => {
    const p = hostPlatform(PARTITIONS);
    let store = boot(p);
    let seq = 0, v = 0, signer = k0;
    for (let i = 0; i < 160; i++) {
      if (i % 3 === 1) {
        const next = keys[(seq + 1) % keys.length];
        store.rotateKey(rotation(++seq, next, signer));
        signer = next;
      } else applyFull(store, image(++v, signer));
      if (i % 7 === 0) store = boot(p);
      expect(store.status).toMatchObject({ version: v, keySeq: seq });
    }
    const after = boot(p);
    expect(after.status).toMatchObject({ version: v, keySeq: seq });
    expect(after.backendKey).toEqual(signer.publicKey);
    // 160 records of up to 256 bytes went through the two 4 KiB blocks several times; each of the
    // 11 blocks opened by one of them also got a progress record (a clear one: no transfer was open).
    expect(new SlotSelector(p.flash('tokens-sel')).selection!.seq).toBe(160 + 11);
  });

  it('reads a log written before rotation existed (one-slot records) and continues it', () => {
    const p = hostPlatform(PARTITIONS);
    const store = boot(p);
    for (let v = 1; v <= 130; v++) applyFull(store, image(v, k0)); // 130 one-slot records: the log wrapped once
    const sel = p.regions.get('tokens-sel')!.raw;
    expect(sel.subarray(0, 4)).toEqual(Uint8Array.of(0x52, 0x4b, 0x54, 0x53)); // RKTS
    const rebooted = boot(p);
    rebooted.rotateKey(rotation(1, k1, k0));
    applyFull(rebooted, image(131, k1));
    expect(boot(p).status).toMatchObject({ version: 131, keySeq: 1 });
  });

  it('a rotation before any list keeps "no list" and the key', () => {
    const p = hostPlatform(PARTITIONS);
    boot(p).rotateKey(rotation(1, k1, k0));
    const store = boot(p);
    expect(store.status).toMatchObject({ version: undefined, keySeq: 1 });
    expect(store.bootError).toBeUndefined();
    rejects('BAD_SIGNATURE', () => applyFull(store, image(1, k0)));
    expect(applyFull(store, image(1, k1))).toBe(1);
  });

  it('a CRC-valid record whose key fields are not what the store writes is not taken', () => {
    const p = hostPlatform(PARTITIONS);
    const store = boot(p);
    applyFull(store, image(1, k0));
    store.rotateKey(rotation(1, k1, k0));
    const raw = p.regions.get('tokens-sel')!.raw;
    // The key record follows the one-slot selection record at 0 and the clear progress record after it
    // (a block opened by a state record); break its key's SEC1 prefix and fix its CRC.
    const at = 64, keyAt = at + 4 + 20; // payload offset 20 lies in the record's first slot
    expect(u32(raw, at)).toBe(0x4b544b52); // RKTK
    expect(raw[keyAt]).toBe(0x04);
    raw[keyAt] = 0x02;
    put32(raw, at + 252, crc32(raw, at, at + 252));
    const after = boot(p);
    expect(after.status).toMatchObject({ version: 1, keySeq: 0 });
    // The same edit with the prefix intact is taken: the CRC above is the real one.
    raw[keyAt] = 0x04;
    put32(raw, at + 252, crc32(raw, at, at + 252));
    expect(boot(p).status).toMatchObject({ version: 1, keySeq: 1 });
  });
});
