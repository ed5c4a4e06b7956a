import type { AuthCache } from './auth-cache.js';
import type { LocalList } from './local-list.js';
import { isMasterPassGroup, type AuthSettings } from './policy.js';
import type { SessionInProgress, SessionsView } from './sessions.js';
import { effectiveStatus, type AuthMethod, type AuthStatus, type IdTagInfo } from './status.js';
import type { Partner, TokenEntry, TokenLookup } from './token-source.js';

/** What the charger does with a tap. */
export interface Decision {
  accept: boolean;
  /**
   * start a session, stop the one on the connector, nothing (refused), or
   * ignored: the same card again within retapGuardMs (no effect; nothing to show).
   */
  action: 'start' | 'stop' | 'none' | 'ignored';
  status: AuthStatus;
  reason: string;
  /** For the record: asked the backend, or decided from a local source. */
  method: AuthMethod;
  uid: string;
  connector: number;
  partner?: Partner;
  groupId?: string;
  /** Decided without the backend because it could not be reached in time (or the link is in doubt). */
  offline: boolean;
  /** The session the tap stops (action 'stop'), and by which right: its own card, its group, a master pass. */
  stopsSession?: string;
  stopBy?: 'card' | 'group' | 'master';
  /** Energy cap for the session, Wh (unknown ids admitted offline). */
  energyCapWh?: number;
  /**
   * Started without a fresh real-time answer (offline, from the local list or the cache, unknown-id
   * policy): the backend is asked as soon as the link allows, until it answers, and a refusal
   * stops or caps the session (post-authorization). False for ALWAYS and free vend (final).
   */
  checkLater: boolean;
  /** Admitted under the unknown-id policy: counts against its offline cap. */
  unknownOffline: boolean;
}

/** Everything a decision reads. None of it touches flash erase, signing or compression. */
export interface Sources {
  settings: AuthSettings;
  list: LocalList;
  cache: AuthCache;
  tokens: TokenLookup;
  sessions: SessionsView;
  wallMs: () => number;
  /** For entries stored on the device: the time it can vouch for (TrustedTime), if any. */
  trustedMs: () => number | undefined;
}

/** online: ask and wait; unknown: the last request timed out, decide now but still ask; offline: known down. */
export type Link = 'online' | 'unknown' | 'offline';

export type Plan =
  | { kind: 'decided'; decision: Decision }
  | { kind: 'ask'; purpose: 'start' | 'stop'; fallback: Decision; session?: SessionInProgress; token?: TokenEntry; groupId?: string };

/** The OCPI class as the device applies it: ALLOWED becomes ALWAYS (the partner uses the table) or ALLOWED_OFFLINE. */
export type AppliedClass = 'ALWAYS' | 'ALLOWED_OFFLINE' | 'NEVER';

export function appliedClass(token: TokenEntry): AppliedClass {
  const w = token.whitelist;
  if (w === 'ALLOWED') return token.partner.allowedUsesTable ? 'ALWAYS' : 'ALLOWED_OFFLINE';
  return w;
}

/**
 * OCPI ALWAYS: "realtime authorization is not possible/allowed". Only a token
 * whose own class is ALWAYS is never asked about; ALLOWED allows real time even
 * when the partner uses the table (asked only when the table cannot accept it).
 */
export function realtimeAllowed(token: TokenEntry | undefined): boolean {
  return token === undefined || token.whitelist !== 'ALWAYS';
}

/**
 * Whether the authorization cache is consulted, and may store answers, for an
 * id: not for ALWAYS-class tokens (the table decides, and no answer about one
 * is ever stored, so any entry predates its table row); for NEVER and
 * valid=false tokens only refusals (they are never started from the cache).
 */
export function cacheMayHold(token: TokenEntry | undefined, info: IdTagInfo): boolean {
  if (!token) return true;
  const cls = appliedClass(token);
  if (cls === 'ALWAYS') return false;
  if (cls === 'NEVER' || !token.valid) return info.status !== 'Accepted';
  return true;
}

interface Ctx {
  src: Sources;
  uid: string;
  connector: number;
  token?: TokenEntry;
  groupId?: string;
  offline: boolean;
  /** A start, or a card asking to stop another card's session (group, master pass). */
  purpose: 'start' | 'stop';
}

/** What the device holds about a card: its token-table row (and class), its local-list entry, its cache entry. */
interface Known { token?: TokenEntry; cls?: AppliedClass; listed?: IdTagInfo; cached?: IdTagInfo }

/**
 * The local half of a tap: either a decision, or a request to make with the
 * decision that stands (offline: true) if the backend cannot answer in time.
 *
 * Order (docs/auth.md, "The rules"): the connector's session (its own card
 * stops it), ConcurrentTx, master pass; then the card: a refusal any current
 * source holds (local list, token table valid=false, cache) wins over any
 * acceptance; then the token table's class (NEVER and ALLOWED_OFFLINE ask
 * whenever the link allows, ALWAYS never asks); then, for ids not on the
 * table, an Accepted local-list or cache entry; then the unknown-id policy.
 * A card stops another card's session only if it would be authorized itself
 * and is of the session's group (or the master pass group).
 */
export function plan(src: Sources, uid: string, connector: number, link: Link): Plan {
  const s = src.settings;
  const token = src.tokens.lookup(uid);
  const cls = token ? appliedClass(token) : undefined;
  const listed = s.localAuthListEnabled ? src.list.lookup(uid) : undefined;
  // The list has priority over the cache (OCPP 1.6 §3.5.3); an ALWAYS-class row over any cache entry.
  const cached = listed || cls === 'ALWAYS' ? undefined : src.cache.lookup(uid);
  const k: Known = { token, cls, listed, cached };
  const groupId = (listed ?? cached)?.groupId ?? token?.groupId;
  const session = src.sessions.byConnector(connector);
  const c: Ctx = { src, uid, connector, token, groupId, offline: link !== 'online', purpose: session ? 'stop' : 'start' };

  if (session) {
    if (session.uid === uid) return decided(stop(c, session, 'card', 'WHITELIST', 'the card that started the session stops it'));
    return planStop(c, session, planCard(c, k, link), link !== 'offline');
  }
  if (src.sessions.byUid(uid)) return decided(refuse(c, 'ConcurrentTx', 'this card is charging on another connector'));
  if (isMasterPassGroup(s, groupId)) return decided(refuse(c, 'Invalid', 'master pass card: stops sessions, starts none'));
  return planCard(c, k, link);
}

/** The decision once the backend has answered in time. */
export function decideFromAnswer(src: Sources, p: Extract<Plan, { kind: 'ask' }>, info: IdTagInfo): Decision {
  const { uid, connector } = p.fallback;
  const groupId = info.groupId ?? p.groupId;
  const c: Ctx = { src, uid, connector, token: p.token, groupId, offline: false, purpose: p.purpose };
  // The answer is the backend's word now; its expiryDate says when the cached entry ends (OCPP 1.6 §7 IdTagInfo).
  const status = info.status;
  if (p.purpose === 'stop') {
    const session = p.session!;
    const right = stopRight(src.settings, groupId, session);
    if (!right) return refuse(c, 'Invalid', `backend: card is not of the group of the session on connector ${connector}`, 'AUTH_REQUEST');
    if (status !== 'Accepted') return refuse(c, status, `backend: ${status}; a card not authorized may not stop a session`, 'AUTH_REQUEST');
    return stop(c, session, right, 'AUTH_REQUEST', right === 'master' ? 'backend: master pass card stops any session' : `backend: group ${groupId} may stop this session`);
  }
  if (status !== 'Accepted') return refuse(c, status, `backend: ${status}`, 'AUTH_REQUEST');
  if (isMasterPassGroup(src.settings, groupId)) return refuse(c, 'Invalid', 'master pass card: stops sessions, starts none', 'AUTH_REQUEST');
  const d = base(c, true, 'start', 'Accepted', 'backend: Accepted', 'AUTH_REQUEST');
  return d;
}

/** The card itself, as for a start (for a stop: LocalAuthorizeOffline and the unknown-id policy do not apply). */
function planCard(c: Ctx, k: Known, link: Link): Plan {
  const s = c.src.settings;
  const mayAsk = link !== 'offline';
  // The decision that stands without an answer is an offline one (on a known-offline link, c is already).
  const off: Ctx = c.offline ? c : { ...c, offline: true };
  const token = k.token;

  // 1. A refusal held locally wins over any acceptance; asked about where real time is allowed.
  const refusal = k.listed || k.cached || (token && !token.valid) ? localRefusal(c.src, k) : undefined;
  if (refusal) {
    if (!realtimeAllowed(token)) return decided(refuse(c, refusal[0], `${refusal[1]} (whitelist ALWAYS: never asked)`));
    return askOr(c, mayAsk, refuse(off, refusal[0], refusal[1]));
  }
  // 2. The token table's class: the list and the cache add nothing to it.
  if (token) {
    const label = token.whitelist === k.cls ? k.cls : `ALLOWED (partner uses ${k.cls === 'ALWAYS' ? 'the table' : 'real time'})`;
    if (k.cls === 'NEVER') return askOr(c, mayAsk, unknownPolicy(off, 'token table: whitelist NEVER needs real-time authorization'));
    if (k.cls === 'ALLOWED_OFFLINE')
      return askOr(c, mayAsk, localOffline(c)
        ? accept(off, `token table: whitelist ${label}, backend unreachable`, false)
        : unknownPolicy(off, `token table: whitelist ${label}, but LocalAuthorizeOffline is off`));
    // ALWAYS never waits for the backend, online or not.
    if (c.offline && !localOffline(c)) return decided(unknownPolicy(c, `token table: ${label}, but LocalAuthorizeOffline is off`));
    return decided(accept(c, `token table: whitelist ${label}`, true));
  }
  // 3. Not on the table: an Accepted local-list or cache entry.
  const local = k.listed ?? k.cached;
  if (local) {
    const where = k.listed ? 'local list' : 'authorization cache';
    // Online it starts without asking, and is checked with the backend right after (post-authorization).
    if (link === 'online' && s.localPreAuthorize) return decided(accept(c, `${where}: Accepted (LocalPreAuthorize)`, false));
    return askOr(c, mayAsk, localOffline(c)
      ? accept(off, `${where}: Accepted, backend unreachable`, false)
      : unknownPolicy(off, `${where}: Accepted, but LocalAuthorizeOffline is off`));
  }
  // 4. Known nowhere.
  return askOr(c, mayAsk, unknownPolicy(off, 'not in the local list, the cache or the token table'));
}

/** Ask (the fallback stands without an answer in time) where the link allows, else decide the fallback now. */
function askOr(c: Ctx, mayAsk: boolean, fallback: Decision): Plan {
  return mayAsk ? ask(c, fallback) : decided(fallback);
}

/** The first refusal a current source holds: the list's status, the table's valid=false, the cache's status. */
function localRefusal(src: Sources, k: Known): [AuthStatus, string] | undefined {
  if (k.listed) {
    const st = effectiveStatus(k.listed, src.trustedMs);
    if (st !== 'Accepted') return [st, `local list: ${st}`];
  }
  if (k.token && !k.token.valid) return ['Invalid', 'token table: valid=false'];
  if (k.cached) {
    const st = effectiveStatus(k.cached, src.trustedMs);
    if (st !== 'Accepted') return [st, `authorization cache: ${st}`];
  }
  return undefined;
}

/**
 * Another card on a charging connector: it stops the session if it is itself
 * authorized (as for a start) and of the session's group, or of the master
 * pass group (OCPP 1.6 §4.1, §3.10); else refused.
 */
function planStop(c: Ctx, session: SessionInProgress, card: Plan, mayAsk: boolean): Plan {
  const right = stopRight(c.src.settings, c.groupId, session);
  const why = `connector ${c.connector} is charging another card, not of this card's group`;
  const asStop = (d: Decision): Decision => {
    if (!right) return refuse({ ...c, offline: d.offline }, 'Invalid', why, d.method);
    if (!d.accept) return { ...d, reason: `${d.reason}: may not stop the session of its group` };
    const by = right === 'master' ? 'master pass card stops any session' : `card of the same group (${c.groupId}) stops the session`;
    return stop({ ...c, offline: d.offline }, session, right, d.method, `${by} (${d.reason})`);
  };
  const askStop = (fallback: Decision): Plan =>
    ({ kind: 'ask', purpose: 'stop', fallback: { ...asStop(fallback), offline: true }, session, token: c.token, groupId: c.groupId });
  if (card.kind === 'decided') {
    // A group no local source knows may be known to the backend, where real time is allowed.
    if (c.groupId === undefined && mayAsk && realtimeAllowed(c.token)) return askStop(card.decision);
    return decided(asStop(card.decision));
  }
  // The card needs the backend: unless a group known here already rules the stop out.
  if (c.groupId !== undefined && !right) return decided(refuse(c, 'Invalid', why));
  return askStop(card.fallback);
}

function stopRight(s: AuthSettings, groupId: string | undefined, session: SessionInProgress): Decision['stopBy'] | undefined {
  if (isMasterPassGroup(s, groupId)) return 'master';
  if (groupId !== undefined && groupId === session.groupId) return 'group';
  return undefined;
}

/** LocalAuthorizeOffline governs starts ("will start a transaction"); a stop by an authorized card is not one. */
function localOffline(c: Ctx): boolean {
  return c.purpose === 'stop' || c.src.settings.localAuthorizeOffline;
}

/** AllowOfflineTxForUnknownId, its caps, and free vend. */
function unknownPolicy(c: Ctx, why: string): Decision {
  const s = c.src.settings;
  // An id admitted only because it is unknown has no right over another card's session.
  if (c.purpose === 'stop') return refuse(c, 'Unknown', `${why}; not authorized here`);
  if (!s.allowOfflineTxForUnknownId) return refuse(c, 'Unknown', `${why}; AllowOfflineTxForUnknownId is off`);
  if (s.freeVend) return accept(c, `${why}; free vend`, true);
  if (s.unknownMaxSessions > 0) {
    const n = c.src.sessions.unknownOfflineCount();
    if (n >= s.unknownMaxSessions)
      return refuse(c, 'Unknown', `${why}; ${n} offline sessions of unknown ids already (cap ${s.unknownMaxSessions})`);
  }
  const d = accept(c, `${why}; AllowOfflineTxForUnknownId`, false);
  d.unknownOffline = true;
  if (s.unknownMaxWh > 0) d.energyCapWh = s.unknownMaxWh;
  return d;
}

/**
 * A repeat of the card's last tap on this connector (RetapGuard): nothing was
 * decided or done. accept is false (nothing may start on it); status Accepted
 * because the card was not refused, as when a session cannot start.
 */
export function ignoredTap(uid: string, connector: number, windowMs: number): Decision {
  return {
    accept: false, action: 'ignored', status: 'Accepted', method: 'WHITELIST', uid, connector, offline: false,
    checkLater: false, unknownOffline: false,
    reason: `the same card on connector ${connector} within ${windowMs} ms of its last tap: ignored (retapGuardMs)`,
  };
}

function decided(decision: Decision): Plan {
  return { kind: 'decided', decision };
}

function ask(c: Ctx, fallback: Decision): Plan {
  return { kind: 'ask', purpose: 'start', fallback, token: c.token, groupId: c.groupId };
}

function base(c: Ctx, accept: boolean, action: Decision['action'], status: AuthStatus, reason: string, method: AuthMethod): Decision {
  const d: Decision = { accept, action, status, reason, method, uid: c.uid, connector: c.connector, offline: c.offline, checkLater: false, unknownOffline: false };
  if (c.token) d.partner = c.token.partner;
  if (c.groupId !== undefined) d.groupId = c.groupId;
  return d;
}

/**
 * A start decided here, without a fresh answer from the backend: it is
 * post-authorized (checked with the backend as soon as the link allows)
 * unless `final` (ALWAYS, which forbids real time; free vend).
 */
function accept(c: Ctx, reason: string, final: boolean): Decision {
  const d = base(c, true, 'start', 'Accepted', reason, 'WHITELIST');
  d.checkLater = !final;
  return d;
}

function refuse(c: Ctx, status: AuthStatus, reason: string, method: AuthMethod = 'WHITELIST'): Decision {
  return base(c, false, 'none', status, reason, method);
}

function stop(c: Ctx, session: SessionInProgress, by: Decision['stopBy'], method: AuthMethod, reason: string): Decision {
  const d = base(c, true, 'stop', 'Accepted', reason, method);
  d.stopsSession = session.id;
  d.stopBy = by;
  return d;
}
