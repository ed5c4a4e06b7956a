import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { runOnNode, runOnXs, SCENARIO_DIR } from '../../host-sim/xs/scenarios.js';
import { toHex } from '../../src/codec/index.js';

// The decision table inside the XS engine gives the same decisions as on Node
// (test/xs runs every shared scenario too; this runs just the auth one).
describe('decision table on XS', () => {
  it('matches Node byte for byte and its expectation', async () => {
    const file = join(SCENARIO_DIR, 'auth-decision-table.scenario.ts');
    const node = await runOnNode(file);
    const xs = await runOnXs(file);
    expect(node.length).toBe(2 * 1980);
    expect(toHex(xs.output)).toBe(toHex(node));
  });
});
