// Device checks beside the shared scenarios (test/scenarios): the parts of
// hal/moddable a scenario's Platform does not reach (the device signer, NVS
// settings, the MQTT transport). Each check is written once against hal/
// interfaces and run twice: on Node with an independent implementation, and on
// mcsim with hal/moddable; the runner (test-device.ts) compares the bytes.
// Portable: bundled into the device test app, no Node imports.
import type { Crypto, Signer } from '../../hal/crypto.js';
import type { Settings, SettingValue } from '../../hal/settings.js';
import type { TokenSearch } from '../../hal/token-search.js';
import type { Transport } from '../../hal/transport.js';
import { compareSearches } from '../../test/tokens/search-world.js';
import { concatBytes, encodeCbor, utf8 } from '../../src/codec/index.js';
import { bigintTo32 } from '../../src/crypto/index.js';
import { SCENARIO_KEY } from '../../test/sessions/noble-signer.js';
import { p256 } from '@noble/curves/nist.js';
import { RFC_KEY, RFC_VECTORS } from '../../test/crypto/vectors.js';

/** What a check may use: hal/moddable on the device; Node's or @noble's on the host. */
export interface CheckHal {
  crypto: Crypto;
  signer(privateKey: Uint8Array, publicKey: Uint8Array): Signer;
  settings(domain: string): Settings;
  transport(options: { host: string; port: number; id: string }): Transport;
  setTimeout(callback: () => void, ms: number): void;
  /** The native token search: hal/moddable's C on the device; none on Node. */
  tokenSearch?: TokenSearch;
}

export interface CheckEnv {
  /** The local broker the runner started, and the topic prefix of this run. */
  broker: { host: string; port: number; prefix: string };
}

export interface DeviceCheck {
  name: string;
  /** What runs where, printed by the app beside the result. */
  device: string;
  run(hal: CheckHal, env: CheckEnv): Uint8Array | Promise<Uint8Array>;
}

const fail = (check: string, what: string): never => { throw new Error(`${check}: ${what}`); };
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** RFC 6979 A.2.5 (P-256, SHA-256): r as printed, s low; output r || s per message. */
const rfc6979: DeviceCheck = {
  name: 'rfc6979-vectors',
  device: 'ModdableSigner (src/crypto RFC 6979, k·G by native ec, SHA-256 by crypt); verified by moddableCrypto (ecdsa)',
  run(hal) {
    const publicKey = concatBytes(Uint8Array.of(4), bigintTo32(RFC_KEY.Ux), bigintTo32(RFC_KEY.Uy));
    const signer = hal.signer(bigintTo32(RFC_KEY.x), publicKey);
    const out: Uint8Array[] = [];
    for (const v of RFC_VECTORS) {
      const sig = signer.sign(utf8(v.message));
      const want = concatBytes(bigintTo32(v.r), bigintTo32(v.lowS));
      if (hex(sig) !== hex(want)) fail('rfc6979', `"${v.message}" signed ${hex(sig)}, RFC 6979 A.2.5 gives ${hex(want)}`);
      if (!hal.crypto.verifyP256(publicKey, utf8(v.message), sig)) fail('rfc6979', `"${v.message}": the signature does not verify`);
      out.push(sig);
    }
    return concatBytes(...out);
  },
};

/**
 * The scenario key signs 24 payloads: every signature must equal @noble's
 * (RFC 6979, low-S) byte for byte, so two boots sign one payload alike and no
 * two payloads share r; each verifies; a flipped bit does not.
 */
const deviceSigner: DeviceCheck = {
  name: 'device-signer',
  device: 'ModdableSigner (RFC 6979, native ec k·G); moddableCrypto.verifyP256 (ecdsa) on each',
  run(hal) {
    const signer = hal.signer(SCENARIO_KEY, p256.getPublicKey(SCENARIO_KEY, false));
    const out: Uint8Array[] = [];
    const rs = new Set<string>();
    for (let i = 0; i < 24; i++) {
      const m = utf8(`roam session record ${i}`);
      const sig = signer.sign(m);
      rs.add(hex(sig.subarray(0, 32)));
      const bad = sig.slice();
      bad[40] ^= 1;
      out.push(sig, Uint8Array.of(hal.crypto.verifyP256(signer.publicKey, m, sig) ? 1 : 0, hal.crypto.verifyP256(signer.publicKey, m, bad) ? 1 : 0));
    }
    if (rs.size !== 24) fail('device-signer', `${24 - rs.size} payloads share r`);
    return concatBytes(...out);
  },
};

/** Values of every kind, and a key and a value past the limits every Settings refuses. */
export const SETTINGS_CASES: Array<[string, SettingValue]> = [
  ['flag', true], ['off', false], ['int', 123456], ['neg', -7], ['zero', 0], ['big', 2 ** 40 + 3], ['frac', 1.5],
  ['tiny', -1e-9], ['str', 'US*SEM*C0042'], ['eqstr', '=42'], ['eqeq', '==x'], ['empty', ''], ['utf8', 'Zürich ⚡'],
  ['bytes', Uint8Array.of(0, 1, 2, 0xfe, 0xff)], ['long', 'x'.repeat(3999)],
  ['k123456789abcdef', 1], ['toolong', 'y'.repeat(4001)],
];
// Not here: an empty byte string (the simulator's Preference stores it as "" and
// reads back one 0 byte: modules/files/preference/lin/preference.js splits "" to
// [""]), and a 4,000-byte string (within SETTINGS_VALUE_MAX, so Node's
// FileSettings keeps it, over NVS_STRING_MAX 3,999, so PreferenceSettings refuses it).

const settings: DeviceCheck = {
  name: 'preference-settings',
  device: 'PreferenceSettings (Preference, the simulator\'s NVS stand-in) with roam\'s NVS encoding',
  run(hal) {
    const s = hal.settings('roamdevtest');
    for (const k of s.keys()) s.delete(k);
    const outcome: unknown[] = [];
    for (const [k, v] of SETTINGS_CASES) {
      try { s.set(k, v); outcome.push([k, 'set']); } catch (e) { outcome.push([k, (e as Error).name]); }
    }
    const read = SETTINGS_CASES.map(([k]) => [k, s.get(k) ?? null]);
    s.set('int', 99);
    s.delete('str');
    s.delete('absent');
    const after = [s.get('int') ?? null, s.get('str') ?? null, s.keys().sort()];
    for (const k of s.keys()) s.delete(k);
    return encodeCbor([outcome, read, after, s.keys()]);
  },
};

export const mqttTopics = (prefix: string) => ({ up: `${prefix}/up`, down: `${prefix}/down` });
/** A client id per role, unique per run (the prefix's last level), within MQTT 3.1.1's 23 characters. */
export const clientId = (prefix: string, role: string) => `rdt-${prefix.slice(prefix.lastIndexOf('/') + 1)}-${role}`.slice(0, 23);
/** What the runner's peer answers to each payload on `up`, on `down`. */
export const echo = (p: Uint8Array): Uint8Array => concatBytes(p.slice().reverse(), Uint8Array.of(p.length & 0xff, p.length >> 8));
const pattern = (n: number, a: number) => new Uint8Array(n).map((_, i) => (i * a + 5) & 0xff);

/**
 * Publishes `payloads` on `up` once connected, and returns every echo from
 * `down` (length-prefixed, in order). A publish the transport refuses fails
 * the check, naming the size.
 */
function roundTrip(hal: CheckHal, env: CheckEnv, name: string, payloads: Uint8Array[]): Promise<Uint8Array> {
  const { up, down } = mqttTopics(env.broker.prefix);
  return new Promise<Uint8Array>((resolve, reject) => {
    const got: Uint8Array[] = [];
    let done = false;
    const t = hal.transport({ host: env.broker.host, port: env.broker.port, id: clientId(env.broker.prefix, name === 'mqtt-roundtrip' ? 'dev' : 'dev2') });
    const finish = (e?: Error) => {
      if (done) return;
      done = true;
      t.close();
      if (e) reject(e); else resolve(concatBytes(...got));
    };
    t.onMessage = (topic, payload) => {
      if (topic !== down) return;
      got.push(Uint8Array.of(payload.length & 0xff, payload.length >> 8), payload);
      if (got.length === 2 * payloads.length) finish();
    };
    t.onConnect = () => {
      for (const p of payloads) {
        try { t.publish(up, p); } catch (e) { finish(new Error(`${name}: the transport refused a publish of ${p.length} bytes (${(e as Error).message})`)); return; }
      }
    };
    t.subscribe(down);
    hal.setTimeout(() => finish(new Error(`${name}: ${got.length / 2} of ${payloads.length} echoes within 15 s (broker ${env.broker.host}:${env.broker.port}, connected=${t.connected})`)), 15_000);
  });
}

/** Small payloads: each MQTT packet fits the simulator's 1,024-byte socket write buffer (lin modSocket.c kTxBufferSize). */
export const MQTT_PAYLOADS = [Uint8Array.of(0x42), pattern(300, 7), pattern(900, 31)];

const mqttRoundTrip: DeviceCheck = {
  name: 'mqtt-roundtrip',
  device: 'ModdableMqttTransport (Moddable mqtt over socket) to the local broker; the runner\'s peer echoes',
  run: (hal, env) => roundTrip(hal, env, 'mqtt-roundtrip', MQTT_PAYLOADS),
};

/**
 * One publish the size of roam's largest default record batch, 16 KiB
 * (src/sync/uploader.ts batchBytes), far over the free send buffer of a
 * Moddable socket (ESP32-S3: lwIP TCP_SND_BUF 5,744; lin: 1,024). Moddable's
 * mqtt writes a packet in one socket write, which throws "can't write all
 * data" past that; hal/moddable/paced-socket.ts sends it in pieces.
 */
export const MQTT_BATCH_PAYLOAD = pattern(16 * 1024, 13);

const mqttBatch: DeviceCheck = {
  name: 'mqtt-batch-publish',
  device: 'ModdableMqttTransport publish of a 16 KiB packet (roam\'s default record batch), paced through the socket\'s free send buffer',
  run: (hal, env) => roundTrip(hal, env, 'mqtt-batch-publish', [MQTT_BATCH_PAYLOAD]),
};

/**
 * The native token search (hal/moddable/token-search.c, compiled by mcconfig) against the portable
 * one on 64 images of 4 shapes, intact and damaged (test/tokens/search-world.ts): a disagreement
 * fails the check. Its bytes are the tally, the same on Node, where the portable search answers alone.
 */
const tokenSearch: DeviceCheck = {
  name: 'token-search',
  device: 'hal/moddable/token-search.c (native) against src/tokens/table.ts (portable) on the same images; compiled by crypt SHA-256',
  run(hal) {
    const r = compareSearches(hal.tokenSearch ?? (() => -2), hal.crypto, 0x5eed, 64);
    if (r.failure) fail('token-search', r.failure);
    if (hal.tokenSearch && r.undecided >= r.lookups) fail('token-search', 'the native search decided nothing');
    return utf8(JSON.stringify({ cases: r.cases, opened: r.opened, refused: r.refused, lookups: r.lookups, hits: r.hits }));
  },
};

export const DEVICE_CHECKS: DeviceCheck[] = [rfc6979, deviceSigner, settings, mqttRoundTrip, mqttBatch, tokenSearch];
