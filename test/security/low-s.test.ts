import { verify as nodeVerify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordStore } from '../../host-sim/backend/record-store.js';
import { NodeSigner, nodeCrypto, p256PublicKey, SimFlash } from '../../host-sim/hal/index.js';
import { bigintTo32, bytesToBigint, isLowS, P256 } from '../../src/crypto/index.js';
import {
  decodeCoseSign1, encodeCoseSign1, exportOcmf, Journal, RecordError, toBeSigned, verifyOcmf, verifyRecord, type SessionFacts,
} from '../../src/sessions/index.js';
import { derFromRaw, rawFromDer } from '../../src/sessions/ocmf.js';
import { openDiff } from '../../src/tokens/diff.js';
import { compileDiff, compileTable, encodeKeyRotation, signDiff, signKeyRotation, signTable, TokenStore, TokenUpdateError } from '../../src/tokens/index.js';
import { openKeyRotation } from '../../src/tokens/key-rotation.js';
import { highS } from '../crypto/vectors.js';

// Issue 14, item 4: canonical signatures. ECDSA verifies (r, s) and its twin
// (r, n − s) alike, and neither COSE ES256 (RFC 9053 §2.1: "the signature is
// … the concatenation of r and s") nor OCMF picks one, so without a rule of its
// own roam would accept two byte strings for every signed thing. Its rule: every
// signer writes low-S (s ≤ ⌊n/2⌋), and every HAL Crypto.verifyP256 refuses the
// high-S twin — one place per platform (node-crypto.ts, hal/moddable/crypto.ts;
// the XS bridge asks the host's), src/crypto isLowS the one test.

const device = new NodeSigner(new Uint8Array(32).fill(0x21));
const backend = new NodeSigner(new Uint8Array(32).fill(0x31));
const DEVICE = 'dev-lows';
const HALF_N = P256.n >> 1n;

/** ECDSA as such (node:crypto, IEEE P1363 r || s): takes either twin. */
const ecdsaVerifies = (key: Uint8Array, m: Uint8Array, sig: Uint8Array) => nodeVerify('sha256', m, { key: p256PublicKey(key), dsaEncoding: 'ieee-p1363' }, sig);
const withS = (s: bigint) => { const sig = new Uint8Array(64).fill(0x55); sig.set(bigintTo32(s), 32); return sig; };

function facts(i: number): SessionFacts {
  const t = 1_767_225_600 + 3600 * i;
  return {
    evseId: 'US*SEM*E1*1', uid: '04A2B3C4D5E680', method: 'WHITELIST', offline: true,
    start: { seconds: t, quality: 'S' }, stop: { seconds: t + 1800, quality: 'S' },
    meterStartWh: 1000 * i, meterStopWh: 1000 * i + 700, stopReason: 'Local',
  };
}

/** n signed records of DEVICE, as the journal uploads them. */
function records(n: number): Uint8Array[] {
  const j = new Journal(new SimFlash('journal', 16 * 1024), { crypto: nodeCrypto, deviceId: DEVICE, signer: device });
  j.recover();
  for (let i = 1; i <= n; i++) j.append(facts(i));
  j.signPending();
  return j.readFrom(1, Infinity).map((r) => r.bytes);
}

/** The same COSE_Sign1 with the high-S twin of its signature. */
function highCopy(cose: Uint8Array): Uint8Array {
  const c = decodeCoseSign1(cose);
  return encodeCoseSign1(c.protectedBytes, c.payload, highS(c.signature));
}

describe('isLowS: s in [1, ⌊n/2⌋], byte by byte', () => {
  it('at the edges and for any s, as the BigInt comparison says', () => {
    expect([0n, 1n, HALF_N - 1n, HALF_N, HALF_N + 1n, P256.n - 1n, P256.n, (1n << 256n) - 1n].map((s) => isLowS(withS(s))))
      .toEqual([false, true, true, true, false, false, false, false]);
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (b) => {
      const s = bytesToBigint(b);
      expect(isLowS(withS(s))).toBe(s >= 1n && s <= HALF_N);
    }), { numRuns: 2000 });
    expect(isLowS(new Uint8Array(63))).toBe(false);
  });
});

describe('verifiers accept only low-S', () => {
  it('the HAL verifier (node-crypto.ts): a signature and its high-S twin, both valid ECDSA; only the low one passes', () => {
    for (let i = 0; i < 40; i++) {
      const m = new TextEncoder().encode(`message ${i}`);
      const sig = device.sign(m);
      expect(isLowS(sig)).toBe(true); // NodeSigner writes low-S
      expect(ecdsaVerifies(device.publicKey, m, sig) && ecdsaVerifies(device.publicKey, m, highS(sig))).toBe(true);
      expect(nodeCrypto.verifyP256(device.publicKey, m, sig)).toBe(true);
      expect(nodeCrypto.verifyP256(device.publicKey, m, highS(sig))).toBe(false);
    }
  });

  it('a record (COSE_Sign1 ES256): the high-S copy is bad-signature', () => {
    const [cose] = records(1);
    expect(verifyRecord(cose, device.publicKey, nodeCrypto, DEVICE).record.seq).toBe(1);
    const high = highCopy(cose);
    expect(() => verifyRecord(high, device.publicKey, nodeCrypto, DEVICE)).toThrow(RecordError);
    expect(() => verifyRecord(high, device.publicKey, nodeCrypto, DEVICE)).toThrow(/does not verify/);
  });

  it('an OCMF string: the high-S DER signature does not verify', () => {
    const j = new Journal(new SimFlash('journal', 16 * 1024), { crypto: nodeCrypto, deviceId: DEVICE, signer: device });
    j.recover();
    j.append(facts(1));
    j.signPending();
    const rec = verifyRecord(j.readFrom(1, 1e6)[0].bytes, device.publicKey, nodeCrypto).record;
    const ocmf = exportOcmf(rec, device, { gatewayId: 'G', gatewaySerial: 'S', gatewayVersion: '1' });
    expect(verifyOcmf(ocmf, device.publicKey, nodeCrypto).PG).toBe('T1');
    const sd = JSON.parse(ocmf.slice(ocmf.lastIndexOf('|') + 1)).SD as string;
    const twin = Buffer.from(derFromRaw(highS(rawFromDer(new Uint8Array(Buffer.from(sd, 'hex')))))).toString('hex').toUpperCase();
    expect(() => verifyOcmf(ocmf.replace(sd, twin), device.publicKey, nodeCrypto)).toThrow(/does not verify/);
  });

  it('a differential, a key rotation and a token image signed by the backend: refused in their high-S form', () => {
    const token = (uid: string) => ({ country_code: 'US', party_id: 'BLK', uid, type: 'RFID', contract_id: `C-${uid}`, valid: true, whitelist: 'ALWAYS', last_updated: '2026-01-01T00:00:00Z' });
    const twin = (signed: Uint8Array) => { const out = signed.slice(); out.set(highS(signed.subarray(signed.length - 64)), signed.length - 64); return out; };
    const diff = signDiff(compileDiff({ from: 1, to: 2, createdAt: 0, add: [token('11223344')] }).diff, backend);
    expect(openDiff(diff, nodeCrypto, backend.publicKey).to).toBe(2);
    expect(() => openDiff(twin(diff), nodeCrypto, backend.publicKey)).toThrow(TokenUpdateError);
    const next = new NodeSigner(new Uint8Array(32).fill(0x41));
    const rotation = signKeyRotation(encodeKeyRotation({ seq: 1, key: next.publicKey, revoke: false }), backend);
    expect(openKeyRotation(rotation, nodeCrypto, backend.publicKey).seq).toBe(1);
    expect(() => openKeyRotation(twin(rotation), nodeCrypto, backend.publicKey)).toThrow(/signature/);
    const image = signTable(compileTable({ listVersion: 3, createdAt: 0, partners: [{ countryCode: 'US', partyId: 'BLK', allowedUsesTable: true, tokens: [token('11223344')] }] }, nodeCrypto).image, backend);
    const regions = new Map<string, SimFlash>();
    const flash = (name: string) => { let r = regions.get(name); if (!r) regions.set(name, (r = new SimFlash(name, name === 'tokens-sel' ? 8192 : 65536))); return r; };
    const store = new TokenStore({ platform: { flash, crypto: nodeCrypto }, backendKey: backend.publicKey, slots: ['tokens-a', 'tokens-b'], selector: 'tokens-sel', overlay: 'tokens-ovl' });
    store.beginFull(image.length);
    store.writeChunk(0, twin(image));
    expect(() => store.commit()).toThrow(/signature/);
    expect(store.version ?? 0).toBe(0);
    store.beginFull(image.length);
    store.writeChunk(0, image);
    store.commit();
    expect(store.version).toBe(3);
  });
});

describe('the backend record store: one stored record per seq, whatever copies follow', () => {
  const store = () => {
    const s = new RecordStore(nodeCrypto);
    s.registerDevice(DEVICE, device.publicKey);
    return s;
  };

  it('a high-S copy of an authentic record arriving after it: reported as bad-copy; the stored record and its verified state untouched', () => {
    const recs = records(3);
    const s = store();
    s.storeBatch(DEVICE, 1, recs);
    expect(s.report(DEVICE)).toMatchObject({ stored: 3, verified: 3, duplicatesIgnored: 0, problems: [] });
    s.storeBatch(DEVICE, 2, [highCopy(recs[1])]);
    const r = s.report(DEVICE);
    expect(r).toMatchObject({ stored: 3, verified: 3, gaps: [] }); // was: seq 2 marked conflict, verified 2
    expect(r.problems).toEqual([{ seq: 2, kind: 'bad-copy', detail: expect.stringMatching(/stored payload and a signature that does not verify.*the stored record is kept/) }]);
    const kept = s.records(DEVICE)[1];
    expect(Buffer.from(kept.bytes).equals(Buffer.from(recs[1]))).toBe(true);
    expect(kept.problem).toBeUndefined();
    expect(kept.verified?.record.seq).toBe(2);
  });

  it('the same payload under another valid (low-S) signature is a duplicate: counted, not a conflict', () => {
    const [cose] = records(1);
    const c = decodeCoseSign1(cose);
    // NodeSigner's nonces are random: signing again gives another valid low-S signature.
    const other = encodeCoseSign1(c.protectedBytes, c.payload, device.sign(toBeSigned(c.protectedBytes, c.payload)));
    expect(Buffer.from(other).equals(Buffer.from(cose))).toBe(false);
    expect(Buffer.from(verifyRecord(other, device.publicKey, nodeCrypto).payload).equals(Buffer.from(c.payload))).toBe(true);
    const s = store();
    s.storeBatch(DEVICE, 1, [cose]);
    s.storeBatch(DEVICE, 1, [other]);
    s.storeBatch(DEVICE, 1, [cose]);
    expect(s.report(DEVICE)).toMatchObject({ stored: 1, verified: 1, duplicatesIgnored: 2, problems: [] });
  });

  it('a different payload for a stored seq is a conflict, signed or not; the stored record keeps its bytes and its verified state', () => {
    const recs = records(2);
    const j = new Journal(new SimFlash('journal', 16 * 1024), { crypto: nodeCrypto, deviceId: DEVICE, signer: device });
    j.recover();
    j.append({ ...facts(1), meterStopWh: 999_999 }); // another seq 1, validly signed by the device key
    j.signPending();
    const signedOther = j.readFrom(1, 1e6)[0].bytes;
    const c = decodeCoseSign1(recs[0]);
    const unsignedOther = encodeCoseSign1(c.protectedBytes, decodeCoseSign1(signedOther).payload, c.signature);
    const s = store();
    s.storeBatch(DEVICE, 1, recs);
    s.storeBatch(DEVICE, 1, [signedOther, recs[1]]);
    s.storeBatch(DEVICE, 1, [unsignedOther]);
    const r = s.report(DEVICE);
    expect(r).toMatchObject({ stored: 2, verified: 2, duplicatesIgnored: 1, gaps: [] });
    expect(r.problems.map((p) => [p.seq, p.kind])).toEqual([[1, 'conflict'], [1, 'conflict']]);
    expect(r.problems[0].detail).toMatch(/different payload, validly signed; the stored record is kept/);
    expect(Buffer.from(s.records(DEVICE)[0].bytes).equals(Buffer.from(recs[0]))).toBe(true);
    expect(s.records(DEVICE)[0].problem).toBeUndefined();
  });

  it('a stored copy that never verified gives way to the authentic record', () => {
    const recs = records(2);
    const mangled = recs[0].slice();
    mangled[mangled.length - 1] ^= 1; // the signature's last byte
    const s = store();
    s.storeBatch(DEVICE, 1, [mangled, recs[1]]);
    expect(s.report(DEVICE)).toMatchObject({ stored: 2, verified: 1 });
    s.storeBatch(DEVICE, 1, [recs[0]]);
    expect(s.report(DEVICE)).toMatchObject({ stored: 2, verified: 2, problems: [] });
  });
});
