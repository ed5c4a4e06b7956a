import { describe, expect, it, vi } from 'vitest';
import { RECHECK_RETRY_MS, type Decision } from '../../src/auth/index.js';
import { world } from './world.js';

const A = '04A1B2C3D4E5F6';
const U = '04000000000001';

describe('online authorization', () => {
  it('asks with a correlation id and decides on the answer', () => {
    const w = world({}, { status: 'Accepted', groupId: 'G' });
    w.token(A, { whitelist: 'ALLOWED_OFFLINE' });
    const d = w.tap(A, 1, 100);
    expect([d.accept, d.method, d.offline, d.groupId, d.partner?.partyId]).toEqual([true, 'AUTH_REQUEST', false, 'G', 'SEM']);
    expect(w.backend.requests).toHaveLength(1);
    expect(w.backend.requests[0]).toMatchObject({ uid: A, connector: 1, partnerId: 7, purpose: 'start' });
    expect(w.backend.requests[0].correlationId).toMatch(/\S/);
  });

  it('correlation ids differ between requests', () => {
    const w = world({}, { status: 'Accepted' });
    w.tap(U, 1, 100);
    w.tap('04000000000002', 2, 100);
    const [a, b] = w.backend.requests.map((r) => r.correlationId);
    expect(a).not.toBe(b);
  });

  it('waits no longer than the timeout; the offline decision stands', () => {
    const w = world({ onlineTimeoutMs: 1500 }, { status: 'Blocked' });
    w.backend.delayMs = 5000;
    w.token(A, { whitelist: 'ALLOWED_OFFLINE' });
    let d: Decision | undefined;
    w.auth.tap({ uid: A, connector: 1 }, (x) => { d = x; });
    w.clock.advance(1499);
    expect(d).toBeUndefined();
    w.clock.advance(1);
    expect([d?.accept, d?.offline, d?.method, d?.checkLater]).toEqual([true, true, 'WHITELIST', true]);
    expect(w.auth.link).toBe('unknown');
  });

  it('a late answer updates the cache and brings the link back', () => {
    const w = world({ onlineTimeoutMs: 1000 }, { status: 'Blocked' });
    w.backend.delayMs = 3000;
    w.token(A, { whitelist: 'ALLOWED_OFFLINE' });
    w.tap(A, 1, 1000);
    expect(w.auth.cache.lookup(A)).toBeUndefined();
    w.clock.advance(2000);
    expect(w.auth.cache.lookup(A)).toEqual({ status: 'Blocked' });
    expect(w.auth.link).toBe('online');
    // Next time offline (past the re-tap window), the cached Blocked refuses before the table's ALLOWED_OFFLINE.
    w.clock.advance(5000);
    w.backend.online = false;
    const d = w.tap(A, 1);
    expect([d.accept, d.status]).toEqual([false, 'Blocked']);
  });

  it('a link in doubt decides at once but still asks, and an answer restores it', () => {
    const w = world({ onlineTimeoutMs: 1000, allowOfflineTxForUnknownId: true });
    w.tap(U, 1, 1000); // never answered
    expect(w.auth.link).toBe('unknown');
    w.backend.answer = { status: 'Accepted' };
    const d = w.tap('04000000000002', 2); // decided with no time passing
    expect([d.accept, d.offline]).toEqual([true, true]);
    expect(w.backend.requests).toHaveLength(2);
    w.clock.advance(100);
    expect(w.auth.link).toBe('online');
  });

  it('a known-offline link decides at once: no request, no timer', () => {
    const w = world({ allowOfflineTxForUnknownId: false });
    w.backend.online = false;
    w.token(A, { whitelist: 'NEVER' });
    const setTimer = vi.spyOn(w.clock, 'setTimer');
    const d = w.tap(A, 1);
    expect([d.accept, d.status, d.offline]).toEqual([false, 'Unknown', true]);
    expect(w.backend.requests).toHaveLength(0);
    expect(setTimer).not.toHaveBeenCalled();
  });

  it('ALWAYS never waits for the backend, online', () => {
    const w = world({}, { status: 'Blocked' });
    w.token(A, { whitelist: 'ALWAYS' });
    const d = w.tap(A, 1);
    expect([d.accept, d.offline, d.method]).toEqual([true, false, 'WHITELIST']);
    expect(w.backend.requests).toHaveLength(0);
  });

  it('valid=false is asked about online where real time is allowed, and the backend may now accept it', () => {
    for (const whitelist of ['ALLOWED', 'ALLOWED_OFFLINE', 'NEVER'] as const) {
      const w = world({}, { status: 'Accepted' });
      w.token(A, { whitelist, valid: false });
      const d = w.tap(A, 1, 100);
      expect([whitelist, d.accept, d.method]).toEqual([whitelist, true, 'AUTH_REQUEST']);
    }
  });

  it('ALWAYS with valid=false is refused from the table and never asked (OCPI: real time "not possible/allowed")', () => {
    const w = world({}, { status: 'Accepted' });
    w.token(A, { whitelist: 'ALWAYS', valid: false });
    const d = w.tap(A, 1);
    expect([d.accept, d.status, d.method, d.offline]).toEqual([false, 'Invalid', 'WHITELIST', false]);
    expect(w.backend.requests).toHaveLength(0);
  });

  it('an answer in time is cached (not ConcurrentTx, not for listed ids)', () => {
    const w = world({}, { status: 'ConcurrentTx' });
    w.tap(U, 1, 100);
    expect(w.auth.cache.lookup(U)).toBeUndefined();
    w.backend.answer = { status: 'Accepted' };
    w.tap(U, 1, 100);
    expect(w.auth.cache.lookup(U)).toEqual({ status: 'Accepted' });
  });
});

describe('malformed backend answers', () => {
  it('are dropped: nothing cached, the timeout decides', () => {
    const w = world({ onlineTimeoutMs: 1000 }, { status: 'Maybe' as 'Accepted' });
    w.token(A, { whitelist: 'ALLOWED_OFFLINE' });
    let d: Decision | undefined;
    w.auth.tap({ uid: A, connector: 1 }, (x) => { d = x; });
    w.clock.advance(500);
    expect(d).toBeUndefined();
    w.clock.advance(500);
    expect([d?.accept, d?.offline]).toEqual([true, true]);
    expect(w.auth.cache.size).toBe(0);
    expect(w.auth.malformedAnswers).toBe(1);
  });
});

describe('post-authorization of sessions begun offline', () => {
  function begunOffline(settings: Parameters<typeof world>[0], answer: { status: 'Invalid' | 'Accepted' }) {
    const w = world({ onlineTimeoutMs: 1000, allowOfflineTxForUnknownId: true, ...settings }, answer);
    w.backend.delayMs = 4000;
    const d = w.tap(U, 1, 1000); // timed out: admitted under the unknown-id policy
    expect([d.accept, d.offline, d.checkLater]).toEqual([true, true, true]);
    w.start('s1', d);
    w.clock.advance(3000); // the late answer
    return w;
  }

  it('StopTxOnInvalidId: the late Invalid answer stops the session', () => {
    expect(begunOffline({ stopTxOnInvalidId: true }, { status: 'Invalid' }).control.log).toEqual(['stop s1']);
  });

  it('else MaxEnergyOnInvalidId caps its energy', () => {
    expect(begunOffline({ stopTxOnInvalidId: false, maxEnergyOnInvalidId: 2500 }, { status: 'Invalid' }).control.log).toEqual(['limit s1 2500']);
  });

  it('else energy delivery is suspended', () => {
    expect(begunOffline({ stopTxOnInvalidId: false, maxEnergyOnInvalidId: 0 }, { status: 'Invalid' }).control.log).toEqual(['suspend s1']);
  });

  it('an Accepted answer changes nothing', () => {
    expect(begunOffline({}, { status: 'Accepted' }).control.log).toEqual([]);
  });

  it('when the link returns, each session begun offline is checked once', () => {
    const w = world({ allowOfflineTxForUnknownId: true, stopTxOnInvalidId: true });
    w.backend.online = false;
    w.token(A, { whitelist: 'ALWAYS' });
    w.start('s1', w.tap(U, 1)); // unknown id: to be checked
    w.start('s2', w.tap(A, 2)); // ALWAYS: final
    expect(w.auth.recheckOfflineSessions()).toBe(0); // still offline
    w.backend.online = true;
    w.backend.answer = { status: 'Invalid' };
    expect(w.auth.recheckOfflineSessions()).toBe(1);
    expect(w.auth.recheckOfflineSessions()).toBe(0);
    w.clock.advance(100);
    expect(w.control.log).toEqual(['stop s1']);
    expect(w.backend.requests.map((r) => [r.uid, r.purpose])).toEqual([[U, 'recheck']]);
  });

  it('remembers only live sessions between rechecks, however many have ended', () => {
    const w = world({ allowOfflineTxForUnknownId: true }, { status: 'Accepted' });
    for (let i = 0; i < 500; i++) {
      w.backend.online = false;
      const d = w.tap(U, 1);
      w.start(`s${i}`, d);
      w.backend.online = true;
      expect(w.auth.recheckOfflineSessions()).toBe(1);
      w.clock.advance(100);
      w.sessions.remove(`s${i}`);
      w.clock.advance(5000); // the card's next tap is past the re-tap window
    }
    w.auth.recheckOfflineSessions();
    const kept = w.auth as unknown as { settled: Set<string>; asking: Map<string, number> };
    expect([kept.settled.size, kept.asking.size]).toEqual([0, 0]);
  });

  it('a recheck whose request or answer is lost is asked again until answered', () => {
    const w = world({ allowOfflineTxForUnknownId: true, stopTxOnInvalidId: true });
    w.backend.online = false;
    w.start('s1', w.tap(U, 1));
    w.backend.online = true;
    w.backend.answer = undefined; // the first question goes unanswered (lost on the way)
    expect(w.auth.recheckOfflineSessions()).toBe(1);
    w.clock.advance(RECHECK_RETRY_MS - 1);
    expect(w.backend.requests.filter((r) => r.purpose === 'recheck')).toHaveLength(1);
    w.backend.answer = { status: 'Invalid' };
    w.clock.advance(1 + 100); // asked again, answered this time
    expect(w.backend.requests.filter((r) => r.purpose === 'recheck')).toHaveLength(2);
    expect(w.control.log).toEqual(['stop s1']);
    w.clock.advance(10 * RECHECK_RETRY_MS);
    expect(w.backend.requests.filter((r) => r.purpose === 'recheck')).toHaveLength(2); // settled: no more questions
  });
});

// Issue 18: every session started without a fresh real-time answer is post-authorized, whether or not the
// link dropped (OCPP 1.6 §4.8: "the identifier might have been authorized locally … using outdated information").
describe('post-authorization without a reconnect', () => {
  function started(w: ReturnType<typeof world>, uid: string, connector: number, id: string): Decision {
    let d: Decision | undefined;
    w.auth.tap({ uid, connector }, (x) => { d = x; if (x.accept) w.start(id, x); }); // the session machine starts it at once
    if (!d) throw new Error('no decision yet');
    return d;
  }

  it('a start from the local list online (LocalPreAuthorize) is checked right after, once', () => {
    const w = world({}, { status: 'Blocked' });
    w.auth.applyLocalList({ listVersion: 1, updateType: 'Full', localAuthorizationList: [{ idTag: A, idTagInfo: { status: 'Accepted' } }] });
    const d = started(w, A, 1, 's1');
    expect([d.accept, d.offline, d.checkLater, d.method]).toEqual([true, false, true, 'WHITELIST']);
    expect(w.backend.requests).toHaveLength(0);
    w.clock.advance(100);
    expect(w.backend.requests.map((r) => [r.uid, r.purpose])).toEqual([[A, 'recheck']]);
    expect(w.control.log).toEqual(['stop s1']);
    w.clock.advance(10 * RECHECK_RETRY_MS);
    expect(w.backend.requests).toHaveLength(1);
  });

  it('a start on a timeout whose answer is lost is asked again on the connected link after RECHECK_RETRY_MS', () => {
    const w = world({ onlineTimeoutMs: 1000 });
    w.token(A, { whitelist: 'ALLOWED_OFFLINE' });
    let d: Decision | undefined;
    w.auth.tap({ uid: A, connector: 1 }, (x) => { d = x; w.start('s1', x); });
    w.clock.advance(1000);
    expect([d?.accept, d?.offline, d?.checkLater]).toEqual([true, true, true]);
    w.clock.advance(RECHECK_RETRY_MS - 1001); // the tap's own request is the first check: not asked twice
    expect(w.backend.requests).toHaveLength(1);
    w.backend.answer = { status: 'Invalid' };
    w.clock.advance(1 + 100);
    expect(w.backend.requests.map((r) => r.purpose)).toEqual(['start', 'recheck']);
    expect(w.control.log).toEqual(['stop s1']);
  });

  it('a recheck answer naming the master pass group stops the session: master pass starts nothing', () => {
    const w = world({ masterPassGroupId: 'MASTER', allowOfflineTxForUnknownId: true });
    w.backend.online = false;
    w.start('s1', w.tap(U, 1));
    w.backend.online = true;
    w.backend.answer = { status: 'Accepted', groupId: 'MASTER' };
    expect(w.auth.recheck()).toBe(1);
    w.clock.advance(100);
    expect(w.control.log).toEqual(['stop s1']);
  });

  it('an answer is the backend\'s word now: one whose expiry has passed by the device clock still accepts, and keeps a session', () => {
    const w = world({ allowOfflineTxForUnknownId: true });
    w.backend.answer = { status: 'Accepted', expiryDate: w.clock.wall().ms - 1 };
    expect(w.tap(U, 1, 100)).toMatchObject({ accept: true, method: 'AUTH_REQUEST' });
    w.backend.online = false;
    w.clock.advance(5000);
    w.start('s2', w.tap('04000000000002', 2));
    w.backend.online = true;
    w.auth.recheck();
    w.clock.advance(100);
    expect(w.control.log).toEqual([]);
  });
});

// OCPP 1.6 §3.5.2: "the Charge Point SHALL inform the Central System" of a LocalListConflict.
describe('local-list conflicts', () => {
  it('an answer whose status differs from the list entry is counted and reported; the list stays', () => {
    const seen: unknown[] = [];
    const w = world({ localPreAuthorize: false }, { status: 'Blocked' });
    const auth = new (w.auth.constructor as typeof import('../../src/auth/index.js').Authorizer)({
      clock: w.clock, tokens: w.tokens, sessions: w.sessions, online: w.backend, control: w.control,
      settings: w.auth.settings, onLocalListConflict: (c) => seen.push(c),
    });
    auth.applyLocalList({ listVersion: 1, updateType: 'Full', localAuthorizationList: [{ idTag: A, idTagInfo: { status: 'Accepted' } }, { idTag: U, idTagInfo: { status: 'Blocked' } }] });
    let d: Decision | undefined;
    auth.tap({ uid: A, connector: 1 }, (x) => { d = x; });
    w.clock.advance(100);
    expect([d?.accept, d?.status]).toEqual([false, 'Blocked']);
    auth.tap({ uid: U, connector: 2 }, () => {}); // Blocked on the list, Blocked at the backend: no conflict
    w.clock.advance(100);
    expect(auth.localListConflicts).toBe(1);
    expect(seen).toEqual([{ uid: A, list: 'Accepted', backend: 'Blocked' }]);
    expect(auth.list.lookup(A)).toEqual({ status: 'Accepted' });
  });
});
