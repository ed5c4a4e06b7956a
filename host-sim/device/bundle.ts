// Bundles the device test app's test code (scenarios, fixtures, @noble/curves,
// the portable test doubles, the device checks) into ONE module for mcconfig,
// while every import of roam's own code (src/, hal/) stays an import of the
// module roam's manifest built: `src/tokens/index.ts` → `roam/src/tokens/index`,
// `hal/moddable/crypto.ts` → `roam/hal/moddable/crypto`. cbor-x and fflate stay
// the manifest's `cbor-x/encode`, `cbor-x/decode` and `fflate`. So what runs on
// mcsim is the code mcconfig compiled and linked from hal/moddable/manifest.json,
// never a second copy of it inside the bundle.
import { build, type Metafile, type Plugin } from 'esbuild';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { noNode, ROOT } from '../xs/bundle.js';

export const ROAM_MANIFEST = join(ROOT, 'hal', 'moddable', 'manifest.json');

/** Packages the manifest maps under their own names; test code must import these, not the package root. */
export const PACKAGE_MODULES = ['cbor-x/encode', 'cbor-x/decode', 'fflate'];

interface Manifest {
  include?: string | string[];
  modules?: Record<string, string | string[]>;
  platforms?: Record<string, Manifest>;
}

const SOURCE = /\.(ts|js|mjs)$/;

/**
 * The module names roam's includable manifest gives the lin platform: its
 * modules (wildcards expanded as mcconfig does, one module per source file),
 * those of the manifests it includes by relative path, and its `lin` section.
 */
export function linModuleNames(manifestPath = ROAM_MANIFEST, platform = 'lin'): Set<string> {
  const names = new Set<string>();
  const visit = (path: string) => {
    const m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
    const dir = dirname(path);
    const parts = [m, m.platforms?.[platform]].filter((p): p is Manifest => p !== undefined);
    for (const part of parts) {
      for (const inc of ([] as string[]).concat(part.include ?? [])) if (inc.startsWith('.')) visit(resolve(dir, inc));
      for (const [name, value] of Object.entries(part.modules ?? {})) {
        if (name === '*' || typeof value !== 'string') continue;
        if (!name.endsWith('/*')) { names.add(name); continue; }
        if (!value.endsWith('/*') || value.includes('$(')) continue;
        const folder = resolve(dir, value.slice(0, -2));
        for (const f of readdirSync(folder)) {
          if (SOURCE.test(f) && !f.endsWith('.d.ts') && statSync(join(folder, f)).isFile()) names.add(`${name.slice(0, -1)}${f.replace(SOURCE, '')}`);
        }
      }
    }
  };
  visit(manifestPath);
  return names;
}

/** `/…/roam/src/tokens/index.js` → `roam/src/tokens/index`; undefined outside src/ and hal/. */
export function roamModuleName(file: string, root = ROOT): string | undefined {
  const rel = relative(root, file).split(sep).join('/');
  if (!/^(src|hal)\//.test(rel)) return undefined;
  return `roam/${rel.replace(SOURCE, '')}`;
}

/**
 * The esbuild plugin: imports of roam's code become externals named as roam's
 * manifest names them (an error if the lin manifest has no such module, e.g. a
 * device-only part); cbor-x and fflate become the manifest's own modules.
 */
export function roamExternals(modules: Set<string> = linModuleNames(), root = ROOT): Plugin {
  return {
    name: 'roam-externals',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (PACKAGE_MODULES.includes(args.path)) return { path: args.path, external: true };
        if (args.path === 'cbor-x' || args.path.startsWith('fflate/'))
          return { errors: [{ text: `${args.path} imported by ${args.importer}: import ${PACKAGE_MODULES.join(', ')} (the names roam's manifest maps)` }] };
        if (!args.path.startsWith('.') && !isAbsolute(args.path)) return undefined;
        const file = resolve(args.resolveDir, args.path);
        const name = roamModuleName(file, root);
        if (!name) return undefined;
        const base = file.replace(SOURCE, '');
        if (!['.ts', '.js'].some((e) => existsSync(base + e)))
          return { errors: [{ text: `${args.path} imported by ${args.importer}: no such file` }] };
        if (!modules.has(name))
          return { errors: [{ text: `${args.path} imported by ${args.importer}: roam's manifest has no module ${name} on the lin platform (a device-only part: flash, SPI, GPIO, the Roam class)` }] };
        return { path: name, external: true };
      });
    },
  };
}

export interface DeviceBundle {
  code: string;
  metafile: Metafile;
}

/** One ES module for XS (es2020: class fields lowered, as host-sim/xs/bundle.ts explains). */
export async function bundleForDevice(entrySource: string): Promise<DeviceBundle> {
  const result = await build({
    stdin: { contents: entrySource, resolveDir: ROOT, loader: 'ts', sourcefile: 'roam-device-tests.ts' },
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2020',
    legalComments: 'none',
    logLevel: 'silent',
    metafile: true,
    plugins: [roamExternals(), noNode],
  });
  return { code: result.outputFiles[0].text, metafile: result.metafile };
}

/** What a bundled (not roam) file stands for on mcsim, when a scenario reaches it. */
const SIMULATED: Array<[RegExp, string]> = [
  [/^host-sim\/mfrc522\/sim\.ts$/, 'reader chip=simulated MFRC522 (host-sim/mfrc522/sim.ts) behind roam/hal/moddable/mfrc522 (mcsim has no embedded:io/spi)'],
  [/^host-sim\/broker\/memory-bus\.ts$/, "MQTT=the scenario's in-memory bus (MemoryBus); the real mqtt module runs in the mqtt-roundtrip check"],
  [/^node_modules\/@noble\/curves\//, 'signatures made in the scenario=@noble/curves (the backend\'s or a test signer, bundled as on Node)'],
];

/**
 * Per scenario file: the roam/hal/moddable modules its code imports itself and
 * the simulated parts it reaches, from the bundle's import graph.
 */
export function scenarioNotes(metafile: Metafile, scenarioFile: string): string[] {
  const start = relative(ROOT, scenarioFile).split(sep).join('/');
  const seen = new Set<string>();
  const external = new Set<string>();
  const stack = [start];
  while (stack.length) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const imp of metafile.inputs[f]?.imports ?? []) {
      if (imp.external) external.add(imp.path);
      else stack.push(imp.path);
    }
  }
  const notes: string[] = [];
  const hal = [...external].filter((m) => m.startsWith('roam/hal/moddable/')).sort();
  if (hal.length) notes.push(`also through hal/moddable=${hal.join(',')}`);
  for (const [re, note] of SIMULATED) if ([...seen].some((f) => re.test(f))) notes.push(note);
  return notes;
}
