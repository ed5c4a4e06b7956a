// roam on the device: the provisioned identity from NVS, the partitions the
// manifest names, MQTT to the broker `roam provision` wrote, one MFRC522 per
// charger, S0 meters unless the firmware brings its own, all handed to the
// portable Charger (src/charger), which wires the core once for every platform.
import { Charger, type BootReport } from '../../src/charger/index.js';
import type { Decision } from '../../src/auth/index.js';
import type { ReaderConfig } from '../../src/tokens/index.js';
import type { EnergyMeter } from '../meter.js';
import type { Settings } from '../settings.js';
import { PulseMeter } from './meter.js';
import { deviceSigner, moddablePlatform, ModdableMqttTransport, SettingKeys, type MqttOptions } from './platform.js';
import { partitionsOf } from './regions.js';
import { installTextGlobals } from './globals.js';
import { checkPins, isChip } from './pins.js';
import { openMfrc522, type ReaderPins } from './rfid.js';

export interface RoamConfig {
  /** The chip the pins are for: esp32 or esp32s3 (roam's manifest sets it per platform). */
  chip?: string;
  /** NVS namespace (Preference domain) `roam provision` wrote. */
  domain?: string;
  partitions?: unknown;
  /** The reader, and the connector its taps are for (one reader per connector). */
  rfid?: ReaderPins & { connector?: number };
  /** One per connector, in order: its EVSE id and its S0 meter input. */
  connectors?: Array<{ evse: string; meterPin?: number }>;
  impulsesPerKWh?: number;
}

export interface RoamHooks {
  /** The charger's own meter; default: S0 pulse inputs from the config. */
  meter?: EnergyMeter;
  /** TLS for mqtts:// brokers: Moddable's SecureSocket and its options. */
  tls?: Pick<MqttOptions, 'Socket' | 'secure'>;
  onDecision?: (d: Decision) => void;
  log?: (line: string) => void;
}

export interface RoamDevice {
  charger: Charger;
  boot: BootReport;
  stop(): void;
}

/** Where `roam provision` put the broker: mqtt(s)://host[:port]. */
export function brokerOf(url: string): { host: string; port: number; tls: boolean } {
  const m = /^(mqtts?):\/\/([^/\s:]+)(?::(\d{1,5}))?\/?$/.exec(url);
  if (!m) throw new TypeError(`broker setting must be mqtt://host[:port] or mqtts://host[:port], got ${JSON.stringify(url)}`);
  const tls = m[1] === 'mqtts';
  return { host: m[2], port: m[3] ? Number(m[3]) : tls ? 8883 : 1883, tls };
}

/** The reader's byte order as provisioned (uidOrder: msb | lsb). */
export function readerConfigOf(settings: Settings): ReaderConfig {
  return { input: 'bytes', reversed: settings.get(SettingKeys.uidOrder) === 'lsb' };
}

/** Boots roam; undefined (and a log line) on a device not yet provisioned. */
export function startRoam(config: RoamConfig, hooks: RoamHooks = {}): RoamDevice | undefined {
  const log = hooks.log ?? ((line: string) => trace(`roam: ${line}\n`));
  // A pin the chip lacks is refused here, naming it, before any IO is opened.
  if (!isChip(config.chip)) throw new TypeError(`config.roam.chip must be "esp32" or "esp32s3", got ${JSON.stringify(config.chip)}`);
  checkPins(config.chip, config);
  installTextGlobals();
  const platform = moddablePlatform(config.domain ?? 'roam');
  const settings = platform.settings;
  const deviceId = settings.get(SettingKeys.deviceId);
  const backendKey = settings.get(SettingKeys.backendKey);
  const broker = settings.get(SettingKeys.broker);
  const signer = deviceSigner(settings);
  if (typeof deviceId !== 'string' || !(backendKey instanceof Uint8Array) || typeof broker !== 'string' || !signer) {
    log('not provisioned: run `roam provision` and flash its NVS image');
    return undefined;
  }
  const connectors = config.connectors ?? [];
  if (connectors.length === 0) throw new TypeError('config.roam.connectors names no connector');
  const b = brokerOf(broker);
  if (b.tls && !hooks.tls) throw new TypeError(`${broker} needs TLS: pass hooks.tls (SecureSocket)`);
  const transport = new ModdableMqttTransport({ host: b.host, port: b.port, id: deviceId, ...(b.tls ? hooks.tls : {}) });
  const meter = hooks.meter ?? new PulseMeter(connectors.map((c, i) => {
    if (c.meterPin === undefined) throw new TypeError(`config.roam.connectors[${i}] has no meterPin and no meter was given`);
    return c.meterPin;
  }), config.impulsesPerKWh);
  const charger = new Charger({
    platform, settings, transport, signer, meter, deviceId, backendKey,
    evseIds: Object.fromEntries(connectors.map((c, i) => [i + 1, c.evse])),
    partitions: partitionsOf(config.partitions),
    reader: readerConfigOf(settings),
  });
  const boot = charger.boot();
  log(`device ${deviceId}: list v${boot.listVersion}, local list v${boot.localListVersion}, ${boot.powerLossRecords.length} session(s) closed by power loss${boot.tokenListError ? `, token list: ${boot.tokenListError}` : ''}`);
  const reader = config.rfid ? openMfrc522(config.rfid) : undefined;
  const connector = config.rfid?.connector ?? 1;
  if (reader) {
    reader.onTap = (tap) => {
      charger.tap(tap, connector).then(
        (d) => hooks.onDecision?.(d),
        (e: Error) => log(`tap refused: ${e.message}`),
      );
    };
  }
  return {
    charger,
    boot,
    stop() {
      reader?.stop();
      charger.shutdown();
      transport.close();
    },
  };
}
