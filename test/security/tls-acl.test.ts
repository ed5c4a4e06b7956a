// MQTT over TLS against Debian's mosquitto: certificates made at test time with
// openssl, client certificates as per-device credentials (CN = username), and
// an ACL that confines each device to its own roam/v1 topics. "Not delivered"
// is shown without waiting on a clock: the same client publishes a marker on a
// topic it may use right after, and mosquitto delivers one client's messages
// in order, so once the marker has arrived the refused message never will.
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttTransport, NodeSigner, nodeCrypto } from '../../host-sim/hal/index.js';
import { BackendPeer, SiteList } from '../../host-sim/backend/index.js';
import type { Mosquitto } from '../../host-sim/broker/mosquitto.js';
import { makeTestPki, startSecureMosquitto, tlsOptions, aclFile, type TestPki } from '../../host-sim/security/index.js';
import { DeviceLink, encodeMessage, topicOf, anyDeviceFilter, decodeMessage } from '../../src/sync/index.js';
import { signedRecords, until } from './helpers.js';

const A = 'US*SEM*C0001';
const B = 'US*SEM*C0002';
const keyA = new NodeSigner(new Uint8Array(32).fill(0x41));
const keyB = new NodeSigner(new Uint8Array(32).fill(0x42));
const backendKey = new NodeSigner(new Uint8Array(32).fill(0x43));

let pki: TestPki;
let broker: Mosquitto;
let peer: BackendPeer;
let backendT: MqttTransport;
const seen: Array<{ topic: string; payload: Uint8Array }> = [];
const clients: Array<{ close(): void }> = [];

function connectRaw(options: mqtt.IClientOptions): Promise<{ client: MqttClient; connected: boolean; error?: string }> {
  return new Promise((resolve) => {
    const client = mqtt.connect(broker.url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    clients.push({ close: () => client.end(true) });
    client.once('connect', () => resolve({ client, connected: true }));
    client.once('error', (e) => resolve({ client, connected: false, error: e.message }));
    client.once('close', () => resolve({ client, connected: false, error: 'closed' }));
  });
}

async function device(id: string): Promise<{ t: MqttTransport; link: DeviceLink; got: string[] }> {
  const t = new MqttTransport(broker.url, tlsOptions(pki, pki.devices.get(id)!));
  clients.push(t);
  const link = new DeviceLink(t, id);
  const got: string[] = [];
  link.on('recordAck', (m) => got.push(`ack ${m.seq}`));
  link.on('listChunk', (m) => got.push(`chunk ${m.off}`));
  await until(() => t.connected, `${id} to connect over TLS`);
  return { t, link, got };
}

beforeAll(async () => {
  pki = makeTestPki([A, B]);
  broker = await startSecureMosquitto(pki);
  backendT = new MqttTransport(broker.url, tlsOptions(pki, pki.backend));
  clients.push(backendT);
  const site = new SiteList(backendKey, nodeCrypto, () => Date.UTC(2026, 0, 1));
  peer = new BackendPeer({ transport: backendT, crypto: nodeCrypto, site });
  peer.registerDevice(A, keyA.publicKey);
  peer.registerDevice(B, keyB.publicKey);
  const route = backendT.onMessage!;
  backendT.onMessage = (topic, payload) => { seen.push({ topic, payload }); route(topic, payload); };
  await until(() => backendT.connected, 'the backend to connect over TLS');
});

afterAll(async () => {
  for (const c of clients) c.close();
  await broker?.close();
  pki?.close();
});

describe('MQTT over TLS with per-device certificates and a topic ACL (mosquitto)', () => {
  it('generates an ACL that confines every device to its own topics, by direction', () => {
    const acl = aclFile('backend');
    expect(acl).toContain('pattern write roam/v1/%u/rec/batch');
    expect(acl).toContain('pattern read roam/v1/%u/rec/ack');
    expect(acl).toContain('user backend\ntopic readwrite roam/v1/#');
    expect(acl).not.toMatch(/pattern (read|write|readwrite) roam\/v1\/\+|pattern \S+ #/);
  });

  it('device A publishes its records under its own id: the backend stores them and A gets the ack', async () => {
    const a = await device(A);
    const recs = signedRecords(A, keyA, 3);
    expect(a.link.send('recordBatch', { first: 1, recs: recs.map((r) => r.bytes) })).toBe(true);
    await until(() => a.got.includes('ack 3'), 'the backend acknowledgement to reach A');
    const rep = peer.records.report(A);
    expect(rep).toMatchObject({ stored: 3, verified: 3, problems: [] });
  });

  it('device A cannot publish records or status as device B: the broker drops them', async () => {
    const a = await device(A);
    const forged = signedRecords(B, keyA, 1); // even signed: it never gets that far
    const before = peer.records.report(B).stored;
    a.t.publish(topicOf(B, 'recordBatch'), encodeMessage('recordBatch', { first: 1, recs: forged.map((r) => r.bytes) }));
    a.t.publish(topicOf(B, 'status'), encodeMessage('status', { list: 0, depth: 0, acked: 0, lastSync: 0, time: 'S', listBusy: false }));
    a.t.publish(topicOf(B, 'listStatus'), encodeMessage('listStatus', { ver: 99 }));
    // Marker: A's own status, allowed; once it is in, A's earlier messages have all been decided.
    a.t.publish(topicOf(A, 'status'), encodeMessage('status', { list: 1234, depth: 0, acked: 0, lastSync: 0, time: 'S', listBusy: false }));
    await until(() => peer.statuses.get(A)?.list === 1234, "A's marker status");
    expect(seen.filter((m) => m.topic.startsWith(`roam/v1/${B}/`))).toEqual([]);
    expect(peer.records.report(B).stored).toBe(before);
    expect(peer.statuses.has(B)).toBe(false);
    expect(peer.listVersions.get(B)).toBeUndefined();
  });

  it("device A cannot read device B's downstream messages, nor forge the backend's answers to itself", async () => {
    const a = await device(A);
    const b = await device(B);
    const spy = await connectRaw(tlsOptions(pki, pki.devices.get(A)!));
    expect(spy.connected).toBe(true);
    const spied: string[] = [];
    spy.client.on('message', (topic) => spied.push(topic));
    // mosquitto 2.0 grants the SUBACK and applies the ACL to each delivery: what matters is what arrives.
    await spy.client.subscribeAsync([`roam/v1/${B}/#`, 'roam/v1/+/rec/ack', 'roam/v1/#', `roam/v1/${A}/rec/ack`], { qos: 0 });
    backendT.publish(topicOf(B, 'listChunk'), encodeMessage('listChunk', { ver: 1, off: 0, data: new Uint8Array(8) }));
    await until(() => b.got.includes('chunk 0'), 'B to receive its own chunk');
    // A forges an ack to itself: its own downstream topic is read-only for it.
    a.t.publish(topicOf(A, 'recordAck'), encodeMessage('recordAck', { seq: 999 }));
    a.t.publish(topicOf(A, 'status'), encodeMessage('status', { list: 4321, depth: 0, acked: 0, lastSync: 0, time: 'S', listBusy: false }));
    await until(() => peer.statuses.get(A)?.list === 4321, "A's marker status");
    backendT.publish(topicOf(A, 'recordAck'), encodeMessage('recordAck', { seq: 3 }));
    await until(() => spied.length > 0 && a.got.includes('ack 3'), 'the backend ack to A');
    // A's own ack arrives (once per matching subscription); B's chunk and A's forged ack never do.
    expect(new Set(spied)).toEqual(new Set([`roam/v1/${A}/rec/ack`]));
    expect(a.got).not.toContain('ack 999');
  });

  it('a client without a certificate, or with one from another CA, cannot connect', async () => {
    const none = await connectRaw(tlsOptions(pki));
    expect(none.connected).toBe(false);
    const rogue = await connectRaw(tlsOptions(pki, pki.rogue));
    expect(rogue.connected).toBe(false);
    const plain = await new Promise<boolean>((resolve) => {
      const c = mqtt.connect(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0, connectTimeout: 3000 });
      clients.push({ close: () => c.end(true) });
      c.once('connect', () => resolve(true));
      c.once('error', () => resolve(false));
      c.once('close', () => resolve(false));
    });
    expect(plain).toBe(false);
    // The same device key material with the right CA still works: the refusals are about the certificates.
    const good = await connectRaw(tlsOptions(pki, pki.devices.get(B)!));
    expect(good.connected).toBe(true);
  });

  it('the device refuses a broker whose certificate its CA did not sign', async () => {
    const other = makeTestPki(['x']);
    try {
      const r = await connectRaw({ ca: other.ca, cert: pki.devices.get(A)!.cert, key: pki.devices.get(A)!.key, rejectUnauthorized: true });
      expect(r.connected).toBe(false);
      expect(r.error).toMatch(/certificate|self.signed|verify/i);
    } finally {
      other.close();
    }
  });

  it('the backend peer independently rejects a record whose signature is not the registered key', async () => {
    const a = await device(A);
    const impostor = new NodeSigner(new Uint8Array(32).fill(0x66));
    // Records 4 and 5 of A: the chain continues from A's real record 3, only the key is wrong.
    const real = signedRecords(A, keyA, 5);
    const fake = signedRecords(A, impostor, 5);
    a.link.send('recordBatch', { first: 4, recs: [fake[3].bytes, real[4].bytes] });
    await until(() => peer.records.report(A).stored === 5, 'records 4 and 5 at the backend');
    const stored = peer.records.records(A);
    expect(stored.find((r) => r.seq === 4)?.problem?.kind).toBe('bad-signature');
    expect(stored.find((r) => r.seq === 4)?.verified).toBeUndefined();
    expect(stored.find((r) => r.seq === 5)?.problem).toBeUndefined();
    // The upstream message itself was well formed: the refusal is the record store's, not the decoder's.
    const batch = seen.filter((m) => m.topic === topicOf(A, 'recordBatch')).at(-1)!;
    expect(decodeMessage('recordBatch', batch.payload).first).toBe(4);
    expect(anyDeviceFilter('recordBatch')).toBe('roam/v1/+/rec/batch');
  });
});
