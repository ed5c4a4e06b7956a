import { describe, expect, it } from 'vitest';
import { Rig } from './rig.js';

// Sessions begun offline are checked with the backend when the link returns
// (post-authorization); its verdict reaches the one session table.
const UNKNOWN = '04AABBCCDDEE01';

describe('Charger: post-authorization after reconnect', () => {
  it('stops an offline session the backend judges Invalid (StopTxOnInvalidId), keeps an accepted one', async () => {
    const r = new Rig({ online: false, auth: { allowOfflineTxForUnknownId: true } });
    const member = r.members.find((t) => t.whitelist === 'ALLOWED_OFFLINE')?.uid ?? r.member(0);
    const unknown = await r.charger.tap(UNKNOWN, 1);
    expect(unknown).toMatchObject({ accept: true, offline: true, checkLater: true, unknownOffline: true });
    const known = await r.charger.tap(member, 2);
    expect(known.accept).toBe(true);
    for (const c of [1, 2]) { r.charger.plugIn(c); r.charger.startCharging(c); r.meter.deliver(c, 900); }
    expect(r.records()).toHaveLength(0);
    r.transport.setOnline(true);
    r.run();
    const recs = r.backend.records.records('cp-test-1').map((x) => x.verified!.record);
    expect(recs.map((x) => [x.uid, x.stopReason, x.offline, x.energyWh])).toEqual([[UNKNOWN, 'DeAuthorized', true, 900]]);
    const st = r.charger.status().connectors;
    expect(st[0].state).toBe('idle');
    expect(st[1]).toMatchObject({ state: 'charging', uid: member });
  });

  it('caps instead when StopTxOnInvalidId is off and MaxEnergyOnInvalidId is set', async () => {
    const r = new Rig({ online: false, auth: { allowOfflineTxForUnknownId: true, stopTxOnInvalidId: false, maxEnergyOnInvalidId: 500 } });
    expect((await r.charger.tap(UNKNOWN, 1)).accept).toBe(true);
    r.charger.plugIn(1);
    r.charger.startCharging(1);
    r.meter.deliver(1, 200);
    r.transport.setOnline(true);
    r.run(20);
    expect(r.charger.status().connectors[0]).toMatchObject({ state: 'charging', capWh: 500 });
    r.meter.deliver(1, 400);
    r.run();
    const recs = r.backend.records.records('cp-test-1').map((x) => x.verified!.record);
    expect(recs.map((x) => [x.uid, x.stopReason, x.energyWh])).toEqual([[UNKNOWN, 'EnergyLimitReached', 600]]);
  });

  it('suspends (open, no energy) when neither applies', async () => {
    const r = new Rig({ online: false, auth: { allowOfflineTxForUnknownId: true, stopTxOnInvalidId: false } });
    expect((await r.charger.tap(UNKNOWN, 1)).accept).toBe(true);
    r.charger.plugIn(1);
    r.charger.startCharging(1);
    expect(r.charger.status().connectors[0].suspended).toBe(false);
    r.transport.setOnline(true);
    r.run(20);
    expect(r.charger.status().connectors[0]).toMatchObject({ state: 'charging', suspended: true });
    r.charger.unplug(1);
    expect(r.charger.status().connectors[0].suspended).toBe(false);
  });

  it('answers reach the authorization cache: an id refused online is refused offline from the cache', async () => {
    const r = new Rig();
    const asked = r.charger.tap(UNKNOWN, 1); // online: waits for the backend
    r.bus.drain();
    r.bus.drain();
    expect(await asked).toMatchObject({ accept: false, status: 'Invalid', offline: false, method: 'AUTH_REQUEST' });
    r.transport.setOnline(false);
    expect(await r.charger.tap(UNKNOWN, 1)).toMatchObject({ accept: false, status: 'Invalid', reason: expect.stringContaining('authorization cache') });
  });
});
