import type { Tap } from '../../hal/rfid.js';
import {
  Authorizer, loadAuthSettings, LocalList, type AuthSettings, type Decision, type Link, type LocalListResult, type LocalListUpdate,
} from '../auth/index.js';
import { Journal, JournalError, SessionError, Sessions, type RecoveryReport, type SessionState } from '../sessions/index.js';
import { listStoreOf, SyncClient, type ListStore } from '../sync/index.js';
import { TokenStore } from '../tokens/index.js';
import { JournalKeeper } from './background.js';
import { Emitter, messageOf } from './events.js';
import { LocalListStore, LocalListStoreError } from './local-list-store.js';
import { DEFAULT_PARTITIONS, type ChargerOptions, type PartitionNames } from './options.js';
import { BootClock } from './scoped-clock.js';
import { SessionsAdapter } from './sessions-adapter.js';

export interface BootReport {
  recovery: RecoveryReport;
  /** Seqs of the records that closed transactions a power cut interrupted. */
  powerLossRecords: number[];
  /** Records signed during boot. */
  signed: number;
  listVersion: number;
  localListVersion: number;
  /** Why the token list in force could not be opened, if it could not. */
  tokenListError?: string;
}

export interface ConnectorStatus {
  connector: number;
  state: SessionState | 'idle';
  uid?: string;
  offline?: boolean;
  /** Post-authorization refused the card and neither stop nor cap applies: deliver no energy. */
  suspended: boolean;
  capWh?: number;
}

export interface ChargerStatus {
  deviceId: string;
  link: Link;
  listVersion: number;
  localListVersion: number;
  /** `refused`: records the journal refused at append since provisioning (kept in NVS; also in `status` and `roam inspect`). */
  journal: { status: string; lastSeq: number; ackedSeq: number; depth: number; unsigned: number; refused: number; lost: number };
  connectors: ConnectorStatus[];
  /** Background signing/housekeeping failures since boot (it retries). */
  backgroundFailures: number;
  /** Backend answers that disagreed with the local list since boot (OCPP 1.6 §3.5.2 LocalListConflict; reported in `status`). */
  localListConflicts: number;
}

/** A card as presented: a normalized UID, the reader's raw bytes, or a reader Tap. */
export type Presented = string | Uint8Array | Tap;

/** OCPP UpdateStatus: Failed when the list cannot be stored (too large for its region). */
export type LocalListUpdateStatus = LocalListResult | 'Failed';

interface Wiring {
  clock: BootClock;
  tokens: TokenStore;
  journal: Journal;
  sessions: Sessions;
  view: SessionsAdapter;
  listStore: LocalListStore;
  authorizer: Authorizer;
  sync: SyncClient;
  keeper: JournalKeeper;
  events: Emitter;
}

/**
 * One charger's roaming module, wired once for every platform: the token
 * store, the authorizer (local list kept in flash), the session machine, the
 * signed journal and sync. A Charger is one boot: boot() once, shutdown() when
 * the device goes down (a simulator cutting power, a test).
 */
export class Charger {
  readonly partitions: PartitionNames;
  readonly connectors: number[];
  private w?: Wiring;

  constructor(private readonly o: ChargerOptions) {
    this.partitions = { ...DEFAULT_PARTITIONS, ...o.partitions };
    this.connectors = Object.keys(o.evseIds).map(Number).sort((a, b) => a - b);
  }

  /**
   * Everything rebuilt from flash and NVS. Order: the journal is recovered
   * (Sessions needs its last seq and records), then transactions a power cut
   * left open are closed as PowerLoss, then unsigned records are signed.
   */
  boot(): BootReport {
    if (this.w) throw new Error('Charger.boot: already booted (a Charger is one boot)');
    const o = this.o;
    const p = this.partitions;
    const clock = new BootClock(o.platform.clock);
    const flash = o.platform;
    const settings: AuthSettings = o.auth ?? loadAuthSettings(o.settings);
    const tokens = new TokenStore({
      platform: { flash: (n) => flash.flash(n), crypto: flash.crypto, tokenSearch: flash.tokenSearch }, backendKey: o.backendKey,
      slots: p.tokenSlots, selector: p.tokenSelector, overlay: p.tokenOverlay,
    });
    const journal = new Journal(flash.flash(p.journal), { crypto: flash.crypto, deviceId: o.deviceId, signer: o.signer, settings: o.settings });
    const recovery = journal.recover();
    const events = new Emitter(o.hooks);
    let keeper: JournalKeeper | undefined;
    const sessions = new Sessions({
      journal, meter: o.meter, clock, settings: o.settings, evseIds: o.evseIds,
      connectionTimeoutMs: o.connectionTimeoutMs,
      onEnded: (e) => {
        if (e.seq !== undefined) keeper?.soon(); // signing never runs inside a tap
        if (e.reason === 'EnergyLimitReached' || e.reason === 'DeAuthorized') {
          events.emit('onEnergyStop', e.seq === undefined ? { connector: e.connector, reason: e.reason } : { connector: e.connector, reason: e.reason, seq: e.seq });
        }
        events.emit('onSessionEnded', e);
      },
      onStarted: (e) => events.emit('onSessionStarted', e),
      onSuspended: (connector, suspended) => events.emit(suspended ? 'onSuspend' : 'onResume', { connector }),
    });
    const powerLossRecords = sessions.boot();
    const signed = journal.signPending();
    const view = new SessionsAdapter(sessions);
    const listStore = new LocalListStore(flash.flash(p.localList), o.localListMaxEntries);
    const list = listStore.load();
    let authorizer: Authorizer | undefined;
    const sync = new SyncClient({
      deviceId: o.deviceId, transport: o.transport, clock, random: o.platform.random, journal, lists: announcing(listStoreOf(tokens), tokens, events),
      statusEveryMs: o.statusEveryMs, localListConflicts: () => authorizer?.localListConflicts ?? 0,
    });
    authorizer = new Authorizer({
      clock, tokens, sessions: view, control: view, online: sync.authorizer, settings, list, reader: o.reader,
      // OCPP 1.6 §3.5.2: the backend is told at once (roam's status message, `llc`).
      onLocalListConflict: () => sync.sendStatus(),
    });
    // Post-authorization: the Authorizer checks each session started without a fresh answer as soon as
    // it starts, and retries while connected; a reconnect asks again about every one still unanswered.
    sync.link.onConnect(() => {
      events.emit('onLinkUp');
      authorizer!.recheck();
    });
    sync.link.onDisconnect(() => events.emit('onLinkDown'));
    keeper = new JournalKeeper(clock, journal, () => sync.recordAppended(), o.background,
      (e) => events.fault('flash', 'background-failed', `journal signing/housekeeping failed (retried): ${messageOf(e)}`, e));
    this.w = { clock, tokens, journal, sessions, view, listStore, authorizer: authorizer!, sync, keeper, events };
    return {
      recovery, powerLossRecords, signed, listVersion: tokens.version ?? 0, localListVersion: list.version,
      tokenListError: tokens.bootError?.message,
    };
  }

  /**
   * A card at `connector`: the decision, and its effect on the session there
   * (start on accept, stop the one it may stop). Raw reader bytes are
   * normalized with the reader configuration. No flash erase, signing or
   * compression happens here; the backend is waited for only as auth rules say.
   * The same card again on this connector within `retapGuardMs` of its last
   * accepted or ignored tap resolves at once with action 'ignored' and no effect.
   * Every decision is also told to the onDecision hook.
   */
  tap(presented: Presented, connector: number): Promise<Decision> {
    const w = this.wiring();
    const uid = typeof presented === 'string' || presented instanceof Uint8Array ? presented : presented.uid;
    return new Promise((resolve, reject) => {
      try {
        w.authorizer.tap({ uid, connector }, (d) => {
          try {
            const out = this.act(w, d);
            // Accepted but not carried out (busy or gone meanwhile, journal full): a retry is a new tap.
            if (d.accept && !out.accept) w.authorizer.notCarriedOut(d);
            w.events.emit('onDecision', out);
            resolve(out);
          } catch (e) {
            reject(e);
          }
        });
      } catch (e) {
        reject(e);
      }
    });
  }

  /** The cable is connected: an authorized connector starts its transaction (persisted in NVS). */
  plugIn(connector: number): void {
    this.wiring().sessions.plugIn(connector);
  }

  startCharging(connector: number): void {
    this.wiring().sessions.startCharging(connector);
  }

  /** The cable is removed: the session ends with EVDisconnected. Returns the record's seq. */
  unplug(connector: number): number | undefined {
    return this.wiring().sessions.unplug(connector);
  }

  /**
   * OCPP SendLocalList. The update is applied to a copy and stored first; the
   * list in force changes only once it is on flash, so a cut leaves the old
   * one. Malformed updates throw src/auth's LocalListError, changing nothing.
   */
  applyLocalList(update: LocalListUpdate): LocalListUpdateStatus {
    const w = this.wiring();
    const current = w.authorizer.list;
    const next = LocalList.decode(current.encode(), current.maxEntries); // a working copy
    const result = next.apply(update);
    if (result !== 'Accepted') return result;
    try {
      w.listStore.save(next.encode(), next.version);
    } catch (e) {
      if (e instanceof LocalListStoreError && e.code === 'too-large') return 'Failed';
      throw e;
    }
    const applied = w.authorizer.applyLocalList(update); // same update, same list: now in force
    if (applied === 'Accepted') w.events.emit('onListApplied', { list: 'local', kind: update.updateType === 'Full' ? 'full' : 'differential', version: w.authorizer.list.version });
    return applied;
  }

  status(): ChargerStatus {
    const w = this.wiring();
    const j = w.journal;
    return {
      deviceId: this.o.deviceId,
      link: w.authorizer.link,
      listVersion: w.tokens.version ?? 0,
      localListVersion: w.authorizer.list.version,
      // Between a failed write and the keeper's recovery the journal's figures are unknown.
      journal: j.recovered
        ? { status: j.status, lastSeq: j.lastSeq, ackedSeq: j.ackedSeq, depth: j.depth, unsigned: j.unsigned, refused: j.refused, lost: j.lost }
        : { status: 'recovering', lastSeq: j.lastSeq, ackedSeq: j.ackedSeq, depth: 0, unsigned: 0, refused: j.refused, lost: j.lost },
      connectors: this.connectors.map((c) => {
        const s = w.sessions.session(c);
        if (!s) return { connector: c, state: 'idle', suspended: false };
        const out: ConnectorStatus = { connector: c, state: s.state, uid: s.uid, offline: s.offline, suspended: s.suspended };
        if (s.capWh !== undefined) out.capWh = s.capWh;
        return out;
      }),
      backgroundFailures: w.keeper.failures,
      localListConflicts: w.authorizer.localListConflicts,
    };
  }

  /** The device goes down: every timer of this boot is cancelled, nothing more is written. */
  shutdown(): void {
    const w = this.w;
    if (!w) return;
    w.keeper.stop();
    w.sync.stop();
    w.clock.shutdown();
  }

  // The parts, for the simulator, diagnostics and tests.
  get tokens(): TokenStore { return this.wiring().tokens; }
  get journal(): Journal { return this.wiring().journal; }
  get sessions(): Sessions { return this.wiring().sessions; }
  get authorizer(): Authorizer { return this.wiring().authorizer; }
  get sync(): SyncClient { return this.wiring().sync; }

  private wiring(): Wiring {
    if (!this.w) throw new Error('Charger: boot() first');
    return this.w;
  }

  // A decision may come seconds after the tap (a real-time answer): the
  // connectors may have changed meanwhile, so it is checked again here.
  private act(w: Wiring, d: Decision): Decision {
    if (!d.accept) return d;
    const c = d.connector;
    const refuse = (status: Decision['status'], why: string): Decision => ({ ...d, accept: false, action: 'none', status, reason: `${d.reason}; ${why}` });
    if (d.action === 'start') {
      const elsewhere = w.view.byUid(d.uid);
      if (elsewhere) return refuse('ConcurrentTx', `meanwhile the card started a session on connector ${elsewhere.connector}`);
      try {
        w.sessions.authorize(c, d, { capWh: d.energyCapWh }); // Sessions keeps checkLater and unknownOffline from d
      } catch (e) {
        // Busy meanwhile, the journal full or recovering from a failed write:
        // the card is fine, the session cannot be (the keeper recovers it soon).
        if (e instanceof SessionError || e instanceof JournalError) {
          w.keeper.soon();
          return { ...d, accept: false, action: 'none', reason: `${d.reason}; no session: ${e.message}` };
        }
        throw e;
      }
      return d;
    }
    if (d.action === 'stop') {
      if (w.view.byConnector(c)?.id !== d.stopsSession) return refuse(d.status, 'the session it would stop has ended meanwhile');
      w.sessions.stopByCard(c, d.stopBy === 'master' ? 'MasterPass' : d.stopBy === 'group' ? 'GroupCard' : 'Local');
    }
    return d;
  }
}

/** The token store's list port, telling onListApplied when a full image or a differential comes into force. */
function announcing(port: ListStore, tokens: TokenStore, events: Emitter): ListStore {
  const told = (kind: 'full' | 'differential') => events.emit('onListApplied', { list: 'tokens', kind, version: tokens.version ?? 0 });
  return {
    ...port,
    commit: () => {
      port.commit();
      told('full');
    },
    applyDifferential: (bytes) => {
      port.applyDifferential(bytes);
      told('differential');
    },
  };
}
