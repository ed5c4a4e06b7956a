// The backend of a fleet as several worker processes behind one MQTT shared
// subscription: the coordinator compiles and signs the site's list into a
// shared SQLite database, registers device keys there, and starts the workers;
// each worker answers whatever device messages the broker hands it and keeps
// the records it stored in its own database. A record retransmitted to another
// worker is stored there too: the union by (device, seq) is the backend's.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { NodeSigner, nodeCrypto } from '../hal/index.js';
import { BackendDb } from './db.js';
import type { PartnerList } from './ocpi-tokens.js';
import { RecordStore } from './record-store.js';
import { SiteList, type SiteImage } from './site-list.js';

export interface WorkerStats {
  batches: number;
  recordsReceived: number;
  acksSent: number;
  chunksSent: number;
  cpuMs: number;
  rssBytes: number;
}

export interface BackendWorkersOptions {
  workers: number;
  broker: string;
  site?: string;
  partners: PartnerList[];
  chunkBytes?: number;
  /** Clock of the list's createdAt. */
  clock?: () => number;
}

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

export class BackendWorkers {
  readonly dir = mkdtempSync(join(tmpdir(), 'roam-workers-'));
  readonly shared: BackendDb;
  readonly signer: NodeSigner;
  readonly image: SiteImage;
  readonly site: string;
  private readonly children: ChildProcess[] = [];
  private readonly pendingKeys: [string, Uint8Array][] = [];
  stats: WorkerStats[] = [];

  private constructor(private readonly o: BackendWorkersOptions) {
    this.site = o.site ?? 'fleet';
    this.shared = new BackendDb(join(this.dir, 'shared.sqlite'), { durability: 'normal' });
    this.signer = new NodeSigner(this.shared.secret(`site:${this.site}`, () => new NodeSigner().exportPrivateKey()));
    const list = new SiteList(this.signer, nodeCrypto, o.clock ?? Date.now);
    list.persistTo(this.shared, this.site);
    this.image = list.publish(o.partners);
  }

  /** Compiles the site's list into the shared database, then starts the workers; resolves once each is subscribed. */
  static async start(o: BackendWorkersOptions): Promise<BackendWorkers> {
    const w = new BackendWorkers(o);
    await Promise.all(Array.from({ length: o.workers }, (_, i) => w.spawnWorker(i)));
    return w;
  }

  private spawnWorker(i: number): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, '--shared', this.shared.path, '--records', this.recordsPath(i), '--broker', this.o.broker,
      '--site', this.site, '--group', `roam-${this.site}`, '--chunk-bytes', String(this.o.chunkBytes ?? 8192), '--id', String(i)], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(child);
    let err = '';
    child.stderr!.on('data', (d) => (err += String(d)));
    const lines = createInterface({ input: child.stdout! });
    return new Promise((resolve, reject) => {
      lines.on('line', (l) => {
        if (l === 'ready') resolve();
        if (l.startsWith('stats ')) this.stats[i] = JSON.parse(l.slice(6)) as WorkerStats;
      });
      child.once('exit', (code) => { if (code !== 0) reject(new Error(`backend worker ${i} exited ${code}: ${err.trim().split('\n').pop()}`)); });
    });
  }

  private recordsPath(i: number): string {
    return join(this.dir, `records-${i}.sqlite`);
  }

  /** Registers device keys in the shared database (batched: one transaction per call to flush). */
  registerDevice(id: string, publicKey: Uint8Array): void {
    this.pendingKeys.push([id, publicKey]);
    if (this.pendingKeys.length >= 500) this.flushKeys();
  }

  flushKeys(): void {
    const keys = this.pendingKeys.splice(0);
    this.shared.db.transaction(() => { for (const [id, k] of keys) this.shared.saveDevice(id, k); })();
  }

  /** Stops every worker (each reports its counters and closes its database). */
  async stop(): Promise<void> {
    // 'close': the process ended and its output was read (the stats line).
    await Promise.all(this.children.map((c) => new Promise<void>((r) => {
      if (c.exitCode !== null && c.stdout!.closed) return r();
      c.once('close', () => r());
      if (c.exitCode === null) c.kill('SIGTERM');
    })));
  }

  /**
   * The union of what the workers stored, in one RecordStore: every record
   * verified again (signature, chain) against the keys in the shared database;
   * the same (device, seq) stored by two workers counts once when the bytes
   * agree and as a conflict when they do not. Call after stop().
   */
  records(): RecordStore {
    const store = new RecordStore(nodeCrypto);
    const devices = this.shared.devices();
    for (const d of devices) store.registerDevice(d.id, d.publicKey);
    for (let i = 0; i < this.children.length; i++) {
      const db = new BackendDb(this.recordsPath(i));
      for (const d of devices) store.restore(d.id, db.records(d.id));
      db.close();
    }
    return store;
  }

  close(): void {
    this.shared.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
