import { toHex } from '../codec/bytes.js';
import { UidError } from './errors.js';
import type { ReaderConfig } from './types.js';

const UID_LENGTHS = [4, 7, 10];
const MAX_TEXT = 36; // OCPI uid is CiString(36)

/**
 * Raw reader output → canonical uid: upper-case hex, big-endian, 4/7/10 bytes
 * (OICP 2.3), or with `verbatim` the printed text itself. Throws UidError.
 */
export function normalizeUid(raw: Uint8Array, config: ReaderConfig): string {
  if (raw.length === 0) throw new UidError('EMPTY', 'empty UID');
  if (readsCardNumbers(config)) return verbatimText(raw, config.input);
  let bytes: Uint8Array;
  if (config.input === 'hex') bytes = hexText(raw);
  else if (config.input === 'decimal') bytes = decimalText(raw, config.decimalBytes);
  else bytes = raw.slice();
  if (config.reversed) bytes.reverse();
  if (UID_LENGTHS.indexOf(bytes.length) < 0)
    throw new UidError('BAD_LENGTH', `UID of ${bytes.length} bytes; ISO 14443 UIDs have 4, 7 or 10`);
  const uid = toHex(bytes);
  // Before truncation: a 7- or 10-byte UID cut to 4 bytes may start 08 and still name a card.
  if (isRandomUid(uid)) throw new UidError('RANDOM_UID', `random UID ${uid} (4 bytes, first byte 0x08) identifies no card`);
  return config.truncateTo && bytes.length > config.truncateTo ? uid.slice(0, 2 * config.truncateTo) : uid;
}

/**
 * ISO/IEC 14443-3: a single-size (4-byte) UID whose first byte is 0x08 is a
 * random number drawn anew at each activation, so it names no card. Double and
 * triple size UIDs (7, 10 bytes) are unique by construction whatever their
 * first byte. `uid` is canonical: upper-case hex, big-endian.
 */
export function isRandomUid(uid: string): boolean {
  // Character codes, not a RegExp: this runs on every tap, and a literal is a new object per call on XS.
  if (uid.length !== 8 || uid.charCodeAt(0) !== 0x30 || uid.charCodeAt(1) !== 0x38) return false;
  for (let i = 2; i < 8; i++) {
    const c = uid.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46))) return false;
  }
  return true;
}

/** A reader that delivers printed card numbers as text (verbatim), not UIDs. */
export function readsCardNumbers(config: ReaderConfig): config is ReaderConfig & { input: 'hex' | 'decimal' } {
  return config.verbatim === true && config.input !== 'bytes';
}

function verbatimText(raw: Uint8Array, input: 'hex' | 'decimal'): string {
  if (raw.length > MAX_TEXT) throw new UidError('BAD_TEXT', `card number of ${raw.length} characters, over ${MAX_TEXT}`);
  let s = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    const ok = input === 'decimal' ? c >= 0x30 && c <= 0x39 : isHexDigit(c);
    if (!ok) throw new UidError(input === 'decimal' ? 'NOT_DECIMAL' : 'NOT_HEX', `character 0x${c.toString(16)} at ${i} in a ${input} card number`);
    s += String.fromCharCode(c);
  }
  return s.toUpperCase();
}

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function hexText(raw: Uint8Array): Uint8Array {
  if (raw.length % 2 !== 0) throw new UidError('NOT_HEX', `odd number of hex digits (${raw.length})`);
  const out = new Uint8Array(raw.length / 2);
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (!isHexDigit(c)) throw new UidError('NOT_HEX', `character 0x${c.toString(16)} at ${i} is not a hex digit`);
    const v = c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
    out[i >> 1] |= i % 2 === 0 ? v << 4 : v;
  }
  return out;
}

// Decimal numbers of 10-byte UIDs pass 2^53: multiply a byte array by ten per digit.
function decimalText(raw: Uint8Array, length?: 4 | 7 | 10): Uint8Array {
  const width = length ?? 10;
  const out = new Uint8Array(width);
  for (let i = 0; i < raw.length; i++) {
    const d = raw[i] - 0x30;
    if (d < 0 || d > 9) throw new UidError('NOT_DECIMAL', `character 0x${raw[i].toString(16)} at ${i} is not a decimal digit`);
    let carry = d;
    for (let j = width - 1; j >= 0; j--) {
      const v = out[j] * 10 + carry;
      out[j] = v & 0xff;
      carry = v >> 8;
    }
    if (carry !== 0) throw new UidError('TOO_LARGE', `decimal card number does not fit ${width} bytes`);
  }
  if (length) return out;
  let lead = 0;
  while (lead < width && out[lead] === 0) lead++;
  const needed = width - lead;
  const fit = needed <= 4 ? 4 : needed <= 7 ? 7 : 10;
  return out.slice(width - fit);
}

/** Why no tap can produce a uid a list holds (unreachableUid). */
export type UnreachableReason = 'NOT_A_UID' | 'CUT_BY_READER' | 'RANDOM_UID' | 'NOT_DECIMAL' | 'NOT_HEX';

/**
 * Why no tap read with `config` can produce the canonical uid `uid` (as a
 * list holds it), or undefined when some tap can: what normalizeUid can
 * return, turned round (a test holds the two together).
 */
export function unreachableUid(uid: string, config: ReaderConfig): UnreachableReason | undefined {
  if (readsCardNumbers(config)) {
    // The printed number, upper-cased, 1..36 characters of the reader's digits.
    for (let i = 0; i < uid.length; i++) {
      const c = uid.charCodeAt(i);
      if (config.input === 'decimal' ? c < 0x30 || c > 0x39 : !isHexDigit(c)) return config.input === 'decimal' ? 'NOT_DECIMAL' : 'NOT_HEX';
    }
    return uid.length === 0 || uid.length > MAX_TEXT ? 'NOT_A_UID' : undefined;
  }
  // Upper-case hex of a 4, 7 or 10-byte UID, cut to truncateTo bytes if set.
  const n = uid.length;
  if (n !== 8 && n !== 14 && n !== 20) return 'NOT_A_UID';
  for (let i = 0; i < n; i++) {
    const c = uid.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46))) return 'NOT_A_UID';
  }
  if (config.truncateTo && n > 2 * config.truncateTo) return 'CUT_BY_READER';
  // A 4-byte UID starting 08 is refused as random, unless it is a longer UID cut to 4 bytes.
  if (isRandomUid(uid) && config.truncateTo !== 4) return 'RANDOM_UID';
  return undefined;
}

/** How the table stores a uid: as a number of 4/7/10 bytes (hex uids), or as text. */
export interface UidKey {
  /** 4, 7 or 10 for canonical hex uids; 0 for any other text. */
  kind: number;
  /** Bytes above the low 48 bits (0 for 4-byte uids): at most 32 bits. */
  hi: number;
  /** The low 48 bits (doubles hold integers exactly to 2^53). */
  lo: number;
}

/**
 * Any character but an upper-case hex digit. One RegExp made once (a literal in a function
 * is a new object per call on XS), and a search for one character costs less on XS's meter
 * than a pattern of lengths: this runs on every tap.
 */
const NOT_HEX = /[^0-9A-F]/;

/** How the table stores a canonical uid: 4, 7 or 10 (8, 14 or 20 upper-case hex digits: bytes of a UID), or 0 (text). */
export function uidKind(uid: string): number {
  const n = uid.length;
  return (n === 8 || n === 14 || n === 20) && !NOT_HEX.test(uid) ? n >> 1 : 0;
}

/** Canonical uid string → its key; the same classification (uidKind) on both sides keeps lookups exact. */
export function uidKey(uid: string): UidKey {
  const kind = uidKind(uid);
  if (kind === 0) return { kind: 0, hi: 0, lo: 0 };
  if (kind === 4) return { kind, hi: 0, lo: parseInt(uid, 16) };
  const split = uid.length - 12;
  return { kind, hi: parseInt(uid.slice(0, split), 16), lo: parseInt(uid.slice(split), 16) };
}

/** A uid the table can hold: 1..36 printable ASCII characters, no lower case (OCPI uids are case-insensitive). */
export function canonicalTextUid(uid: string): string | undefined {
  if (uid.length === 0 || uid.length > MAX_TEXT) return undefined;
  const up = uid.toUpperCase();
  for (let i = 0; i < up.length; i++) {
    const c = up.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return undefined;
  }
  return up;
}
