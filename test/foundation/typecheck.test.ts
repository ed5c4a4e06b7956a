import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../host-sim/xs/bundle.js';
import { findSdk } from '../../host-sim/device/sdk.js';

// vitest strips types without checking them: tsc does, for the portable core
// and the host (tsconfig.json), and for everything the device links with the
// configuration mcconfig generates from the pinned SDK's own typings (the
// authoritative check; it needs $MODDABLE, which .ci/run sets).
function run(args: string[]): string {
  try {
    execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
    return '';
  } catch (e) {
    return String((e as { stdout?: string }).stdout || e) + String((e as { stderr?: string }).stderr ?? '');
  }
}

describe('type checks', () => {
  it('src/, hal/, host-sim/, test/ and bench/ pass tsc', () => {
    expect(run([join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit'])).toBe('');
  });
  it.skipIf(!findSdk())('every module of the device build passes tsc with mcconfig\'s configuration (SDK typings + roam-device.d.ts)', () => {
    expect(run([join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'host-sim/device/typecheck-device.ts'])).toBe('');
  });
});
