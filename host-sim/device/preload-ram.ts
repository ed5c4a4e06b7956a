// npm run test:device's companion measurement: the XS heap roam's modules take
// at boot when preloaded (as hal/moddable/manifest.json has it) and when
// cbor-x, fflate and roam's own modules load at run time instead. Builds the
// small lin app in ./preload-ram twice (the second with a copy of roam's
// manifest, in .build, whose preload keeps only the SDK's modules) and runs
// each on mcsim. Prints the slot and chunk heap before and after the imports.
// Exit codes: 0 measured, 1 a build or run failed, 2 no SDK in CI.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ROOT } from '../xs/bundle.js';
import { BUILD_DIR, requireSdk, run, type Sdk } from './sdk.js';

const HAL = join(ROOT, 'hal', 'moddable');
const APP = join(ROOT, 'host-sim', 'device', 'preload-ram');

/** A manifest's relative paths made absolute, so a copy works from another folder. */
function absolute(value: unknown, dir: string): unknown {
  if (typeof value === 'string') return /^\.\.?\//.test(value) ? resolve(dir, value) : value;
  if (Array.isArray(value)) return value.map((v) => absolute(v, dir));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, absolute(v, dir)]));
  return value;
}

function runtimeVariant(): string {
  const m = absolute(JSON.parse(readFileSync(join(HAL, 'manifest.json'), 'utf8')), HAL) as { preload: string[] };
  m.preload = m.preload.filter((p) => !p.startsWith('roam/') && !p.startsWith('cbor-x/') && p !== 'fflate');
  const file = join(BUILD_DIR, 'preload-ram', 'roam-runtime-loaded.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(m, null, '\t'));
  return file;
}

async function measure(sdk: Sdk, label: string, roamManifest: string): Promise<string> {
  const out = join(BUILD_DIR, 'preload-ram', label);
  mkdirSync(out, { recursive: true });
  const manifest = join(out, 'manifest.json');
  writeFileSync(manifest, JSON.stringify({
    include: ['$(MODDABLE)/examples/manifest_base.json', '$(MODDABLE)/examples/manifest_net.json',
      '$(MODULES)/base/instrumentation/manifest.json', '$(MODULES)/base/debug/manifest.json', roamManifest],
    creation: { chunk: { initial: 78848, incremental: 65536 }, heap: { initial: 4928, incremental: 1024 }, stack: 4096, keys: { initial: 64, incremental: 64, name: 127, symbol: 127 }, main: 'main' },
    modules: { main: join(APP, 'main') },
  }, null, '\t'));
  const b = await run('mcconfig', ['-i', '-m', '-o', out, '-p', 'lin', manifest], { ...sdk.env, MAKEFLAGS: '-j2' });
  if (b.code !== 0) throw new Error(`${label}: mcconfig failed:\n${b.out.split('\n').slice(-15).join('\n')}`);
  const mcso = join(out, 'bin', 'lin', 'mc', 'instrument', label, 'mc.so');
  const mcsim = join(sdk.moddable, 'build', 'bin', 'lin', 'release', 'mcsim');
  return new Promise((done, fail) => {
    const child = spawn('stdbuf', ['-oL', 'xvfb-run', '-a', mcsim, mcso], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    const end = (f: () => void) => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } f(); };
    const timer = setTimeout(() => end(() => fail(new Error(`${label}: no result from mcsim in 120 s`))), 120_000);
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /@ram (before .*)\n/.exec(text);
      if (/@ram end/.test(text)) { clearTimeout(timer); end(() => (m ? done(m[1]) : fail(new Error(`${label}: ${/@ram error.*/.exec(text)?.[0]}`)))); }
    });
  });
}

async function main(): Promise<number> {
  if (process.argv.includes('--help')) { console.log('usage: tsx host-sim/device/preload-ram.ts   (exit 0 measured, 1 failed, 2 no SDK in CI)'); return 0; }
  const sdk = requireSdk('preload-ram');
  if (!isAbsolute(HAL)) return 2;
  console.log(`preloaded (hal/moddable/manifest.json): ${await measure(sdk, 'preloaded', join(HAL, 'manifest.json'))}`);
  console.log(`loaded at run time (roam, cbor-x, fflate not preloaded): ${await measure(sdk, 'runtime', runtimeVariant())}`);
  return 0;
}

main().then((c) => process.exit(c), (e: Error) => { console.error(`preload-ram: ${e.message}`); process.exit(1); });
