// The Roam class on Node: the portable core (src/charger/roam.ts) opened with
// the host's simulated hardware instead of the ESP32's (hal/moddable/roam.ts):
// a register-level MFRC522 polled by the platform clock, flash and NVS from
// host-sim/hal, any Transport. What the Node simulator predicts a device does.
import { Mfrc522, Mfrc522Reader } from '../../hal/moddable/mfrc522.js';
import { Roam, type RoamCoreOptions, type RoamHooks, type RoamParts, type RoamReader } from '../../src/charger/index.js';
import type { Mfrc522Sim } from '../mfrc522/sim.js';

/** The core's options, and the parts a platform opens (RoamParts), given ready-made, with a simulated reader. */
export interface NodeRoamOptions extends Omit<RoamCoreOptions, 'open'>, Omit<RoamParts, 'readers'> {
  /** A simulated MFRC522 on the reader's SPI bus, the connector its taps are for, the poll period (default 100 ms). */
  rfid?: { chip: Mfrc522Sim; connector?: number; pollMs?: number };
}

export class NodeRoam extends Roam {
  constructor(o: NodeRoamOptions, hooks: RoamHooks = {}) {
    super({
      ...o,
      open: (opened) => {
        const readers: RoamReader[] = [];
        if (o.rfid) {
          const sim = o.rfid.chip;
          const reader = new Mfrc522Reader(new Mfrc522({ spi: sim, select: sim.select, reset: sim.reset }), 'reader0');
          const clock = o.platform.clock;
          const timer = clock.setTimer(o.rfid.pollMs ?? 100, () => reader.poll(), true);
          opened({ close: () => { clock.clearTimer(timer); reader.close(); } });
          readers.push({ reader, connector: o.rfid.connector ?? 1 });
        }
        opened(o.transport);
        return { ...o, readers, reader: o.reader ?? { input: 'bytes', reversed: false } };
      },
    }, hooks);
  }
}
