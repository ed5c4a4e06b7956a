import { describe, expect, it } from 'vitest';
import { cases, CONNECTIVITY, expectation, label, POLICIES, runCase, SPEC, type Rule } from './decision-table.js';

// Every combination, against the expectation written from the spec sentences (SPEC).
describe('decision table: class × valid × connectivity × list/cache × policy', () => {
  const all = cases();
  it('covers every combination', () => expect(all.length).toBe(POLICIES.length * CONNECTIVITY.length * 6 * 11));
  for (const policy of POLICIES)
    for (const conn of CONNECTIVITY)
      it(`${policy} / ${conn}`, () => {
        const mismatches: string[] = [];
        for (const c of all.filter((x) => x.policy === policy && x.conn === conn)) {
          const got = runCase(c);
          const want = expectation(c);
          if (JSON.stringify(got) !== JSON.stringify(want.outcome))
            mismatches.push(`${label(c)}\n   got  ${JSON.stringify(got)}\n   want ${JSON.stringify(want.outcome)}\n   by   ${want.rules.join('; ')}`);
        }
        expect(mismatches.join('\n')).toBe('');
      });

  it('every sentence in SPEC decides some case, and every case cites at least one', () => {
    const used = new Set<Rule>();
    for (const c of all) {
      const { rules } = expectation(c);
      expect(rules.length, label(c)).toBeGreaterThan(0);
      for (const r of rules) used.add(r);
    }
    expect([...Object.keys(SPEC)].filter((r) => !used.has(r as Rule))).toEqual([]);
  });
});
