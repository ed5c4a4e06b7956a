import { describe, expect, it } from 'vitest';
import { duration, Progress, progressLine, progressWanted } from '../../host-sim/progress.js';

describe('progress line (fuzz, fleet, bench)', () => {
  it('says done/total, percent, rate and time left', () => {
    expect(progressLine('fuzz tokens.image', 25_000, 100_000, 10_000, 'cases')).toBe('fuzz tokens.image  25,000/100,000 cases (25 %)  2,500/s  ~30 s left');
    expect(progressLine('bench', 1, 6, 60_000, 'files')).toBe('bench  1/6 files (16 %)  0.02/s  ~5 min 00 s left');
    // Nothing done yet, or too soon to tell: no rate, no guess.
    expect(progressLine('fleet: connecting', 0, 300, 2000)).toBe('fleet: connecting  0/300 (0 %)');
    expect(progressLine('x', 10, 300, 100)).toBe('x  10/300 (3 %)');
    // Done: no time left shown.
    expect(progressLine('x', 300, 300, 3000, '', 'note')).toBe('x  300/300 (100 %)  100/s  note');
  });

  it('durations', () => {
    expect([duration(0.4), duration(59), duration(61), duration(3 * 3600 + 125), duration(Infinity)]).toEqual(['0 s', '59 s', '1 min 01 s', '3 h 02 min', '?']);
  });

  it('draws on a terminal only, in place, and clears itself', () => {
    let t = 0;
    const written: string[] = [];
    const tty = { isTTY: true, columns: 200, write: (s: string) => written.push(s) };
    const p = new Progress('work', 10, { stream: tty, enabled: true, now: () => t, everyMs: 100 });
    p.update(1);
    t = 50;
    p.update(2); // too soon: not drawn
    t = 1000;
    p.update(5);
    p.end();
    expect(written).toEqual(['\r\x1b[Kwork  1/10 (10 %)', '\r\x1b[Kwork  5/10 (50 %)  5.00/s  ~1 s left', '\r\x1b[K']);

    const quiet: string[] = [];
    const pipe = { isTTY: false, write: (s: string) => quiet.push(s) };
    const q = new Progress('work', 10, { stream: pipe });
    q.update(5);
    q.end();
    expect(quiet).toEqual([]);
  });

  it('is quiet in CI even on a terminal', () => {
    const ci = process.env.CI;
    try {
      process.env.CI = '1';
      expect(progressWanted({ isTTY: true })).toBe(false);
      delete process.env.CI;
      expect(progressWanted({ isTTY: true })).toBe(true);
      expect(progressWanted({ isTTY: false })).toBe(false);
    } finally {
      if (ci === undefined) delete process.env.CI;
      else process.env.CI = ci;
    }
  });
});
