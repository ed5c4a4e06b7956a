import type { Platform } from '../../hal/index.js';

/**
 * A scenario runs the same portable code on Node and on XS; its output bytes
 * must be identical on both. Files named *.scenario.ts here are found by the
 * runners (test/xs/scenarios.test.ts, bench/): add one per capability.
 */
export interface Scenario {
  name: string;
  /** Flash partitions the scenario's platform gets, name → bytes. */
  partitions: Record<string, number>;
  /** Seed of the platform's random source. */
  seed?: number;
  run(platform: Platform): Uint8Array | Promise<Uint8Array>;
}
