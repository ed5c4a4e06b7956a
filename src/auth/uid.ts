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

/**
 * Checks a normalized UID (OICP 2.3: upper-case hex, big-endian, 4/7/10 bytes)
 * and refuses a random UID (see isRandomUid), which names no card.
 */
export function checkUid(uid: string): string {
  if (typeof uid !== 'string') throw new UidFormatError('UID must be a string of hex digits');
  const n = uid.length;
  if (n !== 8 && n !== 14 && n !== 20) throw new UidFormatError(`UID must be 8, 14 or 20 hex digits, got ${n}: ${JSON.stringify(uid)}`);
  for (let i = 0; i < n; i++) {
    const c = uid.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70)))
      throw new UidFormatError(`UID must be upper-case hex, got ${JSON.stringify(uid)}`);
  }
  if (isRandomUid(uid))
    throw new UidFormatError(`UID ${uid} is a random UID (first byte 08): it names no card`);
  return uid;
}
