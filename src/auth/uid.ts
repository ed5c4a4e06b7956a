import { isRandomUid } from '../tokens/index.js';

/** A tap whose UID is not a normalized ISO 14443 UID. */
export class UidFormatError extends Error {
  constructor(message: string) {
    super(message);
    // Defined, not assigned: on a device preloading freezes Error.prototype, and
    // `this.name = …` then throws ("set name: not writable") instead of naming the error.
    Object.defineProperty(this, 'name', { value: 'UidFormatError', writable: true, enumerable: true, configurable: true });
  }
}

/** Any character but an upper-case hex digit: one search, made once (a RegExp literal in a function is a new object per call on XS). */
const NOT_UPPER_HEX = /[^0-9A-F]/;

/**
 * Checks a normalized UID (OICP 2.3: upper-case hex, big-endian, 4/7/10 bytes)
 * and refuses a random UID (see isRandomUid), which names no card.
 */
export function checkUid(uid: string): string {
  if (typeof uid !== 'string') throw new UidFormatError('UID must be a string of hex digits');
  const n = uid.length;
  if (n !== 8 && n !== 14 && n !== 20) throw new UidFormatError(`UID must be 8, 14 or 20 hex digits, got ${n}: ${JSON.stringify(uid)}`);
  // On every tap: a character loop costs ~45 XS units a character, the search ~3.
  if (NOT_UPPER_HEX.test(uid)) throw new UidFormatError(`UID must be upper-case hex, got ${JSON.stringify(uid)}`);
  if (isRandomUid(uid))
    throw new UidFormatError(`UID ${uid} is a random UID (first byte 08): it names no card`);
  return uid;
}
