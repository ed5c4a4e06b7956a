import type { Clock, TimerId } from '../../hal/clock.js';
import type { Random } from '../../hal/crypto.js';
import type { Transport } from '../../hal/transport.js';
import { MqttAuthorizer } from './authorizer.js';
import type { BackoffPolicy } from './backoff.js';
import { DeviceLink } from './link.js';
import { ListClient } from './list-client.js';
import type { ListStore, UploadJournal } from './ports.js';
import { RecordUploader } from './uploader.js';

export interface SyncOptions {
  deviceId: string;
  transport: Transport;
  clock: Clock;
  random: Random;
  journal: UploadJournal;
  lists: ListStore;
  /** How often the device reports its status (and list version) while connected. */
  statusEveryMs?: number;
  /** Local-list conflicts seen since boot (OCPP 1.6 §3.5.2), reported in `status` when any. */
  localListConflicts?: () => number;
  batchBytes?: number;
  listWindow?: number;
  uploadBackoff?: BackoffPolicy;
  listBackoff?: BackoffPolicy;
}

/**
 * Everything a device does over roam/v1, wired to one Transport: record
 * upload, list sync, real-time authorization and a status heartbeat. The
 * heartbeat also repairs lost list messages: the backend answers each status.
 */
export class SyncClient {
  readonly link: DeviceLink;
  readonly uploader: RecordUploader;
  readonly lists: ListClient;
  readonly authorizer: MqttAuthorizer;
  private heartbeat?: TimerId;

  constructor(private readonly options: SyncOptions) {
    const { transport, deviceId, clock, random } = options;
    this.link = new DeviceLink(transport, deviceId);
    this.uploader = new RecordUploader(this.link, options.journal, clock, random, { batchBytes: options.batchBytes, backoff: options.uploadBackoff });
    this.lists = new ListClient(this.link, options.lists, clock, random, { window: options.listWindow, backoff: options.listBackoff });
    this.authorizer = new MqttAuthorizer(this.link, clock, random);
    this.link.on('config', (c) => {
      if (c.statusEverySec) this.startHeartbeat(c.statusEverySec * 1000);
    });
    this.link.onConnect(() => this.sendStatus());
    this.startHeartbeat(options.statusEveryMs ?? 15 * 60_000);
    if (transport.connected) {
      // Connected before we were wired: do what onConnect would have done.
      this.lists.reportVersion();
      this.sendStatus();
    }
    this.uploader.notify();
  }

  /** Call after each record appended to the journal. */
  recordAppended(): void {
    this.uploader.notify();
  }

  sendStatus(): void {
    const j = this.options.journal;
    this.link.send('status', {
      list: this.options.lists.version(),
      depth: j.lastSeq - j.ackedSeq,
      acked: j.ackedSeq,
      lastSync: this.uploader.stats.lastSyncWallMs,
      time: this.options.clock.wall().quality,
      listBusy: this.lists.progress !== undefined,
      kseq: this.options.lists.keySeq?.(),
      llc: this.options.localListConflicts?.() || undefined,
      refused: j.refused || undefined,
      lost: j.lost || undefined,
    });
  }

  stop(): void {
    if (this.heartbeat !== undefined) this.options.clock.clearTimer(this.heartbeat);
    this.uploader.stop();
    this.lists.stop();
  }

  private startHeartbeat(everyMs: number): void {
    if (this.heartbeat !== undefined) this.options.clock.clearTimer(this.heartbeat);
    this.heartbeat = this.options.clock.setTimer(everyMs, () => {
      this.sendStatus();
      this.lists.reportVersion();
      this.uploader.notify();
    }, true);
  }
}
