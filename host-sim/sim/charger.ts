import type { Transport } from '../../hal/transport.js';
import { Authorizer, SessionTable, type Decision, type SessionInProgress } from '../../src/auth/index.js';
import { Journal, type SessionFacts, type StopReason } from '../../src/sessions/index.js';
import { listStoreOf, SyncClient } from '../../src/sync/index.js';
import { TokenStore } from '../../src/tokens/index.js';
import { FileSettings, hostPlatform, NodeSigner, nodeCrypto, PowerCut, SeededRandom, SimMeter, type HostPlatform } from '../hal/index.js';
import { OutageTransport } from './outage-transport.js';

export const CHARGER_PARTITIONS = {
  'tokens-a': 512 * 1024, 'tokens-b': 512 * 1024, 'tokens-sel': 8192, 'tokens-ovl': 64 * 1024, journal: 256 * 1024,
};

interface OpenSession {
  id: string;
  uid: string;
  connector: number;
  startSeconds: number;
  meterStartWh: number;
  decision: Pick<Decision, 'method' | 'offline' | 'partner' | 'groupId' | 'checkLater' | 'unknownOffline'>;
  /** Set just before the record is appended: the seq it gets, so a reboot can tell whether it landed. */
  closingSeq?: number;
}

export interface ChargerOptions {
  id: string;
  transport: Transport;
  backendKey: Uint8Array;
  seed: number;
  connectors?: number;
  partitions?: Record<string, number>;
}

/**
 * One charger running the real core: the token store, the authorizer, the
 * signed journal and sync, on simulated flash and NVS that survive reboots.
 * Open sessions are kept in NVS (one small write at start), so a power cut
 * mid-session ends in a PowerLoss record at the next boot instead of nothing.
 */
export class SimCharger {
  readonly platform: HostPlatform;
  readonly signer = new NodeSigner();
  readonly meter = new SimMeter();
  readonly link: OutageTransport;
  readonly settings: FileSettings;
  store!: TokenStore;
  journal!: Journal;
  sync!: SyncClient;
  authorizer!: Authorizer;
  sessions = new SessionTable();
  private open = new Map<number, OpenSession>();
  on = true;
  boots = 0;
  /** Records appended (each is owed to the backend). */
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

  freeConnector(): number | undefined {
    for (let c = 1; c <= this.connectors; c++) if (!this.open.has(c)) return c;
    return undefined;
  }

  /** Boot: everything rebuilt from flash and NVS; sessions left open by a power cut are closed. */
  boot(): void {
    if (this.sync) this.earlier = this.totals();
    this.boots++;
    this.on = true;
    this.link.setPowered(true);
    this.store = new TokenStore({ platform: this.platform, backendKey: this.o.backendKey });
    this.journal = new Journal(this.platform.flash('journal'), { crypto: nodeCrypto, deviceId: this.o.id, signer: this.signer });
    this.journal.recover();
    this.sessions = new SessionTable();
    this.open = new Map();
    this.sync = new SyncClient({
      deviceId: this.o.id, transport: this.link, clock: this.platform.clock, random: new SeededRandom(this.o.seed * 31 + this.boots),
      journal: this.journal, lists: listStoreOf(this.store), statusEveryMs: 10 * 60_000,
    });
    this.authorizer = new Authorizer({ clock: this.platform.clock, tokens: this.store, sessions: this.sessions, online: this.sync.authorizer });
    for (let c = 1; c <= this.connectors; c++) {
      const saved = this.settings.get(`open${c}`);
      if (typeof saved !== 'string') continue;
      const s = JSON.parse(saved) as OpenSession;
      if (s.closingSeq !== undefined && this.journal.lastSeq >= s.closingSeq) this.settings.delete(`open${c}`); // its record made it
      else this.closeSession(s, 'PowerLoss');
    }
    this.journal.signPending();
    this.sync.recordAppended();
  }

  /** Presents a card; starts a session when accepted. */
  tap(uid: string, connector: number): Promise<Decision> {
    return this.authorizer.authorize({ uid, connector }).then((d) => {
      if (d.accept && d.action === 'start' && this.on) this.startSession(d);
      return d;
    });
  }

  /** The EV leaves: the session ends and its record is journaled, signed and queued for upload. */
  endSession(connector: number, reason: StopReason = 'EVDisconnected'): boolean {
    const s = this.open.get(connector);
    if (!s || !this.on) return false;
    this.closeSession(s, reason);
    this.journal.signPending();
    this.sync.recordAppended();
    return true;
  }

  /** Delivers energy on the busy connectors (7.2 kW each). */
  charge(minutes: number): void {
    for (const c of this.open.keys()) this.meter.deliver(c, Math.round((7200 * minutes) / 60));
  }

  /** Sync counters over every boot. */
  totals(): { fullApplied: number; diffsApplied: number; mismatches: number; retransmissions: number } {
    const l = this.sync.lists.stats;
    return {
      fullApplied: this.earlier.fullApplied + l.fullApplied, diffsApplied: this.earlier.diffsApplied + l.diffsApplied,
      mismatches: this.earlier.mismatches + l.mismatches, retransmissions: this.earlier.retransmissions + this.sync.uploader.stats.retransmissions,
    };
  }

  get openSessions(): number {
    return this.open.size;
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
    this.sync.stop();
    this.link.setPowered(false);
    return true;
  }

  powerOn(): void {
    this.platform.power.restore();
    this.boot();
  }

  private startSession(d: Decision): void {
    const s: OpenSession = {
      id: `${this.o.id}-${d.connector}-${this.platform.clock.monotonic()}`, uid: d.uid, connector: d.connector,
      startSeconds: Math.floor(this.platform.clock.wall().ms / 1000), meterStartWh: this.meter.readWh(d.connector),
      decision: { method: d.method, offline: d.offline, partner: d.partner, groupId: d.groupId, checkLater: d.checkLater, unknownOffline: d.unknownOffline },
    };
    this.settings.set(`open${d.connector}`, JSON.stringify(s));
    this.open.set(d.connector, s);
    const view: SessionInProgress = { id: s.id, connector: d.connector, uid: d.uid, groupId: d.groupId, offline: d.offline, checkLater: d.checkLater, unknownOffline: d.unknownOffline };
    this.sessions.add(view);
  }

  private closeSession(s: OpenSession, reason: StopReason): void {
    const wall = this.platform.clock.wall();
    const p = s.decision.partner;
    const facts: SessionFacts = {
      evseId: `US*SIM*E${this.o.id.replace(/[^0-9A-Za-z]/g, '')}*${s.connector}`, uid: s.uid,
      partner: p ? { id: p.id, countryCode: p.countryCode, partyId: p.partyId } : undefined, groupId: s.decision.groupId,
      method: s.decision.method, offline: s.decision.offline,
      start: { seconds: s.startSeconds, quality: wall.quality }, stop: { seconds: Math.max(s.startSeconds, Math.floor(wall.ms / 1000)), quality: wall.quality },
      meterStartWh: s.meterStartWh, meterStopWh: Math.max(s.meterStartWh, this.meter.readWh(s.connector)), stopReason: reason,
    };
    this.settings.set(`open${s.connector}`, JSON.stringify({ ...s, closingSeq: this.journal.lastSeq + 1 }));
    this.journal.append(facts, { reserved: true });
    this.recordsAppended++;
    this.settings.delete(`open${s.connector}`);
    this.open.delete(s.connector);
    this.sessions.remove(s.id);
  }
}
