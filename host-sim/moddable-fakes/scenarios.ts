// Runs a shared scenario (test/scenarios/*.scenario.ts) inside the XS engine on
// the hal/moddable platform: ModdableFlash over the fake `flash`, moddableCrypto
// over the fake `crypt`/`ecdsa`/`curve`/`ecp`, globals from the fake
// `text/*`. The scenario's clock and random source stay the host's portable
// VirtualClock and SeededRandom (same seed as the Node run), so outputs can match.
import { loadScenario, runScenarioCode, scenarioEntry, type PlatformSetup } from '../xs/scenarios.js';
import { XsWorker, type XsMeter } from '../xs/worker.js';
import { bundleWithModdableFakes } from './bundle.js';

export function moddableScenarioEntry(file: string, partitions: Record<string, number>, seed: number): string {
  const setup: PlatformSetup = {
    imports: `
import { device } from './host-sim/moddable-fakes/device.ts';
import { installTextGlobals } from './hal/moddable/globals.ts';
installTextGlobals();
import { moddablePlatform, ModdableFlash } from './hal/moddable/platform.ts';
import { VirtualClock } from './host-sim/hal/virtual-clock.ts';
import { SeededRandom } from './host-sim/hal/seeded-random.ts';
device.configure({ partitions: ${JSON.stringify(partitions)} });
const device_ = moddablePlatform('roam');
const platform = {
  clock: new VirtualClock(),
  random: new SeededRandom(${seed}),
  crypto: device_.crypto,
  flash: (name: string) => device_.flash(name),
};`,
    platform: 'platform',
    afterRun: 'device.checkMaps();',
  };
  return `${scenarioEntry(file, setup)}
// What the run used: proof that flash went through ModdableFlash on the fake.
g.__regions = () => JSON.stringify([...device.partitions.values()].map((p) => [p.name, p.mapped !== undefined, p.cells.some((b) => b !== 0xff)]));
g.__isModdable = () => platform.flash === undefined ? false : (Object.keys(${JSON.stringify(partitions)}).length === 0 || device_.flash(Object.keys(${JSON.stringify(partitions)})[0]) instanceof ModdableFlash);
`;
}

export interface ModdableXsRun { output: Uint8Array; meter: XsMeter; regions: Array<[string, boolean, boolean]>; moddableFlash: boolean }

export async function runOnModdableXs(file: string): Promise<ModdableXsRun> {
  const s = await loadScenario(file);
  const code = await bundleWithModdableFakes(moddableScenarioEntry(file, s.partitions, s.seed ?? 1));
  const run = await runScenarioCode(code, new XsWorker(), async (xs) => {
    const text = (expr: string) => xs.evaluate(`(() => { const s = ${expr}; return new TextEncoder().encode(String(s)).buffer; })()`).then((r) => new TextDecoder().decode(r.result));
    return { regions: JSON.parse(await text('__regions()')) as Array<[string, boolean, boolean]>, moddableFlash: (await text('__isModdable()')) === 'true' };
  });
  return { output: run.output, meter: run.meter, ...run.inspected! };
}
