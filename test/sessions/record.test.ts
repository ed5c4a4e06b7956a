import { createVerify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NodeSigner, p256PublicKey } from '../../host-sim/hal/index.js';
import { concatBytes, decodeCbor, fromHex, toHex, utf8 } from '../../src/codec/index.js';
import {
  CHAIN_START, ChainError, decodeCoseSign1, decodeRecord, encodeCoseSign1, encodeRecord, GENESIS_HASH, protectedHeader,
  RecordError, toBeSigned, verifyRecord, verifyRecordChain, type SessionFacts,
} from '../../src/sessions/index.js';
import { seqOfPayload } from '../../src/sessions/record.js';
import { DEVICE, deviceKey, facts, nodeCrypto } from './helpers.js';

const sha = (b: Uint8Array) => nodeCrypto.sha256(b).digest();

function signed(f: SessionFacts, seq: number, prev: Uint8Array, device = DEVICE) {
  const payload = encodeRecord(f, seq, prev);
  const prot = protectedHeader(device);
  return { payload, cose: encodeCoseSign1(prot, payload, deviceKey.sign(toBeSigned(prot, payload))) };
}

function chain(n: number) {
  const out: Uint8Array[] = [];
  let prev: Uint8Array = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const r = signed(facts(i), i, prev);
    out.push(r.cose);
    prev = sha(r.payload);
  }
  return out;
}

describe('record payload', () => {
  it('round-trips every field, and energy is meterStop - meterStart', () => {
    for (let i = 0; i < 40; i++) {
      const f = facts(i);
      const prev = sha(utf8(`p${i}`));
      const r = decodeRecord(encodeRecord(f, 1000 + i, prev));
      const expected: Record<string, unknown> = { ...f, seq: 1000 + i, prev, energyWh: f.meterStopWh - f.meterStartWh };
      for (const k of Object.keys(expected)) if (expected[k] === undefined) delete expected[k]; // absent, not undefined
      expect(r).toStrictEqual(expected);
    }
  });

  it('is a CBOR map with integer keys that a generic decoder reads', () => {
    const f = facts(1);
    const prev = sha(utf8('x'));
    const generic = decodeCbor(encodeRecord(f, 77, prev)) as Record<string, unknown>;
    expect(generic['1']).toBe(77);
    expect(toHex(generic['2'] as Uint8Array)).toBe(toHex(prev));
    expect(generic['3']).toBe(f.evseId);
    expect(toHex(generic['4'] as Uint8Array)).toBe(f.uid); // normalized hex UIDs are stored as bytes
    expect(generic['9']).toEqual([f.start.seconds, 'S']);
    expect(generic['13']).toBe(f.meterStopWh - f.meterStartWh);
  });

  it('seqOfPayload reads the seq without decoding, for any seq', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 0xffffffff }), (seq) => {
      expect(seqOfPayload(encodeRecord(facts(seq % 9), seq, GENESIS_HASH))).toBe(seq);
    }));
  });

  // Issue 14: cbor-x wrote a meter reading ≥ 2^32 Wh as a float64 (0xfb …); the journal's shape
  // check refused it on read, so the record vanished. RFC 8949 §4.2.1: "Preferred serialization MUST
  // be used. In particular, this means that arguments (see Section 3) for integers … MUST be as short
  // as possible"; §3.1: "Major type 0: An unsigned integer in the range 0..2^64-1 inclusive."
  it('writes meter readings at every magnitude up to 2^53 − 1 as CBOR unsigned integers of the shortest form', () => {
    const heads: Array<[number, string]> = [
      [0, '00'], [23, '17'], [24, '1818'], [65536, '1a00010000'], [2 ** 32 - 1, '1affffffff'], [2 ** 32, '1b0000000100000000'],
      [5_000_000_000, '1b000000012a05f200'], [2 ** 40, '1b0000010000000000'], [2 ** 53 - 1, '1b001fffffffffffff'],
    ];
    for (const [wh, head] of heads) {
      const p = encodeRecord({ ...facts(1), meterStartWh: 0, meterStopWh: wh }, 1, GENESIS_HASH);
      const hex = toHex(p).toLowerCase();
      expect(hex, `${wh}`).toContain(`0c${head}0d${head}`); // key 12 (meterStop), key 13 (energy): the same value
      expect(hex).not.toMatch(/0cfb|0dfb/);
      expect(decodeRecord(p)).toMatchObject({ meterStartWh: 0, meterStopWh: wh, energyWh: wh });
    }
    fc.assert(fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (a, b) => {
      const [lo, hi] = a < b ? [a, b] : [b, a];
      expect(decodeRecord(encodeRecord({ ...facts(2), meterStartWh: lo, meterStopWh: hi }, 7, GENESIS_HASH))).toMatchObject({ meterStartWh: lo, meterStopWh: hi, energyWh: hi - lo });
    }), { numRuns: 300 });
  });

  it('refuses a payload with an integer written as a float, even one that holds a whole number', () => {
    const p = encodeRecord({ ...facts(1), meterStartWh: 0, meterStopWh: 5_000_000_000 }, 1, GENESIS_HASH);
    const hex = toHex(p).toLowerCase();
    // What cbor-x wrote before: 5,000,000,000 as float64, for meterStop and energy.
    const float = hex.replaceAll('1b000000012a05f200', 'fb41f2a05f20000000');
    expect(float).not.toBe(hex);
    expect(() => decodeRecord(fromHex(float.toUpperCase()))).toThrow(/canonical/);
  });

  it('holds a reading refused at the meter boundary as its OCMF status (O, F) in its place, and the energy as null (unknown)', () => {
    for (const [start, stop] of [['O', 'O'], ['F', 1000], [1000, 'O'], [0, 'F']] as const) {
      const p = encodeRecord({ ...facts(3), meterStartWh: start, meterStopWh: stop }, 5, GENESIS_HASH);
      expect(decodeRecord(p)).toMatchObject({ meterStartWh: start, meterStopWh: stop, energyWh: null });
      const generic = decodeCbor(p) as Record<string, unknown>;
      expect([generic['11'], generic['12'], generic['13']]).toEqual([start, stop, null]);
      // Never smaller than a record of readings 0: the journal's bound on what damage may hide holds.
      expect(p.length).toBeGreaterThanOrEqual(encodeRecord({ ...facts(3), meterStartWh: 0, meterStopWh: 0 }, 5, GENESIS_HASH).length);
    }
    for (const v of ['G', 'X', '', 'OO', null]) expect(() => encodeRecord({ ...facts(3), meterStopWh: v as never }, 5, GENESIS_HASH)).toThrow(/meterStopWh must be/);
    // A number for the energy while a reading is refused, or null while both are numbers: malformed.
    const refused = toHex(encodeRecord({ ...facts(3), meterStartWh: 10, meterStopWh: 'O' }, 5, GENESIS_HASH)).toLowerCase();
    expect(() => decodeRecord(fromHex(refused.replace('0c614f0df6', '0c614f0d00').toUpperCase()))).toThrow(/energy/);
    const good = toHex(encodeRecord({ ...facts(3), meterStartWh: 10, meterStopWh: 10 }, 5, GENESIS_HASH)).toLowerCase();
    expect(() => decodeRecord(fromHex(good.replace('0c0a0d00', '0c0a0df6').toUpperCase()))).toThrow(/energy/);
  });

  it('keeps a 10-byte UID and a non-hex UID as given', () => {
    for (const uid of ['04A1B2C3D4E5F60718A9', 'abc-123', '04a2b3']) expect(decodeRecord(encodeRecord({ ...facts(1), uid }, 1, GENESIS_HASH)).uid).toBe(uid);
  });

  const bad: Array<[string, Partial<SessionFacts> | Record<string, unknown>]> = [
    ['empty evse', { evseId: '' }],
    ['long uid', { uid: 'A'.repeat(37) }],
    ['lower-case country', { partner: { id: 1, countryCode: 'us', partyId: 'BLK' } }],
    ['negative meter', { meterStartWh: -1 }],
    ['fractional meter', { meterStopWh: 1.5 }],
    ['meter going back', { meterStartWh: 10, meterStopWh: 9 }],
    ['bad quality', { start: { seconds: 1, quality: 'X' } }],
    ['bad method', { method: 'CARD' }],
    ['bad reason', { stopReason: 'Bored' }],
    ['offline not boolean', { offline: 1 }],
  ];
  for (const [name, patch] of bad) {
    it(`rejects ${name} with RecordError('invalid-field')`, () => {
      const e = (() => { try { encodeRecord({ ...facts(2), ...patch } as SessionFacts, 1, GENESIS_HASH); } catch (x) { return x; } })();
      expect(e).toBeInstanceOf(RecordError);
      expect((e as RecordError).code).toBe('invalid-field');
    });
  }

  it('rejects seq 0, a short prev, and non-canonical or unknown-key payloads', () => {
    expect(() => encodeRecord(facts(1), 0, GENESIS_HASH)).toThrow(RecordError);
    expect(() => encodeRecord(facts(1), 1, new Uint8Array(31))).toThrow(RecordError);
    const p = encodeRecord(facts(1), 300, GENESIS_HASH);
    // seq 300 written as a 4-byte integer instead of 2: same value, not canonical
    const wide = concatBytes(p.subarray(0, 2), Uint8Array.of(0x1a, 0, 0, 1, 0x2c), p.subarray(5));
    expect(() => decodeRecord(wide)).toThrow(/canonical/);
    const extra = Uint8Array.of(p[0] + 1, ...p.subarray(1), 0x0f, 0x00);
    expect(() => decodeRecord(extra)).toThrow(/unknown key 15/);
    expect(() => decodeRecord(p.subarray(0, p.length - 1))).toThrow(RecordError);
  });
});

describe('COSE_Sign1 ES256', () => {
  it('signs the RFC 9052 Sig_structure, checkable with node:crypto', () => {
    const { payload, cose } = signed(facts(3), 9, GENESIS_HASH);
    const c = decodeCoseSign1(cose);
    expect(c.deviceId).toBe(DEVICE);
    expect(toHex(c.payload)).toBe(toHex(payload));
    // Build Sig_structure by hand: array(4), "Signature1", bstr protected, bstr "", bstr payload.
    const kid = utf8(DEVICE);
    const prot = concatBytes(fromHex('A20126'), Uint8Array.of(0x04, 0x40 + kid.length), kid);
    const bstr = (b: Uint8Array) => concatBytes(b.length < 24 ? Uint8Array.of(0x40 + b.length) : Uint8Array.of(0x58, b.length), b);
    const tbs = concatBytes(Uint8Array.of(0x84, 0x6a), utf8('Signature1'), bstr(prot), Uint8Array.of(0x40), bstr(payload));
    const ok = createVerify('sha256').update(tbs).verify({ key: p256PublicKey(deviceKey.publicKey), dsaEncoding: 'ieee-p1363' }, c.signature);
    expect(ok).toBe(true);
    expect(cose[0]).toBe(0xd2); // tag 18
  });

  it('verifyRecord accepts it and rejects tampering, a wrong key, a wrong device', () => {
    const { cose } = signed(facts(4), 5, GENESIS_HASH);
    const v = verifyRecord(cose, deviceKey.publicKey, nodeCrypto, DEVICE);
    expect(v.id).toBe(`${DEVICE}-5`);
    expect(v.record.seq).toBe(5);
    const code = (f: () => unknown) => { try { f(); return 'none'; } catch (e) { return (e as RecordError).code; } };
    for (let i = 20; i < cose.length; i += 17) {
      const t = cose.slice();
      t[i] ^= 0x01;
      expect(['bad-signature', 'malformed']).toContain(code(() => verifyRecord(t, deviceKey.publicKey, nodeCrypto)));
    }
    const other = signed(facts(4), 5, GENESIS_HASH, 'US*SEM*C0043').cose;
    expect(code(() => verifyRecord(other, deviceKey.publicKey, nodeCrypto, DEVICE))).toBe('wrong-device');
    expect(code(() => verifyRecord(cose, new NodeSigner().publicKey, nodeCrypto))).toBe('bad-signature');
    expect(code(() => verifyRecord(cose.subarray(1), deviceKey.publicKey, nodeCrypto))).toBe('malformed');
  });
});

describe('hash chain', () => {
  it('verifies a chain, also in batches continued from the last point', () => {
    const all = chain(12);
    expect(verifyRecordChain(all, deviceKey.publicKey, nodeCrypto).last.seq).toBe(12);
    const a = verifyRecordChain(all.slice(0, 5), deviceKey.publicKey, nodeCrypto);
    const b = verifyRecordChain(all.slice(5), deviceKey.publicKey, nodeCrypto, a.last);
    expect(b.records.map((r) => r.record.seq)).toEqual([6, 7, 8, 9, 10, 11, 12]);
  });

  it('reports a gap, a reorder, a forged link and a bad record by index', () => {
    const all = chain(6);
    const err = (list: Uint8Array[], from = CHAIN_START) => { try { verifyRecordChain(list, deviceKey.publicKey, nodeCrypto, from); } catch (e) { return e as ChainError; } throw new Error('accepted'); };
    expect(err([all[0], all[2]])).toMatchObject({ code: 'gap', index: 1, seq: 3 });
    expect(err([all[1], all[0]])).toMatchObject({ code: 'gap', index: 0 });
    // A record with the right seq but linked elsewhere (a fork).
    const fork = signed(facts(50), 3, sha(utf8('elsewhere'))).cose;
    expect(err([all[0], all[1], fork])).toMatchObject({ code: 'broken-link', index: 2, seq: 3 });
    const t = all[3].slice();
    t[t.length - 1] ^= 1;
    expect(err(all.slice(0, 3).concat([t]))).toMatchObject({ code: 'bad-record', index: 3 });
    expect(err(all.slice(3), { seq: 3, hash: GENESIS_HASH })).toMatchObject({ code: 'broken-link', index: 0 });
  });
});
