import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FlashRegion } from '../../hal/flash.js';
import type { SettingValue } from '../../hal/settings.js';
import { encodeValue } from '../../hal/moddable/nvs-encoding.js';
import { ROAM_PARTITIONS } from '../../hal/moddable/regions.js';
import { main } from '../../host-sim/cli/main.js';
import { nvsImage, type NvsValue } from '../../host-sim/cli/nvs.js';
import { readPartitionTable, tableFile } from '../../host-sim/cli/partitions.js';
import { FileSettings, NodeSigner, nodeCrypto, SimFlash } from '../../host-sim/hal/index.js';
import { Journal, type SessionFacts } from '../../src/sessions/index.js';
import { compileDiff, compileTable, encodeKeyRotation, readHeader, signDiff, signKeyRotation, signTable, TokenStore } from '../../src/tokens/index.js';

// `roam inspect` and `roam lookup` on storage written by the real code: a token
// image compiled and signed by src/tokens, streamed into the A/B slots by the
// TokenStore, a differential applied; a journal written, signed and partly
// acknowledged by src/sessions. Laid out as a whole 4 MB flash image at the
// partition table's offsets, and as a directory of partition files written by SimFlash.

async function roam(...args: string[]) {
  const out: string[] = [], err: string[] = [];
  const code = await main(args, (s) => { out.push(s); }, (s) => { err.push(s); });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const backend = new NodeSigner(new Uint8Array(32).fill(0x11));
const device = new NodeSigner(new Uint8Array(32).fill(0x22));
const deviceKeyHex = Buffer.from(device.exportPrivateKey()).toString('hex');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const token = (cc: string, party: string, uid: string, whitelist: string, extra: Record<string, unknown> = {}) => ({
  country_code: cc, party_id: party, uid, type: 'RFID', contract_id: `C-${uid}`, valid: true, whitelist, last_updated: '2026-01-01T00:00:00Z', ...extra,
});
const BLK = [token('US', 'BLK', '04A2B3C4D5E680', 'ALWAYS'), token('US', 'BLK', '11223344', 'ALLOWED'), token('US', 'BLK', '44556677', 'ALWAYS'), token('US', 'BLK', '55667788', 'ALWAYS')];
const SEM = [token('US', 'SEM', '0A0B0C0D0E0F10', 'ALLOWED'), token('US', 'SEM', '22334455', 'NEVER'), token('US', 'SEM', '33445566', 'ALWAYS', { valid: false })];

const facts = (i: number): SessionFacts => ({
  evseId: 'US*SEM*E1*1', uid: `0400000000000${i}`, method: 'WHITELIST', offline: true,
  start: { seconds: 1_767_225_600 + 3600 * i, quality: 'S' }, stop: { seconds: 1_767_225_600 + 3600 * i + 1800, quality: 'S' },
  meterStartWh: 1000 * i, meterStopWh: 1000 * i + 7000 + i, stopReason: 'Local',
});

/** Writes the token list (v7 image, then the 7 → 8 differential) and 5 records (2 acknowledged) through the real code. */
function writeDevice(flash: (name: string) => FlashRegion): void {
  const platform = { flash, crypto: nodeCrypto };
  const compiled = compileTable({ listVersion: 7, createdAt: Date.UTC(2026, 0, 2), partners: [
    { countryCode: 'US', partyId: 'BLK', allowedUsesTable: true, tokens: BLK },
    { countryCode: 'US', partyId: 'SEM', allowedUsesTable: false, tokens: SEM },
  ] }, nodeCrypto);
  expect(compiled.report.accepted).toBe(7);
  const image = signTable(compiled.image, backend);
  const p = ROAM_PARTITIONS;
  const store = new TokenStore({ platform, backendKey: backend.publicKey, slots: p.tokenSlots, selector: p.tokenSelector, overlay: p.tokenOverlay });
  store.beginFull(image.length);
  for (let o = 0; o < image.length; o += 1000) store.writeChunk(o, image.subarray(o, o + 1000));
  store.commit();
  store.applyDifferential(signDiff(compileDiff({
    from: 7, to: 8, createdAt: 0, add: [token('US', 'SEM', '66778899', 'ALWAYS', { group_id: 'G-1' })],
    change: [{ ...BLK[3], valid: false }], remove: ['44556677'],
  }).diff, backend));
  const journal = new Journal(flash(p.journal), { crypto: nodeCrypto, deviceId: 'dev-9', signer: device });
  journal.recover();
  for (let i = 1; i <= 5; i++) journal.append(facts(i));
  journal.signPending();
  journal.acknowledge(2);
}

function settings(extra: Record<string, SettingValue> = {}): Record<string, SettingValue> {
  return {
    deviceId: 'dev-9', siteId: 'S1', broker: 'mqtt://b:1883', backendKey: backend.publicKey,
    deviceKey: device.exportPrivateKey(), devicePub: device.publicKey, uidOrder: 'msb', ...extra,
  };
}

/** A 4 MB whole-flash image: every region at its offset in roam-4MB.csv, NVS included. */
function wholeFlash(settingValues: Record<string, SettingValue>): { file: string; dir: string; offsets: Map<string, number> } {
  const table = readPartitionTable(tableFile('4MB'));
  const regions = new Map<string, SimFlash>();
  const offsets = new Map(table.partitions.map((p) => [p.name, p.offset]));
  writeDevice((name) => {
    let r = regions.get(name);
    if (!r) regions.set(name, (r = new SimFlash(name, table.partitions.find((p) => p.name === name)!.size)));
    return r;
  });
  const flash = new Uint8Array(table.flashSize).fill(0xff);
  for (const [name, r] of regions) flash.set(r.raw, offsets.get(name)!);
  const stored: Record<string, NvsValue> = {};
  for (const [k, v] of Object.entries(settingValues)) { const e = encodeValue(k, v); stored[k] = e instanceof ArrayBuffer ? new Uint8Array(e) : e; }
  const nvs = table.partitions.find((p) => p.name === 'nvs')!;
  flash.set(nvsImage(nvs.size, 'roam', stored), nvs.offset);
  const dir = mkdtempSync(join(tmpdir(), 'roam-dump-'));
  const file = join(dir, 'flash.bin');
  writeFileSync(file, flash);
  return { file, dir, offsets };
}

/** A directory of partition files as SimFlash writes them (file option), settings in the simulator's settings.json. */
function partitionDir(settingValues: Record<string, SettingValue>, then?: (flash: (name: string) => FlashRegion) => void): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'roam-dir-')), 'device');
  mkdirSync(dir);
  const sizes: Record<string, number> = { 'tokens-a': 65536, 'tokens-b': 65536, 'tokens-sel': 8192, 'tokens-ovl': 16384, journal: 32768 };
  const regions = new Map<string, SimFlash>();
  const flash = (name: string) => {
    let r = regions.get(name);
    if (!r) regions.set(name, (r = new SimFlash(name, sizes[name], { file: join(dir, `${name}.bin`) })));
    return r;
  };
  writeDevice(flash);
  then?.(flash);
  for (const r of regions.values()) r.close();
  const s = new FileSettings(join(dir, 'settings.json'));
  for (const [k, v] of Object.entries(settingValues)) s.set(k, v);
  return dir;
}

/** A copy of the dump whose tokens-a image body has one bit flipped (its SHA-256 then fails). */
function withBodyBitFlipped(dump: { file: string; dir: string; offsets: Map<string, number> }, name: string): string {
  const bytes = new Uint8Array(readFileSync(dump.file));
  const slot = dump.offsets.get('tokens-a')!;
  const header = readHeader(bytes.subarray(slot, slot + 4096));
  bytes[slot + header.headerLength + 5] ^= 0x01;
  const file = join(dump.dir, name);
  writeFileSync(file, bytes);
  return file;
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('roam inspect', () => {
  const whole = wholeFlash(settings());
  const dir = partitionDir(settings());

  for (const [label, source] of [['whole-flash image', whole.file], ['partition directory', dir]] as const) {
    it(`${label}: settings, token table and journal, checked; the private key never shown; the dump untouched`, async () => {
      const files = label === 'partition directory' ? ['tokens-a.bin', 'journal.bin'].map((f) => join(dir, f)) : [source];
      const before = files.map(sha);
      const r = await roam('inspect', source);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/deviceId\s+"dev-9"/);
      expect(r.out).toMatch(/deviceKey\s+\(private key, 32 bytes, not shown\)/);
      expect(r.out).not.toContain(deviceKeyHex);
      expect(r.out).toContain(hex(backend.publicKey));
      expect(r.out).toMatch(/selector: slot 0 \(tokens-a\), list version 7, image \d+ bytes/);
      expect(r.out).toMatch(/image: version 7, created 2026-01-02T00:00:00.000Z, 7 tokens, 0 groups/);
      expect(r.out).toContain('partners: US-BLK (ALLOWED from the table), US-SEM (ALLOWED in real time)');
      expect(r.out).toContain('sections: 4-byte 5, 7-byte 2, 10-byte 0, text 0');
      expect(r.out).toContain('SHA-256 of the body: ok');
      expect(r.out).toContain('signature: ok with the backend key of the settings');
      expect(r.out).toContain('differentials in force: 7 → 8 (3 changes)');
      expect(r.out).toMatch(/in force: version 8, 7 tokens in the image, 3 uids changed/);
      expect(r.out).toContain('records: last seq 5, acknowledged up to 2, unacknowledged 3, unsigned 0');
      for (const i of [3, 4, 5]) expect(r.out).toContain(`#${i} US*SEM*E1*1 uid 0400000000000${i} WHITELIST offline`);
      expect(r.out).not.toMatch(/#2 US/);
      expect(r.out).toContain('#3 US*SEM*E1*1 uid 04000000000003 WHITELIST offline 2026-01-01T03:00:00Z/S → 2026-01-01T03:30:00Z/S 7003 Wh (Local)');
      expect(r.out).toContain("chain: ok (#3..#5, each linked to the previous record's SHA-256)");
      expect(r.out).toContain('signatures: ok (3 records');
      expect(files.map(sha)).toEqual(before);
    });
  }

  it('a changed image body fails its SHA-256; a wrong backend key fails the signature', async () => {
    const bad = withBodyBitFlipped(whole, 'body.bin');
    const r = await roam('inspect', bad);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/SHA-256 of the body: MISMATCH/);
    expect(r.out).toContain('the image in force does NOT verify');
    expect(r.out.split('\n').pop()).toBe('checks: FAILED: token image');
    const other = wholeFlash(settings({ backendKey: new NodeSigner(new Uint8Array(32).fill(0x33)).publicKey }));
    const r2 = await roam('inspect', other.file);
    expect(r2.code).toBe(1);
    expect(r2.out).toContain('SHA-256 of the body: ok');
    expect(r2.out).toContain('signature: FAILS with the backend key of the settings');
    expect(r2.out.split('\n').pop()).toBe('checks: FAILED: token image');
    // The healthy dump passes every check.
    const good = await roam('inspect', whole.file);
    expect(good.code).toBe(0);
    expect(good.out.split('\n').pop()).toBe('checks: all passed');
  });

  it('after a backend key rotation: the image is checked with the key in force, whose sequence and fingerprint are shown (public key only)', async () => {
    const next = new NodeSigner(new Uint8Array(32).fill(0x55));
    const rotated = partitionDir(settings(), (flash) => {
      const p = ROAM_PARTITIONS;
      const store = new TokenStore({ platform: { flash, crypto: nodeCrypto }, backendKey: backend.publicKey, slots: p.tokenSlots, selector: p.tokenSelector, overlay: p.tokenOverlay });
      store.rotateKey(signKeyRotation(encodeKeyRotation({ seq: 1, key: next.publicKey, revoke: true }), backend));
      const image = signTable(compileTable({ listVersion: 9, createdAt: Date.UTC(2026, 0, 3), partners: [{ countryCode: 'US', partyId: 'BLK', allowedUsesTable: true, tokens: BLK }] }, nodeCrypto).image, next);
      store.beginFull(image.length);
      store.writeChunk(0, image);
      store.commit();
    });
    const id = (k: Uint8Array) => createHash('sha256').update(k).digest('hex').slice(0, 16);
    const r = await roam('inspect', rotated);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`backend key: sequence 1 (rotated), fingerprint ${id(next.publicKey)}, 1 revoked; the provisioned key of the settings (${id(backend.publicKey)}) is no longer used`);
    expect(r.out).toContain(hex(next.publicKey));
    expect(r.out).toContain('signature: ok with the backend key in force (sequence 1)');
    expect(r.out).toContain('the image in force verifies');
    expect(r.out).toMatch(/in force: version 9, 4 tokens/);
    expect(r.out).not.toContain(hex(next.exportPrivateKey()));
    // Before any rotation: sequence 0, the settings' key.
    expect((await roam('inspect', dir)).out).toContain(`backend key: sequence 0 (provisioned), fingerprint ${id(backend.publicKey)}`);
    const l = await roam('lookup', '11223344', '--dump', rotated);
    expect(l.out).toContain(`backend key in force: sequence 1 (rotated), fingerprint ${id(next.publicKey)}`);
    expect(l.out).toMatch(/ACCEPT/);
  });

  it('records signed by another key fail; a damaged record is counted and breaks the chain', async () => {
    const other = partitionDir(settings({ devicePub: new NodeSigner(new Uint8Array(32).fill(0x44)).publicKey }));
    const wrongKey = await roam('inspect', other);
    expect(wrongKey.code).toBe(1);
    // Named by sequence number: the unacknowledged records are #3, #4 and #5.
    expect(wrongKey.out).toMatch(/signatures: FAIL \(3 of 3: #3: .*signature does not verify.*; #4: .*; #5: /);
    expect(wrongKey.out).not.toMatch(/record 0/);
    expect(wrongKey.out.split('\n').pop()).toBe('checks: FAILED: journal signatures');
    const damaged = partitionDir(settings());
    const j = new Uint8Array(readFileSync(join(damaged, 'journal.bin')));
    const at = Buffer.from(j).indexOf(Buffer.from('04000000000004', 'hex')); // the record's uid, as the record stores it
    expect(at).toBeGreaterThan(0);
    j[at] ^= 0x02;
    writeFileSync(join(damaged, 'journal.bin'), j);
    const r = await roam('inspect', damaged);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/damage: [1-9]\d* torn or corrupt entries skipped/);
    expect(r.out).toContain('lost to damage: 1 unacknowledged record(s) neither readable nor uploaded (#4): LOST');
    expect(r.out).toContain('chain: BROKEN (gap: #3 then #5)');
    expect(r.out).not.toContain('uid 04000000000004');
    expect(r.out.split('\n').pop()).toBe('checks: FAILED: journal records lost, journal chain');
  });

  it('a zeroed 64-byte window anywhere in the journal never moves "acknowledged up to" forward, and inspect reads it as the device recovers it', async () => {
    // Issue 14: zeroing 64 bytes of a dump moved "acknowledged up to 1" to 2
    // and record #2 vanished. Here: 5 records, 2 acknowledged, every window of the written part.
    const dir = partitionDir(settings());
    const file = join(dir, 'journal.bin');
    const clean = new Uint8Array(readFileSync(file));
    let used = clean.length;
    while (clean[used - 1] === 0xff) used--;
    let lostSome = 0;
    for (let at = 0; at < used; at += 64) {
      const bytes = clean.slice();
      bytes.fill(0, at, at + 64);
      writeFileSync(file, bytes);
      const r = await roam('inspect', dir);
      expect(r.code, r.err).toBeLessThan(2);
      const acked = Number(/acknowledged up to (\d+)/.exec(r.out)![1]);
      expect(acked, `window at ${at}`).toBeLessThanOrEqual(2);
      // The same bytes through the device's recovery: the same figures and the same records.
      const flash = new SimFlash('journal', bytes.length);
      flash.raw.set(bytes);
      const j = new Journal(flash, { crypto: nodeCrypto, deviceId: 'dev-9' });
      const rec = j.recover();
      expect(r.out).toContain(`records: last seq ${rec.lastSeq}, acknowledged up to ${rec.ackedSeq}, unacknowledged ${j.depth}`);
      const listed = [...r.out.matchAll(/^ {4}#(\d+) /gm)].map((m) => Number(m[1]));
      expect(listed).toEqual(j.payloadsFrom(rec.ackedSeq + 1).map((p) => p[2]));
      // Every unacknowledged record (#3..#5) is listed intact or counted lost.
      for (const seq of [3, 4, 5]) {
        if (listed.includes(seq)) expect(r.out).toContain(`#${seq} US*SEM*E1*1 uid 0400000000000${seq} WHITELIST offline`);
        else expect(rec.lostRecords + (seq <= rec.ackedSeq ? 1 : 0), `#${seq}, window at ${at}`).toBeGreaterThan(0);
      }
      if (rec.lostRecords > 0) {
        lostSome++;
        expect(r.code).toBe(1);
        expect(r.out).toMatch(/lost to damage: [1-9]\d* unacknowledged record\(s\) neither readable nor uploaded \((#\d|up to \d+ after #\d+, in damaged bytes)/);
      }
    }
    expect(lostSome).toBeGreaterThan(3);
    writeFileSync(file, clean);
  });

  it('4 MB of random bytes: "not a roam image", exit 2; 4 MB of erased flash: an empty device, exit 0', async () => {
    const d = mkdtempSync(join(tmpdir(), 'roam-random-'));
    let x = 0x2545f491;
    const random = new Uint8Array(4 * 1024 * 1024).map(() => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x & 0xff));
    writeFileSync(join(d, 'random.bin'), random);
    const r = await roam('inspect', join(d, 'random.bin'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/random\.bin: not a roam image/);
    expect(r.out).toBe('');
    writeFileSync(join(d, 'erased.bin'), new Uint8Array(4 * 1024 * 1024).fill(0xff));
    const e = await roam('inspect', join(d, 'erased.bin'));
    expect(e.code, e.out).toBe(0);
    expect(e.out).toContain('none: the device is not provisioned');
    // A real dump whose journal partition is overwritten with random bytes: that region is DAMAGED, exit 1.
    const bytes = new Uint8Array(readFileSync(whole.file));
    const at = whole.offsets.get('journal')!;
    bytes.set(random.subarray(0, 64 * 1024), at);
    writeFileSync(join(d, 'journal-random.bin'), bytes);
    const j = await roam('inspect', join(d, 'journal-random.bin'));
    expect(j.code).toBe(1);
    expect(j.out).toContain('journal: neither erased flash nor anything roam writes: DAMAGED');
  });

  it('bad dumps get clear errors', async () => {
    const d = mkdtempSync(join(tmpdir(), 'roam-bad-'));
    writeFileSync(join(d, 'short.bin'), new Uint8Array(5000));
    expect(await roam('inspect', join(d, 'nope.bin'))).toMatchObject({ code: 2, err: expect.stringMatching(/no such file or directory/) });
    expect(await roam('inspect', join(d, 'short.bin'))).toMatchObject({ code: 2, err: expect.stringMatching(/not a whole 4MB, 8MB or 16MB flash image/) });
    expect(await roam('inspect', whole.file, '--flash', '16MB')).toMatchObject({ code: 2, err: expect.stringMatching(/a 16MB dump is 16777216/) });
    const empty = mkdtempSync(join(tmpdir(), 'roam-empty-'));
    expect(await roam('inspect', empty)).toMatchObject({ code: 2, err: expect.stringMatching(/holds none of tokens-a\.bin/) });
    writeFileSync(join(empty, 'journal.bin'), new Uint8Array(100));
    expect(await roam('inspect', empty)).toMatchObject({ code: 2, err: expect.stringMatching(/whole 4096-byte blocks/) });
    expect((await roam('inspect')).code).toBe(2);
  });
});

describe('roam lookup', () => {
  const whole = wholeFlash(settings());
  const lenient = partitionDir(settings({ OfflineUnknown: true }));
  const decide = async (dump: string, uid: string, ...extra: string[]) => {
    const r = await roam('lookup', uid, '--dump', dump, ...extra);
    expect(r.code, r.err).toBe(0);
    return r.out;
  };

  // Expected from the rules (BRIEF §2, docs/auth.md), offline, default settings.
  const cases: Array<[string, RegExp, string]> = [
    ['04A2B3C4D5E680', /ACCEPT \(start\)[\s\S]*status: Accepted[\s\S]*whitelist ALWAYS[\s\S]*post-authorize when back online: no/, 'ALWAYS'],
    ['11223344', /ACCEPT \(start\)[\s\S]*ALLOWED \(partner uses the table\)/, 'ALLOWED, partner uses the table'],
    ['0A0B0C0D0E0F10', /ACCEPT \(start\)[\s\S]*backend unreachable[\s\S]*post-authorize when back online: yes/, 'ALLOWED, partner in real time'],
    ['22334455', /REFUSE[\s\S]*status: Unknown[\s\S]*NEVER/, 'NEVER'],
    ['33445566', /REFUSE[\s\S]*status: Invalid[\s\S]*valid=false/, 'valid=false'],
    ['44556677', /not on the list \(version 8\)[\s\S]*REFUSE[\s\S]*status: Unknown/, 'removed by the differential'],
    ['55667788', /valid=false, RFID \(set by version 8\)[\s\S]*REFUSE[\s\S]*status: Invalid/, 'made invalid by the differential'],
    ['66778899', /group G-1 \(set by version 8\)[\s\S]*ACCEPT/, 'added by the differential'],
    ['DEADBEEF', /not on the list[\s\S]*REFUSE[\s\S]*Unknown[\s\S]*AllowOfflineTxForUnknownId is off/, 'unknown'],
  ];
  for (const [uid, want, what] of cases) it(`${what}: ${uid}`, async () => expect(await decide(whole.file, uid)).toMatch(want));

  it('normalizes as the reader config says: reversed bytes, decimal numbers, raw bytes', async () => {
    expect(await decide(whole.file, '80E6D5C4B3A204', '--reader-config', '{"input":"hex","reversed":true}')).toMatch(/→ 04A2B3C4D5E680[\s\S]*ACCEPT/);
    expect(await decide(whole.file, String(0x11223344), '--reader-config', '{"input":"decimal"}')).toMatch(/→ 11223344[\s\S]*ACCEPT/);
    const cfg = join(whole.dir, 'reader.json');
    writeFileSync(cfg, '{"input":"bytes"}');
    expect(await decide(whole.file, '04:a2:b3:c4:d5:e6:80', '--reader-config', `@${cfg}`)).toMatch(/→ 04A2B3C4D5E680[\s\S]*ACCEPT/);
  });

  it('follows the settings of the dump (AllowOfflineTxForUnknownId on)', async () => {
    expect(await decide(lenient, 'DEADBEEF')).toMatch(/ACCEPT \(start\)[\s\S]*AllowOfflineTxForUnknownId[\s\S]*post-authorize when back online: yes/);
    expect(await decide(lenient, '33445566')).toMatch(/REFUSE[\s\S]*Invalid/);
  });

  it('refuses to answer from a token image that fails verification (exit 1); --unverified shows the answer, marked', async () => {
    const bad = withBodyBitFlipped(whole, 'lookup-body.bin');
    const r = await roam('lookup', '04A2B3C4D5E680', '--dump', bad);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^roam lookup: the token image in the dump fails verification \(SHA-256 of the body: MISMATCH .*\): refusing to answer from it \(--unverified shows the raw answer, marked UNVERIFIED\)$/);
    const u = await roam('lookup', '04A2B3C4D5E680', '--dump', bad, '--unverified');
    expect(u.code).toBe(1);
    expect(u.out.split('\n')[0]).toMatch(/^UNVERIFIED: the token image fails verification/);
    expect(u.out).toContain('UNVERIFIED offline decision on connector 1: ACCEPT (start)');
    // Signed by another key than the one in force: refused the same way.
    const other = wholeFlash(settings({ backendKey: new NodeSigner(new Uint8Array(32).fill(0x33)).publicKey }));
    const k = await roam('lookup', '04A2B3C4D5E680', '--dump', other.file);
    expect(k.code).toBe(1);
    expect(k.err).toMatch(/fails verification \(signature: FAILS with the backend key of the settings\)/);
    // The verified dump answers, exit 0.
    expect((await roam('lookup', '04A2B3C4D5E680', '--dump', whole.file)).code).toBe(0);
  });

  it('bad input: clear errors, exit 2', async () => {
    const bad = async (...a: string[]) => { const r = await roam('lookup', ...a); expect(r.code).toBe(2); return r.err; };
    expect(await bad('08112233', '--dump', whole.file)).toMatch(/random UID.*refuse the tap/);
    expect(await bad('0411223', '--dump', whole.file)).toMatch(/odd number of hex digits/);
    expect(await bad('0411', '--dump', whole.file)).toMatch(/4, 7 or 10/);
    expect(await bad('04112233', '--dump', whole.file, '--reader-config', '{nope')).toMatch(/not JSON/);
    expect(await bad('04112233', '--dump', whole.file, '--reader-config', '{"input":"hex","flip":1}')).toMatch(/unknown field flip/);
    expect(await bad('04112233')).toMatch(/--dump/);
    expect(await bad('--dump', whole.file)).toMatch(/give the card UID/);
  });
});
