// The backend service pulls its partners and keeps the pull cursor across a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateOcpiTokens } from '../../host-sim/backend/index.js';
import { startEmspSim } from '../../host-sim/backend/ocpi/emsp-sim.js';
import { startBackend, type BackendConfig } from '../../host-sim/backend/service.js';

const dir = mkdtempSync(join(tmpdir(), 'roam-service-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('backend service', () => {
  it('pull() takes every partner with a sender; after a restart the next pull starts at the last date_to', async () => {
    const sim = await startEmspSim({ credentialsToken: 'cpo-to-sem', tokens: generateOcpiTokens({ countryCode: 'US', partyId: 'SEM', count: 120, seed: 3, lastUpdated: '2026-03-01T00:00:00Z' }), maxPage: 50 });
    try {
      const config: BackendConfig = {
        db: join(dir, 'b.sqlite'), broker: 'mqtt://127.0.0.1:9', site: 'garage', settleMs: 20,
        partners: [{ countryCode: 'US', partyId: 'SEM', credentialsToken: 'sem-to-cpo', tokensUrl: sim.tokensUrl, outgoingToken: 'cpo-to-sem' }, { countryCode: 'US', partyId: 'BLK', credentialsToken: 'blk-to-cpo' }],
      };
      let svc = await startBackend(config);
      const first = await svc.pull();
      expect(Object.keys(first)).toEqual(['US/SEM']); // BLK has no sender to pull
      expect(first['US/SEM']).toMatchObject({ pages: 3, received: 120, applied: { created: 120 } });
      svc.feed.publishNow();
      expect(svc.list.current!.tokens).toBeGreaterThan(100);
      const version = svc.list.current!.version;
      await svc.close();

      svc = await startBackend(config);
      expect(svc.list.current!.version).toBe(version); // the list in force came back, not compiled again
      expect(svc.tokens.size).toBe(120);
      const second = await svc.pull();
      expect(second['US/SEM']).toMatchObject({ received: 0, dateFrom: (first['US/SEM'] as { dateTo: string }).dateTo });
      expect(sim.gets.at(-1)).toContain('date_from=');
      await svc.close();
    } finally {
      await sim.close();
    }
  });
});
