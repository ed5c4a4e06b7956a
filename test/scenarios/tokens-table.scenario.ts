import { p256 } from '@noble/curves/nist.js';
import type { Signer } from '../../hal/crypto.js';
import { SeededRandom } from '../../host-sim/hal/seeded-random.js';
import { concatBytes } from '../../src/codec/bytes.js';
import { encodeCbor } from '../../src/codec/cbor.js';
import {
  compileDiff, compileTable, normalizeUid, signDiff, signTable, TokenStore, UidError, type ReaderConfig, type TokenEntry,
} from '../../src/tokens/index.js';
import { partnerLists, randomUid } from '../tokens/fixtures.js';
import type { Scenario } from './scenario.js';

// The token table end to end, the same on Node and XS: compile a seeded list,
// sign it (deterministic RFC 6979 signatures, so the bytes match), stream it
// into the A/B slots, apply a differential, reboot, look up hits and misses.
// Output: the signed image, the differential, the compile report and every answer.
const SECRET = new Uint8Array(32).fill(0x5a);
const backend: Signer = {
  publicKey: p256.getPublicKey(SECRET, false),
  sign: (m) => p256.sign(m, SECRET),
};

const encodeEntry = (e: TokenEntry | undefined) =>
  e ? [e.uid, e.partner.id, e.whitelist, e.valid, e.type, e.groupId ?? null, e.sourceVersion] : null;

const scenario: Scenario = {
  name: 'tokens-table',
  partitions: { 'tokens-a': 64 * 1024, 'tokens-b': 64 * 1024, 'tokens-sel': 8 * 1024, 'tokens-ovl': 16 * 1024 },
  run(p) {
    const lists = partnerLists(31, 300, { groupedPerMille: 100 });
    const compiled = compileTable({ listVersion: 7, createdAt: 1_764_000_000_000, partners: lists }, p.crypto);
    const image = signTable(compiled.image, backend);
    const store = new TokenStore({ platform: p, backendKey: backend.publicKey });
    store.beginFull(image.length);
    for (let o = 0; o < image.length; o += 1024) store.writeChunk(o, image.subarray(o, o + 1024));
    store.commit();

    const uids = lists.flatMap((l) => l.tokens.map((t) => (t as { uid: string }).uid));
    const t = (uid: string, extra: Record<string, unknown> = {}) => ({
      country_code: 'US', party_id: 'SEM', uid, type: 'RFID', contract_id: 'C1', valid: true, whitelist: 'ALWAYS', last_updated: '2026-01-01T00:00:00Z', ...extra,
    });
    const diff = signDiff(compileDiff({ from: 7, to: 8, createdAt: 0, add: [t('C0FFEE01'), t('card 7', { group_id: 'G-1' })], change: [t(uids[1], { valid: false })], remove: [uids[2]] }).diff, backend);
    store.applyDifferential(diff);

    const r = new SeededRandom(5);
    const misses: string[] = [];
    for (let i = 0; i < 100; i++) misses.push(randomUid(r));
    const probe = [...uids, ...misses, 'C0FFEE01', 'CARD 7'];
    const live = probe.map((u) => encodeEntry(store.lookup(u)));
    const rebooted = new TokenStore({ platform: p, backendKey: backend.publicKey });
    const afterBoot = probe.map((u) => encodeEntry(rebooted.lookup(u)));

    const readers: Array<[number[], ReaderConfig]> = [
      [[0x04, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x80], { input: 'bytes' }],
      [[0x80, 0xe6, 0xd5, 0xc4, 0xb3, 0xa2, 0x04], { input: 'bytes', reversed: true, truncateTo: 4 }],
      [[...'2882400018'].map((c) => c.charCodeAt(0)), { input: 'decimal' }],
      [[...'123456789012345678901234'].map((c) => c.charCodeAt(0)), { input: 'decimal' }],
      [[0x08, 1, 2, 3], { input: 'bytes' }],
      [[1, 2, 3, 4, 5], { input: 'bytes' }],
    ];
    const normalized = readers.map(([raw, config]) => {
      try { return normalizeUid(Uint8Array.from(raw), config); } catch (e) { return (e as UidError).code; }
    });
    return concatBytes(image, diff, encodeCbor({
      report: [compiled.report.accepted, compiled.report.excluded.length, compiled.report.invalid.map((i) => [i.partner, i.index, i.reason])],
      status: rebooted.status, live, afterBoot, normalized,
    }));
  },
};
export default scenario;
