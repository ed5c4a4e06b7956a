import { describe, expect, it } from 'vitest';
import { XsSession } from '../../host-sim/xs/session.js';
import { hostPlatform } from '../../host-sim/hal/index.js';

// The native token search (hal/moddable/token-search.c), built into roam's XS
// engine as into the firmware, against the portable search of src/tokens/table.ts
// on the same images: every shape the compiler makes, intact and damaged.
const ENTRY = `
import { xsPlatform } from './host-sim/xs/xs-platform.ts';
import { compareSearches } from './test/tokens/search-world.ts';
const g = globalThis as any;
const p = xsPlatform();
g.hasNative = () => p.tokenSearch !== undefined && xsPlatform({ native: false }).tokenSearch === undefined;
g.compare = (seed: number, cases: number) => new TextEncoder().encode(JSON.stringify(compareSearches(p.tokenSearch!, p.crypto, seed, cases))).buffer;
`;

describe('native token search', () => {
  it('is built into the XS engine the tests run', async () => {
    const xs = await XsSession.open(ENTRY, hostPlatform({}));
    try {
      expect(new TextDecoder().decode((await xs.eval('new TextEncoder().encode(String(hasNative())).buffer')).result)).toBe('true');
    } finally {
      xs.close();
    }
  });

  it('answers as the portable search on intact and damaged images', async () => {
    const xs = await XsSession.open(ENTRY, hostPlatform({}));
    try {
      const report = JSON.parse(new TextDecoder().decode((await xs.eval('compare(0x51ab, 250)')).result));
      expect(report.failure, report.failure).toBeUndefined();
      expect(report.cases).toBe(250);
      // Both sides were exercised: images opened and refused, hits and misses, uids left to the portable search.
      expect(report.opened).toBeGreaterThan(60);
      expect(report.refused).toBeGreaterThan(10);
      expect(report.hits).toBeGreaterThan(500);
      expect(report.lookups - report.hits).toBeGreaterThan(500);
      expect(report.undecided).toBeGreaterThan(60);
    } finally {
      xs.close();
    }
  }, 120_000);
});
