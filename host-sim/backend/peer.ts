import type { Crypto } from '../../hal/crypto.js';
import type { Transport } from '../../hal/transport.js';
import {
  anyDeviceFilter, decodeMessage, encodeMessage, MAX_CHUNK_BYTES, parseTopic, SyncDecodeError, topicOf,
  type AuthRequest, type AuthResponse, type DeviceStatus, type MessageKind, type MessageOf,
} from '../../src/sync/index.js';
import type { DeviceRepo } from './db.js';
import { RecordStore } from './record-store.js';
import type { SiteList } from './site-list.js';

export interface BackendOptions {
  transport: Transport;
  crypto: Crypto;
  site: SiteList;
  /** Bytes per list chunk on the wire. */
  chunkBytes?: number;
  /** Wall clock for real-time answers (expiry dates); default Date.now. */
  now?: () => number;
  /**
   * Where devices, their list state and their records are kept between runs
   * (BackendDb); loaded at construction. Records are committed before their ack.
   */
  repo?: DeviceRepo;
  /**
   * Subscribe through the MQTT shared subscription `$share/{shareGroup}/…`: the
   * broker hands each device message to one of the group's peers, so a backend
   * scales by adding peers (worker processes) that share the site's list and keys.
   */
  shareGroup?: string;
  /** The key of a device not registered with this peer (kept elsewhere, e.g. a shared database). */
  resolveKey?: (deviceId: string) => Uint8Array | undefined;
}

export interface BackendCounters {
  batches: number;
  recordsReceived: number;
  acksSent: number;
  chunksSent: number;
  offersSent: number;
  diffsSent: number;
  /** Key rotations sent (each one a listKey message). */
  keysSent: number;
  resyncRequests: number;
  authRequests: number;
  refused: number;
  /** Answers by status. */
  authAnswers: Record<string, number>;
}

/**
 * The backend peer: what a charging network's backend does for roam devices
 * over roam/v1. Stores records by (device, seq), verifies them, acknowledges
 * each batch once stored; keeps every device's list at the site's version with
 * differentials where it can and full images otherwise; answers real-time
 * authorization from the partners' token lists (plus overrides, e.g. a card
 * blocked since the last list).
 */
export class BackendPeer {
  readonly records: RecordStore;
  readonly counters: BackendCounters = {
    batches: 0, recordsReceived: 0, acksSent: 0, chunksSent: 0, offersSent: 0, diffsSent: 0, keysSent: 0, resyncRequests: 0, authRequests: 0, refused: 0, authAnswers: {},
  };
  readonly statuses = new Map<string, DeviceStatus & { at: number }>();
  readonly listVersions = new Map<string, number>();
  /** Backend key sequence each device last reported (0 = the provisioned key, or a device that does not say). */
  readonly keySeqs = new Map<string, number>();
  /** uid → status the backend answers regardless of the lists (cards blocked or unblocked today). */
  readonly overrides = new Map<string, AuthResponse['status']>();
  private readonly chunkBytes: number;
  private readonly now: () => number;

  constructor(private readonly o: BackendOptions) {
    this.records = new RecordStore(o.crypto, o.repo, o.resolveKey);
    for (const d of o.repo?.devices() ?? []) {
      this.records.registerDevice(d.id, d.publicKey);
      if (d.listVersion > 0 || d.keySeq > 0) {
        this.listVersions.set(d.id, d.listVersion);
        this.keySeqs.set(d.id, d.keySeq);
      }
      this.records.restore(d.id, o.repo!.records(d.id));
    }
    this.chunkBytes = Math.min(o.chunkBytes ?? 4096, MAX_CHUNK_BYTES);
    this.now = o.now ?? Date.now;
    const kinds: MessageKind[] = ['recordBatch', 'listStatus', 'listGet', 'listResync', 'authRequest', 'status'];
    for (const k of kinds) o.transport.subscribe(o.shareGroup ? `$share/${o.shareGroup}/${anyDeviceFilter(k)}` : anyDeviceFilter(k));
    o.transport.onMessage = (topic, payload) => this.receive(topic, payload);
  }

  registerDevice(deviceId: string, publicKey: Uint8Array): void {
    this.records.registerDevice(deviceId, publicKey);
    this.o.repo?.saveDevice(deviceId, publicKey);
  }

  /** Tells every device that reported a list version about a new one. */
  announceList(): void {
    for (const id of this.listVersions.keys()) this.onListStatus(id, this.listVersions.get(id)!, this.keySeqs.get(id));
  }

  private send<K extends MessageKind>(deviceId: string, kind: K, msg: MessageOf<K>): void {
    this.o.transport.publish(topicOf(deviceId, kind), encodeMessage(kind, msg));
  }

  private receive(topic: string, payload: Uint8Array): void {
    const t = parseTopic(topic);
    if (!t) return;
    try {
      switch (t.kind) {
        case 'recordBatch': return this.onBatch(t.deviceId, decodeMessage('recordBatch', payload));
        case 'listStatus': {
          const m = decodeMessage('listStatus', payload);
          return this.onListStatus(t.deviceId, m.ver, m.kseq);
        }
        case 'listGet': return this.onListGet(t.deviceId, decodeMessage('listGet', payload));
        case 'listResync': {
          decodeMessage('listResync', payload);
          this.counters.resyncRequests++;
          // A device on an older key would refuse the image: the rotations first.
          if (this.sendRotations(t.deviceId)) return;
          return this.offer(t.deviceId);
        }
        case 'authRequest': return this.onAuth(t.deviceId, decodeMessage('authRequest', payload));
        case 'status': {
          const s = decodeMessage('status', payload);
          this.statuses.set(t.deviceId, { ...s, at: this.now() });
          return;
        }
        default: return; // our own downstream messages echoed by the broker
      }
    } catch (e) {
      if (!(e instanceof SyncDecodeError)) throw e;
      this.counters.refused++;
    }
  }

  private onBatch(deviceId: string, batch: MessageOf<'recordBatch'>): void {
    this.counters.batches++;
    this.counters.recordsReceived += batch.recs.length;
    if (!this.records.storeBatch(deviceId, batch.first, batch.recs)) return;
    // Stored, good or flagged: acknowledge the whole batch so the device can let it go.
    this.send(deviceId, 'recordAck', { seq: batch.first + batch.recs.length - 1 });
    this.counters.acksSent++;
  }

  private onListStatus(deviceId: string, ver: number, kseq = 0): void {
    if (this.o.repo && (this.listVersions.get(deviceId) !== ver || this.keySeqs.get(deviceId) !== kseq) && this.records.knows(deviceId))
      this.o.repo.saveListState(deviceId, ver, kseq);
    this.listVersions.set(deviceId, ver);
    this.keySeqs.set(deviceId, kseq);
    // Lists are signed by the site's key in force: a device must follow the rotations before it can take one.
    if (this.sendRotations(deviceId)) return;
    const site = this.o.site.current;
    if (!site || ver === site.version) return;
    const diff = ver > 0 && ver < site.version ? this.o.site.diffFrom(ver) : undefined;
    if (diff) {
      this.send(deviceId, 'listDiff', { from: ver, to: ver + 1, data: diff });
      this.counters.diffsSent++;
      return;
    }
    this.offer(deviceId);
  }

  /**
   * Sends every rotation the device lacks, oldest first (each verifies with the
   * key the one before installs); true when there were any. The device reports
   * its status after each one it applies, and is answered from there.
   */
  private sendRotations(deviceId: string): boolean {
    const site = this.o.site;
    const have = this.keySeqs.get(deviceId) ?? 0;
    if (have >= site.keySeq) return false;
    for (let seq = have + 1; seq <= site.keySeq; seq++) {
      this.send(deviceId, 'listKey', { seq, data: site.rotation(seq)! });
      this.counters.keysSent++;
    }
    return true;
  }

  private offer(deviceId: string): void {
    const site = this.o.site.current;
    if (!site) return;
    this.send(deviceId, 'listOffer', { ver: site.version, size: site.bytes.length });
    this.counters.offersSent++;
  }

  private onListGet(deviceId: string, get: MessageOf<'listGet'>): void {
    const image = this.o.site.image(get.ver);
    if (!image) return this.offer(deviceId); // that version is gone: start over with the current one
    for (let i = 0, off = get.off; i < get.n && off < image.bytes.length; i++, off += this.chunkBytes) {
      this.send(deviceId, 'listChunk', { ver: get.ver, off, data: image.bytes.subarray(off, Math.min(off + this.chunkBytes, image.bytes.length)) });
      this.counters.chunksSent++;
    }
  }

  private onAuth(deviceId: string, req: AuthRequest): void {
    this.counters.authRequests++;
    const status = this.overrides.get(req.uid) ?? this.statusFromLists(req.uid);
    const token = this.o.site.findToken(req.uid);
    const answer: AuthResponse = { id: req.id, status, group: token?.group_id };
    if (status === 'Accepted') answer.expires = this.now() + 24 * 3600_000;
    this.counters.authAnswers[status] = (this.counters.authAnswers[status] ?? 0) + 1;
    this.send(deviceId, 'authResponse', answer);
  }

  private statusFromLists(uid: string): AuthResponse['status'] {
    const token = this.o.site.findToken(uid);
    if (!token) return 'Invalid';
    return token.valid ? 'Accepted' : 'Blocked';
  }
}
