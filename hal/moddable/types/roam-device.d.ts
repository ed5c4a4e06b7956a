// What roam needs that the Moddable SDK's own typings ($MODDABLE/typings, 8.2.3)
// do not declare. The manifest (hal/moddable/manifest.json) names this file in
// typescript.tsconfig, so mcconfig's tsc and `npm run typecheck:device` read it
// beside the SDK's xs and global typings: one configuration for both.
// Written from the SDK's sources (modules/crypt, modules/network/mqtt).

// cbor-x's declarations name Node's Buffer, Blob and stream. None exists on a
// device and cbor-x checks for them at run time; these names let its .d.ts load.
type Buffer = Uint8Array;
type Blob = never;
declare module 'stream' {
  export class Transform {}
  export class Readable {}
}

// TextEncoder and TextDecoder are modules on a device; hal/moddable/globals
// installs them as the globals the portable core uses (as on Node and xsnap).
declare var TextEncoder: typeof import('text/encoder').default;
declare var TextDecoder: typeof import('text/decoder').default;
type TextEncoder = import('text/encoder').default;
type TextDecoder = import('text/decoder').default;

declare module 'crypt' {
  // modules/crypt/digest/crypt.js: write every argument, then close.
  interface Digest {
    process(...data: Array<ArrayBuffer | string>): ArrayBuffer;
  }
}

declare module 'ecp' {
  /** modules/crypt/arith/ecp.js: a point, affine coordinates as BigInt. */
  export default class ECPoint {
    constructor(x: bigint, y: bigint, identity?: boolean);
    readonly X: bigint;
    readonly Y: bigint;
  }
}

declare module 'ec' {
  import type ECPoint from 'ecp';
  /** modules/crypt/arith/ec.js: y² = x³ + ax + b over GF(m); mul is native (xs_ec2_mul). */
  export default class EC {
    constructor(a: bigint, b: bigint, m: bigint);
    add(a: ECPoint, b: ECPoint): ECPoint;
    mul(a: ECPoint, k: bigint): ECPoint;
    mul2(a1: ECPoint, k1: bigint, a2: ECPoint, k2: bigint): ECPoint;
  }
}

declare module 'curve' {
  /** modules/crypt/etc/curve.js: named curve parameters ("secp256r1"); ECDSA takes one. */
  export default class Curve {
    constructor(name: 'secp256r1' | 'secp384r1');
    readonly orderSize: number;
    dh(x: ArrayBuffer, P?: ArrayBuffer): ArrayBuffer;
  }
}

declare module 'ecdsa' {
  import type Curve from 'curve';
  import type ECPoint from 'ecp';
  /** modules/crypt/etc/ecdsa.js. key: the private scalar d (sign) or the public point (verify). Signatures are r || s. */
  export default class ECDSA {
    constructor(key: bigint | ECPoint, curve: Curve, isPrivate?: boolean);
    sign(H: ArrayBuffer, asn1?: boolean): ArrayBuffer;
    verify(H: ArrayBuffer, signature: ArrayBuffer, asn1?: boolean): boolean;
  }
}

declare module 'rng' {
  /** modules/crypt/etc/rng.js: RC4 seeded once from c_rand(); not for nonces. */
  const RNG: { get(byteLength: number): ArrayBuffer };
  export default RNG;
}

declare module 'mqtt' {
  /** modules/network/mqtt/mqtt.js: MQTT 3.1.1 client, QoS 0 only. */
  export default class Client {
    constructor(options: {
      host: string;
      port?: number;
      id: string;
      user?: string;
      password?: ArrayBuffer;
      will?: { topic: string; message: string | ArrayBuffer };
      path?: string;
      timeout?: number;
      Socket?: unknown;
      secure?: Record<string, unknown>;
    });
    onReady?: () => void;
    onMessage?: (topic: string, data: ArrayBuffer) => void;
    onClose?: () => void;
    publish(topic: string, message: string | ArrayBuffer): void;
    subscribe(topic: string): void;
    unsubscribe(topic: string): void;
    close(): void;
  }
}
