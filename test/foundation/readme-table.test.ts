// bench/readme-table.ts: the README's benchmark table comes from bench/results.json.
import { describe, expect, it } from 'vitest';
import { table, withTable } from '../../bench/readme-table.js';

describe('README benchmark table', () => {
  it('writes each target from the named figures, and says which are missing', () => {
    const t = table([
      { name: 'tokens.bytes_per_token.1m', value: 5.675, unit: 'B' },
      { name: 'auth.tap_decision_xs_units.1000000.hit', value: 2649, unit: 'units' },
      { name: 'auth.tap_decision_xs_units.1000.hit', value: 2351, unit: 'units' },
    ]);
    expect(t).toContain('| 1,000,000 tokens at ≤ 6 B each, exact | `tokens.bytes_per_token.1m` | 5.68 B');
    // 2,649 against 2,351: 13 % apart; the miss figures are absent and named.
    expect(t).toContain('2,649 / ? at 1M');
    expect(t).toContain('13 % / ? apart');
    expect(t).toContain('missing: auth.tap_decision_xs_units.1000000.miss, auth.tap_decision_xs_units.1000.miss');
    expect(t).toContain('| `fleet.chargers`, `fleet.records_lost` | not in bench/results.json');
  });

  it('replaces the table and nothing else', () => {
    const readme = 'intro\n\n| target (brief §5) | figure | measured |\n|---|---|---|\n| old | `x` | 1 |\n\nThe text after.\n';
    const out = withTable(readme, '| target | figure | measured |\n|---|---|---|\n| new | `y` | 2 |');
    expect(out).toBe('intro\n\n| target | figure | measured |\n|---|---|---|\n| new | `y` | 2 |\n\nThe text after.\n');
    expect(() => withTable('no table here\n', 'x')).toThrow(/no benchmark table/);
  });
});
