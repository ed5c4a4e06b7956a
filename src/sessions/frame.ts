import { put32, u32 } from '../codec/bytes.js';
import { crc32 } from '../codec/crc32.js';
import { MAX_PAYLOAD_BYTES, seqOfPayload } from './record.js';
import { SIGNATURE_BYTES } from './cose.js';

// The journal's on-flash framing, hand-written (not CBOR): recovery walks every
// byte of the region at boot, so the framing must be parseable with a few
// integer reads and one CRC, without allocating, on XS on a microcontroller.
//
// Sector header (12 bytes):  'R' 'J'  version  0xFF  counter:u32le  crc32(bytes 0..7):u32le
//   version 1: entries fill the sector to its end (journals written before the seal)
//   version 2: the last SEAL_BYTES of the sector are the seal's place (journal-seal.ts)
// Entry (7 + n bytes):        type:u8  n:u16le  body[n]  crc32(type, n, body):u32le
//   'R' record:    body = the record's CBOR payload (its seq is key 1)
//   'S' signature: body = seq:u32le, ES256 r||s (64 bytes)
//   'A' ack:       body = seq:u32le, the backend acknowledged every record <= seq
// Erased flash reads 0xFF, which is no entry type: the first 0xFF where a type
// should be ends the written part of a sector.

export const SECTOR_HEADER_BYTES = 12;
export const FORMAT_VERSION = 1;
/** The format the journal writes: version 1 with the seal's place kept at each sector's end. */
export const SEALED_FORMAT_VERSION = 2;
export const ENTRY_OVERHEAD = 7;
export const T_RECORD = 0x52;
export const T_SIGNATURE = 0x53;
export const T_ACK = 0x41;
export const SIG_BODY_BYTES = 4 + SIGNATURE_BYTES;
export const SIG_ENTRY_BYTES = ENTRY_OVERHEAD + SIG_BODY_BYTES;
export const ACK_ENTRY_BYTES = ENTRY_OVERHEAD + 4;
export const MAX_RECORD_ENTRY_BYTES = ENTRY_OVERHEAD + MAX_PAYLOAD_BYTES;
/**
 * The smallest record entry the journal writes: a record of one-character
 * evse id and uid, every number 0 (encodeRecord gives 66 payload bytes; a
 * test checks it). Recovery counts how many records a damaged stretch may hide with it.
 */
export const MIN_RECORD_ENTRY_BYTES = ENTRY_OVERHEAD + 66;


export function sectorHeader(counter: number, version = FORMAT_VERSION): Uint8Array {
  const h = new Uint8Array(SECTOR_HEADER_BYTES);
  h[0] = 0x52;
  h[1] = 0x4a;
  h[2] = version;
  h[3] = 0xff;
  put32(h, 4, counter);
  put32(h, 8, crc32(h, 0, 8));
  return h;
}

/** The counter of a valid header at `at` (either version; the version is its byte 2), or -1. */
export function readSectorHeader(b: Uint8Array, at = 0): number {
  const v = b[at + 2];
  if (b[at] !== 0x52 || b[at + 1] !== 0x4a || (v !== FORMAT_VERSION && v !== SEALED_FORMAT_VERSION) || b[at + 3] !== 0xff) return -1;
  if (crc32(b, at, at + 8) !== u32(b, at + 8)) return -1;
  return u32(b, at + 4);
}

export function frameEntry(type: number, body: Uint8Array): Uint8Array {
  const n = body.length;
  const e = new Uint8Array(ENTRY_OVERHEAD + n);
  e[0] = type;
  e[1] = n & 0xff;
  e[2] = n >>> 8;
  e.set(body, 3);
  put32(e, 3 + n, crc32(e, 0, 3 + n));
  return e;
}

/**
 * The size of a well-formed entry at `at` (its CRC matches, its length suits
 * its type), or 0: a torn or corrupted entry is never read as data.
 */
export function entryAt(b: Uint8Array, at: number, end: number): number {
  if (at + ENTRY_OVERHEAD > end) return 0;
  const t = b[at];
  const n = b[at + 1] | (b[at + 2] << 8);
  if (t === T_SIGNATURE) {
    if (n !== SIG_BODY_BYTES) return 0;
  } else if (t === T_ACK) {
    if (n !== 4) return 0;
  } else if (t === T_RECORD) {
    if (n < 3 || n > MAX_PAYLOAD_BYTES) return 0;
  } else return 0;
  if (at + ENTRY_OVERHEAD + n > end) return 0;
  if (crc32(b, at, at + 3 + n) !== u32(b, at + 3 + n)) return 0;
  if (t === T_RECORD && seqOfPayload(b, at + 3, at + 3 + n) === undefined) return 0;
  return ENTRY_OVERHEAD + n;
}
