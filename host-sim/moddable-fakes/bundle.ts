// Bundles TypeScript for XS with the fake Moddable modules behind the names
// hal/moddable/ imports. Same esbuild settings as host-sim/xs/bundle.ts
// (bundleForXs: es2020, neutral platform, no Node built-ins) plus an alias
// plugin; host-sim/xs/ is left as it is.
import { build, type Plugin } from 'esbuild';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from '../xs/bundle.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Moddable module specifier → its fake in this folder. */
export const MODDABLE_FAKES: Record<string, string> = {
  flash: 'flash.ts',
  preference: 'preference.ts',
  time: 'time.ts',
  timer: 'timer.ts',
  crypt: 'crypt.ts',
  curve: 'curve.ts',
  ecdsa: 'ecdsa.ts',
  ecp: 'ecp.ts',
  rng: 'rng.ts',
  mqtt: 'mqtt.ts',
  'embedded:io/spi': 'embedded-io-spi.ts',
  'embedded:io/digital': 'embedded-io-digital.ts',
  'text/encoder': 'text-encoder.ts',
  'text/decoder': 'text-decoder.ts',
  'mc/config': 'mc-config.ts',
};

const moddableFakes: Plugin = {
  name: 'moddable-fakes',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      const fake = MODDABLE_FAKES[args.path];
      // Only the device code's imports are redirected: the npm `mqtt` stays what it is elsewhere.
      if (fake && args.importer.includes(`${join(ROOT, 'hal', 'moddable')}`)) return { path: join(HERE, fake) };
      if (fake && args.importer.includes(HERE)) return { path: join(HERE, fake) };
      const bare = args.path.replace(/^node:/, '');
      if (args.path.startsWith('node:') || builtinModules.includes(bare))
        return { errors: [{ text: `${args.path} imported by ${args.importer}: Node built-ins do not exist on XS` }] };
      return undefined;
    });
  },
};

/** Like bundleForXs, with `flash`, `preference`, `time`, … resolved to the fakes. */
export async function bundleWithModdableFakes(entrySource: string): Promise<string> {
  const result = await build({
    stdin: { contents: entrySource, resolveDir: ROOT, loader: 'ts', sourcefile: 'xs-moddable-entry.ts' },
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2020',
    minify: false,
    legalComments: 'none',
    logLevel: 'silent',
    plugins: [moddableFakes],
  });
  return result.outputFiles[0].text;
}
