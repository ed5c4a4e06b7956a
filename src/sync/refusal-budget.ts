import type { Clock, TimerId } from '../../hal/clock.js';

export interface BudgetOptions {
  /** Costly outcomes allowed per window. */
  limit?: number;
  /** Length of a window (monotonic ms), counted from the first outcome in it. */
  windowMs?: number;
}

/**
 * A budget of costly outcomes per window on the monotonic clock, so that a
 * flood of forged list messages costs a bounded amount of work (signature
 * checks, answers, flash erases) however long it lasts.
 *
 * A handler calls admit() before the costly step and drops the message
 * unverified when it says no; it calls spend() when the step came to nothing
 * (a refusal, a transfer begun), then answer() before answering: one answer
 * per window, the first. A success calls settle(): genuine data proves the
 * channel, and the next refusal is answered at once.
 *
 * Recovery: when a window in which a message was dropped or an answer held
 * back ends, `owed` runs, and the owner asks the backend again (its version),
 * so a device that met a flood converges once genuine data gets through.
 */
export class RefusalBudget {
  readonly limit: number;
  readonly windowMs: number;
  private used = 0;
  private answered = false;
  private owed = false;
  private timer?: TimerId;

  constructor(private readonly clock: Clock, options: BudgetOptions = {}, private readonly onOwed?: () => void) {
    this.limit = options.limit ?? 3;
    this.windowMs = options.windowMs ?? 60_000;
  }

  /** True while the window's outcomes are all spent. */
  get exhausted(): boolean {
    return this.used >= this.limit;
  }

  /** Whether the costly step may run now; when not, the window's end owes an ask. */
  admit(): boolean {
    if (!this.exhausted) return true;
    this.owed = true;
    return false;
  }

  /** Counts one costly outcome; the first opens a window. */
  spend(): void {
    if (this.timer === undefined) this.timer = this.clock.setTimer(this.windowMs, () => this.end());
    this.used++;
  }

  /** Whether an answer may go out now: the first of the window; a later one is owed to its end. */
  answer(): boolean {
    if (this.timer === undefined || !this.answered) {
      this.answered = this.timer !== undefined;
      return true;
    }
    this.owed = true;
    return false;
  }

  /** A success: the window closes with nothing owed (the success reports itself). */
  settle(): void {
    this.reset();
  }

  stop(): void {
    this.reset();
  }

  private end(): void {
    this.timer = undefined;
    const owed = this.owed;
    this.reset();
    if (owed) this.onOwed?.();
  }

  private reset(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.used = 0;
    this.answered = false;
    this.owed = false;
  }
}
