import type { TimeQuality } from '../clock.js';
import type { FlashRegion } from '../flash.js';
import type { Platform } from '../index.js';
import { ModdableClock } from './clock.js';
import { moddableCrypto, moddableRandom, ModdableSigner } from './crypto.js';
import { ModdableFlash } from './flash.js';
import { PreferenceSettings } from './settings.js';
import tokenSearch from './token-search.js';

export { ModdableClock } from './clock.js';
export { moddableCrypto, moddableRandom, ModdableSigner } from './crypto.js';
export { ModdableFlash } from './flash.js';
export { ModdableMqttTransport, type MqttOptions } from './transport.js';
export { PreferenceSettings } from './settings.js';
export { Mfrc522, Mfrc522Error, Mfrc522Reader } from './mfrc522.js';
export { RegisterMeter, PulseMeter, MeterError } from './meter.js';
export { ROAM_PARTITIONS, partitionsOf, roamRegionNames, type RoamPartitions } from './regions.js';

export { SettingKeys } from './settings-keys.js';
import { SettingKeys } from './settings-keys.js';

export interface ModdablePlatform extends Platform {
  clock: ModdableClock;
  settings: PreferenceSettings;
}

/** The device's Platform: partitions opened once, by name, on first use. */
export function moddablePlatform(domain = 'roam', quality: TimeQuality = 'U'): ModdablePlatform {
  const regions = new Map<string, FlashRegion>();
  return {
    clock: new ModdableClock(quality),
    crypto: moddableCrypto,
    random: moddableRandom,
    settings: new PreferenceSettings(domain),
    tokenSearch,
    flash(name) {
      let r = regions.get(name);
      if (!r) regions.set(name, (r = new ModdableFlash(name)));
      return r;
    },
  };
}

/** The provisioned device key, or undefined on a device not yet provisioned. */
export function deviceSigner(settings: PreferenceSettings): ModdableSigner | undefined {
  const d = settings.get(SettingKeys.deviceKey);
  const q = settings.get(SettingKeys.devicePub);
  if (!(d instanceof Uint8Array) || !(q instanceof Uint8Array)) return undefined;
  return new ModdableSigner(d, q);
}
