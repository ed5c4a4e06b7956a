import { build, type Plugin } from 'esbuild';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// Anything a device lacks fails the bundle instead of failing later on XS.
export const noNode: Plugin = {
  name: 'no-node-builtins',
  setup(b) {
    const builtins = new Set(builtinModules);
    b.onResolve({ filter: /.*/ }, (args) => {
      const bare = args.path.replace(/^node:/, '');
      if (args.path.startsWith('node:') || builtins.has(bare))
        return { errors: [{ text: `${args.path} imported by ${args.importer}: Node built-ins do not exist on XS` }] };
      return undefined;
    });
  },
};

export interface BundleOptions {
  /** 'iife' for xsnap-worker scripts; 'esm' for the module a device build would load. */
  format?: 'iife' | 'esm';
  minify?: boolean;
  /** Resolvers tried before the built-in one, e.g. to alias Moddable modules to host fakes. */
  plugins?: Plugin[];
}

/**
 * Bundles TypeScript for XS: no Node built-ins; class fields lowered (es2020)
 * because XS 13.3 mishandles a static field that constructs its own class.
 */
export async function bundleForXs(entrySource: string, options: BundleOptions = {}): Promise<string> {
  const result = await build({
    stdin: { contents: entrySource, resolveDir: ROOT, loader: 'ts', sourcefile: 'xs-entry.ts' },
    bundle: true,
    write: false,
    format: options.format ?? 'iife',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2020',
    minify: options.minify ?? false,
    legalComments: 'none',
    logLevel: 'silent',
    plugins: [...(options.plugins ?? []), noNode],
  });
  return result.outputFiles[0].text;
}
