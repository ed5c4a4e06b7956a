// ESP-IDF NVS partition images (format version 2), as nvs_flash reads them and
// Moddable's `preference` module sees them: namespace = preference domain.
// Layout: 4 KiB pages; a 32-byte header, a 32-byte entry-state bitmap, 126
// entries of 32 bytes. CRCs are zlib's crc32 started from 0xFFFFFFFF.
import { crc32 } from 'node:zlib';

export const PAGE = 4096;
const ENTRIES = 126;
const ACTIVE = 0xfffffffe, FULL = 0xfffffffc;
export const T = { U8: 0x01, I32: 0x14, STR: 0x21, BLOB_DATA: 0x42, BLOB_IDX: 0x48 } as const;

export class NvsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NvsError';
  }
}

export type NvsValue = boolean | number | string | Uint8Array;

const crc = (b: Uint8Array) => crc32(b, 0xffffffff) >>> 0;

interface Item { ns: number; type: number; key: string; chunk: number; data: Uint8Array; payload?: Uint8Array }

/** Builds an NVS image of `size` bytes holding `values` in namespace `namespace`. */
export function nvsImage(size: number, namespace: string, values: Record<string, NvsValue>): Uint8Array {
  if (size % PAGE !== 0 || size < 3 * PAGE) throw new NvsError(`NVS partition size must be a multiple of 4096 and at least 3 pages, got ${size}`);
  checkKey(namespace, 'namespace');
  const items: Item[] = [{ ns: 0, type: T.U8, key: namespace, chunk: 0xff, data: fixed([1]) }];
  for (const [key, value] of Object.entries(values)) {
    checkKey(key, 'key');
    items.push(...itemsOf(1, key, value));
  }
  const image = new Uint8Array(size).fill(0xff);
  let page = 0, slot = 0;
  const pages = size / PAGE;
  const header = (p: number, state: number) => {
    const h = new DataView(image.buffer, p * PAGE, 32);
    h.setUint32(0, state, true);
    h.setUint32(4, p, true);
    image[p * PAGE + 8] = 0xfe; // format version 2
    h.setUint32(28, crc(image.subarray(p * PAGE + 4, p * PAGE + 28)), true);
  };
  header(0, ACTIVE);
  for (const item of items) {
    const span = 1 + Math.ceil((item.payload?.length ?? 0) / 32);
    if (slot + span > ENTRIES) {
      header(page, FULL);
      page++;
      slot = 0;
      // NVS keeps one page free for its own garbage collection.
      if (page >= pages - 1) throw new NvsError(`settings do not fit in an NVS partition of ${size} bytes`);
      header(page, ACTIVE);
    }
    const base = page * PAGE + 64 + slot * 32;
    const e = image.subarray(base, base + 32);
    e[0] = item.ns; e[1] = item.type; e[2] = span; e[3] = item.chunk;
    e.fill(0, 8, 24);
    new TextEncoder().encodeInto(item.key, e.subarray(8, 24));
    e.set(item.data, 24);
    const withoutCrc = new Uint8Array(28);
    withoutCrc.set(e.subarray(0, 4), 0);
    withoutCrc.set(e.subarray(8), 4);
    new DataView(e.buffer, e.byteOffset).setUint32(4, crc(withoutCrc), true);
    if (item.payload) image.set(item.payload, base + 32);
    for (let i = slot; i < slot + span; i++) {
      const at = page * PAGE + 32 + (i >> 2);
      image[at] &= ~(1 << ((i & 3) * 2)) & 0xff; // 0b11 empty → 0b10 written
    }
    slot += span;
  }
  return image;
}

function itemsOf(ns: number, key: string, value: NvsValue): Item[] {
  if (typeof value === 'boolean') return [{ ns, type: T.U8, key, chunk: 0xff, data: fixed([value ? 1 : 0]) }];
  if (typeof value === 'number') {
    if ((value | 0) !== value) throw new NvsError(`${key}: NVS integers are int32; encode ${value} first`);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, value, true);
    return [{ ns, type: T.I32, key, chunk: 0xff, data: fixed([...b]) }];
  }
  if (typeof value === 'string') {
    const text = new TextEncoder().encode(value);
    if (text.includes(0)) throw new NvsError(`${key}: NVS strings cannot hold NUL`);
    const payload = new Uint8Array(text.length + 1);
    payload.set(text);
    if (payload.length > 4000) throw new NvsError(`${key}: NVS strings hold at most 3999 bytes, got ${text.length}`);
    return [{ ns, type: T.STR, key, chunk: 0xff, data: sized(payload), payload }];
  }
  // Blobs as version 2 writes them: data chunks, then an index entry.
  if (value.length > 4000) throw new NvsError(`${key}: blob of ${value.length} bytes is over 4000`);
  const idx = new Uint8Array(8).fill(0xff);
  new DataView(idx.buffer).setUint32(0, value.length, true);
  idx[4] = 1; idx[5] = 0;
  return [
    { ns, type: T.BLOB_DATA, key, chunk: 0, data: sized(value), payload: value },
    { ns, type: T.BLOB_IDX, key, chunk: 0xff, data: idx },
  ];
}

function fixed(bytes: number[]): Uint8Array {
  const d = new Uint8Array(8).fill(0xff);
  d.set(bytes);
  return d;
}

function sized(payload: Uint8Array): Uint8Array {
  const d = new Uint8Array(8).fill(0xff);
  const v = new DataView(d.buffer);
  v.setUint16(0, payload.length, true);
  v.setUint32(4, crc(payload), true);
  return d;
}

/** An NVS key or namespace: 1..15 printable ASCII characters (ESP-IDF NVS_KEY_NAME_MAX_SIZE 16 with the NUL). */
export function checkKey(key: string, what: string): void {
  if (!/^[\x21-\x7e]{1,15}$/.test(key)) throw new NvsError(`NVS ${what} must be 1..15 printable ASCII characters: ${JSON.stringify(key)}`);
}

/** Reads every namespace's values out of an NVS image (written entries only; CRCs checked). */
export function readNvs(image: Uint8Array): Map<string, Map<string, NvsValue>> {
  if (image.length % PAGE !== 0) throw new NvsError(`an NVS image is whole 4096-byte pages; got ${image.length} bytes`);
  const names = new Map<number, string>();
  const raw: Array<{ ns: number; key: string; value: NvsValue }> = [];
  const chunks = new Map<string, Uint8Array[]>();
  for (let p = 0; p < image.length; p += PAGE) {
    const state = new DataView(image.buffer, image.byteOffset + p).getUint32(0, true);
    if (state !== ACTIVE && state !== FULL) continue;
    for (let slot = 0; slot < ENTRIES;) {
      const bits = (image[p + 32 + (slot >> 2)] >> ((slot & 3) * 2)) & 3;
      const e = image.subarray(p + 64 + slot * 32, p + 96 + slot * 32);
      if (bits !== 2) { slot++; continue; }
      const span = e[2] || 1;
      const key = new TextDecoder().decode(e.subarray(8, 24)).replace(/\0.*$/s, '');
      const d = new DataView(e.buffer, e.byteOffset + 24, 8);
      const payload = () => {
        const size = d.getUint16(0, true);
        return image.slice(p + 96 + slot * 32, p + 96 + slot * 32 + size);
      };
      if (e[0] === 0 && e[1] === T.U8) names.set(e[24], key);
      else if (e[1] === T.U8) raw.push({ ns: e[0], key, value: e[24] === 1 });
      else if (e[1] === T.I32) raw.push({ ns: e[0], key, value: d.getInt32(0, true) });
      else if (e[1] === T.STR) raw.push({ ns: e[0], key, value: new TextDecoder().decode(payload().subarray(0, -1)) });
      else if (e[1] === T.BLOB_DATA) {
        const id = `${e[0]}\0${key}`;
        const list = chunks.get(id) ?? [];
        list[e[3]] = payload();
        chunks.set(id, list);
      } else if (e[1] === T.BLOB_IDX) raw.push({ ns: e[0], key, value: new Uint8Array(0) });
      slot += span;
    }
  }
  const out = new Map<string, Map<string, NvsValue>>();
  for (const { ns, key, value } of raw) {
    const name = names.get(ns) ?? `#${ns}`;
    if (!out.has(name)) out.set(name, new Map());
    const blob = chunks.get(`${ns}\0${key}`);
    out.get(name)!.set(key, value instanceof Uint8Array && blob ? Uint8Array.from(Buffer.concat(blob.filter(Boolean))) : value);
  }
  return out;
}
