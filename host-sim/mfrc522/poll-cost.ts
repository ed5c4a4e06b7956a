// What an empty MFRC522 poll (no card in the field) costs the JavaScript
// thread, for a receive timeout: SPI transfers, the time the thread spends in
// the poll, and XS meter units. Usage: npx tsx host-sim/mfrc522/poll-cost.ts
// [--transfer-us N] [--timeouts 25,1]. Exit codes: 0 printed, 2 bad usage.
//
// Model: hal/moddable/mfrc522.ts drives the register-level simulator, whose
// timer runs out (receive timeout) on a clock that advances by the cost of
// each SPI transfer call (--transfer-us, default 50 µs: an ECMA-419 SPI
// transfer of 2 bytes at 4 MHz is 4 µs on the wire plus the call). The
// driver spins reading ComIrq until the chip's timer fires, so the thread is
// busy for about the receive timeout: 25 ms per poll at the chip's usual
// setting (a quarter of the thread at 10 Hz), 1 ms at roam's.
import { parseArgs } from 'node:util';
import { bundleForXs } from '../xs/bundle.js';
import { XsWorker } from '../xs/worker.js';
import { Mfrc522, Mfrc522Reader } from '../../hal/moddable/mfrc522.js';
import { Mfrc522Sim } from './sim.js';

export interface PollCost { timeoutMs: number; transfers: number; threadMs: number }

/** One empty poll on Node with the clock model: transfers and thread time. */
export function emptyPoll(timeoutMs: number, transferUs: number): PollCost {
  let t = 0;
  const sim = new Mfrc522Sim({ now: () => t });
  let transfers = 0;
  const spi = { transfer: (b: Uint8Array) => { transfers++; t += transferUs / 1000; sim.transfer(b); } };
  const chip = new Mfrc522({ spi, select: sim.select, reset: sim.reset, now: () => t, receiveTimeout: timeoutMs });
  const reader = new Mfrc522Reader(chip);
  reader.poll(); // the first poll after reset
  transfers = 0;
  const start = t;
  reader.poll();
  return { timeoutMs, transfers, threadMs: t - start };
}

const XS_ENTRY = `
import { Mfrc522, Mfrc522Reader } from './hal/moddable/mfrc522.ts';
import { Mfrc522Sim } from './host-sim/mfrc522/sim.ts';
(globalThis as any).rig = (timeoutMs: number, transferUs: number) => {
  let t = 0;
  const sim = new Mfrc522Sim({ now: () => t });
  const spi = { transfer: (b: Uint8Array) => { t += transferUs / 1000; sim.transfer(b); } };
  const reader = new Mfrc522Reader(new Mfrc522({ spi, select: sim.select, reset: sim.reset, now: () => t, receiveTimeout: timeoutMs }));
  reader.poll();
  return reader;
};
`;

/** XS meter units of `polls` empty polls (driver and register simulator together), per poll. */
export async function xsUnitsPerPoll(timeoutMs: number, transferUs: number, polls = 10): Promise<number> {
  const xs = new XsWorker();
  try {
    await xs.evaluate(await bundleForXs(XS_ENTRY));
    await xs.evaluate(`globalThis.r = rig(${timeoutMs}, ${transferUs}); 0`);
    const r = await xs.evaluate(`for (let i = 0; i < ${polls}; i++) globalThis.r.poll(); 0`);
    return Math.round(r.meter.compute / polls);
  } finally {
    xs.close();
  }
}

async function main(argv: string[]): Promise<number> {
  let values: { 'transfer-us'?: string; timeouts?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { 'transfer-us': { type: 'string' }, timeouts: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (e) {
    console.error(`poll-cost: ${(e as Error).message}`);
    return 2;
  }
  if (values.help) {
    console.log('usage: npx tsx host-sim/mfrc522/poll-cost.ts [--transfer-us N] [--timeouts 25,1]\nExit codes: 0 printed, 2 bad usage.');
    return 0;
  }
  const transferUs = Number(values['transfer-us'] ?? 50);
  const timeouts = (values.timeouts ?? '25,1').split(',').map(Number);
  if (!(transferUs > 0) || timeouts.some((x) => !Number.isInteger(x) || x < 1 || x > 25)) {
    console.error('poll-cost: --transfer-us must be > 0 and --timeouts integers of 1..25');
    return 2;
  }
  console.log(`empty MFRC522 poll, ${transferUs} µs per SPI transfer call (model), 10 Hz polling:`);
  for (const ms of timeouts) {
    const c = emptyPoll(ms, transferUs);
    const units = await xsUnitsPerPoll(ms, transferUs);
    console.log(`  receive timeout ${String(ms).padStart(2)} ms: ${c.transfers} SPI transfers, ${c.threadMs.toFixed(2)} ms of the JS thread (${(c.threadMs / 100 * 100).toFixed(1)} % at 10 Hz), ${units.toLocaleString('en-US')} XS units (driver + simulator)`);
  }
  return 0;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href)
  main(process.argv.slice(2)).then((code) => process.exit(code), (e: Error) => { console.error(`poll-cost: ${e.message}`); process.exit(1); });
