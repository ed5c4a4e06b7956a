// How a roam setting maps to an NVS value (portable: the device's settings and
// the provisioning tool share it). NVS has no float type: a number outside
// int32 is kept as the string "=<number>", and a string that itself starts
// with "=" gets one more "=". NVS strings hold 3999 bytes plus a terminator.
import { SettingsError, type SettingValue } from '../settings.js';

export const NVS_STRING_MAX = 3999;

export type NvsStored = string | number | boolean | ArrayBuffer;

export function encodeValue(key: string, value: SettingValue): NvsStored {
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
