// npx tsx bench/readme-table.ts [--check]: writes README.md's benchmark table
// (the table under "| target | figure | measured |") from bench/results.json.
// A figure missing from the results says so in its row. --check: exit 1 if
// the README differs from what the results give (nothing written).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Figure } from './figure.js';

const here = dirname(fileURLToPath(import.meta.url));
const README = join(here, '..', 'README.md');
const RESULTS = join(here, 'results.json');
const HEADER = '| target | figure | measured |';

type Get = (name: string) => number | undefined;
interface Row { target: string; figures: string[]; measured: (get: Get) => string }

const n = (v: number | undefined, digits = 0) =>
  v === undefined ? '?' : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const pct = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? '?' : `${Math.round((Math.abs(a - b) / Math.min(a, b)) * 100)} %`);

const ROWS: Row[] = [
  {
    target: '1,000,000 tokens at ≤ 6 B each, exact',
    figures: ['tokens.bytes_per_token.1m'],
    measured: (g) => `${n(g('tokens.bytes_per_token.1m'), 2)} B (signed image, all included)`,
  },
  {
    target: 'tap decision ≤ 3,000 XS units at 1M, hit and miss, flat from 1k (≤ 20 % apart)',
    figures: ['auth.tap_decision_xs_units.1000000.hit', 'auth.tap_decision_xs_units.1000000.miss', 'auth.tap_decision_xs_units.1000.hit', 'auth.tap_decision_xs_units.1000.miss', 'tokens.overlay_tap_xs_units.hit.1m', 'tokens.overlay_tap_xs_units.miss.1m'],
    measured: (g) => {
      const [h1m, m1m, h1k, m1k] = ['1000000.hit', '1000000.miss', '1000.hit', '1000.miss'].map((k) => g(`auth.tap_decision_xs_units.${k}`));
      return `${n(h1m)} / ${n(m1m)} at 1M (hit / miss, max), ${n(h1k)} / ${n(m1k)} at 1k: ${pct(h1m, h1k)} / ${pct(m1m, m1k)} apart;` +
        ` with a cache entry weighed against the table (\`.hit_cached\`): ${n(g('auth.tap_decision_xs_units.1000000.hit_cached'))} at 1M;` +
        ` with the overlay at its bound: ${n(g('tokens.overlay_tap_xs_units.hit.1m'))} / ${n(g('tokens.overlay_tap_xs_units.miss.1m'))} / ${n(g('tokens.overlay_tap_xs_units.absent.1m'))} at 1M (in the overlay / table only / neither)`;
    },
  },
  {
    target: 'token store boot ≤ 50,000 XS units at 1M, empty overlay',
    figures: ['peer.roam.boot_xs_units.1m'],
    measured: (g) => `${n(g('peer.roam.boot_xs_units.1m'))} (${n(g('peer.roam.boot_xs_units.48'))} at 48 tokens)`,
  },
  {
    target: 'lookup worst ≤ 2× an in-RAM sorted array (MicroOcpp\'s local list) where that fits a 157 KB heap; heap flat',
    figures: ['peer.ratio.lookup_worst.48', 'peer.ratio.lookup_worst.1k', 'peer.ratio.lookup_worst.10k', 'peer.roam.heap_bytes.48', 'peer.roam.heap_bytes.1m'],
    measured: (g) => `${n(g('peer.roam.lookup_worst.48'))} vs ${n(g('peer.array.lookup_worst.48'))} at 48 (${n(g('peer.ratio.lookup_worst.48'), 2)}×),` +
      ` ${n(g('peer.roam.lookup_worst.1k'))} vs ${n(g('peer.array.lookup_worst.1k'))} at 1k (${n(g('peer.ratio.lookup_worst.1k'), 2)}×),` +
      ` ${n(g('peer.roam.lookup_worst.10k'))} vs ${n(g('peer.array.lookup_worst.10k'))} at 10k (${n(g('peer.ratio.lookup_worst.10k'), 2)}×), with the native search` +
      ` (portable search alone: ${n(g('peer.roam.portable_lookup_worst.48'))} and ${n(g('peer.roam.portable_lookup_worst.1k'))}); medians` +
      ` ${n(g('peer.ratio.lookup_median.48'), 2)}× / ${n(g('peer.ratio.lookup_median.1k'), 2)}×; roam's heap ${n(g('peer.roam.heap_bytes.48'))} B at 48,` +
      ` ${n(g('peer.roam.heap_bytes.1m'))} B at 1M; the array's ${n(g('peer.array.heap_bytes.1k'))} B at 1k, ${n(g('peer.array.heap_bytes.10k'))} B at 10k` +
      ` (over 157 KB from ${['48', '1k', '10k', '100k'].find((k) => g(`peer.array.fits_157kb.${k}`) === 0) ?? '?'})`,
  },
  {
    target: 'full apply of 1M ≤ 2,000,000 units, ≤ 64 KB peak',
    figures: ['tokens.full_apply_xs_units.1m', 'tokens.full_apply_xs_peak_bytes.1m'],
    measured: (g) => `${n(g('tokens.full_apply_xs_units.1m'))} units; ${n(g('tokens.full_apply_xs_peak_bytes.1m'))} B live peak (each chunk read back from flash into the image's SHA-256, erase skip, resume records)`,
  },
  {
    target: 'recovery of a full 1 MiB journal ≤ 2,000,000 units, ≤ 32 KB peak',
    figures: ['journal.recovery_xs_units', 'journal.recovery_xs_peak_bytes'],
    measured: (g) => `${n(g('journal.recovery_xs_units'))} units; ${n(g('journal.recovery_xs_peak_bytes'))} B peak`,
  },
  {
    target: '≥ 5,000 signed records per MiB',
    figures: ['journal.records_per_mib'],
    measured: (g) => n(g('journal.records_per_mib')),
  },
  {
    target: 'power cut at every write of a day',
    figures: ['journal.torture_cut_runs', 'journal.torture_problems'],
    measured: (g) => `${n(g('journal.torture_cut_runs'))} cuts, ${n(g('journal.torture_problems'))} lost / duplicated / unbootable`,
  },
  {
    target: '≥ 1,000 chargers through mosquitto, 0 lost',
    figures: ['fleet.chargers', 'fleet.records_lost'],
    measured: (g) => `${n(g('fleet.chargers'))}, ${n(g('fleet.records_lost'))} (15,000 reached by hand, backend as 2 worker processes: \`npm run fleet -- --chargers 15000\`, [backend](docs/backend.md#figures))`,
  },
];

export function table(results: Figure[]): string {
  const values = new Map(results.map((f) => [f.name, f.value]));
  const lines = [HEADER, '|---|---|---|'];
  for (const row of ROWS) {
    const missing = row.figures.filter((f) => !values.has(f));
    const measured = missing.length === row.figures.length ? 'not in bench/results.json: `npm run bench`' : row.measured((name) => values.get(name));
    lines.push(`| ${row.target} | ${row.figures.map((f) => `\`${f}\``).join(', ')} | ${measured}${missing.length && missing.length < row.figures.length ? ` (missing: ${missing.join(', ')})` : ''} |`);
  }
  return lines.join('\n');
}

/** README with its benchmark table (the header line and the table rows after it) replaced. */
export function withTable(readme: string, fresh: string): string {
  const lines = readme.split('\n');
  const start = lines.findIndex((l) => l.startsWith('| target'));
  if (start < 0) throw new Error(`README.md has no benchmark table (a line starting "| target")`);
  let end = start;
  while (end < lines.length && lines[end].startsWith('|')) end++;
  return [...lines.slice(0, start), fresh, ...lines.slice(end)].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  let results: Figure[];
  try {
    results = JSON.parse(readFileSync(RESULTS, 'utf8')) as Figure[];
  } catch (e) {
    console.error(`readme-table: cannot read ${RESULTS}: ${(e as Error).message} (run npm run bench first)`);
    process.exit(2);
  }
  const readme = readFileSync(README, 'utf8');
  const next = withTable(readme, table(results));
  if (process.argv.includes('--check')) {
    if (next !== readme) {
      console.error('readme-table: README.md\'s benchmark table differs from bench/results.json');
      process.exit(1);
    }
    console.log('readme-table: README.md matches bench/results.json');
  } else {
    writeFileSync(README, next);
    console.log(`readme-table: ${ROWS.length} rows written to README.md from ${results.length} figures`);
  }
}
