import { describe, expect, it } from 'vitest';
import { compareDay, dayTrace } from '../../host-sim/device/example-day.js';
import { predictDay } from '../../host-sim/device/example-sim/predict.js';

// The example charger's scripted day as the Node simulator predicts it
// (test:device compares mcsim's run of examples/charger with this), and the
// comparison's own rules.
describe('example charger: the day predicted on Node', () => {
  it('boots, charges offline, survives a power cut (PowerLoss record), follows the link, stops by card', async () => {
    const t = dayTrace(await predictDay());
    const roam = t.filter((l) => l.startsWith('roam: ')).map((l) => l.slice(6));
    expect(roam).toEqual([
      'boot example-cp-1: list v0, local list v0, closed by power loss []',
      'link-up',
      'link-down',
      'decision 1 start Accepted offline 04A2B3C4D5E680',
      'session-started 1 c1.1 04A2B3C4D5E680 0 Wh offline',
      // The S0 counter starts again at power-on: the session the cut ended is closed from its last reading.
      'boot example-cp-1: list v0, local list v0, closed by power loss [#1]',
      // The cable was still in: the accepted tap starts the session at once.
      'session-started 1 c1.1 04A2B3C4D5E680 0 Wh offline',
      'decision 1 start Accepted offline 04A2B3C4D5E680',
      'session-ended 1 EVDisconnected #2',
      'link-up',
      'decision 1 start Accepted offline 04112233445566',
      'session-started 1 c1.2 04112233445566 30 Wh offline',
      'session-ended 1 Local #3',
      'decision 1 stop Accepted offline 04112233445566',
    ]);
    expect(t[0]).toBe('roam: boot example-cp-1: list v0, local list v0, closed by power loss []');
    expect(t.at(-1)).toBe('@day day over');
  });

  it('compares line by line, names the first difference, and needs the device to finish', () => {
    const predicted = ['@day boot', 'roam: link-up', '@day day over'];
    expect(compareDay(predicted, ['noise', ...predicted, 'charger: contactor open', '@day done', '@day end']).ok).toBe(true);
    expect(compareDay(predicted, [...predicted])).toMatchObject({ ok: false, finished: false });
    expect(compareDay(predicted, ['@day boot', 'roam: link-down', '@day day over', '@day done', '@day end']).firstDifference)
      .toEqual({ line: 2, node: 'roam: link-up', device: 'roam: link-down' });
    expect(compareDay(predicted, [...predicted, '@day error TypeError: x', '@day end']).ok).toBe(false);
  });
});
