// Fake of Moddable's `curve`: named curve parameters; only secp256r1 (P-256) is faked.
export default class Curve {
  readonly orderSize = 32;
  constructor(readonly name: string) {
    if (name !== 'secp256r1') throw new Error(`curve fake: only secp256r1 is faked, not ${name}`);
  }
  dh(): ArrayBuffer {
    throw new Error('curve fake: dh is not faked (roam does not use it)');
  }
}
