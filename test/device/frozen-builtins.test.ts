import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleWithModdableFakes } from '../../host-sim/moddable-fakes/bundle.js';
import { ROOT } from '../../host-sim/xs/bundle.js';
import { XsWorker } from '../../host-sim/xs/worker.js';

// On a device the XS linker freezes the built-ins (Error.prototype among them)
// when it preloads roam. Assigning a property a frozen prototype holds then
// throws in strict code ("the override mistake"): `this.name = 'FlashError'`
// in an Error subclass threw "TypeError: set name: not writable" on mcsim
// (npm run test:device) instead of building the error, so every refusal of
// roam (TokenUpdateError, SyncDecodeError, SettingsError, …) became a TypeError.
// Here: XS with its built-ins frozen first, then every module of src/ and hal/
// (hal/moddable over the fakes), and every Error subclass they export built.

function modules(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return dir === join(ROOT, 'hal') && f !== 'moddable' ? [] : modules(p);
    return f.endsWith('.ts') && !f.endsWith('.d.ts') && !['main.ts', 'link-names.ts'].includes(f) ? [p] : [];
  });
}

const FREEZE = `
(() => {
  const seen = new Set();
  const freeze = (v) => {
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null || seen.has(v)) return;
    seen.add(v);
    Object.freeze(v);
    for (const k of Reflect.ownKeys(v)) {
      const d = Object.getOwnPropertyDescriptor(v, k);
      if (d && 'value' in d) freeze(d.value);
    }
    freeze(Object.getPrototypeOf(v));
  };
  for (const k of Object.getOwnPropertyNames(globalThis)) {
    if (k === 'globalThis' || !/^[A-Z]/.test(k)) continue;
    freeze(globalThis[k]);
  }
  return new ArrayBuffer(0);
})()`;

describe('roam on XS with the built-ins frozen, as the linker leaves them on a device', () => {
  it('every exported Error subclass of src/ and hal/ can be built, and carries its own name', async () => {
    const files = [...modules(join(ROOT, 'src')), ...modules(join(ROOT, 'hal'))];
    const entry = `
${files.map((f, i) => `import * as m${i} from './${relative(ROOT, f)}';`).join('\n')}
const all = [${files.map((f, i) => `[${JSON.stringify(relative(ROOT, f))}, m${i}]`).join(', ')}];
(globalThis as any).__errors = () => {
  const out: Array<[string, string]> = [];
  for (const [file, m] of all as Array<[string, Record<string, unknown>]>) {
    for (const [k, v] of Object.entries(m)) {
      if (typeof v !== 'function' || !(v.prototype instanceof Error)) continue;
      let name: string;
      try { name = (new (v as any)('a', 'b', 'c', 'd') as Error).name; } catch (e) { name = 'threw ' + String(e); }
      out.push([file + ' ' + k, name]);
    }
  }
  return new TextEncoder().encode(JSON.stringify(out)).buffer;
};`;
    const xs = new XsWorker();
    try {
      await xs.evaluate(FREEZE);
      const frozen = await xs.evaluate(`new TextEncoder().encode(String(Object.isFrozen(Error.prototype))).buffer`);
      expect(new TextDecoder().decode(frozen.result)).toBe('true');
      await xs.evaluate(await bundleWithModdableFakes(entry));
      const got = JSON.parse(new TextDecoder().decode((await xs.evaluate('__errors()')).result)) as Array<[string, string]>;
      expect(got.length).toBeGreaterThanOrEqual(15);
      for (const [where, name] of got) expect(`${where}: ${name}`).toBe(`${where}: ${where.split(' ')[1]}`);
    } finally {
      xs.close();
    }
  });
});
