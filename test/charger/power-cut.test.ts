import { describe, expect, it } from 'vitest';
import { PowerCut } from '../../host-sim/hal/index.js';
import { Rig } from './rig.js';

// A session under way survives a power cut as exactly one record: the cut
// mid-session gives one PowerLoss record at the next boot, and a cut at any
// write of the stop gives the stop's record or a PowerLoss one, never both,
// never none, whatever the number of reboots after it.
async function charging(r: Rig, uid: string): Promise<void> {
  expect((await r.charger.tap(uid, 1)).accept).toBe(true);
  r.meter.deliver(1, 250);
  r.charger.plugIn(1);
  r.charger.startCharging(1);
  r.platform.clock.advance(20 * 60_000);
  r.meter.deliver(1, 2_400);
}

describe('Charger: power cuts', () => {
  it('a cut mid-session gives exactly one PowerLoss record, with the energy the meter kept counting', async () => {
    const r = new Rig({ online: false });
    const uid = r.member(0);
    await charging(r, uid);
    r.platform.power.cutAtWrite(1);
    expect(() => r.settings.set('hb', 1)).toThrow(PowerCut); // the device dies at its next write
    r.meter.deliver(1, 100); // charged on until the breaker tripped
    r.platform.clock.advance(5 * 60_000);
    const boot = r.reboot();
    expect(boot.powerLossRecords).toEqual([1]);
    expect(r.records().map((x) => [x.uid, x.stopReason, x.meterStartWh, x.meterStopWh])).toEqual([[uid, 'PowerLoss', 250, 2_750]]);
    expect(r.charger.status().connectors.every((c) => c.state === 'idle')).toBe(true);
    expect(r.reboot().powerLossRecords).toEqual([]);
    expect(r.records()).toHaveLength(1);
  });

  it('a cut at every write of a stop leaves exactly one record of the session', async () => {
    const clean = new Rig({ online: false });
    await charging(clean, clean.member(0));
    const before = clean.platform.power.writes;
    clean.charger.unplug(1);
    const writes = clean.platform.power.writes - before;
    expect(writes).toBeGreaterThanOrEqual(2); // the record, then the NVS delete
    const reasons = new Set<string>();
    for (let n = 1; n <= writes; n++) {
      const r = new Rig({ online: false });
      const uid = r.member(0);
      await charging(r, uid);
      r.platform.power.cutAtWrite(n);
      expect(() => r.charger.unplug(1)).toThrow(PowerCut);
      r.reboot();
      r.reboot(); // and once more: boot is idempotent
      const recs = r.records();
      expect(recs.map((x) => x.uid), `cut at write ${n}`).toEqual([uid]);
      reasons.add(recs[0].stopReason);
    }
    // An early cut loses the stop (PowerLoss at boot); a late one keeps it.
    expect([...reasons].sort()).toEqual(['EVDisconnected', 'PowerLoss']);
  });
});
