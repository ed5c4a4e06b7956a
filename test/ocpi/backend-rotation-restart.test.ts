// The backend keeps its key rotations across a restart (the same SQLite file
// opened again in process, or after a SIGKILL of the process that rotated):
// it signs with the key in force, serves each rotation again, keeps what was
// revoked, and refuses a database whose rotations do not chain.
// `npm run backend` has no way to rotate (no option, no command), so the
// killed process is a small Node one running the same SiteList and BackendDb.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BackendDb, rotationKeyName } from '../../host-sim/backend/db.js';
import { BackendPeer, ocpiDiffBuilder, SiteList } from '../../host-sim/backend/index.js';
import { MemoryBus } from '../../host-sim/broker/memory-bus.js';
import { hostPlatform, NodeSigner, nodeCrypto } from '../../host-sim/hal/index.js';
import { fromHex, toHex } from '../../src/codec/index.js';
import { decodeMessage, encodeMessage, MESSAGES, parseTopic, topicOf, type MessageKind, type MessageOf } from '../../src/sync/index.js';
import { TokenStore } from '../../src/tokens/index.js';
import { ocpiToken } from '../tokens/expected.js';
import { applyFull, rejects } from '../tokens/store-helpers.js';

const K1 = new NodeSigner(new Uint8Array(32).fill(0x71)); // provisioned
const K2 = new NodeSigner(new Uint8Array(32).fill(0x72));
const K3 = new NodeSigner(new Uint8Array(32).fill(0x73));
const SITE = 'garage';
const BLK = { countryCode: 'US', partyId: 'BLK' };
const UIDS = ['01020304', 'A1B2C3D4E5F601', 'B1B2B3B4'];
const PARTITIONS = { 'tokens-a': 16 * 1024, 'tokens-b': 16 * 1024, 'tokens-sel': 8 * 1024, 'tokens-ovl': 8 * 1024 };
const DEVICE = 'rot-cp1';

const dir = mkdtempSync(join(tmpdir(), 'roam-rotation-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** A backend on `path` started with `start` as the site's key (the provisioned one unless told). */
function backend(path: string, start: NodeSigner = K1) {
  const db = new BackendDb(path);
  const site = new SiteList(start, nodeCrypto, () => 1_000, ocpiDiffBuilder());
  try {
    site.persistTo(db, SITE);
  } catch (e) {
    db.close();
    throw e;
  }
  return { db, site };
}

const device = () => new TokenStore({ platform: hostPlatform(PARTITIONS), backendKey: K1.publicKey });
const partners = (valid: boolean) => [{ ...BLK, allowedUsesTable: true, tokens: UIDS.map((u) => ocpiToken(BLK, u, { valid: u !== UIDS[0] || valid }) as never) }];

/** A BackendPeer on the site over a memory bus, and one device's side: what it says, what the peer answers. */
function peerOn(site: SiteList) {
  const bus = new MemoryBus();
  new BackendPeer({ transport: bus.connect(), crypto: nodeCrypto, site });
  const dev = bus.connect();
  dev.subscribe(`roam/v1/${DEVICE}/#`);
  let got: Array<{ kind: MessageKind; msg: any }> = [];
  dev.onMessage = (topic, payload) => {
    const t = parseTopic(topic)!;
    if (MESSAGES[t.kind].direction === 'down') got.push({ kind: t.kind, msg: decodeMessage(t.kind, payload) });
  };
  return <K extends 'listStatus' | 'listGet'>(kind: K, msg: MessageOf<K>) => {
    got = [];
    dev.publish(topicOf(DEVICE, kind), encodeMessage(kind, msg));
    bus.drain();
    return got;
  };
}

/** The tables a rotation writes, as hex, to show a refusal changed nothing. */
function dump(path: string): string {
  const db = new BackendDb(path);
  try {
    return ['rotations', 'keys', 'images', 'diffs'].map((t) => JSON.stringify((db.db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).raw().all() as unknown[][]).map((r) => r.map((v) => (Buffer.isBuffer(v) ? v.toString('hex') : v))))).join('\n');
  } finally {
    db.close();
  }
}

/** A database with list 1 and `n` rotations (the first revoking K1); the rotations and the re-signed image 1 as they were. */
function rotated(n: 1 | 2) {
  const path = join(dir, `b${++files}.sqlite`);
  const { db, site } = backend(path);
  site.publish(partners(true));
  const follower = device();
  const misser = device();
  const fresh = device();
  for (const s of [follower, misser]) expect(applyFull(s, site.current!.bytes, 700)).toBe(1);
  const keys = [K2, K3].slice(0, n);
  const rotations = keys.map((k, i) => site.rotateKey(k, { revoke: i === 0 }));
  for (const r of rotations) follower.rotateKey(r);
  const image1 = site.image(1)!.bytes;
  db.close();
  return { path, follower, misser, fresh, rotations, last: keys[n - 1], image1 };
}

describe('backend restart after key rotations (in process, the same database file)', () => {
  for (const n of [1, 2] as const) {
    it(`after ${n} rotation(s): signs with the key in force; a device that followed takes the next list, one that missed them gets the rotations first, then the list`, () => {
      const before = rotated(n);
      const { db, site } = backend(before.path);
      try {
        // The key in force, each rotation, the revoked key and the kept image, as before the restart.
        expect(site.keySeq).toBe(n);
        expect(site.publicKey).toEqual(before.last.publicKey);
        for (let seq = 1; seq <= n; seq++) expect(site.rotation(seq)).toEqual(before.rotations[seq - 1]);
        expect(site.rotation(n + 1)).toBeUndefined();
        expect(site.revokedKeys).toEqual([K1.publicKey]);
        expect(() => site.rotateKey(K1)).toThrow(/revoked/);
        expect(site.image(1)!.bytes).toEqual(before.image1); // a transfer under way resumes on the same signed bytes

        site.publish(partners(false)); // v2: UIDS[0] blocked
        // The device that followed the rotations: no rotation is sent to it, the differential applies.
        const say = peerOn(site);
        const toFollower = say('listStatus', { ver: 1, kseq: n });
        expect(toFollower.map((m) => m.kind)).toEqual(['listDiff']);
        expect(before.follower.applyDifferential(toFollower[0].msg.data)).toBe(2);
        expect(before.follower.lookup(UIDS[0])).toMatchObject({ valid: false });
        // The full image verifies with the key in force too.
        const another = device();
        for (const r of before.rotations) another.rotateKey(r);
        expect(applyFull(another, site.current!.bytes, 700)).toBe(2);

        // The device that missed them (on list 1): the rotations first, in order; the list refused until then.
        rejects('BAD_SIGNATURE', () => before.misser.applyDifferential(site.diffFrom(1)!));
        const toMisser = say('listStatus', { ver: 1, kseq: 0 });
        expect(toMisser.map((m) => `${m.kind}:${m.msg.seq}`)).toEqual(before.rotations.map((_, i) => `listKey:${i + 1}`));
        for (const m of toMisser) before.misser.rotateKey(m.msg.data);
        expect(before.misser.backendKey).toEqual(before.last.publicKey);
        const diff = say('listStatus', { ver: 1, kseq: n });
        expect(diff.map((m) => m.kind)).toEqual(['listDiff']);
        expect(before.misser.applyDifferential(diff[0].msg.data)).toBe(2);

        // A device with no list and the provisioned key: the rotations, then the offer, then the image in chunks.
        const toFresh = say('listStatus', { ver: 0, kseq: 0 });
        expect(toFresh.map((m) => m.kind)).toEqual(Array(n).fill('listKey'));
        for (const m of toFresh) before.fresh.rotateKey(m.msg.data);
        const offer = say('listStatus', { ver: 0, kseq: n });
        expect(offer).toEqual([{ kind: 'listOffer', msg: { ver: 2, size: site.current!.bytes.length } }]);
        const chunks = say('listGet', { ver: 2, off: 0, n: 64 });
        before.fresh.beginFull(offer[0].msg.size);
        for (const c of chunks) before.fresh.writeChunk(c.msg.off, c.msg.data);
        expect(before.fresh.commit()).toBe(2);
        expect(before.fresh.status).toMatchObject({ version: 2, keySeq: n, revokedKeys: 1 });
      } finally {
        db.close();
      }
    });
  }

  it('a second restart, a rotation after the first restart, and a backend started on a key the chain reaches all end on the same key', () => {
    const before = rotated(1);
    let b = backend(before.path);
    b.site.rotateKey(K3);
    b.db.close();
    b = backend(before.path);
    expect([b.site.keySeq, b.site.publicKey]).toEqual([2, K3.publicKey]);
    b.db.close();
    b = backend(before.path, K2); // a key the chain reaches, not the provisioned one
    expect([b.site.keySeq, b.site.publicKey, b.site.rotation(1)]).toEqual([2, K3.publicKey, before.rotations[0]]);
    b.db.close();
  });

  it('a process SIGKILLed right after its second rotation: the restarted backend has both, and a device that missed them follows them to the next list', async () => {
    const path = join(dir, `b${++files}.sqlite`);
    // The child: list 1, two rotations (each printed once rotateKey returns), then it waits to be killed.
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', `
      const { BackendDb } = await import(${JSON.stringify(join(process.cwd(), 'host-sim/backend/db.ts'))});
      const { SiteList, ocpiDiffBuilder } = await import(${JSON.stringify(join(process.cwd(), 'host-sim/backend/site-list.ts'))});
      const { NodeSigner, nodeCrypto } = await import(${JSON.stringify(join(process.cwd(), 'host-sim/hal/index.ts'))});
      const o = JSON.parse(process.env.ROT);
      const key = (hex) => new NodeSigner(Uint8Array.from(Buffer.from(hex, 'hex')));
      const site = new SiteList(key(o.k1), nodeCrypto, () => 1000, ocpiDiffBuilder());
      site.persistTo(new BackendDb(o.path), o.site);
      site.publish(o.partners);
      for (const k of o.next) console.log('rotated ' + Buffer.from(site.rotateKey(key(k), { revoke: true })).toString('hex'));
      setInterval(() => {}, 60000);
    `], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ROT: JSON.stringify({ path, site: SITE, k1: toHex(K1.exportPrivateKey()), next: [K2, K3].map((k) => toHex(k.exportPrivateKey())), partners: partners(true) }) } });
    let err = '';
    child.stderr!.on('data', (d) => (err += String(d)));
    const printed: Uint8Array[] = [];
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d) => {
        for (const m of String(d).matchAll(/rotated ([0-9a-f]+)/g)) printed.push(fromHex(m[1]));
        if (printed.length === 2) child.kill('SIGKILL');
      });
      child.once('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code}: ${err}`))));
    });
    const { db, site } = backend(path);
    try {
      expect([site.keySeq, site.publicKey, site.rotation(1), site.rotation(2)]).toEqual([2, K3.publicKey, printed[0], printed[1]]);
      expect(site.revokedKeys).toEqual([K1.publicKey, K2.publicKey]);
      site.publish(partners(false));
      const misser = device();
      const say = peerOn(site);
      const keys = say('listStatus', { ver: 0, kseq: 0 });
      expect(keys.map((m) => m.msg.data)).toEqual(printed);
      for (const m of keys) misser.rotateKey(m.msg.data);
      expect(say('listStatus', { ver: 0, kseq: 2 })).toEqual([{ kind: 'listOffer', msg: { ver: 2, size: site.current!.bytes.length } }]);
      expect(applyFull(misser, site.current!.bytes, 700)).toBe(2);
      expect(misser.lookup(UIDS[0])).toMatchObject({ valid: false });
    } finally {
      db.close();
    }
  });

  it('the database file (which holds the private keys) is the owner\'s alone', () => {
    const { path } = rotated(1);
    const { db } = backend(path);
    for (const f of [path, `${path}-wal`, `${path}-shm`]) expect(statSync(f).mode & 0o777).toBe(0o600);
    db.close();
  });
});

describe('a database whose rotations are wrong is refused at start, and nothing changes', () => {
  const damaged: Array<[string, (db: BackendDb) => void, RegExp]> = [
    ['a rotation byte flipped', (db) => {
      const row = db.db.prepare('SELECT bytes FROM rotations WHERE seq = 2').get() as { bytes: Buffer };
      row.bytes[20] ^= 1;
      db.db.prepare('UPDATE rotations SET bytes = ? WHERE seq = 2').run(row.bytes);
    }, /do not chain: rotation 2 does not open with key 1/],
    ['a rotation signed by the wrong key', (db) => {
      const row = db.db.prepare('SELECT bytes FROM rotations WHERE seq = 2').get() as { bytes: Buffer };
      const body = row.bytes.subarray(0, row.bytes.length - 64);
      db.db.prepare('UPDATE rotations SET bytes = ? WHERE seq = 2').run(Buffer.concat([body, K1.sign(body)]));
    }, /rotation 2 does not open with key 1/],
    ['the first rotation gone', (db) => void db.db.prepare('DELETE FROM rotations WHERE seq = 1').run(), /go from key 0 to 2/],
    ['the new key\'s private part gone', (db) => void db.db.prepare('DELETE FROM keys WHERE name = ?').run(rotationKeyName(SITE, 2)), /lack a valid private key for rotation 2/],
    ['another private key kept', (db) => void db.db.prepare('UPDATE keys SET secret = ? WHERE name = ?').run(Buffer.alloc(32, 0x75), rotationKeyName(SITE, 1)), /not the key it names/],
  ];
  for (const [what, damage, message] of damaged) {
    it(what, () => {
      const before = rotated(2);
      const db = new BackendDb(before.path);
      damage(db);
      db.close();
      const was = dump(before.path);
      expect(() => backend(before.path)).toThrow(message);
      expect(dump(before.path)).toBe(was);
    });
  }

  it('a start key that is neither the provisioned key nor one the chain reaches', () => {
    const before = rotated(2);
    const was = dump(before.path);
    expect(() => backend(before.path, new NodeSigner(new Uint8Array(32).fill(0x79)))).toThrow(/start from another key than the one given/);
    expect(dump(before.path)).toBe(was);
    expect(backend(before.path).site.keySeq).toBe(2); // the provisioned key still starts it
  });
});

describe('a rotation is all or nothing in the database', () => {
  it('a rotation whose write fails leaves the database and the key in force as they were', () => {
    const path = join(dir, `b${++files}.sqlite`);
    const { db, site } = backend(path);
    site.publish(partners(true));
    site.publish(partners(false));
    // The private key's row cannot be written: the rotation row and the re-signed images were written first.
    db.db.prepare('INSERT INTO keys (name, secret) VALUES (?, ?)').run(rotationKeyName(SITE, 1), Buffer.alloc(32, 1));
    db.close();
    const was = dump(path);
    const b = backend(path);
    const image2 = b.site.current!.bytes;
    expect(() => b.site.rotateKey(K2)).toThrow(/UNIQUE/);
    expect([b.site.keySeq, b.site.publicKey, b.site.rotation(1), b.site.current!.bytes]).toEqual([0, K1.publicKey, undefined, image2]);
    b.db.close();
    expect(dump(path)).toBe(was);
    expect(backend(path).site.keySeq).toBe(0);
  });

  it('a kept site refuses a key whose private part it cannot keep, and changes nothing', () => {
    const path = join(dir, `b${++files}.sqlite`);
    const { db, site } = backend(path);
    site.publish(partners(true));
    const opaque = { publicKey: K2.publicKey, sign: (m: Uint8Array) => K2.sign(m) };
    expect(() => site.rotateKey(opaque)).toThrow(/private part/);
    expect(site.keySeq).toBe(0);
    db.close();
  });
});
