import { p256 } from '@noble/curves/nist.js';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { main } from '../../host-sim/cli/main.js';

async function roam(...args: string[]) {
  const out: string[] = [], err: string[] = [];
  const code = await main(args, (s) => { out.push(s); }, (s) => { err.push(s); });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

// An NVS reader written from ESP-IDF's format description, independent of the
// CLI's: pages, entry-state bitmap, item CRCs, strings and v2 blob chunks.
function decodeNvs(image: Uint8Array) {
  const c = (b: Uint8Array) => crc32(b, 0xffffffff) >>> 0;
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const namespaces = new Map<number, string>();
  const items: Array<{ ns: number; type: number; key: string; chunk: number; data: Uint8Array; body: Uint8Array }> = [];
  for (let page = 0; page < image.length; page += 4096) {
    const state = dv.getUint32(page, true);
    if (state === 0xffffffff) continue;
    expect([0xfffffffe, 0xfffffffc]).toContain(state);
    expect(image[page + 8]).toBe(0xfe);
    expect(dv.getUint32(page + 28, true)).toBe(c(image.subarray(page + 4, page + 28)));
    for (let i = 0; i < 126;) {
      const state2 = (image[page + 32 + Math.floor(i / 4)] >> (2 * (i % 4))) & 3;
      if (state2 !== 0b10) { i++; continue; }
      const at = page + 64 + 32 * i;
      const e = image.subarray(at, at + 32);
      const span = e[2];
      expect(dv.getUint32(at + 4, true)).toBe(c(Uint8Array.from([...e.subarray(0, 4), ...e.subarray(8, 32)])));
      const key = Buffer.from(e.subarray(8, 24)).toString('latin1').split('\0')[0];
      const body = image.subarray(at + 32, at + 32 * span);
      if (e[0] === 0) namespaces.set(e[24], key);
      else items.push({ ns: e[0], type: e[1], key, chunk: e[3], data: e.subarray(24), body });
      i += span;
    }
  }
  const values = new Map<string, Map<string, unknown>>();
  for (const it of items) {
    const ns = namespaces.get(it.ns)!;
    if (!values.has(ns)) values.set(ns, new Map());
    const d = new DataView(it.data.buffer, it.data.byteOffset, 8);
    let v: unknown;
    if (it.type === 0x01) v = it.data[0];
    else if (it.type === 0x14) v = d.getInt32(0, true);
    else if (it.type === 0x21 || it.type === 0x42) {
      const size = d.getUint16(0, true);
      const bytes = it.body.subarray(0, size);
      expect(d.getUint32(4, true)).toBe(c(bytes));
      if (it.type === 0x21) { expect(bytes[size - 1]).toBe(0); v = Buffer.from(bytes.subarray(0, size - 1)).toString('utf8'); }
      else v = { chunk: it.chunk, bytes: Uint8Array.from(bytes) };
    } else if (it.type === 0x48) { v = { blobSize: d.getUint32(0, true), chunks: it.data[4] }; }
    else throw new Error(`unexpected NVS type ${it.type}`);
    const map = values.get(ns)!;
    if (it.type === 0x42) map.set(`${it.key}#data${it.chunk}`, v);
    else map.set(it.key, v);
  }
  return values;
}

const backend = p256.getPublicKey(p256.utils.randomSecretKey(), false);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('roam provision', () => {
  const base = () => mkdtempSync(join(tmpdir(), 'roam-prov-'));
  const args = (dir: string) => ['provision', '--out', dir, '--site', 'US-SEM-0042', '--broker', 'mqtts://broker.example:8883', '--backend-key', hex(backend)];

  it('writes an NVS image Moddable preference reads: namespace roam, typed values, a key pair that matches', async () => {
    const dir = base();
    const r = await roam(...args(dir), '--device-id', 'roam-test-1', '--uid-order', 'lsb', '--flash', '8MB');
    expect(r.code, r.err).toBe(0);
    const image = new Uint8Array(readFileSync(join(dir, 'nvs.bin')));
    expect(image.length).toBe(0x6000);
    const nvs = decodeNvs(image).get('roam')!;
    expect(nvs.get('deviceId')).toBe('roam-test-1');
    expect(nvs.get('siteId')).toBe('US-SEM-0042');
    expect(nvs.get('broker')).toBe('mqtts://broker.example:8883');
    expect(nvs.get('uidOrder')).toBe('lsb');
    expect(hex((nvs.get('backendKey#data0') as { bytes: Uint8Array }).bytes)).toBe(hex(backend));
    expect(nvs.get('backendKey')).toEqual({ blobSize: 65, chunks: 1 });
    const d = (nvs.get('deviceKey#data0') as { bytes: Uint8Array }).bytes;
    const q = (nvs.get('devicePub#data0') as { bytes: Uint8Array }).bytes;
    expect(d.length).toBe(32);
    expect(hex(p256.getPublicKey(d, false))).toBe(hex(q));
    const reg = JSON.parse(readFileSync(join(dir, 'registration.json'), 'utf8'));
    expect(reg).toMatchObject({ deviceId: 'roam-test-1', siteId: 'US-SEM-0042', publicKey: hex(q), algorithm: 'ECDSA-secp256r1-SHA256' });
    expect(JSON.stringify(reg)).not.toContain(hex(d));
    expect(r.out).not.toContain(hex(d));
    expect(r.out).toContain('write_flash 0x9000');
  });

  it('refuses to overwrite an identity without --force, leaving it unchanged', async () => {
    const dir = base();
    expect((await roam(...args(dir))).code).toBe(0);
    const before = readFileSync(join(dir, 'nvs.bin'));
    const again = await roam(...args(dir));
    expect(again.code).toBe(3);
    expect(again.err).toMatch(/already holds a device identity; --force/);
    expect(readFileSync(join(dir, 'nvs.bin')).equals(before)).toBe(true);
    expect((await roam(...args(dir), '--force')).code).toBe(0);
    expect(readFileSync(join(dir, 'nvs.bin')).equals(before)).toBe(false);
  });

  it('rejects bad input with a clear message and exit 2, writing nothing', async () => {
    const dir = base();
    const cases: Array<[string[], RegExp]> = [
      [['provision', '--out', dir], /--site is required/],
      [[...args(dir).slice(0, -1), 'abcd'], /--backend-key must be 65 bytes/],
      [[...args(dir), '--uid-order', 'middle'], /--uid-order must be msb or lsb/],
      [[...args(dir), '--flash', '2MB'], /--flash must be one of/],
      [[...args(dir), '--device-id', 'x'.repeat(4000)], /3999|4000/],
      [['provision', '--out', dir, '--site', 's', '--broker', 'http://x', '--backend-key', hex(backend)], /--broker must look like/],
      [[...args(dir), '--bogus'], /Unknown option/],
    ];
    for (const [a, message] of cases) {
      const r = await roam(...a);
      expect(r.code, a.join(' ')).toBe(2);
      expect(r.err).toMatch(message);
    }
    expect(existsSync(join(dir, 'nvs.bin'))).toBe(false);
  });

  it('reads a backend key from a file with @', async () => {
    const dir = base();
    writeFileSync(join(dir, 'backend.hex'), hex(backend) + '\n');
    expect((await roam(...args(dir).slice(0, -1), `@${join(dir, 'backend.hex')}`)).code).toBe(0);
  });
});

describe('roam inspect, lookup, build', () => {
  it('inspect shows the settings of an NVS image and a whole-flash dump, never the private key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roam-insp-'));
    await roam('provision', '--out', dir, '--site', 'S1', '--broker', 'mqtt://b:1883', '--backend-key', hex(backend), '--device-id', 'dev-9', '--flash', '4MB');
    const nvs = readFileSync(join(dir, 'nvs.bin'));
    const dump = Buffer.alloc(4 * 1024 * 1024, 0xff);
    nvs.copy(dump, 0x9000);
    writeFileSync(join(dir, 'flash.bin'), dump);
    const d = hex((decodeNvs(new Uint8Array(nvs)).get('roam')!.get('deviceKey#data0') as { bytes: Uint8Array }).bytes);
    for (const source of [['--nvs', join(dir, 'nvs.bin')], ['--dump', join(dir, 'flash.bin'), '--flash', '4MB']]) {
      const r = await roam('inspect', ...source);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/deviceId\s+"dev-9"/);
      expect(r.out).toContain(hex(backend));
      expect(r.out).toMatch(/deviceKey\s+\(private key, 32 bytes, not shown\)/);
      expect(r.out).not.toContain(d);
    }
    const wrong = await roam('inspect', '--dump', join(dir, 'flash.bin'), '--flash', '16MB');
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/a 16MB dump is 16777216/);
  });

  it('lookup names a missing dump clearly (decisions: test/device/inspect-lookup.test.ts)', async () => {
    const r = await roam('lookup', '--dump', 'x-no-such-dump', '--uid', '04A2B3C4');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no such file or directory: x-no-such-dump/);
  });

  it('build prints the mcconfig command; --run without the SDK fails clearly', async () => {
    const r = await roam('build', '--target', 'esp32', '--flash', '8MB');
    expect(r.code).toBe(0);
    // SDK 8.2.3 writes "target": "es2025", which only TypeScript 6 accepts: the command puts the project's first on PATH.
    expect(r.out).toMatch(/^PATH=\S+\/node_modules\/\.bin:\$PATH ROAM_FLASH=8MB mcconfig -m -p esp32 \S+manifest\.json$/m);
    expect(r.out).toMatch(/Moddable SDK 8\.2\.3.*ESP-IDF v6\.0/);
    expect((await roam('build', '--target', 'esp32', '--flash', '16MB')).err).toMatch(/classic ESP32 maps at most 4 MB/);
    const saved = process.env.MODDABLE;
    process.env.MODDABLE = '/nonexistent-moddable';
    try {
      const run = await roam('build', '--run');
      expect(run.code).toBe(4);
      expect(run.err).toMatch(/Moddable SDK is not installed/);
    } finally {
      if (saved === undefined) delete process.env.MODDABLE; else process.env.MODDABLE = saved;
    }
  });

  it('every command has --help; unknown commands exit 2', async () => {
    for (const c of ['provision', 'inspect', 'lookup', 'build']) {
      const r = await roam(c, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`usage: roam ${c}`));
    }
    // The exit codes of the checking commands are in their help (and docs/device.md).
    const inspectHelp = (await roam('inspect', '--help')).out;
    expect(inspectHelp).toMatch(/Exit codes: 0 every check passed; 1 a check failed/);
    expect(inspectHelp).toMatch(/2 bad input .*\n?.*not a roam image|not a roam image/s);
    const lookupHelp = (await roam('lookup', '--help')).out;
    expect(lookupHelp).toMatch(/Exit codes: 0 answered from a verified list/);
    expect(lookupHelp).toMatch(/1 the token image fails verification/);
    expect(lookupHelp).toContain('--unverified');
    expect((await roam('frobnicate')).code).toBe(2);
  });
});
