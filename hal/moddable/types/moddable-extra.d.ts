// Declarations for Moddable SDK modules that @moddable/typings 5.6 does not
// type, written from the SDK's documentation (documentation/crypt/crypt.md,
// documentation/network/network.md) and the modules' public signatures.

declare module 'crypt' {
  /** Incremental hash: write() any number of times, then close() once. */
  export class Digest {
    constructor(algorithm: 'MD5' | 'SHA1' | 'SHA224' | 'SHA256' | 'SHA384' | 'SHA512');
    write(data: ArrayBuffer | string): void;
    close(): ArrayBuffer;
    reset(): void;
    process(...data: Array<ArrayBuffer | string>): ArrayBuffer;
  }
}

declare module 'ecp' {
  /** A point on a curve, coordinates as BigInt. */
  export default class ECPoint {
    constructor(x: bigint, y: bigint);
    readonly X: bigint;
    readonly Y: bigint;
  }
}

declare module 'curve' {
  /** Named curve parameters ("secp256r1"); ECDSA takes one. */
  export default class Curve {
    constructor(name: 'secp256r1' | 'secp384r1');
    readonly orderSize: number;
    dh(x: ArrayBuffer, P?: ArrayBuffer): ArrayBuffer;
  }
}

declare module 'ecdsa' {
  import type Curve from 'curve';
  import type ECPoint from 'ecp';
  /** key: the private scalar d (sign) or the public point (verify). Signatures are r || s. */
  export default class ECDSA {
    constructor(key: bigint | ECPoint, curve: Curve, isPrivate?: boolean);
    sign(H: ArrayBuffer, asn1?: boolean): ArrayBuffer;
    verify(H: ArrayBuffer, signature: ArrayBuffer, asn1?: boolean): boolean;
  }
}

declare module 'rng' {
  const RNG: { get(byteLength: number): ArrayBuffer };
  export default RNG;
}

declare module 'securesocket' {
  const SecureSocket: unknown;
  export default SecureSocket;
}
