// npm start -- --dump DIR: each charger's flash and NVS as the device holds
// them, read by the technician CLI as a technician would (roam inspect, roam
// lookup), and by an NVS reader.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main as roam } from '../../host-sim/cli/main.js';
import { readNvs } from '../../host-sim/cli/nvs.js';
import { UsageError } from '../../host-sim/sim/args.js';
import { CHARGER_PARTITIONS } from '../../host-sim/sim/charger.js';
import { prepareDumpDir } from '../../host-sim/sim/dump.js';
import { runSite, type SiteSummary } from '../../host-sim/sim/site.js';
import { ROOT } from '../../host-sim/xs/bundle.js';

async function cli(...args: string[]) {
  const out: string[] = [];
  const code = await roam(args, (s) => { out.push(s); }, (s) => { out.push(s); });
  return { code, out: out.join('\n') };
}

describe('npm start --dump', () => {
  const dir = mkdtempSync(join(tmpdir(), 'roam-dump-'));
  let s: SiteSummary;
  beforeAll(async () => {
    s = await runSite({ chargers: 2, tokens: 200, outageHours: 4, seed: 5, dump: dir, log: () => {} });
  });

  it('writes one directory per charger: every flash region at its size and nvs.bin', () => {
    expect(s.dumped).toEqual([join(dir, 'site1-cp1'), join(dir, 'site1-cp2')]);
    for (const d of s.dumped) {
      expect(readdirSync(d).sort()).toEqual([...Object.keys(CHARGER_PARTITIONS).map((n) => `${n}.bin`), 'nvs.bin'].sort());
      for (const [name, size] of Object.entries(CHARGER_PARTITIONS)) expect(statSync(join(d, `${name}.bin`)).size).toBe(size);
    }
  });

  it('nvs.bin holds the provisioned identity in namespace roam, as the device reads it', () => {
    const ns = readNvs(new Uint8Array(readFileSync(join(dir, 'site1-cp1', 'nvs.bin')))).get('roam')!;
    expect(ns.get('deviceId')).toBe('site1-cp1');
    expect(ns.get('siteId')).toBe('site1');
    expect((ns.get('devicePub') as Uint8Array).length).toBe(65);
    expect((ns.get('backendKey') as Uint8Array)[0]).toBe(4);
    expect(ns.get('uidOrder')).toBe('msb');
  });

  it('roam inspect reads it: the list in force (v2, after the day\'s differential) verifies and every check passes', async () => {
    const r = await cli('inspect', s.dumped[0]);
    expect(r.out).toMatch(/in force: version 2\b/);
    expect(r.out).toMatch(/signature: ok/);
    expect(r.code).toBe(0);
  });

  it('roam lookup answers from it: a member accepted offline, the card blocked at 08:00 refused', async () => {
    const member = await cli('lookup', s.cards.member, '--dump', s.dumped[0]);
    expect(member.code).toBe(0);
    expect(member.out).toMatch(/ACCEPT/);
    const blocked = await cli('lookup', s.cards.blocked, '--dump', s.dumped[1]);
    expect(blocked.code).toBe(0);
    expect(blocked.out).toMatch(/REFUSE/);
    expect(blocked.out).toMatch(/valid=false/);
  });
});

describe('npm start --dump: a directory that cannot be written', () => {
  it('is refused before the run', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'roam-dump-')), 'a-file');
    writeFileSync(file, 'x');
    expect(() => prepareDumpDir(join(file, 'sub'))).toThrow(UsageError);
    expect(() => prepareDumpDir(join(file, 'sub'))).toThrow(/^--dump must be a directory that can be created and written: .*a-file\/sub: ENOTDIR$/);
  });

  it('npm start says so in one line, exit 2, and runs nothing', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'roam-dump-')), 'a-file');
    writeFileSync(file, 'x');
    const r = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'host-sim/sim/main.ts'), '--dump', file], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^npm start: --dump must be a directory that can be created and written: .*a-file: EEXIST \(npm start -- --help\)\n$/);
    expect(r.stdout).toBe('');
  });
});
