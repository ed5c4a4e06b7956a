// The contract between roam's portable core (src/) and a platform: the core
// receives these and nothing else. Implementations: hal/moddable/ (device),
// host-sim/hal/ (Node), host-sim/xs/ (XS on the host, bridged to Node).
export type { Clock, TimeQuality, TimerId, WallTime } from './clock.js';
export { FlashError, type FlashRegion } from './flash.js';
export { checkSetting, SETTINGS_KEY_MAX, SETTINGS_VALUE_MAX, SettingsError, type Settings, type SettingValue } from './settings.js';
export type { Transport } from './transport.js';
export type { Crypto, Random, Sha256, Signer } from './crypto.js';
export type { RfidReader, Tap } from './rfid.js';
export type { EnergyMeter } from './meter.js';
export type { TokenSearch } from './token-search.js';

import type { Clock } from './clock.js';
import type { Crypto, Random } from './crypto.js';
import type { FlashRegion } from './flash.js';
import type { TokenSearch } from './token-search.js';

/** The platform services every scenario and most of the core need. */
export interface Platform {
  clock: Clock;
  crypto: Crypto;
  random: Random;
  /** Flash partitions by name (token slots, journal…). */
  flash(name: string): FlashRegion;
  /** The token table's search in native code, where the platform has it (hal/token-search.ts); else the portable one runs. */
  tokenSearch?: TokenSearch;
}
