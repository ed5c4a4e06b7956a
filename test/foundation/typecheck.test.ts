import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../host-sim/xs/bundle.js';

// vitest strips types without checking them: tsc does, for the portable core
// and the host (tsconfig.json) and for the device code against @moddable/typings.
function tsc(project: string): string {
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', project, '--noEmit'], { cwd: ROOT, encoding: 'utf8' });
    return '';
  } catch (e) {
    return String((e as { stdout?: string }).stdout || e);
  }
}

describe('type checks', () => {
  it('src/, hal/, host-sim/, test/ and bench/ pass tsc', () => {
    expect(tsc('tsconfig.json')).toBe('');
  });
  it('hal/moddable passes tsc against @moddable/typings', () => {
    const project = join(ROOT, 'hal/moddable/tsconfig.json');
    expect(existsSync(project), 'hal/moddable/tsconfig.json').toBe(true);
    expect(tsc(project)).toBe('');
  });
});
