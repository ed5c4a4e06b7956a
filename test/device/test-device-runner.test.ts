import { build } from 'esbuild';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimFlash } from '../../host-sim/hal/sim-flash.js';
import { bundleForDevice, linModuleNames, roamExternals, roamModuleName, scenarioNotes } from '../../host-sim/device/bundle.js';
import { DEVICE_CHECKS } from '../../host-sim/device/checks.js';
import { nodeHal } from '../../host-sim/device/node-hal.js';
import { RamFlash } from '../../host-sim/device/ram-flash.js';
import { compareRuns, firstDifference, parseDeviceOutput, type Expected } from '../../host-sim/device/report.js';
import { SeededRandom } from '../../host-sim/hal/seeded-random.js';
import { ROOT } from '../../host-sim/xs/bundle.js';
import { scenarioFiles } from '../../host-sim/xs/scenarios.js';

// The pure parts of npm run test:device (host-sim/device/): the bundle that
// leaves roam's code to roam's manifest, the in-RAM flash, the parsing and
// comparison of what the app on mcsim traces. mcsim itself runs only in
// npm run test:device.

const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => {
  const p = join(dir, f);
  return statSync(p).isDirectory() ? files(p) : f.endsWith('.ts') && !f.endsWith('.d.ts') ? [p] : [];
});

describe('the device bundle: roam stays roam\'s manifest modules', () => {
  it('names a file as the manifest does', () => {
    expect(roamModuleName(join(ROOT, 'src', 'tokens', 'index.ts'))).toBe('roam/src/tokens/index');
    expect(roamModuleName(join(ROOT, 'src', 'codec', 'bytes.js'))).toBe('roam/src/codec/bytes');
    expect(roamModuleName(join(ROOT, 'hal', 'moddable', 'crypto.ts'))).toBe('roam/hal/moddable/crypto');
    expect(roamModuleName(join(ROOT, 'hal', 'flash.ts'))).toBe('roam/hal/flash');
    expect(roamModuleName(join(ROOT, 'test', 'scenarios', 'sync.scenario.ts'))).toBeUndefined();
    expect(roamModuleName(join(ROOT, 'host-sim', 'hal', 'virtual-clock.ts'))).toBeUndefined();
  });

  it('the lin manifest has a module for every file of src/ and hal/*.ts, and no device-only part', () => {
    const lin = linModuleNames();
    for (const f of [...files(join(ROOT, 'src')), ...readdirSync(join(ROOT, 'hal')).filter((f) => f.endsWith('.ts')).map((f) => join(ROOT, 'hal', f))])
      expect(lin, relative(ROOT, f)).toContain(roamModuleName(f));
    for (const m of ['roam/hal/moddable/crypto', 'roam/hal/moddable/mfrc522', 'roam/hal/moddable/settings', 'roam/hal/moddable/transport', 'roam/hal/moddable/globals', 'roam/hal/moddable/link-names'])
      expect(lin).toContain(m);
    for (const m of ['roam/hal/moddable/flash', 'roam/hal/moddable/platform', 'roam/hal/moddable/rfid', 'roam/hal/moddable/roam', 'roam/hal/moddable/main'])
      expect(lin).not.toContain(m);
  });

  const bundle = (contents: string) => build({
    stdin: { contents, resolveDir: join(ROOT, 'test', 'scenarios'), loader: 'ts' },
    bundle: true, write: false, format: 'esm', platform: 'neutral', logLevel: 'silent', plugins: [roamExternals()],
  });

  it('rewrites imports of roam to externals named as the manifest names them; cbor-x and fflate too', async () => {
    const r = await bundle(`import { toHex } from '../../src/codec/index.js'; import { moddableCrypto } from '../../hal/moddable/crypto.ts';
import { Encoder } from 'cbor-x/encode'; import { deflateSync } from 'fflate'; export const x = [toHex, moddableCrypto, Encoder, deflateSync];`);
    const code = r.outputFiles[0].text;
    for (const m of ['roam/src/codec/index', 'roam/hal/moddable/crypto', 'cbor-x/encode', 'fflate']) expect(code).toContain(`from "${m}"`);
  });

  it('refuses a device-only module, the cbor-x root, and a missing file, naming them', async () => {
    await expect(bundle(`import { ModdableFlash } from '../../hal/moddable/flash.ts'; export { ModdableFlash };`)).rejects.toThrow(/roam\/hal\/moddable\/flash on the lin platform/);
    await expect(bundle(`import { Encoder } from 'cbor-x'; export { Encoder };`)).rejects.toThrow(/cbor-x\/encode/);
    await expect(bundle(`import { nothing } from '../../src/nothing.js'; export { nothing };`)).rejects.toThrow(/no such file/);
  });

  it('the scenario bundle holds no copy of roam, cbor-x or fflate; notes name what is simulated', async () => {
    const all = scenarioFiles();
    const { metafile } = await bundleForDevice(all.map((f, i) => `import s${i} from ${JSON.stringify(f)}; export { s${i} };`).join('\n'));
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.filter((f) => /^(src|hal)\/|node_modules\/(cbor-x|fflate)\//.test(f))).toEqual([]);
    const mfrc = all.find((f) => f.includes('mfrc522'))!;
    expect(scenarioNotes(metafile, mfrc).join(' ')).toMatch(/roam\/hal\/moddable\/mfrc522.*simulated MFRC522/);
    expect(scenarioNotes(metafile, all.find((f) => f.includes('record-roundtrip'))!)).toEqual([]);
  });
});

describe('RamFlash keeps SimFlash\'s NOR rules', () => {
  it('the same answers and the same refusals over a random sequence of operations', () => {
    const a = new SimFlash('j', 16 * 1024);
    const b = new RamFlash('j', 16 * 1024);
    const rnd = new SeededRandom(11);
    const outcome = (f: () => unknown) => { try { const v = f(); return v instanceof Uint8Array ? Array.from(v) : v ?? null; } catch (e) { return `${(e as Error).name}: ${(e as Error).message}`; } };
    for (let i = 0; i < 3000; i++) {
      const op = rnd.below(10);
      const at = rnd.below(17 * 1024) - 512;
      const data = rnd.bytes(1 + rnd.below(64)).map((x) => (rnd.below(3) === 0 ? x : x | 0xf0));
      const block = rnd.below(6) - 1;
      const g = op < 4 ? (r: SimFlash | RamFlash) => r.write(at, data)
        : op < 8 ? (r: SimFlash | RamFlash) => r.read(at, data.length)
        : (r: SimFlash | RamFlash) => r.erase(op === 8 ? block + 0.5 : block);
      expect(outcome(() => g(b)), `op ${i}`).toEqual(outcome(() => g(a)));
    }
    expect(Array.from(b.map())).toEqual(Array.from(a.map()));
    expect(() => new RamFlash('x', 1000)).toThrow(/multiple of the block size/);
  });
});

describe('the device checks, on Node', () => {
  for (const name of ['rfc6979-vectors', 'device-signer', 'preference-settings']) {
    it(`${name} runs on Node's implementations and is deterministic`, async () => {
      const check = DEVICE_CHECKS.find((c) => c.name === name)!;
      const env = { broker: { host: '127.0.0.1', port: 1, prefix: 'x' } };
      const one = await check.run(nodeHal, env);
      expect(one.length).toBeGreaterThan(0);
      expect(Array.from(await check.run(nodeHal, env))).toEqual(Array.from(one));
    });
  }
});

describe('what the app traces, and the comparison with Node', () => {
  const expected = (name: string, bytes: Uint8Array): Expected => ({ name, kind: 'scenario', bytes: bytes.length, sha256: 'aa', nodeMs: 1, output: bytes });
  const result = (name: string, bytes: number, sha: string, hex: string) => [`@roam result ${name} bytes=${bytes} sha256=${sha} ms=5 slots=1 chunks=2`, `@roam hex ${name} 0 ${hex}`];

  it('equal, different (with where), an error, a skip with and without a reason, a missing one', () => {
    const lines = [
      'instruments key: Chunk used,Stack used', 'instruments: 10,20', 'instruments: 5,40',
      '@roam boot slots=1 chunks=2', 'mcsim noise',
      '@roam via a crypto=hal/moddable', ...result('a', 2, 'aa', '0102'),
      ...result('b', 2, 'bb', '0103'),
      '@roam error c TypeError: set name: not writable',
      '@roam skip d mcsim has no SPI', '@roam skip e',
      '@roam done items=5 errors=1', '@roam end',
    ];
    const d = parseDeviceOutput(lines);
    expect(d.boot).toBe('slots=1 chunks=2');
    expect(d.peaks.get('Stack used')).toBe(40);
    expect(d.results.get('a')!.hex).toBe('0102');
    const r = compareRuns(['a', 'b', 'c', 'd', 'e', 'f'].map((n) => expected(n, Uint8Array.of(1, 2))), d, true);
    expect(r.failures).toEqual([
      "b: output differs from Node's from byte 1: Node …0102… device …0103…",
      'c: TypeError: set name: not writable',
      'e: not run and no reason printed',
      'f: no result from mcsim',
    ]);
    expect(r.table).toMatch(/^d .*not run: mcsim has no SPI/m);
  });

  it('an XS abort or a run that never ends fails everything missing', () => {
    const d = parseDeviceOutput(['@roam boot x', 'XS abort: JavaScript stack overflow']);
    const r = compareRuns([expected('a', Uint8Array.of(1))], d, false);
    expect(r.failures).toEqual(['a: no result from mcsim', 'mcsim: XS abort: JavaScript stack overflow', 'mcsim did not print its last line (timeout, or the app stopped)']);
    expect(r.table).toContain('MISSING (XS abort: JavaScript stack overflow)');
  });

  it('firstDifference: the offset, and a device line that lies about its hash', () => {
    expect(firstDifference(Uint8Array.of(1, 2, 3), '010203')).toMatch(/SHA-256 line is wrong/);
    expect(firstDifference(Uint8Array.of(1, 2, 3), '0102')).toMatch(/^from byte 2:/);
  });
});
