// Fake of Moddable's `timer`: set(callback, interval, repeat), repeat(callback,
// interval), schedule, clear, delay. Callbacks get the timer and run only from
// device.advance() (the fake event loop), never inside set().
import { device, type FakeTimer } from './device.js';

export default class Timer {
  private constructor(readonly t: FakeTimer) {}

  static set(callback: (t: Timer) => void, interval = 0, repeat = 0): Timer {
    const t: FakeTimer = { id: device.nextTimer++, at: device.now + Math.max(0, interval), interval, repeat, callback: callback as (t: unknown) => void, handle: undefined };
    const timer = new Timer(t);
    t.handle = timer;
    device.timers.push(t);
    return timer;
  }

  static repeat(callback: (t: Timer) => void, interval: number): Timer {
    return Timer.set(callback, interval, interval);
  }

  static schedule(timer: Timer, interval = 0, repeat = 0): void {
    timer.t.at = device.now + interval;
    timer.t.repeat = repeat;
    if (!device.timers.includes(timer.t)) device.timers.push(timer.t);
  }

  static clear(timer: Timer | undefined | null): void {
    if (!timer) return;
    device.timers = device.timers.filter((t) => t !== timer.t);
  }

  static delay(ms: number): void {
    device.now += ms; // a busy wait: time passes, no timer runs
  }
}
