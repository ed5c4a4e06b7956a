import { hostPlatform, NodeSigner, nodeCrypto } from '../host-sim/hal/index.js';
import { XsSession } from '../host-sim/xs/session.js';
import { Journal, type SessionFacts } from '../src/sessions/index.js';
import { SEAL_BYTES } from '../src/sessions/journal-seal.js';
import { problems, runDay, scriptDay } from '../test/sessions/day.js';
import type { Bench } from './figure.js';

// The record journal's figures: how many signed records a MiB holds, what an
// append, an ES256 signature in pure JS, sealing a closed sector, and the
// boot-time recovery of a full 1 MiB journal cost on XS (sealed, as the
// device's background step leaves it, and with every seal erased: a journal
// of the first format, or one whose seals all failed); and (full run)
// power-cut torture of a longer day.
const DEVICE = 'US*SEM*C0042';
const MIB = 1 << 20;

// A typical roaming session: 7-byte UID, partner, no group, 14-character EVSE id.
const FACTS = `(i) => ({
  evseId: 'US*SEM*E0042*' + (1 + (i % 2)), uid: '04A2B3C4D5' + (0x100000 + i).toString(16).toUpperCase().slice(-4),
  partner: { id: 3, countryCode: 'US', partyId: 'BLK' }, method: i % 2 ? 'WHITELIST' : 'AUTH_REQUEST', offline: i % 3 === 0,
  start: { seconds: 1767225600 + 3600 * i, quality: 'S' }, stop: { seconds: 1767225600 + 3600 * i + 2400, quality: 'S' },
  meterStartWh: 1200000 + 9000 * i, meterStopWh: 1207000 + 9000 * i + (i % 900), stopReason: 'Local',
})`;
const facts = new Function(`return ${FACTS}`)() as (i: number) => SessionFacts;

const ENTRY = `
import { xsPlatform } from './host-sim/xs/xs-platform.ts';
import { Journal } from './src/sessions/index.ts';
import { nobleSigner, SCENARIO_KEY } from './test/sessions/noble-signer.ts';
const p = xsPlatform();
const signer = nobleSigner(SCENARIO_KEY);
const facts = ${FACTS};
const g = globalThis as any;
let i = 0;
g.open = (name: string) => { g.j = new Journal(p.flash(name), { crypto: p.crypto, deviceId: '${DEVICE}', signer }); return g.j; };
g.recover = () => g.j.recover();
g.append = () => g.j.append(facts(i++));
g.background = () => { g.j.signPending(); g.j.maintain(); };
g.sign = () => { g.j.signPending(); };
g.maintain = () => { g.j.maintain(); };
`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const bench: Bench = async ({ quick, log }) => {
  const size = quick ? 64 * 1024 : MIB;
  const platform = hostPlatform({ full: size, journal: size, unsealed: size });
  // Fill one region to 'full' on the host (same format, the node:crypto key): the count is the capacity.
  const full = new Journal(platform.regions.get('full')!, { crypto: nodeCrypto, deviceId: DEVICE, signer: new NodeSigner(new Uint8Array(32).fill(3)) });
  full.recover();
  let n = 0;
  // The device's background step (Background.turn) after each append: sign, maintain (which seals closed sectors).
  while (full.status !== 'full') {
    full.append(facts(n++));
    full.signPending();
    full.maintain();
  }
  for (let k = 0; k < 4; k++) full.maintain();
  // The same journal with every seal place erased: recovery walks every sector.
  const unsealed = platform.regions.get('unsealed')!;
  unsealed.raw.set(platform.regions.get('full')!.raw);
  for (let s = 1; s * unsealed.blockSize <= size; s++) unsealed.raw.fill(0xff, s * unsealed.blockSize - SEAL_BYTES, s * unsealed.blockSize);
  log(`${n} signed records fill ${size / 1024} KiB`);

  const xs = await XsSession.open(ENTRY, platform);
  try {
    // Mapped flash is address space on a device, not heap: map it before measuring.
    await xs.eval(`open('full').flash.map(), void 0`);
    const recovery = await xs.peakHeap('recover()');
    const recoveryUnits = await xs.units('recover()');
    await xs.eval(`open('unsealed').flash.map(), void 0`);
    const unsealedUnits = await xs.units('recover()');
    await xs.eval(`open('journal'); recover()`);
    const appends: number[] = [];
    const signs: number[] = [];
    const maintains: number[] = [];
    const samples = quick ? 8 : 60;
    for (let k = 0; k < samples; k++) {
      appends.push(await xs.units('append()'));
      if (k < (quick ? 2 : 5)) signs.push(await xs.units('j.signPending(1)'));
      await xs.eval('sign()');
      maintains.push(await xs.units('maintain()'));
    }
    log(`append units: min ${Math.min(...appends)} median ${median(appends)} max ${Math.max(...appends)}`);
    const figures = [
      { name: 'journal.records_per_mib', value: Math.floor((n * MIB) / size), unit: `signed records per MiB (${quick ? 'from 64 KiB' : 'measured on 1 MiB'})` },
      { name: 'journal.append_xs_units', value: median(appends), unit: 'XS units (median append, unsigned, off a pre-erased sector)' },
      { name: 'journal.append_xs_units_max', value: Math.max(...appends), unit: 'XS units (slowest append: opens a sector)' },
      { name: 'records.sign_xs_units', value: Math.round(signs.reduce((a, b) => a + b, 0) / signs.length), unit: 'XS units (one ES256 signature in pure JS, @noble/curves, incl. Sig_structure and flash write)' },
      { name: 'journal.recovery_xs_units', value: recoveryUnits, unit: `XS units (boot scan of a full ${size / 1024} KiB journal, ${n} records, closed sectors sealed)` },
      { name: 'journal.recovery_unsealed_xs_units', value: unsealedUnits, unit: `XS units (the same journal with every seal erased: each sector walked entry by entry)` },
      { name: 'journal.maintain_xs_units_max', value: Math.max(...maintains), unit: 'XS units (slowest background maintain(): seals a closed sector)' },
      { name: 'journal.recovery_xs_peak_bytes', value: recovery.peakHeapBytes, unit: 'bytes (XS heap growth during that recovery)' },
    ];
    if (!quick) {
      const steps = scriptDay(150, 4);
      const clean = runDay(steps, [], 12 * 1024, 1024);
      let bad = problems(clean, 'clean').length;
      for (let w = 1; w <= clean.writes; w++) bad += problems(runDay(steps, [w], 12 * 1024, 1024), `cut ${w}`).length;
      log(`torture: 150 sessions, cut at each of ${clean.writes} writes`);
      figures.push({ name: 'journal.torture_cut_runs', value: clean.writes, unit: 'runs of a 150-session day, one per write cut' });
      figures.push({ name: 'journal.torture_problems', value: bad, unit: 'records lost, duplicated or unbootable states' });
    }
    return figures;
  } finally {
    xs.close();
  }
};
export default bench;
