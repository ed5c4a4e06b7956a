import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../host-sim/xs/bundle.js';

// hal/moddable/token-search.c is compiled by two compilers: the host's cc (into
// roam's XS engine, for every test here) and ESP-IDF's xtensa gcc (into the
// firmware, not installed on this machine). Where they differ is width: size_t
// and long are 32 bits on the ESP32. So the file must not narrow or change sign
// without saying so: -Wconversion -Wsign-conversion, as errors, against the XS
// headers the worker is built with, with and without the meter.
const require = createRequire(import.meta.url);
const xsnap = dirname(require.resolve('@agoric/xsnap/package.json'));
const FLAGS = [
  '-fsyntax-only', '-std=gnu17', '-Werror', '-Wall', '-Wextra', '-Wconversion', '-Wsign-conversion',
  '-Wshadow', '-Wcast-align', '-Wcast-qual', '-Wno-unused-parameter',
  '-DINCLUDE_XSPLATFORM', '-DXSPLATFORM="xsnapPlatform.h"',
  `-I${join(xsnap, 'moddable', 'xs', 'includes')}`, `-I${join(xsnap, 'moddable', 'xs', 'platforms')}`,
  `-I${join(xsnap, 'moddable', 'xs', 'sources')}`, `-I${join(xsnap, 'xsnap-native', 'xsnap', 'sources')}`,
];

function compile(extra: string[]): string {
  try {
    execFileSync('cc', [...FLAGS, ...extra, join(ROOT, 'hal', 'moddable', 'token-search.c')], { stdio: 'pipe' });
    return '';
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? e);
  }
}

describe('hal/moddable/token-search.c', () => {
  it('compiles with no conversion, sign or alignment warning, as the firmware builds it', () => {
    expect(compile([])).toBe('');
  });
  it('and as roam\'s XS engine builds it (metered)', () => {
    expect(compile(['-DROAM_XS_METER=1'])).toBe('');
  });
});
