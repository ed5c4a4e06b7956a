// Fake of Moddable's `ec` (modules/crypt/arith/ec.js, native in C on a device)
// on @noble/curves: P-256 only. Like the device, k is any BigInt (0 and
// multiples of n give the point at infinity) and results are affine ECPoints.
// The fake is JS BigInt inside XS, far slower than the device's native code.
import { p256 } from '@noble/curves/nist.js';
import ECPoint from './ecp.js';

const C = p256.Point.CURVE();
type NoblePoint = InstanceType<typeof p256.Point>;

function toNoble(P: ECPoint): NoblePoint {
  if (P.z === 0n) return p256.Point.ZERO;
  const q = p256.Point.fromAffine({ x: P.x, y: P.y });
  q.assertValidity();
  return q;
}

function fromNoble(q: NoblePoint): ECPoint {
  if (q.is0()) return new ECPoint(0n, 0n, true);
  const { x, y } = q.toAffine();
  return new ECPoint(x, y);
}

export default class EC {
  constructor(readonly a: bigint, readonly b: bigint, readonly m: bigint) {
    if (m !== C.p || a !== C.a || b !== C.b) throw new Error('ec fake: only P-256 is faked');
  }
  mul(P: ECPoint, k: bigint): ECPoint {
    const e = ((k % C.n) + C.n) % C.n;
    return fromNoble(e === 0n ? p256.Point.ZERO : toNoble(P).multiply(e));
  }
  mul2(P1: ECPoint, k1: bigint, P2: ECPoint, k2: bigint): ECPoint {
    return fromNoble(toNoble(this.mul(P1, k1)).add(toNoble(this.mul(P2, k2))));
  }
  add(P: ECPoint, Q: ECPoint): ECPoint {
    return fromNoble(toNoble(P).add(toNoble(Q)));
  }
}
