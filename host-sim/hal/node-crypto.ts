import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import type { Crypto, Random, Sha256, Signer } from '../../hal/crypto.js';
import { isLowS, toLowS } from '../../src/crypto/index.js';

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');

/** SEC1 uncompressed P-256 point → a node KeyObject; throws on anything else. */
export function p256PublicKey(raw: Uint8Array): KeyObject {
  if (raw.length !== 65 || raw[0] !== 4) throw new TypeError('P-256 public key must be 65 bytes, SEC1 uncompressed');
  return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64u(raw.subarray(1, 33)), y: b64u(raw.subarray(33)) }, format: 'jwk' });
}

export function rawPublicKey(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  return new Uint8Array(Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]));
}

export const nodeCrypto: Crypto = {
  sha256(data?: Uint8Array): Sha256 {
    const h = createHash('sha256');
    const api: Sha256 = {
      update(chunk) { h.update(chunk); return api; },
      digest() { return new Uint8Array(h.digest()); },
    };
    if (data) h.update(data);
    return api;
  },
  verifyP256(publicKey, message, signature) {
    // Low-S only (hal/crypto.ts): node:crypto accepts the high-S twin as well.
    if (signature.length !== 64 || !isLowS(signature)) return false;
    try {
      return verify('sha256', message, { key: p256PublicKey(publicKey), dsaEncoding: 'ieee-p1363' }, signature);
    } catch {
      return false;
    }
  },
};

/** A P-256 key held by the host: the device's identity in the simulator, or the backend's. */
export class NodeSigner implements Signer {
  readonly publicKey: Uint8Array;
  private readonly key: KeyObject;

  /** `privateKey`: the 32-byte scalar d; a fresh key when absent. */
  constructor(privateKey?: Uint8Array) {
    if (privateKey) {
      if (privateKey.length !== 32) throw new TypeError('P-256 private key must be 32 bytes');
      // Derive the public point by importing d as PKCS#8 with no public part.
      const der = Buffer.concat([Buffer.from('3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420', 'hex'), privateKey]);
      this.key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    } else {
      this.key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    }
    this.publicKey = rawPublicKey(createPublicKey(this.key));
  }

  /** Low-S, like the device: OpenSSL's random-nonce signature has s > n/2 half the time. */
  sign(message: Uint8Array): Uint8Array {
    return toLowS(new Uint8Array(sign('sha256', message, { key: this.key, dsaEncoding: 'ieee-p1363' })));
  }

  /** Only for provisioning tools that must write the key to the device's NVS image. */
  exportPrivateKey(): Uint8Array {
    return new Uint8Array(Buffer.from(this.key.export({ format: 'jwk' }).d!, 'base64url'));
  }

  // Keep the private key out of logs and inspect output.
  toJSON() { return { publicKey: b64u(this.publicKey) }; }
  [Symbol.for('nodejs.util.inspect.custom')]() { return `NodeSigner { publicKey: ${b64u(this.publicKey)} }`; }
}

export const nodeRandom: Random = { bytes: (n) => new Uint8Array(randomBytes(n)) };
