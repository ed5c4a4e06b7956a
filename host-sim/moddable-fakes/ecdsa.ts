// Fake of Moddable's `ecdsa` on @noble/curves P-256: sign(H) and verify(H, sig)
// take the message hash H (no hashing inside, as on a device) and raw r || s
// signatures; like the device module, verify does not insist on low-S.
import { p256 } from '@noble/curves/nist.js';
import type Curve from './curve.js';
import { bytesOf } from './device.js';
import ECPoint from './ecp.js';

function be(v: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--) { out[i] = Number(v & 0xffn); v >>= 8n; }
  return out;
}

export default class ECDSA {
  private readonly d?: Uint8Array;
  private readonly q?: Uint8Array;
  constructor(key: bigint | ECPoint, curve: Curve, isPrivate = false) {
    if (curve.name !== 'secp256r1') throw new Error('ecdsa fake: P-256 only');
    if (isPrivate) {
      if (typeof key !== 'bigint') throw new TypeError('ecdsa: a private key is a BigInt');
      this.d = be(key, 32);
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
    if (!this.d) throw new Error('ecdsa: not a private key');
    return p256.sign(bytesOf(H), this.d, { prehash: false }).slice().buffer as ArrayBuffer;
  }
  verify(H: ArrayBuffer, signature: ArrayBuffer): boolean {
    if (!this.q) throw new Error('ecdsa: not a public key');
    return p256.verify(bytesOf(signature), bytesOf(H), this.q, { prehash: false, lowS: false });
  }
}
