import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWithModdableFakes } from '../../host-sim/moddable-fakes/bundle.js';
import { XsWorker } from '../../host-sim/xs/worker.js';
import { BAD_BROKERS, GOOD_BROKERS } from './broker-urls.js';

// The device's Roam class (hal/moddable/roam.ts) inside XS on the Moddable
// fakes: provisioning read from NVS, partitions opened by name, the core
// booted, a card presented to the MFRC522 reaching a decision; every failure
// closes what was opened and throws one RoamError.
describe('Roam on the Moddable fakes, inside XS', () => {
  let xs: XsWorker;
  const run = async (body: string) => {
    const r = await xs.evaluate(`(() => { const v = (() => { ${body} })(); return new TextEncoder().encode(JSON.stringify(v ?? null)).buffer; })()`);
    return JSON.parse(new TextDecoder().decode(r.result));
  };

  beforeAll(async () => {
    xs = new XsWorker();
    await xs.evaluate(await bundleWithModdableFakes(`
import { device } from './host-sim/moddable-fakes/device.ts';
import { broker } from './host-sim/moddable-fakes/mqtt.ts';
import { installTextGlobals } from './hal/moddable/globals.ts';
installTextGlobals();
import { PreferenceSettings } from './hal/moddable/settings.ts';
import { SettingKeys } from './hal/moddable/settings-keys.ts';
import { Roam, brokerOf } from './hal/moddable/roam.ts';
import { roamRegionNames } from './hal/moddable/regions.ts';
import { Mfrc522Sim } from './host-sim/mfrc522/sim.ts';
import { p256 } from '@noble/curves/nist.js';
import { Mfrc522, Mfrc522Reader } from './hal/moddable/mfrc522.ts';
import { PulseMeter } from './hal/moddable/meter.ts';
import { Charger, Emitter, Roam as RoamCore } from './src/charger/index.ts';
// On a device the prototypes of preloaded modules are frozen: assigning over one of their methods throws there.
for (const C of [Mfrc522, Mfrc522Reader, PulseMeter, Charger, Emitter, RoamCore, Roam]) Object.freeze(C.prototype);
const g = globalThis as any;
Object.assign(g, { device, broker, PreferenceSettings, SettingKeys, Roam, brokerOf, roamRegionNames, Mfrc522Sim, p256 });
g.unhex = (s: string) => Uint8Array.from(s.match(/../g)!.map((h) => parseInt(h, 16)));
`));
  });
  afterAll(() => xs?.close());

  it('refuses a device not yet provisioned with one RoamError, after closing the reader and meter inputs it opened', async () => {
    const r = await run(`
      device.configure({ partitions: Object.fromEntries(roamRegionNames().map((n) => [n, 64 * 1024])) });
      device.now = 0; device.timers = [];
      const sim = new Mfrc522Sim();
      device.spi = sim; device.pins.set(5, sim.select); device.pins.set(22, sim.reset);
      let out;
      try { new Roam({ chip: 'esp32', rfid: { spi: { clock: 18, out: 23, in: 19 }, select: 5, reset: 22 }, connectors: [{ evse: 'E1', meterPin: 4 }] }); out = 'started'; }
      catch (e) { out = e.name + ' ' + e.code + ': ' + e.message; }
      const frames = sim.frames.length;
      device.advance(1000); // a reader left polling would put frames on air
      const after = sim.frames.length;
      device.spi = undefined; device.pins.clear();
      return { out, polled: after - frames, timers: device.timers.length, open: [...device.inUse] };`);
    expect(r.out).toBe('RoamError not-provisioned: not provisioned: run `roam provision` and flash its NVS image');
    expect(r.polled).toBe(0);
    expect(r.timers).toBe(0);
    expect(r.open).toEqual([]); // SPI, chip select, reset and the S0 input: all closed
  });

  it('a reader that does not answer: one RoamError (hardware), nothing left open or running', async () => {
    const r = await run(`
      device.configure({ partitions: Object.fromEntries(roamRegionNames().map((n) => [n, 64 * 1024])) });
      device.now = 0; device.timers = [];
      const sim = new Mfrc522Sim({ absent: true });
      device.spi = sim; device.pins.set(5, sim.select); device.pins.set(22, sim.reset);
      let out;
      try { new Roam({ chip: 'esp32', rfid: { spi: { clock: 18, out: 23, in: 19 }, select: 5, reset: 22 }, connectors: [{ evse: 'E1', meterPin: 4 }] }); out = 'started'; }
      catch (e) { out = e.name + ' ' + e.code + ': ' + e.message; }
      // The same pins open again: the failed attempt closed them.
      let reopened;
      try { new Roam({ chip: 'esp32', rfid: { spi: { clock: 18, out: 23, in: 19 }, select: 5, reset: 22 }, connectors: [{ evse: 'E1', meterPin: 4 }] }); }
      catch (e) { reopened = e.message; }
      device.spi = undefined; device.pins.clear();
      return { out, reopened, timers: device.timers.length, open: [...device.inUse] };`);
    expect(r.out).toMatch(/^RoamError hardware: opening the hardware failed: MFRC522: no answer on SPI/);
    expect(r.reopened).toMatch(/no answer on SPI/); // not "in use"
    expect(r.timers).toBe(0);
    expect(r.open).toEqual([]);
  });

  it('refuses a pin the chip lacks at boot, naming it, before it reads NVS or opens any IO', async () => {
    const r = await run(`
      device.configure({ partitions: Object.fromEntries(roamRegionNames().map((n) => [n, 64 * 1024])) });
      const attempt = (config) => { try { new Roam(config); return 'started'; } catch (e) { return e.name + ': ' + e.message; } };
      const rfid = { spi: { clock: 12, out: 11, in: 13 }, select: 10, reset: 22, connector: 1 };
      return {
        s3: attempt({ chip: 'esp32s3', rfid, connectors: [{ evse: 'E1', meterPin: 4 }] }),
        noChip: attempt({ rfid, connectors: [{ evse: 'E1', meterPin: 4 }] }),
        meter: attempt({ chip: 'esp32', connectors: [{ evse: 'E1', meterPin: 37 }, { evse: 'E2', meterPin: 24 }] }),
        typo: attempt({ chip: 'esp32', rfid: { ...rfid, pollMS: 50 }, connectors: [{ evse: 'E1', meterPin: 4 }] }),
        ipk: attempt({ chip: 'esp32', impulsesPerKWh: 0, connectors: [{ evse: 'E1', meterPin: 4 }] }),
      };`);
    expect(r.s3).toBe('RoamError: config.roam.rfid.reset: GPIO 22 does not exist on the esp32s3');
    expect(r.noChip).toBe('RoamError: config.roam.chip: "esp32" or "esp32s3", got undefined');
    expect(r.meter).toBe('RoamError: config.roam.connectors[1].meterPin: GPIO 24 does not exist on the esp32');
    expect(r.typo).toBe('RoamError: config.roam.rfid.pollMS: not a setting roam knows (spi, select, reset, pollMs, connector)');
    expect(r.ipk).toBe('RoamError: config.roam.impulsesPerKWh: an integer in 1..100000, got 0');
  });

  it('boots the Charger from NVS and partitions, and decides a tap from the reader', async () => {
    const r = await run(`
      const g = globalThis;
      device.configure({ partitions: Object.fromEntries(roamRegionNames().map((n) => [n, 64 * 1024])) });
      device.now = 0; device.timers = [];
      const s = new PreferenceSettings('roam');
      const d = new Uint8Array(32).fill(7);
      s.set(SettingKeys.deviceId, 'dev-1');
      s.set(SettingKeys.broker, 'mqtt://broker.local:1883');
      s.set(SettingKeys.backendKey, p256.getPublicKey(new Uint8Array(32).fill(9), false));
      s.set(SettingKeys.deviceKey, d);
      s.set(SettingKeys.devicePub, p256.getPublicKey(d, false));
      const sim = new Mfrc522Sim();
      device.spi = sim; device.pins.set(5, sim.select); device.pins.set(22, sim.reset);
      const decisions = (g.decisions = []);
      const lines = [];
      const roam = new Roam({
        chip: 'esp32',
        rfid: { spi: { clock: 18, out: 23, in: 19 }, select: 5, reset: 22, pollMs: 100, connector: 1 },
        connectors: [{ evse: 'US*ROA*E1*1' }],
        meter: { readWh: () => 0 },
      }, { onDecision: (x) => decisions.push([x.accept, x.status, x.offline]), onLinkUp: () => lines.push('link up') });
      lines.push('boot: list v' + roam.boot.listVersion + ', ' + roam.boot.powerLossRecords.length + ' closed by power loss');
      device.advance(1000);
      const subscribed = broker.clients.size;
      sim.present({ uid: unhex('04a2b3c4d5e680') });
      device.advance(10_000);
      const status = roam.status();
      roam.close();
      let closed;
      try { roam.status(); } catch (e) { closed = e.code; }
      device.spi = undefined; device.pins.clear();
      return { lines, decisions, closed, open: [...device.inUse], subscribed, deviceId: status.deviceId, journal: status.journal.status, published: broker.published.map((p) => p.topic).filter((t) => t.includes('auth/req')) };`);
    expect(r.lines).toEqual(['boot: list v0, 0 closed by power loss', 'link up']);
    expect(r.closed).toBe('closed');
    expect(r.open).toEqual([]);
    expect(r.deviceId).toBe('dev-1');
    expect(r.subscribed).toBe(1);
    expect(r.journal).toBe('ok');
    // No list, no backend answer: the unknown card is asked about in real time, then refused offline.
    expect(r.published).toEqual(['roam/v1/dev-1/auth/req']);
    // onDecision is told from the timeout's timer itself, not from a promise job.
    expect(r.decisions).toEqual([[false, 'Unknown', true]]);
  });

  it('parses the broker setting by the rule roam provision checks: the same table as on Node', async () => {
    const urls = [...GOOD_BROKERS, ...BAD_BROKERS].map(([url]) => url);
    const r = await run(`return ${JSON.stringify(urls)}.map((url) => { try { return brokerOf(url); } catch (e) { return e.name + ': ' + e.message; } });`);
    expect(r).toEqual([...GOOD_BROKERS.map(([, broker]) => broker), ...BAD_BROKERS.map(([, message]) => `BrokerUrlError: ${message}`)]);
  });

  it('refuses a provisioned broker it cannot use with one RoamError naming the NVS key, nothing left open', async () => {
    const r = await run(`
      device.configure({ partitions: Object.fromEntries(roamRegionNames().map((n) => [n, 64 * 1024])) });
      device.now = 0; device.timers = [];
      const s = new PreferenceSettings('roam');
      const d = new Uint8Array(32).fill(7);
      s.set(SettingKeys.deviceId, 'dev-1');
      s.set(SettingKeys.backendKey, p256.getPublicKey(new Uint8Array(32).fill(9), false));
      s.set(SettingKeys.deviceKey, d);
      s.set(SettingKeys.devicePub, p256.getPublicKey(d, false));
      const out = ['mqtt://broker.local:0', 'mqtt://user@broker.local', 'mqtts://broker.local'].map((url) => {
        s.set(SettingKeys.broker, url);
        try { new Roam({ chip: 'esp32', connectors: [{ evse: 'E1' }], meter: { readWh: () => 0 } }).close(); return 'started'; }
        catch (e) { return e.name + ' ' + e.code + ': ' + e.message; }
      });
      return { out, open: [...device.inUse], clients: broker.clients.size };`);
    expect(r.out).toEqual([
      'RoamError bad-config: NVS broker: port must be 1..65535, got 0',
      'RoamError bad-config: NVS broker: must be mqtt://host[:port] or mqtts://host[:port] (no user, path or query), got "mqtt://user@broker.local"',
      'RoamError bad-config: NVS broker is mqtts://broker.local: it needs options.tls (SecureSocket)',
    ]);
    expect(r.open).toEqual([]);
    expect(r.clients).toBe(0);
  });
});
