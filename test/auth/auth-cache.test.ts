import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../host-sim/hal/virtual-clock.js';
import { AuthCache, Authorizer, defaultAuthSettings, SessionTable } from '../../src/auth/index.js';
import { FakeBackend, MapTokens } from './decision-table.js';

const ids = ['04000000000001', '04000000000002', '04000000000003', '04000000000004'];

describe('authorization cache', () => {
  it('forgets an entry once its lifetime has passed since it was last used', () => {
    const clock = new VirtualClock();
    const c = new AuthCache(clock, { enabled: true, lifetimeS: 60, maxEntries: 10 });
    c.put(ids[0], { status: 'Accepted' });
    clock.advance(59_999);
    expect(c.peek(ids[0])).toEqual({ status: 'Accepted' });
    clock.advance(1);
    expect(c.lookup(ids[0])).toBeUndefined();
    expect(c.size).toBe(0);
  });

  // OCPP 2.0.1 AuthCacheCtrlr.LifeTime: "how long it takes until a token expires in the authorization cache since it is last used".
  it('each use renews the lifetime: a card used more often than the lifetime never ages out; peek does not renew', () => {
    const clock = new VirtualClock();
    const c = new AuthCache(clock, { enabled: true, lifetimeS: 60, maxEntries: 10 });
    c.put(ids[0], { status: 'Accepted' });
    for (let i = 0; i < 10; i++) {
      clock.advance(50_000);
      expect(c.lookup(ids[0])?.status).toBe('Accepted');
    }
    clock.advance(59_999);
    expect(c.peek(ids[0])?.status).toBe('Accepted');
    clock.advance(1);
    expect(c.peek(ids[0])).toBeUndefined();
    expect(c.lookup(ids[0])).toBeUndefined();
  });

  it('when full, drops a non-Accepted entry before any Accepted one', () => {
    const c = new AuthCache(new VirtualClock(), { enabled: true, lifetimeS: 0, maxEntries: 3 });
    c.put(ids[0], { status: 'Accepted' });
    c.put(ids[1], { status: 'Blocked' });
    c.put(ids[2], { status: 'Accepted' });
    c.put(ids[3], { status: 'Accepted' });
    expect(c.lookup(ids[1])).toBeUndefined();
    expect([ids[0], ids[2], ids[3]].map((id) => c.lookup(id)?.status)).toEqual(['Accepted', 'Accepted', 'Accepted']);
  });

  it('when full of Accepted entries, drops the least recently used', () => {
    const c = new AuthCache(new VirtualClock(), { enabled: true, lifetimeS: 0, maxEntries: 3 });
    c.put(ids[0], { status: 'Accepted' });
    c.put(ids[1], { status: 'Accepted' });
    c.put(ids[2], { status: 'Accepted' });
    c.lookup(ids[0]); // used: ids[1] is now the oldest
    c.put(ids[3], { status: 'Accepted' });
    expect(c.lookup(ids[1])).toBeUndefined();
    expect(c.lookup(ids[0])).toBeDefined();
    expect(c.size).toBe(3);
  });

  it('disabled: stores nothing, and disabling forgets everything', () => {
    const clock = new VirtualClock();
    const c = new AuthCache(clock, { enabled: true, lifetimeS: 0, maxEntries: 3 });
    c.put(ids[0], { status: 'Accepted' });
    c.configure({ enabled: false, lifetimeS: 0, maxEntries: 3 });
    expect(c.size).toBe(0);
    c.put(ids[1], { status: 'Accepted' });
    expect(c.lookup(ids[1])).toBeUndefined();
  });

  it('ids on the local list are never cached, and listing an id drops its cache entry', () => {
    const clock = new VirtualClock();
    const auth = new Authorizer({ clock, tokens: new MapTokens(), sessions: new SessionTable(), online: new FakeBackend(clock, undefined) });
    auth.remember(ids[0], { status: 'Accepted' });
    auth.applyLocalList({ listVersion: 1, updateType: 'Full', localAuthorizationList: [{ idTag: ids[0], idTagInfo: { status: 'Blocked' } }] });
    expect(auth.cache.lookup(ids[0])).toBeUndefined();
    auth.remember(ids[0], { status: 'Accepted' });
    expect(auth.cache.size).toBe(0);
  });

  it('the local list has priority over the cache', async () => {
    const clock = new VirtualClock();
    const backend = new FakeBackend(clock, undefined);
    backend.online = false;
    const auth = new Authorizer({ clock, tokens: new MapTokens(), sessions: new SessionTable(), online: backend, settings: defaultAuthSettings() });
    auth.applyLocalList({ listVersion: 1, updateType: 'Full', localAuthorizationList: [{ idTag: ids[0], idTagInfo: { status: 'Blocked' } }] });
    auth.cache.put(ids[0], { status: 'Accepted' }); // as if cached before (a stale entry)
    const d = await auth.authorize({ uid: ids[0], connector: 1 });
    expect([d.accept, d.status]).toEqual([false, 'Blocked']);
    expect(d.reason).toMatch(/local list/);
  });

  it('an expired cache entry (expiryDate passed) is refused as Expired offline', async () => {
    const clock = new VirtualClock();
    const backend = new FakeBackend(clock, undefined);
    backend.online = false;
    const auth = new Authorizer({ clock, tokens: new MapTokens(), sessions: new SessionTable(), online: backend, settings: { ...defaultAuthSettings(), allowOfflineTxForUnknownId: true } });
    // Expires past the re-tap window, so the second tap is a new one.
    auth.remember(ids[0], { status: 'Accepted', expiryDate: clock.wall().ms + 5000 });
    expect((await auth.authorize({ uid: ids[0], connector: 1 })).accept).toBe(true);
    clock.advance(5000);
    const d = await auth.authorize({ uid: ids[0], connector: 1 });
    expect([d.accept, d.status]).toEqual([false, 'Expired']);
  });
});

// "the cache stores only what may be used" (issue 18): OCPP 1.6 §3.5.3, OCPI ALWAYS / NEVER / valid=false.
describe('what the authorization cache stores', () => {
  function authorizer(settings = {}) {
    const clock = new VirtualClock();
    const tokens = new MapTokens();
    const partner = { id: 1, countryCode: 'US', partyId: 'SEM', allowedUsesTable: true };
    const token = (uid: string, whitelist: 'ALWAYS' | 'ALLOWED' | 'ALLOWED_OFFLINE' | 'NEVER', valid = true) =>
      tokens.map.set(uid, { uid, whitelist, valid, partner, type: 'RFID', sourceVersion: 1 });
    const auth = new Authorizer({ clock, tokens, sessions: new SessionTable(), online: new FakeBackend(clock, undefined), settings: { ...defaultAuthSettings(), ...settings } });
    return { auth, token };
  }

  it('nothing for ALWAYS-class tokens (the table decides); no Accepted for NEVER or valid=false, their refusals yes', () => {
    const { auth, token } = authorizer();
    token(ids[0], 'ALWAYS');
    token(ids[1], 'NEVER');
    token(ids[2], 'ALLOWED_OFFLINE', false);
    token(ids[3], 'ALLOWED_OFFLINE');
    for (const id of ids) auth.remember(id, { status: 'Accepted' });
    expect(ids.map((id) => auth.cache.peek(id)?.status)).toEqual([undefined, undefined, undefined, 'Accepted']);
    for (const id of ids) auth.remember(id, { status: 'Blocked' });
    expect(ids.map((id) => auth.cache.peek(id)?.status)).toEqual([undefined, 'Blocked', 'Blocked', 'Blocked']);
  });

  it('an answer that may no longer be held drops the entry the id had', () => {
    const { auth, token } = authorizer();
    auth.remember(ids[0], { status: 'Accepted' }); // not on the table then
    token(ids[0], 'NEVER');
    auth.remember(ids[0], { status: 'Accepted' });
    expect(auth.cache.size).toBe(0);
  });

  it('with the local list disabled its ids are cached; enabling the list drops them', () => {
    const { auth } = authorizer({ localAuthListEnabled: false });
    auth.applyLocalList({ listVersion: 1, updateType: 'Full', localAuthorizationList: [{ idTag: ids[0], idTagInfo: { status: 'Blocked' } }] });
    auth.remember(ids[0], { status: 'Accepted' });
    expect(auth.cache.peek(ids[0])?.status).toBe('Accepted');
    auth.settings = { ...auth.settings, localAuthListEnabled: true };
    expect(auth.cache.peek(ids[0])).toBeUndefined();
    auth.remember(ids[0], { status: 'Accepted' });
    expect(auth.cache.size).toBe(0);
  });
});
