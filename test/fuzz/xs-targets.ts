// Fuzz targets whose property runs inside roam's XS engine: native code built
// into it (hal/moddable/*.c) against the portable JavaScript on the same
// inputs. A case needs the engine, so these run batch by batch through one
// XS session instead of fast-check's synchronous loop (test/fuzz/targets.ts).
import { hostPlatform } from '../../host-sim/hal/index.js';
import { XsSession } from '../../host-sim/xs/session.js';
import type { FuzzResult } from './targets.js';

export interface XsFuzzTarget {
  name: string;
  about: string;
  /** Random cases at most, whatever --cases says. */
  maxCases: number;
  run(cases: number, seed: number, onProgress?: (done: number) => void): Promise<FuzzResult>;
}

const BATCH = 250;

const SEARCH_ENTRY = `
import { xsPlatform } from './host-sim/xs/xs-platform.ts';
import { compareSearches } from './test/tokens/search-world.ts';
const p = xsPlatform();
(globalThis as any).batch = (seed: number, cases: number, first: number) => {
  if (!p.tokenSearch) throw new Error('this XS engine has no native token search: npm run build:xs');
  return new TextEncoder().encode(JSON.stringify(compareSearches(p.tokenSearch, p.crypto, seed, cases, first))).buffer;
};
`;

const nativeSearch: XsFuzzTarget = {
  name: 'tokens.native-search',
  about: 'the native table search (hal/moddable/token-search.c) answers as the portable one (src/tokens/table.ts): every uid kind, prefixes, directories, grouped and text entries, on intact and damaged images, hits, near misses, misses and uids past ASCII',
  maxCases: 20_000,
  async run(cases, seed, onProgress) {
    const r: FuzzResult = { name: this.name, cases: 0, accepted: 0, rejected: 0, largestAccepted: 0, ms: 0, seed };
    const start = performance.now();
    const xs = await XsSession.open(SEARCH_ENTRY, hostPlatform({}));
    try {
      const total = Math.min(cases, this.maxCases);
      for (let first = 0; first < total && !r.failure; first += BATCH) {
        const n = Math.min(BATCH, total - first);
        const b = JSON.parse(new TextDecoder().decode((await xs.eval(`batch(${seed >>> 0}, ${n}, ${first})`)).result));
        r.cases += b.cases;
        r.accepted += b.opened;
        r.rejected += b.refused;
        r.largestAccepted = Math.max(r.largestAccepted, b.largestImage);
        if (b.failure) r.failure = `${b.failure}\n  replay: --only ${this.name} --seed ${seed} (case ${b.failure.match(/case (\d+)/)?.[1] ?? '?'})`;
        onProgress?.(r.cases);
      }
    } finally {
      xs.close();
    }
    r.ms = performance.now() - start;
    return r;
  },
};

export const XS_TARGETS: XsFuzzTarget[] = [nativeSearch];
