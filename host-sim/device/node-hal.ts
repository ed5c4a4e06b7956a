import { p256 } from '@noble/curves/nist.js';
import { FileSettings, MqttTransport, nodeCrypto } from '../hal/index.js';
import type { CheckHal } from './checks.js';

/** The device checks' reference run on Node: implementations independent of hal/moddable. */
export const nodeHal: CheckHal = {
  crypto: nodeCrypto,
  // @noble/curves: an RFC 6979, low-S signer written independently of src/crypto.
  signer: (d, q) => ({ publicKey: q, sign: (m) => p256.sign(m, d, { prehash: true }) }),
  settings: () => new FileSettings(),
  transport: (o) => new MqttTransport(`mqtt://${o.host}:${o.port}`, { clientId: o.id.replace(/-dev(2?)$/, '-node$1') }),
  setTimeout: (callback, ms) => { setTimeout(callback, ms).unref(); },
};
