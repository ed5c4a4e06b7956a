import { p256 } from '@noble/curves/nist.js';
import { createHash, createHmac, randomBytes, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NodeSigner, nodeCrypto, p256PublicKey } from '../../host-sim/hal/node-crypto.js';
import { bigintTo32, bytesToBigint, hmacSha256, invertMod, isLowS, P256, rfc6979Nonces, signP256, toLowS, type P256SignerDeps } from '../../src/crypto/index.js';
import { nobleSigner, SCENARIO_KEY } from '../sessions/noble-signer.js';
import { hex32, RFC_KEY, RFC_VECTORS } from './vectors.js';

// src/crypto on the host: node:crypto's SHA-256 and @noble/curves' k·G stand
// in for Moddable's Digest and native `ec`.
const newSha256 = () => nodeCrypto.sha256();
const hostDeps = (): P256SignerDeps => ({ sha256: newSha256, mulBaseX: (k) => p256.Point.BASE.multiply(k).toAffine().x });
const utf8 = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const publicKeyOf = (d: bigint) => p256.getPublicKey(bigintTo32(d), false);
const nodeVerifies = (q: Uint8Array, m: Uint8Array, sig: Uint8Array) =>
  verify('sha256', m, { key: p256PublicKey(q), dsaEncoding: 'ieee-p1363' }, sig);

describe('HMAC-SHA256 over the HAL hash', () => {
  it('equals node:crypto for keys shorter than, equal to and longer than the block, and for split input', () => {
    for (const keyLength of [0, 1, 32, 63, 64, 65, 131]) {
      const key = randomBytes(keyLength);
      const a = randomBytes(7);
      const b = randomBytes(100);
      const want = createHmac('sha256', key).update(a).update(b).digest('hex');
      expect(hex(hmacSha256(newSha256, key, a, b))).toBe(want);
      expect(hex(hmacSha256(newSha256, key, Buffer.concat([a, b])))).toBe(want);
    }
  });
});

describe('invertMod (extended Euclid)', () => {
  it('k · k⁻¹ ≡ 1 (mod n), and 0 has no inverse', () => {
    for (let i = 0; i < 100; i++) {
      const k = (bytesToBigint(randomBytes(32)) % (P256.n - 1n)) + 1n;
      expect((k * invertMod(k, P256.n)) % P256.n).toBe(1n);
    }
    expect(invertMod(1n, P256.n)).toBe(1n);
    expect(invertMod(P256.n - 1n, P256.n)).toBe(P256.n - 1n);
    expect(() => invertMod(0n, P256.n)).toThrow(RangeError);
  });
});

describe('RFC 6979 known answers (Appendix A.2.5, P-256 with SHA-256)', () => {
  it('the RFC key pair is a P-256 key pair', () => {
    expect(hex(publicKeyOf(RFC_KEY.x))).toBe(`04${hex32(RFC_KEY.Ux)}${hex32(RFC_KEY.Uy)}`);
  });

  for (const v of RFC_VECTORS) {
    it(`"${v.message}": the nonce k, then r and the low-S s`, () => {
      const m = utf8(v.message);
      const h1 = createHash('sha256').update(m).digest();
      // §3.2 step h.3: "If that value of k is within the [1,q-1] range, and is suitable for
      // DSA or ECDSA (i.e., it results in an r value that is not 0; see Section 3.4), then
      // the generation of k is finished." For these vectors the first candidate is taken.
      expect(hex32(rfc6979Nonces(newSha256, RFC_KEY.x, h1)())).toBe(hex32(v.k));
      const sig = signP256(hostDeps(), RFC_KEY.x, m);
      expect(hex(sig)).toBe(hex32(v.r) + hex32(v.lowS));
      expect(isLowS(sig)).toBe(true);
      // Both twins verify; roam only ever emits the low one.
      const q = publicKeyOf(RFC_KEY.x);
      expect(nodeVerifies(q, m, sig)).toBe(true);
      expect(nodeVerifies(q, m, Buffer.from(hex32(v.r) + hex32(v.s), 'hex'))).toBe(true);
    });
  }

  it('"sample" is the vector whose printed s is high, "test" the one whose s is low', () => {
    expect(RFC_VECTORS.map((v) => v.s === v.lowS)).toEqual([false, true]);
  });
});

describe('deterministic, distinct, verifiable, low-S', () => {
  const d = bytesToBigint(SCENARIO_KEY);
  const q = publicKeyOf(d);

  it('two freshly built signers ("two boots") give identical bytes for the same payload', () => {
    const payload = utf8('roam session record 42');
    expect(hex(signP256(hostDeps(), d, payload))).toBe(hex(signP256(hostDeps(), d, payload)));
  });

  it('200 different payloads: 200 different r, every signature verifies with node:crypto and is low-S', () => {
    const rs = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const m = utf8(`record ${i}`);
      const sig = signP256(hostDeps(), d, m);
      expect(sig.length).toBe(64);
      expect(isLowS(sig)).toBe(true);
      expect(nodeVerifies(q, m, sig)).toBe(true);
      rs.add(hex(sig.subarray(0, 32)));
    }
    expect(rs.size).toBe(200);
  });

  it('agrees with @noble/curves (an independent RFC 6979 + low-S) on random keys and messages', () => {
    for (let i = 0; i < 20; i++) {
      const key = p256.utils.randomSecretKey();
      const m = randomBytes(i * 13);
      expect(hex(signP256(hostDeps(), bytesToBigint(key), m))).toBe(hex(p256.sign(m, key)));
    }
  });

  it('§3.6 extra data k\' changes the nonce, and the same k\' repeats it; still valid and low-S', () => {
    // §3.6: "K = HMAC_K(V || 0x00 || int2octets(x) || bits2octets(h1) || k')".
    const m = utf8('hedged');
    const extra = new Uint8Array(32).fill(7);
    const plain = signP256(hostDeps(), d, m);
    const hedged = signP256(hostDeps(), d, m, extra);
    expect(hex(hedged)).not.toBe(hex(plain));
    expect(hex(signP256(hostDeps(), d, m, extra))).toBe(hex(hedged));
    expect(hex(hedged)).toBe(hex(p256.sign(m, bigintTo32(d), { extraEntropy: extra })));
    expect(nodeVerifies(q, m, hedged) && isLowS(hedged)).toBe(true);
  });

  it('refuses a private key outside [1, n − 1]', () => {
    expect(() => signP256(hostDeps(), 0n, utf8('x'))).toThrow(RangeError);
    expect(() => signP256(hostDeps(), P256.n, utf8('x'))).toThrow(RangeError);
  });

  it('toLowS gives the (r, n − s) twin of a high-S signature and leaves a low one alone', () => {
    const v = RFC_VECTORS[0];
    const high = Buffer.from(hex32(v.r) + hex32(v.s), 'hex');
    expect(isLowS(high)).toBe(false);
    expect(hex(toLowS(high))).toBe(hex32(v.r) + hex32(v.lowS));
    expect(hex(toLowS(toLowS(high)))).toBe(hex(toLowS(high)));
  });
});

describe('the host signers are low-S too', () => {
  it('NodeSigner (the simulator\'s device and backend keys; OpenSSL signs with random nonces)', () => {
    const signer = new NodeSigner();
    for (let i = 0; i < 64; i++) {
      const m = utf8(`m${i}`);
      const sig = signer.sign(m);
      expect(isLowS(sig)).toBe(true);
      expect(nodeCrypto.verifyP256(signer.publicKey, m, sig)).toBe(true);
    }
  });

  it('nobleSigner (the sessions scenario and journal bench key)', () => {
    const signer = nobleSigner(SCENARIO_KEY);
    for (let i = 0; i < 64; i++) expect(isLowS(signer.sign(utf8(`m${i}`)))).toBe(true);
  });
});
