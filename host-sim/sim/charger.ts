import type { Transport } from '../../hal/transport.js';
import type { Decision } from '../../src/auth/index.js';
import { Charger, type BootReport } from '../../src/charger/index.js';
import { FileSettings, hostPlatform, NodeSigner, PowerCut, SimMeter, type HostPlatform } from '../hal/index.js';
import { OutageTransport } from './outage-transport.js';

export const CHARGER_PARTITIONS = {
  'tokens-a': 512 * 1024, 'tokens-b': 512 * 1024, 'tokens-sel': 8192, 'tokens-ovl': 64 * 1024, journal: 256 * 1024, 'auth-list': 16 * 1024,
};

export interface ChargerOptions {
  id: string;
  transport: Transport;
  backendKey: Uint8Array;
  seed: number;
  connectors?: number;
  partitions?: Record<string, number>;
}

/**
 * One simulated charger: src/charger's Charger on simulated flash, NVS, meter
 * and an uplink the simulation can cut. The hardware (platform, settings,
 * meter, link) outlives reboots; the Charger is rebuilt by each boot.
 */
export class SimCharger {
  readonly platform: HostPlatform;
  readonly signer = new NodeSigner();
  readonly meter = new SimMeter();
  readonly link: OutageTransport;
  readonly settings: FileSettings;
  charger!: Charger;
  lastBoot!: BootReport;
  on = true;
  boots = 0;
  /** Records appended over every boot (each is owed to the backend). */
  recordsAppended = 0;
  private earlier = { fullApplied: 0, diffsApplied: 0, mismatches: 0, retransmissions: 0 };

  constructor(private readonly o: ChargerOptions) {
    this.platform = hostPlatform(o.partitions ?? CHARGER_PARTITIONS, o.seed);
    this.settings = new FileSettings(undefined, this.platform.power);
    this.link = new OutageTransport(o.transport);
    this.boot();
  }

  get id(): string {
    return this.o.id;
  }

  get connectors(): number {
    return this.o.connectors ?? 2;
  }

  // The parts site.ts and fleet.ts watch.
  get store() { return this.charger.tokens; }
  get journal() { return this.charger.journal; }
  get sync() { return this.charger.sync; }
  get authorizer() { return this.charger.authorizer; }

  freeConnector(): number | undefined {
    return this.charger.status().connectors.find((c) => c.state === 'idle')?.connector;
  }

  get openSessions(): number {
    return this.charger.status().connectors.filter((c) => c.state !== 'idle').length;
  }

  /** Boot: everything rebuilt from flash and NVS; sessions a power cut left open are closed as PowerLoss. */
  boot(): void {
    if (this.charger) this.earlier = this.totals();
    this.boots++;
    this.on = true;
    this.link.setPowered(true);
    const evseIds: Record<number, string> = {};
    for (let c = 1; c <= this.connectors; c++) evseIds[c] = `US*SIM*E${this.o.id.replace(/[^0-9A-Za-z]/g, '')}*${c}`;
    this.charger = new Charger({
      platform: this.platform, settings: this.settings, transport: this.link, signer: this.signer, meter: this.meter,
      deviceId: this.o.id, evseIds, backendKey: this.o.backendKey, statusEveryMs: 10 * 60_000,
      hooks: { onSessionEnded: (e) => { if (e.seq !== undefined) this.recordsAppended++; } },
    });
    this.lastBoot = this.charger.boot();
    this.recordsAppended += this.lastBoot.powerLossRecords.length;
  }

  /** Presents a card; an accepted start finds the EV already plugged in and charging. */
  async tap(uid: string, connector: number): Promise<Decision> {
    const d = await this.charger.tap(uid, connector);
    if (d.accept && d.action === 'start' && this.on) {
      // A cable left in after a stop by card or post-authorization starts the transaction at once.
      if (this.state(connector) === 'authorized') this.charger.plugIn(connector);
      if (this.state(connector) === 'plugged') this.charger.startCharging(connector);
    }
    return d;
  }

  private state(connector: number): string | undefined {
    return this.charger.status().connectors.find((c) => c.connector === connector)?.state;
  }

  /** The EV leaves: the record is journaled now, signed and uploaded in the background. */
  endSession(connector: number): boolean {
    if (!this.on) return false;
    return this.charger.unplug(connector) !== undefined;
  }

  /** Delivers energy on the charging connectors (7.2 kW each). */
  charge(minutes: number): void {
    for (const c of this.charger.status().connectors)
      if (c.state === 'charging' && !c.suspended) this.meter.deliver(c.connector, Math.round((7200 * minutes) / 60));
  }

  /** Sync counters over every boot. */
  totals(): { fullApplied: number; diffsApplied: number; mismatches: number; retransmissions: number } {
    const l = this.sync.lists.stats;
    return {
      fullApplied: this.earlier.fullApplied + l.fullApplied, diffsApplied: this.earlier.diffsApplied + l.diffsApplied,
      mismatches: this.earlier.mismatches + l.mismatches, retransmissions: this.earlier.retransmissions + this.sync.uploader.stats.retransmissions,
    };
  }

  /** Cuts the power at the next write (flash or NVS); returns true if the device went off. */
  cutPower(): boolean {
    this.platform.power.cutAtWrite(1);
    try {
      this.settings.set('hb', this.platform.clock.monotonic()); // the periodic NVS heartbeat is that write
    } catch (e) {
      if (!(e instanceof PowerCut)) throw e;
    }
    this.on = false;
    this.charger.shutdown();
    this.link.setPowered(false);
    return true;
  }

  powerOn(): void {
    this.platform.power.restore();
    this.boot();
  }
}
