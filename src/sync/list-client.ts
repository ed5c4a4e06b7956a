import type { Clock, TimerId } from '../../hal/clock.js';
import type { Random } from '../../hal/crypto.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import type { DeviceLink } from './link.js';
import type { ListChunk, ListDiff, ListOffer } from './messages.js';
import type { ListStore } from './ports.js';

export interface ListClientOptions {
  /** Chunks asked for per request: more is faster, fewer wastes less on a lossy link. */
  window?: number;
  backoff?: BackoffPolicy;
}

export interface ListClientStats {
  fullApplied: number;
  diffsApplied: number;
  mismatches: number;
  badImages: number;
  chunksWritten: number;
  /** Chunks that were not the next expected one (duplicates, stale transfers). */
  chunksIgnored: number;
  /** Requests repeated after a timeout. */
  rerequests: number;
  lastChangeWallMs: number;
}

/**
 * Keeps the device's token table at the backend's version: applies
 * differentials, answers a gap with a resync request, and pulls full images a
 * window of chunks at a time, so a transfer cut by a disconnect resumes from
 * the last written offset instead of starting over.
 */
export class ListClient {
  readonly stats: ListClientStats = { fullApplied: 0, diffsApplied: 0, mismatches: 0, badImages: 0, chunksWritten: 0, chunksIgnored: 0, rerequests: 0, lastChangeWallMs: 0 };
  private transfer?: { ver: number; size: number; off: number; expect: number };
  private attempt = 0;
  private timer?: TimerId;
  private readonly window: number;
  private readonly policy: BackoffPolicy;

  constructor(
    private readonly link: DeviceLink,
    private readonly store: ListStore,
    private readonly clock: Clock,
    private readonly random: Random,
    options: ListClientOptions = {},
  ) {
    this.window = options.window ?? 4;
    this.policy = options.backoff ?? { baseMs: 5_000, maxMs: 5 * 60_000 };
    const pending = store.pendingFull?.();
    if (pending && pending.written < pending.size) this.transfer = { ver: pending.version, size: pending.size, off: pending.written, expect: 0 };
    link.on('listOffer', (m) => this.onOffer(m));
    link.on('listChunk', (m) => this.onChunk(m));
    link.on('listDiff', (m) => this.onDiff(m));
    link.onConnect(() => {
      this.attempt = 0;
      this.reportVersion();
      if (this.transfer) this.request();
    });
    link.onDisconnect(() => this.cancelTimer());
  }

  /** The full transfer under way, if any: image version, size, bytes written. */
  get progress(): { ver: number; size: number; written: number } | undefined {
    return this.transfer && { ver: this.transfer.ver, size: this.transfer.size, written: this.transfer.off };
  }

  reportVersion(): void {
    this.link.send('listStatus', { ver: this.store.version() });
  }

  stop(): void {
    this.cancelTimer();
  }

  private onOffer(m: ListOffer): void {
    if (m.ver === this.store.version()) {
      this.reportVersion();
      return;
    }
    if (this.transfer && this.transfer.ver === m.ver && this.transfer.size === m.size) {
      if (this.timer === undefined) this.request(); // resume; a request already out answers itself
      return;
    }
    if (m.size === 0) return; // an image has at least its header; never begin what cannot commit
    try {
      this.store.beginFull(m.ver, m.size);
    } catch (e) {
      if (isPowerLoss(e)) throw e;
      // Too small or too big for a slot: say so; a transfer under way goes on.
      this.stats.badImages++;
      this.link.send('listResync', { have: this.store.version(), why: 'bad-image' });
      return;
    }
    this.transfer = { ver: m.ver, size: m.size, off: 0, expect: 0 };
    this.attempt = 0;
    this.request();
  }

  private onChunk(m: ListChunk): void {
    const t = this.transfer;
    if (!t || m.ver !== t.ver || m.off !== t.off || m.data.length === 0 || m.off + m.data.length > t.size) {
      this.stats.chunksIgnored++;
      return;
    }
    try {
      this.store.writeChunk(m.off, m.data);
    } catch (e) {
      if (isPowerLoss(e)) throw e;
      this.abandon('bad-image');
      return;
    }
    t.off += m.data.length;
    t.expect--;
    this.stats.chunksWritten++;
    if (t.off === t.size) {
      this.finishFull();
      return;
    }
    if (t.expect <= 0) {
      this.attempt = 0;
      this.request();
    }
  }

  private finishFull(): void {
    this.cancelTimer();
    this.transfer = undefined;
    try {
      this.store.commit();
    } catch (e) {
      if (isPowerLoss(e)) throw e;
      this.stats.badImages++;
      this.link.send('listResync', { have: this.store.version(), why: 'bad-image' });
      return;
    }
    this.stats.fullApplied++;
    this.stats.lastChangeWallMs = this.clock.wall().ms;
    this.reportVersion();
  }

  private onDiff(m: ListDiff): void {
    if (this.transfer) return; // a full image is on its way; the backend re-sends what is due after it
    if (m.to === this.store.version()) {
      this.reportVersion();
      return;
    }
    try {
      this.store.applyDifferential(m.data);
    } catch (e) {
      if (isPowerLoss(e)) throw e;
      const mismatch = this.store.isVersionMismatch(e);
      if (mismatch) this.stats.mismatches++;
      else this.stats.badImages++;
      this.link.send('listResync', { have: this.store.version(), why: mismatch ? 'mismatch' : 'bad-image' });
      return;
    }
    this.stats.diffsApplied++;
    this.stats.lastChangeWallMs = this.clock.wall().ms;
    this.reportVersion();
  }

  private request(): void {
    const t = this.transfer;
    if (!t) return;
    this.cancelTimer();
    if (!this.link.send('listGet', { ver: t.ver, off: t.off, n: this.window })) return;
    t.expect = this.window;
    this.timer = this.clock.setTimer(backoffDelay(this.policy, this.attempt, this.random), () => {
      this.timer = undefined;
      this.attempt++;
      this.stats.rerequests++;
      this.request();
    });
  }

  private abandon(why: 'bad-image'): void {
    this.cancelTimer();
    this.transfer = undefined;
    this.stats.badImages++;
    this.link.send('listResync', { have: this.store.version(), why });
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }
}

/** A power cut propagates: the device is off, nothing may be reported. */
function isPowerLoss(e: unknown): boolean {
  return e instanceof Error && e.name === 'PowerCut';
}
