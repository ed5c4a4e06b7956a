// Fake of Moddable's `preference` on ESP32 (NVS): domain = namespace; keys and
// domains 1..15 characters; values boolean (u8), integer (i32), string (≤ 3,999
// bytes + NUL), ArrayBuffer blob (≤ 4,000 bytes here: the NVS limit);
// anything else throws, storing nothing. get() of a blob returns a new ArrayBuffer.
import { device } from './device.js';

const STRING_MAX = 3999;
const BLOB_MAX = 4000;

function name(what: string, s: unknown): string {
  if (typeof s !== 'string' || s.length === 0 || s.length > 15) throw new Error(`preference: ${what} must be 1..15 characters: ${JSON.stringify(s)}`);
  return s;
}

const Preference = {
  set(domain: string, key: string, value: string | boolean | number | ArrayBuffer): void {
    name('domain', domain);
    name('key', key);
    let stored: string | boolean | number | ArrayBuffer;
    if (typeof value === 'boolean') stored = value;
    else if (typeof value === 'number') {
      if ((value | 0) !== value) throw new Error(`preference: ${key}: numbers are stored as int32`);
      stored = value;
    } else if (typeof value === 'string') {
      if (new TextEncoder().encode(value).length > STRING_MAX) throw new Error(`preference: ${key}: string over ${STRING_MAX} bytes`);
      stored = value;
    } else if (value instanceof ArrayBuffer) {
      if (value.byteLength > BLOB_MAX) throw new Error(`preference: ${key}: buffer over ${BLOB_MAX} bytes`);
      stored = value.slice(0);
    } else throw new Error(`preference: ${key}: unsupported value type`);
    let ns = device.nvs.get(domain);
    if (!ns) device.nvs.set(domain, (ns = new Map()));
    ns.set(key, stored);
  },
  get(domain: string, key: string): string | boolean | number | ArrayBuffer | undefined {
    name('domain', domain);
    name('key', key);
    const v = device.nvs.get(domain)?.get(key);
    return v instanceof ArrayBuffer ? v.slice(0) : v;
  },
  delete(domain: string, key: string): void {
    name('domain', domain);
    name('key', key);
    device.nvs.get(domain)?.delete(key);
  },
  keys(domain: string): string[] {
    name('domain', domain);
    return [...(device.nvs.get(domain)?.keys() ?? [])];
  },
};

export default Preference;
