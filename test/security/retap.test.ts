// FLOOD-1: a loose card or a repeating reader must not turn into a stream of
// sessions and records (docs/threat-model.md, Floods).
import { describe, expect, it } from 'vitest';
import { FileSettings } from '../../host-sim/hal/settings-file.js';
import { AuthSettingsError, loadAuthSettings, saveAuthSetting, settingKey, type Decision } from '../../src/auth/index.js';
import { Rig } from '../charger/rig.js';

/** A card flickering at the reader's release threshold: a tap every 0.3 s (a 10 Hz reader, away two polls, back one). */
async function flicker(r: Rig, uid: string, connector: number, taps: number): Promise<Decision[]> {
  const out: Decision[] = [];
  for (let i = 0; i < taps; i++) {
    out.push(await r.charger.tap(uid, connector));
    r.meter.deliver(connector, 1);
    r.platform.clock.advance(300);
  }
  return out;
}

const actions = (ds: Decision[]) => ds.map((d) => d.action);

describe('floods: re-taps of the same card', () => {
  // A card that flickers at the release threshold, or a reader that repeats its
  // UID after every idle poll, is a new tap each time. With the cable in, every
  // second tap would stop the session and the next start another, each pair
  // writing a signed record (30 records for these 60 taps without the guard,
  // see "retapGuardMs 0"): a 32 KiB journal full within minutes.
  it('FLOOD-1: a flickering card on a plugged connector does not write a record per two taps', async () => {
    const r = new Rig({ online: false });
    const uid = r.member(0);
    r.charger.plugIn(1);
    const ds = await flicker(r, uid, 1, 60);
    expect(r.charger.journal.lastSeq).toBeLessThanOrEqual(1);
    // The first tap started the session; every other one was ignored and it still charges.
    expect(actions(ds)).toEqual(['start', ...Array(59).fill('ignored')]);
    expect(r.charger.journal.lastSeq).toBe(0);
    expect(r.charger.status().connectors[0]).toMatchObject({ state: 'plugged', uid }); // its transaction still open
  });

  it('an ignored tap: decided at once, nothing asked or done; repeats while the backend is asked are ignored too', async () => {
    const r = new Rig();
    const x = '04AABBCCDDEE01'; // unknown to the table: the backend decides
    r.backend.overrides.set(x, 'Accepted');
    const first = r.charger.tap(x, 1);
    let d: Decision | undefined;
    void r.charger.tap(x, 1).then((v) => { d = v; });
    await Promise.resolve();
    expect(d).toMatchObject({ accept: false, action: 'ignored', status: 'Accepted', uid: x, connector: 1 });
    expect(d!.reason).toMatch(/within 3000 ms/);
    r.bus.drain(); // the request and its answer, no time passing
    expect(r.backend.counters.authRequests).toBe(1);
    expect(await first).toMatchObject({ accept: true, action: 'start' });
    r.charger.plugIn(1);
    expect((await r.charger.tap(x, 1)).action).toBe('ignored'); // the window runs from the decision
    r.bus.drain();
    expect(r.backend.counters.authRequests).toBe(1);
    expect(r.charger.status().connectors[0]).toMatchObject({ state: 'plugged', uid: x });
    expect(r.charger.journal.lastSeq).toBe(0);
  });

  it('a start then a stop by the same card within the window writes no record; after the window the card stops it', async () => {
    const r = new Rig({ online: false });
    const uid = r.member(0);
    expect((await r.charger.tap(uid, 1)).action).toBe('start');
    r.charger.plugIn(1);
    r.platform.clock.advance(2_000);
    expect((await r.charger.tap(uid, 1)).action).toBe('ignored'); // 2 s: a mistake or a flicker
    expect(r.charger.journal.lastSeq).toBe(0);
    // The ignored tap renewed the window: 2,999 ms after it is still the same presentation.
    r.platform.clock.advance(2_999);
    expect((await r.charger.tap(uid, 1)).action).toBe('ignored');
    // Away 3 s: a deliberate tap.
    r.platform.clock.advance(3_000);
    expect(await r.charger.tap(uid, 1)).toMatchObject({ accept: true, action: 'stop' });
    expect(r.records().map((x) => [x.seq, x.uid, x.stopReason])).toEqual([[1, uid, 'Local']]);
  });

  it('a flickering card that is then taken away and tapped again stops its session: one record', async () => {
    const r = new Rig({ online: false });
    const uid = r.member(0);
    r.charger.plugIn(1);
    await flicker(r, uid, 1, 60);
    r.platform.clock.advance(3_000);
    expect((await r.charger.tap(uid, 1)).action).toBe('stop');
    expect(r.records().map((x) => [x.seq, x.uid, x.stopReason])).toEqual([[1, uid, 'Local']]);
  });

  it('another card within the window is not blocked: decided as before (refused on the busy connector, started on the free one)', async () => {
    const r = new Rig({ online: false });
    const [a, b] = [r.member(0), r.member(1)];
    expect((await r.charger.tap(a, 1)).action).toBe('start');
    r.charger.plugIn(1);
    expect(await r.charger.tap(b, 1)).toMatchObject({ accept: false, action: 'none', status: 'Invalid' });
    expect(await r.charger.tap(b, 2)).toMatchObject({ accept: true, action: 'start' });
    expect((await r.charger.tap(a, 1)).action).toBe('ignored');
  });

  it('the guard is per connector: the same card at another connector within the window is another intent', async () => {
    const r = new Rig({ online: false });
    const a = r.member(0);
    expect((await r.charger.tap(a, 1)).action).toBe('start');
    r.charger.plugIn(1);
    // Charging on 1: at connector 2 the card is decided, not ignored (ConcurrentTx).
    expect(await r.charger.tap(a, 2)).toMatchObject({ accept: false, action: 'none', status: 'ConcurrentTx' });
    expect(r.charger.unplug(1)).toBe(1); // the EV leaves
    // Still within the window: connector 2 starts, connector 1 ignores.
    expect(await r.charger.tap(a, 2)).toMatchObject({ accept: true, action: 'start' });
    expect((await r.charger.tap(a, 1)).action).toBe('ignored');
    expect(r.charger.status().connectors.map((c) => c.state)).toEqual(['idle', 'authorized']);
  });

  it('retapGuardMs 0 disables the guard: the same 60 taps write 30 records', async () => {
    const r = new Rig({ online: false, auth: { retapGuardMs: 0 } });
    r.charger.plugIn(1);
    const ds = await flicker(r, r.member(0), 1, 60);
    expect(actions(ds).filter((x) => x === 'ignored')).toHaveLength(0);
    expect(r.charger.journal.lastSeq).toBe(30);
  });

  it('a refused tap opens no window: the retry is decided again', async () => {
    const r = new Rig({ online: false });
    const unknown = '04AABBCCDDEE03';
    for (let i = 0; i < 3; i++) expect(await r.charger.tap(unknown, 1)).toMatchObject({ accept: false, action: 'none', status: 'Unknown' });
  });

  it('the guard keeps nothing across a reboot: the first tap after it is a new one', async () => {
    const r = new Rig({ online: false });
    const uid = r.member(0);
    expect((await r.charger.tap(uid, 1)).action).toBe('start');
    r.charger.plugIn(1);
    r.reboot(); // a reset: the session is closed as PowerLoss; on a device the monotonic clock restarts
    expect(r.records().map((x) => x.stopReason)).toEqual(['PowerLoss']);
    expect((await r.charger.tap(uid, 1)).action).toBe('start');
  });
});

describe('the retapGuardMs setting', () => {
  it('stored in NVS as RetapGuardMs (default 3000) and read at boot', async () => {
    const r = new Rig({ online: false, extra: { auth: undefined } }); // settings from NVS
    expect(settingKey('retapGuardMs')).toBe('RetapGuardMs');
    expect(r.charger.authorizer.settings.retapGuardMs).toBe(3000);
    expect(saveAuthSetting(r.settings, 'retapGuardMs', '0')).toBe(0); // OCPP string form
    r.reboot();
    expect(r.charger.authorizer.settings.retapGuardMs).toBe(0);
    await flicker(r, r.member(0), 1, 4);
    expect(r.charger.status().connectors[0].state).toBe('idle'); // start, stop, start, stop
  });

  for (const bad of [-1, 60_001, 1.5, '3s', '', true, null])
    it(`refuses retapGuardMs=${JSON.stringify(bad)} with AuthSettingsError; the stored value stays`, () => {
      const store = new FileSettings();
      saveAuthSetting(store, 'retapGuardMs', 5000);
      expect(() => saveAuthSetting(store, 'retapGuardMs', bad)).toThrow(/retapGuardMs must be an integer in 0\.\.60000/);
      expect(() => saveAuthSetting(store, 'retapGuardMs', bad)).toThrow(AuthSettingsError);
      expect(store.get('RetapGuardMs')).toBe(5000);
      expect(loadAuthSettings(store).retapGuardMs).toBe(5000);
    });

  it('a corrupt stored value is reported and the default used', () => {
    const store = new FileSettings();
    store.set('RetapGuardMs', -5);
    const problems: string[] = [];
    expect(loadAuthSettings(store, (e) => problems.push(e.message)).retapGuardMs).toBe(3000);
    expect(problems).toHaveLength(1);
  });
});
