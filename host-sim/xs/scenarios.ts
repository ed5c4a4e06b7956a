import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario } from '../../test/scenarios/scenario.js';
import { hostPlatform } from '../hal/index.js';
import { serveBridge } from './bridge-host.js';
import { ROOT, bundleForXs } from './bundle.js';
import { XsWorker, type XsMeter } from './worker.js';

export const SCENARIO_DIR = join(ROOT, 'test', 'scenarios');

export function scenarioFiles(): string[] {
  return readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.scenario.ts')).sort().map((f) => join(SCENARIO_DIR, f));
}

export async function loadScenario(file: string): Promise<Scenario> {
  return (await import(file)).default as Scenario;
}

export async function runOnNode(file: string): Promise<Uint8Array> {
  const s = await loadScenario(file);
  return s.run(hostPlatform(s.partitions, s.seed));
}

/** How an XS entry builds the scenario's platform: its imports, the expression, a check after the run. */
export interface PlatformSetup {
  imports: string;
  platform: string;
  afterRun?: string;
}

const BRIDGED: PlatformSetup = { imports: `import { xsPlatform } from './host-sim/xs/xs-platform.ts';`, platform: 'xsPlatform()' };

/** The XS entry: defines __start / __result around one scenario module. */
export function scenarioEntry(file: string, setup: PlatformSetup = BRIDGED): string {
  return `
${setup.imports}
import scenario from ${JSON.stringify(file)};
const g = globalThis as any;
g.__start = () => {
  g.__done = false; g.__err = undefined;
  Promise.resolve().then(() => scenario.run(${setup.platform})).then(
    (r: Uint8Array) => { ${setup.afterRun ?? ''} g.__out = r; g.__done = true; },
    (e: any) => { g.__err = String((e && e.stack) || e); g.__done = true; });
};
g.__result = () => {
  if (g.__err) throw new Error(g.__err);
  if (!g.__done) throw new Error('scenario did not finish on XS');
  const r = g.__out as Uint8Array;
  return r.buffer.slice(r.byteOffset, r.byteOffset + r.byteLength);
};`;
}

export interface XsRun { output: Uint8Array; meter: XsMeter; bundleBytes: number }

/** Runs a scenario inside a fresh XS machine, its HAL served by a fresh host platform. */
export async function runOnXs(file: string): Promise<XsRun> {
  const s = await loadScenario(file);
  const code = await bundleForXs(scenarioEntry(file));
  return runScenarioCode(code, new XsWorker(serveBridge(hostPlatform(s.partitions, s.seed))));
}

/** Evaluates a bundled scenario entry on `xs`, then `inspect` (if any) on the same machine; closes it. */
export async function runScenarioCode<T = undefined>(code: string, xs: XsWorker, inspect?: (xs: XsWorker) => Promise<T>): Promise<XsRun & { inspected?: T }> {
  try {
    await xs.evaluate(code);
    const start = await xs.evaluate('__start()');
    const end = await xs.evaluate('__result()');
    return {
      output: end.result,
      meter: {
        compute: start.meter.compute + end.meter.compute,
        allocate: end.meter.allocate,
        peakHeapBytes: Math.max(start.meter.peakHeapBytes, end.meter.peakHeapBytes),
        currentHeapCount: end.meter.currentHeapCount,
        startHeapBytes: start.meter.startHeapBytes,
      },
      bundleBytes: code.length,
      inspected: inspect ? await inspect(xs) : undefined,
    };
  } finally {
    xs.close();
  }
}
