import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EnergyMeter } from '../../hal/meter.js';
import { nodeCrypto } from '../../host-sim/hal/index.js';
import { MAX_CBOR_INTEGER } from '../../src/codec/index.js';
import {
  decodeCoseSign1, exportOcmf, MAX_METER_WH, readMeter, verifyOcmf, type SessionRecord,
} from '../../src/sessions/index.js';
import type { SessionEnded } from '../../src/sessions/session.js';
import { scanCbor } from '../../src/sync/index.js';
import { DEVICE, Rig } from './rig.js';

// Issue 14, item 1: every integer of a record is a CBOR integer of the shortest
// form up to MAX_METER_WH = 2^53 − 1 Wh, through the whole path: journal append,
// recovery after a reboot, upload to the backend peer, its verification, OCMF
// export. Before, cbor-x wrote a reading ≥ 2^32 Wh as a float64, the journal
// refused to read it back, and the record vanished without a trace.

const OCMF = { gatewayId: 'SEM-ROAM', gatewaySerial: 'C0042', gatewayVersion: '0.1.0' };
const TWO_32 = 2 ** 32;

/** Sets connector 1's register to `wh` (a register only grows: wh ≥ the present reading). */
function setMeter(r: Rig, wh: number, connector = 1): void {
  const now = r.meter.readWh(connector);
  r.meter.deliver(connector, wh - now); // exact: both are integers ≤ 2^53 − 1
  expect(r.meter.readWh(connector)).toBe(wh);
}

/** One session on `connector` from reading `start` to `stop`; returns the seq unplug gave. */
async function session(r: Rig, card: string, start: number, stop: number, connector = 1): Promise<number | undefined> {
  setMeter(r, start, connector);
  expect((await r.charger.tap(card, connector)).accept).toBe(true);
  r.charger.plugIn(connector);
  r.charger.startCharging(connector);
  r.platform.clock.advance(30 * 60_000);
  setMeter(r, stop, connector);
  const seq = r.charger.unplug(connector);
  r.platform.clock.advance(10 * 60_000); // past the re-tap guard
  return seq;
}

/** Every record's payload: no float, every integer in its shortest form (the sync scanner refuses anything else). */
function expectIntegerCbor(cose: Uint8Array): void {
  const payload = decodeCoseSign1(cose).payload;
  expect(() => scanCbor(payload, { maxDepth: 3, maxItems: 64 })).not.toThrow();
}

describe('meter readings from 0 to 2^53 − 1 Wh: journal, reboot, upload, backend, OCMF', () => {
  it('the reproduction of issue 14: a 5,000,000,000 Wh register gives a record that is read back, uploaded and verified; no gap', async () => {
    const r = new Rig({ online: false });
    const seq = await session(r, r.member(0), 5_000_000_000, 5_000_012_345);
    expect(seq).toBe(1);
    r.run(); // signed in the background
    const j = r.charger.journal;
    expect([j.lastSeq, j.depth, j.unsigned, j.refused]).toEqual([1, 1, 0, 0]);
    expect(j.payloadsFrom(1)).toHaveLength(1); // was: nothing
    expect(j.readFrom(1, Infinity).map((x) => x.seq)).toEqual([1]); // was: nothing
    expect(await session(r, r.member(1), 5_000_020_000, 5_000_030_000)).toBe(2);
    const boot = r.reboot();
    expect(boot.recovery).toMatchObject({ records: 2, lastSeq: 2, corruptEntries: 0 });
    r.transport.setOnline(true);
    r.run();
    expect(r.backend.records.report(DEVICE)).toMatchObject({ stored: 2, verified: 2, gaps: [], problems: [] }); // was: gaps [1]
    expect(r.charger.journal.ackedSeq).toBe(2);
    const rec = r.backend.records.records(DEVICE)[0].verified!.record;
    expect([rec.meterStartWh, rec.meterStopWh, rec.energyWh]).toEqual([5_000_000_000, 5_000_012_345, 12_345]);
  });

  it('property: any readings up to 2^53 − 1 Wh, the boundaries among them, arrive intact everywhere', async () => {
    expect(MAX_METER_WH).toBe(MAX_CBOR_INTEGER);
    expect(MAX_METER_WH).toBe(2 ** 53 - 1);
    const boundaries = [0, TWO_32 - 1, TWO_32, 2 ** 40, MAX_METER_WH];
    const reading = fc.oneof(fc.constantFrom(...boundaries), fc.integer({ min: 0, max: MAX_METER_WH }), fc.integer({ min: TWO_32 - 3, max: TWO_32 + 3 }));
    // 1..3 sessions on connector 1: the register only grows, so the readings are sorted.
    const sessions = fc.array(reading, { minLength: 2, maxLength: 6 })
      .map((v) => [...v].sort((a, b) => a - b))
      .map((v) => Array.from({ length: v.length >> 1 }, (_, i) => [v[2 * i], v[2 * i + 1]] as [number, number]));
    // Every boundary at least once, as a start and as a stop, whatever the random runs draw.
    const examples: Array<[Array<[number, number]>]> = [
      [[[0, 0], [0, TWO_32 - 1], [TWO_32 - 1, TWO_32]]],
      [[[TWO_32, 2 ** 40], [2 ** 40, MAX_METER_WH]]],
      [[[MAX_METER_WH, MAX_METER_WH]]],
      [[[0, MAX_METER_WH]]],
    ];
    await fc.assert(fc.asyncProperty(sessions, async (pairs) => {
      const r = new Rig({ online: false });
      for (let i = 0; i < pairs.length; i++) expect(await session(r, r.member(i), pairs[i][0], pairs[i][1])).toBe(i + 1);
      const expected = pairs.map(([a, b]) => [a, b, b - a]);
      const readings = (recs: SessionRecord[]) => recs.map((x) => [x.meterStartWh, x.meterStopWh, x.energyWh]);
      expect(readings(r.records())).toEqual(expected); // journal append
      r.run();
      const boot = r.reboot(); // recovery after a reboot
      expect(boot.recovery).toMatchObject({ records: pairs.length, lastSeq: pairs.length, corruptEntries: 0 });
      expect(r.charger.journal.refused).toBe(0);
      expect(readings(r.records())).toEqual(expected);
      r.transport.setOnline(true); // upload to the backend peer, which verifies signature and chain
      r.run();
      expect(r.backend.records.report(DEVICE)).toMatchObject({ stored: pairs.length, verified: pairs.length, gaps: [], problems: [] });
      expect(r.charger.journal.ackedSeq).toBe(pairs.length);
      const stored = r.backend.records.records(DEVICE);
      for (const s of stored) expectIntegerCbor(s.bytes);
      expect(readings(stored.map((s) => s.verified!.record))).toEqual(expected);
      for (const s of stored) { // OCMF export of what the backend verified, checked by verifyOcmf
        const rec = s.verified!.record;
        const ocmf = exportOcmf(rec, r.deviceKey, OCMF);
        const payload = verifyOcmf(ocmf, r.deviceKey.publicKey, nodeCrypto) as { RD: Array<{ RV: number; ST: string }> };
        expect(payload.RD.map((x) => [x.RV, x.ST])).toEqual([[rec.meterStartWh, 'G'], [rec.meterStopWh, 'G']]);
        // The JSON number is the exact integer (OCMF RV: "the representation must not be transformed").
        expect(ocmf).toContain(`"RV":${rec.meterStartWh},`);
        expect(ocmf).toContain(`"RV":${rec.meterStopWh},`);
      }
    }), { numRuns: 12, examples });
  }, 120_000);
});

describe('a reading beyond 2^53 − 1 Wh, or no valid reading at all, is refused at the meter boundary', () => {
  it('readMeter: whole Wh up to the maximum; a fraction truncated; above it O; NaN, negative, non-numbers and a failing meter F', () => {
    const meter = (v: unknown): EnergyMeter => ({ readWh: () => { if (v instanceof Error) throw v; return v as number; } });
    expect(readMeter(meter(0), 1)).toEqual({ wh: 0 });
    expect(readMeter(meter(MAX_METER_WH), 1)).toEqual({ wh: MAX_METER_WH });
    expect(readMeter(meter(1234.75), 1)).toEqual({ wh: 1234 });
    for (const v of [MAX_METER_WH + 1, 2 ** 60, Infinity]) {
      const got = readMeter(meter(v), 1);
      expect(got.wh).toBe('O');
      expect(got.error).toMatch(/above the largest a record holds \(9007199254740991 Wh, 2\^53 − 1\): refused, recorded as O/);
    }
    for (const v of [NaN, -1, '12', undefined, new Error('Modbus timeout')]) {
      const got = readMeter(meter(v), 2);
      expect(got.wh, String(v)).toBe('F');
      expect(got.error).toMatch(/^connector 2: /);
    }
    expect(readMeter(meter(new Error('Modbus timeout')), 2).error).toContain('Modbus timeout');
  });

  it('a stop reading past the maximum: the session is closed and recorded with O in its place, energy unknown; uploaded, verified, exported', async () => {
    const events: SessionEnded[] = [];
    const r = new Rig({ online: false, extra: { hooks: { onSessionEnded: (e) => events.push(e) } } });
    expect(await session(r, r.member(0), MAX_METER_WH - 500, MAX_METER_WH + 1)).toBe(1); // 2^53: not a safe integer
    expect(events.at(-1)).toMatchObject({ connector: 1, reason: 'EVDisconnected', seq: 1 });
    expect(events.at(-1)!.meterError).toMatch(/meter reading 9007199254740992 Wh is above the largest a record holds/);
    expect(r.charger.status().connectors[0].state).toBe('idle');
    expect(r.records().map((x) => [x.meterStartWh, x.meterStopWh, x.energyWh])).toEqual([[MAX_METER_WH - 500, 'O', null]]);
    r.reboot();
    r.transport.setOnline(true);
    r.run();
    expect(r.backend.records.report(DEVICE)).toMatchObject({ stored: 1, verified: 1, gaps: [], problems: [] });
    const rec = r.backend.records.records(DEVICE)[0].verified!.record;
    expect([rec.meterStartWh, rec.meterStopWh, rec.energyWh]).toEqual([MAX_METER_WH - 500, 'O', null]);
    const payload = verifyOcmf(exportOcmf(rec, r.deviceKey, OCMF), r.deviceKey.publicKey, nodeCrypto) as { RD: unknown[] };
    // OCMF Table 7: RV, RI, RU, RT "can be omitted if only the occurrence of an error condition (event)
    // of the meter is to be indicated"; EF "E – Energy" no longer usable; ST (Table 10) "O OUT_OF_RANGE".
    expect(payload.RD[1]).toEqual({ TM: expect.any(String), TX: 'E', EF: 'E', ST: 'O' });
    expect(payload.RD[0]).toMatchObject({ TX: 'B', RV: MAX_METER_WH - 500, ST: 'G' });
  });

  it('a start reading past the maximum, a meter that fails at the stop: both recorded by status, never as a number', async () => {
    const events: SessionEnded[] = [];
    const r = new Rig({ online: false, extra: { hooks: { onSessionEnded: (e) => events.push(e) } } });
    expect(await session(r, r.member(0), 2 ** 60, 2 ** 60 + 4096)).toBe(1);
    expect(r.records().map((x) => [x.meterStartWh, x.meterStopWh, x.energyWh])).toEqual([['O', 'O', null]]);
    expect(events.at(-1)!.meterError).toMatch(/^connector 1: meter reading 1152921504606847000 Wh is above .*; connector 1: meter reading \d+ Wh is above/); // the start's, then the stop's
    // A meter that throws at the stop (hal/moddable RegisterMeter throws MeterError for a register that goes back).
    const failing = new Rig({ online: false, extra: { hooks: { onSessionEnded: (e) => events.push(e) } } });
    setMeter(failing, 1000);
    expect((await failing.charger.tap(failing.member(0), 1)).accept).toBe(true);
    failing.charger.plugIn(1);
    const readWh = failing.meter.readWh.bind(failing.meter);
    failing.meter.readWh = () => { throw new Error('meter of connector 1 went back from 1000 to 3 Wh'); };
    expect(failing.charger.unplug(1)).toBe(1);
    failing.meter.readWh = readWh;
    expect(failing.records().map((x) => [x.meterStartWh, x.meterStopWh, x.energyWh])).toEqual([[1000, 'F', null]]);
    expect(events.at(-1)!.meterError).toMatch(/the meter failed \(meter of connector 1 went back from 1000 to 3 Wh\)/);
  });

  it('a power cut: the PowerLoss close at boot refuses a reading past the maximum the same way', async () => {
    const r = new Rig({ online: false });
    setMeter(r, 100);
    expect((await r.charger.tap(r.member(0), 1)).accept).toBe(true);
    r.charger.plugIn(1);
    r.charger.startCharging(1);
    setMeter(r, MAX_METER_WH + 1);
    const boot = r.reboot();
    expect(boot.powerLossRecords).toEqual([1]);
    expect(r.records().map((x) => [x.stopReason, x.meterStartWh, x.meterStopWh, x.energyWh])).toEqual([['PowerLoss', 100, 'O', null]]);
  });

  it('an energy cap cannot be kept without readings: a refused one ends the session (EnergyLimitReached), recorded by status', async () => {
    const r = new Rig({ online: false });
    setMeter(r, 100);
    expect((await r.charger.tap(r.member(0), 1)).accept).toBe(true);
    r.charger.plugIn(1);
    r.charger.sessions.limitEnergy(1, 1_000_000);
    setMeter(r, MAX_METER_WH + 1);
    expect(r.charger.sessions.poll()).toEqual([1]);
    expect(r.records().map((x) => [x.stopReason, x.meterStartWh, x.meterStopWh])).toEqual([['EnergyLimitReached', 100, 'O']]);
  });
});
