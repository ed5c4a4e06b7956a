import { AUTH_STATUSES } from '../../src/auth/index.js';
import { cases, expected, label, runCase } from '../auth/decision-table.js';
import type { Scenario } from './scenario.js';

// The whole authorization decision table (test/auth/decision-table.ts) on the
// engine at hand. Output: two bytes per case (status; accept, method, offline,
// checkLater, asked, immediate as bits); any case off its expectation throws.
const scenario: Scenario = {
  name: 'auth-decision-table',
  partitions: {},
  run() {
    const all = cases();
    const out = new Uint8Array(2 * all.length);
    const wrong: string[] = [];
    for (let i = 0; i < all.length; i++) {
      const got = runCase(all[i]);
      const want = expected(all[i]);
      if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push(label(all[i]));
      out[2 * i] = AUTH_STATUSES.indexOf(got.status);
      out[2 * i + 1] = (got.accept ? 1 : 0) | (got.method === 'AUTH_REQUEST' ? 2 : 0) | (got.offline ? 4 : 0)
        | (got.checkLater ? 8 : 0) | (got.asked ? 16 : 0) | (got.immediate ? 32 : 0);
    }
    if (wrong.length > 0) throw new Error(`${wrong.length} decisions off the table: ${wrong.slice(0, 5).join(', ')}`);
    return out;
  },
};
export default scenario;
