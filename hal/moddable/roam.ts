// roam on the device: `new Roam(options, hooks)` opens the reader and meter
// inputs first, then NVS (the provisioned identity), the partitions and MQTT,
// and boots the portable core (src/charger/roam.ts). A failure at any step
// closes what was opened and throws one RoamError naming the cause.
import { Roam as RoamCore, RoamError, type Closeable, type RoamHooks, type RoamReader } from '../../src/charger/index.js';
import type { ReaderConfig } from '../../src/tokens/index.js';
import type { EnergyMeter } from '../meter.js';
import type { Settings } from '../settings.js';
import { PulseMeter } from './meter.js';
import { deviceSigner, moddablePlatform, ModdableMqttTransport, SettingKeys, type MqttOptions } from './platform.js';
import { partitionsOf } from './regions.js';
import { brokerOf, type Broker } from './broker-url.js';
import { installTextGlobals } from './globals.js';
import { checkPins, isChip } from './pins.js';
import { openMfrc522, type ReaderPins } from './rfid.js';

export { RoamError, type RoamHooks } from '../../src/charger/index.js';
/** Where `roam provision` put the broker (hal/moddable/broker-url.ts: the rule provision checks too). */
export { brokerOf } from './broker-url.js';

/** The manifest's config.roam (docs/api.md#configuration has every key). */
export interface RoamConfig {
  /** The chip the pins are for: esp32 or esp32s3 (roam's manifest sets it per platform). */
  chip?: string;
  /** NVS namespace (Preference domain) `roam provision` wrote. */
  domain?: string;
  /** Partition names by role (hal/moddable/regions.ts), over the defaults. */
  partitions?: unknown;
  /** The MFRC522 (ECMA-419 SPI and Digital pins), and the connector its taps are for. */
  rfid?: ReaderPins & { connector?: number };
  /** One per connector, in order: its EVSE id and, for an S0 meter, its pulse input. */
  connectors?: Array<{ evse: string; meterPin?: number }>;
  impulsesPerKWh?: number;
}

export interface RoamOptions extends RoamConfig {
  /** The charger's own meter, read when a session starts and stops; default: S0 inputs, else readings given by Roam.reading(). */
  meter?: EnergyMeter;
  /** TLS for mqtts:// brokers: Moddable's SecureSocket and its options. */
  tls?: Pick<MqttOptions, 'Socket' | 'secure'>;
  /** OCPP ConnectionTimeOut, ms. */
  connectionTimeoutMs?: number;
  /** With readings given by Roam.reading(): the registers at power-on (Wh, connector 1 first), for the power-cut close at boot. */
  readings?: number[];
}

/** The reader's byte order as provisioned (uidOrder: msb | lsb). */
export function readerConfigOf(settings: Settings): ReaderConfig {
  const order = settings.get(SettingKeys.uidOrder);
  if (order !== undefined && order !== 'msb' && order !== 'lsb') throw new RoamError('bad-config', `NVS ${SettingKeys.uidOrder}: "msb" or "lsb", got ${JSON.stringify(order)}`);
  return { input: 'bytes', reversed: order === 'lsb' };
}

/** Checks config.roam before any IO is opened; each error names its key. */
export function checkConfig(config: RoamOptions): void {
  const bad = (key: string, why: string) => new RoamError('bad-config', `config.roam.${key}: ${why}`);
  const unknown = (at: string, o: object, keys: string[]) => {
    for (const k of Object.keys(o)) if (!keys.includes(k)) throw bad(`${at}${k}`, `not a setting roam knows (${keys.join(', ')})`);
  };
  unknown('', config, ['chip', 'domain', 'partitions', 'rfid', 'connectors', 'impulsesPerKWh', 'meter', 'tls', 'connectionTimeoutMs', 'readings']);
  if (!isChip(config.chip)) throw bad('chip', `"esp32" or "esp32s3", got ${JSON.stringify(config.chip)}`);
  if (config.domain !== undefined && (typeof config.domain !== 'string' || !/^[A-Za-z0-9_]{1,15}$/.test(config.domain)))
    throw bad('domain', `an NVS namespace of 1..15 letters, digits or _, got ${JSON.stringify(config.domain)}`);
  if (!Array.isArray(config.connectors) || config.connectors.length === 0) throw bad('connectors', 'names no connector');
  config.connectors.forEach((c, i) => unknown(`connectors[${i}].`, c ?? {}, ['evse', 'meterPin']));
  const pins = config.connectors.filter((c) => c?.meterPin !== undefined).length;
  if (pins !== 0 && pins !== config.connectors.length) throw bad('connectors', 'give a meterPin for every connector or for none');
  if (pins !== 0 && config.meter) throw bad('connectors', 'meterPin given and a meter passed: choose one');
  const ipk = config.impulsesPerKWh;
  if (ipk !== undefined && !(Number.isInteger(ipk) && ipk >= 1 && ipk <= 100_000)) throw bad('impulsesPerKWh', `an integer in 1..100000, got ${JSON.stringify(ipk)}`);
  const r = config.rfid;
  if (r !== undefined) {
    unknown('rfid.', r, ['spi', 'select', 'reset', 'pollMs', 'connector']);
    if (r.pollMs !== undefined && !(Number.isInteger(r.pollMs) && r.pollMs >= 20 && r.pollMs <= 10_000)) throw bad('rfid.pollMs', `an integer in 20..10000 ms, got ${JSON.stringify(r.pollMs)}`);
    if (r.spi?.hz !== undefined && !(Number.isInteger(r.spi.hz) && r.spi.hz >= 100_000 && r.spi.hz <= 10_000_000)) throw bad('rfid.spi.hz', `an integer in 100000..10000000 (the MFRC522 takes up to 10 MHz), got ${JSON.stringify(r.spi.hz)}`);
    const c = r.connector ?? 1;
    if (!Number.isInteger(c) || c < 1 || c > config.connectors.length) throw bad('rfid.connector', `1..${config.connectors.length}, got ${JSON.stringify(c)}`);
  }
  try {
    checkPins(config.chip, config);
    partitionsOf(config.partitions);
  } catch (e) {
    throw new RoamError('bad-config', (e as Error).message);
  }
}

/**
 * roam on an ESP32 charger controller. One options dictionary (the manifest's
 * config.roam plus what only code can give: a meter, TLS), hooks for what
 * happens; close() releases everything. See docs/api.md.
 */
export class Roam extends RoamCore {
  constructor(options: RoamOptions, hooks: RoamHooks = {}) {
    checkConfig(options);
    const connectors = options.connectors!;
    super({
      connectors,
      connectionTimeoutMs: options.connectionTimeoutMs,
      readings: options.readings,
      open: (opened) => {
        // Hardware first: a missing reader is found before anything else is running.
        const readers: RoamReader[] = [];
        if (options.rfid) {
          const reader = openMfrc522(options.rfid);
          opened(reader);
          readers.push({ reader, connector: options.rfid.connector ?? 1 });
        }
        let meter = options.meter;
        if (connectors[0].meterPin !== undefined) {
          const pulses = new PulseMeter(connectors.map((c) => c.meterPin!), options.impulsesPerKWh);
          opened(pulses);
          meter = pulses;
        }
        installTextGlobals();
        const platform = moddablePlatform(options.domain ?? 'roam');
        const settings = platform.settings;
        const deviceId = settings.get(SettingKeys.deviceId);
        const backendKey = settings.get(SettingKeys.backendKey);
        const broker = settings.get(SettingKeys.broker);
        const signer = deviceSigner(settings);
        if (typeof deviceId !== 'string' || !(backendKey instanceof Uint8Array) || typeof broker !== 'string' || !signer)
          throw new RoamError('not-provisioned', 'not provisioned: run `roam provision` and flash its NVS image');
        let b: Broker;
        try {
          b = brokerOf(broker);
        } catch (e) {
          throw new RoamError('bad-config', `NVS ${SettingKeys.broker}: ${(e as Error).message}`);
        }
        if (b.tls && !options.tls) throw new RoamError('bad-config', `NVS ${SettingKeys.broker} is ${broker}: it needs options.tls (SecureSocket)`);
        const transport = new ModdableMqttTransport({ host: b.host, port: b.port, id: deviceId, ...(b.tls ? options.tls : {}) });
        opened(transport as Closeable);
        return {
          platform, settings, transport, signer, deviceId, backendKey, meter, readers,
          reader: readerConfigOf(settings), partitions: partitionsOf(options.partitions),
        };
      },
    }, hooks);
  }
}
