// The backend peer's state in SQLite (better-sqlite3, an embedded database in
// one file): partner tokens, the site's signing key, list images and
// differentials, devices with their keys and list state, and records. Every
// write is committed before the peer answers for it (an HTTP 200/201, a
// rec/ack), so a backend killed at any moment restarts with all it confirmed.
import Database from 'better-sqlite3';
import { chmodSync, existsSync } from 'node:fs';
import type { OcpiToken } from './ocpi-tokens.js';
import type { TokenRepo } from './ocpi/partner-tokens.js';
import type { RecordSink } from './record-store.js';
import type { SiteImage } from './site-list.js';

export interface DeviceRow {
  id: string;
  publicKey: Uint8Array;
  listVersion: number;
  keySeq: number;
}

/** The peer's per-device state, kept between runs. */
export interface DeviceRepo extends RecordSink {
  saveDevice(id: string, publicKey: Uint8Array): void;
  saveListState(id: string, listVersion: number, keySeq: number): void;
  devices(): DeviceRow[];
  records(deviceId: string): { seq: number; bytes: Uint8Array; storedAt: number }[];
}

/** One key rotation of a site as kept: the signed bytes, the key that signed them, the new key's private part. */
export interface RotationRow {
  /** Key sequence the rotation moves to (1, 2, …). */
  seq: number;
  /** The signed rotation, as devices receive it. */
  bytes: Uint8Array;
  /** Public key of key seq - 1, which signed it (for seq 1: the provisioned key). */
  signedBy: Uint8Array;
  /** The new key's 32-byte private scalar; undefined when the row is missing (a damaged database). */
  secret?: Uint8Array;
}

/** A site's signed list versions and key rotations, kept between runs. */
export interface SiteRepo {
  saveImage(site: string, image: SiteImage, diffFromPrevious?: Uint8Array): void;
  images(site: string): SiteImage[];
  diffs(site: string): Map<number, Uint8Array>;
  dropImagesBelow(site: string, version: number): void;
  /**
   * One rotation in one transaction: the rotation, the new key's private part,
   * and every kept image and differential signed again with the new key
   * (version → bytes). All of it or none.
   */
  saveRotation(site: string, rotation: Required<RotationRow>, images: Map<number, Uint8Array>, diffs: Map<number, Uint8Array>): void;
  /** The site's rotations, by seq. */
  rotations(site: string): RotationRow[];
}

/** Name under which the private key of a site's rotation `seq` is kept in `keys`. */
export const rotationKeyName = (site: string, seq: number) => `site:${site}#${seq}`;

export interface BackendDbOptions {
  /**
   * 'full' (default): each commit is on disk before it returns (fsync), so even
   * the host losing power loses nothing confirmed; 'normal': a killed process
   * loses nothing, a host power cut may lose the last commits (SQLite WAL).
   */
  durability?: 'full' | 'normal';
}

/** Mode 0600; a file of another user (a shared database opened by a worker) is left as its owner set it. */
function ownerOnly(file: string): void {
  try {
    chmodSync(file, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
  }
}

const bytes = (b: Buffer | Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice();

export class BackendDb implements TokenRepo, DeviceRepo, SiteRepo {
  readonly db: Database.Database;
  private readonly q;

  constructor(readonly path: string, o: BackendDbOptions = {}) {
    this.db = new Database(path);
    // The file holds private keys (the site's signing key and its rotations): the owner's alone.
    // SQLite gives the -wal and -shm files the database file's mode.
    if (path !== ':memory:' && !path.startsWith('file:')) for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) ownerOnly(f);
    this.db.pragma('busy_timeout = 10000'); // several processes may share the file (backend workers)
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${o.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS tokens (cc TEXT NOT NULL, pid TEXT NOT NULL, uid TEXT NOT NULL, type TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (cc, pid, uid, type)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS keys (name TEXT PRIMARY KEY, secret BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS images (site TEXT NOT NULL, version INTEGER NOT NULL, bytes BLOB NOT NULL, created_at INTEGER NOT NULL, report TEXT NOT NULL, partners TEXT NOT NULL, PRIMARY KEY (site, version));
      CREATE TABLE IF NOT EXISTS rotations (site TEXT NOT NULL, seq INTEGER NOT NULL, bytes BLOB NOT NULL, signed_by BLOB NOT NULL, PRIMARY KEY (site, seq));
      CREATE TABLE IF NOT EXISTS diffs (site TEXT NOT NULL, from_version INTEGER NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (site, from_version));
      CREATE TABLE IF NOT EXISTS devices (id TEXT PRIMARY KEY, public_key BLOB NOT NULL, list_version INTEGER NOT NULL DEFAULT 0, key_seq INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE IF NOT EXISTS records (device TEXT NOT NULL, seq INTEGER NOT NULL, bytes BLOB NOT NULL, stored_at INTEGER NOT NULL, PRIMARY KEY (device, seq)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS cdr_pushes (partner TEXT NOT NULL, id TEXT NOT NULL, location TEXT NOT NULL, PRIMARY KEY (partner, id)) WITHOUT ROWID;
    `);
    this.q = {
      putToken: this.db.prepare('INSERT OR REPLACE INTO tokens (cc, pid, uid, type, json) VALUES (?, ?, ?, ?, ?)'),
      allTokens: this.db.prepare('SELECT json FROM tokens'),
      getKey: this.db.prepare('SELECT secret FROM keys WHERE name = ?'),
      putKey: this.db.prepare('INSERT INTO keys (name, secret) VALUES (?, ?)'),
      putImage: this.db.prepare('INSERT OR REPLACE INTO images (site, version, bytes, created_at, report, partners) VALUES (?, ?, ?, ?, ?, ?)'),
      putDiff: this.db.prepare('INSERT OR REPLACE INTO diffs (site, from_version, bytes) VALUES (?, ?, ?)'),
      images: this.db.prepare('SELECT version, bytes, created_at, report, partners FROM images WHERE site = ? ORDER BY version'),
      diffs: this.db.prepare('SELECT from_version, bytes FROM diffs WHERE site = ?'),
      dropImages: this.db.prepare('DELETE FROM images WHERE site = ? AND version < ?'),
      putRotation: this.db.prepare('INSERT INTO rotations (site, seq, bytes, signed_by) VALUES (?, ?, ?, ?)'),
      rotations: this.db.prepare('SELECT seq, bytes, signed_by FROM rotations WHERE site = ? ORDER BY seq'),
      resignImage: this.db.prepare('UPDATE images SET bytes = ? WHERE site = ? AND version = ?'),
      putDevice: this.db.prepare('INSERT INTO devices (id, public_key) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET public_key = excluded.public_key'),
      listState: this.db.prepare('UPDATE devices SET list_version = ?, key_seq = ? WHERE id = ?'),
      devices: this.db.prepare('SELECT id, public_key, list_version, key_seq FROM devices ORDER BY id'),
      deviceKey: this.db.prepare('SELECT public_key FROM devices WHERE id = ?'),
      putRecord: this.db.prepare('INSERT OR REPLACE INTO records (device, seq, bytes, stored_at) VALUES (?, ?, ?, ?)'),
      records: this.db.prepare('SELECT seq, bytes, stored_at FROM records WHERE device = ? ORDER BY seq'),
      cursor: this.db.prepare('SELECT value FROM cursors WHERE name = ?'),
      setCursor: this.db.prepare('INSERT OR REPLACE INTO cursors (name, value) VALUES (?, ?)'),
      pushed: this.db.prepare('SELECT id FROM cdr_pushes WHERE partner = ?'),
      setPushed: this.db.prepare('INSERT OR REPLACE INTO cdr_pushes (partner, id, location) VALUES (?, ?, ?)'),
    };
  }

  close(): void {
    this.db.close();
  }

  // Tokens (PartnerTokens' repo).
  putToken(t: OcpiToken): void {
    this.q.putToken.run(t.country_code.toUpperCase(), t.party_id.toUpperCase(), t.uid.toUpperCase(), t.type, JSON.stringify(t));
  }

  putTokens(ts: OcpiToken[]): void {
    this.db.transaction(() => { for (const t of ts) this.putToken(t); })();
  }

  allTokens(): OcpiToken[] {
    return (this.q.allTokens.all() as { json: string }[]).map((r) => JSON.parse(r.json) as OcpiToken);
  }

  /** A named secret (the site's signing key): the stored one, else `make()`'s, stored now. */
  secret(name: string, make: () => Uint8Array): Uint8Array {
    const row = this.q.getKey.get(name) as { secret: Buffer } | undefined;
    if (row) return bytes(row.secret);
    const s = make();
    this.q.putKey.run(name, Buffer.from(s));
    return s;
  }

  // Site list versions.
  saveImage(site: string, image: SiteImage, diffFromPrevious?: Uint8Array): void {
    this.db.transaction(() => {
      this.q.putImage.run(site, image.version, Buffer.from(image.bytes), image.createdAt, JSON.stringify(image.report), JSON.stringify(image.partners));
      if (diffFromPrevious) this.q.putDiff.run(site, image.version - 1, Buffer.from(diffFromPrevious));
    })();
  }

  images(site: string): SiteImage[] {
    return (this.q.images.all(site) as { version: number; bytes: Buffer; created_at: number; report: string; partners: string }[]).map((r) => {
      const report = JSON.parse(r.report) as SiteImage['report'];
      return { version: r.version, bytes: bytes(r.bytes), createdAt: r.created_at, report, tokens: report.accepted, partners: JSON.parse(r.partners) as SiteImage['partners'] };
    });
  }

  diffs(site: string): Map<number, Uint8Array> {
    return new Map((this.q.diffs.all(site) as { from_version: number; bytes: Buffer }[]).map((r) => [r.from_version, bytes(r.bytes)]));
  }

  dropImagesBelow(site: string, version: number): void {
    this.q.dropImages.run(site, version);
  }

  saveRotation(site: string, r: Required<RotationRow>, images: Map<number, Uint8Array>, diffs: Map<number, Uint8Array>): void {
    this.db.transaction(() => {
      this.q.putRotation.run(site, r.seq, Buffer.from(r.bytes), Buffer.from(r.signedBy));
      this.q.putKey.run(rotationKeyName(site, r.seq), Buffer.from(r.secret));
      for (const [v, b] of images) this.q.resignImage.run(Buffer.from(b), site, v);
      for (const [v, b] of diffs) this.q.putDiff.run(site, v, Buffer.from(b));
    })();
  }

  rotations(site: string): RotationRow[] {
    return (this.q.rotations.all(site) as { seq: number; bytes: Buffer; signed_by: Buffer }[]).map((r) => {
      const key = this.q.getKey.get(rotationKeyName(site, r.seq)) as { secret: Buffer } | undefined;
      return { seq: r.seq, bytes: bytes(r.bytes), signedBy: bytes(r.signed_by), secret: key && bytes(key.secret) };
    });
  }

  // Devices and records (BackendPeer's repo).
  saveDevice(id: string, publicKey: Uint8Array): void {
    this.q.putDevice.run(id, Buffer.from(publicKey));
  }

  deviceKey(id: string): Uint8Array | undefined {
    const row = this.q.deviceKey.get(id) as { public_key: Buffer } | undefined;
    return row && bytes(row.public_key);
  }

  saveListState(id: string, listVersion: number, keySeq: number): void {
    this.q.listState.run(listVersion, keySeq, id);
  }

  devices(): DeviceRow[] {
    return (this.q.devices.all() as { id: string; public_key: Buffer; list_version: number; key_seq: number }[])
      .map((r) => ({ id: r.id, publicKey: bytes(r.public_key), listVersion: r.list_version, keySeq: r.key_seq }));
  }

  /** One batch's new records in one transaction: all of them or none. */
  putRecords(deviceId: string, rows: { seq: number; bytes: Uint8Array; storedAt: number }[]): void {
    if (rows.length === 0) return;
    this.db.transaction(() => {
      for (const r of rows) this.q.putRecord.run(deviceId, r.seq, Buffer.from(r.bytes), r.storedAt);
    })();
  }

  records(deviceId: string): { seq: number; bytes: Uint8Array; storedAt: number }[] {
    return (this.q.records.all(deviceId) as { seq: number; bytes: Buffer; stored_at: number }[]).map((r) => ({ seq: r.seq, bytes: bytes(r.bytes), storedAt: r.stored_at }));
  }

  // Pull cursors (the date_to of each partner's last complete pull).
  cursor(name: string): string | undefined {
    return (this.q.cursor.get(name) as { value: string } | undefined)?.value;
  }

  setCursor(name: string, value: string): void {
    this.q.setCursor.run(name, value);
  }

  // CDRs pushed to each partner (id → the Location the partner answered).
  pushedCdrs(partner: string): Set<string> {
    return new Set((this.q.pushed.all(partner) as { id: string }[]).map((r) => r.id));
  }

  setPushed(partner: string, id: string, location: string): void {
    this.q.setPushed.run(partner, id, location);
  }
}
