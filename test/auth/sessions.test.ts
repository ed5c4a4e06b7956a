import { describe, expect, it } from 'vitest';
import { world } from './world.js';

const A = '04A1B2C3D4E5F6';
const B = '04B1B2C3D4E5F6';
const MASTER = '04C1B2C3D4E5F6';
const STRANGER = '04D1B2C3D4E5F6';

describe('taps and sessions in progress', () => {
  it('a tap on a charging connector with the same card stops it, without asking', () => {
    const w = world({}, { status: 'Accepted' });
    w.token(A);
    w.start('s1', w.tap(A, 1, 5000)); // back after the re-tap window
    const d = w.tap(A, 1);
    expect([d.accept, d.action, d.stopsSession, d.method]).toEqual([true, 'stop', 's1', 'WHITELIST']);
    expect(w.backend.requests).toHaveLength(0);
  });

  it('a card of the same group may stop the session; one of another group may not', () => {
    const w = world();
    w.backend.online = false;
    w.token(A, { groupId: 'FLEET1' });
    w.token(B, { groupId: 'FLEET1' });
    w.token(STRANGER, { groupId: 'FLEET2' });
    w.start('s1', w.tap(A, 1));
    const other = w.tap(STRANGER, 1);
    expect([other.accept, other.action, other.status]).toEqual([false, 'none', 'Invalid']);
    const mate = w.tap(B, 1);
    expect([mate.accept, mate.action, mate.stopsSession]).toEqual([true, 'stop', 's1']);
  });

  it('a group known only to the local list counts', () => {
    const w = world();
    w.backend.online = false;
    w.auth.applyLocalList({ listVersion: 1, updateType: 'Full', localAuthorizationList: [
      { idTag: A, idTagInfo: { status: 'Accepted', groupId: 'HOUSE' } },
      { idTag: B, idTagInfo: { status: 'Accepted', groupId: 'HOUSE' } },
    ] });
    w.start('s1', w.tap(A, 1));
    expect(w.tap(B, 1).action).toBe('stop');
  });

  it('online, a card whose group no local source knows is asked about', () => {
    const w = world({}, { status: 'Accepted', groupId: 'FLEET1' });
    w.token(A, { groupId: 'FLEET1' });
    w.start('s1', w.tap(A, 1));
    const d = w.tap(STRANGER, 1, 500);
    expect([d.accept, d.action, d.method, d.offline]).toEqual([true, 'stop', 'AUTH_REQUEST', false]);
    expect(w.backend.requests.map((r) => r.purpose)).toEqual(['stop']);
  });

  it('online, the backend naming another group refuses the stop', () => {
    const w = world({}, { status: 'Accepted', groupId: 'OTHER' });
    w.token(A, { groupId: 'FLEET1' });
    w.start('s1', w.tap(A, 1));
    const d = w.tap(STRANGER, 1, 500);
    expect([d.accept, d.action, d.status, d.method]).toEqual([false, 'none', 'Invalid', 'AUTH_REQUEST']);
  });

  it('a master pass card stops any session but starts none', () => {
    const w = world({ masterPassGroupId: 'MASTER' });
    w.backend.online = false;
    w.token(A);
    w.token(MASTER, { groupId: 'MASTER' });
    w.start('s1', w.tap(A, 1));
    const stop = w.tap(MASTER, 1);
    expect([stop.accept, stop.action, stop.stopsSession]).toEqual([true, 'stop', 's1']);
    const startTry = w.tap(MASTER, 2);
    expect([startTry.accept, startTry.action]).toEqual([false, 'none']);
  });

  it('a master pass group from the backend starts nothing either', () => {
    const w = world({ masterPassGroupId: 'MASTER' }, { status: 'Accepted', groupId: 'MASTER' });
    const d = w.tap(MASTER, 2, 500);
    expect([d.accept, d.method]).toEqual([false, 'AUTH_REQUEST']);
  });

  it('a card already charging elsewhere gets ConcurrentTx, even an ALWAYS one', () => {
    const w = world();
    w.token(A);
    w.start('s1', w.tap(A, 1));
    const d = w.tap(A, 2);
    expect([d.accept, d.status]).toEqual([false, 'ConcurrentTx']);
  });
});

describe('offline caps for unknown ids', () => {
  it('caps the number of sessions and the energy of each', () => {
    const w = world({ allowOfflineTxForUnknownId: true, unknownMaxSessions: 2, unknownMaxWh: 7000 });
    w.backend.online = false;
    const uids = ['04000000000001', '04000000000002', '04000000000003'];
    const first = w.tap(uids[0], 1);
    expect([first.accept, first.energyCapWh, first.unknownOffline, first.checkLater]).toEqual([true, 7000, true, true]);
    w.start('s1', first);
    w.start('s2', w.tap(uids[1], 2));
    const third = w.tap(uids[2], 3);
    expect([third.accept, third.status]).toEqual([false, 'Unknown']);
    w.sessions.remove('s1');
    expect(w.tap(uids[2], 3).accept).toBe(true);
  });

  it('known ids do not count against the cap and get no energy cap', () => {
    const w = world({ allowOfflineTxForUnknownId: true, unknownMaxSessions: 1, unknownMaxWh: 7000 });
    w.backend.online = false;
    w.token(A, { whitelist: 'ALLOWED_OFFLINE' });
    w.start('s1', w.tap('04000000000001', 1));
    const d = w.tap(A, 2);
    expect([d.accept, d.energyCapWh, d.unknownOffline]).toEqual([true, undefined, false]);
  });

  it('free vend admits unknown ids without caps and without a later check', () => {
    const w = world({ allowOfflineTxForUnknownId: true, freeVend: true, unknownMaxSessions: 1, unknownMaxWh: 7000 });
    w.backend.online = false;
    w.sessions.add({ id: 's0', connector: 3, uid: '04000000000009', offline: true, unknownOffline: true }); // the cap is reached
    const d = w.tap('04000000000002', 2);
    expect([d.accept, d.energyCapWh, d.checkLater]).toEqual([true, undefined, false]);
  });
});

// OCPP 1.6 §4.1: "Before the owner of an electric vehicle can start or stop charging, the Charge Point has to
// authorize the operation." A group (§3.10) or master pass gives the right to stop; the card must still be authorized.
describe('stopping another card\'s session needs an authorized card', () => {
  it('a card of the same group that the local list Blocks is refused with that status, offline', () => {
    const w = world();
    w.backend.online = false;
    w.auth.applyLocalList({ listVersion: 1, updateType: 'Full', localAuthorizationList: [
      { idTag: A, idTagInfo: { status: 'Accepted', groupId: 'HOUSE' } },
      { idTag: B, idTagInfo: { status: 'Blocked', groupId: 'HOUSE' } },
    ] });
    w.start('s1', w.tap(A, 1));
    const d = w.tap(B, 1);
    expect([d.accept, d.action, d.status]).toEqual([false, 'none', 'Blocked']);
  });

  it('online, a listed Blocked card of the group is asked about, and the backend\'s Blocked refuses the stop', () => {
    const w = world({}, { status: 'Blocked', groupId: 'HOUSE' });
    w.auth.applyLocalList({ listVersion: 1, updateType: 'Full', localAuthorizationList: [
      { idTag: A, idTagInfo: { status: 'Accepted', groupId: 'HOUSE' } },
      { idTag: B, idTagInfo: { status: 'Blocked', groupId: 'HOUSE' } },
    ] });
    w.start('s1', w.tap(A, 1));
    const d = w.tap(B, 1, 500);
    expect([d.accept, d.action, d.status, d.method]).toEqual([false, 'none', 'Blocked', 'AUTH_REQUEST']);
    expect(w.backend.requests.filter((r) => r.purpose === 'stop').map((r) => r.uid)).toEqual([B]);
  });

  it('a token of the group with valid=false does not stop the session offline (and is asked online)', () => {
    const w = world();
    w.backend.online = false;
    w.token(A, { groupId: 'FLEET1' });
    w.token(B, { groupId: 'FLEET1', whitelist: 'ALLOWED_OFFLINE', valid: false });
    w.start('s1', w.tap(A, 1));
    expect(w.tap(B, 1)).toMatchObject({ accept: false, action: 'none', status: 'Invalid' });
    w.backend.online = true;
    w.backend.answer = { status: 'Accepted', groupId: 'FLEET1' };
    expect(w.tap(B, 1, 500)).toMatchObject({ accept: true, action: 'stop', stopBy: 'group', method: 'AUTH_REQUEST' });
  });

  it('the backend naming the session\'s group with a non-Accepted status refuses the stop', () => {
    const w = world({}, { status: 'Expired', groupId: 'FLEET1' });
    w.token(A, { groupId: 'FLEET1' });
    w.start('s1', w.tap(A, 1));
    const d = w.tap(STRANGER, 1, 500);
    expect([d.accept, d.action, d.status]).toEqual([false, 'none', 'Expired']);
  });

  it('a master pass card the local list Blocks stops nothing', () => {
    const w = world({ masterPassGroupId: 'MASTER' });
    w.backend.online = false;
    w.token(A);
    w.auth.applyLocalList({ listVersion: 1, updateType: 'Full', localAuthorizationList: [{ idTag: MASTER, idTagInfo: { status: 'Blocked', groupId: 'MASTER' } }] });
    w.start('s1', w.tap(A, 1));
    expect(w.tap(MASTER, 1)).toMatchObject({ accept: false, action: 'none', status: 'Blocked' });
  });

  it('an id admitted only by the unknown-id policy has no right over another card\'s session', () => {
    const w = world({ allowOfflineTxForUnknownId: true });
    w.backend.online = false;
    w.token(A);
    w.start('s1', w.tap(A, 1));
    expect(w.tap(STRANGER, 1)).toMatchObject({ accept: false, action: 'none' });
  });
});
