import { deflateSync } from 'fflate';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCbor, encodeCbor, MAX_CBOR_INTEGER, toHex } from '../../src/codec/index.js';
import {
  decodeFrame, decodeMessage, encodeFrame, encodeMessage, inflateBounded, MAX_BATCH_RECORDS, parseTopic, scanCbor,
  SyncDecodeError, topicOf, type DecodeFault, type MessageKind,
} from '../../src/sync/index.js';

function faultOf(f: () => unknown): DecodeFault | 'none' | 'other' {
  try {
    f();
    return 'none';
  } catch (e) {
    return e instanceof SyncDecodeError ? e.fault : 'other';
  }
}
const plain = (bytes: Uint8Array) => Uint8Array.of(0x00, ...bytes);
const deflated = (bytes: Uint8Array) => Uint8Array.of(0x01, ...deflateSync(bytes));

describe('messages round-trip', () => {
  const samples: { [K in MessageKind]?: unknown } = {
    listOffer: { ver: 7, size: 123456 },
    listChunk: { ver: 7, off: 4096, data: new Uint8Array(4096).fill(9) },
    listDiff: { from: 7, to: 8, data: Uint8Array.of(1, 2, 3) },
    recordAck: { seq: 12345 },
    authResponse: { id: 'a1b2.auth-1', status: 'Blocked', group: 'G1', expires: 1767225600000 },
    config: { statusEverySec: 600 },
    listStatus: { ver: 0 },
    listGet: { ver: 7, off: 8192, n: 4 },
    listResync: { have: 6, why: 'mismatch' },
    recordBatch: { first: 10, recs: [Uint8Array.of(1), new Uint8Array(300).fill(3)] },
    authRequest: { id: 'a1b2.auth-1', uid: '04A2B3C4D5E680', connector: 1, purpose: 'start', partner: 2 },
    status: { list: 8, depth: 3, acked: 17, lastSync: 1767225600000, time: 'S', listBusy: false },
  };
  for (const [kind, msg] of Object.entries(samples)) {
    it(kind, () => {
      const bytes = encodeMessage(kind as MessageKind, msg as never);
      expect(decodeMessage(kind as MessageKind, bytes)).toEqual(msg);
    });
  }

  it('real-time authorization carries any OCPI uid (up to 36 characters) and refuses longer ones', () => {
    const card = '7001234567890123456789012345'; // a 28-digit printed card number, kept verbatim
    const req = { id: 'r1', uid: card, connector: 1, purpose: 'start' as const };
    expect(decodeMessage('authRequest', encodeMessage('authRequest', req))).toEqual(req);
    const long = { ...req, uid: 'X'.repeat(37) };
    expect(faultOf(() => decodeMessage('authRequest', encodeMessage('authRequest', long)))).toBe('schema');
  });

  it('config never carries a key: an lkey field from the wire is not decoded', () => {
    const wire = encodeFrame({ stEvery: 60, lkey: new Uint8Array(65).fill(4) });
    expect(decodeMessage('config', wire)).toEqual({ statusEverySec: 60 });
  });

  it('record batches round-trip for any records within the limits', () => {
    fc.assert(fc.property(fc.nat(1e9), fc.array(fc.uint8Array({ minLength: 1, maxLength: 600 }), { maxLength: 40 }), (first, recs) => {
      expect(decodeMessage('recordBatch', encodeMessage('recordBatch', { first, recs }))).toEqual({ first, recs });
    }), { numRuns: 100 });
  });

  it('compresses record batches where it pays and leaves list chunks plain', () => {
    const recs = Array.from({ length: 20 }, (_, i) => encodeCbor({ seq: i, evse: 'US*SEM*E1234*1', uid: '04A2B3C4D5E680', wh: 1000 + i }));
    const batch = encodeMessage('recordBatch', { first: 1, recs });
    expect(batch[0]).toBe(0x01);
    expect(batch.length).toBeLessThan(encodeCbor({ first: 1, recs }).length);
    const random = new Uint8Array(4096).map((_, i) => (i * 2654435761) >>> 24);
    expect(encodeMessage('listChunk', { ver: 1, off: 0, data: random })[0]).toBe(0x00);
  });

  it('names topics under roam/v1/{device} and parses them back', () => {
    expect(topicOf('US*SEM*E1', 'recordBatch')).toBe('roam/v1/US*SEM*E1/rec/batch');
    expect(parseTopic('roam/v1/dev-1/list/chunk')).toEqual({ deviceId: 'dev-1', kind: 'listChunk' });
    expect(parseTopic('roam/v2/dev-1/list/chunk')).toBeUndefined();
    expect(parseTopic('roam/v1/dev-1/list/nope')).toBeUndefined();
    expect(() => topicOf('a/b', 'status')).toThrow(/device id/);
    expect(() => topicOf('+', 'status')).toThrow(/device id/);
  });
});

describe('decoders bound their input', () => {
  it('refuses a deflate bomb without inflating it', () => {
    const zeros = new Uint8Array(50 * 1024 * 1024); // 50 MiB of zeros deflate to ~50 KiB
    const bomb = deflated(zeros);
    expect(bomb.length).toBeLessThan(256 * 1024); // small enough for the wire limit: only the inflate cap stops it
    expect(faultOf(() => decodeMessage('recordBatch', bomb))).toBe('too-large');
    expect(faultOf(() => inflateBounded(bomb.subarray(1), 1024 * 1024))).toBe('too-large');
  });

  it('inflates up to the cap exactly', () => {
    const data = new Uint8Array(100_000).map((_, i) => i % 7);
    const packed = deflateSync(data);
    expect(inflateBounded(packed, 100_000)).toEqual(data);
    expect(faultOf(() => inflateBounded(packed, 99_999))).toBe('too-large');
  });

  it('refuses truncated or corrupt deflate data', () => {
    const packed = deflateSync(new Uint8Array(5000).map((_, i) => (i * 31) & 255));
    expect(faultOf(() => inflateBounded(packed.subarray(0, packed.length - 10), 1e6))).toBe('malformed');
    expect(faultOf(() => inflateBounded(Uint8Array.of(0xff, 0xff, 0xff, 0xff), 1e6))).toBe('malformed');
  });

  it('refuses deep nesting before the CBOR decoder recurses', () => {
    const depth = 100_000;
    const nested = new Uint8Array(depth + 1).fill(0x81); // [[[[…0]]]]
    nested[depth] = 0x00;
    expect(faultOf(() => decodeFrame(plain(nested), { maxWireBytes: 1e6, maxCborBytes: 1e6, maxDepth: 8, maxItems: 1e6 }))).toBe('too-deep');
    // The same nesting as a map value inside a real message kind.
    const inMap = Uint8Array.of(0xa1, 0x63, 0x73, 0x65, 0x71, 0x81, 0x81, 0x81, 0x00); // {"seq": [[[0]]]}
    expect(faultOf(() => decodeMessage('recordAck', plain(inMap)))).toBe('too-deep');
  });

  it('counts depth from the top: a flat map passes at depth 1, a nested one does not', () => {
    const flat = encodeCbor({ a: 1, b: 2 });
    const nested = encodeCbor({ a: [1] });
    expect(() => scanCbor(flat, { maxDepth: 1, maxItems: 10 })).not.toThrow();
    expect(faultOf(() => scanCbor(nested, { maxDepth: 1, maxItems: 10 }))).toBe('too-deep');
    expect(() => scanCbor(nested, { maxDepth: 2, maxItems: 10 })).not.toThrow();
  });

  it('refuses a payload over the wire limit before looking inside', () => {
    const big = encodeMessage('listChunk', { ver: 1, off: 0, data: new Uint8Array(16 * 1024) });
    expect(faultOf(() => decodeMessage('listChunk', big))).toBe('none');
    const tooBig = Uint8Array.of(0x00, ...encodeCbor({ v: 1, off: 0, data: new Uint8Array(17 * 1024) }));
    expect(faultOf(() => decodeMessage('listChunk', tooBig))).toBe('too-large');
    expect(faultOf(() => decodeMessage('recordAck', new Uint8Array(5000)))).toBe('too-large');
  });

  it('refuses a truncated list chunk at every cut', () => {
    const whole = encodeMessage('listChunk', { ver: 3, off: 0, data: new Uint8Array(300).fill(7) });
    for (let cut = 0; cut < whole.length; cut++) {
      const fault = faultOf(() => decodeMessage('listChunk', whole.subarray(0, cut)));
      expect(['malformed', 'schema']).toContain(fault);
    }
  });

  it('refuses a record batch with more records than allowed', () => {
    const recs = Array.from({ length: MAX_BATCH_RECORDS + 20 }, () => Uint8Array.of(1));
    expect(faultOf(() => decodeMessage('recordBatch', plain(encodeCbor({ first: 1, recs }))))).toBe('too-many');
  });

  it('refuses what no roam message uses: tags, indefinite lengths, trailing bytes, unknown frames', () => {
    expect(faultOf(() => decodeMessage('recordAck', plain(Uint8Array.of(0xc1, 0x00))))).toBe('unsupported'); // tag 1
    expect(faultOf(() => decodeMessage('recordAck', plain(Uint8Array.of(0xbf, 0xff))))).toBe('unsupported'); // {_ }
    expect(faultOf(() => decodeMessage('recordAck', plain(Uint8Array.of(...encodeCbor({ seq: 1 }), 0x00))))).toBe('malformed');
    expect(faultOf(() => decodeMessage('recordAck', Uint8Array.of(0x07, ...encodeCbor({ seq: 1 }))))).toBe('malformed');
    expect(faultOf(() => decodeMessage('recordAck', Uint8Array.of(0x00)))).toBe('malformed');
  });

  it('refuses well-formed messages with wrong fields', () => {
    expect(faultOf(() => decodeMessage('recordAck', plain(encodeCbor({ seq: -1 }))))).toBe('schema');
    expect(faultOf(() => decodeMessage('recordAck', plain(encodeCbor({ seq: 1.5 }))))).toBe('unsupported'); // a float: no roam field is one
    expect(faultOf(() => decodeMessage('recordAck', plain(encodeCbor([1]))))).toBe('schema');
    expect(faultOf(() => decodeMessage('authResponse', plain(encodeCbor({ id: 'x', st: 'Maybe' }))))).toBe('schema');
    expect(faultOf(() => decodeMessage('recordBatch', plain(encodeCbor({ first: 1, recs: [new Uint8Array(0)] }))))).toBe('schema');
    expect(faultOf(() => decodeMessage('listGet', plain(encodeCbor({ v: 1, off: 0, n: 1000 }))))).toBe('schema');
  });

  it('answers any byte string with a value or a SyncDecodeError, nothing else', () => {
    const kinds: MessageKind[] = ['recordBatch', 'listChunk', 'authResponse', 'listDiff'];
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(...kinds), fc.boolean(), (body, kind, compress) => {
      const payload = compress ? deflated(body) : plain(body);
      expect(faultOf(() => decodeMessage(kind, payload))).not.toBe('other');
    }), { numRuns: 2000 });
  });

  it('the scanner accepts exactly what the encoder writes, for nested values within bounds', () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, fc.integer(), fc.string(), fc.boolean(), fc.uint8Array({ maxLength: 20 }), fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 5 }), tie('v'), { maxKeys: 4 })),
    })).v;
    fc.assert(fc.property(value, (v) => {
      const bytes = encodeCbor(v);
      expect(() => scanCbor(bytes, { maxDepth: 64, maxItems: 1e6 })).not.toThrow();
      expect(decodeFrame(encodeFrame(v), { maxWireBytes: 1e6, maxCborBytes: 1e6, maxDepth: 64, maxItems: 1e6 })).toEqual(v);
    }), { numRuns: 300 });
  });
});

// Issue 14: cbor-x wrote whole numbers ≥ 2^32 as float64 (0xfb …). Every integer
// of a roam message is a CBOR integer, up to MAX_CBOR_INTEGER = 2^53 − 1.
describe('integers are CBOR integers of the shortest form, up to 2^53 − 1', () => {
  // RFC 8949 §3.1: "Major type 0: An unsigned integer in the range 0..2^64-1 inclusive. The value of
  // the encoded item is the argument itself." "Major type 1: A negative integer in the range
  // -2^64..-1 inclusive. The value of the item is -1 minus the argument."
  // RFC 8949 §4.2.1: "Preferred serialization MUST be used. In particular, this means that arguments
  // (see Section 3) for integers … MUST be as short as possible, for instance: 0 to 23 and -1 to -24
  // MUST be expressed in the same byte as the major type; 24 to 255 and -25 to -256 MUST be expressed
  // only with an additional uint8_t; 256 to 65535 and -257 to -65536 MUST be expressed only with an
  // additional uint16_t; 65536 to 4294967295 and -65537 to -4294967296 MUST be expressed only with an
  // additional uint32_t." Beyond that, the uint64_t argument is the only one left: the shortest.
  const cases: Array<[number, string]> = [
    [0, '00'], [23, '17'], [24, '1818'], [255, '18ff'], [256, '190100'], [65535, '19ffff'], [65536, '1a00010000'],
    [2 ** 32 - 1, '1affffffff'], [2 ** 32, '1b0000000100000000'], [5_000_000_000, '1b000000012a05f200'],
    [2 ** 40, '1b0000010000000000'], [2 ** 53 - 1, '1b001fffffffffffff'],
    [-1, '20'], [-24, '37'], [-25, '3818'], [-256, '38ff'], [-257, '390100'], [-65536, '39ffff'], [-65537, '3a00010000'],
    [-(2 ** 32), '3affffffff'], [-(2 ** 32) - 1, '3b0000000100000000'], [-(2 ** 53 - 1), '3b001ffffffffffffe'],
  ];
  it('each magnitude in its shortest head, major type 0 or 1, never a float', () => {
    for (const [v, hex] of cases) {
      expect(toHex(encodeCbor(v)).toLowerCase(), String(v)).toBe(hex);
      expect(decodeCbor(encodeCbor(v)), String(v)).toBe(v);
      expect(typeof decodeCbor(encodeCbor(v))).toBe('number');
    }
  });

  it('nested in maps and arrays too, without touching the value given', () => {
    const value = { a: [1, 2 ** 40, { b: 2 ** 53 - 1 }], c: new Map([[1, 2 ** 33]]) };
    const bytes = encodeCbor(value);
    expect(() => scanCbor(bytes, { maxDepth: 8, maxItems: 100 })).toThrow(); // the JS Map is a tag (259): messages never carry one
    expect(() => scanCbor(encodeCbor(value.a), { maxDepth: 8, maxItems: 100 })).not.toThrow(); // no float, every integer shortest
    expect(value.a[1]).toBe(2 ** 40); // not replaced in place
    expect((decodeCbor(encodeCbor({ a: [1, 2 ** 40, { b: 2 ** 53 - 1 }] })) as { a: unknown[] }).a).toEqual([1, 2 ** 40, { b: 2 ** 53 - 1 }]);
  });

  it('refuses to encode a whole number beyond the maximum rather than write a float', () => {
    expect(MAX_CBOR_INTEGER).toBe(2 ** 53 - 1);
    expect(() => encodeCbor({ n: 2 ** 53 })).toThrow(RangeError);
    expect(() => encodeCbor([-(2 ** 60)])).toThrow(RangeError);
  });

  it('every message with a field at any magnitude up to its bound round-trips as integers', () => {
    const big = fc.oneof(fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, 2 ** 40, 2 ** 53 - 1), fc.integer({ min: 0, max: MAX_CBOR_INTEGER }));
    fc.assert(fc.property(big, big, big, (a, b, c) => {
      for (const [kind, msg] of [
        ['recordAck', { seq: a }], ['listOffer', { ver: 1, size: b }], ['recordBatch', { first: c, recs: [Uint8Array.of(1)] }],
        ['status', { list: 1, depth: a, acked: b, lastSync: c, time: 'S', listBusy: true, refused: a, lost: b }], ['authResponse', { id: 'x', status: 'Accepted', expires: a }],
      ] as const) {
        const bytes = encodeMessage(kind, msg as never);
        // The scanner refuses any float and any integer not in its shortest form.
        expect(() => scanCbor(bytes.subarray(1), { maxDepth: 4, maxItems: 100 })).not.toThrow();
        expect(decodeMessage(kind, bytes)).toEqual(msg);
      }
    }), { numRuns: 300 });
  });

  it('a decoder refuses an integer sent as a float, in a longer head than needed, or beyond 2^53 − 1', () => {
    const withSeq = (value: number[]) => plain(Uint8Array.of(0xa1, 0x63, 0x73, 0x65, 0x71, ...value)); // {"seq": …}
    expect(decodeMessage('recordAck', withSeq([0x1b, 0, 0, 0, 1, 0x2a, 0x05, 0xf2, 0]))).toEqual({ seq: 5_000_000_000 });
    // 5,000,000,000 as float64 (what cbor-x wrote before), float32 of 16, float16 of 1
    expect(faultOf(() => decodeMessage('recordAck', withSeq([0xfb, 0x41, 0xf2, 0xa0, 0x5f, 0x20, 0, 0, 0])))).toBe('unsupported');
    expect(faultOf(() => decodeMessage('recordAck', withSeq([0xfa, 0x41, 0x80, 0, 0])))).toBe('unsupported');
    expect(faultOf(() => decodeMessage('recordAck', withSeq([0xf9, 0x3c, 0])))).toBe('unsupported');
    // 5 with a uint8, uint16, uint32 and uint64 argument; 2^32 − 1 with a uint64 one
    for (const head of [[0x18, 5], [0x19, 0, 5], [0x1a, 0, 0, 0, 5], [0x1b, 0, 0, 0, 0, 0, 0, 0, 5], [0x1b, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]])
      expect(faultOf(() => decodeMessage('recordAck', withSeq(head))), head.join(',')).toBe('unsupported');
    // 2^53 and 2^64 − 1: well-formed, but beyond what a number holds exactly
    expect(faultOf(() => decodeMessage('recordAck', withSeq([0x1b, 0, 0x20, 0, 0, 0, 0, 0, 0])))).toBe('schema');
    expect(faultOf(() => decodeMessage('recordAck', withSeq([0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])))).toBe('schema');
  });
});
