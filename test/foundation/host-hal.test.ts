import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FlashError, SETTINGS_VALUE_MAX, SettingsError } from '../../hal/index.js';
import { FileSettings, NodeSigner, PowerCut, PowerSwitch, SeededRandom, SimFlash, SimMeter, SimReader, VirtualClock, nodeCrypto } from '../../host-sim/hal/index.js';

const dir = mkdtempSync(join(tmpdir(), 'roam-hal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SimFlash: NOR semantics', () => {
  it('starts erased, writes clear bits, refuses to set bits without an erase', () => {
    const f = new SimFlash('t', 8192);
    expect([...f.read(0, 4)]).toEqual([0xff, 0xff, 0xff, 0xff]);
    f.write(0, Uint8Array.of(0xf0, 0x0f));
    f.write(0, Uint8Array.of(0x30, 0x0f)); // only clears more bits: allowed
    expect([...f.read(0, 2)]).toEqual([0x30, 0x0f]);
    expect(() => f.write(0, Uint8Array.of(0xff))).toThrow(FlashError);
    expect([...f.read(0, 2)]).toEqual([0x30, 0x0f]); // refused write changed nothing
    f.erase(0);
    f.write(0, Uint8Array.of(0xff, 0x01));
    expect([...f.read(0, 2)]).toEqual([0xff, 0x01]);
  });

  it('erases exactly one block and rejects out-of-range access', () => {
    const f = new SimFlash('t', 8192, { blockSize: 4096 });
    f.write(4095, Uint8Array.of(0, 0));
    f.erase(0);
    expect(f.read(4095, 2)).toEqual(Uint8Array.of(0xff, 0));
    expect(() => f.erase(2)).toThrow(/outside/);
    expect(() => f.read(8190, 4)).toThrow(/outside/);
    expect(() => f.write(-1, Uint8Array.of(0))).toThrow(FlashError);
    expect(() => new SimFlash('bad', 5000)).toThrow(/multiple of the block size/);
  });

  it('map() is a live zero-copy view', () => {
    const f = new SimFlash('t', 4096);
    const view = f.map();
    f.write(10, Uint8Array.of(0x42));
    expect(view[10]).toBe(0x42);
  });

  it('a power cut tears the interrupted write, then refuses all access until restore', () => {
    const power = new PowerSwitch();
    const f = new SimFlash('t', 4096, { power, tornLength: () => 3 });
    f.write(0, Uint8Array.of(1, 2));
    power.cutAtWrite(2);
    f.write(2, Uint8Array.of(3));
    expect(() => f.write(8, new Uint8Array(8))).toThrow(PowerCut);
    expect(() => f.read(0, 1)).toThrow(PowerCut);
    power.restore();
    const after = f.read(8, 8);
    expect([...after.subarray(0, 3)]).toEqual([0, 0, 0]); // the prefix landed
    expect([...after.subarray(4)]).toEqual([0xff, 0xff, 0xff, 0xff]); // the rest did not
    expect(f.read(0, 3)).toEqual(Uint8Array.of(1, 2, 3)); // earlier writes intact
  });

  it('a cut during an erase leaves the block partly erased, from either end', () => {
    for (const tornErase of ['start', 'end'] as const) {
      const power = new PowerSwitch();
      const f = new SimFlash('t', 4096, { power, tornLength: () => 100, tornErase });
      f.write(0, new Uint8Array(4096));
      power.cutAtWrite(1);
      expect(() => f.erase(0)).toThrow(PowerCut);
      power.restore();
      const erased = [...f.read(0, 4096)].flatMap((b, i) => (b === 0xff ? [i] : []));
      expect(erased).toEqual(Array.from({ length: 100 }, (_, i) => (tornErase === 'start' ? i : 3996 + i)));
    }
    // By default both ends occur.
    const seen = new Set<string>();
    const power = new PowerSwitch();
    const f = new SimFlash('t', 4096, { power, tornLength: () => 100 });
    for (let i = 0; i < 20; i++) {
      f.write(0, new Uint8Array(4096));
      power.cutAtWrite(1);
      expect(() => f.erase(0)).toThrow(PowerCut);
      power.restore();
      seen.add(f.read(0, 1)[0] === 0xff ? 'start' : 'end');
      f.erase(0);
    }
    expect([...seen].sort()).toEqual(['end', 'start']);
  });

  it('persists to a file across instances', () => {
    const file = join(dir, 'flash.bin');
    const a = new SimFlash('p', 4096, { file });
    a.write(100, Uint8Array.of(7, 8, 9));
    a.close();
    const b = new SimFlash('p', 4096, { file });
    expect(b.read(100, 3)).toEqual(Uint8Array.of(7, 8, 9));
    b.close();
  });
});

describe('FileSettings: NVS limits, atomic commits', () => {
  it('stores strings, numbers, booleans and bytes, and reloads them', () => {
    const file = join(dir, 'settings.json');
    const s = new FileSettings(file);
    s.set('brokerUrl', 'mqtt://x');
    s.set('maxWh', 5000);
    s.set('offline', true);
    s.set('pubkey', Uint8Array.of(4, 1, 2));
    const t = new FileSettings(file);
    expect(t.get('brokerUrl')).toBe('mqtt://x');
    expect(t.get('maxWh')).toBe(5000);
    expect(t.get('offline')).toBe(true);
    expect(t.get('pubkey')).toEqual(Uint8Array.of(4, 1, 2));
    expect(t.keys().sort()).toEqual(['brokerUrl', 'maxWh', 'offline', 'pubkey']);
  });

  it('refuses long keys and big values, storing nothing', () => {
    const s = new FileSettings();
    s.set('k', 'old');
    expect(() => s.set('a-key-of-16-char', 'v')).toThrow(SettingsError);
    expect(() => s.set('k', 'x'.repeat(SETTINGS_VALUE_MAX + 1))).toThrow(/over 4000/);
    expect(() => s.set('k', new Uint8Array(SETTINGS_VALUE_MAX + 1))).toThrow(SettingsError);
    expect(() => s.set('k', Number.NaN)).toThrow(SettingsError);
    expect(s.get('k')).toBe('old');
    s.set('k', 'é'.repeat(2000)); // exactly 4000 UTF-8 bytes
    expect(() => s.set('k', 'é'.repeat(2001))).toThrow(SettingsError);
  });

  it('a power cut at a commit keeps the previous value', () => {
    const power = new PowerSwitch();
    const s = new FileSettings(undefined, power);
    s.set('v', 1);
    power.cutAtWrite(1);
    expect(() => s.set('v', 2)).toThrow(PowerCut);
    power.restore();
    expect(s.get('v')).toBe(1);
  });
});

describe('VirtualClock', () => {
  it('fires timers in time order only when advanced, repeating ones repeatedly', () => {
    const c = new VirtualClock(Date.UTC(2026, 0, 1), 'U');
    const fired: string[] = [];
    c.setTimer(300, () => fired.push(`b@${c.monotonic()}`));
    const rep = c.setTimer(100, () => fired.push(`r@${c.monotonic()}`), true);
    const gone = c.setTimer(200, () => fired.push('never'));
    c.clearTimer(gone);
    expect(fired).toEqual([]);
    c.advance(350);
    c.clearTimer(rep);
    c.advance(1000);
    // b was scheduled (at 0) before r's third run was (at 200): b runs first.
    expect(fired).toEqual(['r@100', 'r@200', 'b@300', 'r@300']);
    expect(c.wall()).toEqual({ ms: Date.UTC(2026, 0, 1) + 1350, quality: 'U' });
    c.setWall(Date.UTC(2027, 0, 1), 'S');
    expect(c.wall()).toEqual({ ms: Date.UTC(2027, 0, 1), quality: 'S' });
    expect(c.monotonic()).toBe(1350);
  });
});

describe('crypto and random', () => {
  it('SHA-256 matches the FIPS 180-2 vector, incrementally too', () => {
    const abc = new TextEncoder().encode('abc');
    const expected = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(Buffer.from(nodeCrypto.sha256(abc).digest()).toString('hex')).toBe(expected);
    expect(Buffer.from(nodeCrypto.sha256().update(abc.subarray(0, 1)).update(abc.subarray(1)).digest()).toString('hex')).toBe(expected);
  });

  it('P-256 signatures verify with the right key and message only', () => {
    const a = new NodeSigner();
    const b = new NodeSigner(a.exportPrivateKey());
    expect(b.publicKey).toEqual(a.publicKey);
    const msg = new TextEncoder().encode('session 1');
    const sig = a.sign(msg);
    expect(sig.length).toBe(64);
    expect(nodeCrypto.verifyP256(a.publicKey, msg, sig)).toBe(true);
    expect(nodeCrypto.verifyP256(new NodeSigner().publicKey, msg, sig)).toBe(false);
    expect(nodeCrypto.verifyP256(a.publicKey, new TextEncoder().encode('session 2'), sig)).toBe(false);
    expect(nodeCrypto.verifyP256(a.publicKey.subarray(1), msg, sig)).toBe(false);
    expect(JSON.stringify(a)).not.toContain(Buffer.from(a.exportPrivateKey()).toString('base64url'));
  });

  it('SeededRandom repeats per seed and differs across seeds', () => {
    expect(new SeededRandom(7).bytes(16)).toEqual(new SeededRandom(7).bytes(16));
    expect(new SeededRandom(7).bytes(16)).not.toEqual(new SeededRandom(8).bytes(16));
    const r = new SeededRandom(1);
    for (let i = 0; i < 1000; i++) expect(r.below(10)).toBeLessThan(10);
  });
});

describe('simulated reader and meter', () => {
  it('delivers taps and accumulates energy', () => {
    const reader = new SimReader('r1');
    const taps: string[] = [];
    reader.onTap = (t) => taps.push(`${t.reader}:${Buffer.from(t.uid).toString('hex')}`);
    reader.present(Uint8Array.of(0x04, 0xa1));
    expect(taps).toEqual(['r1:04a1']);
    const m = new SimMeter();
    m.deliver(1, 1500);
    m.deliver(1, 250);
    expect(m.readWh(1)).toBe(1750);
    expect(m.readWh(2)).toBe(0);
    expect(() => m.deliver(1, -1)).toThrow(RangeError);
  });
});
