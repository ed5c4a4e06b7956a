import type { Clock, TimerId } from '../../hal/clock.js';
import type { Random } from '../../hal/crypto.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import type { DeviceLink } from './link.js';
import type { ListChunk, ListDiff, ListKey, ListOffer, ResyncReason } from './messages.js';
import type { ListStore } from './ports.js';
import { RefusalBudget, type BudgetOptions } from './refusal-budget.js';

export interface ListClientOptions {
  /** Chunks asked for per request: more is faster, fewer wastes less on a lossy link. */
  window?: number;
  backoff?: BackoffPolicy;
  /**
   * Refusals (bad or mismatched differentials and images, offers that cannot
   * fit, messages naming the version in force) per window before list/diff and
   * list/offer are dropped unverified until the window ends. Default 3 per 60 s.
   */
  refusals?: BudgetOptions;
  /** Full transfers begun without a commit per window. Default 3 per hour. */
  transfers?: BudgetOptions;
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
  /** Messages refused, each counted against the refusal budget. */
  refused: number;
  /** list/diff, list/offer and list/key dropped unverified while the refusal budget was spent. */
  dropped: number;
  /** Refusals left unanswered at once (one answer per window; the window's end asks again). */
  held: number;
  /** Offers not begun while the transfer budget was spent. */
  deferred: number;
  /** Backend key rotations applied. */
  keysApplied: number;
  /** Key rotations refused by the store (forged, replayed, revoked key); each also counts in `refused`. */
  badKeys: number;
  /** list/key naming a key sequence the device already has: dropped without a signature check. */
  keysIgnored: number;
  lastChangeWallMs: number;
}

/**
 * Keeps the device's token table at the backend's version: applies
 * differentials, answers a gap with a resync request, and pulls full images a
 * window of chunks at a time, so a transfer cut by a disconnect resumes from
 * the last written offset instead of starting over, and one cut by a reboot
 * from the offset the store last persisted (`ListStore.pendingFull`).
 *
 * Floods (docs/threat-model.md FLOOD-2/3): every refusal may have cost an
 * ECDSA verification and asks for an answer, so refusals are counted against
 * a budget (`refusals`); once spent, list messages are dropped unverified and
 * unanswered until its window ends, and then the device reports its version
 * again, so the genuine backend gets through. A handler of any further signed
 * list message (key rotation) does the same: admit() before verifying,
 * refuse() after a failure, settle on success. Full transfers begun without a
 * commit have their own budget (`transfers`): each erases flash.
 */
export class ListClient {
  readonly stats: ListClientStats = {
    fullApplied: 0, diffsApplied: 0, mismatches: 0, badImages: 0, chunksWritten: 0, chunksIgnored: 0, rerequests: 0,
    refused: 0, dropped: 0, held: 0, deferred: 0, keysApplied: 0, badKeys: 0, keysIgnored: 0, lastChangeWallMs: 0,
  };
  readonly refusals: RefusalBudget;
  readonly transfers: RefusalBudget;
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
    // A window that dropped or held something ends by reporting the version: the backend answers with what is due.
    // Refusals take the budget's defaults; transfers its limit, over an hour.
    this.refusals = new RefusalBudget(clock, options.refusals, () => this.reportVersion());
    this.transfers = new RefusalBudget(clock, { limit: options.transfers?.limit, windowMs: options.transfers?.windowMs ?? 3_600_000 }, () => this.reportVersion());
    const pending = store.pendingFull?.();
    if (pending && pending.written < pending.size) this.transfer = { ver: pending.version, size: pending.size, off: pending.written, expect: 0 };
    link.on('listOffer', (m) => this.onOffer(m));
    link.on('listChunk', (m) => this.onChunk(m));
    link.on('listDiff', (m) => this.onDiff(m));
    if (store.rotateKey) link.on('listKey', (m) => this.onKey(m));
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

  /** The list version and backend key sequence in force: what the backend answers from. */
  reportVersion(): void {
    this.link.send('listStatus', { ver: this.store.version(), kseq: this.store.keySeq?.() });
  }

  stop(): void {
    this.cancelTimer();
    this.refusals.stop();
    this.transfers.stop();
  }

  private onOffer(m: ListOffer): void {
    if (!this.admit()) return;
    if (m.ver === this.store.version()) {
      this.refuse();
      return;
    }
    if (this.transfer && this.transfer.ver === m.ver && this.transfer.size === m.size) {
      if (this.timer === undefined) this.request(); // resume; a request already out answers itself
      return;
    }
    if (m.size === 0) return; // an image has at least its header; never begin what cannot commit
    // Each transfer begun erases slot blocks as its chunks arrive, and only the commit can refuse it.
    if (!this.transfers.admit()) {
      this.stats.deferred++;
      return;
    }
    try {
      this.store.beginFull(m.ver, m.size);
    } catch (e) {
      if (isPowerLoss(e)) throw e;
      // Too small or too big for a slot: say so; a transfer under way goes on.
      this.stats.badImages++;
      this.refuse('bad-image');
      return;
    }
    this.transfers.spend();
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
      this.abandon();
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
      this.refuse('bad-image');
      return;
    }
    this.refusals.settle();
    this.transfers.settle();
    this.stats.fullApplied++;
    this.stats.lastChangeWallMs = this.clock.wall().ms;
    this.reportVersion();
  }

  private onDiff(m: ListDiff): void {
    if (this.transfer) return; // a full image is on its way; the backend re-sends what is due after it
    if (!this.admit()) return;
    if (m.to === this.store.version()) {
      this.refuse();
      return;
    }
    try {
      this.store.applyDifferential(m.data);
    } catch (e) {
      if (isPowerLoss(e)) throw e;
      const mismatch = this.store.isVersionMismatch(e);
      if (mismatch) this.stats.mismatches++;
      else this.stats.badImages++;
      this.refuse(mismatch ? 'mismatch' : 'bad-image');
      return;
    }
    this.refusals.settle();
    this.stats.diffsApplied++;
    this.stats.lastChangeWallMs = this.clock.wall().ms;
    this.reportVersion();
  }

  /**
   * A backend key rotation. One whose sequence the device has is dropped
   * unverified (the backend resends every rotation a device lacks, so repeats
   * are normal); any other costs a signature check, so it is admitted and
   * refused like a differential. Applied, the device reports its status: the
   * backend answers with the next rotation or with the list.
   */
  private onKey(m: ListKey): void {
    if (m.seq <= (this.store.keySeq?.() ?? 0)) {
      this.stats.keysIgnored++;
      return;
    }
    if (!this.admit()) return;
    try {
      this.store.rotateKey!(m.data);
    } catch (e) {
      if (isPowerLoss(e)) throw e;
      this.stats.badKeys++;
      this.refuse();
      return;
    }
    this.refusals.settle();
    this.stats.keysApplied++;
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

  /** After writeChunk threw: the store has ended the upload (and, for a refused image, its record on flash). */
  private abandon(): void {
    this.cancelTimer();
    this.transfer = undefined;
    this.stats.badImages++;
    this.refuse('bad-image');
  }

  /** Whether a list message that may cost a signature check (offer, differential, key) is handled now; else it is dropped unverified. */
  private admit(): boolean {
    if (this.refusals.admit()) return true;
    this.stats.dropped++;
    return false;
  }

  /**
   * Counts a refusal against the budget and answers it only if it is the
   * window's first: listResync with `why`, or the version for a message that
   * named the version in force (no `why`): one answer per window, not one per
   * forged message.
   */
  private refuse(why?: ResyncReason): void {
    this.stats.refused++;
    this.refusals.spend();
    if (!this.refusals.answer()) {
      this.stats.held++;
      return;
    }
    if (why) this.link.send('listResync', { have: this.store.version(), why });
    else this.reportVersion();
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
