/** NVS-like limits, as ESP-IDF's NVS (and Moddable's Preference) enforce them. */
export const SETTINGS_KEY_MAX = 15;
export const SETTINGS_VALUE_MAX = 4000;

export type SettingValue = string | number | boolean | Uint8Array;

/** A small persistent key-value store for settings, one domain (NVS namespace) per store. */
export interface Settings {
  get(key: string): SettingValue | undefined;
  /** Throws SettingsError, storing nothing, for a key or value past the limits. */
  set(key: string, value: SettingValue): void;
  delete(key: string): void;
  keys(): string[];
}

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    // Defined, not assigned: on a device preloading freezes Error.prototype, and
    // `this.name = …` then throws ("set name: not writable") instead of naming the error.
    Object.defineProperty(this, 'name', { value: 'SettingsError', writable: true, enumerable: true, configurable: true });
  }
}

/** The one check every implementation applies before it stores anything. */
export function checkSetting(key: string, value: SettingValue): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > SETTINGS_KEY_MAX)
    throw new SettingsError(`settings key must be 1..${SETTINGS_KEY_MAX} characters: ${JSON.stringify(key)}`);
  const size = typeof value === 'string' ? new TextEncoder().encode(value).length
    : value instanceof Uint8Array ? value.length : 8;
  if (typeof value === 'number' && !Number.isFinite(value))
    throw new SettingsError(`settings value for ${key} must be a finite number`);
  if (size > SETTINGS_VALUE_MAX)
    throw new SettingsError(`settings value for ${key} is ${size} bytes, over ${SETTINGS_VALUE_MAX}`);
}
