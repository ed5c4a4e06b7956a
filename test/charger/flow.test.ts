import { describe, expect, it } from 'vitest';
import { Rig, DEVICE } from './rig.js';

// The whole path through src/charger: a tap decides and starts a session, the
// cable ends it, the record is journaled, signed in the background, uploaded
// and acknowledged; the backend verifies signature and chain.
describe('Charger: tap → session → record → upload', () => {
  it('a member charges; the backend stores one verified record with the session facts', async () => {
    const r = new Rig();
    r.run();
    expect(r.charger.status().listVersion).toBe(r.site.current!.version);
    const uid = r.member(0);
    const d = await r.charger.tap(uid, 1);
    expect(d).toMatchObject({ accept: true, action: 'start', uid });
    r.meter.deliver(1, 1_000); // before the cable: not part of the session
    r.charger.plugIn(1);
    r.charger.startCharging(1);
    expect(r.charger.status().connectors[0]).toMatchObject({ connector: 1, state: 'charging', uid });
    r.platform.clock.advance(40 * 60_000);
    r.meter.deliver(1, 4_800);
    const seq = r.charger.unplug(1);
    expect(seq).toBe(1);
    expect(r.charger.status().connectors[0].state).toBe('idle');
    r.run();
    const report = r.backend.records.report(DEVICE);
    expect(report).toMatchObject({ stored: 1, verified: 1, gaps: [], problems: [] });
    const rec = r.backend.records.records(DEVICE)[0].verified!.record;
    expect(rec).toMatchObject({ seq: 1, uid, evseId: 'US*TST*E1*1', meterStartWh: 1_000, meterStopWh: 5_800, energyWh: 4_800, stopReason: 'EVDisconnected', offline: false });
    expect(rec.partner).toMatchObject({ countryCode: 'US', partyId: 'BLK' });
    expect(r.charger.journal.ackedSeq).toBe(1);
  });

  it('the same card stops its session by a second tap (Local); another card is refused', async () => {
    const r = new Rig({ online: false });
    const [a, b] = [r.member(0), r.member(1)];
    expect((await r.charger.tap(a, 2)).accept).toBe(true);
    r.charger.plugIn(2);
    expect(await r.charger.tap(b, 2)).toMatchObject({ accept: false, status: 'Invalid' });
    expect(await r.charger.tap(a, 1)).toMatchObject({ accept: false, status: 'ConcurrentTx' });
    r.platform.clock.advance(5_000); // the driver comes back after the re-tap window
    expect(await r.charger.tap(a, 2)).toMatchObject({ accept: true, action: 'stop' });
    expect(r.records().map((x) => [x.seq, x.uid, x.stopReason, x.evseId])).toEqual([[1, a, 'Local', 'US*TST*E1*2']]);
  });

  it('a master pass stops another card\'s session and the record says so; it starts none', async () => {
    const r = new Rig({ online: false, auth: { masterPassGroupId: 'SITE-MASTER' } });
    const a = r.member(0);
    expect(r.charger.applyLocalList({ listVersion: 1, updateType: 'Full', localAuthorizationList: [{ idTag: 'AABBCCDD', idTagInfo: { status: 'Accepted', groupId: 'SITE-MASTER' } }] })).toBe('Accepted');
    expect(await r.charger.tap('AABBCCDD', 2)).toMatchObject({ accept: false, action: 'none' });
    expect((await r.charger.tap(a, 1)).accept).toBe(true);
    r.charger.plugIn(1);
    expect(await r.charger.tap('AABBCCDD', 1)).toMatchObject({ accept: true, action: 'stop', stopBy: 'master' });
    expect(r.records().map((x) => [x.uid, x.stopReason])).toEqual([[a, 'MasterPass']]);
  });

  it('a card waiting for the backend on two connectors starts one session, not two (ConcurrentTx)', async () => {
    const r = new Rig();
    const x = '04AABBCCDDEE01'; // unknown to the table: the backend decides
    r.backend.overrides.set(x, 'Accepted');
    const first = r.charger.tap(x, 1);
    const second = r.charger.tap(x, 2);
    r.run();
    expect(await first).toMatchObject({ accept: true, action: 'start' });
    expect(await second).toMatchObject({ accept: false, status: 'ConcurrentTx' });
    expect(r.charger.status().connectors.map((c) => c.state)).toEqual(['authorized', 'idle']);
  });

  it('a late answer that would stop a session does not stop the one that took its connector', async () => {
    const r = new Rig({ auth: { masterPassGroupId: 'M' } });
    const master = '04AABBCCDDEE02'; // an app account: not in the device table, known to the backend with group M
    const base = r.members[0];
    r.site.publish([{ countryCode: 'US', partyId: 'BLK', allowedUsesTable: true, tokens: [...r.site.current!.partners[0].tokens, { ...base, uid: master, type: 'APP_USER', group_id: 'M', contract_id: 'US-BLK-M' }] }]);
    r.run();
    const [a, c] = [r.member(0), r.member(1)];
    expect((await r.charger.tap(a, 1)).action).toBe('start');
    r.charger.plugIn(1);
    const late = r.charger.tap(master, 1); // asks the backend about its group
    r.charger.unplug(1); // meanwhile A leaves and C starts on the same connector
    expect((await r.charger.tap(c, 1)).action).toBe('start');
    r.charger.plugIn(1);
    r.run();
    expect(await late).toMatchObject({ accept: false, action: 'none' });
    expect(r.charger.status().connectors[0]).toMatchObject({ uid: c, state: 'plugged' });
    const stored = r.backend.records.records(DEVICE).map((x) => [x.verified!.record.uid, x.verified!.record.stopReason]);
    expect(stored).toEqual([[a, 'EVDisconnected']]);
  });

  it('raw reader bytes go through the reader configuration', async () => {
    const r = new Rig({ online: false, extra: { reader: { input: 'bytes', reversed: true } } });
    const uid = r.member(2);
    const raw = Uint8Array.from(uid.match(/../g)!.map((h) => parseInt(h, 16))).reverse();
    const d = await r.charger.tap({ reader: 'front', uid: raw }, 1);
    expect(d).toMatchObject({ accept: true, uid });
  });

  it('an authorization nobody plugs in for lapses without a record', async () => {
    const r = new Rig({ online: false, extra: { connectionTimeoutMs: 30_000 } });
    expect((await r.charger.tap(r.member(0), 1)).accept).toBe(true);
    r.platform.clock.advance(31_000);
    expect(r.charger.status().connectors[0].state).toBe('idle');
    expect(r.charger.journal.lastSeq).toBe(0);
    expect((await r.charger.tap(r.member(0), 1)).action).toBe('start'); // the card is free again
  });

  it('the unknown-id cap counts sessions in progress from the one session table', async () => {
    const r = new Rig({ online: false, auth: { allowOfflineTxForUnknownId: true, unknownMaxSessions: 1 } });
    expect(await r.charger.tap('04AA000000000A', 1)).toMatchObject({ accept: true, unknownOffline: true });
    r.charger.plugIn(1);
    expect(await r.charger.tap('04AA000000000B', 2)).toMatchObject({ accept: false, status: 'Unknown' });
    r.charger.unplug(1); // that session ends: room for one again
    expect(await r.charger.tap('04AA000000000B', 2)).toMatchObject({ accept: true, unknownOffline: true });
  });
});
