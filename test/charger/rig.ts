// A charger on a simulated device, a backend peer and an in-memory broker,
// for the src/charger tests. The device's hardware (flash, NVS, meter, clock)
// outlives reboot(); each boot is a new Charger on it.
import type { FlashRegion } from '../../hal/flash.js';
import type { Signer } from '../../hal/crypto.js';
import type { AuthSettings } from '../../src/auth/index.js';
import { defaultAuthSettings } from '../../src/auth/index.js';
import { BackendPeer, generateOcpiTokens, SiteList, type OcpiToken } from '../../host-sim/backend/index.js';
import { MemoryBus, type MemoryTransport } from '../../host-sim/broker/memory-bus.js';
import { FileSettings, hostPlatform, NodeSigner, nodeCrypto, SimMeter, type HostPlatform } from '../../host-sim/hal/index.js';
import { Charger, type BootReport, type ChargerOptions } from '../../src/charger/index.js';
import { decodeRecord, type SessionRecord } from '../../src/sessions/index.js';

export const PARTITIONS = {
  'tokens-a': 64 * 1024, 'tokens-b': 64 * 1024, 'tokens-sel': 8192, 'tokens-ovl': 16 * 1024, journal: 32 * 1024, 'auth-list': 16 * 1024,
};
export const DEVICE = 'cp-test-1';

export interface RigOptions {
  /** false: offline once the token list has arrived. */
  online?: boolean;
  auth?: Partial<AuthSettings>;
  /** Wraps the device key (to watch when signing happens). */
  signer?: (inner: Signer) => Signer;
  /** Wraps each flash region (to watch erases). */
  flash?: (inner: FlashRegion) => FlashRegion;
  seed?: number;
  extra?: Partial<ChargerOptions>;
  /** The backend's wall clock minus the device's (a device clock a day fast: -86_400_000). */
  backendClockOffsetMs?: number;
}

/** A flash wrapper whose next write to the journal fails once `fault.armed` is set (then disarms). */
export function failingJournalWrite(fault: { armed: boolean }): (inner: FlashRegion) => FlashRegion {
  return (inner) => ({
    name: inner.name, byteLength: inner.byteLength, blockSize: inner.blockSize,
    read: (o, n) => inner.read(o, n),
    write: (o, d) => {
      if (fault.armed && inner.name === 'journal') { fault.armed = false; throw new Error('SPI flash write failed'); }
      inner.write(o, d);
    },
    erase: (b) => inner.erase(b),
  });
}

export class Rig {
  readonly platform: HostPlatform;
  readonly settings: FileSettings;
  readonly meter = new SimMeter();
  readonly bus = new MemoryBus();
  readonly transport: MemoryTransport;
  readonly backendKey = new NodeSigner();
  readonly deviceKey = new NodeSigner();
  readonly signer: Signer;
  readonly site: SiteList;
  readonly backend: BackendPeer;
  readonly members: OcpiToken[];
  charger!: Charger;
  lastBoot!: BootReport;
  private readonly regions = new Map<string, FlashRegion>();

  constructor(readonly o: RigOptions = {}) {
    this.platform = hostPlatform(PARTITIONS, o.seed ?? 7);
    this.settings = new FileSettings(undefined, this.platform.power);
    this.signer = o.signer ? o.signer(this.deviceKey) : this.deviceKey;
    this.site = new SiteList(this.backendKey, nodeCrypto, () => this.platform.clock.wall().ms);
    const tokens = generateOcpiTokens({ countryCode: 'US', partyId: 'BLK', count: 300, seed: 5 });
    this.site.publish([{ countryCode: 'US', partyId: 'BLK', allowedUsesTable: true, tokens }]);
    this.members = tokens.filter((t) => t.type === 'RFID' && t.valid && /^[0-9A-F]{14}$/.test(t.uid));
    this.backend = new BackendPeer({
      transport: this.bus.connect(), crypto: nodeCrypto, site: this.site, chunkBytes: 4096,
      now: () => this.platform.clock.wall().ms + (o.backendClockOffsetMs ?? 0),
    });
    this.backend.registerDevice(DEVICE, this.deviceKey.publicKey);
    this.transport = this.bus.connect(true);
    this.boot();
    this.run(); // the token list arrives
    if (o.online === false) this.transport.setOnline(false);
  }

  /** A card whose token-table class lets it start from the table (ALWAYS, or ALLOWED with the table). */
  member(i = 0): string {
    return this.members.filter((t) => t.whitelist === 'ALWAYS' || t.whitelist === 'ALLOWED')[i].uid;
  }

  boot(): BootReport {
    const platform = {
      ...this.platform,
      flash: (name: string) => {
        let r = this.regions.get(name);
        if (!r) this.regions.set(name, (r = this.o.flash ? this.o.flash(this.platform.flash(name)) : this.platform.flash(name)));
        return r;
      },
    };
    this.charger = new Charger({
      platform, settings: this.settings, transport: this.transport, signer: this.signer, meter: this.meter,
      deviceId: DEVICE, evseIds: { 1: 'US*TST*E1*1', 2: 'US*TST*E1*2' }, backendKey: this.backendKey.publicKey,
      auth: { ...defaultAuthSettings(), ...this.o.auth }, ...this.o.extra,
    });
    this.lastBoot = this.charger.boot();
    return this.lastBoot;
  }

  /** Power back after a cut (or a plain reset): the old boot's timers die with it. */
  reboot(): BootReport {
    this.charger.shutdown();
    this.platform.power.restore();
    return this.boot();
  }

  /** Lets the network and the background run until quiet. */
  run(maxSteps = 500): void {
    for (let i = 0; i < maxSteps; i++) {
      this.platform.clock.advance(1000);
      const moved = this.bus.drain();
      if (moved === 0 && this.bus.queued === 0 && i > 3 && this.charger.journal.unsigned === 0
        && this.charger.sync.uploader.pending === 0 && this.charger.sync.lists.progress === undefined) return;
    }
  }

  /** Every record on the device's journal, decoded. */
  records(): SessionRecord[] {
    return this.charger.journal.payloadsFrom(1).map((p) => decodeRecord(p));
  }
}
