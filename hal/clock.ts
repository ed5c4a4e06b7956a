/** Time status of a wall-clock reading, as OCMF uses it. */
export type TimeQuality =
  | 'U' // unknown: never synchronized since boot
  | 'I' // informative: set by hand or from an unauthenticated source
  | 'S' // synchronized: from a trusted time source
  | 'R'; // relative: only the monotonic clock is meaningful

export interface WallTime {
  /** Milliseconds since the Unix epoch, as the device believes. */
  ms: number;
  quality: TimeQuality;
}

export type TimerId = number;

export interface Clock {
  wall(): WallTime;
  /** Milliseconds since boot; never goes backwards, survives no reboot. */
  monotonic(): number;
  setTimer(ms: number, callback: () => void, repeat?: boolean): TimerId;
  clearTimer(id: TimerId): void;
}
