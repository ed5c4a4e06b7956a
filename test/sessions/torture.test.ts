import { describe, expect, it } from 'vitest';
import { problems, runDay, scriptDay, type DayResult } from './day.js';

// Power-cut torture: the scripted day is run once to count its writes, then
// once per write with the power cut at that write (and once more with a second
// cut soon after the reboot, to hit recovery's own writes). Every run must
// boot, finish the day, and leave the backend with one gap-free verified chain
// in which every session appears as its fate says.
const SESSIONS = 60;
const JOURNAL = 8 * 1024; // 8 sectors of 1 KiB: the ring wraps several times in a day
const BLOCK = 1024;
const steps = scriptDay(SESSIONS);

function check(r: DayResult, label: string): void {
  expect(problems(r, label)).toEqual([]);
}

describe('power-cut torture', () => {
  const clean = runDay(steps, [], JOURNAL, BLOCK);
  const writes = clean.writes;

  it('the uninterrupted day records every plugged-in session once, with its reason', () => {
    check(clean, 'no cut');
    expect(clean.cuts).toBe(0);
    const reasons = new Set([...clean.backend.records.values()].map((v) => v.record.stopReason));
    expect([...reasons].sort()).toEqual(['DeAuthorized', 'EVDisconnected', 'EnergyLimitReached', 'GroupCard', 'Local']);
    expect(clean.backend.records.size).toBe(clean.fate.filter((f) => f !== 'none').length);
    expect(writes).toBeGreaterThan(200);
    // The ring went round: some sector header carries a counter past the sector count.
    const raw = clean.device.flash.raw;
    let maxCounter = 0;
    for (let s = 0; s < JOURNAL / BLOCK; s++) if (raw[s * BLOCK] === 0x52) maxCounter = Math.max(maxCounter, new DataView(raw.buffer).getUint32(s * BLOCK + 4, true));
    expect(maxCounter).toBeGreaterThan(JOURNAL / BLOCK);
  });

  it(`a cut at every write (${writes} runs): nothing lost, nothing duplicated, always bootable`, () => {
    let powerLoss = 0;
    for (let w = 1; w <= writes; w++) {
      const r = runDay(steps, [w], JOURNAL, BLOCK);
      expect(r.cuts, `cut at ${w}`).toBe(1);
      check(r, `cut at write ${w}`);
      powerLoss += [...r.backend.records.values()].filter((v) => v.record.stopReason === 'PowerLoss').length;
    }
    expect(powerLoss).toBeGreaterThan(0); // some cuts did interrupt a transaction
  });

  it('a second cut during the reboot that follows each cut', () => {
    for (let w = 1; w <= writes; w++) {
      const r = runDay(steps, [w, 1 + (w % 4)], JOURNAL, BLOCK);
      if (w < writes - 8) expect(r.cuts, `cuts at ${w}`).toBe(2);
      check(r, `cuts at write ${w} then ${1 + (w % 4)}`);
    }
  });
});
