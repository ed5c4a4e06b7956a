import type { Random } from '../../hal/crypto.js';

/**
 * A deterministic random source (splitmix32) for tests, benchmarks and
 * simulations: the same seed gives the same tokens, taps and jitter on Node and XS.
 * Portable: no Node imports, so it can be bundled into XS scenarios.
 */
export class SeededRandom implements Random {
  constructor(private state: number) {}

  next(): number {
    let z = (this.state = (this.state + 0x9e3779b9) | 0);
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.next() / 0x100000000) * n);
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      const v = this.next();
      for (let j = 0; j < 4 && i + j < length; j++) out[i + j] = (v >>> (8 * j)) & 0xff;
    }
    return out;
  }
}
