// Fake of Moddable's `ecp` (modules/crypt/arith/ecp.js): a point with BigInt
// fields x, y and z (0n for the point at infinity, else 1n), which the native
// `ec` reads, and the X / Y accessors roam uses.
export default class ECPoint {
  x: bigint;
  y: bigint;
  z: bigint;
  constructor(x: bigint, y: bigint, identity = false) {
    this.x = x;
    this.y = y;
    this.z = identity ? 0n : 1n;
  }
  get X(): bigint { return this.x; }
  get Y(): bigint { return this.y; }
  isZero(): boolean { return this.z === 0n; }
}
