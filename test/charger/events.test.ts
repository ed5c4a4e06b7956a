import { describe, expect, it } from 'vitest';
import { RECHECK_RETRY_MS } from '../../src/auth/index.js';
import type { RoamHooks } from '../../src/charger/index.js';
import { failingJournalWrite, Rig, type RigOptions } from './rig.js';

// The events the core tells the firmware (src/charger/events.ts): each hook,
// when it fires, and that no hook's exception (nor a background fault) reaches
// a timer or callback: they go to onError.
const UNKNOWN = '04AABBCCDDEE01';

function recording(o: RigOptions = {}, extra: Partial<RoamHooks> = {}) {
  const log: string[] = [];
  const hooks: RoamHooks = {
    onDecision: (d) => log.push(`decision ${d.connector} ${d.action} ${d.status}`),
    onSessionStarted: (e) => log.push(`started ${e.connector} ${e.id} ${e.meterStartWh}`),
    onSessionEnded: (e) => log.push(`ended ${e.connector} ${e.reason} ${e.seq}`),
    onEnergyStop: (e) => log.push(`energy-stop ${e.connector} ${e.reason} ${e.seq}`),
    onSuspend: (e) => log.push(`suspend ${e.connector}`),
    onResume: (e) => log.push(`resume ${e.connector}`),
    onLinkUp: () => log.push('link up'),
    onLinkDown: () => log.push('link down'),
    onListApplied: (e) => log.push(`list ${e.list} ${e.kind} v${e.version}`),
    onError: (e) => log.push(`error ${e.source} ${e.code}`),
    ...extra,
  };
  const r = new Rig({ ...o, extra: { ...o.extra, hooks } });
  return { r, log };
}

describe('Charger events', () => {
  it('tells the list applied at boot sync, decisions, a session started and ended with its record seq, link down and up', async () => {
    const { r, log } = recording();
    expect(log).toContain(`list tokens full v${r.charger.status().listVersion}`);
    log.length = 0;
    const card = r.member(0);
    await r.charger.tap(card, 1);
    r.charger.plugIn(1);
    r.meter.deliver(1, 1234);
    const seq = r.charger.unplug(1);
    expect(seq).toBe(1);
    r.transport.setOnline(false);
    r.transport.setOnline(true);
    expect(log).toEqual(['decision 1 start Accepted', 'started 1 c1.1 0', 'ended 1 EVDisconnected 1', 'link down', 'link up']);
  });

  it('tells an ignored repeat and a refusal as decisions too', async () => {
    const { r, log } = recording({ online: false });
    log.length = 0;
    await r.charger.tap(r.member(0), 1);
    await r.charger.tap(r.member(0), 1);
    await r.charger.tap(UNKNOWN, 2);
    expect(log).toEqual(['decision 1 start Accepted', 'decision 1 ignored Accepted', 'decision 2 none Unknown']);
  });

  it('tells an energy stop before the session end when post-authorization deauthorizes (StopTxOnInvalidId)', async () => {
    const { r, log } = recording({ online: false, auth: { allowOfflineTxForUnknownId: true } });
    await r.charger.tap(UNKNOWN, 1);
    r.charger.plugIn(1);
    log.length = 0;
    r.transport.setOnline(true);
    r.run();
    expect(log.filter((l) => !l.startsWith('list'))).toEqual(['link up', 'energy-stop 1 DeAuthorized 1', 'ended 1 DeAuthorized 1']);
  });

  it('tells suspend, and resume once a later answer accepts the card (asked again every RECHECK_RETRY_MS)', async () => {
    const { r, log } = recording({ online: false, auth: { allowOfflineTxForUnknownId: true, stopTxOnInvalidId: false } });
    await r.charger.tap(UNKNOWN, 1);
    r.charger.plugIn(1);
    r.charger.startCharging(1);
    log.length = 0;
    r.transport.setOnline(true);
    r.run(20);
    expect(log).toContain('suspend 1');
    expect(r.charger.status().connectors[0].suspended).toBe(true);
    r.backend.overrides.set(UNKNOWN, 'Accepted'); // e.g. the driver's account was put right
    r.platform.clock.advance(RECHECK_RETRY_MS);
    r.run(5);
    expect(log.filter((l) => l.startsWith('suspend') || l.startsWith('resume'))).toEqual(['suspend 1', 'resume 1']);
    expect(r.charger.status().connectors[0]).toMatchObject({ state: 'charging', suspended: false });
  });

  it('tells a local list applied, not one refused', () => {
    const { r, log } = recording();
    log.length = 0;
    expect(r.charger.applyLocalList({ listVersion: 3, updateType: 'Full', localAuthorizationList: [{ idTag: '04AABBCCDDEE02', idTagInfo: { status: 'Accepted' } }] })).toBe('Accepted');
    expect(r.charger.applyLocalList({ listVersion: 2, updateType: 'Differential', localAuthorizationList: [] })).toBe('VersionMismatch');
    expect(log).toEqual(['list local full v3']);
  });

  it('a hook that throws never reaches the caller: onError gets it (source hook), the session goes on', async () => {
    const { r, log } = recording({ online: false }, { onSessionStarted: () => { throw new Error('contactor driver broken'); } });
    log.length = 0;
    await r.charger.tap(r.member(0), 1);
    expect(() => r.charger.plugIn(1)).not.toThrow();
    expect(log).toEqual(['decision 1 start Accepted', 'error hook hook-threw']);
    expect(r.charger.status().connectors[0].state).toBe('plugged');
  });

  it('a background flash fault goes to onError (source flash), out of the timer', async () => {
    const fault = { armed: false };
    const { r, log } = recording({ online: false, flash: failingJournalWrite(fault) });
    await r.charger.tap(r.member(0), 1);
    r.charger.plugIn(1);
    r.charger.unplug(1);
    log.length = 0;
    fault.armed = true;
    expect(() => r.platform.clock.advance(1)).not.toThrow();
    expect(log).toEqual(['error flash background-failed']);
  });
});
