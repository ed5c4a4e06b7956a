import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayTrace } from '../../host-sim/device/example-day.js';
import { predictDay } from '../../host-sim/device/example-sim/predict.js';
import { bundleWithModdableFakes } from '../../host-sim/moddable-fakes/bundle.js';
import { XsWorker } from '../../host-sim/xs/worker.js';

// The example charger firmware (examples/charger/main.ts) with roam's device
// Roam class, on the simulated board of its mcsim run (example-sim/board.ts),
// inside XS on the Moddable fakes: the scripted day's trace equals the Node
// simulator's prediction. (test:device runs the same on mcsim.)
describe('the example charger firmware on xsnap', () => {
  let xs: XsWorker;
  beforeAll(async () => {
    xs = new XsWorker();
    await xs.evaluate(await bundleWithModdableFakes(`
import { device } from './host-sim/moddable-fakes/device.ts';
import { startDay } from './host-sim/device/example-sim/board.ts';
import firmware from './examples/charger/main.ts';
import { PINS } from './host-sim/device/example-sim/day.ts';
const g = globalThis as any;
g.lines = [];
g.trace = (s: string) => { for (const l of s.split('\\n')) if (l) g.lines.push(l); };
device.config = {
  charger: { contactor: PINS.contactor, led: PINS.led, plug: PINS.plug },
  roam: { chip: 'esp32', connectors: [{ evse: 'US*ROA*E0001*1', meterPin: PINS.meter }], impulsesPerKWh: 1000,
    rfid: { spi: { port: 2, clock: 18, out: 23, in: 19 }, select: PINS.select, reset: PINS.reset, pollMs: 100, connector: 1 } },
};
g.device = device;
g.start = () => startDay(firmware);
`));
  }, 60_000);
  afterAll(() => xs?.close());

  it('plays the day as the Node simulator predicts it', async () => {
    await xs.evaluate('start(); 0');
    let lines: string[] = [];
    for (let step = 0; step < 2000; step++) {
      // One turn of the fake event loop; promise jobs run when the evaluation returns.
      const r = await xs.evaluate(`device.advance(50); new TextEncoder().encode(JSON.stringify(lines.splice(0))).buffer`);
      lines = lines.concat(JSON.parse(new TextDecoder().decode(r.result)) as string[]);
      if (lines.includes('@day end')) break;
    }
    expect(lines).toContain('@day done');
    expect(lines).toContain('charger: contactor closed');
    const trace = dayTrace(lines);
    expect(trace.filter((l) => l.startsWith('roam: session-ended')).length).toBe(2); // #2 EVDisconnected, #3 Local
    expect(trace).toEqual(dayTrace(await predictDay()));
  }, 120_000);
});
