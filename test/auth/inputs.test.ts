import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSettings } from '../../host-sim/hal/settings-file.js';
import {
  AUTH_SETTING_NAMES, AuthSettingsError, checkUid, defaultAuthSettings, loadAuthSettings, parseAuthSetting, saveAuthSetting,
  saveOfflineMode, settingKey, TapError, UidFormatError,
} from '../../src/auth/index.js';
import { world } from './world.js';

describe('UIDs and taps', () => {
  it('accepts 4, 7 and 10 byte UIDs in upper-case hex', () => {
    for (const uid of ['04A1B2C3', '04A1B2C3D4E5F6', '04A1B2C3D4E5F6A7B8C9']) expect(checkUid(uid)).toBe(uid);
  });
  for (const bad of ['', '04a1b2c3', '04A1B2C', '04A1B2C3D4', '04A1B2C3D4E5G6', '08A1B2C3', ' 4A1B2C3'])
    it(`refuses ${JSON.stringify(bad)} with UidFormatError`, () => expect(() => checkUid(bad)).toThrow(UidFormatError));

  it('a malformed tap throws before anything is asked or cached', () => {
    const w = world({}, { status: 'Accepted' });
    expect(() => w.auth.tap({ uid: '08A1B2C3', connector: 1 }, () => {})).toThrow(UidFormatError);
    expect(() => w.auth.tap({ uid: '04A1B2C3', connector: -1 }, () => {})).toThrow(TapError);
    expect(() => w.auth.tap({ uid: new Uint8Array([4, 1, 2, 3]), connector: 1 }, () => {})).toThrow(UidFormatError);
    expect(w.backend.requests).toHaveLength(0);
    expect(w.auth.cache.size).toBe(0);
  });
});

describe('authorization settings', () => {
  it('every NVS key fits the 15-character limit and is distinct', () => {
    const keys = AUTH_SETTING_NAMES.map(settingKey);
    for (const k of keys) expect(k.length).toBeLessThanOrEqual(15);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('defaults: OCPP-like (local offline and pre-authorize on, unknown ids refused offline, cache on)', () => {
    expect(defaultAuthSettings()).toMatchObject({
      localAuthListEnabled: true, localAuthorizeOffline: true, localPreAuthorize: true, allowOfflineTxForUnknownId: false,
      authorizationCacheEnabled: true, onlineTimeoutMs: 2000, stopTxOnInvalidId: true, freeVend: false, masterPassGroupId: '',
    });
  });

  it('parses OCPP ChangeConfiguration strings', () => {
    expect(parseAuthSetting('localPreAuthorize', 'false')).toBe(false);
    expect(parseAuthSetting('onlineTimeoutMs', '3500')).toBe(3500);
    expect(parseAuthSetting('masterPassGroupId', 'MASTER')).toBe('MASTER');
  });

  const bad: [string, unknown][] = [
    ['localPreAuthorize', 'yes'], ['localPreAuthorize', 1], ['onlineTimeoutMs', 50], ['onlineTimeoutMs', '2s'],
    ['onlineTimeoutMs', 1.5], ['authCacheMaxEntries', 0], ['unknownMaxWh', -1], ['masterPassGroupId', 'M'.repeat(37)],
    ['noSuchSetting', true],
  ];
  for (const [name, value] of bad)
    it(`refuses ${name}=${JSON.stringify(value)} with AuthSettingsError and stores nothing`, () => {
      const store = new FileSettings();
      saveAuthSetting(store, 'onlineTimeoutMs', 3000);
      expect(() => saveAuthSetting(store, name as 'onlineTimeoutMs', value)).toThrow(AuthSettingsError);
      expect(store.keys()).toEqual([settingKey('onlineTimeoutMs')]);
      expect(store.get(settingKey('onlineTimeoutMs'))).toBe(3000);
    });

  it('loads what was stored; a corrupt stored value is reported and its default used', () => {
    const store = new FileSettings();
    saveAuthSetting(store, 'allowOfflineTxForUnknownId', 'true');
    store.set(settingKey('onlineTimeoutMs'), 'soon');
    const problems: string[] = [];
    const s = loadAuthSettings(store, (e) => problems.push(e.message));
    expect(s.allowOfflineTxForUnknownId).toBe(true);
    expect(s.onlineTimeoutMs).toBe(2000);
    expect(problems).toHaveLength(1);
  });

  it('offline modes store the OCPP flags they amount to', () => {
    const store = new FileSettings();
    saveOfflineMode(store, 'NO_CHARGING');
    expect(loadAuthSettings(store)).toMatchObject({ localAuthorizeOffline: false, allowOfflineTxForUnknownId: false, freeVend: false });
    saveOfflineMode(store, 'FREE_VEND');
    expect(loadAuthSettings(store)).toMatchObject({ localAuthorizeOffline: true, allowOfflineTxForUnknownId: true, freeVend: true });
    expect(() => saveOfflineMode(store, 'SOMETIMES' as 'FREE_VEND')).toThrow(AuthSettingsError);
    expect(loadAuthSettings(store).freeVend).toBe(true);
  });
});

describe('the tap path stays light', () => {
  // No flash, no signing, no compression, no Node: only portable imports.
  const dir = join(import.meta.dirname, '../../src/auth');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts')))
    it(`${file} imports only src/auth, src/tokens, src/codec (CBOR), hal clock/settings`, () => {
      const text = readFileSync(join(dir, file), 'utf8');
      const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      for (const i of imports) expect(i).toMatch(/^(\.\/[a-z-]+\.js|\.\.\/\.\.\/hal\/(clock|settings)\.js|\.\.\/(tokens|codec)\/index\.js)$/);
    });
});

describe('raw reader output', () => {
  it('is normalized per the reader configuration (reversed bytes)', async () => {
    const { VirtualClock } = await import('../../host-sim/hal/virtual-clock.js');
    const { Authorizer, SessionTable } = await import('../../src/auth/index.js');
    const { FakeBackend, MapTokens } = await import('./decision-table.js');
    const { UidError } = await import('../../src/tokens/index.js');
    const clock = new VirtualClock();
    const backend = new FakeBackend(clock, undefined);
    backend.online = false;
    const tokens = new MapTokens();
    tokens.map.set('04A1B2C3', { uid: '04A1B2C3', partner: { id: 1, countryCode: 'US', partyId: 'BLK', allowedUsesTable: true }, whitelist: 'ALWAYS', valid: true, type: 'RFID', sourceVersion: 1 });
    const auth = new Authorizer({ clock, tokens, sessions: new SessionTable(), online: backend, reader: { input: 'bytes', reversed: true } });
    const d = await auth.authorize({ uid: new Uint8Array([0xc3, 0xb2, 0xa1, 0x04]), connector: 1 });
    expect([d.uid, d.accept]).toEqual(['04A1B2C3', true]);
    expect(() => auth.tap({ uid: new Uint8Array([1, 2, 3]), connector: 1 }, () => {})).toThrow(UidError);
  });
});
