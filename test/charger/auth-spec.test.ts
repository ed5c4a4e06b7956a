import { describe, expect, it } from 'vitest';
import { offlineModeSettings, RECHECK_RETRY_MS, type Decision } from '../../src/auth/index.js';
import type { OcpiToken } from '../../host-sim/backend/index.js';
import { DEVICE, Rig } from './rig.js';

// Issue 18: each deviation from the authorization specs (OCPI 2.2.1, OCPP 1.6 / 2.0.1;
// ../shared/specs/authorization-rules.md), reproduced through the whole charger: the
// Charger, its Authorizer and sessions, the MQTT sync client, the backend peer over
// the in-memory broker. docs/auth.md's table of rules names these tests.

const APP = '04AABBCCDDEE11'; // not on the device's token table; the backend knows it (overrides)
const OTHER = '04AABBCCDDEE12';
const HOUR = 3600_000;

/** Lets the backend answer what the device asked (answers come only when the bus delivers). */
async function answered(r: Rig, p: Promise<Decision>): Promise<Decision> {
  r.bus.drain();
  return p;
}

/** A charging session on `connector` started by `d`. */
function charge(r: Rig, connector: number, wh = 500): void {
  r.charger.plugIn(connector);
  r.charger.startCharging(connector);
  r.meter.deliver(connector, wh);
}

/** A member card of a given whitelist class on the device's table. */
function memberOf(r: Rig, whitelist: OcpiToken['whitelist']): string {
  const t = r.members.find((m) => m.whitelist === whitelist && !m.group_id);
  if (!t) throw new Error(`no ${whitelist} member`);
  return t.uid;
}

/** Publishes a change to one member token and lets it reach the device. */
function changeToken(r: Rig, uid: string, change: Partial<OcpiToken>): void {
  const before = r.charger.status().listVersion;
  r.site.update('US', 'BLK', (t) => (t.uid === uid ? { ...t, ...change } : undefined));
  r.backend.announceList();
  r.run();
  expect(r.charger.status().listVersion).toBeGreaterThan(before);
}

/** The records the backend stored: uid and why each ended. */
function stored(r: Rig): [string, string][] {
  r.run();
  return r.backend.records.records(DEVICE).map((x) => [x.verified!.record.uid, x.verified!.record.stopReason]);
}

const requests = (r: Rig) => r.backend.counters.authRequests;

describe('issue 18 (1): the current table state and the backend win over a stale cached Accepted', () => {
  it('a card cached Accepted, then blocked at the backend, starts from the cache (LocalPreAuthorize) and is stopped by its post-authorization', async () => {
    const r = new Rig();
    r.backend.overrides.set(APP, 'Accepted');
    expect(await answered(r, r.charger.tap(APP, 1))).toMatchObject({ accept: true, method: 'AUTH_REQUEST' });
    charge(r, 1);
    r.charger.unplug(1);
    r.backend.overrides.set(APP, 'Blocked'); // blocked since it was cached
    r.platform.clock.advance(10_000);
    const asked = requests(r);
    const d = await r.charger.tap(APP, 1);
    expect(d).toMatchObject({ accept: true, method: 'WHITELIST', offline: false, checkLater: true, reason: expect.stringContaining('authorization cache') });
    expect(requests(r)).toBe(asked); // started without waiting (OCPP 1.6 §9.1.13)…
    charge(r, 1, 300);
    r.platform.clock.advance(0); // …and checked right after the start (OCPP 1.6 §4.8)
    r.bus.drain();
    expect(requests(r)).toBe(asked + 1);
    expect(r.charger.status().connectors[0].state).toBe('idle'); // StopTxOnInvalidId
    expect(stored(r)).toEqual([[APP, 'EVDisconnected'], [APP, 'DeAuthorized']]);
    expect(r.charger.authorizer.cache.peek(APP)?.status).toBe('Blocked');
  });

  it('valid=false in the token table refuses a card cached Accepted: offline Invalid, online asked (OCPI valid=false)', async () => {
    const r = new Rig();
    const card = memberOf(r, 'ALLOWED_OFFLINE');
    expect(await answered(r, r.charger.tap(card, 1))).toMatchObject({ accept: true, method: 'AUTH_REQUEST' });
    expect(r.charger.authorizer.cache.peek(card)?.status).toBe('Accepted');
    r.charger.unplug(1);
    r.platform.clock.advance(61_000); // the authorization lapses unplugged
    changeToken(r, card, { valid: false });
    r.transport.setOnline(false);
    expect(await r.charger.tap(card, 1)).toMatchObject({ accept: false, status: 'Invalid', reason: 'token table: valid=false' });
    r.transport.setOnline(true);
    r.run();
    const asked = requests(r);
    expect(await answered(r, r.charger.tap(card, 1))).toMatchObject({ accept: false, status: 'Blocked', method: 'AUTH_REQUEST' });
    expect(requests(r)).toBe(asked + 1);
    expect(r.charger.status().connectors[0].state).toBe('idle');
  });

  it('NEVER in the token table: a card cached Accepted is asked about online and not started from the cache offline (OCPI NEVER)', async () => {
    const r = new Rig();
    const card = memberOf(r, 'ALLOWED_OFFLINE');
    expect(await answered(r, r.charger.tap(card, 1))).toMatchObject({ accept: true });
    r.platform.clock.advance(61_000);
    changeToken(r, card, { whitelist: 'NEVER' });
    r.transport.setOnline(false);
    expect(await r.charger.tap(card, 1)).toMatchObject({ accept: false, status: 'Unknown', reason: expect.stringContaining('NEVER') });
    r.transport.setOnline(true);
    r.run();
    const asked = requests(r);
    expect(await answered(r, r.charger.tap(card, 1))).toMatchObject({ accept: true, method: 'AUTH_REQUEST', checkLater: false });
    expect(requests(r)).toBe(asked + 1);
    // The cache stores only what may be used: no Accepted for a NEVER token.
    expect(r.charger.authorizer.cache.peek(card)).toBeUndefined();
  });

  it('a card on the local list started online without asking (LocalPreAuthorize) is post-authorized too', async () => {
    const r = new Rig();
    expect(r.charger.applyLocalList({ listVersion: 1, updateType: 'Full', localAuthorizationList: [{ idTag: APP, idTagInfo: { status: 'Accepted' } }] })).toBe('Accepted');
    r.backend.overrides.set(APP, 'Accepted');
    const asked = requests(r);
    expect(await r.charger.tap(APP, 1)).toMatchObject({ accept: true, offline: false, checkLater: true, reason: expect.stringContaining('local list') });
    charge(r, 1);
    r.run();
    expect(requests(r)).toBe(asked + 1); // the check, answered Accepted: charging on
    expect(r.charger.status().connectors[0].state).toBe('charging');
    r.platform.clock.advance(10 * RECHECK_RETRY_MS);
    r.bus.drain();
    expect(requests(r)).toBe(asked + 1); // settled: asked once
  });
});

describe('issue 18 (2): post-authorization does not wait for a reconnect', () => {
  it('a lost answer on a link that stays connected: the check is sent again until answered, and the Invalid answer stops the session', async () => {
    const r = new Rig();
    const card = memberOf(r, 'ALLOWED_OFFLINE');
    r.backend.overrides.set(card, 'Invalid');
    r.bus.options.drop = (topic) => topic.endsWith('/auth/res'); // answers lost on the way (QoS 0)
    const p = r.charger.tap(card, 1);
    r.bus.drain();
    r.platform.clock.advance(2_000); // no answer in time: ALLOWED_OFFLINE is allowed when the backend cannot answer
    expect(await p).toMatchObject({ accept: true, offline: true, checkLater: true });
    charge(r, 1);
    expect(r.charger.status().link).toBe('unknown');
    r.platform.clock.advance(RECHECK_RETRY_MS); // the tap's request went unanswered: asked again
    r.bus.drain();
    expect(requests(r)).toBe(2);
    expect(r.bus.dropped).toBe(2);
    expect(r.charger.status().connectors[0].state).toBe('charging');
    r.bus.options.drop = undefined;
    r.platform.clock.advance(RECHECK_RETRY_MS); // and again: answered this time
    r.bus.drain();
    expect(requests(r)).toBe(3);
    expect(r.transport.connected).toBe(true); // the link never dropped
    expect(r.charger.status().connectors[0].state).toBe('idle');
    expect(r.charger.status().link).toBe('online');
    expect(stored(r)).toEqual([[card, 'DeAuthorized']]);
  });

  it('caps instead when StopTxOnInvalidId is off and MaxEnergyOnInvalidId is set, still without a reconnect', async () => {
    const r = new Rig({ auth: { stopTxOnInvalidId: false, maxEnergyOnInvalidId: 700 } });
    const card = memberOf(r, 'ALLOWED_OFFLINE');
    r.backend.overrides.set(card, 'Blocked');
    r.bus.options.drop = (topic) => topic.endsWith('/auth/res');
    const p = r.charger.tap(card, 1);
    r.bus.drain();
    r.platform.clock.advance(2_000);
    expect((await p).accept).toBe(true);
    charge(r, 1, 200);
    r.bus.options.drop = undefined;
    r.platform.clock.advance(RECHECK_RETRY_MS);
    r.bus.drain();
    expect(r.charger.status().connectors[0]).toMatchObject({ state: 'charging', capWh: 700 });
    r.meter.deliver(1, 600);
    expect(stored(r)).toEqual([[card, 'EnergyLimitReached']]);
  });
});

describe('issue 18 (3): a link in doubt still asks, so the doubt clears', () => {
  it('NO_CHARGING (LocalAuthorizeOffline off): a listed Accepted card in doubt is refused at once but its request goes out; the answer restores the link', async () => {
    const r = new Rig({ auth: offlineModeSettings('NO_CHARGING') });
    expect(r.charger.applyLocalList({ listVersion: 1, updateType: 'Full', localAuthorizationList: [{ idTag: APP, idTagInfo: { status: 'Accepted' } }] })).toBe('Accepted');
    r.backend.overrides.set(APP, 'Accepted');
    r.bus.options.drop = (topic) => topic.endsWith('/auth/res');
    const lost = r.charger.tap(OTHER, 2);
    r.bus.drain();
    r.platform.clock.advance(2_000);
    expect(await lost).toMatchObject({ accept: false, offline: true });
    expect(r.charger.status().link).toBe('unknown');
    r.bus.options.drop = undefined;
    const asked = requests(r);
    const d = await r.charger.tap(APP, 1);
    expect(d).toMatchObject({ accept: false, status: 'Unknown', offline: true });
    r.bus.drain();
    expect(requests(r)).toBe(asked + 1);
    expect(r.charger.status().link).toBe('online');
    // The driver taps again (a refusal opens no re-tap window): online now, started from the list.
    expect(await r.charger.tap(APP, 1)).toMatchObject({ accept: true, offline: false, checkLater: true });
  });
});

describe('issue 18 (4): the cache lifetime counts from the last use', () => {
  it('a card used every 40 minutes stays in a one-hour cache offline; one unused for an hour falls out', async () => {
    const r = new Rig({ auth: { authCacheLifetimeS: 3600 } });
    r.backend.overrides.set(APP, 'Accepted');
    expect(await answered(r, r.charger.tap(APP, 1))).toMatchObject({ accept: true, method: 'AUTH_REQUEST' });
    charge(r, 1);
    r.charger.unplug(1);
    r.transport.setOnline(false);
    for (let i = 0; i < 4; i++) {
      r.platform.clock.advance(40 * 60_000);
      expect(await r.charger.tap(APP, 1)).toMatchObject({ accept: true, offline: true, reason: expect.stringContaining('authorization cache') });
      charge(r, 1);
      r.charger.unplug(1);
    }
    r.platform.clock.advance(HOUR);
    expect(await r.charger.tap(APP, 1)).toMatchObject({ accept: false, status: 'Unknown' });
  });
});

describe('issue 18 (5): stopping another card\'s session needs an authorized card', () => {
  const list = [
    { idTag: 'A0B0C0D0', idTagInfo: { status: 'Accepted' as const, groupId: 'HOUSE' } },
    { idTag: 'A0B0C0D1', idTagInfo: { status: 'Blocked' as const, groupId: 'HOUSE' } },
    { idTag: 'A0B0C0D2', idTagInfo: { status: 'Accepted' as const, groupId: 'HOUSE' } },
  ];

  it('offline: a Blocked card of the same group is refused and the session charges on; an Accepted one stops it', async () => {
    const r = new Rig({ online: false });
    expect(r.charger.applyLocalList({ listVersion: 1, updateType: 'Full', localAuthorizationList: list })).toBe('Accepted');
    expect((await r.charger.tap('A0B0C0D0', 1)).action).toBe('start');
    charge(r, 1);
    expect(await r.charger.tap('A0B0C0D1', 1)).toMatchObject({ accept: false, action: 'none', status: 'Blocked' });
    expect(r.charger.status().connectors[0].state).toBe('charging');
    expect(await r.charger.tap('A0B0C0D2', 1)).toMatchObject({ accept: true, action: 'stop', stopBy: 'group' });
    expect(r.records().map((x) => [x.uid, x.stopReason])).toEqual([['A0B0C0D0', 'GroupCard']]);
  });

  it('online: a card the backend names of the same group but Blocked may not stop it', async () => {
    const r = new Rig();
    const base = r.members[0];
    const blocked = '04AABBCCDDEE21'; // an app account of the group, not on the device table, no longer valid
    r.site.publish([{ countryCode: 'US', partyId: 'BLK', allowedUsesTable: true, tokens: [...r.site.current!.partners[0].tokens,
      { ...base, uid: blocked, type: 'APP_USER', group_id: 'HOUSE', valid: false, contract_id: 'US-BLK-H1' }] }]);
    r.run();
    expect(r.charger.applyLocalList({ listVersion: 1, updateType: 'Full', localAuthorizationList: [list[0]] })).toBe('Accepted');
    r.backend.overrides.set('A0B0C0D0', 'Accepted');
    expect((await r.charger.tap('A0B0C0D0', 1)).action).toBe('start');
    charge(r, 1);
    r.run();
    const d = await answered(r, r.charger.tap(blocked, 1));
    expect(d).toMatchObject({ accept: false, action: 'none', status: 'Blocked', method: 'AUTH_REQUEST' });
    expect(r.charger.status().connectors[0].state).toBe('charging');
  });
});

describe('issue 18 (6): master pass, LocalListConflict, ALWAYS with valid=false', () => {
  it('an id admitted offline whose post-authorization names the master pass group is stopped (master pass starts nothing)', async () => {
    const r = new Rig({ auth: { masterPassGroupId: 'M', allowOfflineTxForUnknownId: true } });
    const master = '04AABBCCDDEE02';
    r.site.publish([{ countryCode: 'US', partyId: 'BLK', allowedUsesTable: true, tokens: [...r.site.current!.partners[0].tokens,
      { ...r.members[0], uid: master, type: 'APP_USER', group_id: 'M', contract_id: 'US-BLK-M' }] }]);
    r.run();
    r.transport.setOnline(false);
    expect(await r.charger.tap(master, 1)).toMatchObject({ accept: true, unknownOffline: true, checkLater: true });
    charge(r, 1);
    r.transport.setOnline(true);
    r.run();
    expect(r.backend.counters.authAnswers.Accepted).toBe(1); // the backend accepts it, as a master pass…
    expect(stored(r)).toEqual([[master, 'DeAuthorized']]); // …which may not charge
  });

  it('a backend answer that contradicts the local list is a LocalListConflict, reported at once in status (llc)', async () => {
    const r = new Rig();
    expect(r.charger.applyLocalList({ listVersion: 1, updateType: 'Full', localAuthorizationList: [{ idTag: APP, idTagInfo: { status: 'Accepted' } }] })).toBe('Accepted');
    r.backend.overrides.set(APP, 'Blocked');
    expect(await r.charger.tap(APP, 1)).toMatchObject({ accept: true, checkLater: true });
    charge(r, 1);
    r.platform.clock.advance(0);
    r.bus.drain();
    expect(r.charger.status().localListConflicts).toBe(1);
    expect(r.backend.statuses.get(DEVICE)?.llc).toBe(1);
    expect(stored(r)).toEqual([[APP, 'DeAuthorized']]);
    // The list is the backend's to fix: it is kept as it was.
    expect(r.charger.authorizer.list.lookup(APP)).toEqual({ status: 'Accepted' });
  });

  it('ALWAYS with valid=false is refused from the table and never asked about (OCPI ALWAYS: real time "not possible/allowed")', async () => {
    const r = new Rig();
    const card = memberOf(r, 'ALWAYS');
    changeToken(r, card, { valid: false });
    const asked = requests(r);
    expect(await r.charger.tap(card, 1)).toMatchObject({ accept: false, status: 'Invalid', method: 'WHITELIST', offline: false });
    r.run();
    expect(requests(r)).toBe(asked);
  });
});

describe('issue 18 (7): the ambiguous cases, as decided in docs/auth.md', () => {
  it('a fresh answer is the backend\'s word now: a device clock a day fast accepts it and post-authorization keeps the session', async () => {
    const r = new Rig({ backendClockOffsetMs: -24 * HOUR, auth: { allowOfflineTxForUnknownId: true } });
    r.backend.overrides.set(APP, 'Accepted'); // the answer expires 24 h after the backend's now: the device's now
    expect(await answered(r, r.charger.tap(APP, 1))).toMatchObject({ accept: true, status: 'Accepted', method: 'AUTH_REQUEST' });
    charge(r, 1);
    r.charger.unplug(1);
    // Its cache entry has expired by the device's clock: offline it is not used…
    r.transport.setOnline(false);
    r.platform.clock.advance(5_000);
    expect(await r.charger.tap(APP, 2)).toMatchObject({ accept: false, status: 'Expired' });
    expect(await r.charger.tap(OTHER, 2)).toMatchObject({ accept: true, unknownOffline: true });
    charge(r, 2);
    r.backend.overrides.set(OTHER, 'Accepted');
    r.transport.setOnline(true);
    r.run();
    // …and the recheck's Accepted (expiring "now" by the device's clock) lets the session go on.
    expect(r.charger.status().connectors[1]).toMatchObject({ state: 'charging', uid: OTHER });
  });

  it('a card the backend blocked returns as unknown once its cache entry ages out; admitted offline, its post-authorization stops it', async () => {
    const r = new Rig({ auth: { authCacheLifetimeS: 3600, allowOfflineTxForUnknownId: true } });
    r.backend.overrides.set(APP, 'Blocked');
    expect(await answered(r, r.charger.tap(APP, 1))).toMatchObject({ accept: false, status: 'Blocked' });
    r.transport.setOnline(false);
    r.platform.clock.advance(30 * 60_000);
    expect(await r.charger.tap(APP, 1)).toMatchObject({ accept: false, status: 'Blocked', reason: expect.stringContaining('cache') });
    r.platform.clock.advance(2 * HOUR);
    expect(await r.charger.tap(APP, 1)).toMatchObject({ accept: true, unknownOffline: true, checkLater: true });
    charge(r, 1);
    r.transport.setOnline(true);
    r.run();
    expect(stored(r)).toEqual([[APP, 'DeAuthorized']]);
  });

  it('with the local list disabled its ids are cached like any other; enabling it drops them and the list decides', async () => {
    const r = new Rig({ auth: { localAuthListEnabled: false } });
    expect(r.charger.applyLocalList({ listVersion: 1, updateType: 'Full', localAuthorizationList: [{ idTag: APP, idTagInfo: { status: 'Blocked' } }] })).toBe('Accepted');
    r.backend.overrides.set(APP, 'Accepted');
    expect(await answered(r, r.charger.tap(APP, 1))).toMatchObject({ accept: true, method: 'AUTH_REQUEST' });
    charge(r, 1);
    r.charger.unplug(1);
    r.transport.setOnline(false);
    r.platform.clock.advance(5_000);
    expect(await r.charger.tap(APP, 1)).toMatchObject({ accept: true, reason: expect.stringContaining('authorization cache') });
    r.charger.unplug(1);
    r.platform.clock.advance(61_000);
    r.charger.authorizer.settings = { ...r.charger.authorizer.settings, localAuthListEnabled: true };
    expect(r.charger.authorizer.cache.peek(APP)).toBeUndefined();
    expect(await r.charger.tap(APP, 1)).toMatchObject({ accept: false, status: 'Blocked', reason: expect.stringContaining('local list') });
  });

  it('with no time to judge an expiry by (clock never synchronized since boot), a listed card with an expiry is refused offline and asked about online', async () => {
    const r = new Rig();
    const far = r.platform.clock.wall().ms + 30 * 24 * HOUR;
    expect(r.charger.applyLocalList({ listVersion: 1, updateType: 'Full', localAuthorizationList: [{ idTag: APP, idTagInfo: { status: 'Accepted', expiryDate: far } }] })).toBe('Accepted');
    r.reboot();
    r.platform.clock.setWall(r.platform.clock.wall().ms, 'U'); // no synchronized time this boot
    r.backend.overrides.set(APP, 'Accepted');
    const asked = requests(r);
    expect(await answered(r, r.charger.tap(APP, 1))).toMatchObject({ accept: true, method: 'AUTH_REQUEST' });
    expect(requests(r)).toBe(asked + 1);
    r.charger.unplug(1);
    r.platform.clock.advance(61_000);
    r.transport.setOnline(false);
    expect(await r.charger.tap(APP, 1)).toMatchObject({ accept: false, status: 'Expired' });
  });
});
