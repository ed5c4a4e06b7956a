import type { Clock, TimerId } from '../../hal/clock.js';
import type { EnergyMeter } from '../../hal/meter.js';
import type { Settings } from '../../hal/settings.js';
import { decodeValue, encodeValue } from './cbor.js';
import { JournalError, RecordError, SessionError } from './errors.js';
import type { Journal } from './journal.js';
import {
  checkFacts, decodeRecord, MAX_METER_WH, type AuthMethod, type Partner, type RefusedReading, type SessionFacts, type StopReason, type Timestamp,
} from './record.js';

/**
 * The decision that starts a session, as src/auth produces it. Declared here
 * structurally so that sessions do not depend on the auth module.
 */
export interface Authorization {
  accept: boolean;
  status: string;
  reason: string;
  method: AuthMethod;
  partner?: Partner;
  uid: string;
  groupId?: string;
  offline: boolean;
  /** Started without a fresh real-time answer: post-authorization asks the backend about it. */
  checkLater?: boolean;
  /** Admitted under the unknown-id policy (counts against its offline cap). */
  unknownOffline?: boolean;
}

export type SessionState = 'authorized' | 'plugged' | 'charging';

const CARD_STOPS = ['Local', 'GroupCard', 'MasterPass'] as const;
export type CardStop = (typeof CARD_STOPS)[number];

export interface SessionView {
  /** The session's name while it lasts (c<connector>.<n>, counted from boot). */
  id: string;
  connector: number;
  state: SessionState;
  uid: string;
  groupId?: string;
  offline: boolean;
  start?: Timestamp;
  /** The start reading, or the status of one refused at the meter boundary. */
  meterStartWh?: number | RefusedReading;
  /** Energy cap in Wh, when one applies (unknown id offline, or invalid on post-authorization). */
  capWh?: number;
  checkLater: boolean;
  unknownOffline: boolean;
  /** Post-authorization refused the card and neither stop nor cap applies: open, but no energy. */
  suspended: boolean;
}

export interface SessionsOptions {
  journal: Journal;
  meter: EnergyMeter;
  clock: Clock;
  /** Where a transaction under way is kept across power cuts (NVS on a device). */
  settings: Settings;
  /** EVSE id of each connector. */
  evseIds: Record<number, string>;
  /** How long an authorization waits for the cable (OCPP ConnectionTimeOut); default 60 s. */
  connectionTimeoutMs?: number;
  /** How often an energy cap is checked against the meter; default 1 s. */
  capCheckMs?: number;
  /**
   * Told after each record is journaled (seq) or when an authorization expires (seq undefined).
   * `meterError`: a reading of the session was refused at the meter boundary (the record says 'O' or
   * 'F' in its place). `recordError`: the journal refused the record (counted in Journal.refused);
   * the session is over all the same, and has no record.
   */
  onEnded?: (event: SessionEnded) => void;
  /** Told when a transaction begins (authorized and plugged): its start reading is taken. */
  onStarted?: (event: SessionStarted) => void;
  /** Told when post-authorization suspends energy delivery, or lifts the suspension. */
  onSuspended?: (connector: number, suspended: boolean) => void;
}

export interface SessionStarted {
  connector: number;
  id: string;
  uid: string;
  offline: boolean;
  /** The start reading, or OCMF's status of one refused at the meter boundary. */
  meterStartWh: number | RefusedReading;
}

export interface SessionEnded {
  connector: number;
  reason: StopReason | 'ConnectionTimeout';
  seq?: number;
  meterError?: string;
  recordError?: string;
}

/** A reading as it entered: whole Wh, or refused with OCMF's meter status and why. */
export type MeterReading = { wh: number; error?: undefined } | { wh: RefusedReading; error: string };

/**
 * The meter boundary: every reading a record holds enters here. A reading is
 * whole Wh in 0..MAX_METER_WH (2^53 − 1); a fraction is truncated (records
 * are in whole Wh; an S0 meter of 800 impulses/kWh counts 1.25 Wh per pulse);
 * above the maximum it is refused as 'O' (out of range); anything else — not
 * a number, NaN, negative, or a meter that throws — as 'F' (read error).
 */
export function readMeter(meter: EnergyMeter, connector: number): MeterReading {
  let wh: unknown;
  try {
    wh = meter.readWh(connector);
  } catch (e) {
    return { wh: 'F', error: `connector ${connector}: the meter failed (${(e as Error)?.message ?? String(e)}): reading refused, recorded as F (read error)` };
  }
  if (typeof wh !== 'number' || Number.isNaN(wh) || wh < 0)
    return { wh: 'F', error: `connector ${connector}: meter reading ${String(wh)} Wh is not a valid register value: refused, recorded as F (read error)` };
  if (wh > MAX_METER_WH)
    return { wh: 'O', error: `connector ${connector}: meter reading ${wh} Wh is above the largest a record holds (${MAX_METER_WH} Wh, 2^53 − 1): refused, recorded as O (out of range)` };
  return { wh: Math.floor(wh) };
}

interface Live {
  id: string;
  connector: number;
  suspended: boolean;
  state: SessionState;
  auth: Authorization;
  start?: Timestamp;
  /** Monotonic ms at the start: the wall clock may be set during a session. */
  startMono?: number;
  meterStartWh?: number | RefusedReading;
  /** Why the start reading was refused, if it was. */
  meterStartError?: string;
  capWh?: number;
  timer?: TimerId;
  capTimer?: TimerId;
}

/** Drift between wall and monotonic time over a session that is not a clock setting. */
const CLOCK_SLACK_S = 2;
const KEY_PREFIX = 'ses.c';
const keyOf = (connector: number) => `${KEY_PREFIX}${connector}`;
// Fields of the persisted open-transaction state (CBOR map, integer keys).
// stop and meterStop: the PowerLoss close decided at a boot that found no room for it.
const P = { evse: 1, uid: 2, partner: 3, group: 4, method: 5, offline: 6, start: 7, meterStart: 8, nextSeq: 9, stop: 10, meterStop: 11 } as const;
/** How often a PowerLoss record the journal had no room for is tried again. */
const DEFERRED_RETRY_MS = 30_000;

/**
 * The charging sessions of one charger: authorized → plugged → charging →
 * stopped. A transaction starts when an authorized connector has its cable;
 * from then on its state is persisted, so a power cut ends it at the next boot
 * with reason PowerLoss. Each stop appends one record to the journal (unsigned;
 * signing happens in the background).
 */
export class Sessions {
  private readonly live = new Map<number, Live>();
  private readonly pluggedIdle = new Set<number>();
  // PowerLoss records that found no room at boot (cuts ate the spare room),
  // by connector: kept in NVS, retried, and the connector refused meanwhile
  // (a new transaction would overwrite the old one's state).
  private readonly deferred = new Map<number, SessionFacts>();
  private retryTimer?: TimerId;
  // Why a deferred PowerLoss close's stop reading was refused, told with its record.
  private readonly meterErrors = new Map<number, string>();
  private counter = 0;

  constructor(private readonly o: SessionsOptions) {
    // Every connector can have a transaction under way; each must find room
    // for its record, at its stop or at the boot after a cut. authorize()
    // refuses while the journal cannot keep that much back.
    o.journal.reserve(Object.keys(o.evseIds).length);
  }

  /**
   * At boot, after journal.recover(): closes every transaction a power cut
   * interrupted, from its persisted state and the meter (which kept counting).
   * Idempotent: a transaction whose record reached the journal is not recorded twice.
   * One the journal has no room for is never dropped (writeDeferred).
   * Returns the seqs of the records written.
   */
  boot(): number[] {
    const unfixed = new Map<number, { facts: Omit<SessionFacts, 'stop' | 'meterStopWh' | 'stopReason'>; nextSeq: number }>();
    for (const key of this.o.settings.keys()) {
      if (!key.startsWith(KEY_PREFIX)) continue;
      const connector = Number(key.slice(KEY_PREFIX.length));
      const value = this.o.settings.get(key);
      const saved = value instanceof Uint8Array ? decodeOpen(value) : undefined;
      if (!saved) {
        this.o.settings.delete(key); // unreadable: nothing can be recorded from it
        continue;
      }
      if (this.alreadyJournaled(saved.facts, saved.nextSeq)) {
        this.o.settings.delete(key);
        continue;
      }
      let closed = saved.closed;
      if (!closed) {
        const stop = readMeter(this.o.meter, connector);
        closed = { ...saved.facts, stop: this.now(), meterStopWh: stopReading(saved.facts.meterStartWh, stop.wh), stopReason: 'PowerLoss' };
        if (stop.error) this.meterErrors.set(connector, stop.error);
      }
      this.deferred.set(connector, closed);
      if (!saved.closed) unfixed.set(connector, saved);
    }
    const written = this.writeDeferred(false);
    // What must wait keeps the stop of this boot, for the later write or the next boot.
    for (const [connector, closed] of this.deferred) {
      const saved = unfixed.get(connector);
      if (saved) this.o.settings.set(keyOf(connector), encodeOpen(saved.facts, saved.nextSeq, closed));
    }
    return written;
  }

  /**
   * Appends the PowerLoss records still waiting, in the order found; from the
   * first the journal has no room for on, they stay in NVS and are tried again
   * on a timer (and by poll()). Returns the seqs written.
   */
  private writeDeferred(notify: boolean): number[] {
    const written: number[] = [];
    for (const [connector, facts] of this.deferred) {
      let seq: number | undefined;
      let recordError: string | undefined;
      try {
        seq = this.o.journal.append(facts, { reserved: true });
      } catch (e) {
        if (e instanceof JournalError && e.code === 'full') break;
        // A record the journal cannot shape never will be: waiting would block
        // the connector (and every boot) for nothing. Refused, counted, told.
        if (!isRefusedRecord(e)) throw e;
        recordError = (e as Error).message;
      }
      if (seq !== undefined) written.push(seq);
      this.o.settings.delete(keyOf(connector));
      this.deferred.delete(connector);
      const meterError = this.meterErrors.get(connector);
      this.meterErrors.delete(connector);
      if (notify || recordError !== undefined || meterError !== undefined) this.o.onEnded?.(ended({ connector, reason: 'PowerLoss', seq }, meterError, recordError));
    }
    if (this.deferred.size === 0 && this.retryTimer !== undefined) {
      this.o.clock.clearTimer(this.retryTimer);
      this.retryTimer = undefined;
    } else if (this.deferred.size > 0 && this.retryTimer === undefined) {
      this.retryTimer = this.o.clock.setTimer(DEFERRED_RETRY_MS, () => this.writeDeferred(true), true);
    }
    return written;
  }

  /** Starts a session on `connector` for an accepted authorization; the tap path: no flash write. */
  authorize(connector: number, auth: Authorization, options: { capWh?: number } = {}): void {
    this.evseOf(connector);
    if (!auth || auth.accept !== true) throw new SessionError('not-accepted', `authorization not accepted (${auth?.status}): no session`);
    if (this.live.has(connector)) throw new SessionError('busy', `connector ${connector} already has a session`);
    if (this.o.journal.status === 'full') throw new SessionError('journal-full', 'the record journal is full: no session can be recorded');
    if (this.deferred.has(connector)) throw new SessionError('journal-full', `connector ${connector}: the record of the session a power cut ended waits for room in the journal`);
    const s: Live = { id: `c${connector}.${this.counter + 1}`, connector, state: 'authorized', auth, capWh: options.capWh, suspended: false };
    const now = this.now();
    checkFacts({ ...this.factsOf(s, now, 0), stop: now, meterStopWh: 0, stopReason: 'Local' }); // bad input fails the tap, not the stop
    this.counter++;
    this.live.set(connector, s);
    if (this.pluggedIdle.has(connector)) {
      this.pluggedIdle.delete(connector);
      this.beginTransaction(s);
    } else {
      s.timer = this.o.clock.setTimer(this.o.connectionTimeoutMs ?? 60_000, () => this.expire(connector));
    }
  }

  /** The cable is connected. With an authorization waiting, the transaction starts. */
  plugIn(connector: number): void {
    this.evseOf(connector);
    const s = this.live.get(connector);
    if (!s) {
      this.pluggedIdle.add(connector);
      return;
    }
    if (s.state !== 'authorized') throw new SessionError('bad-state', `connector ${connector} is already ${s.state}`);
    this.beginTransaction(s);
  }

  /** The EV draws power. */
  startCharging(connector: number): void {
    const s = this.get(connector);
    if (s.state !== 'plugged') throw new SessionError('bad-state', `connector ${connector} is ${s.state}, not plugged`);
    s.state = 'charging';
  }

  /**
   * A card stopped the session: its own ('Local'), one of its group
   * ('GroupCard') or a master pass ('MasterPass'). Who may stop is src/auth's
   * decision; this records it. Returns the seq of the record written.
   */
  stopByCard(connector: number, by: CardStop): number | undefined {
    if (!CARD_STOPS.includes(by)) throw new SessionError('bad-state', `a card stops a session as ${CARD_STOPS.join(', ')}, not ${String(by)}`);
    return this.stop(this.get(connector), by);
  }

  /** The cable is removed: the transaction ends ('EVDisconnected'). */
  unplug(connector: number): number | undefined {
    this.evseOf(connector);
    this.pluggedIdle.delete(connector);
    const s = this.live.get(connector);
    if (!s || s.state === 'authorized') return undefined;
    return this.stop(s, 'EVDisconnected');
  }

  /**
   * Post-authorization said invalid and StopTxOnInvalidId applies (src/auth
   * decides which; the session machine only carries it out): the session ends
   * as 'DeAuthorized'. Returns the seq of its record, if it had begun.
   */
  deauthorize(connector: number): number | undefined {
    const s = this.get(connector);
    if (s.state === 'authorized') {
      this.end(s);
      this.o.onEnded?.({ connector, reason: 'DeAuthorized' });
      return undefined;
    }
    return this.stop(s, 'DeAuthorized');
  }

  /** Caps the session's energy (MaxEnergyOnInvalidId); returns the seq of its record if the cap is already reached. */
  limitEnergy(connector: number, maxWh: number): number | undefined {
    if (!(maxWh >= 0)) throw new SessionError('bad-cap', `energy cap must be >= 0 Wh, got ${maxWh}`);
    const s = this.get(connector);
    s.capWh = Math.min(s.capWh ?? Infinity, maxWh);
    return s.state === 'authorized' ? undefined : this.checkCap(s);
  }

  /** Checks energy caps now (also done on a timer); returns seqs of records written. */
  poll(): number[] {
    const out = this.deferred.size > 0 ? this.writeDeferred(true) : [];
    for (const s of [...this.live.values()]) {
      const seq = this.checkCap(s);
      if (seq !== undefined) out.push(seq);
    }
    return out;
  }

  /**
   * Post-authorization refused the card and neither StopTxOnInvalidId nor a cap applies
   * (src/auth decides): the session stays open but delivers no energy until resume().
   */
  suspend(connector: number): void {
    const s = this.get(connector);
    if (s.suspended) return;
    s.suspended = true;
    this.o.onSuspended?.(connector, true);
  }

  /** A later backend answer accepted the card: energy may flow again. */
  resume(connector: number): void {
    const s = this.get(connector);
    if (!s.suspended) return;
    s.suspended = false;
    this.o.onSuspended?.(connector, false);
  }

  session(connector: number): SessionView | undefined {
    const s = this.live.get(connector);
    if (!s) return undefined;
    const a = s.auth;
    return {
      id: s.id, connector, state: s.state, uid: a.uid, groupId: a.groupId, offline: a.offline, start: s.start, meterStartWh: s.meterStartWh,
      capWh: s.capWh, checkLater: a.checkLater === true, unknownOffline: a.unknownOffline === true, suspended: s.suspended,
    };
  }

  /** The session whose id is `id`, if it is still in progress. */
  byId(id: string): SessionView | undefined {
    for (const s of this.live.values()) if (s.id === id) return this.session(s.connector);
    return undefined;
  }

  /** Connectors with a session in progress, ascending. */
  connectors(): number[] {
    return [...this.live.keys()].sort((a, b) => a - b);
  }

  // — internals —

  private evseOf(connector: number): string {
    const evse = this.o.evseIds[connector];
    if (typeof evse !== 'string') throw new SessionError('unknown-connector', `no EVSE id for connector ${connector}`);
    return evse;
  }

  private get(connector: number): Live {
    this.evseOf(connector);
    const s = this.live.get(connector);
    if (!s) throw new SessionError('no-session', `no session on connector ${connector}`);
    return s;
  }

  private now(): Timestamp {
    const w = this.o.clock.wall();
    return { seconds: Math.floor(w.ms / 1000), quality: w.quality };
  }

  /**
   * The stop instant. If the wall clock reads before the start, or was set
   * during a session that began on a trusted clock (it moved unlike the
   * monotonic clock), the stop is only informative ('I'): a record never claims
   * a synchronized stop it cannot vouch for. A first synchronization (start
   * 'U') moves the clock too, and then it is the start that was wrong.
   */
  private stopTime(s: Live, start: Timestamp): Timestamp {
    const stop = this.now();
    const elapsed = s.startMono === undefined ? undefined : (this.o.clock.monotonic() - s.startMono) / 1000;
    const jumped = start.quality !== 'U' && elapsed !== undefined && Math.abs(stop.seconds - start.seconds - elapsed) > CLOCK_SLACK_S;
    return stop.seconds < start.seconds || jumped ? { seconds: stop.seconds, quality: stop.quality === 'U' ? 'U' : 'I' } : stop;
  }

  private beginTransaction(s: Live): void {
    if (s.timer !== undefined) this.o.clock.clearTimer(s.timer);
    s.timer = undefined;
    const start = this.now();
    const reading = readMeter(this.o.meter, s.connector);
    const meterStartWh = reading.wh;
    s.meterStartError = reading.error;
    const facts = this.factsOf(s, start, meterStartWh);
    // Persisted before the state changes: a cut here leaves no transaction at all.
    this.o.settings.set(keyOf(s.connector), encodeOpen(facts, this.o.journal.lastSeq + 1));
    s.start = start;
    s.startMono = this.o.clock.monotonic();
    s.meterStartWh = meterStartWh;
    s.state = 'plugged';
    if (s.capWh !== undefined) this.armCap(s);
    this.o.onStarted?.({ connector: s.connector, id: s.id, uid: s.auth.uid, offline: s.auth.offline, meterStartWh });
  }

  private factsOf(s: Live, start: Timestamp, meterStartWh: number | RefusedReading): Omit<SessionFacts, 'stop' | 'meterStopWh' | 'stopReason'> {
    const a = s.auth;
    const f: Omit<SessionFacts, 'stop' | 'meterStopWh' | 'stopReason'> = { evseId: this.evseOf(s.connector), uid: a.uid, method: a.method, offline: a.offline, start, meterStartWh };
    if (a.partner) f.partner = { id: a.partner.id, countryCode: a.partner.countryCode, partyId: a.partner.partyId };
    if (a.groupId !== undefined) f.groupId = a.groupId;
    return f;
  }

  private armCap(s: Live): void {
    if (s.capTimer === undefined) s.capTimer = this.o.clock.setTimer(this.o.capCheckMs ?? 1000, () => this.checkCap(s), true);
  }

  private checkCap(s: Live): number | undefined {
    if (s.capWh === undefined || s.meterStartWh === undefined || this.live.get(s.connector) !== s) return undefined;
    // A cap cannot be kept without readings: a refused one ends the session (its record says which).
    const now = readMeter(this.o.meter, s.connector);
    if (typeof s.meterStartWh === 'number' && typeof now.wh === 'number' && now.wh - s.meterStartWh < s.capWh) {
      this.armCap(s);
      return undefined;
    }
    return this.stop(s, 'EnergyLimitReached');
  }

  /** Appends the record, then forgets the transaction; a cut in between is resolved by boot(). */
  private stop(s: Live, reason: StopReason): number | undefined {
    if (s.state === 'authorized' || s.start === undefined || s.meterStartWh === undefined) {
      this.end(s);
      return undefined;
    }
    const reading = readMeter(this.o.meter, s.connector);
    let seq: number | undefined;
    let recordError: string | undefined;
    try {
      seq = this.o.journal.append({
        ...this.factsOf(s, s.start, s.meterStartWh),
        stop: this.stopTime(s, s.start),
        meterStopWh: stopReading(s.meterStartWh, reading.wh),
        stopReason: reason,
      }, { reserved: true });
    } catch (e) {
      // A record the journal cannot shape (counted in Journal.refused): the
      // session is over all the same; keeping it would only block the connector
      // and fail again at every boot. Anything else (full, a flash fault) is thrown.
      if (!isRefusedRecord(e)) throw e;
      recordError = (e as Error).message;
    }
    this.o.settings.delete(keyOf(s.connector));
    this.end(s);
    if (reason !== 'EVDisconnected') this.pluggedIdle.add(s.connector); // the cable is still in
    this.o.onEnded?.(ended({ connector: s.connector, reason, seq }, joinErrors(s.meterStartError, reading.error), recordError));
    return seq;
  }

  private end(s: Live): void {
    if (s.timer !== undefined) this.o.clock.clearTimer(s.timer);
    if (s.capTimer !== undefined) this.o.clock.clearTimer(s.capTimer);
    this.live.delete(s.connector);
  }

  private expire(connector: number): void {
    const s = this.live.get(connector);
    if (!s || s.state !== 'authorized') return;
    this.end(s);
    this.o.onEnded?.({ connector, reason: 'ConnectionTimeout' });
  }

  /** Is a record of this transaction among the records appended since it began? */
  private alreadyJournaled(f: Omit<SessionFacts, 'stop' | 'meterStopWh' | 'stopReason'>, nextSeq: number): boolean {
    for (const payload of this.o.journal.payloadsFrom(nextSeq)) {
      const r = decodeRecord(payload);
      if (r.evseId === f.evseId && r.start.seconds === f.start.seconds && r.uid === f.uid && r.meterStartWh === f.meterStartWh) return true;
    }
    return false;
  }
}

/** The stop reading: never below the start (a register does not go back), or the status of a refused one. */
function stopReading(start: number | RefusedReading, stop: number | RefusedReading): number | RefusedReading {
  return typeof start === 'number' && typeof stop === 'number' ? Math.max(stop, start) : stop;
}

/** Errors the journal answers a record it cannot shape with: it counts them (Journal.refused). */
function isRefusedRecord(e: unknown): boolean {
  return e instanceof RecordError || (e instanceof JournalError && (e.code === 'unreadable-record' || e.code === 'bad-record'));
}

function joinErrors(a?: string, b?: string): string | undefined {
  return a && b ? `${a}; ${b}` : a ?? b;
}

function ended(e: SessionEnded, meterError?: string, recordError?: string): SessionEnded {
  if (meterError !== undefined) e.meterError = meterError;
  if (recordError !== undefined) e.recordError = recordError;
  return e;
}

function encodeOpen(f: Omit<SessionFacts, 'stop' | 'meterStopWh' | 'stopReason'>, nextSeq: number, closed?: SessionFacts): Uint8Array {
  const m = new Map<number, unknown>([
    [P.evse, f.evseId], [P.uid, f.uid], [P.method, f.method], [P.offline, f.offline],
    [P.start, [f.start.seconds, f.start.quality]], [P.meterStart, f.meterStartWh], [P.nextSeq, nextSeq],
  ]);
  if (f.partner) m.set(P.partner, [f.partner.id, f.partner.countryCode, f.partner.partyId]);
  if (f.groupId !== undefined) m.set(P.group, f.groupId);
  if (closed) {
    m.set(P.stop, [closed.stop.seconds, closed.stop.quality]);
    m.set(P.meterStop, closed.meterStopWh);
  }
  return encodeValue(m);
}

function decodeOpen(bytes: Uint8Array): { facts: Omit<SessionFacts, 'stop' | 'meterStopWh' | 'stopReason'>; nextSeq: number; closed?: SessionFacts } | undefined {
  try {
    const m = decodeValue(bytes) as Map<number, unknown>;
    const start = m.get(P.start) as [number, Timestamp['quality']];
    const facts: Omit<SessionFacts, 'stop' | 'meterStopWh' | 'stopReason'> = {
      evseId: m.get(P.evse) as string,
      uid: m.get(P.uid) as string,
      method: m.get(P.method) as AuthMethod,
      offline: m.get(P.offline) as boolean,
      start: { seconds: start[0], quality: start[1] },
      meterStartWh: m.get(P.meterStart) as number | RefusedReading,
    };
    const partner = m.get(P.partner) as [number, string, string] | undefined;
    if (partner) facts.partner = { id: partner[0], countryCode: partner[1], partyId: partner[2] };
    if (m.has(P.group)) facts.groupId = m.get(P.group) as string;
    const stop = m.get(P.stop) as [number, Timestamp['quality']] | undefined;
    const closed: SessionFacts | undefined = stop
      ? { ...facts, stop: { seconds: stop[0], quality: stop[1] }, meterStopWh: m.get(P.meterStop) as number | RefusedReading, stopReason: 'PowerLoss' }
      : undefined;
    return { facts, nextSeq: m.get(P.nextSeq) as number, closed };
  } catch {
    return undefined;
  }
}
