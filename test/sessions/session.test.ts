import { describe, expect, it } from 'vitest';
import { FileSettings, SimFlash, SimMeter, VirtualClock } from '../../host-sim/hal/index.js';
import { JournalError, RecordError, SessionError, Sessions, verifyRecord, verifyRecordChain, type Authorization, type SessionsOptions, type SessionRecord } from '../../src/sessions/index.js';
import { EVSE } from './day.js';
import { deviceKey, facts, newFlash, nodeCrypto, openJournal } from './helpers.js';

const card = (uid: string, extra: Partial<Authorization> = {}): Authorization => ({
  accept: true, status: 'Accepted', reason: 'whitelist', method: 'WHITELIST', uid, offline: true,
  partner: { id: 4, countryCode: 'US', partyId: 'BLK' }, ...extra,
});

function rig(options: Partial<SessionsOptions> = {}, journalBytes = 64 * 1024) {
  const flash = newFlash(journalBytes);
  const journal = openJournal(flash);
  const meter = new SimMeter();
  const clock = new VirtualClock(Date.UTC(2026, 4, 5, 8), 'S');
  const settings = new FileSettings();
  const ended: Array<{ connector: number; reason: string; seq?: number }> = [];
  const make = () => new Sessions({ journal, meter, clock, settings, evseIds: EVSE, onEnded: (e) => ended.push(e), ...options });
  const sessions = make();
  const records = (): SessionRecord[] => {
    journal.signPending();
    return verifyRecordChain(journal.readFrom(1, Infinity).map((r) => r.bytes), deviceKey.publicKey, nodeCrypto).records.map((v) => v.record);
  };
  return { flash, journal, meter, clock, settings, sessions, ended, records, make };
}

const code = (f: () => unknown) => { try { f(); return 'none'; } catch (e) { return (e as SessionError).code; } };

describe('sessions', () => {
  it('authorized → plugged → charging → stopped by the same card: one record with the facts', () => {
    const r = rig();
    r.meter.deliver(1, 150_000);
    const t0 = r.clock.wall().ms;
    r.sessions.authorize(1, card('04A2B3C4D5E680', { groupId: 'G1' }));
    expect(r.sessions.session(1)?.state).toBe('authorized');
    r.clock.advance(10_000);
    r.sessions.plugIn(1);
    expect(r.sessions.session(1)?.state).toBe('plugged');
    r.sessions.startCharging(1);
    expect(r.sessions.session(1)?.state).toBe('charging');
    r.meter.deliver(1, 7_321);
    r.clock.advance(3_600_000);
    expect(code(() => r.sessions.stopByCard(1, 'Remote' as never))).toBe('bad-state');
    expect(r.sessions.session(1)?.state).toBe('charging');
    const seq = r.sessions.stopByCard(1, 'Local');
    expect(seq).toBe(1);
    expect(r.sessions.session(1)).toBeUndefined();
    const [rec] = r.records();
    expect(rec).toMatchObject({
      seq: 1, evseId: EVSE[1], uid: '04A2B3C4D5E680', groupId: 'G1', method: 'WHITELIST', offline: true,
      partner: { id: 4, countryCode: 'US', partyId: 'BLK' },
      start: { seconds: Math.floor((t0 + 10_000) / 1000), quality: 'S' },
      stop: { seconds: Math.floor((t0 + 3_610_000) / 1000), quality: 'S' },
      meterStartWh: 150_000, meterStopWh: 157_321, energyWh: 7_321, stopReason: 'Local',
    });
    expect(r.ended).toEqual([{ connector: 1, reason: 'Local', seq: 1 }]);
    expect(r.settings.keys()).toEqual([]); // nothing left open
  });

  it('a card of the same group stops it; cable removal stops it; cable first then card starts at once', () => {
    const r = rig();
    r.sessions.authorize(1, card('AA000001', { groupId: 'FLEET' }));
    r.sessions.plugIn(1);
    expect(r.sessions.stopByCard(1, 'GroupCard')).toBe(1);
    r.sessions.unplug(1);
    r.sessions.plugIn(2); // cable first
    r.sessions.authorize(2, card('AA000003'));
    expect(r.sessions.session(2)?.state).toBe('plugged');
    r.meter.deliver(2, 500);
    expect(r.sessions.unplug(2)).toBe(2);
    expect(r.records().map((x) => [x.stopReason, x.evseId, x.energyWh])).toEqual([['GroupCard', EVSE[1], 0], ['EVDisconnected', EVSE[2], 500]]);
  });

  it('an authorization never followed by a cable expires without a record', () => {
    const r = rig({ connectionTimeoutMs: 45_000 });
    r.sessions.authorize(1, card('AA000001'));
    r.clock.advance(44_999);
    expect(r.sessions.session(1)?.state).toBe('authorized');
    r.clock.advance(1);
    expect(r.sessions.session(1)).toBeUndefined();
    expect(r.ended).toEqual([{ connector: 1, reason: 'ConnectionTimeout' }]);
    expect(r.journal.lastSeq).toBe(0);
    r.sessions.authorize(1, card('AA000001')); // the connector is free again
  });

  it('post-authorization: deauthorize stops the session (StopTxOnInvalidId), limitEnergy caps it (MaxEnergyOnInvalidId)', () => {
    const a = rig();
    a.sessions.authorize(1, card('AA000001'));
    a.sessions.plugIn(1);
    expect(a.sessions.deauthorize(1)).toBe(1);
    expect(a.records()[0].stopReason).toBe('DeAuthorized');

    const b = rig({ capCheckMs: 500 });
    b.sessions.authorize(1, card('AA000001'));
    b.sessions.plugIn(1);
    b.sessions.startCharging(1);
    b.meter.deliver(1, 1500);
    expect(() => b.sessions.limitEnergy(1, -1)).toThrow(/>= 0 Wh/);
    expect(b.sessions.limitEnergy(1, 2000)).toBeUndefined();
    expect(b.sessions.session(1)?.capWh).toBe(2000);
    b.clock.advance(5000);
    expect(b.sessions.session(1)?.state).toBe('charging');
    b.meter.deliver(1, 600);
    b.clock.advance(499);
    expect(b.sessions.session(1)).toBeDefined();
    b.clock.advance(1);
    expect(b.sessions.session(1)).toBeUndefined();
    expect(b.records()[0]).toMatchObject({ stopReason: 'EnergyLimitReached', energyWh: 2100 });
  });

  it('an energy cap given at authorization (unknown id offline) stops the session at the cap', () => {
    const r = rig();
    r.sessions.authorize(2, card('AA000009'), { capWh: 1000 });
    r.sessions.plugIn(2);
    r.sessions.startCharging(2);
    r.meter.deliver(2, 999);
    expect(r.sessions.poll()).toEqual([]);
    r.meter.deliver(2, 1);
    expect(r.sessions.poll()).toEqual([1]);
    expect(r.records()[0].stopReason).toBe('EnergyLimitReached');
  });

  it('a power cut during charging: the boot closes it as PowerLoss with the meter reading', () => {
    const r = rig();
    r.sessions.authorize(1, card('AA000001'));
    r.sessions.plugIn(1);
    r.sessions.startCharging(1);
    r.meter.deliver(1, 4200); // the meter keeps its register through the cut
    r.clock.advance(1_000_000);
    const journal = openJournal(r.flash); // reboot
    const again = new Sessions({ journal, meter: r.meter, clock: r.clock, settings: r.settings, evseIds: EVSE });
    expect(again.boot()).toEqual([1]);
    expect(again.boot()).toEqual([]); // idempotent
    journal.signPending();
    const rec = verifyRecordChain(journal.readFrom(1, Infinity).map((x) => x.bytes), deviceKey.publicKey, nodeCrypto).records[0].record;
    expect(rec).toMatchObject({ stopReason: 'PowerLoss', energyWh: 4200, uid: 'AA000001' });
  });

  it('a record that reached the journal before the cut is not written again at boot', () => {
    const r = rig();
    r.sessions.authorize(1, card('AA000001'));
    r.sessions.plugIn(1);
    const open = r.settings.get('ses.c1');
    r.sessions.unplug(1);
    r.settings.set('ses.c1', open!); // as if the cut fell between the append and forgetting the state
    const journal = openJournal(r.flash);
    const again = new Sessions({ journal, meter: r.meter, clock: r.clock, settings: r.settings, evseIds: EVSE });
    expect(again.boot()).toEqual([]);
    expect(journal.lastSeq).toBe(1);
    expect(r.settings.keys()).toEqual([]);
  });

  it('refuses bad events with typed errors and changes nothing', () => {
    const r = rig();
    expect(code(() => r.sessions.authorize(9, card('AA000001')))).toBe('unknown-connector');
    expect(code(() => r.sessions.authorize(1, card('AA000001', { accept: false, status: 'Blocked' })))).toBe('not-accepted');
    expect(() => r.sessions.authorize(1, card(''))).toThrow(RecordError);
    expect(() => r.sessions.authorize(1, card('AA000001', { method: 'CARD' as never }))).toThrow(RecordError);
    expect(r.sessions.session(1)).toBeUndefined();
    expect(code(() => r.sessions.startCharging(1))).toBe('no-session');
    expect(code(() => r.sessions.stopByCard(1, 'Local'))).toBe('no-session');
    r.sessions.authorize(1, card('AA000001'));
    expect(code(() => r.sessions.authorize(1, card('AA000002')))).toBe('busy');
    expect(code(() => r.sessions.startCharging(1))).toBe('bad-state');
    expect(r.journal.lastSeq).toBe(0);
    expect(r.settings.keys()).toEqual([]);
  });

  it('a full journal refuses new sessions, but sessions under way still get their record', () => {
    const r = rig({}, 8 * 1024);
    r.sessions.authorize(2, card('AA00000F'));
    r.sessions.plugIn(2); // under way before the journal fills
    let n = 0;
    while (r.journal.status !== 'full') {
      r.journal.append(facts(n++));
      r.journal.signPending();
    }
    expect(code(() => r.sessions.authorize(1, card('AA000001')))).toBe('journal-full');
    expect(() => r.journal.append(facts(n))).toThrow(JournalError);
    const seq = r.sessions.unplug(2);
    expect(seq).toBe(n + 1);
    expect(r.records().at(-1)).toMatchObject({ uid: 'AA00000F', stopReason: 'EVDisconnected' });
  });
  it('B6: with more connectors than the default reserve, every transaction a nearly full journal lets start is recorded through a cut', () => {
    const connectors = 23;
    const evseIds = Object.fromEntries(Array.from({ length: connectors }, (_, i) => [i + 1, `US*SEM*E0042*${i + 1}`]));
    const flash = new SimFlash('journal', 32 * 1024, { blockSize: 1024 });
    const journal = openJournal(flash);
    const meter = new SimMeter();
    const clock = new VirtualClock(Date.UTC(2026, 4, 5, 8), 'S');
    const settings = new FileSettings();
    const sessions = new Sessions({ journal, meter, clock, settings, evseIds });
    // Offline all day: the journal fills up to the point where new sessions are refused…
    let n = 0;
    while (journal.status !== 'full') {
      journal.append(facts(n++));
      journal.signPending();
    }
    // …then an upload frees its oldest sector, and a busy moment takes every connector.
    for (let q = 1; journal.status === 'full'; q++) journal.acknowledge(q);
    const started: number[] = [];
    for (let c = 1; c <= connectors; c++) {
      if (code(() => sessions.authorize(c, card(`AA0000${(c + 16).toString(16).toUpperCase()}`))) !== 'none') continue;
      sessions.plugIn(c);
      meter.deliver(c, 1000 + c);
      started.push(c);
    }
    expect(started.length).toBeGreaterThan(4); // more than the journal's default reserve
    clock.advance(600_000);
    const again = openJournal(flash); // power cut, reboot
    const rebooted = new Sessions({ journal: again, meter, clock, settings, evseIds });
    const written = rebooted.boot();
    again.signPending();
    const closed = again.readFrom(1, Infinity).map((r) => verifyRecord(r.bytes, deviceKey.publicKey, nodeCrypto).record).filter((r) => r.stopReason === 'PowerLoss');
    expect(written.length).toBe(started.length);
    expect(closed.map((r) => r.evseId).sort()).toEqual(started.map((c) => evseIds[c]).sort());
    expect(settings.keys()).toEqual([]);
  });

  it('a PowerLoss record with no room left even in the reserve waits in NVS with the stop of its boot, keeps its connector, and is written once room returns', () => {
    const r = rig({}, 8 * 1024);
    r.sessions.authorize(1, card('AA000001'));
    r.sessions.plugIn(1);
    r.meter.deliver(1, 500);
    // As if cuts during earlier boots had used up the room kept back: nothing fits any more.
    for (let n = 0; code(() => r.journal.append(facts(n), { reserved: true })) === 'none'; n++) r.journal.signPending();
    const boot = () => {
      const journal = openJournal(r.flash);
      const sessions = new Sessions({ journal, meter: r.meter, clock: r.clock, settings: r.settings, evseIds: EVSE });
      return { journal, sessions, written: sessions.boot() };
    };
    const stopAt = Math.floor(r.clock.wall().ms / 1000);
    expect(boot().written).toEqual([]);
    expect(r.settings.keys()).toEqual(['ses.c1']);
    r.clock.advance(3_600_000);
    r.meter.deliver(1, 700);
    const b = boot(); // and once more before there is room: the stop stays that of the first boot
    expect(b.written).toEqual([]);
    b.journal.acknowledge(b.journal.lastSeq); // the upload frees the journal
    expect(b.journal.status).not.toBe('full');
    expect(code(() => b.sessions.authorize(1, card('AA000002')))).toBe('journal-full'); // its old transaction is not written yet
    r.clock.advance(30_000);
    expect(r.settings.keys()).toEqual([]);
    b.journal.signPending();
    const [rec] = b.journal.readFrom(1, Infinity).map((x) => verifyRecord(x.bytes, deviceKey.publicKey, nodeCrypto).record);
    expect(rec).toMatchObject({ uid: 'AA000001', stopReason: 'PowerLoss', energyWh: 500, stop: { seconds: stopAt } });
    expect(code(() => b.sessions.authorize(1, card('AA000002')))).toBe('none');
  });

  it('a wall clock set during a session on a trusted clock makes the stop informative (I), never S', () => {
    for (const [jumpMs, expected] of [[0, 'S'], [3_600_000, 'I'], [-3_600_000, 'I']] as const) {
      const r = rig();
      r.sessions.authorize(1, card('AA000001'));
      r.sessions.plugIn(1);
      r.clock.advance(600_000);
      if (jumpMs !== 0) r.clock.setWall(r.clock.wall().ms + jumpMs, 'S');
      r.sessions.unplug(1);
      const [rec] = r.records();
      expect([rec.start.quality, rec.stop.quality], `jump ${jumpMs}`).toEqual(['S', expected]);
    }
  });
});
