import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { normalizeUid, UidError, type ReaderConfig } from '../../src/tokens/index.js';
import { isRandomUid, unreachableUid } from '../../src/tokens/uid.js';

const ascii = (s: string) => new TextEncoder().encode(s);
const hexOf = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('').toUpperCase();
const code = (f: () => unknown) => {
  try { f(); } catch (e) { expect(e).toBeInstanceOf(UidError); return (e as UidError).code; }
  return 'no error';
};

describe('isRandomUid', () => {
  it('is true of a 4-byte UID whose first byte is 0x08, and of no 7- or 10-byte UID', () => {
    fc.assert(fc.property(fc.constantFrom(4, 7, 10).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })), fc.boolean(), (raw, first08) => {
      if (first08) raw[0] = 0x08;
      expect(isRandomUid(hexOf(raw))).toBe(raw.length === 4 && raw[0] === 0x08);
    }));
    // Canonical hex only: text that merely starts 08 is not a UID.
    for (const text of ['08A2B3CZ', '08a2b3c4', '0812345', '081234567', '08']) expect(isRandomUid(text), text).toBe(false);
  });
});

describe('normalizeUid', () => {
  const bytes: ReaderConfig = { input: 'bytes' };

  it('turns raw bytes of 4, 7 and 10 bytes into upper-case big-endian hex', () => {
    fc.assert(fc.property(fc.constantFrom(4, 7, 10).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })), (raw) => {
      fc.pre(!(raw.length === 4 && raw[0] === 0x08));
      expect(normalizeUid(raw, bytes)).toBe(hexOf(raw));
      expect(normalizeUid(raw.slice().reverse(), { input: 'bytes', reversed: true })).toBe(hexOf(raw));
    }));
  });

  it('reads hex text in either case', () => {
    expect(normalizeUid(ascii('04a2b3c4d5e680'), { input: 'hex' })).toBe('04A2B3C4D5E680');
    expect(normalizeUid(ascii('80E6D5C4B3A204'), { input: 'hex', reversed: true })).toBe('04A2B3C4D5E680');
  });

  it('reads decimal card numbers as the number the UID bytes form', () => {
    fc.assert(fc.property(fc.constantFrom(4, 7, 10).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })), (raw) => {
      fc.pre(raw[0] !== 0 && !(raw.length === 4 && raw[0] === 0x08));
      const decimal = BigInt(`0x${hexOf(raw)}`).toString(10);
      expect(normalizeUid(ascii(decimal), { input: 'decimal' })).toBe(hexOf(raw));
      const reversedDecimal = BigInt(`0x${hexOf(raw.slice().reverse())}`).toString(10);
      expect(normalizeUid(ascii(reversedDecimal), { input: 'decimal', reversed: true, decimalBytes: raw.length as 4 | 7 | 10 })).toBe(hexOf(raw));
    }));
    expect(normalizeUid(ascii('0000000001'), { input: 'decimal' })).toBe('00000001');
  });

  it('truncates to the configured length after reordering', () => {
    expect(normalizeUid(Uint8Array.of(1, 2, 3, 4, 5, 6, 7), { input: 'bytes', truncateTo: 4 })).toBe('01020304');
    expect(normalizeUid(Uint8Array.of(7, 6, 5, 4, 3, 2, 1), { input: 'bytes', reversed: true, truncateTo: 4 })).toBe('01020304');
    expect(normalizeUid(Uint8Array.of(1, 2, 3, 4), { input: 'bytes', truncateTo: 7 })).toBe('01020304');
  });

  it('refuses only whole 4-byte UIDs starting 0x08: longer ones, also cut to 4 bytes, are cards', () => {
    expect(normalizeUid(Uint8Array.of(0x08, 1, 2, 3, 4, 5, 6), bytes)).toBe('08010203040506');
    expect(normalizeUid(Uint8Array.of(0x08, 1, 2, 3, 4, 5, 6, 7, 8, 9), bytes)).toBe('08010203040506070809');
    expect(normalizeUid(Uint8Array.of(0x08, 1, 2, 3, 4, 5, 6), { input: 'bytes', truncateTo: 4 })).toBe('08010203');
    expect(code(() => normalizeUid(Uint8Array.of(0x08, 1, 2, 3), { input: 'bytes', truncateTo: 4 }))).toBe('RANDOM_UID');
    expect(code(() => normalizeUid(ascii('08a1b2c3'), { input: 'hex' }))).toBe('RANDOM_UID');
  });

  it('keeps verbatim card numbers exactly, upper-cased', () => {
    expect(normalizeUid(ascii('00123456789'), { input: 'decimal', verbatim: true })).toBe('00123456789');
    expect(normalizeUid(ascii('08123456'), { input: 'decimal', verbatim: true })).toBe('08123456');
    expect(normalizeUid(ascii('a1b2c'), { input: 'hex', verbatim: true })).toBe('A1B2C');
  });

  it('refuses malformed input with a typed code', () => {
    expect(code(() => normalizeUid(new Uint8Array(0), bytes))).toBe('EMPTY');
    for (const n of [1, 3, 5, 6, 8, 9, 11, 16]) expect(code(() => normalizeUid(new Uint8Array(n).fill(1), bytes))).toBe('BAD_LENGTH');
    expect(code(() => normalizeUid(Uint8Array.of(0x08, 1, 2, 3), bytes))).toBe('RANDOM_UID');
    expect(code(() => normalizeUid(Uint8Array.of(3, 2, 1, 0x08), { input: 'bytes', reversed: true }))).toBe('RANDOM_UID');
    expect(code(() => normalizeUid(ascii('04A2B3C'), { input: 'hex' }))).toBe('NOT_HEX');
    expect(code(() => normalizeUid(ascii('04A2B3CG'), { input: 'hex' }))).toBe('NOT_HEX');
    expect(code(() => normalizeUid(ascii('12 34'), { input: 'decimal' }))).toBe('NOT_DECIMAL');
    expect(code(() => normalizeUid(ascii('4294967296'), { input: 'decimal', decimalBytes: 4 }))).toBe('TOO_LARGE');
    expect(code(() => normalizeUid(ascii('9'.repeat(30)), { input: 'decimal' }))).toBe('TOO_LARGE');
    expect(code(() => normalizeUid(ascii('1'.repeat(37)), { input: 'decimal', verbatim: true }))).toBe('BAD_TEXT');
    expect(code(() => normalizeUid(ascii('12a'), { input: 'decimal', verbatim: true }))).toBe('NOT_DECIMAL');
  });
});

describe('unreachableUid: what no tap can produce, turned round from normalizeUid', () => {
  const configs: ReaderConfig[] = [
    { input: 'bytes' }, { input: 'bytes', truncateTo: 4 }, { input: 'bytes', truncateTo: 7 }, { input: 'hex', reversed: true },
    { input: 'decimal' }, { input: 'decimal', decimalBytes: 7 }, { input: 'hex', verbatim: true }, { input: 'decimal', verbatim: true },
  ];
  it('every uid a tap produces is reachable, for every reader configuration (property)', () => {
    fc.assert(fc.property(fc.constantFrom(...configs), fc.uint8Array({ minLength: 1, maxLength: 24 }), fc.boolean(), (config, bytes, asText) => {
      let raw = bytes;
      if (asText && config.input !== 'bytes') {
        const digits = config.input === 'decimal' ? '0123456789' : '0123456789abcdefABCDEF';
        raw = Uint8Array.from(bytes, (b) => digits.charCodeAt(b % digits.length));
      }
      let uid: string;
      try {
        uid = normalizeUid(raw, config);
      } catch {
        return true; // refused at the tap: nothing to look up
      }
      return unreachableUid(uid, config) === undefined;
    }), { numRuns: 5000 });
  });
  it('names why OCPI card numbers and cut or random UIDs are never produced', () => {
    expect(unreachableUid('100012', { input: 'bytes' })).toBe('NOT_A_UID');
    expect(unreachableUid('012345678', { input: 'bytes' })).toBe('NOT_A_UID');
    expect(unreachableUid('012345678', { input: 'decimal', verbatim: true })).toBeUndefined();
    expect(unreachableUid('04A2B3C4D5E680', { input: 'bytes', truncateTo: 4 })).toBe('CUT_BY_READER');
    expect(unreachableUid('08A2B3C4', { input: 'bytes' })).toBe('RANDOM_UID');
    expect(unreachableUid('08A2B3C4', { input: 'bytes', truncateTo: 4 })).toBeUndefined(); // a 7-byte UID cut to 4
    expect(unreachableUid('CARD-9', { input: 'hex', verbatim: true })).toBe('NOT_HEX');
    expect(unreachableUid('0A0B', { input: 'decimal', verbatim: true })).toBe('NOT_DECIMAL');
  });
});
