import { createHash, generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWithModdableFakes } from '../../host-sim/moddable-fakes/bundle.js';
import { runOnModdableXs } from '../../host-sim/moddable-fakes/scenarios.js';
import { p256PublicKey, rawPublicKey } from '../../host-sim/hal/node-crypto.js';
import { runOnNode, scenarioFiles } from '../../host-sim/xs/scenarios.js';
import { XsWorker } from '../../host-sim/xs/worker.js';
import { toHex } from '../../src/codec/index.js';
import { toLowS } from '../../src/crypto/index.js';
import { highS } from '../crypto/vectors.js';

// hal/moddable/ itself (ModdableFlash, moddableCrypto, PreferenceSettings,
// ModdableClock, ModdableSigner, ModdableMqttTransport) inside the XS engine,
// with host-sim/moddable-fakes/ behind the Moddable module names it imports.

describe('shared scenarios: XS on the hal/moddable platform = Node on the host platform', () => {
  const files = scenarioFiles();
  it('finds the scenarios', () => expect(files.length).toBeGreaterThanOrEqual(4));
  for (const file of files) {
    it(basename(file, '.scenario.ts'), async () => {
      const node = await runOnNode(file);
      const xs = await runOnModdableXs(file);
      expect(xs.moddableFlash).toBe(true);
      expect(node.length).toBeGreaterThan(0);
      expect(toHex(xs.output)).toBe(toHex(node));
    });
  }
  it('the token scenario really went through the fake flash (written, and the active slot mapped)', async () => {
    const xs = await runOnModdableXs(files.find((f) => f.includes('tokens-table'))!);
    const by = new Map(xs.regions.map(([n, mapped, written]) => [n, { mapped, written }]));
    expect(by.get('tokens-a')).toEqual({ mapped: true, written: true });
    expect(by.get('tokens-sel')!.written).toBe(true);
  });
});

/** One XS machine with the device code and the fakes; `run(expr)` gives back a JSON value. */
class DeviceXs {
  private constructor(private readonly xs: XsWorker) {}
  static async open(): Promise<DeviceXs> {
    const code = await bundleWithModdableFakes(`
import { device, FakeMapWriteError } from './host-sim/moddable-fakes/device.ts';
import { broker } from './host-sim/moddable-fakes/mqtt.ts';
import { installTextGlobals } from './hal/moddable/globals.ts';
installTextGlobals();
import * as M from './hal/moddable/platform.ts';
import { openMfrc522 } from './hal/moddable/rfid.ts';
import { Mfrc522Sim } from './host-sim/mfrc522/sim.ts';
import { FlashError } from './hal/flash.ts';
import { SettingsError } from './hal/settings.ts';
const g = globalThis as any;
Object.assign(g, { device, broker, M, openMfrc522, Mfrc522Sim, FlashError, SettingsError, FakeMapWriteError });
g.hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
g.unhex = (s: string) => Uint8Array.from(s.match(/../g)!.map((h) => parseInt(h, 16)));
g.attempt = (f: () => unknown) => { try { return { ok: f() }; } catch (e: any) { return { error: e.name, message: e.message }; } };
`);
    const xs = new XsWorker();
    await xs.evaluate(code);
    return new DeviceXs(xs);
  }
  async run(body: string): Promise<any> {
    const r = await this.xs.evaluate(`(() => { const v = (() => { ${body} })(); return new TextEncoder().encode(JSON.stringify(v === undefined ? null : v)).buffer; })()`);
    return JSON.parse(new TextDecoder().decode(r.result));
  }
  close(): void { this.xs.close(); }
}

describe('hal/moddable on the fakes, inside XS', () => {
  let d: DeviceXs;
  beforeAll(async () => { d = await DeviceXs.open(); });
  afterAll(() => d?.close());

  it('ModdableFlash: NOR rule checked before programming, bad ranges refused, state unchanged', async () => {
    const r = await d.run(`
      device.configure({ partitions: { data: 8192 } });
      const f = new M.ModdableFlash('data');
      f.write(10, Uint8Array.of(0xf0, 0x0f));
      const setBits = attempt(() => f.write(10, Uint8Array.of(0xff)));
      const outside = attempt(() => f.read(8190, 4));
      const badErase = attempt(() => f.erase(2));
      const missing = attempt(() => new M.ModdableFlash('nope'));
      const after = hex(f.read(9, 4));
      f.erase(0);
      return { setBits, outside: outside.error, badErase: badErase.error, missing: missing.message, after, erased: hex(f.read(10, 2)), size: [f.byteLength, f.blockSize] };`);
    expect(r.setBits.error).toBe('FlashError');
    expect(r.setBits.message).toMatch(/not erased/);
    expect(r.outside).toBe('FlashError');
    expect(r.badErase).toBe('FlashError');
    expect(r.missing).toMatch(/no data partition/);
    expect(r.after).toBe('fff00fff');
    expect(r.erased).toBe('ffff');
    expect(r.size).toEqual([8192, 4096]);
  });

  it('map() is a live read-only view: it follows writes and erases; a write through it is caught', async () => {
    const r = await d.run(`
      device.configure({ partitions: { data: 8192 } });
      const f = new M.ModdableFlash('data');
      const view = f.map();
      f.write(0, Uint8Array.of(1, 2, 3));
      const seen = hex(view.subarray(0, 3));
      f.erase(0);
      const afterErase = hex(view.subarray(0, 3));
      const clean = attempt(() => device.checkMaps());
      view[5] = 0;
      const dirty = attempt(() => device.checkMaps());
      return { seen, afterErase, clean, dirty, sameView: f.map() === view };`);
    expect(r.seen).toBe('010203');
    expect(r.afterErase).toBe('ffffff');
    expect(r.clean).toEqual({}); // { ok: undefined }: no error
    expect(r.dirty.error).toBe('FakeMapWriteError');
    expect(r.dirty.message).toMatch(/byte 5 was written through Flash.map/);
    expect(r.sameView).toBe(true);
  });

  it('PreferenceSettings: NVS types and limits, bad input refused with nothing stored', async () => {
    const r = await d.run(`
      const s = new M.PreferenceSettings('roam');
      s.set('deviceId', 'roam-1'); s.set('n', 42); s.set('big', 2 ** 40); s.set('f', 1.5); s.set('eq', '=x'); s.set('on', true);
      s.set('blob', Uint8Array.of(1, 2, 3));
      const longKey = attempt(() => s.set('a-key-of-16-char', 'x'));
      const longText = attempt(() => s.set('text', 'x'.repeat(4000)));
      const nul = attempt(() => s.set('text', 'a\\0b'));
      const ns = attempt(() => new M.PreferenceSettings('a-namespace-of-16'));
      s.set('gone', 'x'); s.delete('gone');
      const raw = { big: device.nvs.get('roam').get('big'), eq: device.nvs.get('roam').get('eq'), n: device.nvs.get('roam').get('n') };
      return { values: ['deviceId', 'n', 'big', 'f', 'eq', 'on'].map((k) => s.get(k)), blob: hex(s.get('blob')), longKey: longKey.error, longText: longText.error, nul: nul.error,
        ns: ns.error, text: s.get('text') ?? null, keys: s.keys().sort(), raw };`);
    expect(r.values).toEqual(['roam-1', 42, 2 ** 40, 1.5, '=x', true]);
    expect(r.blob).toBe('010203');
    expect([r.longKey, r.longText, r.nul, r.ns]).toEqual(['SettingsError', 'SettingsError', 'SettingsError', 'SettingsError']);
    expect(r.text).toBeNull();
    expect(r.keys).toEqual(['big', 'blob', 'deviceId', 'eq', 'f', 'n', 'on']);
    expect(r.raw).toEqual({ big: `=${2 ** 40}`, eq: '==x', n: 42 });
  });

  it('ModdableClock: monotonic across the 32-bit tick wrap, quality U until set, timers from the event loop', async () => {
    const r = await d.run(`
      device.configure({ tickBase: 0xffffffff - 500 });
      device.now = 0; device.timers = [];
      const c = new M.ModdableClock();
      const q0 = c.wall().quality;
      const fired = [];
      c.setTimer(300, () => fired.push(['once', c.monotonic()]));
      const rep = c.setTimer(400, () => fired.push(['rep', c.monotonic()]), true);
      const cleared = c.setTimer(100, () => fired.push(['cleared', c.monotonic()]));
      c.clearTimer(cleared);
      device.advance(1000);
      c.clearTimer(rep);
      device.advance(1000);
      const ticks = device.ticks;
      c.setWall(Date.UTC(2026, 5, 1), 'S');
      return { q0, mono: c.monotonic(), fired, ticks, wall: c.wall() };`);
    expect(r.q0).toBe('U');
    expect(r.ticks).toBeLessThan(2000); // the counter wrapped…
    expect(r.mono).toBe(2000); // …and monotonic time did not
    expect(r.fired).toEqual([['once', 300], ['rep', 400], ['rep', 800]]);
    expect(r.wall).toEqual({ ms: Date.UTC(2026, 5, 1), quality: 'S' });
  });

  it('ModdableSigner and moddableCrypto agree with node:crypto (independent P-256)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const d32 = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url').toString('hex');
    const q = Buffer.from(rawPublicKey(publicKey)).toString('hex');
    const msg = Buffer.from('roam session record 42');
    // node:crypto's signature in both forms: low-S verifies, its high-S twin is refused (hal/crypto.ts).
    const raw = new Uint8Array(nodeSign('sha256', msg, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
    const nodeSig = Buffer.from(toLowS(raw)).toString('hex');
    const highSig = Buffer.from(highS(toLowS(raw))).toString('hex');
    const r = await d.run(`
      const signer = new M.ModdableSigner(unhex('${d32}'), unhex('${q}'));
      const m = new TextEncoder().encode('roam session record 42');
      const sig = signer.sign(m);
      const bad = unhex('${nodeSig}'); bad[10] ^= 1;
      const offCurve = unhex('${q}'); offCurve[64] ^= 1;
      return { sig: hex(sig), verifiesNode: M.moddableCrypto.verifyP256(unhex('${q}'), m, unhex('${nodeSig}')), tampered: M.moddableCrypto.verifyP256(unhex('${q}'), m, bad),
        offCurve: M.moddableCrypto.verifyP256(offCurve, m, unhex('${nodeSig}')), sha: hex(M.moddableCrypto.sha256(m).digest()), json: JSON.stringify(signer),
        highS: M.moddableCrypto.verifyP256(unhex('${q}'), m, unhex('${highSig}')) };`);
    expect(nodeVerify('sha256', msg, { key: p256PublicKey(Buffer.from(q, 'hex')), dsaEncoding: 'ieee-p1363' }, Buffer.from(r.sig, 'hex'))).toBe(true);
    expect(r.verifiesNode).toBe(true);
    expect(nodeVerify('sha256', msg, { key: p256PublicKey(Buffer.from(q, 'hex')), dsaEncoding: 'ieee-p1363' }, Buffer.from(highSig, 'hex'))).toBe(true); // ECDSA takes both
    expect(r.highS).toBe(false); // roam takes one
    expect(r.tampered).toBe(false);
    expect(r.offCurve).toBe(false);
    expect(r.sha).toBe(createHash('sha256').update(msg).digest('hex'));
    expect(r.json).not.toContain(d32.slice(0, 16));
  });

  it('ModdableMqttTransport: connects, re-subscribes after a drop, backs off 1 s, 2 s, 4 s while the broker is down', async () => {
    const r = await d.run(`
      device.now = 0; device.timers = [];
      broker.start();
      const log = [];
      const t = new M.ModdableMqttTransport({ host: 'broker', id: 'dev1', backoff: 1000, maxBackoff: 4000 });
      t.onConnect = () => log.push(['up', device.now]);
      t.onDisconnect = () => log.push(['down', device.now]);
      t.onMessage = (topic, p) => log.push(['msg', topic, hex(p)]);
      t.subscribe('roam/dev1/#');
      device.advance(10);
      broker.deliver('roam/dev1/ack', Uint8Array.of(7));
      broker.deliver('roam/other/ack', Uint8Array.of(8));
      t.publish('roam/dev1/records', Uint8Array.of(1, 2));
      device.advance(100);
      broker.stop();
      t.publish('roam/dev1/records', Uint8Array.of(3));
      device.advance(5000);
      broker.start();
      device.advance(5000);
      broker.deliver('roam/dev1/list', Uint8Array.of(9));
      t.close();
      device.advance(60000);
      return { log, connects: broker.connects, published: broker.published.map((p) => [p.topic, hex(p.payload)]), connected: t.connected };`);
    expect(r.log).toEqual([
      ['up', 0], ['msg', 'roam/dev1/ack', '07'], ['down', 110],
      // retries at 110+1000 (down), +2000 (down), +4000 = 7110 (up again, after start at 5110)
      ['up', 7110], ['msg', 'roam/dev1/list', '09'],
    ]);
    expect(r.connects).toBe(2);
    expect(r.published).toEqual([['roam/dev1/records', '0102']]); // QoS 0: nothing queued while down
    expect(r.connected).toBe(false);
  });

  it('openMfrc522 (rfid.ts): ECMA-419 SPI and chip select on the fake board, polled by Timer: one tap per card', async () => {
    const r = await d.run(`
      device.now = 0; device.timers = [];
      const sim = new Mfrc522Sim();
      device.spi = sim; device.pins.set(5, sim.select); device.pins.set(22, sim.reset);
      const reader = openMfrc522({ spi: { clock: 18, out: 23, in: 19 }, select: 5, reset: 22, pollMs: 100 }, 'gate');
      const taps = [];
      reader.onTap = (t) => taps.push([t.reader, hex(t.uid), device.now]);
      sim.present({ uid: unhex('04a2b3c4d5e680') });
      device.advance(1000);
      sim.remove();
      device.advance(300);
      sim.present({ uid: unhex('11223344') });
      device.advance(250);
      reader.close();
      const timersLeft = device.timers.length;
      device.spi = undefined; device.pins.clear();
      return { taps, timersLeft };`);
    expect(r.taps).toEqual([['gate', '04a2b3c4d5e680', 100], ['gate', '11223344', 1400]]);
    expect(r.timersLeft).toBe(0);
  });
});
