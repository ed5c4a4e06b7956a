import { BackendPeer, generateOcpiTokens, SiteList } from '../../host-sim/backend/index.js';
import { hostPlatform, MqttTransport, NodeSigner, nodeCrypto, SeededRandom } from '../../host-sim/hal/index.js';
import { Journal, type SessionFacts } from '../../src/sessions/index.js';
import { SyncClient } from '../../src/sync/index.js';
import { FakeListStore } from './fakes.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A session's facts, varied by n. */
export function facts(n: number, wallMs: number): SessionFacts {
  const start = Math.floor(wallMs / 1000);
  return {
    evseId: 'US*SEM*E100*1', uid: (0x04a2b3c4d5e600 + (n % 200)).toString(16).toUpperCase().padStart(14, '0'),
    method: n % 3 === 0 ? 'AUTH_REQUEST' : 'WHITELIST', offline: n % 2 === 0,
    start: { seconds: start, quality: 'S' }, stop: { seconds: start + 3600, quality: 'S' },
    meterStartWh: n * 10_000, meterStopWh: n * 10_000 + 7_000 + (n % 500), stopReason: 'Local',
  };
}

/** A device with a real signed journal on simulated flash and the sync client over MQTT.js. */
export function mqttDevice(url: string, deviceId: string, seed = 1) {
  const platform = hostPlatform({ journal: 512 * 1024 }, seed);
  const signer = new NodeSigner();
  const journal = new Journal(platform.flash('journal'), { crypto: nodeCrypto, deviceId, signer });
  journal.recover();
  const lists = new FakeListStore();
  const transport = new MqttTransport(url, { clientId: `roam-test-${deviceId}-${seed}` });
  const sync = new SyncClient({
    deviceId, transport, clock: platform.clock, random: new SeededRandom(seed), journal, lists,
    uploadBackoff: { baseMs: 2000, maxMs: 8000 }, listBackoff: { baseMs: 2000, maxMs: 8000 }, listWindow: 4,
  });
  const append = (count: number) => {
    for (let i = 0; i < count; i++) journal.append(facts(journal.lastSeq + 1, platform.clock.wall().ms));
    journal.signPending();
    sync.recordAppended();
  };
  return { platform, signer, journal, lists, transport, sync, append, close: () => { sync.stop(); transport.close(); } };
}

export function mqttBackend(url: string, tokensPerPartner = 2000) {
  const transport = new MqttTransport(url, { clientId: `roam-test-backend-${Math.random().toString(16).slice(2)}` });
  const site = new SiteList(new NodeSigner(), nodeCrypto, () => Date.UTC(2026, 0, 1));
  site.publish([
    { countryCode: 'US', partyId: 'BLK', allowedUsesTable: true, tokens: generateOcpiTokens({ countryCode: 'US', partyId: 'BLK', count: tokensPerPartner, seed: 11 }) },
    { countryCode: 'US', partyId: 'SEM', allowedUsesTable: false, tokens: generateOcpiTokens({ countryCode: 'US', partyId: 'SEM', count: tokensPerPartner, seed: 12 }) },
  ]);
  const peer = new BackendPeer({ transport, crypto: nodeCrypto, site, chunkBytes: 1024 });
  return { transport, site, peer, close: () => transport.close() };
}

/**
 * Waits (real time) for `done`, moving the devices' virtual clocks one second
 * per 20 ms so that their retransmission timers fire. Throws on timeout.
 */
export async function until(done: () => boolean, advance: () => void, what: string, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
    advance();
  }
}
