import { Digest } from 'crypt';
import Curve from 'curve';
import EC from 'ec';
import ECDSA from 'ecdsa';
import ECPoint from 'ecp';
import RNG from 'rng';
import { isLowS, P256, signP256, type P256SignerDeps } from '../../src/crypto/index.js';
import type { Crypto, Random, Sha256, Signer } from '../crypto.js';

// P-256 field prime and b: a public key is checked to lie on the curve before
// Moddable's ECDSA (which trusts its input) is given it.
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;

let curve: Curve | undefined;
const p256 = () => (curve ??= new Curve('secp256r1'));

/** An ArrayBuffer holding exactly these bytes (crypt takes buffers, not views). */
export function exactBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes.buffer as ArrayBuffer;
  return bytes.slice().buffer as ArrayBuffer;
}

export function bigintOf(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

class DigestSha256 implements Sha256 {
  private digest_?: Digest = new Digest('SHA256');
  update(data: Uint8Array): Sha256 {
    if (!this.digest_) throw new TypeError('SHA-256 already finished');
    if (data.length) this.digest_.write(exactBuffer(data));
    return this;
  }
  digest(): Uint8Array {
    if (!this.digest_) throw new TypeError('SHA-256 already finished');
    const out = new Uint8Array(this.digest_.close());
    this.digest_ = undefined;
    return out;
  }
}

function onCurve(x: bigint, y: bigint): boolean {
  if (x >= P || y >= P) return false;
  return (y * y - (x * x * x - 3n * x + B)) % P === 0n;
}

/** SHA-256 native (crypt), ECDSA P-256 verify in JS BigInt (Moddable's ecdsa: slow, keep off the tap path). */
export const moddableCrypto: Crypto = {
  sha256(data?: Uint8Array): Sha256 {
    const h = new DigestSha256();
    if (data) h.update(data);
    return h;
  },
  verifyP256(publicKey, message, signature) {
    // Low-S only (hal/crypto.ts): Moddable's ecdsa accepts the high-S twin as well.
    if (publicKey.length !== 65 || publicKey[0] !== 4 || signature.length !== 64 || !isLowS(signature)) return false;
    const x = bigintOf(publicKey.subarray(1, 33));
    const y = bigintOf(publicKey.subarray(33));
    if (!onCurve(x, y)) return false;
    const r = bigintOf(signature.subarray(0, 32));
    const s = bigintOf(signature.subarray(32));
    if (r === 0n || s === 0n) return false;
    const H = new Digest('SHA256').process(exactBuffer(message));
    try {
      return new ECDSA(new ECPoint(x, y), p256(), false).verify(H, exactBuffer(signature));
    } catch {
      return false;
    }
  },
};

// k·G with Moddable's native `ec` (C, Montgomery arithmetic): the one costly
// step of a signature; the rest is native SHA-256 and a few BigInt ops.
let base: { ec: EC; G: ECPoint } | undefined;
const signerDeps: P256SignerDeps = {
  sha256: () => new DigestSha256(),
  mulBaseX(k) {
    base ??= { ec: new EC(P256.a, P256.b, P256.p), G: new ECPoint(P256.Gx, P256.Gy) };
    return base.ec.mul(base.G, k).X;
  },
};

/**
 * The device key, read from NVS at boot. The public key is provisioned with it
 * (deriving it costs a scalar multiplication); the private scalar never
 * leaves this object.
 *
 * Signatures are RFC 6979 deterministic and low-S (src/crypto). Not Moddable's
 * `ecdsa.sign`: its nonce comes from `rng`, RC4 seeded once from 16 bytes of
 * c_rand(), which on the Linux simulator is the same sequence every boot; two
 * signatures of different messages with one nonce give away the private key.
 * No extra entropy is mixed in: `rng` is the only source there is, it cannot
 * be trusted alone, and determinism means a record signed again (after a
 * power cut) gets the same bytes.
 */
export class ModdableSigner implements Signer {
  readonly publicKey: Uint8Array;
  private readonly d: bigint;

  constructor(privateKey: Uint8Array, publicKey: Uint8Array) {
    if (privateKey.length !== 32) throw new TypeError('P-256 private key must be 32 bytes');
    if (publicKey.length !== 65 || publicKey[0] !== 4) throw new TypeError('P-256 public key must be 65 bytes, SEC1 uncompressed');
    const d = bigintOf(privateKey);
    if (d === 0n || d >= P256.n) throw new RangeError('P-256 private key out of range');
    this.publicKey = publicKey.slice();
    this.d = d;
  }

  sign(message: Uint8Array): Uint8Array {
    return signP256(signerDeps, this.d, message);
  }

  toJSON() { return { publicKey: Array.from(this.publicKey) }; }
}

/**
 * Moddable's `rng`: RC4 seeded at first use from 16 bytes of c_rand(), which is
 * esp_random() on an ESP32 (true random once the radio is on) and an unseeded
 * rand() on the Linux simulator. For backoff jitter and ids, never for keys or nonces.
 */
export const moddableRandom: Random = {
  bytes: (n) => new Uint8Array(RNG.get(n)),
};
