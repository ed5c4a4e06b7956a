// npm run bench [-- --quick] [-- --only NAME]: runs every bench/*.bench.ts and
// writes bench/results.json as a list of { name, value, unit }.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Progress } from '../host-sim/progress.js';
import type { Bench, Figure } from './figure.js';

const HELP = `usage: npm run bench [-- --quick] [-- --only NAME]

Runs every bench/*.bench.ts (about a minute; --quick: the small sizes only)
and writes bench/results.json, a list of { name, value, unit }. XS figures are
the XS engine's meter: exact and repeatable. On a terminal a progress line
(files done/total, time left) is drawn; never in CI or a pipe.

  --only NAME   the files whose name starts with NAME (bench/NAME*.bench.ts,
                e.g. tokens); their figures replace their own in results.json,
                the others are kept
  --quick       small sizes only

exit codes: 0 figures written; 2 bad input (an option, or --only matching no file).`;

const here = dirname(fileURLToPath(import.meta.url));
let values: { quick?: boolean; only?: string; help?: boolean };
try {
  ({ values } = parseArgs({ options: { quick: { type: 'boolean' }, only: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
} catch (e) {
  console.error(`npm run bench: ${(e as Error).message} (npm run bench -- --help)`);
  process.exit(2);
}
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const { quick = false, only } = values;

const files = readdirSync(here).filter((f) => f.endsWith('.bench.ts') && (!only || f.startsWith(only))).sort();
if (files.length === 0) {
  console.error(only ? `npm run bench: no benchmark matches --only ${only}` : 'npm run bench: no benchmarks found');
  process.exit(2);
}
const figures: Figure[] = [];
const bar = new Progress('bench', files.length, { unit: 'files' });
for (const [i, file] of files.entries()) {
  const bench = (await import(pathToFileURL(join(here, file)).href)).default as Bench;
  const t0 = Date.now();
  bar.update(i, `running ${file}`);
  bar.print(`# ${file}`);
  const out = await bench({ quick, log: (line) => bar.print(`  ${line}`) });
  for (const f of out) bar.print(`  ${f.name} = ${f.value} ${f.unit}`);
  figures.push(...out);
  bar.print(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
bar.end();
// A partial run (--only) replaces its own figures and keeps the others.
const resultsFile = join(here, 'results.json');
const fresh = new Set(figures.map((f) => f.name));
const kept = only && existsSync(resultsFile)
  ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as Figure[]).filter((f) => !fresh.has(f.name))
  : [];
writeFileSync(resultsFile, `${JSON.stringify([...kept, ...figures], null, 2)}\n`);
console.log(`${figures.length} figures written to bench/results.json${kept.length ? ` (${kept.length} kept from earlier runs)` : ''}`);
