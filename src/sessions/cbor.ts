import { Decoder } from 'cbor-x/decode';
import { Encoder } from 'cbor-x/encode';
import { withCborIntegers } from '../codec/cbor.js';

// Records and COSE headers are CBOR maps with small integer keys (COSE style:
// one byte per key, so that ≥ 5,000 signed records fit in a MiB). The shared
// codec decodes maps as objects and tags JS Maps (tag 259), so sessions keep
// their own fixed configuration: plain untagged maps in, JS Maps out. Integers
// as in src/codec/cbor.ts: every one up to 2^53 − 1 a CBOR integer of the
// shortest form (never a float), decoded back as a number.
const encoder = new Encoder({ useRecords: false, mapsAsObjects: false, useTag259ForMaps: false, tagUint8Array: false, variableMapSize: true } as never);
const decoder = new Decoder({ useRecords: false, mapsAsObjects: false, int64AsNumber: true } as never);

export function encodeIntMap(entries: Array<[number, unknown]>): Uint8Array {
  return encoder.encode(withCborIntegers(new Map(entries)));
}

export function encodeValue(value: unknown): Uint8Array {
  return encoder.encode(withCborIntegers(value));
}

/** Decodes one CBOR item; anything malformed or with trailing bytes throws. */
export function decodeValue(bytes: Uint8Array): unknown {
  return decoder.decode(bytes);
}
