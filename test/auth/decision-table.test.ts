import { describe, expect, it } from 'vitest';
import { cases, CONNECTIVITY, expected, label, POLICIES, runCase } from './decision-table.js';

// Every combination, against the expectation written from the rules.
describe('decision table: class × valid × connectivity × list/cache × policy', () => {
  const all = cases();
  it('covers every combination', () => expect(all.length).toBe(POLICIES.length * CONNECTIVITY.length * 6 * 11));
  for (const policy of POLICIES)
    for (const conn of CONNECTIVITY)
      it(`${policy} / ${conn}`, () => {
        const mismatches: string[] = [];
        for (const c of all.filter((x) => x.policy === policy && x.conn === conn)) {
          const got = runCase(c);
          const want = expected(c);
          if (JSON.stringify(got) !== JSON.stringify(want))
            mismatches.push(`${label(c)}\n   got  ${JSON.stringify(got)}\n   want ${JSON.stringify(want)}`);
        }
        expect(mismatches.join('\n')).toBe('');
      });
});
