// Fake of Moddable's `time`: ticks is a 32-bit millisecond counter (it wraps;
// device.tickBase puts the wrap where a test wants it); set(seconds) sets the
// RTC, which Date.now() reads on a device, so this module makes Date.now() read
// the fake RTC.
import { device } from './device.js';

Date.now = () => device.rtcMsAtBoot + device.now;

const Time = {
  set(seconds: number): void {
    device.rtcMsAtBoot = seconds * 1000 - device.now;
  },
  timezone: 0,
  dst: 0,
  get ticks(): number {
    return device.ticks;
  },
  delta(start: number, end?: number): number {
    return (((end ?? device.ticks) - start) >>> 0);
  },
};

export default Time;
