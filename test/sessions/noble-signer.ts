// A pure-JS ES256 device key (@noble/curves): deterministic signatures (RFC 6979),
// so Node and XS produce the same bytes; and on XS it measures what signing in
// JavaScript costs. Test and bench code only: on a device, Moddable's crypt signs.
import { p256 } from '@noble/curves/nist.js';
import type { Signer } from '../../hal/crypto.js';

export function nobleSigner(secretKey: Uint8Array): Signer {
  return {
    publicKey: p256.getPublicKey(secretKey, false),
    sign: (message) => p256.sign(message, secretKey, { prehash: true }), // low-S (noble's default), as the device
  };
}

/** The fixed test key of the shared scenarios and benches. */
export const SCENARIO_KEY = new Uint8Array(32).map((_, i) => (i * 29 + 11) & 0xff);
