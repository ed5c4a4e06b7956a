import type { Clock, TimerId } from '../../hal/clock.js';
import type { Random } from '../../hal/crypto.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import type { DeviceLink } from './link.js';
import { MAX_BATCH_RECORDS } from './messages.js';
import type { UploadJournal } from './ports.js';

export interface UploaderOptions {
  /** Target size of one batch's records (one record larger than this still goes alone). */
  batchBytes?: number;
  backoff?: BackoffPolicy;
}

export interface UploaderStats {
  batchesSent: number;
  retransmissions: number;
  acks: number;
  /** Acks refused: beyond what was ever sent, so not something to persist. */
  badAcks: number;
  lastSyncWallMs: number;
}

/**
 * Moves journal records to the backend over an at-most-once transport: one
 * batch in flight from the persisted acknowledgement on, retransmitted with
 * backoff until an ack covers it. The journal's acknowledgement is the only
 * state that matters across reboots; everything here is rebuilt from it.
 */
export class RecordUploader {
  readonly stats: UploaderStats = { batchesSent: 0, retransmissions: 0, acks: 0, badAcks: 0, lastSyncWallMs: 0 };
  private inFlight?: { first: number; last: number };
  /** Highest seq sent since boot: an ack past it cannot be genuine. */
  private highestSent = 0;
  private attempt = 0;
  private timer?: TimerId;
  private readonly batchBytes: number;
  private readonly policy: BackoffPolicy;

  constructor(
    private readonly link: DeviceLink,
    private readonly journal: UploadJournal,
    private readonly clock: Clock,
    private readonly random: Random,
    options: UploaderOptions = {},
  ) {
    this.batchBytes = options.batchBytes ?? 16 * 1024;
    this.policy = options.backoff ?? { baseMs: 5_000, maxMs: 10 * 60_000 };
    link.on('recordAck', (m) => this.onAck(m.seq));
    link.onConnect(() => {
      this.attempt = 0;
      this.cancel();
      this.pump();
    });
    link.onDisconnect(() => this.cancel());
  }

  /** Records not yet acknowledged. */
  get pending(): number {
    return this.journal.lastSeq - this.journal.ackedSeq;
  }

  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  /** Call after appending to the journal (and once at boot). */
  notify(): void {
    this.pump();
  }

  stop(): void {
    this.cancel();
  }

  private pump(): void {
    if (this.inFlight || !this.link.connected) return;
    const from = this.journal.ackedSeq + 1;
    if (from > this.journal.lastSeq) return;
    let records: ReturnType<UploadJournal['readFrom']>;
    try {
      records = this.journal.readFrom(from, this.batchBytes);
    } catch {
      return; // the journal awaits its recovery after a failed write: notify() comes after it
    }
    if (records.length === 0) return; // none signed yet: notify() again after signing
    // A batch is a consecutive run. A record the journal lost is skipped: the
    // batch starts after it and the backend reports the gap by sequence number.
    const first = records[0].seq;
    let n = 1;
    while (n < records.length && n < MAX_BATCH_RECORDS && records[n].seq === first + n) n++;
    if (!this.link.send('recordBatch', { first, recs: records.slice(0, n).map((r) => r.bytes) })) return;
    if (this.attempt > 0) this.stats.retransmissions++;
    this.stats.batchesSent++;
    this.inFlight = { first, last: first + n - 1 };
    this.highestSent = Math.max(this.highestSent, this.inFlight.last);
    this.timer = this.clock.setTimer(backoffDelay(this.policy, this.attempt, this.random), () => {
      this.timer = undefined;
      this.inFlight = undefined;
      this.attempt++;
      this.pump();
    });
  }

  private onAck(seq: number): void {
    const acked = this.journal.ackedSeq;
    if (seq <= acked) return; // a late or repeated ack: already persisted
    // The backend can only acknowledge what it received, which is what was sent.
    if (seq > this.highestSent || seq > this.journal.lastSeq) {
      this.stats.badAcks++;
      return;
    }
    this.journal.acknowledge(seq);
    this.stats.acks++;
    this.stats.lastSyncWallMs = this.clock.wall().ms;
    if (this.inFlight && seq < this.inFlight.last) {
      // Partial: the rest of the batch is still owed; keep the timer for it.
      this.inFlight = { first: seq + 1, last: this.inFlight.last };
      return;
    }
    this.attempt = 0;
    this.cancel();
    this.pump();
  }

  private cancel(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.inFlight = undefined;
  }
}
