// The simulated board the example charger firmware runs on in mcsim (bundled
// by test:device into the module `roam-sim-board`): the fake ECMA-419 Digital
// and SPI, Moddable's flash and mqtt as host-sim/moddable-fakes gives them,
// an MFRC522 simulator on the SPI bus, and the scripted day (day.ts) driving
// it. The firmware (examples/charger/main.ts) and roam's Roam class
// (hal/moddable/roam.ts) are the modules mcconfig built; only what mcsim
// lacks (GPIO, SPI, flash partitions) and the broker are simulated here.
import Preference from 'preference';
import Timer from 'timer';
import { device } from '../../moddable-fakes/device.js';
import Digital from '../../moddable-fakes/embedded-io-digital.js';
import SPI from '../../moddable-fakes/embedded-io-spi.js';
import Flash from '../../moddable-fakes/flash.js';
import Client, { broker } from '../../moddable-fakes/mqtt.js';
import { Mfrc522Sim } from '../../mfrc522/sim.js';
import { installTextGlobals } from '../../../hal/moddable/globals.js';
import { PreferenceSettings } from '../../../hal/moddable/settings.js';
import { SettingKeys } from '../../../hal/moddable/settings-keys.js';
import { BACKEND_PUB, DAY_SETTINGS, DEVICE_ID, DEVICE_KEY, DEVICE_PUB, PINS, runDay, unhex, type DayBoard } from './day.js';
import { DAY_PARTITIONS } from './partitions.js';

export { Digital, Flash, SPI };

/** Provisions NVS and the partitions as `roam provision` and a fresh flash would, boots the firmware, and runs the day. */
export function startDay(firmware: () => { close(): void }): void {
  try {
    boot(firmware);
  } catch (e) {
    trace(`@day error ${(e as Error)?.name}: ${(e as Error)?.message}\n`);
    trace('@day end\n');
  }
}

function boot(firmware: () => { close(): void }): void {
  installTextGlobals(); // NVS strings are encoded before the firmware's Roam would install them
  for (const key of Preference.keys('roam')) Preference.delete('roam', key); // mcsim keeps NVS between runs
  const nvs = new PreferenceSettings('roam');
  nvs.set(SettingKeys.deviceId, DEVICE_ID);
  nvs.set(SettingKeys.broker, 'mqtt://broker.sim');
  nvs.set(SettingKeys.backendKey, unhex(BACKEND_PUB));
  nvs.set(SettingKeys.deviceKey, unhex(DEVICE_KEY));
  nvs.set(SettingKeys.devicePub, unhex(DEVICE_PUB));
  for (const [key, value] of DAY_SETTINGS) nvs.set(key, value);
  (globalThis as { roamSimBoardMqtt?: typeof Client }).roamSimBoardMqtt = Client; // for shims/mqtt.js (preloaded)
  device.configure({ partitions: DAY_PARTITIONS });
  const chip = new Mfrc522Sim();
  device.spi = chip;
  device.pins.set(PINS.select, chip.select);
  device.pins.set(PINS.reset, chip.reset);
  let fw = firmware();
  const board: DayBoard = {
    mark: (step) => trace(`@day ${step}\n`),
    present: (uid) => chip.present({ uid: unhex(uid) }),
    remove: () => chip.remove(),
    cable: (plugged) => device.drive(PINS.plug, plugged ? 1 : 0),
    pulses: (n) => {
      for (let i = 0; i < n; i++) {
        device.drive(PINS.meter, 0); // S0: a falling edge per impulse
        device.drive(PINS.meter, 1);
      }
    },
    link: (up) => (up ? broker.start() : broker.stop()),
    powerCut: () => {
      fw.close(); // RAM and timers gone; flash and NVS keep what was written
      fw = firmware();
    },
    wait: (ms) => new Promise<void>((resolve) => { Timer.set(() => resolve(), ms); }),
  };
  runDay(board).then(
    () => trace('@day done\n'),
    (e: Error) => trace(`@day error ${e?.name}: ${e?.message}\n`),
  ).then(() => {
    fw.close();
    trace('@day end\n');
  });
}
