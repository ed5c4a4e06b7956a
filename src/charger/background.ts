import type { Clock, TimerId } from '../../hal/clock.js';
import type { Journal } from '../sessions/index.js';

export interface BackgroundOptions {
  /** Safety-net period of the housekeeping pass; default 30 s. */
  everyMs?: number;
  /** Records signed per turn, so a long queue never holds the event loop for long; default 1. */
  signPerTurn?: number;
}

/**
 * The journal's slow work, off the tap path: ES256 signing (hundreds of ms on
 * a device) and erasing the next sector. A stop appends an unsigned record and
 * calls soon(); the work then runs from a timer, one record per turn, and tells
 * the uploader when a record is ready. A periodic pass catches anything missed.
 */
export class JournalKeeper {
  private soonTimer?: TimerId;
  private readonly periodic: TimerId;
  private readonly signPerTurn: number;
  /** Failures of the background step (a flash or signer fault); it retries on the next pass. */
  failures = 0;
  lastError?: unknown;

  constructor(
    private readonly clock: Clock,
    private readonly journal: Journal,
    private readonly recordsReady: () => void,
    options: BackgroundOptions = {},
    private readonly onFailure?: (error: unknown) => void,
  ) {
    this.signPerTurn = Math.max(1, options.signPerTurn ?? 1);
    this.periodic = clock.setTimer(options.everyMs ?? 30_000, () => this.turn(), true);
  }

  /** Schedules a turn on the next pass of the event loop (never runs it now). */
  soon(): void {
    if (this.soonTimer !== undefined) return;
    this.soonTimer = this.clock.setTimer(0, () => {
      this.soonTimer = undefined;
      this.turn();
    });
  }

  stop(): void {
    this.clock.clearTimer(this.periodic);
    if (this.soonTimer !== undefined) this.clock.clearTimer(this.soonTimer);
    this.soonTimer = undefined;
  }

  private turn(): void {
    try {
      // A failed flash write leaves the journal waiting for a recovery: the
      // scan is the same as at boot, and safe to repeat.
      if (!this.journal.recovered) this.journal.recover();
      const signed = this.journal.signPending(this.signPerTurn);
      if (signed > 0) this.recordsReady();
      this.journal.maintain();
    } catch (e) {
      this.failures++;
      this.lastError = e;
      this.onFailure?.(e);
      return;
    }
    if (this.journal.unsigned > 0) this.soon();
  }
}
