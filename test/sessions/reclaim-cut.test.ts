import { describe, expect, it } from 'vitest';
import { PowerCut, PowerSwitch, SimFlash } from '../../host-sim/hal/index.js';
import { facts, openJournal } from './helpers.js';

// Reclaiming a sector erases records that were acknowledged. If the only
// persisted acknowledgement lives in that sector, a cut in the middle of the
// erase must not bring its surviving records back as unsent: the journal
// writes a fresh acknowledgement elsewhere first.
describe('journal: a cut while reclaiming a sector', () => {
  for (const tornErase of ['start', 'end'] as const) {
    it(`never moves the acknowledged position back (erase torn from the ${tornErase})`, () => {
      for (let cut = 1; cut <= 4; cut++) {
        const power = new PowerSwitch();
        const flash = new SimFlash('journal', 16 * 1024, { power, tornErase, tornLength: (n) => n >> 1 });
        const j = openJournal(flash);
        const headerOfSector1 = () => flash.raw.subarray(4096, 4108).some((b) => b !== 0xff);
        // Fill sector 0 with acknowledged records (their acks land in sector 0 too);
        // the record that opens sector 1 stays unacknowledged.
        for (let i = 0; !headerOfSector1(); i++) {
          j.append(facts(i));
          j.signPending();
          if (!headerOfSector1()) j.acknowledge(j.lastSeq);
        }
        const acked = j.ackedSeq;
        expect(acked).toBeGreaterThan(3);
        // Reboot: recovery reclaims sector 0. Cut the power at one of its writes.
        power.cutAtWrite(cut);
        try {
          openJournal(flash);
        } catch (e) {
          if (!(e instanceof PowerCut)) throw e;
        }
        power.restore();
        const again = openJournal(flash);
        expect(again.ackedSeq, `cut at write ${cut}`).toBeGreaterThanOrEqual(acked);
        expect(again.lastSeq).toBe(acked + 1);
      }
    });
  }
});
