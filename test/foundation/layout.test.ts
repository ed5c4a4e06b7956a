import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../host-sim/xs/bundle.js';

// src/ is the portable core: it must run unchanged on XS, so it may import only
// other src/ files, the hal/ interfaces (not hal/moddable), and portable packages.
const PORTABLE_PACKAGES = new Set(['cbor-x', 'fflate']);

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? tsFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier a file imports or re-exports, static or dynamic. */
export function importsOf(source: string): string[] {
  const specs: string[] = [];
  const patterns = [/\bfrom\s+['"]([^'"]+)['"]/g, /\bimport\s+['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const re of patterns) for (const m of source.matchAll(re)) specs.push(m[1]);
  return specs;
}

export function violations(file: string, source: string): string[] {
  const bad: string[] = [];
  for (const spec of importsOf(source)) {
    if (spec.startsWith('.')) {
      const target = relative(ROOT, resolve(dirname(file), spec));
      const inSrc = target.startsWith(`src/`);
      const halInterface = target.startsWith('hal/') && !target.slice(4).includes('/');
      if (!inSrc && !halInterface) bad.push(`${relative(ROOT, file)} imports ${spec} (outside src/ and the hal/ interfaces)`);
    } else {
      const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (!PORTABLE_PACKAGES.has(pkg)) bad.push(`${relative(ROOT, file)} imports ${spec} (not a portable package)`);
    }
  }
  return bad;
}

describe('layout', () => {
  it('has the design card top level', () => {
    for (const entry of ['package.json', 'manifest.json', 'tsconfig.json', 'src', 'hal', 'host-sim', 'test', 'README.md', '.ci/run'])
      expect(() => statSync(join(ROOT, entry)), entry).not.toThrow();
  });

  it('src/ imports only src/, hal/ interfaces and portable packages', () => {
    const files = tsFiles(join(ROOT, 'src'));
    expect(files.length).toBeGreaterThan(0);
    const bad = files.flatMap((f) => violations(f, readFileSync(f, 'utf8')));
    expect(bad).toEqual([]);
  });

  it('the check itself catches each kind of forbidden import', () => {
    const file = join(ROOT, 'src', 'x', 'y.ts');
    expect(violations(file, `import { readFileSync } from 'node:fs';`)).toHaveLength(1);
    expect(violations(file, `import Flash from "flash";`)).toHaveLength(1);
    expect(violations(file, `import { X } from '../../hal/moddable/flash.js';`)).toHaveLength(1);
    expect(violations(file, `import { Y } from '../../host-sim/hal/index.js';`)).toHaveLength(1);
    expect(violations(file, `const m = await import('mqtt');`)).toHaveLength(1);
    expect(violations(file, `import { FlashRegion } from '../../hal/flash.js';\nimport { encode } from 'cbor-x';\nexport * from './z.js';`)).toEqual([]);
  });
});
