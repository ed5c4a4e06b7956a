// Fuzz targets: every decoder a remote party (or a corrupted flash) can reach,
// each with the property it must keep for ANY input:
//   - it returns, or throws the module's own typed error (nothing else);
//   - what it accepts is bounded (sizes checked against the module's limits);
//   - on rejection, stored state is exactly what it was (status, lookups,
//     flash bytes, records), also after a reboot.
// A hang shows up as a vitest timeout or as the runner's stall watchdog.
// Used by the bounded vitest suites (test/fuzz/*.test.ts) and by `npm run fuzz`.
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { deflateSync } from 'fflate';
import type { Crypto } from '../../hal/crypto.js';
import type { FlashRegion } from '../../hal/flash.js';
import type { Transport } from '../../hal/transport.js';
import { hostPlatform, NodeSigner, nodeCrypto, SimFlash, type HostPlatform } from '../../host-sim/hal/index.js';
import { BackendPeer, SiteList } from '../../host-sim/backend/index.js';
import { RecordStore } from '../../host-sim/backend/record-store.js';
import { encodeCbor } from '../../src/codec/index.js';
import { seqOfPayload } from '../../src/sessions/record.js';
import { JournalError, RecordError, Journal, verifyRecord, decodeCoseSign1, MAX_PAYLOAD_BYTES } from '../../src/sessions/index.js';
import { entryAt, frameEntry, readSectorHeader, sectorHeader, T_ACK, T_RECORD, T_SIGNATURE, SECTOR_HEADER_BYTES } from '../../src/sessions/frame.js';
import {
  DeviceLink, decodeMessage, encodeFrame, encodeMessage, inflateBounded, MESSAGES, SyncDecodeError, topicOf, type MessageKind,
} from '../../src/sync/index.js';
import {
  compileDiff, compileTable, encodeKeyRotation, signDiff, signKeyRotation, signTable, TokenStore, TokenUpdateError, type TokenEntry,
} from '../../src/tokens/index.js';
import { H, put32, u32 } from '../../src/tokens/format.js';
import { TOKEN_TYPES, WHITELISTS } from '../../src/tokens/types.js';
import { facts } from '../sessions/helpers.js';
import { damage, damagedOutcome, fullJournal, windows, WINDOW, type Damage } from '../sessions/corruption.js';
import { outcome as sealOutcome, sealedJournal, unsealed } from '../sessions/seal-world.js';
import { ocpiToken } from '../tokens/expected.js';
import { overlayFrame, partnerLists } from '../tokens/fixtures.js';
import {
  bitFlips, deflateBomb, HUGE_DECLARED, leafValue, mutated, nestedArrays, nestedMaps, prefixes, roamValue,
} from './mutate.js';
import { applyFull } from '../tokens/store-helpers.js';

export type Outcome = 'accepted' | 'rejected';

export interface FuzzTarget<T = unknown> {
  name: string;
  /** What is fuzzed and what the property is. */
  about: string;
  arbitrary: () => fc.Arbitrary<T>;
  /** Hand-made hostile inputs and valid ones, run before the random cases. */
  seeds: () => T[];
  /** Bytes of the input, for "largest input accepted". */
  size(input: T): number;
  /** One case. Throws (anything) when the property is broken. */
  run(input: T): Outcome;
  /** Every input of a finite space, run by `npm run fuzz` after the seeds (never by the bounded vitest run). */
  exhaustive?: () => Iterable<T>;
  /** Random cases at most, whatever --cases says (a target whose case is slow). */
  maxCases?: number;
}

/** A broken property, with what was seen. */
export class PropertyBroken extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PropertyBroken';
  }
}

function must(cond: unknown, message: string): asserts cond {
  if (!cond) throw new PropertyBroken(message);
}

/** Runs `f`; a throw of one of `allowed` is a rejection, anything else breaks the property. */
function typed(f: () => void, ...allowed: Array<abstract new (...a: never[]) => Error>): Outcome {
  try {
    f();
    return 'accepted';
  } catch (e) {
    if (allowed.some((c) => e instanceof c)) return 'rejected';
    if (e instanceof PropertyBroken || e instanceof OutOfImage || e instanceof KnownDefect) throw e;
    throw new PropertyBroken(`untyped failure: ${(e as Error)?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack?.split('\n').slice(1, 6).join('\n')}`);
  }
}

function once<T>(f: () => T): () => T {
  let v: { value: T } | undefined;
  return () => (v ??= { value: f() }).value;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/**
 * Known defects in code this suite does not own, found by these targets. With
 * `strict` off (the default of the bounded vitest run) a case that hits one is
 * counted here instead of failing, so the rest of the property is still
 * checked; `npm run fuzz -- --strict` and the skipped strict tests fail on them.
 */
export const KNOWN_DEFECTS: Record<string, string> = {
  // KD-1 to KD-5 are fixed (their strict tests run in known-defects.test.ts).
};
export const knownHits: Record<string, number> = {};
export const fuzzOptions = { strict: false };

/** A case that hit a known defect (KNOWN_DEFECTS): counted unless strict. */
class KnownDefect extends Error {
  constructor(readonly id: string, message: string) {
    super(`${id}: ${message}`);
    this.name = 'KnownDefect';
  }
}

function known(id: string, message: string): never {
  // A defect no longer listed has been fixed: meeting it again is a regression.
  if (fuzzOptions.strict || !(id in KNOWN_DEFECTS)) throw new PropertyBroken(`${id}: ${message}`);
  throw new KnownDefect(id, message);
}

/** Runs `f`; a KnownDefect stops the case and is counted. */
function tolerate(f: () => void): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof KnownDefect)) throw e;
    knownHits[e.id] = (knownHits[e.id] ?? 0) + 1;
  }
}

class OutOfImage extends Error {
  constructor(readonly index: number, readonly length: number) {
    super(`read at ${index} past the end of a ${length}-byte mapped region`);
    this.name = 'OutOfImage';
  }
}

/**
 * A flash region whose map() throws on a read past its end instead of
 * answering undefined: turns KD-1's endless scan into an error at its first step.
 */
function guarded(r: FlashRegion): FlashRegion {
  return {
    name: r.name, byteLength: r.byteLength, blockSize: r.blockSize,
    read: (o, n) => r.read(o, n), write: (o, d) => r.write(o, d), erase: (b) => r.erase(b),
    map: () => {
      const u = r.map!();
      return new Proxy(u, {
        get(t, k) {
          if (typeof k === 'string') {
            const c = k.charCodeAt(0);
            if (c >= 48 && c <= 57) {
              const i = Number(k);
              if (i >= t.length) throw new OutOfImage(i, t.length);
              return t[i];
            }
          }
          const v = Reflect.get(t, k, t);
          return typeof v === 'function' ? v.bind(t) : v;
        },
      });
    },
  };
}

/** Runs lookups; an OutOfImage is KD-1, a KnownDefect is counted (failures when strict). */
function lookupsGuarded(f: () => void): void {
  tolerate(() => {
    try {
      f();
    } catch (e) {
      if (e instanceof OutOfImage) known('KD-1', `lookup ${e.message} (would hang)`);
      if (e instanceof TokenUpdateError) known('KD-5', `lookup threw ${e.code}: ${e.message}`);
      if (e instanceof PropertyBroken || e instanceof KnownDefect) throw e;
      throw new PropertyBroken(`untyped failure in a lookup: ${(e as Error)?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack?.split('\n').slice(1, 6).join('\n')}`);
    }
  });
}

/** A crypto that trusts every signature: models an attacker holding the backend key (or a backend bug). */
const trusting: Crypto = { sha256: nodeCrypto.sha256, verifyP256: () => true };

// ———————————————————————————— tokens ————————————————————————————

const backend = new NodeSigner(new Uint8Array(32).fill(0x31));
const stranger = new NodeSigner(new Uint8Array(32).fill(0x32));
const PARTITIONS = { 'tokens-a': 8 * 1024, 'tokens-b': 8 * 1024, 'tokens-sel': 8 * 1024, 'tokens-ovl': 8 * 1024 };
const BLK = { countryCode: 'US', partyId: 'BLK' };

function compiled(lists: ReturnType<typeof partnerLists>, version: number): Uint8Array {
  return compileTable({ listVersion: version, createdAt: 1767225600000, partners: lists }, nodeCrypto).image;
}

/** The token world: a device at list version 6 (image 5 + one differential) and what may come next. */
const tokenWorld = once(() => {
  const v5 = partnerLists(505, 70, { groupedPerMille: 200 });
  const v7 = partnerLists(507, 70, { groupedPerMille: 200 });
  const v5uids = v5.flatMap((p) => p.tokens.map((t) => String((t as { uid: string }).uid).toUpperCase()));
  const v7uids = v7.flatMap((p) => p.tokens.map((t) => String((t as { uid: string }).uid).toUpperCase()));
  const img5 = signTable(compiled(v5, 5), backend);
  const unsigned7 = compiled(v7, 7);
  const img7 = signTable(unsigned7, backend);
  const img4 = signTable(compiled(v7, 4), backend);
  const img7stranger = signTable(unsigned7, stranger);
  const d56 = signDiff(compileDiff({ from: 5, to: 6, createdAt: 1, add: [ocpiToken(BLK, 'A0A1A2A3', { group_id: 'FLEET-1' }), ocpiToken(BLK, 'CARD-NUMBER-77')], change: [], remove: [v5uids[1]] }).diff, backend);
  const d67 = signDiff(compileDiff({
    from: 6, to: 7, createdAt: 2,
    add: [ocpiToken(BLK, 'B0B1B2B3B4B5B6'), ocpiToken(BLK, '0102030405060708090A', { whitelist: 'NEVER' })],
    change: [ocpiToken(BLK, 'A0A1A2A3', { valid: false })], remove: [v5uids[2], 'CARD-NUMBER-77'],
  }).diff, backend);
  const d67stranger = signDiff(compileDiff({ from: 6, to: 7, createdAt: 2, add: [ocpiToken(BLK, 'C0C1C2C3')] }).diff, stranger);
  const d56again = d56;
  const d78 = signDiff(compileDiff({ from: 7, to: 8, createdAt: 3, add: [ocpiToken(BLK, 'D0D1D2D3')] }).diff, backend);

  const p = hostPlatform(PARTITIONS);
  const store = new TokenStore({ platform: p, backendKey: backend.publicKey });
  applyFull(store, img5, 1024);
  store.applyDifferential(d56);
  const snapshot = new Map([...p.regions].map(([n, r]) => [n, r.raw.slice()]));
  const probes = [...new Set([
    ...v5uids.slice(0, 30), ...v7uids.slice(0, 20), 'A0A1A2A3', 'CARD-NUMBER-77', 'B0B1B2B3B4B5B6', '0102030405060708090A',
    'C0C1C2C3', 'D0D1D2D3', 'FFFFFFFF', '00000000', 'ZZZ',
  ])].filter((u) => /^[\x21-\x7e]{1,36}$/.test(u));
  const baseline = fingerprint(store, p, probes);
  // What the device holds after each accepted update, computed on separate stores.
  const after = (apply: (s: TokenStore) => void) => {
    const q = hostPlatform(PARTITIONS);
    for (const [n, b] of snapshot) q.regions.get(n)!.raw.set(b);
    const s = new TokenStore({ platform: q, backendKey: backend.publicKey });
    apply(s);
    return lookups(s, probes);
  };
  return {
    v5uids, v7uids, img5, img7, img4, img7stranger, unsigned7, d56, d67, d67stranger, d56again, d78, snapshot, probes, baseline,
    afterImage7: after((s) => applyFull(s, img7, 4096)),
    afterDiff67: after((s) => s.applyDifferential(d67)),
    platform: p,
  };
});


function plainEntry(e: TokenEntry | undefined) {
  return e && { uid: e.uid, cc: e.partner?.countryCode, pid: e.partner?.partyId, wl: e.whitelist, valid: e.valid, type: e.type, group: e.groupId, src: e.sourceVersion };
}

function lookups(store: TokenStore, uids: readonly string[]) {
  return uids.map((u) => plainEntry(store.lookup(u)));
}

function fingerprint(store: TokenStore, p: HostPlatform, probes: readonly string[]) {
  const slot = store.status.slot;
  const raw = (n: string) => hex(nodeCrypto.sha256(p.regions.get(n)!.raw).digest());
  return {
    status: store.status,
    lookups: lookups(store, probes),
    active: slot === undefined ? 'none' : raw(slot === 0 ? 'tokens-a' : 'tokens-b'),
    selector: raw('tokens-sel'),
    overlay: raw('tokens-ovl'),
  };
}

/** A fresh device in the token world's state (flash restored from the snapshot, then booted). */
function freshStore(crypto: Crypto = nodeCrypto): { store: TokenStore; p: HostPlatform } {
  const w = tokenWorld();
  const p = w.platform;
  p.power.restore();
  for (const [n, b] of w.snapshot) p.regions.get(n)!.raw.set(b);
  return { store: new TokenStore({ platform: { flash: (n) => guarded(p.flash(n)), crypto }, backendKey: backend.publicKey }), p };
}

/** After a rejection: state as before, live and after a reboot. */
function assertTokenStateUnchanged(store: TokenStore, p: HostPlatform, what: string): void {
  const w = tokenWorld();
  const now = fingerprint(store, p, w.probes);
  must(isDeepStrictEqual(now, w.baseline), `${what} rejected but the store changed: ${JSON.stringify(diffOf(now, w.baseline))}`);
  const rebooted = new TokenStore({ platform: p, backendKey: backend.publicKey });
  must(isDeepStrictEqual(fingerprint(rebooted, p, w.probes), w.baseline), `${what} rejected but the store differs after a reboot`);
}

function diffOf(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(a)) if (!isDeepStrictEqual(a[k], b[k])) out[k] = { now: a[k], before: b[k] };
  return out;
}

/** Every answer of a table whose content is hostile must still be a well-formed entry for the uid asked. */
function assertWellFormed(e: TokenEntry | undefined, uid: string): void {
  if (e === undefined) return;
  must(e.uid === uid, `lookup(${uid}) answered for ${e.uid}`);
  if (e.partner === undefined || e.whitelist === undefined) known('KD-2', `lookup(${uid}) answered an entry with no partner or whitelist: ${JSON.stringify(e)}`);
  must(typeof e.partner === 'object' && e.partner !== null && typeof e.partner.countryCode === 'string' && typeof e.partner.partyId === 'string', `lookup(${uid}) has no partner: ${JSON.stringify(e)}`);
  must(WHITELISTS.includes(e.whitelist), `lookup(${uid}) whitelist ${String(e.whitelist)}`);
  must(TOKEN_TYPES.includes(e.type), `lookup(${uid}) type ${String(e.type)}`);
  must(typeof e.valid === 'boolean', `lookup(${uid}) valid ${String(e.valid)}`);
  must(e.groupId === undefined || (typeof e.groupId === 'string' && e.groupId.length <= 255), `lookup(${uid}) group ${String(e.groupId)}`);
}

const canonicalUid = fc.oneof(
  fc.uint8Array({ minLength: 4, maxLength: 4 }).map(hex),
  fc.uint8Array({ minLength: 7, maxLength: 7 }).map(hex),
  fc.uint8Array({ minLength: 10, maxLength: 10 }).map(hex),
  fc.stringMatching(/^[\x21-\x7e]{1,36}$/),
).map((s) => s.toUpperCase());

interface ImageInput { bytes: Uint8Array; chunks: number[]; declared?: number; replay: boolean }

/** Streams an image the way the list client does: beginFull, chunks in order (with retransmissions), commit. */
function stream(store: TokenStore, input: ImageInput): number {
  const { bytes } = input;
  store.beginFull(input.declared ?? bytes.length);
  let o = 0, i = 0;
  while (o < bytes.length) {
    const n = input.chunks.length ? Math.max(1, input.chunks[i++ % input.chunks.length]) : 4096;
    const at = input.replay && i % 3 === 0 && o > 0 ? Math.max(0, o - n) : o; // a retransmitted window
    store.writeChunk(at, bytes.subarray(at, at + n));
    o = Math.max(o, at + Math.min(n, bytes.length - at));
  }
  return store.commit();
}

const imageInput = (bytes: fc.Arbitrary<Uint8Array>): fc.Arbitrary<ImageInput> => fc.record({
  bytes,
  chunks: fc.array(fc.integer({ min: 1, max: 3000 }), { maxLength: 4 }),
  declared: fc.option(fc.oneof(fc.nat(20_000), fc.constantFrom(0, 223, 224, 8192, 8193, 0xffffffff, -1, 0.5, NaN)), { nil: undefined, freq: 8 }),
  replay: fc.boolean(),
});

const tokenImage: FuzzTarget<ImageInput> = {
  name: 'tokens.image',
  about: 'full token-table image streamed into the A/B store (beginFull/writeChunk/commit), real backend key: only the backend-signed newer image is accepted; any other input is a TokenUpdateError and leaves the list in force, its flash and its lookups unchanged, also after a reboot',
  arbitrary: () => imageInput(fc.oneof(
    { weight: 6, arbitrary: mutated(() => { const w = tokenWorld(); return [w.img7, w.img4, w.img7stranger, w.img5]; }, 4) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 600 }) },
  )),
  seeds: () => {
    const w = tokenWorld();
    const plain = (bytes: Uint8Array, extra: Partial<ImageInput> = {}): ImageInput => ({ bytes, chunks: [1000], replay: false, ...extra });
    return [
      plain(w.img7), plain(w.img7, { chunks: [7, 150, 3001], replay: true }), plain(w.img4), plain(w.img7stranger), plain(w.img5),
      plain(w.unsigned7), plain(w.img7, { declared: w.img7.length + 1 }), plain(w.img7, { declared: 0xffffffff }), plain(new Uint8Array(0)),
      plain(new Uint8Array(8192)), plain(new Uint8Array(8192).fill(0xff)),
      ...prefixes(w.img7, 12).map((b) => plain(b)), ...bitFlips(w.img7, 24).map((b) => plain(b)),
    ];
  },
  size: (i) => i.bytes.length,
  run(input) {
    const w = tokenWorld();
    const { store, p } = freshStore();
    let version: number | undefined;
    const outcome = typed(() => { version = stream(store, input); }, TokenUpdateError);
    if (outcome === 'rejected') {
      assertTokenStateUnchanged(store, p, 'image');
      return outcome;
    }
    must(hex(input.bytes) === hex(w.img7), `an image that is not the backend's signed v7 was accepted (version ${version}, ${input.bytes.length} bytes)`);
    must(version === 7 && isDeepStrictEqual(lookups(store, w.probes), w.afterImage7), 'accepted v7 answers differently from a clean apply');
    return outcome;
  },
};

interface SignedImageInput { image: Uint8Array; keepVersion: boolean; uids: string[] }

/** A table image with the header's SHA-256 fixed up and a placeholder signature: what a holder of the backend key could send. */
function hostileSigned(image: Uint8Array, keepVersion: boolean): Uint8Array {
  const b = image.slice();
  if (b.length >= 160) {
    if (!keepVersion) put32(b, H.listVersion, 7);
    const hl = u32(b, H.headerLength), bl = u32(b, H.bodyLength);
    if (hl >= 160 && hl + bl <= b.length) b.set(nodeCrypto.sha256(b.subarray(hl, hl + bl)).digest(), H.bodySha);
  }
  const out = new Uint8Array(b.length + 64);
  out.set(b);
  return out;
}

const tokenImageSigned: FuzzTarget<SignedImageInput> = {
  name: 'tokens.image-signed',
  about: 'hostile table content that passes the signature and hash checks (attacker with the backend key, or a compiler bug): commit either refuses it with TokenUpdateError, leaving the store unchanged, or lookups over it never throw, never hang and only return well-formed entries for the uid asked, the same after a reboot',
  arbitrary: () => fc.record({
    image: fc.oneof(
      { weight: 8, arbitrary: mutated(() => [tokenWorld().unsigned7], 6) },
      { weight: 1, arbitrary: fc.uint8Array({ minLength: 160, maxLength: 800 }) },
    ),
    keepVersion: fc.boolean(),
    uids: fc.array(canonicalUid, { maxLength: 12 }),
  }),
  seeds: () => {
    const w = tokenWorld();
    const zeroBody = w.unsigned7.slice();
    zeroBody.fill(0, u32(zeroBody, H.headerLength));
    const ffBody = w.unsigned7.slice();
    ffBody.fill(0xff, u32(ffBody, H.headerLength));
    return [w.unsigned7, zeroBody, ffBody, ...bitFlips(w.unsigned7, 40)].map((image) => ({ image, keepVersion: false, uids: w.v7uids.slice(0, 12) }));
  },
  size: (i) => i.image.length + 64,
  run(input) {
    const w = tokenWorld();
    const { store, p } = freshStore(trusting);
    const bytes = hostileSigned(input.image, input.keepVersion);
    const outcome = typed(() => void stream(store, { bytes, chunks: [4096], replay: false }), TokenUpdateError);
    if (outcome === 'rejected') {
      assertTokenStateUnchanged(store, p, 'signed image');
      return outcome;
    }
    const uids = [...w.probes, ...input.uids];
    lookupsGuarded(() => typed(() => {
      for (const u of uids) assertWellFormed(store.lookup(u), u);
      const live = lookups(store, uids);
      const rebooted = new TokenStore({ platform: { flash: (n) => guarded(p.flash(n)), crypto: trusting }, backendKey: backend.publicKey });
      must(isDeepStrictEqual(lookups(rebooted, uids), live), 'a committed image answers differently after a reboot');
    }));
    return outcome;
  },
};

const tokenDiff: FuzzTarget<Uint8Array> = {
  name: 'tokens.diff',
  about: 'signed differential (store.applyDifferential), real backend key: only the backend-signed 6→7 differential is accepted; anything else is a TokenUpdateError and leaves version, overlay flash and lookups unchanged, also after a reboot',
  arbitrary: () => fc.oneof(
    { weight: 6, arbitrary: mutated(() => { const w = tokenWorld(); return [w.d67, w.d56, w.d78, w.d67stranger]; }, 4) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  ),
  seeds: () => {
    const w = tokenWorld();
    return [w.d67, w.d56again, w.d78, w.d67stranger, new Uint8Array(0), ...prefixes(w.d67, 16), ...bitFlips(w.d67, 32), ...HUGE_DECLARED];
  },
  size: (b) => b.length,
  run(bytes) {
    const w = tokenWorld();
    const { store, p } = freshStore();
    const outcome = typed(() => void store.applyDifferential(bytes), TokenUpdateError);
    if (outcome === 'rejected') {
      assertTokenStateUnchanged(store, p, 'differential');
      return outcome;
    }
    must(hex(bytes) === hex(w.d67), `a differential that is not the backend's signed 6→7 was accepted (${bytes.length} bytes)`);
    must(isDeepStrictEqual(lookups(store, w.probes), w.afterDiff67), 'accepted 6→7 answers differently from a clean apply');
    return outcome;
  },
};

const wireUid = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('A0A1A2A3', 'CARD-NUMBER-77', 'B0B1B2B3B4B5B6', 'E0E1E2E3', 'e0e1e2e3', '0102030405060708090A', 'x', '', ' ', 'A'.repeat(37)) },
  { weight: 2, arbitrary: canonicalUid },
  { weight: 1, arbitrary: leafValue },
);
const wireToken = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(wireUid, fc.oneof(fc.constant('US'), leafValue), fc.oneof(fc.constantFrom('BLK', 'SEM', 'TNM', 'EMP', 'XXX'), leafValue),
    fc.oneof(fc.nat(4), leafValue), fc.oneof(fc.boolean(), leafValue), fc.oneof(fc.constantFrom(0, 3, 1), leafValue), fc.oneof(fc.constant(null), fc.string({ maxLength: 40 }), leafValue)) },
  { weight: 1, arbitrary: roamValue },
);
const diffPayload = fc.oneof(
  { weight: 8, arbitrary: fc.record({
    v: fc.oneof({ weight: 6, arbitrary: fc.constant(1) }, leafValue),
    from: fc.oneof({ weight: 6, arbitrary: fc.constant(6) }, leafValue),
    to: fc.oneof({ weight: 3, arbitrary: fc.constant(7) }, fc.nat(20), leafValue),
    at: leafValue,
    add: fc.oneof({ weight: 6, arbitrary: fc.array(wireToken, { maxLength: 6 }) }, leafValue),
    change: fc.oneof({ weight: 6, arbitrary: fc.array(wireToken, { maxLength: 6 }) }, leafValue),
    remove: fc.oneof({ weight: 6, arbitrary: fc.array(wireUid, { maxLength: 6 }) }, leafValue),
  }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: roamValue },
);

function hostileDiff(payload: unknown): Uint8Array {
  let p: Uint8Array;
  try { p = encodeCbor(payload); } catch { p = new Uint8Array(0); }
  const out = new Uint8Array(8 + p.length + 64);
  put32(out, 0, 0x444b5452);
  put32(out, 4, p.length);
  out.set(p, 8);
  return out;
}

const tokenDiffSigned: FuzzTarget<unknown> = {
  name: 'tokens.diff-signed',
  about: 'differential payloads that pass the signature check (attacker with the backend key): CBOR of any shape, uids, partners, enums out of range. Refused with TokenUpdateError leaving the store unchanged, or applied so that every lookup is well formed and a reboot (overlay replay) answers exactly as before it',
  arbitrary: () => diffPayload,
  seeds: () => [
    { v: 1, from: 6, to: 7, at: 0, add: [['E0E1E2E3', 'US', 'BLK', 0, true, 0, null]], change: [], remove: [] },
    { v: 1, from: 6, to: 7, at: 0, add: [['e0e1e2e3', 'US', 'BLK', 0, true, 0, 'G']], change: [['A0A1A2A3', 'US', 'BLK', 3, false, 3, null]], remove: ['CARD-NUMBER-77'] },
    { v: 1, from: 6, to: 7, add: [['E0E1E2E3', 'US', 'BLK', 0, true, 0, null], ['E0E1E2E3', 'US', 'BLK', 0, true, 0, null]], change: [], remove: [] },
    { v: 1, from: 6, to: 7, add: [['E0E1E2E3', 'US', 'BLK', 0, true, 0, null]], change: [], remove: ['E0E1E2E3'] },
    { v: 1, from: 6, to: 0xffffffff, add: [], change: [], remove: [] },
    { v: 1, from: 6, to: 7, add: [['E0E1E2E3', 'ZZ', 'NOP', 0, true, 0, null]], change: [], remove: [] },
    { v: 1, from: 6, to: 7, add: [], change: [], remove: [], __proto__: { polluted: true } },
  ],
  size: (p) => hostileDiff(p).length,
  run(payload) {
    const w = tokenWorld();
    const { store, p } = freshStore(trusting);
    const bytes = hostileDiff(payload);
    const outcome = typed(() => void store.applyDifferential(bytes), TokenUpdateError);
    if (outcome === 'rejected') {
      assertTokenStateUnchanged(store, p, 'signed differential');
      return outcome;
    }
    const touched = (['add', 'change', 'remove'] as const).flatMap((k) => {
      const l = (payload as Record<string, unknown>)[k];
      return Array.isArray(l) ? l.map((t) => (Array.isArray(t) ? t[0] : t)).filter((u): u is string => typeof u === 'string') : [];
    }).map((u) => u.toUpperCase()).filter((u) => /^[\x21-\x7e]{1,36}$/.test(u));
    const uids = [...w.probes, ...touched];
    for (const u of uids) assertWellFormed(store.lookup(u), u);
    const rebooted = new TokenStore({ platform: { flash: (n) => p.flash(n), crypto: trusting }, backendKey: backend.publicKey });
    must(rebooted.version === store.version, `version ${store.version} live, ${rebooted.version} after a reboot`);
    must(isDeepStrictEqual(lookups(rebooted, uids), lookups(store, uids)), 'an applied differential answers differently after a reboot');
    return outcome;
  },
};

// Backend key rotation (C-ROT): the token world's device on the provisioned key.
const nextKey = new NodeSigner(new Uint8Array(32).fill(0x34));
const keyWorld = once(() => {
  const rotate = (seq: number, key: Uint8Array, by: NodeSigner, revoke = false) => signKeyRotation(encodeKeyRotation({ seq, key, revoke }), by);
  return {
    good: rotate(1, nextKey.publicKey, backend, true),
    later: rotate(0xffffffff, nextKey.publicKey, stranger),
    same: rotate(1, backend.publicKey, backend),
    byStranger: rotate(1, nextKey.publicKey, stranger),
    byNext: rotate(2, stranger.publicKey, nextKey),
  };
});

function assertKeyAfter(store: TokenStore, p: HostPlatform, crypto: Crypto, what: string): void {
  const w = tokenWorld();
  const live = { seq: store.keySeq, key: hex(store.backendKey), lookups: lookups(store, w.probes), version: store.version };
  const rebooted = new TokenStore({ platform: { flash: (n) => p.flash(n), crypto }, backendKey: backend.publicKey });
  must(isDeepStrictEqual({ seq: rebooted.keySeq, key: hex(rebooted.backendKey), lookups: lookups(rebooted, w.probes), version: rebooted.version }, live), `${what}: the key or list in force differs after a reboot`);
  must(isDeepStrictEqual(live.lookups, w.baseline.lookups) && live.version === w.baseline.status.version, `${what}: a key rotation changed the list`);
}

const tokenKey: FuzzTarget<Uint8Array> = {
  name: 'tokens.key',
  about: 'signed backend key rotation (store.rotateKey), real backend key: only the backend-signed rotation 0 → 1 is accepted (then in force, identical after a reboot, list untouched); anything else (forged, other signer, replayed, to the key in force, malformed) is a TokenUpdateError and leaves key, list, selector and overlay unchanged, also after a reboot',
  arbitrary: () => fc.oneof(
    { weight: 6, arbitrary: mutated(() => { const k = keyWorld(); return [k.good, k.same, k.byStranger, k.byNext]; }, 4) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  ),
  seeds: () => {
    const k = keyWorld(), w = tokenWorld();
    return [k.good, k.later, k.same, k.byStranger, k.byNext, w.d67, new Uint8Array(0), ...prefixes(k.good, 16), ...bitFlips(k.good, 32), ...HUGE_DECLARED];
  },
  size: (b) => b.length,
  run(bytes) {
    const { store, p } = freshStore();
    const outcome = typed(() => void store.rotateKey(bytes), TokenUpdateError);
    if (outcome === 'rejected') {
      assertTokenStateUnchanged(store, p, 'key rotation');
      must(store.keySeq === 0 && hex(store.backendKey) === hex(backend.publicKey), 'a refused rotation changed the key in force');
      return outcome;
    }
    must(hex(bytes) === hex(keyWorld().good), `a rotation that is not the backend's signed 0 → 1 was accepted (${bytes.length} bytes)`);
    must(store.keySeq === 1 && hex(store.backendKey) === hex(nextKey.publicKey), 'the accepted rotation is not in force');
    assertKeyAfter(store, p, nodeCrypto, 'rotation');
    return outcome;
  },
};

const keyPayload = fc.oneof(
  { weight: 8, arbitrary: fc.record({
    v: fc.oneof({ weight: 6, arbitrary: fc.constant(1) }, leafValue),
    seq: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(1, 2, 0xffffffff) }, fc.nat(), leafValue),
    key: fc.oneof(
      { weight: 4, arbitrary: fc.uint8Array({ minLength: 64, maxLength: 64 }).map((b) => Uint8Array.of(4, ...b)) },
      { weight: 2, arbitrary: fc.constantFrom(backend.publicKey, stranger.publicKey, nextKey.publicKey) },
      fc.uint8Array({ maxLength: 70 }), leafValue,
    ),
    revoke: fc.oneof(fc.boolean(), leafValue),
    extra: leafValue,
  }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: roamValue },
);

const tokenKeySigned: FuzzTarget<unknown> = {
  name: 'tokens.key-signed',
  about: 'key rotation payloads that pass the signature check (attacker with the backend key): CBOR of any shape. Refused with TokenUpdateError leaving key and list unchanged, or stored so that the key in force is the one named, identical after a reboot, the list untouched',
  arbitrary: () => keyPayload,
  seeds: () => [
    { v: 1, seq: 1, key: nextKey.publicKey },
    { v: 1, seq: 0xffffffff, key: nextKey.publicKey, revoke: true },
    { v: 1, seq: 1, key: backend.publicKey },
    { v: 1, seq: 0, key: nextKey.publicKey },
    { v: 1, seq: 1, key: nextKey.publicKey, notBefore: 0 },
    { v: 1, seq: 1, key: nextKey.publicKey.subarray(1) },
    { v: 1, seq: 1, key: nextKey.publicKey, __proto__: { polluted: true } },
  ],
  size: (p) => hostileFrame(0x524b5452, p).length,
  run(payload) {
    const { store, p } = freshStore(trusting);
    const outcome = typed(() => void store.rotateKey(hostileFrame(0x524b5452, payload)), TokenUpdateError);
    if (outcome === 'rejected') {
      assertTokenStateUnchanged(store, p, 'signed key rotation');
      return outcome;
    }
    const named = (payload as Record<string, unknown>).key as Uint8Array;
    must(hex(store.backendKey) === hex(named) && store.keySeq === (payload as Record<string, unknown>).seq, 'the key in force is not the one the rotation named');
    assertKeyAfter(store, p, trusting, 'signed rotation');
    return outcome;
  },
};

/** A frame `magic`, length, CBOR of `payload` and a placeholder signature: what passes a trusting verifier. */
function hostileFrame(magic: number, payload: unknown): Uint8Array {
  let p: Uint8Array;
  try { p = encodeCbor(payload); } catch { p = new Uint8Array(0); }
  const out = new Uint8Array(8 + p.length + 64);
  put32(out, 0, magic);
  put32(out, 4, p.length);
  out.set(p, 8);
  return out;
}

interface BootInput { selector: Uint8Array; overlay: Uint8Array; slot: Uint8Array; framed: unknown[] }

const tokenBoot: FuzzTarget<BootInput> = {
  name: 'tokens.boot',
  about: 'boot over arbitrary flash: selector log, overlay log (including CRC-valid records of any CBOR shape) and the active slot corrupted. Construction never throws (a bad list is reported in bootError), and every lookup answers undefined or a well-formed entry',
  arbitrary: () => {
    const region = (name: string, edits: number) => mutated(() => [tokenWorld().snapshot.get(name)!], edits);
    return fc.record({
      selector: region('tokens-sel', 3), overlay: region('tokens-ovl', 3), slot: region('tokens-a', 3),
      framed: fc.array(fc.oneof(roamValue, fc.record({ base: fc.oneof(fc.constant(5), leafValue), from: fc.oneof(fc.constant(6), leafValue), to: leafValue, ops: fc.array(fc.oneof(fc.tuple(wireUid), fc.array(leafValue, { maxLength: 7 })), { maxLength: 4 }) })), { maxLength: 3 }),
    });
  },
  seeds: () => {
    const w = tokenWorld();
    const s = (n: string) => w.snapshot.get(n)!;
    return [
      { selector: s('tokens-sel'), overlay: s('tokens-ovl'), slot: s('tokens-a'), framed: [] },
      { selector: s('tokens-sel'), overlay: new Uint8Array(8192), slot: s('tokens-a'), framed: [] },
      { selector: s('tokens-sel'), overlay: s('tokens-ovl'), slot: new Uint8Array(8192), framed: [] },
      { selector: s('tokens-sel'), overlay: s('tokens-ovl'), slot: s('tokens-a'), framed: [{ base: 5, from: 6, to: 7, ops: [['A0A1A2A3', 99, 9, 'x', 9, 5]] }, 42, null] },
    ];
  },
  size: (i) => i.selector.length + i.overlay.length + i.slot.length,
  run(input) {
    const w = tokenWorld();
    const p = w.platform;
    p.power.restore();
    const fit = (name: string, b: Uint8Array) => {
      const r = p.regions.get(name)!;
      r.raw.fill(0xff);
      r.raw.set(b.subarray(0, r.byteLength));
    };
    fit('tokens-sel', input.selector);
    fit('tokens-a', input.slot);
    fit('tokens-b', w.snapshot.get('tokens-b')!);
    fit('tokens-ovl', input.overlay);
    // Records appended after the real ones with correct CRCs, so the CBOR inside is reached.
    const ovl = p.regions.get('tokens-ovl')!.raw;
    let at = ovl.indexOf(0xff, 0);
    for (const v of input.framed) {
      let payload: Uint8Array;
      try { payload = encodeCbor(v); } catch { continue; }
      if (at < 0 || at + 9 + payload.length > ovl.length) break;
      const rec = overlayFrame(payload);
      ovl.set(rec, at);
      at += rec.length;
    }
    let store: TokenStore | undefined;
    typed(() => { store = new TokenStore({ platform: { flash: (n) => guarded(p.flash(n)), crypto: nodeCrypto }, backendKey: backend.publicKey }); });
    const s = store!;
    lookupsGuarded(() => { for (const u of w.probes) assertWellFormed(s.lookup(u), u); });
    return s.bootError ? 'rejected' : 'accepted';
  },
};

// ———————————————————————————— sync messages ————————————————————————————

const deviceId = 'US*SEM*C0042';
const deviceSigner = new NodeSigner(new Uint8Array(32).fill(0x33));

/** Valid messages of each kind, as the other side encodes them. */
const validMessages = once((): Record<MessageKind, Uint8Array[]> => {
  const recs = journalRecords().slice(0, 6);
  const m = (k: MessageKind, ...msgs: unknown[]) => msgs.map((x) => encodeMessage(k, x as never));
  return {
    listOffer: m('listOffer', { ver: 7, size: 5000 }, { ver: 0xffffffff, size: 0 }),
    listChunk: m('listChunk', { ver: 7, off: 0, data: tokenWorld().img7.subarray(0, 4096) }, { ver: 7, off: 4096, data: new Uint8Array(16 * 1024) }),
    listDiff: m('listDiff', { from: 6, to: 7, data: tokenWorld().d67 }, { from: 1, to: 2, data: new Uint8Array(64 * 1024) }),
    listKey: m('listKey', { seq: 1, data: keyWorld().good }, { seq: 0xffffffff, data: new Uint8Array(256) }),
    recordAck: m('recordAck', { seq: 12 }, { seq: 0 }),
    authResponse: m('authResponse', { id: '0a0b0c0d.auth-1', status: 'Accepted', group: 'FLEET-9', expires: 1767225600000 }, { id: 'x', status: 'Blocked' }),
    config: m('config', { statusEverySec: 600 }, { statusEverySec: 60, listKey: backend.publicKey }),
    listStatus: m('listStatus', { ver: 7 }, { ver: 7, kseq: 3 }),
    listGet: m('listGet', { ver: 7, off: 4096, n: 4 }, { ver: 7, off: 0, n: 64 }),
    listResync: m('listResync', { have: 6, why: 'mismatch' }),
    recordBatch: m('recordBatch', { first: 1, recs: recs.map((r) => r.bytes) }, { first: 3, recs: recs.slice(2, 3).map((r) => r.bytes) }),
    authRequest: m('authRequest', { id: '0a0b0c0d.auth-1', uid: '04A1B2C3D4E5F6', connector: 1, purpose: 'start', partner: 2 }),
    status: m('status', { list: 7, depth: 3, acked: 12, lastSync: 1767225600000, time: 'S', listBusy: false }),
  };
});

/** Approximate in-memory size of a decoded value: bytes of strings and byte strings, 8 per number. */
function footprint(v: unknown, depth = 0): number {
  if (depth > 64) throw new PropertyBroken('decoded value nested deeper than 64');
  if (typeof v === 'string') return v.length * 2;
  if (v instanceof Uint8Array) return v.length;
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + footprint(x, depth + 1), 8);
  if (typeof v === 'object' && v !== null) return Object.entries(v).reduce((n, [k, x]) => n + k.length * 2 + footprint(x, depth + 1), 8);
  return 8;
}

const POLLUTION_PROBE = ['v', 'size', 'polluted', 'seq', 'data', 'id', 'st'];

function assertNoPollution(): void {
  for (const k of POLLUTION_PROBE) must(!(k in Object.prototype), `Object.prototype polluted with ${k}`);
}

interface MessageInput { payload: Uint8Array }

function payloadArbitrary(kind: MessageKind): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 4, arbitrary: mutated(() => validMessages()[kind], 5) },
    { weight: 3, arbitrary: fc.tuple(roamValue, fc.constantFrom('auto', 'never') as fc.Arbitrary<'auto' | 'never'>).map(([v, c]) => { try { return encodeFrame(v, c); } catch { return new Uint8Array(0); } }) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(0, 1, 2, 0xff), fc.uint8Array({ maxLength: 200 })).map(([f, b]) => Uint8Array.of(f, ...b)) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(0, 1), fc.uint8Array({ maxLength: 200 })).map(([f, b]) => f ? Uint8Array.of(1, ...deflateSync(b)) : Uint8Array.of(0, ...b)) },
  );
}

function hostileSeeds(kind: MessageKind): Uint8Array[] {
  const plain = (b: Uint8Array) => Uint8Array.of(0, ...b);
  const deflated = (b: Uint8Array) => Uint8Array.of(1, ...deflateSync(b));
  const valid = validMessages()[kind];
  return [
    ...valid,
    Uint8Array.of(1, ...deflateBomb(8 * 1024 * 1024)),
    Uint8Array.of(1, ...deflateBomb(600 * 1024)),
    deflated(nestedArrays(5000)),
    plain(nestedArrays(100_000).subarray(0, 900)),
    plain(nestedMaps(300)),
    ...HUGE_DECLARED.map(plain),
    ...HUGE_DECLARED.map(deflated),
    new Uint8Array(0), Uint8Array.of(0), Uint8Array.of(1), Uint8Array.of(1, 0x03, 0x00),
    plain(Uint8Array.of(0xa2, 0x69, ...Buffer.from('__proto__'), 0xa1, 0x61, 0x76, 0x05, 0x61, 0x76, 0x05)),
    plain(encodeCbor({ ...Object.fromEntries(Object.keys(MESSAGES).map((k) => [k, 1])), v: 1, off: 0, data: new Uint8Array(10) })),
    ...valid.flatMap((b) => prefixes(b, 8)),
    ...valid.flatMap((b) => bitFlips(b, 8)),
  ];
}

/** Largest decoded value a kind may produce: its CBOR bound, with room for JS string/number overheads. */
function footprintBound(kind: MessageKind): number {
  return 4 * MESSAGES[kind].limits.maxCborBytes + 1024;
}

function checkDecoded(kind: MessageKind, payload: Uint8Array): Outcome {
  let msg: unknown;
  const outcome = typed(() => { msg = decodeMessage(kind, payload); }, SyncDecodeError);
  assertNoPollution();
  if (outcome === 'rejected') return outcome;
  must(payload.length <= MESSAGES[kind].limits.maxWireBytes, `${kind}: accepted ${payload.length} bytes over the wire bound`);
  must(footprint(msg) <= footprintBound(kind), `${kind}: decoded value of ~${footprint(msg)} bytes over ${footprintBound(kind)}`);
  // What was accepted re-encodes to something the decoder reads back identically.
  const again = decodeMessage(kind, encodeMessage(kind, msg as never));
  must(isDeepStrictEqual(again, msg), `${kind}: accepted message does not survive re-encoding`);
  return outcome;
}

/** A Transport that records what is published and lets the test deliver messages. */
class FakeTransport implements Transport {
  connected = true;
  published: Array<{ topic: string; payload: Uint8Array }> = [];
  subscriptions: string[] = [];
  onMessage?: Transport['onMessage'];
  onConnect?: () => void;
  onDisconnect?: () => void;
  publish(topic: string, payload: Uint8Array): void { this.published.push({ topic, payload }); }
  subscribe(f: string): void { this.subscriptions.push(f); }
  close(): void { this.connected = false; }
}

function downTarget(kind: MessageKind): FuzzTarget<MessageInput> {
  return {
    name: `sync.${kind}`,
    about: `device decoder of ${kind} (roam/v1/{id}/${MESSAGES[kind].suffix}) through DeviceLink: a SyncDecodeError or a value within the kind's bounds that re-encodes identically; a refused payload reaches no handler and only bumps the refusal counter`,
    arbitrary: () => fc.record({ payload: payloadArbitrary(kind) }),
    seeds: () => hostileSeeds(kind).map((payload) => ({ payload })),
    size: (i) => i.payload.length,
    run({ payload }) {
      const outcome = checkDecoded(kind, payload);
      const t = new FakeTransport();
      const link = new DeviceLink(t, deviceId);
      let handled = 0;
      link.on(kind as 'recordAck', () => { handled++; });
      typed(() => t.onMessage!(topicOf(deviceId, kind), payload));
      typed(() => t.onMessage!(topicOf('US*SEM*OTHER', kind), payload)); // another device's topic: ignored
      if (outcome === 'rejected') must(handled === 0 && link.refusedCount === 1 && link.refused.length === 1, `${kind}: refused payload reached a handler (${handled}) or was not counted (${link.refusedCount})`);
      else must(handled === 1 && link.refusedCount === 0, `${kind}: accepted payload handled ${handled} times`);
      must(t.published.length === 0, `${kind}: the link published in answer to a downstream message`);
      return outcome;
    },
  };
}

const backendWorld = once(() => {
  const site = new SiteList(backend, nodeCrypto, () => 1767225600000);
  site.publish([{ countryCode: 'US', partyId: 'BLK', allowedUsesTable: true, tokens: [ocpiToken(BLK, '04A1B2C3D4E5F6') as never] }]);
  return { site };
});

let peerCases = 0;
let peer: { peer: BackendPeer; t: FakeTransport } | undefined;

function backendPeer(): { peer: BackendPeer; t: FakeTransport } {
  if (!peer || ++peerCases % 500 === 0) {
    const t = new FakeTransport();
    const p = new BackendPeer({ transport: t, crypto: nodeCrypto, site: backendWorld().site, now: () => 1767225600000 });
    p.registerDevice(deviceId, deviceSigner.publicKey);
    peer = { peer: p, t };
  }
  peer.t.published = [];
  return peer;
}

function upTarget(kind: MessageKind): FuzzTarget<MessageInput> {
  return {
    name: `sync.${kind}`,
    about: `backend decoder of ${kind} (roam/v1/{id}/${MESSAGES[kind].suffix}) through BackendPeer: a SyncDecodeError or a bounded value that re-encodes identically; the peer never throws; a refused payload is counted and changes no record, status or list state and sends nothing`,
    arbitrary: () => fc.record({ payload: payloadArbitrary(kind) }),
    seeds: () => hostileSeeds(kind).map((payload) => ({ payload })),
    size: (i) => i.payload.length,
    run({ payload }) {
      const outcome = checkDecoded(kind, payload);
      const { peer: p, t } = backendPeer();
      const before = { refused: p.counters.refused, report: p.records.report(deviceId), status: p.statuses.get(deviceId), list: p.listVersions.get(deviceId) };
      typed(() => t.onMessage!(topicOf(deviceId, kind), payload));
      if (outcome === 'rejected') {
        must(p.counters.refused === before.refused + 1, `${kind}: refused payload not counted`);
        must(t.published.length === 0, `${kind}: the backend answered a refused payload`);
        must(isDeepStrictEqual(p.records.report(deviceId), before.report) && p.statuses.get(deviceId) === before.status && p.listVersions.get(deviceId) === before.list, `${kind}: a refused payload changed the backend's state`);
      } else {
        must(p.counters.refused === before.refused, `${kind}: accepted payload counted as refused`);
      }
      return outcome;
    },
  };
}

const inflateTarget: FuzzTarget<{ data?: Uint8Array; bytes?: Uint8Array; cap: number }> = {
  name: 'sync.inflate',
  about: 'bounded raw-DEFLATE (inflateBounded): output never over the cap (deflate bombs refused with SyncDecodeError too-large after producing at most the cap plus one slice), genuine streams within the cap come back exactly, anything else is a SyncDecodeError',
  arbitrary: () => fc.record({
    data: fc.option(fc.oneof({ weight: 8, arbitrary: fc.uint8Array({ maxLength: 3000 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 70_000 }).map((n) => new Uint8Array(n)) }), { nil: undefined }),
    bytes: fc.option(fc.oneof(mutated(() => [deflateSync(new Uint8Array(5000)), deflateSync(encodeCbor({ a: [1, 2, 3], b: 'x'.repeat(300) })), deflateBomb(1 << 20)], 4), fc.uint8Array({ maxLength: 300 })), { nil: undefined }),
    cap: fc.constantFrom(0, 1, 100, 2048, 65_600, 512 * 1024),
  }),
  seeds: () => [
    { bytes: deflateBomb(16 * 1024 * 1024), cap: 512 * 1024 },
    { bytes: deflateBomb(1 << 20), cap: 2048 },
    { data: new Uint8Array(512 * 1024), cap: 512 * 1024 },
    { data: new Uint8Array(512 * 1024 + 1), cap: 512 * 1024 },
    { bytes: new Uint8Array(0), cap: 100 },
    { bytes: Uint8Array.of(0x03, 0x00), cap: 0 },
    ...prefixes(deflateSync(new Uint8Array(3000).map((_, i) => i * 7)), 12).map((bytes) => ({ bytes, cap: 65_600 })),
  ],
  size: (i) => (i.bytes ?? deflateSync(i.data ?? new Uint8Array(0))).length,
  run(input) {
    const compressed = input.bytes ?? deflateSync(input.data ?? new Uint8Array(0), { level: 6 });
    let out: Uint8Array | undefined;
    const outcome = typed(() => { out = inflateBounded(compressed, input.cap); }, SyncDecodeError);
    if (outcome === 'accepted') must(out!.length <= input.cap, `inflated ${out!.length} bytes past the cap ${input.cap}`);
    if (!input.bytes) {
      const data = input.data ?? new Uint8Array(0);
      if (data.length <= input.cap) must(outcome === 'accepted' && hex(out!) === hex(data), `a genuine stream of ${data.length} bytes under the cap ${input.cap} did not round-trip`);
      else must(outcome === 'rejected', `${data.length} bytes accepted under a cap of ${input.cap}`);
    }
    return outcome;
  },
};

// ———————————————————————————— sessions ————————————————————————————

/** Signed records of one device, from a real journal. */
const journalRecords = once(() => {
  const flash = new SimFlash('journal', 32 * 1024, { blockSize: 4096 });
  const j = new Journal(flash, { crypto: nodeCrypto, deviceId, signer: deviceSigner });
  j.recover();
  for (let i = 0; i < 12; i++) j.append(facts(i));
  j.signPending();
  return j.readFrom(1, Infinity);
});

const coseTarget: FuzzTarget<Uint8Array> = {
  name: 'sessions.record',
  about: 'backend verification of an uploaded record (verifyRecord: COSE_Sign1, ES256, strict CBOR record decode) and the RecordStore around it: RecordError or a record whose payload and signature are exactly what the device signed; storeBatch never throws',
  arbitrary: () => fc.oneof(
    { weight: 6, arbitrary: mutated(() => journalRecords().map((r) => r.bytes), 4) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 400 }) },
    { weight: 1, arbitrary: roamValue.map((v) => { try { return Uint8Array.of(0xd2, ...encodeCbor(v)); } catch { return Uint8Array.of(0xd2); } }) },
  ),
  seeds: () => {
    const r = journalRecords();
    return [r[0].bytes, r[5].bytes, Uint8Array.of(0xd2, ...nestedArrays(20_000)), Uint8Array.of(0xd2, ...nestedMaps(2000)), ...HUGE_DECLARED.map((b) => Uint8Array.of(0xd2, ...b)), ...prefixes(r[0].bytes, 16), ...bitFlips(r[0].bytes, 48)];
  },
  size: (b) => b.length,
  run(bytes) {
    let payload: Uint8Array | undefined, signature: Uint8Array | undefined;
    const outcome = typed(() => {
      const v = verifyRecord(bytes, deviceSigner.publicKey, nodeCrypto, deviceId);
      payload = v.payload;
      signature = decodeCoseSign1(bytes).signature;
    }, RecordError);
    if (outcome === 'accepted') {
      must(payload!.length <= MAX_PAYLOAD_BYTES, 'accepted payload over the record bound');
      must(journalRecords().some((r) => { const c = decodeCoseSign1(r.bytes); return hex(c.payload) === hex(payload!) && hex(c.signature) === hex(signature!); }), 'accepted a record the device never signed');
    }
    const store = new RecordStore(nodeCrypto);
    store.registerDevice(deviceId, deviceSigner.publicKey);
    typed(() => { store.storeBatch(deviceId, 1, [bytes]); store.storeBatch(deviceId, 1, [bytes]); });
    const rep = store.report(deviceId);
    must(rep.stored === 1 && rep.duplicatesIgnored === 1, 'a retransmitted record was stored twice');
    must((rep.verified === 1) === (outcome === 'accepted' && rep.problems.length === 0), 'the record store and verifyRecord disagree');
    return outcome;
  },
};

// Journal regions for recovery fuzzing: 4 sectors of 512 bytes (the smallest the journal takes).
const JBS = 512, JSECTORS = 4;

/** Journal images in the states a device leaves them: fresh, partly signed, acknowledged, wrapped. */
const journalImages = once(() => {
  const out: Uint8Array[] = [];
  const make = (steps: (j: Journal) => void) => {
    const f = new SimFlash('journal', JBS * JSECTORS, { blockSize: JBS });
    const j = new Journal(f, { crypto: nodeCrypto, deviceId, signer: deviceSigner, reservedRecords: 0 });
    j.recover();
    steps(j);
    out.push(f.raw.slice());
  };
  make(() => {});
  make((j) => { j.append(facts(0)); });
  make((j) => { for (let i = 0; i < 3; i++) j.append(facts(i)); j.signPending(2); });
  make((j) => { for (let i = 0; i < 3; i++) j.append(facts(i)); j.signPending(); j.acknowledge(2); });
  make((j) => { for (let i = 0; i < 4; i++) { j.append(facts(i)); j.signPending(); j.acknowledge(i + 1); } j.append(facts(9)); });
  make((j) => { for (let i = 0; i < 9; i++) { j.append(facts(i)); j.signPending(); if (i % 2) j.acknowledge(i + 1); } });
  return out;
});

interface JournalInput { image: Uint8Array; entries: Array<{ sector: number; at: number; type: number; body: Uint8Array }>; headers: number[] }

const journalEntryBody = () => fc.oneof(
  fc.tuple(fc.nat(journalRecords().length - 1), fc.nat(), fc.boolean()).map(([i, seq, keep]) => {
    const c = decodeCoseSign1(journalRecords()[i].bytes).payload.slice();
    if (!keep && c[2] === 0x1a) { c[3] = seq >>> 24; c[4] = (seq >>> 16) & 0xff; c[5] = (seq >>> 8) & 0xff; c[6] = seq & 0xff; }
    return c;
  }),
  fc.tuple(fc.constantFrom(0, 1, 2, 3, 11, 12, 13, 0xfffffffe, 0xffffffff), fc.uint8Array({ minLength: 64, maxLength: 64 })).map(([seq, sig]) => { const b = new Uint8Array(68); b.set(sig, 4); put32(b, 0, seq); return b; }),
  fc.constantFrom(0, 1, 2, 5, 12, 0xffffffff).map((seq) => { const b = new Uint8Array(4); put32(b, 0, seq); return b; }),
  fc.uint8Array({ minLength: 3, maxLength: 40 }).map((b) => Uint8Array.of(0xa1, 0x01, 0x05, ...b)),
);

/** The highest seq of any well-formed record entry anywhere in a journal region (every offset tried). */
/** Does a sector without a valid header hold a well-formed entry (what KD-4 needs)? */
function strayEntries(raw: Uint8Array): boolean {
  for (let s = 0; s < JSECTORS; s++) {
    const c = readSectorHeader(raw, s * JBS);
    if (c >= 0 && c % JSECTORS === s) continue;
    const end = (s + 1) * JBS;
    for (let at = s * JBS + SECTOR_HEADER_BYTES; at < end; at++) if (raw[at] !== 0xff && entryAt(raw, at, end) > 0) return true;
  }
  return false;
}

function highestRecordSeq(raw: Uint8Array): number {
  let max = 0;
  for (let s = 0; s < JSECTORS; s++) {
    const end = (s + 1) * JBS;
    for (let at = s * JBS + SECTOR_HEADER_BYTES; at < end; at++) {
      if (raw[at] !== T_RECORD) continue;
      const n = entryAt(raw, at, end);
      if (n > 0) max = Math.max(max, seqOfPayload(raw, at + 3, at + n - 4) ?? 0);
    }
  }
  return max;
}

const journalTarget: FuzzTarget<JournalInput> = {
  name: 'sessions.journal',
  about: 'journal recovery over arbitrary flash (mutated journals, CRC-valid entries of any type and seq, forged sector headers): recover() never throws; acked ≤ last; records read back strictly increasing, unacknowledged and within bounds; a second recovery finds the same; a bad ack or a bad record appended is a typed error that changes neither flash nor records; the next record gets a seq above every one seen (never repeated), or the append is refused with a typed error',
  arbitrary: () => fc.record({
    image: mutated(journalImages, 6),
    entries: fc.array(fc.record({ sector: fc.nat(JSECTORS - 1), at: fc.nat(JBS), type: fc.constantFrom(T_RECORD, T_SIGNATURE, T_ACK), body: journalEntryBody() }), { maxLength: 4 }),
    headers: fc.array(fc.nat(12), { maxLength: JSECTORS }),
  }),
  seeds: () => [
    ...journalImages().map((image) => ({ image, entries: [], headers: [] })),
    { image: new Uint8Array(JBS * JSECTORS), entries: [], headers: [] },
    { image: new Uint8Array(JBS * JSECTORS).fill(0xff), entries: [{ sector: 0, at: 12, type: T_ACK, body: Uint8Array.of(0xff, 0xff, 0xff, 0xff) }], headers: [0] },
    { image: new Uint8Array(JBS * JSECTORS).fill(0xff), entries: [{ sector: 1, at: 12, type: T_ACK, body: Uint8Array.of(0xfe, 0xff, 0xff, 0xff) }], headers: [1, 1, 2, 3] },
  ],
  size: (i) => i.image.length,
  run(input) {
    const f = new SimFlash('journal', JBS * JSECTORS, { blockSize: JBS });
    f.raw.set(input.image.subarray(0, f.byteLength));
    input.headers.forEach((c, s) => f.raw.set(sectorHeader(c), s * JBS));
    for (const e of input.entries) {
      const framed = frameEntry(e.type, e.body);
      const at = e.sector * JBS + Math.max(SECTOR_HEADER_BYTES, Math.min(e.at, JBS - framed.length));
      if (framed.length <= JBS - SECTOR_HEADER_BYTES) f.raw.set(framed, at);
    }
    const highestRecord = highestRecordSeq(f.raw);
    // Forged structure (CRC-valid entries or headers placed by the fuzzer, not by the journal): KD-4 when it breaks a property.
    const stray = strayEntries(f.raw) || input.headers.length > 0 || input.entries.length > 0;
    let outcome: Outcome = 'rejected';
    tolerate(() => {
      try {
        outcome = checkJournal(f, highestRecord, input.image.subarray(0, 40));
      } catch (e) {
        if (stray && e instanceof PropertyBroken && !e.message.startsWith('KD-')) known('KD-4', e.message);
        throw e;
      }
    });
    return outcome;
  },
};

function checkJournal(f: SimFlash, highestRecord: number, garbage: Uint8Array): Outcome {
    const open = () => new Journal(f, { crypto: nodeCrypto, deviceId, signer: deviceSigner, reservedRecords: 0 });
    const j = open();
    typed(() => void j.recover());
    if (j.ackedSeq > highestRecord) known('KD-3', `recovery took ack ${j.ackedSeq}, above every record in flash (${highestRecord})`);
    must(j.ackedSeq <= j.lastSeq, `acked ${j.ackedSeq} past last ${j.lastSeq}`);
    const read = (jj: Journal) => jj.readFrom(0, Infinity).map((r) => ({ seq: r.seq, bytes: hex(r.bytes) }));
    const recs = read(j);
    let prev = j.ackedSeq;
    for (const r of recs) {
      must(r.seq > prev && r.seq <= j.lastSeq, `record ${r.seq} out of order or range (after ${prev}, acked ${j.ackedSeq}, last ${j.lastSeq})`);
      prev = r.seq;
      const payload = decodeCoseSign1(Buffer.from(r.bytes, 'hex')).payload;
      must(payload.length <= MAX_PAYLOAD_BYTES, `record ${r.seq} over the payload bound`);
    }
    const bounded = j.readFrom(0, 600);
    must(bounded.length <= 1 || bounded.reduce((n, r) => n + r.bytes.length, 0) <= 600, 'readFrom went past its byte bound');
    const state = { last: j.lastSeq, acked: j.ackedSeq, recs, flash: hex(nodeCrypto.sha256(f.raw).digest()) };
    const j2 = open();
    typed(() => void j2.recover());
    // (acked may move up past records that were already unreadable: nothing readable is given up.)
    must(j2.lastSeq === state.last && j2.ackedSeq >= state.acked && isDeepStrictEqual(read(j2), recs), `a second recovery disagrees: last ${j2.lastSeq}/${state.last}, acked ${j2.ackedSeq}/${state.acked}, records ${read(j2).map((r) => r.seq)}/${recs.map((r) => r.seq)}`);
    // Rejected messages leave everything as it was.
    const flash2 = hex(nodeCrypto.sha256(f.raw).digest());
    if (j2.lastSeq < Number.MAX_SAFE_INTEGER) must(typed(() => j2.acknowledge(j2.lastSeq + 1), JournalError) === 'rejected', 'an ack past the last record was accepted');
    must(typed(() => void j2.append(garbage), JournalError, RecordError) === 'rejected', 'a garbage record payload was appended');
    must(hex(nodeCrypto.sha256(f.raw).digest()) === flash2 && isDeepStrictEqual(read(j2), recs) && j2.lastSeq === state.last, 'a rejected ack or record changed the journal');
    // The next record never reuses a number.
    let seq = 0;
    const appended = typed(() => { seq = j2.append(facts(3)); j2.signPending(); }, JournalError, RecordError);
    if (appended === 'accepted') {
      must(seq === state.last + 1, `appended seq ${seq} after last ${state.last}`);
      const j3 = open();
      typed(() => void j3.recover());
      if (j3.ackedSeq >= seq) known('KD-3', `record ${seq}, never uploaded, counts as acknowledged after a reboot (acked ${j3.ackedSeq})`);
      const after = read(j3);
      must(j3.lastSeq === seq && after.some((r) => r.seq === seq), `record ${seq} not found after a reboot (last ${j3.lastSeq})`);
      must(after.every((r) => r.seq <= seq), 'a record numbered past the newest one');
    }
    return state.recs.length > 0 ? 'accepted' : 'rejected';
}

// ——————————————————— journal: damage windows (issue 14, item 3) ———————————————————

interface WindowsInput { hits: Array<{ at: number; kind: Damage }> }
const windowWorld = once(() => fullJournal(16 * 1024));
/** Up to 4 hits on a 16 KiB journal: 64-byte windows zeroed or inverted, or single bits flipped. */
const damageHits = () => fc.record({
  hits: fc.array(fc.oneof(
    fc.record({ at: fc.nat(16 * 1024 / WINDOW - 1).map((k) => k * WINDOW), kind: fc.constantFrom<Damage>('zero', 'invert') }),
    fc.record({ at: fc.nat(16 * 1024 - 1), kind: fc.constant<Damage>('bit') }),
  ), { minLength: 1, maxLength: 4 }),
});

const journalWindowsTarget: FuzzTarget<WindowsInput> = {
  name: 'sessions.journal-windows',
  about: 'a full 16 KiB journal (wrapped, acknowledged in the middle, unsigned records at its end) damaged by 64-byte windows zeroed or inverted, or single bits flipped: every window alone (seeds), every pair of windows (exhaustive, npm run fuzz), random sets of up to 4. After the device\'s recovery: the acknowledged position is at most the true one; every unacknowledged record is read back intact or counted in `lost`; going on (sign, append, upload to a backend holding every record signed before, take its acks, reboot) nothing counts as acknowledged that the backend does not hold with the device\'s payload, and no number is used twice',
  arbitrary: damageHits,
  seeds: () => (['zero', 'invert'] as Damage[]).flatMap((kind) => windows(windowWorld()).map((at) => ({ hits: [{ at, kind }] }))),
  *exhaustive() {
    const ws = windows(windowWorld());
    for (const kind of ['zero', 'invert'] as Damage[])
      for (let i = 0; i < ws.length; i++) for (let k = i + 1; k < ws.length; k++) yield { hits: [{ at: ws[i], kind }, { at: ws[k], kind }] };
  },
  maxCases: 20_000,
  size: (i) => i.hits.length * WINDOW,
  run(input) {
    const { problems, missing } = damagedOutcome(windowWorld(), input.hits);
    must(problems.length === 0, `${input.hits.map((h) => `${h.kind}@${h.at}`).join('+')}: ${problems.join('; ')}`);
    return missing === 0 ? 'accepted' : 'rejected';
  },
};

// ——————————————————— journal: seals (issue 16) ———————————————————

const sealWorld = once(() => sealedJournal(16 * 1024));

const journalSealsTarget: FuzzTarget<WindowsInput> = {
  name: 'sessions.journal-seals',
  about: 'a full 16 KiB journal sealed as the background step leaves it (every closed sector sealed), damaged by 64-byte windows zeroed or inverted, or single bits flipped (random sets of up to 4; the header and seal windows of each sector as seeds): recovery from the seals finds exactly what it finds in the same journal without seals damaged alike (report, positions, lost, unsigned, records read back, the next writes), and the three damage properties of sessions.journal-windows hold',
  arbitrary: damageHits,
  // Seeds: the windows of each sector's header and of its seal, alone and together (test/sessions/seal.test.ts sweeps every window alone).
  seeds: () => (['zero', 'invert'] as Damage[]).flatMap((kind) => [0, 1, 2, 3].flatMap((s) => {
    const header = { at: s * 4096, kind };
    const seal = { at: (s + 1) * 4096 - WINDOW, kind };
    return [{ hits: [header] }, { hits: [seal] }, { hits: [header, seal] }];
  })),
  maxCases: 20_000,
  size: (i) => i.hits.length * WINDOW,
  run(input) {
    const raw = sealWorld().raw.slice();
    const plain = unsealed(sealWorld().raw); // the same journal without its seals, the same damage
    for (const h of input.hits) {
      damage(raw, h.at, h.kind);
      damage(plain, h.at, h.kind);
    }
    const name = input.hits.map((h) => `${h.kind}@${h.at}`).join('+');
    must(sealOutcome(raw) === sealOutcome(plain), `${name}: the sealed journal recovers differently from the same journal without seals, damaged alike`);
    const { problems, missing } = damagedOutcome(sealWorld(), input.hits);
    must(problems.length === 0, `${name}: ${problems.join('; ')}`);
    return missing === 0 ? 'accepted' : 'rejected';
  },
};

// ———————————————————————————— registry ————————————————————————————

const kinds = Object.keys(MESSAGES) as MessageKind[];

export const TARGETS: FuzzTarget<any>[] = [
  tokenImage, tokenImageSigned, tokenDiff, tokenDiffSigned, tokenKey, tokenKeySigned, tokenBoot,
  ...kinds.map((k) => (MESSAGES[k].direction === 'down' ? downTarget(k) : upTarget(k))),
  inflateTarget,
  coseTarget,
  journalTarget,
  journalWindowsTarget,
  journalSealsTarget,
];

export function target(name: string): FuzzTarget<any> {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`no fuzz target ${name}; targets: ${TARGETS.map((x) => x.name).join(', ')}`);
  return t;
}

export interface FuzzResult {
  name: string;
  cases: number;
  accepted: number;
  rejected: number;
  largestAccepted: number;
  ms: number;
  failure?: string;
  seed: number;
}

/**
 * Runs a target: its seeds, then (with `exhaustive`) every input of its finite
 * space, then `cases` random inputs (at most its maxCases). Stops at the first
 * broken property (the random ones shrunk).
 */
export function runTarget(t: FuzzTarget<any>, cases: number, seed: number, onProgress?: (done: number) => void, exhaustive = false): FuzzResult {
  const r: FuzzResult = { name: t.name, cases: 0, accepted: 0, rejected: 0, largestAccepted: 0, ms: 0, seed };
  const start = performance.now();
  const one = (input: unknown) => {
    const o = t.run(input);
    r.cases++;
    if (o === 'accepted') { r.accepted++; r.largestAccepted = Math.max(r.largestAccepted, t.size(input)); }
    else r.rejected++;
    if (onProgress && r.cases % 1000 === 0) onProgress(r.cases);
    return true;
  };
  try {
    for (const s of t.seeds()) one(s);
  } catch (e) {
    r.failure = `seed input broke the property: ${(e as Error).message}`;
    r.ms = performance.now() - start;
    return r;
  }
  if (exhaustive && t.exhaustive) {
    try {
      for (const x of t.exhaustive()) one(x);
    } catch (e) {
      r.failure = `exhaustive input broke the property: ${(e as Error).message}`;
      r.ms = performance.now() - start;
      return r;
    }
  }
  const details = fc.check(fc.property(t.arbitrary(), one), { numRuns: Math.min(cases, t.maxCases ?? Infinity), seed, endOnFailure: false, verbose: 0 });
  if (details.failed) {
    const shown = details.counterexample ? preview(details.counterexample[0]) : '?';
    r.failure = `${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}\n  counterexample: ${shown}\n  replay: seed ${details.seed}, path ${details.counterexample ? details.counterexamplePath : '?'}`;
  }
  r.ms = performance.now() - start;
  return r;
}

function preview(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? `hex:${hex(x.subarray(0, 256))}${x.length > 256 ? `…(${x.length} bytes)` : ''}` : typeof x === 'bigint' ? String(x) : x)).slice(0, 2000);
}
