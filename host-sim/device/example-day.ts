// test:device's second app: the example charger firmware (examples/charger)
// on mcsim through host-sim/device/example-sim, playing the scripted day; its
// trace compared line by line with the Node simulator's prediction.
import { build, type Plugin } from 'esbuild';
import { join } from 'node:path';
import { noNode, ROOT } from '../xs/bundle.js';
import { linModuleNames, roamExternals } from './bundle.js';

export const EXAMPLE_SIM = join(ROOT, 'host-sim', 'device', 'example-sim');

/** Moddable modules mcsim has for real: the board bundle imports them as they are. */
const NATIVE = ['preference', 'timer'];

/** The fake `timer` of host-sim/moddable-fakes runs only when a test advances it: on mcsim the real one runs. */
const realModules: Plugin = {
  name: 'mcsim-natives',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (NATIVE.includes(args.path)) return { path: args.path, external: true };
      if (args.path === './timer.js' && args.importer.includes(join('host-sim', 'moddable-fakes'))) return { path: 'timer', external: true };
      return undefined;
    });
  },
};

/** board.ts as one module (`roam-sim-board`), roam's own modules left to the manifest. */
export async function bundleBoard(): Promise<string> {
  const r = await build({
    entryPoints: [join(EXAMPLE_SIM, 'board.ts')],
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2020',
    legalComments: 'none',
    logLevel: 'silent',
    plugins: [realModules, roamExternals(linModuleNames()), noNode],
  });
  return r.outputFiles[0].text;
}

/** The lines the comparison is about: the day's steps and roam's log. */
export function dayTrace(lines: string[]): string[] {
  return lines.filter((l) => /^(@day (?!done$|end$|error )|roam: )/.test(l));
}

export interface DayComparison {
  ok: boolean;
  /** The first line where they part, when they do. */
  firstDifference?: { line: number; node?: string; device?: string };
  finished: boolean;
  error?: string;
}

export function compareDay(predicted: string[], deviceLines: string[]): DayComparison {
  const finished = deviceLines.includes('@day end');
  const error = deviceLines.find((l) => l.startsWith('@day error ') || l.startsWith('XS abort'));
  const got = dayTrace(deviceLines);
  const want = dayTrace(predicted);
  const n = Math.max(got.length, want.length);
  for (let i = 0; i < n; i++) {
    if (got[i] !== want[i]) return { ok: false, firstDifference: { line: i + 1, node: want[i], device: got[i] }, finished, error };
  }
  return { ok: finished && !error && deviceLines.includes('@day done'), finished, error };
}
