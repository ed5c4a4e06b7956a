// npm run backend: --help, one-line errors and exit codes (0 help/stopped, 1 refused database, 2 bad input).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackendDb } from '../../host-sim/backend/db.js';
import { SiteList } from '../../host-sim/backend/site-list.js';
import { NodeSigner, nodeCrypto } from '../../host-sim/hal/index.js';
import { toHex } from '../../src/codec/index.js';

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

  it('a database whose key rotations do not chain: exit 1, one line, the database unchanged', () => {
    const dir = mkdtempSync(join(tmpdir(), 'roam-backend-cli-'));
    try {
      const K1 = new NodeSigner();
      const path = join(dir, 'b.sqlite');
      const db = new BackendDb(path);
      db.secret('site:garage', () => K1.exportPrivateKey());
      const site = new SiteList(K1, nodeCrypto, () => 0);
      site.persistTo(db, 'garage');
      site.rotateKey(new NodeSigner());
      db.db.prepare('UPDATE rotations SET bytes = ? WHERE seq = 1').run(Buffer.from(site.rotation(1)!.map((b, i) => (i === 12 ? b ^ 1 : b))));
      const rows = () => JSON.stringify(db.db.prepare('SELECT * FROM rotations').raw().all());
      const was = rows();
      db.close();
      const config = join(dir, 'backend.json');
      writeFileSync(config, JSON.stringify({ db: path, broker: 'mqtt://127.0.0.1:9', site: 'garage', siteKey: toHex(K1.exportPrivateKey()), partners: [{ countryCode: 'US', partyId: 'SEM', credentialsToken: 'sem-credentials' }] }));
      const r = run('--config', config);
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/site garage: the key rotations in the database do not chain: rotation 1 does not open with key 0/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      const again = new BackendDb(path);
      expect(JSON.stringify(again.db.prepare('SELECT * FROM rotations').raw().all())).toBe(was);
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
