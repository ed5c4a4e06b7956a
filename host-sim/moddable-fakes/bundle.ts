// Bundles TypeScript for XS (bundleForXs) with the fake Moddable modules behind
// the names hal/moddable/ imports.
import type { Plugin } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForXs, ROOT } from '../xs/bundle.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Moddable module specifier → its fake in this folder. */
export const MODDABLE_FAKES: Record<string, string> = {
  flash: 'flash.ts',
  preference: 'preference.ts',
  time: 'time.ts',
  timer: 'timer.ts',
  crypt: 'crypt.ts',
  curve: 'curve.ts',
  ec: 'ec.ts',
  ecdsa: 'ecdsa.ts',
  ecp: 'ecp.ts',
  rng: 'rng.ts',
  mqtt: 'mqtt.ts',
  socket: 'socket.ts',
  'embedded:io/spi': 'embedded-io-spi.ts',
  'embedded:io/digital': 'embedded-io-digital.ts',
  'text/encoder': 'text-encoder.ts',
  'text/decoder': 'text-decoder.ts',
  'mc/config': 'mc-config.ts',
};

/** Code that imports Moddable's modules: hal/moddable, the fakes themselves, the example firmware and its simulated board. */
const DEVICE_CODE = [join(ROOT, 'hal', 'moddable'), HERE, join(ROOT, 'examples'), join(ROOT, 'host-sim', 'device', 'example-sim')];

/** hal/moddable/token-search.js, as hal/moddable imports it or as a firmware names it. */
const NATIVE_SEARCH = join(ROOT, 'hal', 'moddable', 'token-search.js');
const isNativeSearch = (path: string, resolveDir: string) =>
  path === 'roam/hal/moddable/token-search' || (path.startsWith('.') && join(resolveDir, path) === NATIVE_SEARCH);

const moddableFakes: Plugin = {
  name: 'moddable-fakes',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      const fake = MODDABLE_FAKES[args.path];
      // Only the device code's imports are redirected: the npm `mqtt` stays what it is elsewhere.
      if (fake && DEVICE_CODE.some((d) => args.importer.includes(d))) return { path: join(HERE, fake) };
      // roam's own host function (XS `@` syntax, which esbuild cannot read): the worker's copy of the C.
      if (isNativeSearch(args.path, args.resolveDir)) return { path: join(HERE, 'token-search.ts') };
      // A firmware names roam's modules as roam's manifest maps them.
      if (args.path.startsWith('roam/')) return { path: join(ROOT, `${args.path.slice(5)}.ts`) };
      return undefined;
    });
  },
};

/** Like bundleForXs, with `flash`, `preference`, `time`, … resolved to the fakes. */
export function bundleWithModdableFakes(entrySource: string): Promise<string> {
  return bundleForXs(entrySource, { plugins: [moddableFakes] });
}
