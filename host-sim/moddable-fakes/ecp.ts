// Fake of Moddable's `ecp`: a point with BigInt coordinates X, Y.
export default class ECPoint {
  constructor(readonly X: bigint, readonly Y: bigint) {}
}
