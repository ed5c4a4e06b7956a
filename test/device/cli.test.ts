import { p256 } from '@noble/curves/nist.js';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { main } from '../../host-sim/cli/main.js';
import { readBackendSigner } from '../../host-sim/cli/keygen.js';
import { nvsImage, readNvs } from '../../host-sim/cli/nvs.js';
import { readPartitionTable, tableFile } from '../../host-sim/cli/partitions.js';
import { nodeCrypto } from '../../host-sim/hal/node-crypto.js';
import { ROOT } from '../../host-sim/xs/bundle.js';
import { generateOcpiTokens, SiteList } from '../../host-sim/backend/index.js';
import { SIGNATURE_BYTES } from '../../src/tokens/format.js';
import { readHeader } from '../../src/tokens/table.js';

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
      [[...args(dir), '--device-id', 'x'.repeat(4000)], /--device-id must be 1\.\.64 of/],
      [['provision', '--out', dir, '--site', 's', '--broker', 'http://x', '--backend-key', hex(backend)], /--broker must be mqtt:\/\/host\[:port\] or mqtts:/],
      [[...args(dir), '--bogus'], /unknown option --bogus \(roam provision --help lists its options\)/],
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
    for (const c of ['keygen', 'provision', 'inspect', 'lookup', 'build']) {
      const r = await roam(c, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`usage: roam ${c}`));
      expect(r.out).toMatch(/Exit codes: 0 /);
      expect(r.out).toMatch(/2 bad\s+input/);
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
    const top = await roam('--help');
    expect(top.code).toBe(0);
    expect(top.out).toMatch(/Exit codes: 0 ok; 1 a verification or check failed; 2 bad input .*; 3 refused .*4 a tool is missing .*5 an internal error/s);
  });
});

// Issue 15: every input a technician can get wrong is refused where it is
// parsed, in one line naming the argument and the rule, with the documented
// exit code (docs/device.md "Exit codes": 2 bad input, 3 refused), nothing
// written and no stack trace.
describe('roam: bad input, every command', () => {
  const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));
  const notOnCurve = '04' + '11'.repeat(64);

  it('refuses each bad input with one line naming it, the right exit code, nothing written', async () => {
    const dir = tmp('roam-bad-');
    const keys = join(tmp('roam-keys-'), 'k');
    expect((await roam('keygen', '--out', keys)).code).toBe(0);
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const out = join(dir, 'out');
    const prov = (...extra: string[]) => ['provision', '--out', out, '--site', 'S1', '--broker', 'mqtt://b:1883', '--backend-key', hex(backend), ...extra];
    const nvs = join(dir, 'truncated-nvs.bin');
    expect((await roam('provision', '--out', join(dir, 'p'), '--site', 'S1', '--broker', 'mqtt://b:1883', '--backend-key', hex(backend))).code).toBe(0);
    writeFileSync(nvs, readFileSync(join(dir, 'p', 'nvs.bin')).subarray(0, 5000));
    // Partition-file dumps: a journal of one block (the device needs two); a
    // selector of zeros beside erased slots (damage, not "no list ever applied").
    const small = join(dir, 'small'), zeroSel = join(dir, 'zero-sel');
    mkdirSync(small);
    writeFileSync(join(small, 'journal.bin'), new Uint8Array(4096).fill(0xff));
    mkdirSync(zeroSel);
    writeFileSync(join(zeroSel, 'nvs.bin'), readFileSync(join(dir, 'p', 'nvs.bin')));
    for (const n of ['tokens-a', 'tokens-b', 'tokens-ovl']) writeFileSync(join(zeroSel, `${n}.bin`), new Uint8Array(8192).fill(0xff));
    writeFileSync(join(zeroSel, 'tokens-sel.bin'), new Uint8Array(8192));
    const cases: Array<[string[], number, RegExp]> = [
      [['frobnicate'], 2, /^roam: unknown command "frobnicate": the commands are keygen, provision, inspect, lookup, build/],
      [[], 2, /^usage: roam <command>/],
      [['keygen'], 2, /^roam keygen: --out is required/],
      [['keygen', '--out', join(dir, 'k2'), 'extra'], 2, /^roam keygen: unexpected argument "extra": roam keygen takes options only$/],
      [['keygen', '--out', join(file, 'k')], 2, /^roam keygen: --out \S+: \S+a-file is a file, not a directory$/],
      [['keygen', '--out', keys], 3, /^roam keygen: \S+ already holds a backend key pair; --force replaces it/],
      [prov('--device-id', 'dev/with#odd+chars'), 2, /^roam provision: --device-id must be 1\.\.64 of A-Z a-z 0-9 _ \. : \* -, got "dev\/with#odd\+chars"$/],
      [prov('--device-id', 'a'.repeat(80)), 2, /^roam provision: --device-id must be 1\.\.64 of/],
      [[...prov().slice(0, -1), notOnCurve], 2, /^roam provision: --backend-key is not a point on the P-256 curve/],
      [[...prov().slice(0, -1), `@${join(dir, 'nope.hex')}`], 2, /^roam provision: --backend-key: no such file: \S+nope\.hex$/],
      [prov('extra'), 2, /^roam provision: unexpected argument "extra": roam provision takes options only$/],
      [prov('[--force]'), 2, /unexpected argument "\[--force\]".*brackets in a usage line mark an optional part; type --force without them$/],
      [prov('--flash', '16MB', '--target', 'esp32'), 2, /^roam provision: --flash 16MB with --target esp32: .*use --target esp32s3/],
      [prov('--target', 'esp8266'), 2, /^roam provision: --target must be one of esp32, esp32s3, got "esp8266"$/],
      [['provision', '--out', join(file, 'x'), '--site', 'S1', '--broker', 'mqtt://b:1883', '--backend-key', hex(backend)], 2, /^roam provision: --out \S+: \S+a-file is a file, not a directory$/],
      [prov('--out'), 2, /^roam provision: --out needs a value$/],
      [['provision', '--out', out, '--site', 'S1', '--broker', 'mqtt://b:99999', '--backend-key', hex(backend)], 2, /^roam provision: --broker port must be 1\.\.65535, got 99999$/],
      [['inspect', '--nvs', nvs], 2, /^roam inspect: \S+truncated-nvs\.bin is not an NVS image: .*whole 4096-byte pages; got 5000 bytes/],
      [['inspect', '--nvs', dir], 2, /^roam inspect: --nvs: \S+ is a directory, not a file$/],
      [['inspect', join(dir, 'p'), 'extra'], 2, /^roam inspect: unexpected argument "extra": roam inspect takes at most DUMP besides options$/],
      [['inspect'], 2, /^roam inspect: give one dump/],
      [['inspect', small], 2, /^roam inspect: \S+journal\.bin \(4096 bytes\) is no journal region the device could open: .*needs ≥ 2 blocks/],
      [['inspect', '--flash', '3MB', join(dir, 'p')], 2, /^roam inspect: --flash must be one of 4MB, 8MB, 16MB, got "3MB"$/],
      [['inspect', '--domain', '', join(dir, 'p')], 2, /^roam inspect: --domain: NVS namespace must be 1\.\.15 printable ASCII characters: ""$/],
      [['lookup', '04A2B3C4', '--dump', zeroSel], 1, /^roam lookup: the token image in the dump fails verification \(tokens-sel holds neither erased flash nor a selection: DAMAGED\): refusing/],
      [['lookup', '04A2B3C4', '--dump', join(dir, 'p'), '--connector', '99'], 2, /^roam lookup: --connector must be a whole number from 1 to 1, got "99" \(the charger has 1; --connectors N/],
      [['lookup', '04A2B3C4', '--dump', join(dir, 'p'), '--connector', '3', '--connectors', '2'], 2, /--connector must be a whole number from 1 to 2, got "3"/],
      [['lookup', '04A2B3C4', '--dump', join(dir, 'p'), '--connector', '0'], 2, /--connector must be a whole number from 1 to 1, got "0"$/],
      [['lookup', '04A2B3C4', '--dump', join(dir, 'p'), '--connectors', '256'], 2, /--connectors must be a whole number from 1 to 255, got "256"$/],
      [['lookup', '04A2B3C4', join(dir, 'p'), 'extra'], 2, /^roam lookup: unexpected argument "extra": roam lookup takes at most UID and DUMP besides options$/],
      [['lookup', '04A2B3C4', '--dump', join(dir, 'p'), '--reader-config', `@${dir}`], 2, /^roam lookup: --reader-config: \S+ is a directory, not a file$/],
      [['build', '--target', 'esp32s3', '--flash', '16MB', '[--run]'], 2, /^roam build: unexpected argument "\[--run\]": roam build takes options only: brackets .* type --run without them$/],
      [['build', '--flash', '2MB'], 2, /^roam build: --flash must be one of 4MB, 8MB, 16MB, got "2MB"$/],
      [['build', '--run=yes'], 2, /^roam build: --run takes no value$/],
    ];
    for (const [a, code, message] of cases) {
      const r = await roam(...a);
      expect(r.code, a.join(' ')).toBe(code);
      if (a.length) expect(r.err.split('\n'), a.join(' ')).toHaveLength(1);
      expect(r.err, a.join(' ')).toMatch(message);
      expect(r.err).not.toMatch(/\n\s+at |Error:/);
      expect(r.out).toBe('');
    }
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(dir, 'k2'))).toBe(false);
  });

  // The endless mkdir ENOENT/EEXIST loop of mkdirSync({ recursive: true }) under
  // /proc: run as a technician runs it (the bin, a real process) with a time limit.
  it.runIf(existsSync('/proc/self'))('provision --out /proc/nope ends at once with exit 2 (it spun for ever)', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'host-sim/cli/roam.mjs'), 'provision', '--out', '/proc/nope', '--site', 'S1', '--broker', 'mqtt://b:1883', '--backend-key', hex(backend)], { encoding: 'utf8', timeout: 60_000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('roam provision: --out /proc/nope: cannot create /proc/nope: /proc takes no new directories (ENOENT)\n');
  });

  it('provision prints the esptool chip of the table: esp32s3 for 16MB, esp32 for 4MB', async () => {
    const at = (flash: string, ...extra: string[]) => roam('provision', '--out', tmp('roam-chip-'), '--site', 'S1', '--broker', 'mqtt://b:1883', '--backend-key', hex(backend), '--flash', flash, ...extra);
    expect((await at('16MB')).out).toMatch(/^flash it: esptool\.py --chip esp32s3 write_flash 0x9000 /m);
    expect((await at('4MB')).out).toMatch(/^flash it: esptool\.py --chip esp32 write_flash 0x9000 /m);
    expect((await at('8MB', '--target', 'esp32')).out).toMatch(/--chip esp32 write_flash/);
  });

  it('inspect fails a provisioned backendKey that is no P-256 point (exit 1, named)', async () => {
    const dir = tmp('roam-curve-');
    const table = readPartitionTable(tableFile('4MB'));
    const size = table.partitions.find((p) => p.name === 'nvs')!.size;
    writeFileSync(join(dir, 'nvs.bin'), nvsImage(size, 'roam', { deviceId: 'dev-1', backendKey: Buffer.from(notOnCurve, 'hex') }));
    const r = await roam('inspect', '--nvs', join(dir, 'nvs.bin'));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/backendKey: not a point on P-256 .*INVALID, no token list can verify with it/);
    expect(r.out).toMatch(/checks: FAILED: settings backendKey$/);
  });
});

describe('roam keygen', () => {
  it('writes backend.hex that provision reads and a 0600 PEM the backend signs with; the device verifies it', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'roam-kg-')), 'keys');
    const r = await roam('keygen', '--out', dir);
    expect(r.code, r.err).toBe(0);
    expect(statSync(join(dir, 'backend-key.pem')).mode & 0o777).toBe(0o600);
    const pub = readFileSync(join(dir, 'backend.hex'), 'utf8');
    expect(pub).toMatch(/^04[0-9a-f]{128}\n$/);
    expect(r.out).not.toContain(readFileSync(join(dir, 'backend-key.pem'), 'utf8').split('\n')[1]);
    // The PEM is standard PKCS#8 (openssl and node read it) and is the pair of backend.hex.
    const jwk = createPrivateKey(readFileSync(join(dir, 'backend-key.pem'))).export({ format: 'jwk' });
    expect(hex(p256.getPublicKey(Buffer.from(jwk.d!, 'base64url'), false))).toBe(pub.trim());
    // A device provisioned with backend.hex verifies what the backend signs with the PEM.
    const dev = mkdtempSync(join(tmpdir(), 'roam-kg-dev-'));
    expect((await roam('provision', '--out', dev, '--site', 'S1', '--broker', 'mqtt://b:1883', '--backend-key', `@${join(dir, 'backend.hex')}`)).code).toBe(0);
    const onDevice = readNvs(new Uint8Array(readFileSync(join(dev, 'nvs.bin')))).get('roam')!.get('backendKey') as Uint8Array;
    // The backend peer's SiteList signs with it; the header signature verifies with the key on the device.
    const site = new SiteList(readBackendSigner(join(dir, 'backend-key.pem')), nodeCrypto, () => Date.parse('2026-03-01T00:00:00Z'));
    const image = site.publish([{ countryCode: 'US', partyId: 'SEM', allowedUsesTable: true, tokens: generateOcpiTokens({ countryCode: 'US', partyId: 'SEM', count: 20, seed: 15 }) }]).bytes;
    const header = readHeader(image);
    const end = header.headerLength + header.bodyLength + SIGNATURE_BYTES;
    expect(end).toBe(image.length);
    expect(nodeCrypto.verifyP256(onDevice, image.subarray(0, header.headerLength), image.subarray(end - SIGNATURE_BYTES, end))).toBe(true);
  });

  it('refuses a private key inside a git work tree unless --allow-in-repo; provision warns there', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'roam-repo-'));
    mkdirSync(join(repo, '.git'));
    const refused = await roam('keygen', '--out', join(repo, 'keys'));
    expect(refused.code).toBe(3);
    expect(refused.err).toMatch(/^roam keygen: --out \S+keys is inside the git work tree \S+roam-repo-\w+: .*--allow-in-repo$/);
    expect(existsSync(join(repo, 'keys'))).toBe(false);
    expect((await roam('keygen', '--out', join(repo, 'keys'), '--allow-in-repo')).code).toBe(0);
    const prov = (...extra: string[]) => roam('provision', '--out', join(repo, `dev${extra.length}`), '--site', 'S1', '--broker', 'mqtt://b:1883', '--backend-key', `@${join(repo, 'keys', 'backend.hex')}`, ...extra);
    const warned = await prov();
    expect(warned.code).toBe(0);
    expect(warned.err).toMatch(/^roam provision: warning: \S+dev0\/nvs\.bin holds the device's private key and is inside the git work tree/);
    expect(statSync(join(repo, 'dev0', 'nvs.bin')).mode & 0o777).toBe(0o600);
    expect((await prov('--allow-in-repo')).err).toBe('');
  });

  it('readBackendSigner refuses a file that is not a P-256 private key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'roam-kg-bad-'));
    writeFileSync(join(dir, 'k.pem'), generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }));
    expect(() => readBackendSigner(join(dir, 'k.pem'))).toThrow(/is not a P-256 private key PEM/);
  });
});

// Any mix of commands, options and values a technician could type ends in a
// documented exit code with one line on stderr: never an internal error (5),
// never a stack trace. It runs in a temporary directory (relative --out paths).
describe('roam: random command lines', () => {
  it('end in 0..4 with at most one stderr line, never an internal error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roam-fc-'));
    writeFileSync(join(dir, 'file'), 'x');
    writeFileSync(join(dir, 'backend.hex'), hex(backend));
    writeFileSync(join(dir, 'short.bin'), new Uint8Array(5000));
    expect((await roam('provision', '--out', join(dir, 'dev'), '--site', 'S', '--broker', 'mqtt://b:1', '--backend-key', hex(backend))).code).toBe(0);
    const outs = [join(dir, 'o1'), join(dir, 'o2', 'deeper'), join(dir, 'file', 'x'), join(dir, 'dev'), '/proc/nope', ''];
    const values = ['', 'x', '0', '99', '-1', '1.5', '4MB', '16MB', '3MB', 'esp32', 'esp32s3', 'msb', 'lsb', 'roam', 'a'.repeat(70), 'dev/odd#+',
      'mqtt://b:1883', 'http://b', hex(backend), '04' + '11'.repeat(64), `@${join(dir, 'backend.hex')}`, `@${join(dir, 'file')}`, '@', '@/nonexistent',
      '04A2B3C4D5E680', '08112233', 'zz', '{"input":"decimal"}', '{"input":"x"}', '{', '[--run]', '--', '-h', join(dir, 'dev'), join(dir, 'short.bin'),
      join(dir, 'dev', 'nvs.bin'), dir, '/nonexistent'];
    const options = ['--out', '--site', '--broker', '--backend-key', '--device-id', '--uid-order', '--flash', '--target', '--domain', '--force',
      '--allow-in-repo', '--dump', '--nvs', '--uid', '--reader-config', '--connector', '--connectors', '--unverified', '--debug', '--bogus'];
    const word = fc.oneof(
      fc.constantFrom(...options).chain((o) => (o === '--out' ? fc.constantFrom(...outs) : fc.constantFrom(...values)).map((v) => [o, v])),
      fc.constantFrom(...options).map((o) => [o]),
      fc.constantFrom(...values).filter((v) => !v.startsWith('-')).map((v) => [v]),
    );
    // A valid line of each command, then up to three edits: a word added, replaced or dropped.
    const bases = [
      ['keygen', '--out', join(dir, 'keys')],
      ['provision', '--out', join(dir, 'o3'), '--site', 'S', '--broker', 'mqtt://b:1883', '--backend-key', hex(backend)],
      ['inspect', join(dir, 'dev')],
      ['lookup', '04A2B3C4D5E680', '--dump', join(dir, 'dev')],
      ['build', '--target', 'esp32', '--flash', '4MB'],
    ];
    const edit = fc.record({ kind: fc.constantFrom('add', 'replace', 'drop'), at: fc.nat(), words: word });
    const line = fc.tuple(fc.nat({ max: bases.length }), fc.array(edit, { maxLength: 3 }));
    // Relative paths an edit leaves as --out land in the temporary directory, never in the repository.
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      await fc.assert(fc.asyncProperty(line, async ([b, edits]) => {
      const args = b === bases.length ? ['frob'] : [...bases[b]];
      for (const e of edits) {
        const at = 1 + (e.at % Math.max(1, args.length - 1));
        if (e.kind === 'add') args.splice(at, 0, ...e.words);
        else if (e.kind === 'replace') args.splice(at, 1, ...e.words);
        else if (args.length > 1) args.splice(at, 1);
      }
      const command = args[0];
      // --run would start mcconfig.
      fc.pre(!(command === 'build' && args.includes('--run')));
      const r = await roam(...args);
      expect([0, 1, 2, 3, 4], `${args.join(' ')}: ${r.err}`).toContain(r.code);
      // One line: the error, or provision's git work tree warning (a temporary directory is in none).
      expect(r.err ? r.err.split('\n').length : 0, `${args.join(' ')}: ${r.err}`).toBe(r.code === 0 ? 0 : 1);
      expect(r.err).not.toMatch(/\n\s+at |internal error/);
      }), { numRuns: Number(process.env.RUNS ?? 300), seed: Number(process.env.SEED ?? 15) });
    } finally {
      process.chdir(cwd);
    }
  });
});
