// Input generators shared by the fuzz targets: byte-level mutations of valid
// inputs (bit flips, truncations, splices, extreme length fields), generic CBOR
// values built from the field names and edge values roam messages use, and
// hand-made hostile seeds (deflate bombs, deep nesting, huge declared lengths).
import fc from 'fast-check';
import { deflateSync } from 'fflate';

/** One edit of a byte string. Positions are taken modulo the length at apply time. */
export type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; n: number }
  | { op: 'duplicate'; at: number; n: number }
  | { op: 'u32'; at: number; value: number }
  | { op: 'ff'; at: number; n: number };

const EXTREME_U32 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.nat(255) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 32 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 64 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('u32' as const), at: fc.nat(), value: fc.constantFrom(...EXTREME_U32) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('ff' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 64 }) }) },
);

export function applyMutations(base: Uint8Array, edits: readonly Mutation[]): Uint8Array {
  let b: Uint8Array = base.slice();
  for (const m of edits) {
    const n = b.length;
    const at = n === 0 ? 0 : m.at % n;
    switch (m.op) {
      case 'flip': if (n) b[at] ^= 1 << m.bit; break;
      case 'set': if (n) b[at] = m.value; break;
      case 'truncate': b = b.slice(0, at); break;
      case 'insert': { const o = new Uint8Array(n + m.bytes.length); o.set(b.subarray(0, at)); o.set(m.bytes, at); o.set(b.subarray(at), at + m.bytes.length); b = o; break; }
      case 'delete': b = concat(b.subarray(0, at), b.subarray(at + m.n)); break;
      case 'duplicate': b = concat(b.subarray(0, at + Math.min(m.n, n - at)), b.subarray(at)); break;
      case 'u32': if (n >= 4) { const p = Math.min(at, n - 4); b[p] = m.value & 0xff; b[p + 1] = (m.value >>> 8) & 0xff; b[p + 2] = (m.value >>> 16) & 0xff; b[p + 3] = m.value >>> 24; } break;
      case 'ff': b.fill(0xff, at, Math.min(n, at + m.n)); break;
    }
  }
  return b;
}

function concat(a: Uint8Array, c: Uint8Array): Uint8Array {
  const o = new Uint8Array(a.length + c.length);
  o.set(a);
  o.set(c, a.length);
  return o;
}

/** A valid input from `bases()` (built once, lazily), edited 0..maxEdits times. */
export function mutated(bases: () => readonly Uint8Array[], maxEdits = 6): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.nat(), fc.array(mutation, { maxLength: maxEdits })).map(([i, edits]) => {
    const all = bases();
    return applyMutations(all[i % all.length], edits);
  });
}

// — hostile seeds —

/** Raw DEFLATE of `n` zero bytes: a few hundred bytes that inflate to n. */
export function deflateBomb(n: number): Uint8Array {
  let b = bombs.get(n);
  if (!b) bombs.set(n, (b = deflateSync(new Uint8Array(n), { level: 9 })));
  return b;
}
const bombs = new Map<number, Uint8Array>();

/** `depth` nested one-element arrays (0x81 …) around a 0. */
export function nestedArrays(depth: number): Uint8Array {
  const b = new Uint8Array(depth + 1).fill(0x81);
  b[depth] = 0x00;
  return b;
}

/** `depth` nested one-entry maps {"a": {"a": …}}. */
export function nestedMaps(depth: number): Uint8Array {
  const b = new Uint8Array(depth * 3 + 1);
  for (let i = 0; i < depth; i++) { b[3 * i] = 0xa1; b[3 * i + 1] = 0x61; b[3 * i + 2] = 0x61; }
  b[depth * 3] = 0x00;
  return b;
}

/** CBOR heads that declare far more than follows: byte/text strings, arrays and maps of 2^32-1 and 2^64-1. */
export const HUGE_DECLARED: Uint8Array[] = [
  Uint8Array.of(0x5a, 0xff, 0xff, 0xff, 0xff, 0x00),
  Uint8Array.of(0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00),
  Uint8Array.of(0x7a, 0xff, 0xff, 0xff, 0xff, 0x41),
  Uint8Array.of(0x9a, 0xff, 0xff, 0xff, 0xff, 0x00),
  Uint8Array.of(0x9b, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00),
  Uint8Array.of(0xba, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00),
  Uint8Array.of(0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
  Uint8Array.of(0x9f, 0x9f, 0x9f, 0x9f), // indefinite arrays never closed
  Uint8Array.of(0x5f, 0x41, 0x00), // indefinite byte string never closed
  Uint8Array.of(0xd9, 0xd9, 0xf7, 0xa0), // self-described CBOR tag
  Uint8Array.of(0xc2, 0x5a, 0xff, 0xff, 0xff, 0xff), // bignum with a huge length
];

/** Every prefix of `b` (truncated chunks), at most `max` of them spread over its length. */
export function prefixes(b: Uint8Array, max = 24): Uint8Array[] {
  const out: Uint8Array[] = [];
  const step = Math.max(1, Math.floor(b.length / max));
  for (let n = 0; n < b.length; n += step) out.push(b.slice(0, n));
  return out;
}

/** Every single-bit flip of `b` at up to `max` positions spread over it. */
export function bitFlips(b: Uint8Array, max = 24): Uint8Array[] {
  const out: Uint8Array[] = [];
  const step = Math.max(1, Math.floor(b.length / max));
  for (let i = 0; i < b.length; i += step) { const c = b.slice(); c[i] ^= 1 << (i % 8); out.push(c); }
  return out;
}

// — generic CBOR-able values with roam's field names —

/** Every key any roam/v1 message, record or differential uses, plus prototype-polluting ones. */
export const FIELD_NAMES = [
  'v', 'size', 'off', 'data', 'from', 'to', 'seq', 'id', 'st', 'grp', 'exp', 'stEvery', 'lkey', 'have', 'why', 'first', 'recs',
  'uid', 'c', 'p', 'pid', 'list', 'depth', 'acked', 'last', 'tq', 'busy', 'at', 'add', 'change', 'remove',
  '__proto__', 'constructor', 'toString', 'hasOwnProperty',
];

const ENUM_TEXT = [
  'Accepted', 'Blocked', 'Expired', 'Invalid', 'ConcurrentTx', 'Unknown', 'start', 'stop', 'recheck', 'mismatch', 'bad-image', 'no-list',
  'U', 'I', 'S', 'R', 'US', 'BLK', 'SEM', '04A1B2C3D4E5F6', 'A1B2C3D4', '', 'x'.repeat(65), 'é',
];

export const edgeNumber = fc.oneof(
  fc.constantFrom(0, 1, 5, 6, 7, 23, 24, 255, 256, 0xffff, 0x10000, 0xffffffff, 0x100000000, Number.MAX_SAFE_INTEGER, -1, -0, 0.5, NaN, Infinity, -Infinity, 1e300),
  fc.integer(),
  fc.nat(70_000),
);

export const leafValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: edgeNumber },
  { weight: 3, arbitrary: fc.constantFrom(...ENUM_TEXT) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 80 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 20_000 }).map((n) => new Uint8Array(n)) },
  { weight: 1, arbitrary: fc.constantFrom(true, false, null, undefined) },
);

/** Maps keyed by roam field names (mostly), arrays and leaves, nested a few levels. */
export const roamValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leafValue, tie('map'), tie('array')),
  map: fc.dictionary(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...FIELD_NAMES) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) }), tie('value'), { maxKeys: 8 }),
  array: fc.array(tie('value'), { maxLength: 6 }),
})).value;
