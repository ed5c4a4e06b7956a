import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../host-sim/xs/bundle.js';

// The includable manifest against the tree: a module added to src/ or hal/
// must be mapped and preloaded (a preloaded module is code and objects in
// flash; one loaded at run time costs XS heap), and the manifest claims no
// generic module names. `npm run build:device` proves it links.
const HAL = join(ROOT, 'hal', 'moddable');
const read = (f: string) => JSON.parse(readFileSync(join(HAL, f), 'utf8'));
const roam = read('manifest.json');
const esp32 = read('manifest_esp32.json');
const link = read('manifest_link.json');
const modules: Record<string, string | string[]> = { ...link.modules, ...roam.modules, ...esp32.modules };
const preload = new Set<string>([...link.preload, ...roam.preload, ...esp32.preload]);
const tsModules = (dir: string) => readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => f.slice(0, -3));

describe('hal/moddable/manifest.json (the includable manifest)', () => {
  it('maps every module of src/ and hal/ under roam/ and names each in preload', () => {
    const expected: string[] = [];
    for (const dir of readdirSync(join(ROOT, 'src'), { withFileTypes: true })) {
      if (dir.isDirectory()) {
        expect(modules[`roam/src/${dir.name}/*`], `src/${dir.name}/ is mapped`).toBe(`../../src/${dir.name}/*`);
        expected.push(...tsModules(`src/${dir.name}`).map((m) => `roam/src/${dir.name}/${m}`));
      }
    }
    expected.push(...tsModules('src').map((m) => `roam/src/${m}`), ...tsModules('hal').map((m) => `roam/hal/${m}`));
    // hal/moddable: everything but the standalone app's main is mapped one by one.
    for (const m of tsModules('hal/moddable').filter((m) => m !== 'main')) {
      expect(modules[`roam/hal/moddable/${m}`], `hal/moddable/${m}.ts is mapped`).toBe(`./${m}`);
      expected.push(`roam/hal/moddable/${m}`);
    }
    expect(expected.filter((m) => !preload.has(m)), 'modules not preloaded').toEqual([]);
  });

  it('preloads only modules that exist, and link-names before anything else', () => {
    const roamNames = [...preload].filter((p) => p.startsWith('roam/'));
    for (const name of roamNames) {
      // TypeScript, or JavaScript where a module declares host functions (XS's `@` syntax) with its C beside it.
      const base = name.replace(/^roam\//, '');
      const js = existsSync(join(ROOT, `${base}.js`)) && existsSync(join(ROOT, `${base}.c`));
      expect(existsSync(join(ROOT, `${base}.ts`)) || js, `${name} → ${base}.ts, or ${base}.js with ${base}.c`).toBe(true);
    }
    expect(roam.include[0]).toBe('./manifest_link.json');
  });

  it('claims no generic module names: roam/…, the packages by their export names, or SDK modules from $(MODULES)', () => {
    for (const [name, source] of Object.entries(modules)) {
      const sources = Array.isArray(source) ? source : [source];
      const ok = name.startsWith('roam/') || ['cbor-x/encode', 'cbor-x/decode', 'fflate'].includes(name)
        || sources.every((s) => s.startsWith('$(MODULES)/'));
      expect(ok, `${name}: ${sources.join(', ')}`).toBe(true);
    }
  });

  it('imposes no creation, strip or main on the firmware that includes it', () => {
    for (const m of [roam, esp32, link]) {
      expect(m.creation).toBeUndefined();
      expect(m.strip).toBeUndefined();
    }
  });
});
