import type { Clock, TimerId, WallTime } from '../../hal/clock.js';

/**
 * The clock as one boot sees it: every timer set through it is tracked, so
 * that shutdown() cancels them all, as a reset does on a device. Without it a
 * simulator whose clock outlives the boot would fire the old boot's timers
 * (energy caps, retransmissions) into the new one's flash.
 */
export class BootClock implements Clock {
  private readonly live = new Set<TimerId>();
  private closed = false;

  constructor(private readonly inner: Clock) {}

  wall(): WallTime {
    return this.inner.wall();
  }

  monotonic(): number {
    return this.inner.monotonic();
  }

  setTimer(ms: number, callback: () => void, repeat = false): TimerId {
    if (this.closed) return -1; // a dead boot schedules nothing
    const id = this.inner.setTimer(ms, () => {
      if (!repeat) this.live.delete(id);
      callback();
    }, repeat);
    this.live.add(id);
    return id;
  }

  clearTimer(id: TimerId): void {
    if (!this.live.delete(id)) return;
    this.inner.clearTimer(id);
  }

  /** Cancels every timer of this boot; later setTimer calls are ignored. */
  shutdown(): void {
    this.closed = true;
    for (const id of this.live) this.inner.clearTimer(id);
    this.live.clear();
  }
}
