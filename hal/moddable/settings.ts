import Preference from 'preference';
import { checkSetting, SettingsError, type Settings, type SettingValue } from '../settings.js';

/** NVS strings are C strings of at most 4000 bytes including the terminator. */
export const NVS_STRING_MAX = 3999;

/**
 * Settings in ESP-IDF NVS through Moddable's `preference` module; the domain is
 * the NVS namespace. NVS types on ESP32: booleans u8, integers i32, strings,
 * blobs. NVS has no float type, so a number outside int32 is kept as a string
 * "=<number>", and a string that itself starts with "=" gets one more "=".
 * `roam provision` writes its NVS image with the same encoding.
 */
export class PreferenceSettings implements Settings {
  constructor(readonly domain = 'roam') {
    if (domain.length === 0 || domain.length > 15) throw new SettingsError(`NVS namespace must be 1..15 characters: ${JSON.stringify(domain)}`);
  }

  get(key: string): SettingValue | undefined {
    const v = Preference.get(this.domain, key);
    if (v === undefined) return undefined;
    if (v instanceof ArrayBuffer) return new Uint8Array(v);
    return typeof v === 'string' ? decodeString(v) : v;
  }

  set(key: string, value: SettingValue): void {
    checkSetting(key, value);
    const stored = encodeValue(key, value);
    try {
      Preference.set(this.domain, key, stored);
    } catch (e) {
      throw new SettingsError(`NVS refused ${key}: ${(e as Error).message}`);
    }
  }

  delete(key: string): void {
    if (Preference.get(this.domain, key) !== undefined) Preference.delete(this.domain, key);
  }

  keys(): string[] {
    return Preference.keys(this.domain);
  }
}

/** The value as Preference stores it (shared with the provisioning tool). */
export function encodeValue(key: string, value: SettingValue): string | number | boolean | ArrayBuffer {
  if (value instanceof Uint8Array) return value.slice().buffer as ArrayBuffer;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return (value | 0) === value && !Object.is(value, -0) ? value : checkString(key, `=${value}`);
  return checkString(key, value.startsWith('=') ? `=${value}` : value);
}

export function decodeString(stored: string): string | number {
  if (!stored.startsWith('=')) return stored;
  if (stored.startsWith('==')) return stored.slice(1);
  return Number(stored.slice(1));
}

function checkString(key: string, s: string): string {
  if (s.includes('\0')) throw new SettingsError(`settings value for ${key}: NVS strings cannot hold a NUL character`);
  const bytes = new TextEncoder().encode(s).length;
  if (bytes > NVS_STRING_MAX) throw new SettingsError(`settings value for ${key} is ${bytes} bytes as an NVS string, over ${NVS_STRING_MAX}`);
  return s;
}
