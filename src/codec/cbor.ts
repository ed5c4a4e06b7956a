import { Decoder } from 'cbor-x/decode';
import { Encoder } from 'cbor-x/encode';

/**
 * The largest magnitude of an integer in any roam record or message:
 * 2^53 − 1, the largest integer a JS number holds exactly. Every integer up
 * to it is written as a CBOR unsigned (major type 0) or negative (major type
 * 1) integer of the shortest form; beyond it the encoder throws.
 */
export const MAX_CBOR_INTEGER = Number.MAX_SAFE_INTEGER;

// cbor-x writes a whole number as a CBOR integer only while it fits 32 bits
// (0..2^32−1, and −2^32..−1); above that it writes a float64 (0xfb …), and a
// BigInt below 2^64 as the 8-byte integer (0x1b / 0x3b). So a whole number
// beyond 32 bits goes to cbor-x as a BigInt: 2^32..2^53−1 need the 8-byte
// argument anyway, so that form is also the shortest.
const TWO_32 = 0x100000000;

/** A number cbor-x would write as a float although it is a whole number: its BigInt; else the value itself. */
function integerOf(v: number): number | bigint {
  if (v < TWO_32 && v >= -TWO_32) return v;
  if (!Number.isInteger(v)) return v; // a fraction, ±Infinity, NaN: no roam field is one; integer checks refuse them on decode
  if (v > MAX_CBOR_INTEGER || v < -MAX_CBOR_INTEGER) throw new RangeError(`integer ${v} is beyond ±${MAX_CBOR_INTEGER} (2^53 − 1): not encoded`);
  return BigInt(v);
}

/**
 * `value` with every whole number beyond 32 bits replaced by its BigInt, so
 * that cbor-x writes it as an integer. Copies only the arrays, maps and plain
 * objects on the way to a replaced number; anything else is the input itself
 * (no allocation for the common message or record).
 */
export function withCborIntegers(value: unknown): unknown {
  if (typeof value === 'number') return integerOf(value);
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = withCborIntegers(value[i]);
      if (v !== value[i]) (out ??= value.slice())[i] = v;
    }
    return out ?? value;
  }
  if (value instanceof Map) {
    let out: Map<unknown, unknown> | undefined;
    for (const [k, v] of value) {
      const k2 = withCborIntegers(k);
      const v2 = withCborIntegers(v);
      if (!out && (k2 !== k || v2 !== v)) {
        // The first change: copy the entries before it, in order.
        out = new Map();
        for (const [a, b] of value) {
          if (Object.is(a, k)) break;
          out.set(a, b);
        }
      }
      out?.set(k2, v2);
    }
    return out ?? value;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  let out: Record<string, unknown> | undefined;
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    const v = withCborIntegers(o[k]);
    if (v !== o[k]) (out ??= { ...o })[k] = v;
  }
  return out ?? value;
}

// One fixed configuration, so that bytes are identical on Node and XS and
// stable across releases: plain maps, no record extension, untagged byte strings.
// int64AsNumber: an 8-byte integer decodes as a number (exact up to 2^53 − 1;
// beyond, an inexact one that every integer check refuses), never a BigInt.
const options = { useRecords: false, mapsAsObjects: true, tagUint8Array: false, variableMapSize: true } as const;
const encoder = new Encoder(options);
const decoder = new Decoder({ ...options, int64AsNumber: true } as never);

export function encodeCbor(value: unknown): Uint8Array {
  return encoder.encode(withCborIntegers(value));
}

export function decodeCbor(bytes: Uint8Array): unknown {
  return decoder.decode(bytes);
}
