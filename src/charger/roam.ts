import type { Platform } from '../../hal/index.js';
import type { Signer } from '../../hal/crypto.js';
import type { EnergyMeter } from '../../hal/meter.js';
import type { RfidReader, Tap } from '../../hal/rfid.js';
import type { Settings } from '../../hal/settings.js';
import type { Transport } from '../../hal/transport.js';
import { loadAuthSettings, type AuthSettings, type Decision, type ReaderConfig } from '../auth/index.js';
import type { BackgroundOptions } from './background.js';
import { Charger, type BootReport, type ChargerStatus } from './charger.js';
import { Emitter, messageOf, type RoamHooks } from './events.js';
import type { PartitionNames } from './options.js';

export type RoamErrorCode = 'bad-config' | 'not-provisioned' | 'hardware' | 'boot' | 'closed' | 'bad-input';

/** The one error `new Roam` throws (after closing what it opened), and what a closed Roam's methods throw. */
export class RoamError extends Error {
  readonly code: RoamErrorCode;
  readonly cause?: unknown;
  constructor(code: RoamErrorCode, message: string, cause?: unknown) {
    super(message);
    // Defined, not assigned: on a device preloading freezes Error.prototype (see TapError).
    Object.defineProperty(this, 'name', { value: 'RoamError', writable: true, enumerable: true, configurable: true });
    this.code = code;
    if (cause !== undefined) this.cause = cause;
  }
}

export interface Closeable {
  close(): void;
}

/** A reader roam polls, and the connector its taps are for. */
export interface RoamReader {
  reader: RfidReader;
  connector: number;
}

/** What a platform opened for roam: its hardware, NVS, the link and the provisioned identity. */
export interface RoamParts {
  platform: Platform;
  settings: Settings;
  transport: Transport;
  signer: Signer;
  deviceId: string;
  backendKey: Uint8Array;
  /** The charger's meter; omitted: the firmware gives readings with Roam.reading(). */
  meter?: EnergyMeter;
  readers?: RoamReader[];
  /** How the readers deliver UIDs (byte order), for taps given as raw bytes. */
  reader?: ReaderConfig;
  partitions?: Partial<PartitionNames>;
}

export interface RoamCoreOptions {
  /** One per connector, in order (connector 1, 2, …): its OCPI EVSE id. */
  connectors: Array<{ evse: string }>;
  /**
   * Opens the hardware and services, hardware first. Each thing it opens is
   * handed to `opened` at once, so that a later failure closes it.
   */
  open(opened: (part: Closeable) => void): RoamParts;
  /** OCPP ConnectionTimeOut, ms (default 60 s). */
  connectionTimeoutMs?: number;
  /** Status heartbeat, ms (default 15 min; the backend may push another). */
  statusEveryMs?: number;
  background?: BackgroundOptions;
  /** Authorization settings; default: read from NVS (src/auth's keys). */
  auth?: AuthSettings;
  /**
   * For firmware that gives readings (Roam.reading): the meter registers at
   * power-on, Wh, connector 1 first. Boot closes the sessions a power cut left
   * open with them; without them those records say F (read error).
   */
  readings?: number[];
}

/**
 * roam for charger firmware: opens the hardware it is given first, boots
 * second (journal recovery, sessions a power cut left open closed as
 * PowerLoss), and tells the firmware what happens through its hooks. On any
 * failure the constructor closes everything it opened and throws one
 * RoamError. Platforms subclass it to open their own hardware
 * (hal/moddable/roam.ts on a device; host-sim for Node).
 */
export class Roam {
  /** What boot found: the journal's recovery, records closed by power loss, list versions. */
  readonly boot: BootReport;
  private readonly charger: Charger;
  private readonly closers: Closeable[] = [];
  private readonly readers: RoamReader[];
  private readonly events: Emitter;
  private readonly readings = new Map<number, number>();
  private readonly evses: number;
  private closed = false;

  constructor(options: RoamCoreOptions, hooks: RoamHooks = {}) {
    this.events = new Emitter(hooks);
    const connectors = options?.connectors;
    if (!Array.isArray(connectors) || connectors.length === 0 || connectors.length > 255)
      throw new RoamError('bad-config', 'connectors: give 1..255 connectors, each { evse }');
    connectors.forEach((c, i) => {
      if (typeof c?.evse !== 'string' || c.evse.length === 0 || c.evse.length > 48)
        throw new RoamError('bad-config', `connectors[${i}].evse: an OCPI EVSE id of 1..48 characters, got ${JSON.stringify(c?.evse)}`);
    });
    this.evses = connectors.length;
    options.readings?.forEach((wh, i) => this.readings.set(i + 1, wh));
    let parts: RoamParts;
    try {
      parts = options.open((part) => this.closers.push(part));
    } catch (e) {
      this.closeParts();
      throw e instanceof RoamError ? e : new RoamError('hardware', `opening the hardware failed: ${messageOf(e)}`, e);
    }
    this.readers = parts.readers ?? [];
    try {
      for (const r of this.readers)
        if (!Number.isInteger(r.connector) || r.connector < 1 || r.connector > this.evses)
          throw new RoamError('bad-config', `reader connector: 1..${this.evses}, got ${JSON.stringify(r.connector)}`);
      this.charger = new Charger({
        platform: parts.platform, settings: parts.settings, transport: guarded(parts.transport, this.events), signer: parts.signer,
        meter: parts.meter ?? { readWh: (c) => this.lastReading(c) },
        deviceId: parts.deviceId, backendKey: parts.backendKey, reader: parts.reader, partitions: parts.partitions,
        evseIds: Object.fromEntries(connectors.map((c, i) => [i + 1, c.evse])),
        connectionTimeoutMs: options.connectionTimeoutMs, statusEveryMs: options.statusEveryMs, background: options.background,
        // A bad stored setting is told (naming it) and its default used: a charger in the field still charges.
        auth: options.auth ?? loadAuthSettings(parts.settings, (p) => this.events.fault('config', 'bad-setting', `NVS setting refused, default used: ${p.message}`, p)),
        hooks,
      });
      this.closers.push({ close: () => this.charger.shutdown() });
      this.boot = this.charger.boot();
      const b = this.boot;
      this.events.log(`boot ${parts.deviceId}: list v${b.listVersion}, local list v${b.localListVersion}, closed by power loss [${b.powerLossRecords.map((s) => `#${s}`).join(' ')}]${b.tokenListError ? `, token list: ${b.tokenListError}` : ''}`);
    } catch (e) {
      this.closeParts();
      throw e instanceof RoamError ? e : new RoamError('boot', `boot failed: ${messageOf(e)}`, e);
    }
    for (const r of this.readers) this.listen(r);
  }

  /**
   * A card at `connector` (firmware with its own reader; roam's readers call
   * it themselves): a normalized UID (upper-case hex) or the reader's raw bytes.
   * The decision also goes to onDecision; bad input rejects (TapError, UidError).
   */
  tap(card: string | Uint8Array, connector: number): Promise<Decision> {
    if (this.closed) return Promise.reject(closedError('tap'));
    return this.charger.tap(card, connector);
  }

  /** The cable is in: an authorized connector starts its transaction (onSessionStarted). Throws SessionError on a bad state. */
  plugIn(connector: number): void {
    this.open('plugIn').plugIn(connector);
  }

  /** The EV draws power (after plugIn). */
  startCharging(connector: number): void {
    this.open('startCharging').startCharging(connector);
  }

  /** The cable is out: the session ends (EVDisconnected); returns its record's seq (also in onSessionEnded). */
  unplug(connector: number): number | undefined {
    return this.open('unplug').unplug(connector);
  }

  /**
   * The meter register of `connector` in Wh, for firmware that reads its own
   * meter: the latest is what a session's start and stop take.
   */
  reading(connector: number, wh: number): void {
    this.open('reading');
    if (!Number.isInteger(connector) || connector < 1 || connector > this.evses)
      throw new RoamError('bad-input', `reading: connector 1..${this.evses}, got ${String(connector)}`);
    this.readings.set(connector, wh); // checked where every reading is: src/sessions readMeter
  }

  status(): ChargerStatus {
    return this.open('status').status();
  }

  /** Stops every timer and reader and closes what the constructor opened; nothing more is written. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const r of this.readers) r.reader.onTap = undefined;
    this.closeParts();
  }

  private listen(r: RoamReader): void {
    const reader = r.reader;
    reader.onTap = (tap: Tap) => {
      this.charger.tap(tap, r.connector).then(undefined, (e: unknown) => this.events.fault('tap', 'tap-failed', `tap on connector ${r.connector}: ${messageOf(e)}`, e));
    };
    // Readers report a state change once: failing, then recovered.
    reader.onError = (e: unknown) => this.events.fault('reader', 'reader-failing', `reader for connector ${r.connector}: ${messageOf(e)}`, e);
    reader.onRecover = () => this.events.fault('reader', 'reader-recovered', `reader for connector ${r.connector} answers again`);
  }

  private lastReading(connector: number): number {
    const wh = this.readings.get(connector);
    if (wh === undefined) throw new RoamError('bad-input', `no meter reading yet for connector ${connector}: call reading()`);
    return wh;
  }

  private open(what: string): Charger {
    if (this.closed) throw closedError(what);
    return this.charger;
  }

  private closeParts(): void {
    while (this.closers.length > 0) {
      const c = this.closers.pop()!;
      try {
        c.close();
      } catch (e) {
        this.events.fault('hardware', 'close-failed', `closing: ${messageOf(e)}`, e);
      }
    }
  }
}

/**
 * The transport as the core sees it: a publish or subscribe that throws (a
 * socket refusing a write) is told to onError and dropped, never thrown into
 * the sync layer's timers. Delivery is at most once anyway: the sync layer
 * sends again what the backend has not acknowledged.
 */
function guarded(t: Transport, events: Emitter): Transport {
  const attempt = (what: string, topic: string, f: () => void) => {
    try {
      f();
    } catch (e) {
      events.fault('transport', `${what}-failed`, `${what} ${topic} failed (dropped): ${messageOf(e)}`, e);
    }
  };
  return {
    get connected() { return t.connected; },
    publish: (topic, payload) => attempt('publish', topic, () => t.publish(topic, payload)),
    subscribe: (filter) => attempt('subscribe', filter, () => t.subscribe(filter)),
    get onMessage() { return t.onMessage; },
    set onMessage(f) { t.onMessage = f; },
    get onConnect() { return t.onConnect; },
    set onConnect(f) { t.onConnect = f; },
    get onDisconnect() { return t.onDisconnect; },
    set onDisconnect(f) { t.onDisconnect = f; },
    close: () => t.close(),
  };
}

function closedError(what: string): RoamError {
  return new RoamError('closed', `${what}: this Roam is closed`);
}
