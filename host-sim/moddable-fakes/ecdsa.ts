// Fake of Moddable's `ecdsa` (modules/crypt/etc/ecdsa.js): sign(H) and
// verify(H, sig) take the message hash H (no hashing inside, as on a device)
// and raw r || s signatures. sign() draws its nonce as the device module does,
// from `rng` (ECDSA.randint: 32 bytes, halved until below n), so a repeating
// rng repeats k and r here too; no low-S. verify is @noble/curves, which like
// the device module does not insist on low-S. roam signs with src/crypto, not this.
import { p256 } from '@noble/curves/nist.js';
import type Curve from './curve.js';
import { bytesOf } from './device.js';
import ECPoint from './ecp.js';
import RNG from './rng.js';

const N = p256.Point.CURVE().n;

function be(v: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--) { out[i] = Number(v & 0xffn); v >>= 8n; }
  return out;
}

function int(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function inverse(a: bigint): bigint {
  // Fermat: a^(n-2) mod n; fine for a fake.
  let r = 1n, b = a % N, e = N - 2n;
  while (e > 0n) { if (e & 1n) r = (r * b) % N; b = (b * b) % N; e >>= 1n; }
  return r;
}

export default class ECDSA {
  private readonly d?: bigint;
  private readonly q?: Uint8Array;
  constructor(key: bigint | ECPoint, curve: Curve, isPrivate = false) {
    if (curve.name !== 'secp256r1') throw new Error('ecdsa fake: P-256 only');
    if (isPrivate) {
      if (typeof key !== 'bigint') throw new TypeError('ecdsa: a private key is a BigInt');
      this.d = key;
    } else {
      if (!(key instanceof ECPoint)) throw new TypeError('ecdsa: a public key is an ECPoint');
      const q = new Uint8Array(65);
      q[0] = 4;
      q.set(be(key.X, 32), 1);
      q.set(be(key.Y, 32), 33);
      this.q = q;
    }
  }
  sign(H: ArrayBuffer): ArrayBuffer {
    if (this.d === undefined) throw new Error('ecdsa: not a private key');
    const e = int(bytesOf(H));
    for (;;) {
      let k = int(new Uint8Array(RNG.get(32)));
      while (k >= N) k >>= 1n;
      if (k === 0n) continue;
      const r = p256.Point.BASE.multiply(k).toAffine().x;
      const s = (((e + this.d * r) % N) * inverse(k)) % N;
      if (s === 0n) continue;
      const out = new Uint8Array(64);
      out.set(be(r, 32), 0);
      out.set(be(s, 32), 32);
      return out.buffer;
    }
  }
  verify(H: ArrayBuffer, signature: ArrayBuffer): boolean {
    if (!this.q) throw new Error('ecdsa: not a public key');
    return p256.verify(bytesOf(signature), bytesOf(H), this.q, { prehash: false, lowS: false });
  }
}
