import type { Settings, SettingValue } from '../../hal/settings.js';

/** The authorization settings, named as OCPP names them where OCPP has a name. */
export interface AuthSettings {
  /** OCPP LocalAuthListEnabled: consult the local list at all. */
  localAuthListEnabled: boolean;
  /** OCPP LocalAuthorizeOffline: offline, ids the list/cache/table accept may charge. */
  localAuthorizeOffline: boolean;
  /** OCPP LocalPreAuthorize: online, ids the list/cache accept start without asking. */
  localPreAuthorize: boolean;
  /** OCPP AllowOfflineTxForUnknownId: offline, ids no local source knows may charge. */
  allowOfflineTxForUnknownId: boolean;
  /** OCPP AuthorizationCacheEnabled. */
  authorizationCacheEnabled: boolean;
  /** OCPP 2.0.1 AuthCacheLifeTime, seconds; 0 = entries never age out. */
  authCacheLifetimeS: number;
  /** Bound of the cache; past it the eviction policy drops entries. */
  authCacheMaxEntries: number;
  /** How long a tap waits for the backend before the offline decision stands. */
  onlineTimeoutMs: number;
  /** Offline cap for unknown ids: sessions in progress started that way; 0 = no cap. */
  unknownMaxSessions: number;
  /** Offline cap for unknown ids: energy per session, Wh; 0 = no cap. */
  unknownMaxWh: number;
  /** OCPP StopTransactionOnInvalidId / StopTxOnInvalidId. */
  stopTxOnInvalidId: boolean;
  /** OCPP MaxEnergyOnInvalidId, Wh; 0 = not set. */
  maxEnergyOnInvalidId: number;
  /** OCPP 2.0.1 MasterPassGroupId: stops any session, starts none; '' = none. */
  masterPassGroupId: string;
  /** Offline, anyone charges, nothing is checked later (KEBA's free charging). */
  freeVend: boolean;
  /**
   * FLOOD-1: the same card on the same connector within this many ms (monotonic)
   * of its last accepted or ignored tap is ignored; 0 = no guard.
   */
  retapGuardMs: number;
}

export class AuthSettingsError extends Error {
  constructor(message: string) {
    super(message);
    // Defined, not assigned: on a device preloading freezes Error.prototype, and
    // `this.name = …` then throws ("set name: not writable") instead of naming the error.
    Object.defineProperty(this, 'name', { value: 'AuthSettingsError', writable: true, enumerable: true, configurable: true });
  }
}

type Kind = { type: 'boolean' } | { type: 'integer'; min: number; max: number } | { type: 'string'; max: number };
interface Spec { key: string; kind: Kind; fallback: boolean | number | string }

const DAY_S = 86_400;
const bool = (fallback: boolean, key: string): Spec => ({ key, kind: { type: 'boolean' }, fallback });
const int = (fallback: number, key: string, min: number, max: number): Spec => ({ key, kind: { type: 'integer', min, max }, fallback });

// NVS keys are at most 15 characters, so OCPP names map to short keys.
const SPECS: { [K in keyof AuthSettings]: Spec } = {
  localAuthListEnabled: bool(true, 'LocalListOn'),
  localAuthorizeOffline: bool(true, 'LocAuthOffline'),
  localPreAuthorize: bool(true, 'LocPreAuth'),
  allowOfflineTxForUnknownId: bool(false, 'OfflineUnknown'),
  authorizationCacheEnabled: bool(true, 'AuthCacheOn'),
  authCacheLifetimeS: int(7 * DAY_S, 'AuthCacheLifeS', 0, 3650 * DAY_S),
  authCacheMaxEntries: int(1000, 'AuthCacheMax', 1, 100_000),
  onlineTimeoutMs: int(2000, 'AuthTimeoutMs', 100, 60_000),
  unknownMaxSessions: int(0, 'UnknownMaxSess', 0, 10_000),
  unknownMaxWh: int(0, 'UnknownMaxWh', 0, 10_000_000),
  stopTxOnInvalidId: bool(true, 'StopTxInvalid'),
  maxEnergyOnInvalidId: int(0, 'MaxWhOnInvalid', 0, 10_000_000),
  masterPassGroupId: { key: 'MasterPassGrp', kind: { type: 'string', max: 36 }, fallback: '' },
  freeVend: bool(false, 'FreeVend'),
  // Past a minute a deliberate stop would wait too long.
  retapGuardMs: int(3000, 'RetapGuardMs', 0, 60_000),
};

export const AUTH_SETTING_NAMES = Object.keys(SPECS) as (keyof AuthSettings)[];

/** The NVS key a setting is stored under. */
export function settingKey(name: keyof AuthSettings): string {
  return SPECS[name].key;
}

export function defaultAuthSettings(): AuthSettings {
  const s: Record<string, unknown> = {};
  for (const name of AUTH_SETTING_NAMES) s[name] = SPECS[name].fallback;
  return s as unknown as AuthSettings;
}

/**
 * Checks one value, accepting OCPP's string form ("true", "30") as
 * ChangeConfiguration sends it; throws AuthSettingsError for anything else.
 */
export function parseAuthSetting<K extends keyof AuthSettings>(name: K, value: unknown): AuthSettings[K] {
  const spec = SPECS[name];
  if (!spec) throw new AuthSettingsError(`unknown authorization setting ${JSON.stringify(name)}`);
  const kind = spec.kind;
  if (kind.type === 'boolean') {
    if (typeof value === 'boolean') return value as AuthSettings[K];
    if (value === 'true' || value === 'false') return (value === 'true') as AuthSettings[K];
    throw new AuthSettingsError(`${name} must be true or false, got ${show(value)}`);
  }
  if (kind.type === 'integer') {
    const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < kind.min || n > kind.max)
      throw new AuthSettingsError(`${name} must be an integer in ${kind.min}..${kind.max}, got ${show(value)}`);
    return n as AuthSettings[K];
  }
  if (typeof value !== 'string' || value.length > kind.max)
    throw new AuthSettingsError(`${name} must be a string of at most ${kind.max} characters, got ${show(value)}`);
  return value as AuthSettings[K];
}

/** Settings as stored; a stored value that fails its check is reported and replaced by its default. */
export function loadAuthSettings(store: Settings, onProblem?: (problem: AuthSettingsError) => void): AuthSettings {
  const s = defaultAuthSettings() as unknown as Record<string, unknown>;
  for (const name of AUTH_SETTING_NAMES) {
    const raw = store.get(SPECS[name].key);
    if (raw === undefined) continue;
    try {
      s[name] = parseAuthSetting(name, raw);
    } catch (e) {
      if (!(e instanceof AuthSettingsError)) throw e;
      onProblem?.(e);
    }
  }
  return s as unknown as AuthSettings;
}

/** Checks, then stores; a bad value throws AuthSettingsError and stores nothing. */
export function saveAuthSetting<K extends keyof AuthSettings>(store: Settings, name: K, value: unknown): AuthSettings[K] {
  const v = parseAuthSetting(name, value);
  store.set(SPECS[name].key, v as SettingValue);
  return v;
}

/** OCPP 2.0.1 MasterPassGroupId: "IdTokens that have this id as groupId belong to the Master Pass Group." */
export function isMasterPassGroup(s: AuthSettings, groupId: string | undefined): boolean {
  return groupId !== undefined && s.masterPassGroupId !== '' && groupId === s.masterPassGroupId;
}

/**
 * The offline modes commercial wallboxes offer (KEBA's names, roughly), as
 * presets of the OCPP flags they amount to.
 */
export type OfflineMode = 'LOCAL_ONLY' | 'UNKNOWN_CHECK_LATER' | 'NO_CHARGING' | 'FREE_VEND';

export function offlineModeSettings(mode: OfflineMode): Partial<AuthSettings> {
  switch (mode) {
    case 'LOCAL_ONLY': return { localAuthorizeOffline: true, allowOfflineTxForUnknownId: false, freeVend: false };
    case 'UNKNOWN_CHECK_LATER':
      return { localAuthorizeOffline: true, allowOfflineTxForUnknownId: true, stopTxOnInvalidId: true, freeVend: false };
    case 'NO_CHARGING': return { localAuthorizeOffline: false, allowOfflineTxForUnknownId: false, freeVend: false };
    case 'FREE_VEND': return { localAuthorizeOffline: true, allowOfflineTxForUnknownId: true, freeVend: true };
    default: throw new AuthSettingsError(`unknown offline mode ${show(mode)}`);
  }
}

/** Stores a preset; checked as a whole first, so a bad mode stores nothing. */
export function saveOfflineMode(store: Settings, mode: OfflineMode): void {
  const preset = offlineModeSettings(mode);
  for (const [name, value] of Object.entries(preset)) saveAuthSetting(store, name as keyof AuthSettings, value);
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : v instanceof Uint8Array ? `${v.length} bytes` : String(v);
}
