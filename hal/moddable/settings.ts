import Preference from 'preference';
import { checkSetting, SettingsError, type Settings, type SettingValue } from '../settings.js';
import { decodeString, encodeValue } from './nvs-encoding.js';

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
