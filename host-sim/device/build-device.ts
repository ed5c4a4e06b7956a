// npm run build:device — the device build as far as it goes without ESP-IDF:
// for every target the docs promise, mcconfig on ./manifest.json, then the
// generated makefile's XS stages (tsc per module, xsc, xsl) up to mc.xs.c.
// Any tsc, xsc or xsl error fails it. The C compile after mc.xs.c needs
// ESP-IDF v6.0 and is not run here; that is said once, not as a failure.
// Exit codes: 0 every target linked, 1 a stage failed, 2 bad usage or, in CI, no SDK.
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from '../xs/bundle.js';
import { mcconfig, requireSdk, run, type Sdk } from './sdk.js';

export interface Target {
  name: string;
  platform: string;
  flash: '4MB' | '8MB' | '16MB';
  /** The app's manifest, from the repository root; default the standalone app (manifest.json). */
  manifest?: string;
}

/** The example charger firmware (examples/charger): roam's includable manifest in a firmware of its own. */
export const EXAMPLE_MANIFEST = 'examples/charger/manifest.json';

/** What docs/device.md promises: classic ESP32 with 4 and 8 MB, ESP32-S3 with 8 and 16 MB. */
export const TARGETS: Target[] = [
  { name: 'esp32-4MB', platform: 'esp32', flash: '4MB' },
  { name: 'esp32-8MB', platform: 'esp32', flash: '8MB' },
  { name: 'esp32s3-8MB', platform: 'esp32/esp32s3', flash: '8MB' },
  { name: 'esp32s3-16MB', platform: 'esp32/esp32s3', flash: '16MB' },
  { name: 'example-esp32', platform: 'esp32', flash: '4MB', manifest: EXAMPLE_MANIFEST },
  { name: 'example-esp32s3', platform: 'esp32/esp32s3', flash: '16MB', manifest: EXAMPLE_MANIFEST },
];

const HELP = `usage: npm run build:device [-- --target NAME ...] [-- --verbose]

Builds roam's XS stages for each target: mcconfig -p PLATFORM ./manifest.json with
ROAM_FLASH, then make ... mc.xs.c (tsc, xsc, xsl) with IDF_PATH at the SDK
install's idf-stub. The example-* targets build the example charger firmware
(${EXAMPLE_MANIFEST}) the same way. Targets: ${TARGETS.map((t) => t.name).join(', ')} (default: all).
Prints per target: modules, the xsl summary, xsl warnings, the size of mc.xs.c,
the partition table and the time. Needs the Moddable SDK 8.2.3 ($MODDABLE).
Exit codes: 0 all linked, 1 a stage failed, 2 bad usage or no SDK in CI.`;

export interface TargetReport {
  target: Target;
  ok: boolean;
  modules: number;
  roamModules: number;
  summary: string;
  warnings: Map<string, number>;
  xsBytes: number;
  partitions: string;
  seconds: number;
  errors: string[];
}

/** The lines of a stage log that are errors of tsc, xsc or xsl (or make's own). */
export function stageErrors(log: string): string[] {
  return log.split('\n').filter((l) => /error TS\d+|: error:|^### \w*Error[:!]|XS abort|^make: \*\*\*|not found!|typescript compile failure/.test(l));
}

/** xsl's "### warning: MODULE: ..." lines, counted per module. */
export function xslWarnings(log: string): Map<string, number> {
  const by = new Map<string, number>();
  for (const m of log.matchAll(/^### warning: ([^:]+):/gm)) by.set(m[1], (by.get(m[1]) ?? 0) + 1);
  return by;
}

function makefileList(makefile: string, name: string): string[] {
  const m = new RegExp(`^${name} =\\\\\\n((?:\\t.*\\n)+)`, 'm').exec(makefile);
  return m ? m[1].split('\n').map((l) => l.trim().replace(/\\$/, '').trim()).filter(Boolean) : [];
}

async function buildTarget(sdk: Sdk, t: Target, verbose: boolean): Promise<TargetReport> {
  const start = Date.now();
  // One build folder per platform: a second flash size reuses the tsc and xsc
  // outputs (same sources), and mc.xs.c is removed so xsl always links again.
  const label = `${t.manifest ? 'example-' : ''}${t.platform.replace('/', '-')}`;
  const tmp = await mcconfig(sdk, join(ROOT, t.manifest ?? 'manifest.json'), t.platform, label, { ROAM_FLASH: t.flash });
  const makefilePath = join(tmp, 'makefile');
  const makefile = readFileSync(makefilePath, 'utf8');
  const xsc = join(tmp, 'mc.xs.c');
  rmSync(xsc, { force: true });
  const r = await run('make', ['-f', makefilePath, '-k', '-j2', 'SDKCONFIG_H=', xsc], sdk.env, ROOT, verbose ? (l) => console.log(`  ${l}`) : undefined);
  const modules = makefileList(makefile, 'MODULES');
  const partitions = /^PARTITIONS_FILE = (.*)$/m.exec(makefile)?.[1] ?? '?';
  let xsBytes = 0;
  try { xsBytes = statSync(xsc).size; } catch { /* not made */ }
  const errors = stageErrors(r.out);
  return {
    target: t,
    ok: r.code === 0 && xsBytes > 0 && errors.length === 0,
    modules: modules.length,
    roamModules: modules.filter((m) => /\/(roam|cbor-x)\/|\/fflate\.xsb/.test(m)).length,
    summary: /^### (\d+ instances, .*)$/m.exec(r.out)?.[1] ?? '(no xsl summary)',
    warnings: xslWarnings(r.out),
    xsBytes,
    partitions: relative(ROOT, partitions),
    seconds: (Date.now() - start) / 1000,
    errors: errors.length || r.code === 0 ? errors : [`make exited ${r.code}`, ...r.out.trim().split('\n').slice(-10)],
  };
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) { console.log(HELP); return 0; }
  const verbose = argv.includes('--verbose');
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--verbose') continue;
    if (argv[i] === '--target' && argv[i + 1]) { names.push(argv[++i]); continue; }
    console.error(`build:device: unknown argument ${argv[i]}; see --help`);
    return 2;
  }
  const unknown = names.filter((n) => !TARGETS.some((t) => t.name === n));
  if (unknown.length) { console.error(`build:device: unknown target ${unknown.join(', ')}; targets: ${TARGETS.map((t) => t.name).join(', ')}`); return 2; }
  const sdk = requireSdk('build:device');
  const targets = names.length ? TARGETS.filter((t) => names.includes(t.name)) : TARGETS;
  let failed = 0;
  for (const t of targets) {
    console.log(`# ${t.name}: ROAM_FLASH=${t.flash} mcconfig -p ${t.platform} ${t.manifest ?? 'manifest.json'}, then tsc, xsc, xsl to mc.xs.c`);
    const r = await buildTarget(sdk, t, verbose);
    const warned = [...r.warnings].sort((a, b) => b[1] - a[1]).map(([m, n]) => `${m} ${n}`).join(', ');
    console.log(`  modules: ${r.modules} (${r.roamModules} of roam and its packages)`);
    console.log(`  xsl: ${r.summary}`);
    console.log(`  xsl warnings (mutable state in preloaded modules, copied to RAM when written): ${[...r.warnings.values()].reduce((a, b) => a + b, 0)}${warned ? ` (${warned})` : ''}`);
    console.log(`  mc.xs.c: ${r.xsBytes.toLocaleString('en-US')} bytes`);
    console.log(`  partition table: ${r.partitions}`);
    console.log(`  time: ${r.seconds.toFixed(1)} s`);
    if (!r.ok) {
      failed++;
      console.log(`  FAILED:\n${r.errors.map((e) => `    ${e}`).join('\n')}`);
    } else console.log('  linked: every XS stage passed');
  }
  console.log('Past mc.xs.c a device build compiles C with ESP-IDF v6.0 (not installed here): not a roam check, not run.');
  console.log(failed ? `build:device: ${failed} of ${targets.length} target(s) FAILED` : `build:device: ${targets.length} target(s) linked`);
  return failed ? 1 : 0;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href)
  main(process.argv.slice(2)).then((code) => process.exit(code), (e: Error) => {
    console.error(`build:device: ${e.message}`);
    process.exit(1);
  });
