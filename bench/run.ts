// npm run bench [-- --quick] [-- --only NAME]: runs every bench/*.bench.ts and
// writes bench/results.json as a list of { name, value, unit }.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Bench, Figure } from './figure.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;

const files = readdirSync(here).filter((f) => f.endsWith('.bench.ts') && (!only || f.startsWith(only))).sort();
if (files.length === 0) {
  console.error(only ? `no benchmark matches --only ${only}` : 'no benchmarks found');
  process.exit(1);
}
const figures: Figure[] = [];
for (const file of files) {
  const bench = (await import(pathToFileURL(join(here, file)).href)).default as Bench;
  const t0 = Date.now();
  console.log(`# ${file}`);
  const out = await bench({ quick, log: (line) => console.log(`  ${line}`) });
  for (const f of out) console.log(`  ${f.name} = ${f.value} ${f.unit}`);
  figures.push(...out);
  console.log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
// A partial run (--only) replaces its own figures and keeps the others.
const resultsFile = join(here, 'results.json');
const fresh = new Set(figures.map((f) => f.name));
const kept = only && existsSync(resultsFile)
  ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as Figure[]).filter((f) => !fresh.has(f.name))
  : [];
writeFileSync(resultsFile, `${JSON.stringify([...kept, ...figures], null, 2)}\n`);
console.log(`${figures.length} figures written to bench/results.json${kept.length ? ` (${kept.length} kept from earlier runs)` : ''}`);
