import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkUid, UidFormatError } from '../../src/auth/index.js';
import { isRandomUid } from '../../src/tokens/index.js';

const hexOf = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('').toUpperCase();

describe('checkUid: random UIDs', () => {
  it('refuses a 4-byte UID starting 08 and accepts 7- and 10-byte UIDs starting 08', () => {
    expect(() => checkUid('08A1B2C3')).toThrow(UidFormatError);
    expect(() => checkUid('08A1B2C3')).toThrow(/random/);
    expect(checkUid('08A1B2C3D4E5F6')).toBe('08A1B2C3D4E5F6');
    expect(checkUid('08A1B2C3D4E5F6A7B8C9')).toBe('08A1B2C3D4E5F6A7B8C9');
  });

  it('refuses exactly the UIDs the token layer calls random', () => {
    fc.assert(fc.property(fc.constantFrom(4, 7, 10).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })), fc.boolean(), (raw, first08) => {
      if (first08) raw[0] = 0x08;
      const uid = hexOf(raw);
      let refused = false;
      try { checkUid(uid); } catch (e) { expect(e).toBeInstanceOf(UidFormatError); refused = true; }
      expect(refused).toBe(isRandomUid(uid));
    }));
  });
});
