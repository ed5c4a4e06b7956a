// npm run backend: --help, one-line errors and exit codes (0 help/stopped, 2 bad input).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'host-sim/backend/main.ts', ...args], { encoding: 'utf8', timeout: 60_000 });

describe('npm run backend', () => {
  it('--help exits 0; missing or bad input exits 2 with one line and no stack trace', () => {
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Exit codes: 0 stopped/);
    const dir = mkdtempSync(join(tmpdir(), 'roam-backend-cli-'));
    try {
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify({ db: join(dir, 'x.sqlite'), broker: 'http://nope', site: 'a', partners: [] }));
      const notJson = join(dir, 'not.json');
      writeFileSync(notJson, '{');
      for (const [args, text] of [[[], /--config FILE is required/], [['--config', bad], /broker must be an MQTT URL/], [['--config', notJson], /cannot read/], [['--config', join(dir, 'none.json')], /cannot read/]] as [string[], RegExp][]) {
        const r = run(...args);
        expect(r.status, args.join(' ')).toBe(2);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(text);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
