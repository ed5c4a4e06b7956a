import type { Clock } from '../../hal/clock.js';

/**
 * The latest wall time the device can vouch for: the wall clock while it is
 * synchronized, else the last synchronized reading of this boot carried forward
 * on the monotonic clock; none before the first synchronization. An RTC that
 * lost its time, or a clock set back by hand, cannot revive an expired card.
 */
export class TrustedTime {
  private anchor?: { wall: number; mono: number };

  constructor(private readonly clock: Clock) {}

  now(): number | undefined {
    const w = this.clock.wall();
    const mono = this.clock.monotonic();
    if (w.quality === 'S') {
      this.anchor = { wall: w.ms, mono };
      return w.ms;
    }
    return this.anchor ? this.anchor.wall + (mono - this.anchor.mono) : undefined;
  }
}
