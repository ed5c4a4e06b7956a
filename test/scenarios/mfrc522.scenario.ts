import { Mfrc522, Mfrc522Reader } from '../../hal/moddable/mfrc522.js';
import { Mfrc522Sim } from '../../host-sim/mfrc522/sim.js';
import type { Scenario } from './scenario.js';

// The MFRC522 driver against the register-level simulator: cards of each UID
// length, a card left on the reader, two cards at once, a card pulled mid-read.
// Output: every tap's UID, length-prefixed, in order.
const scenario: Scenario = {
  name: 'mfrc522',
  partitions: {},
  seed: 7,
  run(p) {
    const sim = new Mfrc522Sim();
    const reader = new Mfrc522Reader(new Mfrc522({ spi: sim, select: sim.select, reset: sim.reset }), 'r0');
    const out: number[] = [];
    reader.onTap = (t) => out.push(t.uid.length, ...t.uid);
    const uid = (n: number) => {
      const u = p.random.bytes(n);
      if (u[n === 4 ? 0 : n === 7 ? 3 : 6] === 0x88) u[n === 4 ? 0 : n === 7 ? 3 : 6] = 0x87;
      return u;
    };
    const away = () => { sim.remove(); reader.poll(); reader.poll(); };
    for (const n of [4, 7, 10, 4, 7, 10]) {
      sim.present({ uid: uid(n) });
      for (let i = 0; i < 3; i++) reader.poll();
      away();
    }
    sim.present({ uid: uid(7) });
    sim.present({ uid: uid(10) });
    reader.poll();
    away();
    sim.present({ uid: uid(10), leaveAfterFrames: 4 });
    reader.poll();
    away();
    out.push(0xff, sim.frames.length & 0xff);
    return Uint8Array.from(out);
  },
};
export default scenario;
