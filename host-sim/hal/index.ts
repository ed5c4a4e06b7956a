// Node implementations of every hal/ interface, for tests and the simulator.
import type { Platform } from '../../hal/index.js';
import { nodeCrypto } from './node-crypto.js';
import { PowerSwitch } from './power.js';
import { SeededRandom } from './seeded-random.js';
import { SimFlash } from './sim-flash.js';
import { VirtualClock } from './virtual-clock.js';

export { MqttTransport } from './mqtt-transport.js';
export { NodeSigner, nodeCrypto, nodeRandom, p256PublicKey, rawPublicKey } from './node-crypto.js';
export { PowerCut, PowerSwitch } from './power.js';
export { SeededRandom } from './seeded-random.js';
export { FileSettings } from './settings-file.js';
export { SimFlash, type SimFlashOptions } from './sim-flash.js';
export { SimMeter, SimReader } from './sim-devices.js';
export { VirtualClock } from './virtual-clock.js';

export interface HostPlatform extends Platform {
  clock: VirtualClock;
  power: PowerSwitch;
  regions: Map<string, SimFlash>;
}

/** Flash partitions of a simulated device: name → bytes (multiples of 4 KiB). */
export type PartitionSizes = Record<string, number>;

/** A deterministic simulated device: virtual clock, seeded random, in-memory NOR flash. */
export function hostPlatform(partitions: PartitionSizes = {}, seed = 1): HostPlatform {
  const power = new PowerSwitch();
  const regions = new Map<string, SimFlash>();
  for (const [name, size] of Object.entries(partitions)) regions.set(name, new SimFlash(name, size, { power }));
  return {
    clock: new VirtualClock(),
    crypto: nodeCrypto,
    random: new SeededRandom(seed),
    power,
    regions,
    flash(name) {
      const r = regions.get(name);
      if (!r) throw new Error(`no flash partition named ${name}`);
      return r;
    },
  };
}
