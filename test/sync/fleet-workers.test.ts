// The fleet at 1,000 chargers through mosquitto, the backend as two worker
// processes on an MQTT shared subscription: every record stored once and
// verified (the union of the workers' databases, checked again), none lost.
import { describe, expect, it } from 'vitest';
import { runFleet } from '../../host-sim/sim/fleet.js';

describe('fleet with backend workers', () => {
  it('1,000 chargers, 2 workers on $share: 0 lost, 0 duplicated, every record verified', async () => {
    const r = await runFleet({ chargers: 1000, sessions: 3, tokens: 200, workers: 2, log: () => {}, limitSeconds: 400 });
    expect(r.connected).toBe(1000);
    expect(r.listsApplied).toBe(1000);
    expect(r.recordsExpected).toBe(3000);
    expect(r.recordsStored).toBe(3000);
    expect(r.recordsVerified).toBe(3000);
    expect([r.recordsLost, r.recordsDuplicated, r.problems]).toEqual([0, 0, 0]);
    expect(r.workers).toBe(2);
    expect(r.backendCpuMs).toBeGreaterThan(0); // the workers did the verifying, and said so at exit
    // A shared subscription hands each message to one member of the group: both workers took batches, and
    // together no more than the chargers sent (plain subscriptions would give every worker every batch).
    expect(r.workerBatches).toHaveLength(2);
    expect(Math.min(...r.workerBatches)).toBeGreaterThan(0);
    expect(r.workerBatches[0] + r.workerBatches[1]).toBeLessThanOrEqual(r.batchesSent);
  });
});
