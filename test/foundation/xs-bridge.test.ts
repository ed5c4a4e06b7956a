import { describe, expect, it } from 'vitest';
import { hostPlatform } from '../../host-sim/hal/index.js';
import { XsSession } from '../../host-sim/xs/session.js';

// The bridge must carry HAL semantics into XS: errors keep their type, flash
// state is the host's, and the meter really counts XS work.
describe('XS bridge', () => {
  it('flash, hashing and errors behave inside XS as on the host', async () => {
    const platform = hostPlatform({ p: 8192 });
    const xs = await XsSession.open(`
      import { xsPlatform } from './host-sim/xs/xs-platform.ts';
      import { FlashError } from './hal/flash.ts';
      const p = xsPlatform();
      (globalThis as any).writeTwice = () => {
        const f = p.flash('p');
        f.write(0, Uint8Array.of(1, 2, 3));
        try { f.write(0, Uint8Array.of(0xff)); return 'no error'; }
        catch (e) { return (e instanceof FlashError) + ':' + (e as Error).message; }
      };
      (globalThis as any).hash = () => { const d = p.crypto.sha256(new TextEncoder().encode('abc')).digest(); return d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength); };
      (globalThis as any).spin = (n: number) => { let s = 0; for (let i = 0; i < n; i++) s += i; return s; };
    `, platform);
    try {
      const out = await xs.eval('new TextEncoder().encode(writeTwice()).buffer');
      expect(new TextDecoder().decode(out.result)).toMatch(/^true:flash p: write at 0 would set bits/);
      expect([...platform.regions.get('p')!.read(0, 3)]).toEqual([1, 2, 3]);
      const h = await xs.eval('hash()');
      expect(Buffer.from(h.result).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
      const small = await xs.units('spin(100)');
      const big = await xs.units('spin(10000)');
      expect(big).toBeGreaterThan(small * 50);
      expect(await xs.units('spin(10000)')).toBe(big); // the meter is exact and repeatable
    } finally {
      xs.close();
    }
  });

  it('reports peak heap growth of an evaluation', async () => {
    const xs = await XsSession.open(`(globalThis as any).grow = (n: number) => { const a = []; for (let i = 0; i < n; i++) a.push({ i }); return a.length; };
      (globalThis as any).churn = (n: number) => { let k = 0; for (let i = 0; i < n; i++) k += ({ s: 'x' + i }).s.length; return k; };`, hostPlatform());
    try {
      // Short-lived garbage is collected before the machine grows: it is not peak.
      // (Measured first: XS never shrinks its reserve, and garbage fills free reserve.)
      const churn = await xs.peakHeap('churn(100000)');
      expect(churn.peakHeapBytes).toBeLessThan(32 * 1024);
      const small = await xs.peakHeap('grow(10)');
      const large = await xs.peakHeap('grow(20000)');
      expect(large.peakHeapBytes).toBeGreaterThan(20000 * 16);
      expect(small.peakHeapBytes).toBeLessThan(large.peakHeapBytes / 100);
    } finally {
      xs.close();
    }
  });
});
