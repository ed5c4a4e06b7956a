import { p256 } from '@noble/curves/nist.js';
import type { Crypto, Signer } from '../../hal/crypto.js';
import { VirtualClock } from '../../host-sim/hal/virtual-clock.js';
import { concatBytes, encodeCbor, toHex } from '../../src/codec/index.js';
import { RefusalBudget } from '../../src/sync/refusal-budget.js';
import {
  compileDiff, compileTable, encodeKeyRotation, keyFingerprint, signDiff, signKeyRotation, signTable, TokenStore, TokenUpdateError,
  type TokenEntry,
} from '../../src/tokens/index.js';
import type { Scenario } from './scenario.js';

// Backend key rotation (C-ROT) and the list client's refusal budget, the same on
// Node and XS: a list signed by K1, a K2 image refused, K1→K2 (revoking K1), the
// K2 image applied, a flood of K1 differentials through the budget, a reboot on
// the same flash, then rotations back to K1 refused. Signatures are noble's
// deterministic RFC 6979 ones, so the signed bytes match too; the device side
// only verifies (the platform's crypto). Output: the signed rotations, every
// code, version, key sequence, fingerprint, budget outcome and lookup.
const signerOf = (secret: Uint8Array): Signer => ({ publicKey: p256.getPublicKey(secret, false), sign: (m) => p256.sign(m, secret) });
const K1 = signerOf(new Uint8Array(32).fill(0x61));
const K2 = signerOf(new Uint8Array(32).fill(0x62));
const K3 = signerOf(new Uint8Array(32).fill(0x63));

const token = (uid: string, extra: Record<string, unknown> = {}) => ({
  country_code: 'US', party_id: 'SEM', uid, type: 'RFID', contract_id: `C-${uid}`, valid: true, whitelist: 'ALWAYS', last_updated: '2026-01-01T00:00:00Z', ...extra,
});
const image = (crypto: Crypto, version: number, uids: string[], by: Signer) =>
  signTable(compileTable({ listVersion: version, createdAt: 0, partners: [{ countryCode: 'US', partyId: 'SEM', allowedUsesTable: true, tokens: uids.map((u) => token(u)) }] }, crypto).image, by);
const rotation = (seq: number, to: Signer, by: Signer, revoke = false) => signKeyRotation(encodeKeyRotation({ seq, key: to.publicKey, revoke }), by);
const PROBES = ['01020304', 'A1B2C3D4E5F601', 'CARD-7', 'B1B2B3B4', 'C1C2C3C4', 'FFFFFFFF'];
const encodeEntry = (e: TokenEntry | undefined) => (e ? [e.uid, e.whitelist, e.valid, e.type, e.sourceVersion] : null);

const scenario: Scenario = {
  name: 'key-rotation',
  partitions: { 'tokens-a': 16 * 1024, 'tokens-b': 16 * 1024, 'tokens-sel': 8 * 1024, 'tokens-ovl': 8 * 1024 },
  run(p) {
    const check = (ok: boolean, what: string) => { if (!ok) throw new Error(`key-rotation scenario: ${what}`); };
    // A refusal's code, or what the call returned: both engines must agree on each.
    const outcome = (f: () => unknown): unknown => {
      try { return ['ok', f() ?? null]; } catch (e) {
        if (e instanceof TokenUpdateError) return e.code;
        throw e;
      }
    };
    const applyFull = (store: TokenStore, bytes: Uint8Array) => {
      store.beginFull(bytes.length);
      for (let o = 0; o < bytes.length; o += 500) store.writeChunk(o, bytes.subarray(o, o + 500));
      return store.commit();
    };
    const state = (store: TokenStore) => ({ status: store.status, key: toHex(store.backendKey), lookups: PROBES.map((u) => encodeEntry(store.lookup(u))) });
    const boot = () => new TokenStore({ platform: p, backendKey: K1.publicKey });

    let store = boot();
    const v1 = outcome(() => applyFull(store, image(p.crypto, 1, ['01020304', 'A1B2C3D4E5F601', 'CARD-7'], K1)));
    const v2byK2 = image(p.crypto, 2, ['01020304', 'A1B2C3D4E5F601', 'CARD-7', 'B1B2B3B4'], K2);
    const k2ImageEarly = outcome(() => applyFull(store, v2byK2));
    check(k2ImageEarly === 'BAD_SIGNATURE' && store.version === 1, 'a K2 image before the rotation must be refused');
    const before = state(store);

    const toK2 = rotation(1, K2, K1, true);
    const rotated = outcome(() => store.rotateKey(toK2));
    check(store.keySeq === 1, 'the rotation to K2 must take');
    const k2Image = outcome(() => applyFull(store, v2byK2));
    const k1Diff = signDiff(compileDiff({ from: 2, to: 3, createdAt: 0, add: [token('C1C2C3C4')] }).diff, K1);
    const k1DiffRefused = outcome(() => store.applyDifferential(k1Diff));
    check(k1DiffRefused === 'BAD_SIGNATURE' && store.version === 2, 'a K1 differential after the rotation must be refused');

    // A flood of the old key's differentials through the budget as the list client
    // spends it: admit, verify, refuse (spend, answer the first), drop once spent;
    // the window's end owes one report, and a genuine differential settles it.
    const clock = new VirtualClock();
    const log: string[] = [];
    const budget = new RefusalBudget(clock, {}, () => log.push(`owed@${clock.monotonic()}`));
    const offer = (bytes: Uint8Array) => {
      if (!budget.admit()) return log.push('dropped');
      const r = outcome(() => store.applyDifferential(bytes));
      if (Array.isArray(r)) { budget.settle(); return log.push(`applied ${store.version}`); }
      budget.spend();
      log.push(`${r as string} ${budget.answer() ? 'answered' : 'held'}`);
    };
    for (let i = 0; i < 5; i++) { offer(k1Diff); clock.advance(1000); }
    clock.advance(60_000);
    offer(k1Diff);
    offer(signDiff(compileDiff({ from: 2, to: 3, createdAt: 0, add: [token('C1C2C3C4', { whitelist: 'ALLOWED_OFFLINE' })], change: [token('CARD-7', { valid: false })] }).diff, K2));
    offer(k1Diff);
    check(log.filter((l) => l === 'dropped').length === 2 && log.filter((l) => l.startsWith('owed')).length === 1, `budget: ${log.join(', ')}`);
    const live = state(store);

    // The reboot reads the key from the selector, not the provisioned K1 it is given.
    store = boot();
    const rebooted = state(store);
    check(JSON.stringify(rebooted) === JSON.stringify(live), 'a reboot must keep K2 and the list');
    const backToK1 = rotation(2, K1, K2);
    const refusals = [
      outcome(() => store.rotateKey(backToK1)),
      outcome(() => store.rotateKey(toK2)), // a replay: K1 no longer verifies
      outcome(() => store.rotateKey(rotation(2, K1, K1))),
      outcome(() => store.rotateKey(rotation(1, K3, K2))),
      outcome(() => store.rotateKey(rotation(3, K2, K2))),
      outcome(() => store.applyDifferential(k1Diff)),
    ];
    check(refusals.join() === 'KEY_REVOKED,BAD_SIGNATURE,BAD_SIGNATURE,KEY_ROLLBACK,KEY_UNCHANGED,BAD_SIGNATURE', `refusals after the reboot: ${refusals.join()}`);
    const afterRefusals = state(boot());
    check(JSON.stringify(afterRefusals) === JSON.stringify(live), 'refused rotations must change nothing');

    return concatBytes(toK2, backToK1, encodeCbor({
      v1, k2ImageEarly, before, rotated, k2Image, k1DiffRefused, budget: log, live, rebooted, refusals, afterRefusals,
      fingerprints: [K1, K2].map((k) => toHex(keyFingerprint(p.crypto, k.publicKey))),
    }));
  },
};
export default scenario;
