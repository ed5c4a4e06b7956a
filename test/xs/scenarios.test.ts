import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/codec/index.js';
import { runOnNode, runOnXs, scenarioFiles } from '../../host-sim/xs/scenarios.js';
import { basename } from 'node:path';

// Same code, same answers: every shared scenario runs on Node and inside the
// XS engine, and their outputs must match byte for byte.
describe('shared scenarios on Node and XS', () => {
  const files = scenarioFiles();
  it('finds the scenarios', () => expect(files.length).toBeGreaterThan(0));
  for (const file of files) {
    it(basename(file, '.scenario.ts'), async () => {
      const node = await runOnNode(file);
      const xs = await runOnXs(file);
      expect(node.length).toBeGreaterThan(0);
      expect(xs.meter.compute).toBeGreaterThan(0);
      expect(toHex(xs.output)).toBe(toHex(node));
    });
  }
});
