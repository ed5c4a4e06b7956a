import type { IClientOptions } from 'mqtt';
import type { Identity, TestPki } from './pki.js';

/** MQTT.js options for a client presenting `who`'s certificate and trusting only the test CA. */
export function tlsOptions(pki: TestPki, who?: Identity, extra: IClientOptions = {}): IClientOptions {
  return {
    ca: pki.ca,
    ...(who ? { cert: who.cert, key: who.key } : {}),
    rejectUnauthorized: true,
    protocolVersion: 4,
    ...extra,
  };
}
