// npm run typecheck:device — type-checks every .ts module the device build
// compiles, with the configuration mcconfig itself generates for it: the SDK's
// own typings ($MODDABLE/xs/includes/xs, $MODDABLE/typings) and paths, plus the
// one declarations file roam's manifest names (hal/moddable/types/roam-device.d.ts).
// One tsc run over all modules instead of mcconfig's one run per module.
// Exit codes: 0 clean (or skipped outside CI without the SDK), 1 type errors,
// 2 bad usage or, in CI, no SDK.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../xs/bundle.js';
import { mcconfig, requireSdk, run } from './sdk.js';

const HELP = `usage: npm run typecheck:device

Runs mcconfig -p esp32/esp32s3 on ./manifest.json (no build), then tsc once
over every .ts module of the build with the tsconfig mcconfig generated.
Needs the Moddable SDK 8.2.3 ($MODDABLE). Exit codes: 0 no errors (or skipped
outside CI without the SDK), 1 type errors, 2 bad usage or no SDK in CI.`;

/** The source of every per-module tsconfig mcconfig wrote. */
function moduleSources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...moduleSources(p));
    else if (name.endsWith('-tsconfig.json')) out.push(...(JSON.parse(readFileSync(p, 'utf8')).files as string[]));
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) { console.log(HELP); return 0; }
  if (argv.length) { console.error(`typecheck:device takes no arguments (got ${argv.join(' ')}); see --help`); return 2; }
  const sdk = requireSdk('typecheck:device');
  const tmp = await mcconfig(sdk, join(ROOT, 'manifest.json'), 'esp32/esp32s3', 'typecheck', { ROAM_FLASH: '16MB' });
  const modules = join(tmp, 'modules');
  const files = moduleSources(modules).sort();
  const project = join(modules, 'tsconfig-roam-check.json');
  writeFileSync(project, JSON.stringify({ extends: './tsconfig-base.json', compilerOptions: { noEmit: true, sourceMap: false }, files }, null, 2));
  const r = await run('tsc', ['-p', project], sdk.env);
  const roamFiles = files.filter((f) => f.startsWith(ROOT)).length;
  if (r.code !== 0) {
    console.error(r.out.trim());
    console.error(`typecheck:device: tsc found errors in the device build's modules (${files.length} checked)`);
    return 1;
  }
  console.log(`typecheck:device: ${files.length} modules (${roamFiles} of roam's) pass tsc with mcconfig's configuration (SDK ${process.env.MODDABLE})`);
  return 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e: Error) => {
  console.error(`typecheck:device: ${e.message}`);
  process.exit(1);
});
