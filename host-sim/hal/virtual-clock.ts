import type { Clock, TimeQuality, TimerId, WallTime } from '../../hal/clock.js';

interface Pending { id: TimerId; at: number; seq: number; every?: number; callback: () => void }

/**
 * A clock that only moves when the test says so: advance() runs due timers in
 * time order. Portable (no Node imports), so XS scenarios use it too.
 */
export class VirtualClock implements Clock {
  private now = 0;
  private nextId = 1;
  private seq = 0;
  private timers: Pending[] = [];

  constructor(private wallAtBoot = Date.UTC(2026, 0, 1), public quality: TimeQuality = 'S') {}

  wall(): WallTime {
    return { ms: this.wallAtBoot + this.now, quality: this.quality };
  }

  monotonic(): number {
    return this.now;
  }

  /** Set the wall clock (an NTP sync or a jump), without moving monotonic time. */
  setWall(ms: number, quality: TimeQuality): void {
    this.wallAtBoot = ms - this.now;
    this.quality = quality;
  }

  setTimer(ms: number, callback: () => void, repeat = false): TimerId {
    const id = this.nextId++;
    this.timers.push({ id, at: this.now + Math.max(0, ms), seq: this.seq++, every: repeat ? Math.max(1, ms) : undefined, callback });
    return id;
  }

  clearTimer(id: TimerId): void {
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  /** Runs due timers by due time; timers due together run in the order they were (re)scheduled. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      let due: Pending | undefined;
      for (const t of this.timers) if (t.at <= end && (!due || t.at < due.at || (t.at === due.at && t.seq < due.seq))) due = t;
      if (!due) break;
      this.now = due.at;
      if (due.every) { due.at += due.every; due.seq = this.seq++; }
      else this.clearTimer(due.id);
      due.callback();
    }
    this.now = end;
  }
}
