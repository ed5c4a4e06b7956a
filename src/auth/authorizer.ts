import type { Clock, TimerId } from '../../hal/clock.js';
import { AuthCache } from './auth-cache.js';
import { cacheMayHold, decideFromAnswer, ignoredTap, plan, type Decision, type Link, type Plan, type Sources } from './decide.js';
import { LocalList, type LocalListResult, type LocalListUpdate } from './local-list.js';
import type { OnlineAuthorizer } from './online.js';
import { defaultAuthSettings, type AuthSettings } from './policy.js';
import { applyPostAuth, type PostAuthAction } from './post-auth.js';
import type { SessionControl, SessionInProgress, SessionsView } from './sessions.js';
import { AUTH_STATUSES, effectiveStatus, type AuthStatus, type IdTagInfo } from './status.js';
import { normalizeUid } from '../tokens/index.js';
import type { ReaderConfig, TokenLookup } from './token-source.js';
import { checkUid, UidFormatError } from './uid.js';
import { RetapGuard } from './retap-guard.js';
import { TrustedTime } from './trusted-time.js';

/** How long a post-authorization request may go unanswered before it is asked again. */
export const RECHECK_RETRY_MS = 60_000;

/**
 * OCPP 1.6 §3.5.2 LocalListConflict: the backend's answer about an id on the
 * local list disagrees with the list's status for it.
 */
export interface LocalListConflict {
  uid: string;
  list: AuthStatus;
  backend: AuthStatus;
}

export interface TapInput {
  /** Normalized UID (upper-case hex), or the reader's raw output (normalized per `reader`). */
  uid: string | Uint8Array;
  connector: number;
}

export interface AuthorizerDeps {
  clock: Clock;
  tokens: TokenLookup;
  sessions: SessionsView;
  online: OnlineAuthorizer;
  settings?: AuthSettings;
  list?: LocalList;
  /** Needed for post-authorization (late answers, rechecks). */
  control?: SessionControl;
  /** How the reader delivers UIDs, for taps given as raw reader output. */
  reader?: ReaderConfig;
  /** Told of each local-list conflict (OCPP 1.6 §3.5.2), to report it to the backend. */
  onLocalListConflict?: (c: LocalListConflict) => void;
}

/** Connector numbers are small non-negative integers; anything else is a caller bug. */
export class TapError extends Error {
  constructor(message: string) {
    super(message);
    // Defined, not assigned: on a device preloading freezes Error.prototype, and
    // `this.name = …` then throws ("set name: not writable") instead of naming the error.
    Object.defineProperty(this, 'name', { value: 'TapError', writable: true, enumerable: true, configurable: true });
  }
}

/**
 * Authorizes taps. A decision comes synchronously when no backend round trip
 * is wanted or possible (known-offline link: at once, no timer, no request);
 * otherwise after the backend's answer or the timeout, whichever is first.
 * A timeout marks the link 'unknown': later taps decide at once while their
 * requests still go out, and the first answer marks it 'online' again.
 */
export class Authorizer {
  readonly list: LocalList;
  readonly cache: AuthCache;
  /** FLOOD-1: repeats of a card's tap on a connector within retapGuardMs (src/auth's own). */
  private readonly retaps = new RetapGuard();
  private current: AuthSettings;
  private suspect = false;
  /** Backend answers dropped for an unknown status or malformed fields. */
  malformedAnswers = 0;
  /** Local-list conflicts (OCPP 1.6 §3.5.2) seen since boot. */
  localListConflicts = 0;
  private correlation = 0;
  /** Sessions the backend has answered for: post-authorization is done. */
  private readonly settled = new Set<string>();
  /**
   * Rechecks in flight (session id → monotonic ms sent). Delivery is QoS 0: a
   * request or its answer may be lost, so an unanswered one is asked again
   * after RECHECK_RETRY_MS while connected, and at every reconnect.
   */
  private readonly asking = new Map<string, number>();
  /**
   * Start requests still unanswered when their fallback admitted the card
   * (`connector|uid` → monotonic ms sent): the session's first check is that
   * request, so no second one goes out before RECHECK_RETRY_MS.
   */
  private readonly inflight = new Map<string, number>();
  private retryTimer?: TimerId;
  private retryAt = 0;
  private soonTimer?: TimerId;
  private onPostAuth?: (s: SessionInProgress, a: PostAuthAction) => void;
  private readonly src: Sources;

  constructor(private readonly deps: AuthorizerDeps) {
    this.current = { ...(deps.settings ?? defaultAuthSettings()) };
    this.list = deps.list ?? new LocalList();
    this.cache = new AuthCache(deps.clock, cacheOptions(this.current));
    const clock = deps.clock;
    const trusted = new TrustedTime(clock);
    this.src = {
      settings: this.current,
      list: this.list,
      cache: this.cache,
      tokens: deps.tokens,
      sessions: deps.sessions,
      wallMs: () => clock.wall().ms,
      trustedMs: () => trusted.now(),
    };
  }

  get settings(): AuthSettings {
    return { ...this.current };
  }

  set settings(next: AuthSettings) {
    const listOn = !this.current.localAuthListEnabled && next.localAuthListEnabled;
    this.current = { ...next };
    this.src.settings = this.current;
    this.cache.configure(cacheOptions(this.current));
    if (listOn) this.uncacheListed(); // the list is known again: its ids leave the cache
  }

  get link(): Link {
    if (!this.deps.online.online) {
      this.suspect = false; // a new connection gets a fresh chance
      return 'offline';
    }
    return this.suspect ? 'unknown' : 'online';
  }

  /**
   * Decides a tap; `done` runs once, synchronously when nothing is waited for. Bad input throws before anything.
   * A repeat of the card's tap on this connector within retapGuardMs gets action 'ignored' at once: nothing
   * asked, started or stopped.
   */
  tap(input: TapInput, done: (d: Decision) => void): void {
    const uid = this.uidOf(input.uid);
    const connector = input.connector;
    if (!Number.isInteger(connector) || connector < 0 || connector > 255)
      throw new TapError(`connector must be an integer in 0..255, got ${String(connector)}`);
    const clock = this.deps.clock;
    const windowMs = this.current.retapGuardMs;
    // One clock read for a tap decided at once (a native call on a device): nothing waits in between.
    const now = clock.monotonic();
    if (this.retaps.repeats(uid, connector, now, windowMs)) return done(ignoredTap(uid, connector, windowMs));
    const link = this.link;
    let decidedAt: number | undefined = now;
    const decide = (d: Decision) => {
      this.guard(d, decidedAt);
      // A start without a fresh answer: post-authorize it on the next turn, once the session exists (the
      // caller starts it in done). On a known-offline link recheck() would send nothing: the reconnect's asks.
      if (d.accept && d.action === 'start' && d.checkLater && link !== 'offline') this.recheckSoon();
      done(d);
    };
    const p = plan(this.src, uid, connector, link);
    if (p.kind === 'decided') return decide(p.decision);
    decidedAt = undefined; // decided later: the guard reads the clock then
    const sentAt = clock.monotonic();
    if (link === 'unknown') {
      this.send(p, (info) => this.late(p.fallback, info));
      this.awaiting(p.fallback, sentAt);
      return decide(p.fallback);
    }
    // Being decided: repeats during the backend round trip are not asked again.
    this.retaps.open(uid, connector, clock.monotonic(), windowMs);
    let settled = false;
    let timer: TimerId | undefined;
    this.send(p, (info) => {
      if (settled) return this.late(p.fallback, info);
      settled = true;
      if (timer !== undefined) clock.clearTimer(timer);
      decide(decideFromAnswer(this.src, p, info));
    });
    if (settled) return;
    timer = this.deps.clock.setTimer(this.current.onlineTimeoutMs, () => {
      if (settled) return;
      settled = true;
      this.suspect = true;
      this.awaiting(p.fallback, sentAt);
      decide({ ...p.fallback, reason: `${p.fallback.reason} (no answer within ${this.current.onlineTimeoutMs} ms)` });
    });
  }

  /** Re-tap windows open now (bounded by RetapGuard.MAX_ENTRIES). */
  get retapWindows(): number {
    return this.retaps.size;
  }

  /**
   * The caller could not carry out an accepted decision (the connector became
   * busy, the journal is full): the card's window closes, so a retry is a new tap.
   */
  notCarriedOut(d: Decision): void {
    this.retaps.forget(d.uid, d.connector);
  }

  authorize(input: TapInput): Promise<Decision> {
    return new Promise((resolve, reject) => {
      try {
        this.tap(input, resolve);
      } catch (e) {
        reject(e);
      }
    });
  }

  /** OCPP SendLocalList; ids now on the list leave the cache. Malformed: LocalListError, nothing changed. */
  applyLocalList(update: LocalListUpdate): LocalListResult {
    const result = this.list.apply(update);
    if (result === 'Accepted' && this.current.localAuthListEnabled) this.uncacheListed();
    return result;
  }

  /**
   * An IdTagInfo the backend sent (an answer, or some other way, e.g.
   * StartTransaction.conf). The cache stores only what may be used: not for
   * ids on the (enabled) local list (OCPP 1.6 §3.5.3), not ConcurrentTx (about
   * this moment, not the card), nothing for ALWAYS-class tokens (the table
   * decides) and no Accepted for NEVER or valid=false tokens (never started
   * from the cache); an entry that may no longer be held is dropped.
   */
  remember(uid: string, info: IdTagInfo): void {
    if (!wellFormed(info)) return;
    if (info.status === 'ConcurrentTx') return;
    if (this.current.localAuthListEnabled && this.list.has(uid)) return;
    if (cacheMayHold(this.deps.tokens.lookup(uid), info)) this.cache.put(uid, info);
    else this.cache.delete(uid);
  }

  /**
   * Post-authorization: asks the backend about each session in progress that
   * was started without a fresh real-time answer (Decision.checkLater), until
   * it answers, and applies its verdict (StopTxOnInvalidId /
   * MaxEnergyOnInvalidId / suspend) to the refused ones. Runs by itself after
   * each such start and every RECHECK_RETRY_MS while one is unanswered and the
   * link is up; call it when the link comes back. Returns the requests sent.
   */
  recheck(onAction?: (s: SessionInProgress, a: PostAuthAction) => void): number {
    if (onAction) this.onPostAuth = onAction;
    if (this.link === 'offline') return 0; // the reconnect calls again
    // Only live sessions are remembered: a charger stays up for months.
    const all = this.deps.sessions.all();
    const live = new Set(all.map((s) => s.id));
    for (const id of this.settled) if (!live.has(id)) this.settled.delete(id);
    for (const id of this.asking.keys()) if (!live.has(id)) this.asking.delete(id);
    const now = this.deps.clock.monotonic();
    for (const [key, at] of this.inflight) if (now - at >= RECHECK_RETRY_MS) this.inflight.delete(key);
    let sent = 0;
    let due = Infinity; // ms until the next unanswered check is due again
    for (const s of all) {
      if (!s.checkLater || this.settled.has(s.id)) continue;
      let at = this.asking.get(s.id);
      if (at === undefined) {
        // The tap's own request, still unanswered, is the first check.
        at = this.inflight.get(`${s.connector}|${s.uid}`);
        if (at !== undefined) this.asking.set(s.id, at);
      }
      if (at !== undefined && now - at < RECHECK_RETRY_MS) { // still in flight
        due = Math.min(due, at + RECHECK_RETRY_MS - now);
        continue;
      }
      due = Math.min(due, RECHECK_RETRY_MS);
      this.asking.set(s.id, now);
      sent++;
      this.deps.online.request({ correlationId: this.nextId(), uid: s.uid, connector: s.connector, purpose: 'recheck' }, (info) => {
        if (!wellFormed(info)) {
          this.malformedAnswers++;
          this.asking.delete(s.id); // ask again next time
          return;
        }
        if (this.settled.has(s.id)) return; // a second answer to a repeated question
        this.settled.add(s.id);
        this.asking.delete(s.id);
        this.answered(s.uid, info);
        this.postAuth(s, info);
      });
    }
    // Until every such session is answered: a lost request or answer is asked again, connected or not.
    if (due !== Infinity && (this.retryTimer === undefined || this.retryAt > now + due)) {
      if (this.retryTimer !== undefined) this.deps.clock.clearTimer(this.retryTimer);
      this.retryAt = now + due;
      this.retryTimer = this.deps.clock.setTimer(due, () => {
        this.retryTimer = undefined;
        this.recheck();
      });
    }
    return sent;
  }

  /** The former name of recheck(). */
  recheckOfflineSessions(onAction?: (s: SessionInProgress, a: PostAuthAction) => void): number {
    return this.recheck(onAction);
  }

  /** A recheck on the next turn, once the session the decision admitted has started. */
  private recheckSoon(): void {
    if (this.soonTimer !== undefined) return;
    this.soonTimer = this.deps.clock.setTimer(0, () => {
      this.soonTimer = undefined;
      this.recheck();
    });
  }

  /** A fallback admitted a card while its request is unanswered: that request is the session's first check. */
  private awaiting(fallback: Decision, sentAt: number): void {
    if (!fallback.accept || fallback.action !== 'start' || !fallback.checkLater) return;
    if (this.inflight.size >= 32) this.inflight.delete(this.inflight.keys().next().value as string);
    this.inflight.set(`${fallback.connector}|${fallback.uid}`, sentAt);
  }

  private uncacheListed(): void {
    for (const id of this.list.ids()) this.cache.delete(id);
  }

  /** The window runs from the decision (the user sees the outcome then); a refusal opens none. */
  private guard(d: Decision, now?: number): void {
    if (d.accept) this.retaps.open(d.uid, d.connector, now ?? this.deps.clock.monotonic(), this.current.retapGuardMs);
    else this.retaps.forget(d.uid, d.connector);
  }

  /** A late answer was cached by send(); a session it admitted offline now gets post-authorized. */
  private late(fallback: Decision, info: IdTagInfo): void {
    if (!fallback.accept || fallback.action !== 'start' || !fallback.checkLater) return;
    this.inflight.delete(`${fallback.connector}|${fallback.uid}`);
    const s = this.deps.sessions.byConnector(fallback.connector);
    if (!s || s.uid !== fallback.uid || this.settled.has(s.id)) return;
    this.settled.add(s.id);
    this.asking.delete(s.id);
    this.postAuth(s, info);
  }

  private postAuth(s: SessionInProgress, info: IdTagInfo): void {
    if (!this.deps.control) return;
    const a = applyPostAuth(s, info, this.current, this.deps.control);
    if (a.kind === 'suspend') {
      // A suspended session stays open: the backend is asked again every RECHECK_RETRY_MS while connected
      // (and at each reconnect); an Accepted answer then resumes it (applyPostAuth's continue).
      this.settled.delete(s.id);
      this.asking.set(s.id, this.deps.clock.monotonic());
      this.recheckSoon();
    }
    this.onPostAuth?.(s, a);
  }

  private answered(uid: string, info: IdTagInfo): void {
    this.suspect = false;
    this.checkConflict(uid, info);
    this.remember(uid, info);
  }

  /** OCPP 1.6 §3.5.2: the backend's status for a listed id is not the list's. The list is kept; the backend is told. */
  private checkConflict(uid: string, info: IdTagInfo): void {
    if (!this.current.localAuthListEnabled || info.status === 'ConcurrentTx') return;
    const listed = this.list.lookup(uid);
    if (!listed) return;
    // Without a time to judge the list's expiry by, the list's own status is compared.
    const now = this.src.trustedMs();
    const mine = now === undefined ? listed.status : effectiveStatus(listed, () => now);
    if (mine === info.status) return;
    this.localListConflicts++;
    this.deps.onLocalListConflict?.({ uid, list: mine, backend: info.status });
  }

  private send(p: Extract<Plan, { kind: 'ask' }>, answer: (info: IdTagInfo) => void): void {
    const { uid, connector } = p.fallback;
    this.deps.online.request({ correlationId: this.nextId(), uid, connector, partnerId: p.token?.partner.id, purpose: p.purpose }, (info) => {
      if (!wellFormed(info)) {
        this.malformedAnswers++; // as if unanswered: the timeout decides, nothing is cached
        return;
      }
      this.answered(uid, info);
      answer(info);
    });
  }

  private nextId(): string {
    return `auth-${++this.correlation}`;
  }

  private uidOf(raw: string | Uint8Array): string {
    if (typeof raw === 'string') return checkUid(raw);
    if (!this.deps.reader) throw new UidFormatError('raw reader output needs the reader configuration');
    return normalizeUid(raw, this.deps.reader); // throws the token table's UidError
  }
}

function cacheOptions(s: AuthSettings) {
  return { enabled: s.authorizationCacheEnabled, lifetimeS: s.authCacheLifetimeS, maxEntries: s.authCacheMaxEntries };
}

function wellFormed(info: IdTagInfo): boolean {
  if (typeof info !== 'object' || info === null || !AUTH_STATUSES.includes(info.status)) return false;
  if (info.expiryDate !== undefined && !Number.isFinite(info.expiryDate)) return false;
  return info.groupId === undefined || (typeof info.groupId === 'string' && info.groupId.length > 0 && info.groupId.length <= 36);
}
