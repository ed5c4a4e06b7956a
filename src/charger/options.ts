import type { Platform } from '../../hal/index.js';
import type { EnergyMeter } from '../../hal/meter.js';
import type { Settings } from '../../hal/settings.js';
import type { Signer } from '../../hal/crypto.js';
import type { Transport } from '../../hal/transport.js';
import type { AuthSettings, ReaderConfig } from '../auth/index.js';
import type { BackgroundOptions } from './background.js';
import type { RoamHooks } from './events.js';

/** Flash regions a charger uses, by role. */
export interface PartitionNames {
  tokenSlots: [string, string];
  tokenSelector: string;
  tokenOverlay: string;
  journal: string;
  /** The OCPP local list (two banks: an even number of blocks). */
  localList: string;
}

export const DEFAULT_PARTITIONS: PartitionNames = {
  tokenSlots: ['tokens-a', 'tokens-b'], tokenSelector: 'tokens-sel', tokenOverlay: 'tokens-ovl', journal: 'journal', localList: 'auth-list',
};

export interface ChargerOptions {
  /** Clock, crypto, random and flash regions. */
  platform: Platform;
  /** NVS: open transactions, authorization settings. */
  settings: Settings;
  /** MQTT to the backend (roam/v1). */
  transport: Transport;
  /** The device key records are signed with. */
  signer: Signer;
  meter: EnergyMeter;
  deviceId: string;
  /** OCPI EVSE id of each connector; its keys are the connectors. */
  evseIds: Record<number, string>;
  /** The backend's P-256 public key: token images and differentials are checked against it. */
  backendKey: Uint8Array;
  partitions?: Partial<PartitionNames>;
  /** Default: loaded from `settings` (src/auth's NVS keys). */
  auth?: AuthSettings;
  /** How the RFID reader delivers UIDs; needed for taps given as raw reader bytes. */
  reader?: ReaderConfig;
  /** Bound of the local list (each entry is held in RAM); default src/auth's. */
  localListMaxEntries?: number;
  /** OCPP ConnectionTimeOut: how long an authorization waits for the cable. */
  connectionTimeoutMs?: number;
  /** Status heartbeat period of the sync client. */
  statusEveryMs?: number;
  background?: BackgroundOptions;
  /** What the firmware is told as it happens (src/charger/events.ts); no hook's exception reaches roam. */
  hooks?: RoamHooks;
}
