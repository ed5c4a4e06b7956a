// The Roam class on Node: the portable core (src/charger/roam.ts) opened with
// the host's simulated hardware instead of the ESP32's (hal/moddable/roam.ts):
// a register-level MFRC522 polled by the platform clock, flash and NVS from
// host-sim/hal, any Transport. What the Node simulator predicts a device does.
import type { Platform } from '../../hal/index.js';
import type { Signer } from '../../hal/crypto.js';
import type { EnergyMeter } from '../../hal/meter.js';
import type { Settings } from '../../hal/settings.js';
import type { Transport } from '../../hal/transport.js';
import { Mfrc522, Mfrc522Reader } from '../../hal/moddable/mfrc522.js';
import type { ReaderConfig } from '../../src/auth/index.js';
import { Roam, type RoamCoreOptions, type RoamHooks, type RoamReader } from '../../src/charger/index.js';
import type { Mfrc522Sim } from '../mfrc522/sim.js';

export interface NodeRoamOptions extends Omit<RoamCoreOptions, 'open'> {
  platform: Platform;
  settings: Settings;
  transport: Transport;
  signer: Signer;
  deviceId: string;
  backendKey: Uint8Array;
  /** Omitted: the caller gives readings (Roam.reading). */
  meter?: EnergyMeter;
  /** A simulated MFRC522 on the reader's SPI bus, the connector its taps are for, the poll period (default 100 ms). */
  rfid?: { chip: Mfrc522Sim; connector?: number; pollMs?: number };
  reader?: ReaderConfig;
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
        return {
          platform: o.platform, settings: o.settings, transport: o.transport, signer: o.signer, deviceId: o.deviceId,
          backendKey: o.backendKey, meter: o.meter, readers, reader: o.reader ?? { input: 'bytes', reversed: false },
        };
      },
    }, hooks);
  }
}
