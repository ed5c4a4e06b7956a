import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nodeCrypto } from '../../host-sim/hal/node-crypto.js';
import { SeededRandom } from '../../host-sim/hal/seeded-random.js';
import { compileTable, CompileError, TokenTable, type PartnerTokens } from '../../src/tokens/index.js';
import { asExpected, expectedEntries, ocpiToken } from './expected.js';
import { partnerLists, randomUid } from './fixtures.js';

const compile = (partners: PartnerTokens[], listVersion = 1) => compileTable({ listVersion, createdAt: 1_700_000_000_000, partners }, nodeCrypto);
const BLK = { countryCode: 'US', partyId: 'BLK', allowedUsesTable: true };
const SEM = { countryCode: 'US', partyId: 'SEM', allowedUsesTable: false };

describe('token table: compile and look up', () => {
  it('answers every listed uid exactly and nothing else (20,000 mixed tokens)', () => {
    const lists = partnerLists(11, 20_000);
    const expected = expectedEntries(lists);
    const { image, report } = compile(lists);
    const table = new TokenTable(image);
    expect(report.accepted).toBe(expected.size);
    expect(table.size).toBe(expected.size);
    for (const [uid, e] of expected) {
      const got = table.lookup(uid);
      expect(asExpected(got), uid).toEqual(e);
      expect(got!.sourceVersion).toBe(1);
    }
    const r = new SeededRandom(99);
    let misses = 0;
    while (misses < 20_000) {
      const uid = randomUid(r);
      if (expected.has(uid)) continue;
      expect(table.lookup(uid), uid).toBeUndefined();
      misses++;
    }
  });

  it('is exact for clustered, sequential and boundary keys (block cuts at 2^48 and at full blocks)', () => {
    const hex = (v: bigint, bytes: number) => v.toString(16).toUpperCase().padStart(2 * bytes, '0');
    const arb = fc.record({
      bytes: fc.constantFrom(4, 7, 10),
      base: fc.bigInt({ min: 0n, max: (1n << 80n) - 1n }),
      steps: fc.array(fc.oneof(fc.bigInt({ min: 1n, max: 3n }), fc.bigInt({ min: 1n, max: 1n << 50n }), fc.constant(1n << 48n), fc.bigInt({ min: 1n, max: 1n << 70n })), { minLength: 1, maxLength: 400 }),
    });
    fc.assert(fc.property(arb, ({ bytes, base, steps }) => {
      const max = (1n << BigInt(8 * bytes)) - 1n;
      const keys = new Set<string>();
      let v = base & max;
      for (const s of steps) { v = (v + s) & max; if (!(bytes === 4 && v >> 24n === 8n)) keys.add(hex(v, bytes)); }
      const tokens = [...keys].map((uid, i) => ocpiToken(BLK, uid, { valid: i % 3 !== 0, group_id: i % 5 === 0 ? `G${i % 7}` : undefined }));
      const lists = [{ ...BLK, tokens }];
      const table = new TokenTable(compile(lists).image);
      const expected = expectedEntries(lists);
      for (const [uid, e] of expected) expect(asExpected(table.lookup(uid))).toEqual(e);
      for (const k of keys) {
        for (const delta of [-1n, 1n, 1n << 47n]) {
          const near = hex((BigInt(`0x${k}`) + delta) & max, bytes);
          if (!keys.has(near)) expect(table.lookup(near)).toBeUndefined();
        }
      }
    }), { numRuns: 60 });
  });

  it('format 2: a common prefix (NXP 7-byte UIDs all start 04), a directory, and neighbours that differ in one digit', () => {
    const r = new SeededRandom(5);
    const hex = (n: number) => { let x = ''; for (let i = 0; i < n; i++) x += '0123456789ABCDEF'[r.below(16)]; return x; };
    const uids = new Set<string>();
    while (uids.size < 3000) uids.add(`04${hex(12)}`);
    const tokens = [...uids].map((uid, i) => ocpiToken(BLK, uid, { group_id: i % 9 === 0 ? `N${i % 13}` : undefined }));
    const lists = [{ ...BLK, tokens }];
    const { image } = compile(lists);
    const table = new TokenTable(image);
    const sec = table.header.sections[1];
    expect(sec.prefixHex).toBeGreaterThanOrEqual(2); // the 04 is stored once for the section
    expect(sec.dirBits).toBeGreaterThan(0);
    for (const [uid, e] of expectedEntries(lists)) expect(asExpected(table.lookup(uid)), uid).toEqual(e);
    for (const uid of [...uids].slice(0, 500)) {
      // Another manufacturer byte, the same serial: outside the prefix. Then the last and the 7th digit changed.
      for (const near of [`05${uid.slice(2)}`, `${uid.slice(0, 13)}${uid[13] === 'F' ? '0' : 'F'}`, `${uid.slice(0, 6)}${uid[6] === '0' ? '1' : '0'}${uid.slice(7)}`])
        if (!uids.has(near)) expect(table.lookup(near), near).toBeUndefined();
    }
  });

  it('keeps text uids (card numbers, odd lengths) exactly, case-insensitively', () => {
    const uids = ['1234567890', '01234567890', 'A1B2C', 'a1b2c3d', '0123ABCD0', 'CARD-42'];
    const lists = [{ ...BLK, tokens: uids.map((u) => ocpiToken(BLK, u)) }];
    const table = new TokenTable(compile(lists).image);
    for (const u of uids) expect(table.lookup(u)?.uid).toBe(u.toUpperCase());
    expect(table.lookup('123456789')).toBeUndefined();
    expect(table.lookup('1234567891')).toBeUndefined();
    expect(table.lookup('A1B2')).toBeUndefined();
  });

  it('reports every token it leaves out, with its position and reason', () => {
    const tokens = [
      ocpiToken(BLK, '04A2B3C4'),
      ocpiToken(BLK, '08A2B3C4'),
      ocpiToken(BLK, 'AABBCCDD', { type: 'APP_USER' }),
      ocpiToken(BLK, '04a2b3c4'),
      { ...ocpiToken(BLK, '11223344'), whitelist: 'SOMETIMES' },
      { ...ocpiToken(BLK, '11223345'), valid: 'yes' },
      ocpiToken(SEM, '11223346'),
      'not a token',
      { ...ocpiToken(BLK, '11223347'), contract_id: undefined },
      ocpiToken(BLK, 'x'.repeat(37)),
      ocpiToken(BLK, 'CAFE01', { type: 'AD_HOC_USER' }),
    ];
    const { image, report } = compile([{ ...BLK, tokens }, { ...SEM, tokens: [ocpiToken(SEM, '04A2B3C4')] }]);
    expect(report.accepted).toBe(1);
    expect(report.excluded.map((i) => [i.partner, i.index, i.reason])).toEqual([[0, 2, 'NOT_PRESENTABLE'], [0, 10, 'NOT_PRESENTABLE']]);
    expect(report.invalid.map((i) => [i.partner, i.index, i.reason])).toEqual([
      [0, 1, 'RANDOM_UID'], [0, 3, 'DUPLICATE_UID'], [0, 4, 'BAD_WHITELIST'], [0, 5, 'BAD_VALID'], [0, 6, 'PARTY_MISMATCH'],
      [0, 7, 'NOT_AN_OBJECT'], [0, 8, 'MISSING_FIELD'], [0, 9, 'BAD_UID'], [1, 0, 'DUPLICATE_UID'],
    ]);
    expect(report.accepted + report.excluded.length + report.invalid.length).toBe(tokens.length + 1);
    const table = new TokenTable(image);
    expect(table.lookup('04A2B3C4')?.partner.partyId).toBe('BLK');
    expect(table.lookup('08A2B3C4')).toBeUndefined();
    expect(table.lookup('AABBCCDD')).toBeUndefined();
  });

  it('carries partner policies, and an empty list compiles to an empty table', () => {
    const table = new TokenTable(compile([{ ...BLK, tokens: [] }, { ...SEM, tokens: [] }], 9).image);
    expect(table.size).toBe(0);
    expect(table.listVersion).toBe(9);
    expect(table.header.partners).toEqual([{ id: 0, ...BLK }, { id: 1, ...SEM }]);
    expect(table.lookup('04A2B3C4')).toBeUndefined();
    expect(table.lookup('OTHER')).toBeUndefined();
  });

  it('is deterministic and refuses unusable input as a whole', () => {
    const lists = partnerLists(5, 2000);
    expect(Buffer.from(compile(lists).image).equals(Buffer.from(compile(partnerLists(5, 2000)).image))).toBe(true);
    expect(() => compile([BLK, BLK].map((p) => ({ ...p, tokens: [] })))).toThrow(CompileError);
    expect(() => compile([{ ...BLK, countryCode: 'usa', tokens: [] }])).toThrow(CompileError);
    expect(() => compile([], -1)).toThrow(CompileError);
  });
});
