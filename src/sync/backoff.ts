import type { Random } from '../../hal/crypto.js';

export interface BackoffPolicy {
  /** First retry delay. */
  baseMs: number;
  /** Delays never exceed this. */
  maxMs: number;
}

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half drawn
 * from the HAL random source, so a fleet that lost the network together does
 * not retry together, and a retry never comes sooner than half the step.
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: Random): number {
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  const r = random.bytes(4);
  const unit = (((r[0] << 24) | (r[1] << 16) | (r[2] << 8) | r[3]) >>> 0) / 0x100000000;
  return Math.floor(step / 2 + unit * (step / 2));
}
