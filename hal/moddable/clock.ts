import Time from 'time';
import Timer from 'timer';
import type { Clock, TimeQuality, TimerId, WallTime } from '../clock.js';

/**
 * Wall time from the ESP32 RTC (Date), monotonic time from Time.ticks, timers
 * from Moddable's Timer. Quality starts 'U' at every boot: the RTC may hold
 * any value after a power cut; setWall() (SNTP, the backend) raises it.
 */
export class ModdableClock implements Clock {
  private quality: TimeQuality;
  private lastTicks: number;
  private elapsed = 0;
  private nextId = 1;
  private readonly timers = new Map<TimerId, Timer>();

  constructor(quality: TimeQuality = 'U') {
    this.quality = quality;
    this.lastTicks = Time.ticks;
  }

  wall(): WallTime {
    return { ms: Date.now(), quality: this.quality };
  }

  /** Set the RTC, e.g. from SNTP ('S') or a technician ('I'). */
  setWall(ms: number, quality: TimeQuality): void {
    Time.set(Math.floor(ms / 1000));
    this.quality = quality;
  }

  /** Time.ticks is a 32-bit millisecond counter: accumulate unsigned deltas so it never wraps back. */
  monotonic(): number {
    const now = Time.ticks;
    this.elapsed += (now - this.lastTicks) >>> 0;
    this.lastTicks = now;
    return this.elapsed;
  }

  setTimer(ms: number, callback: () => void, repeat = false): TimerId {
    const id = this.nextId++;
    const timer = repeat
      ? Timer.repeat(() => callback(), Math.max(1, ms))
      : Timer.set(() => { this.timers.delete(id); callback(); }, Math.max(0, ms));
    this.timers.set(id, timer);
    return id;
  }

  clearTimer(id: TimerId): void {
    const timer = this.timers.get(id);
    if (!timer) return;
    Timer.clear(timer);
    this.timers.delete(id);
  }
}
