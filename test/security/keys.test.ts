// The device private key never leaves the device: not in anything it publishes,
// not in its status, not in logs or error messages, not in the technician
// CLI's output or files other than the NVS image it is provisioned into.
// Each check greps the outputs for the key in every form it could take.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NodeSigner } from '../../host-sim/hal/index.js';
import { main } from '../../host-sim/cli/main.js';
import { readNvs } from '../../host-sim/cli/nvs.js';
import { Rig } from '../charger/rig.js';

/** Every way 32 key bytes could be written out. */
function forms(key: Uint8Array): string[] {
  const b = Buffer.from(key);
  const hex = b.toString('hex');
  return [
    hex, hex.toUpperCase(), b.toString('base64').replace(/=+$/, ''), b.toString('base64url'),
    Array.from(key).join(','), Array.from(key).join(', '), // JSON.stringify(Array.from(key)), inspect of a Uint8Array
    hex.match(/../g)!.join(' '), hex.match(/../g)!.join(':'),
    b.subarray(0, 16).toString('hex'), b.subarray(16).toString('hex'), // half of it is still a leak
  ];
}

function leaks(text: string, key: Uint8Array): string[] {
  const found = forms(key).filter((f) => text.toLowerCase().includes(f.toLowerCase()));
  // Decimal byte lists however they are laid out (inspect pads and wraps them): the digit runs in order.
  const digits = `,${(text.match(/\d+/g) ?? []).join(',')},`;
  if (digits.includes(`,${Array.from(key).join(',')},`)) found.push('decimal bytes');
  return found;
}

/** Bytes as text in the encodings a dump shows (for binary payloads). */
function asText(bytes: Uint8Array): string {
  const b = Buffer.from(bytes);
  return `${b.toString('hex')}\n${b.toString('latin1')}\n${b.toString('base64')}`;
}

async function roam(...args: string[]) {
  const out: string[] = [], err: string[] = [];
  const code = await main(args, (s) => { out.push(s); }, (s) => { err.push(s); });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the device private key never leaves the device', () => {
  it('the grep itself finds a key that is there, in each form (so a clean result means something)', () => {
    const key = new NodeSigner().exportPrivateKey();
    for (const f of forms(key)) expect(leaks(`noise ${f} noise`, key).length).toBeGreaterThan(0);
    expect(leaks(inspect(key), key).length).toBeGreaterThan(0);
    expect(leaks(JSON.stringify(Array.from(key)), key).length).toBeGreaterThan(0);
  });

  it('not in anything the charger publishes, its status, its records, its logs or its printed form', async () => {
    const logged: string[] = [];
    for (const m of ['log', 'info', 'warn', 'error', 'debug'] as const) vi.spyOn(console, m).mockImplementation((...a: unknown[]) => { logged.push(a.map((x) => inspect(x, { depth: 8 })).join(' ')); });
    const wire: string[] = [];
    const r = new Rig();
    const spy = r.bus.connect();
    spy.subscribe('#');
    spy.onMessage = (topic, payload) => wire.push(`${topic} ${asText(payload)}`);
    const key = r.deviceKey.exportPrivateKey();
    // A day's worth of the device's traffic: sessions, upload, acks, status, a reboot, an offline spell.
    for (let i = 0; i < 4; i++) {
      const uid = r.member(i);
      await r.charger.tap(uid, 1);
      r.charger.plugIn(1);
      r.meter.deliver(1, 1000 + i);
      r.platform.clock.advance(10 * 60_000);
      r.charger.unplug(1);
      r.run();
    }
    r.charger.sync.sendStatus();
    r.reboot();
    r.transport.setOnline(false);
    await r.charger.tap(r.member(5), 2);
    r.transport.setOnline(true);
    r.run();
    expect(r.backend.records.report('cp-test-1').verified).toBeGreaterThanOrEqual(4);
    expect(wire.length).toBeGreaterThan(10);
    const outputs: Record<string, string> = {
      wire: wire.join('\n'),
      status: JSON.stringify(r.charger.status()),
      records: r.charger.journal.readFrom(1, Infinity).map((x) => asText(x.bytes)).join('\n') + r.backend.records.records('cp-test-1').map((x) => asText(x.bytes)).join('\n'),
      logs: logged.join('\n'),
      signerPrinted: `${inspect(r.deviceKey, { depth: 8 })} ${JSON.stringify(r.deviceKey)} ${String(r.deviceKey)}`,
      chargerPrinted: inspect(r.charger, { depth: 6 }),
      backendPrinted: inspect(r.backend, { depth: 6 }),
    };
    for (const [what, text] of Object.entries(outputs)) expect(leaks(text, key), what).toEqual([]);
  });

  it('not in error messages when signing or provisioning goes wrong', () => {
    const key = new NodeSigner().exportPrivateKey();
    const bad = key.slice(0, 31);
    const errors: string[] = [];
    try { new NodeSigner(bad); } catch (e) { errors.push(String(e), inspect(e)); }
    const corrupt = key.slice();
    try { new NodeSigner(corrupt.fill(0)); } catch (e) { errors.push(String(e), inspect(e)); } // the zero scalar is not a key
    expect(errors.length).toBeGreaterThan(0);
    expect(leaks(errors.join('\n'), bad)).toEqual([]);
  });

  it('the CLI: provision prints the public key only; inspect of the NVS image or a whole flash dump never shows the private key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roam-keys-'));
    dirs.push(dir);
    const backendKey = Buffer.from(new NodeSigner().publicKey).toString('hex');
    const p = await roam('provision', '--out', dir, '--site', 'SITE-1', '--broker', 'mqtts://broker.example:8883', '--backend-key', backendKey, '--flash', '4MB');
    expect(p.code, p.err).toBe(0);
    const nvs = new Uint8Array(readFileSync(join(dir, 'nvs.bin')));
    const stored = readNvs(nvs).get('roam')!.get('deviceKey') as Uint8Array;
    expect(stored).toBeInstanceOf(Uint8Array);
    expect(stored.length).toBe(32);
    // Other files the provisioning wrote (registration.json, …) carry the public key only.
    const files = readdirSync(dir).filter((f) => f !== 'nvs.bin').map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    expect(files).toContain(Buffer.from(readNvs(nvs).get('roam')!.get('devicePub') as Uint8Array).toString('hex'));
    expect(leaks(`${p.out}\n${p.err}\n${files}`, stored)).toEqual([]);
    const i = await roam('inspect', '--nvs', join(dir, 'nvs.bin'));
    expect(i.code, i.err).toBe(0);
    expect(i.out).toMatch(/deviceKey\s+\(private key, 32 bytes, not shown\)/);
    expect(leaks(`${i.out}\n${i.err}`, stored)).toEqual([]);
    // A whole 4 MB flash dump with the image at the nvs partition.
    const dump = new Uint8Array(4 * 1024 * 1024).fill(0xff);
    dump.set(nvs, 0x9000);
    writeFileSync(join(dir, 'flash.bin'), dump);
    const d = await roam('inspect', '--dump', join(dir, 'flash.bin'), '--flash', '4MB');
    expect(leaks(`${d.out}\n${d.err}`, stored)).toEqual([]);
    // A damaged image: whatever the error says, not the key.
    const damaged = nvs.slice();
    for (let at = 0; at < damaged.length; at += 97) damaged[at] ^= 0x5a;
    writeFileSync(join(dir, 'damaged.bin'), damaged);
    const e = await roam('inspect', '--nvs', join(dir, 'damaged.bin'));
    expect(leaks(`${e.out}\n${e.err}`, stored)).toEqual([]);
  });
});
