import { runOnXs, scenarioFiles } from '../host-sim/xs/scenarios.js';
import { bundleForXs } from '../host-sim/xs/bundle.js';
import type { Bench } from './figure.js';

// The foundation's figures: the size of src/ bundled for XS, and what the first
// shared scenario costs there.
const bench: Bench = async () => {
  const src = await bundleForXs(`export * from './src/index.ts';`, { format: 'esm', minify: true });
  const first = scenarioFiles().find((f) => f.endsWith('record-roundtrip.scenario.ts'))!;
  const run = await runOnXs(first);
  return [
    { name: 'xs.bundle_src_bytes', value: src.length, unit: 'bytes (minified ESM)' },
    { name: 'xs.scenario.record_roundtrip_units', value: run.meter.compute, unit: 'XS units' },
    { name: 'xs.scenario.record_roundtrip_peak_bytes', value: run.meter.peakHeapBytes, unit: 'bytes' },
  ];
};
export default bench;
