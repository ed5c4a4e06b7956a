// The re-tap guard inside the Authorizer (FLOOD-1; the charger-level tests are
// in test/security/retap.test.ts).
import { describe, expect, it } from 'vitest';
import { defaultAuthSettings, RetapGuard } from '../../src/auth/index.js';
import { world } from './world.js';

const A = '04A1B2C3D4E5F6';

describe('re-tap guard', () => {
  it('the window runs from the decision: a timed-out request decides at 2 s, a repeat 2 s later is still ignored', () => {
    const w = world({ onlineTimeoutMs: 2000 }); // the backend never answers
    w.token(A, { whitelist: 'ALLOWED_OFFLINE' });
    expect(w.tap(A, 1, 2000)).toMatchObject({ accept: true, action: 'start', offline: true });
    w.clock.advance(2000);
    expect(w.tap(A, 1).action).toBe('ignored');
    expect(w.backend.requests).toHaveLength(1);
    w.clock.advance(3000);
    expect(w.tap(A, 1).action).toBe('start'); // no session was recorded in this world: a start again
  });

  it('on a link in doubt the decision is at once, and its repeat is ignored without another request', () => {
    const w = world({ onlineTimeoutMs: 1000, allowOfflineTxForUnknownId: true });
    w.tap('04000000000009', 1, 1000); // unanswered: the link is in doubt
    expect(w.auth.link).toBe('unknown');
    expect(w.tap(A, 2).action).toBe('start');
    expect(w.tap(A, 2).action).toBe('ignored');
    expect(w.backend.requests.filter((r) => r.uid === A)).toHaveLength(1);
  });

  it('a refusal answered by the backend opens no window', () => {
    const w = world({}, { status: 'Blocked' });
    expect(w.tap(A, 1, 100)).toMatchObject({ accept: false, action: 'none', status: 'Blocked' });
    expect(w.tap(A, 1, 100).status).toBe('Blocked');
    expect(w.backend.requests).toHaveLength(2);
  });

  it('a settings change takes effect at the next tap (0 disables, a longer window holds longer)', () => {
    const w = world();
    w.token(A);
    expect(w.tap(A, 1).action).toBe('start');
    w.auth.settings = { ...defaultAuthSettings(), retapGuardMs: 0 };
    expect(w.tap(A, 1).action).toBe('start');
    w.auth.settings = { ...defaultAuthSettings(), retapGuardMs: 10_000 };
    expect(w.tap(A, 1, 9_999).action).toBe('start'); // opens a 10 s window
    expect(w.tap(A, 1).action).toBe('ignored');
  });

  it('remembers a bounded number of cards: the newest MAX_ENTRIES windows', () => {
    const w = world();
    const uidOf = (i: number) => `04${i.toString(16).toUpperCase().padStart(12, '0')}`;
    for (let i = 0; i < 200; i++) {
      w.token(uidOf(i));
      expect(w.tap(uidOf(i), 1 + (i % 4)).action).toBe('start');
    }
    expect(w.auth.retapWindows).toBe(RetapGuard.MAX_ENTRIES);
    expect(w.tap(uidOf(199), 4).action).toBe('ignored');
  });
});
