import type { AuthCache } from './auth-cache.js';
import type { LocalList } from './local-list.js';
import type { AuthSettings } from './policy.js';
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
  /** Decided without the backend because it could not be reached in time. */
  offline: boolean;
  /** The session the tap stops (action 'stop'), and by which right: its own card, its group, a master pass. */
  stopsSession?: string;
  stopBy?: 'card' | 'group' | 'master';
  /** Energy cap for the session, Wh (unknown ids admitted offline). */
  energyCapWh?: number;
  /** Started offline: ask the backend when back, and act on a refusal (post-authorization). */
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

interface Ctx { src: Sources; uid: string; connector: number; token?: TokenEntry; groupId?: string; offline: boolean }

/**
 * The local half of a tap: either a decision, or a request to make with the
 * decision that stands (offline: true) if the backend cannot answer in time.
 * Order: the connector's session (stop rules), ConcurrentTx, master pass,
 * local list, cache, token table (OCPI whitelist), unknown-id policy.
 */
export function plan(src: Sources, uid: string, connector: number, link: Link): Plan {
  const s = src.settings;
  const listed = s.localAuthListEnabled ? src.list.lookup(uid) : undefined;
  const local = listed ?? src.cache.lookup(uid);
  const token = src.tokens.lookup(uid);
  const groupId = local?.groupId ?? token?.groupId;
  const c: Ctx = { src, uid, connector, token, groupId, offline: link !== 'online' };
  const mayAsk = link !== 'offline';

  const session = src.sessions.byConnector(connector);
  if (session) return planStop(c, session, mayAsk);
  if (src.sessions.byUid(uid)) return decided(refuse(c, 'ConcurrentTx', 'this card is charging on another connector'));
  if (isMasterPass(s, groupId)) return decided(refuse(c, 'Invalid', 'master pass card: stops sessions, starts none'));

  if (local) {
    const where = listed ? 'local list' : 'authorization cache';
    const status = effectiveStatus(local, src.trustedMs);
    const fallback = offlineLocal({ ...c, offline: true }, status, where);
    if (!mayAsk) return decided(fallback);
    // Online it would start without asking, so there is nothing to ask; in doubt, offline rules apply.
    if (status === 'Accepted' && s.localPreAuthorize)
      return decided(c.offline ? fallback : accept(c, `${where}: Accepted (LocalPreAuthorize)`, false));
    return ask(c, 'start', fallback);
  }
  if (token) return planToken(c, token, mayAsk);
  const fallback = unknownPolicy({ ...c, offline: true }, 'not in the local list, the cache or the token table');
  return mayAsk ? ask(c, 'start', fallback) : decided(fallback);
}

/** The decision once the backend has answered in time. */
export function decideFromAnswer(src: Sources, p: Extract<Plan, { kind: 'ask' }>, info: IdTagInfo): Decision {
  const { uid, connector } = p.fallback;
  const groupId = info.groupId ?? p.groupId;
  const c: Ctx = { src, uid, connector, token: p.token, groupId, offline: false };
  if (p.purpose === 'stop') {
    const session = p.session!;
    if (info.groupId !== undefined && (isMasterPass(src.settings, info.groupId) || info.groupId === session.groupId))
      return stop(c, session, isMasterPass(src.settings, info.groupId) ? 'master' : 'group', 'AUTH_REQUEST', `backend: group ${info.groupId} may stop this session`);
    return refuse(c, 'Invalid', `backend: card is not of the group of the session on connector ${connector}`, 'AUTH_REQUEST');
  }
  const status = effectiveStatus(info, src.wallMs);
  if (status !== 'Accepted') return refuse(c, status, `backend: ${status}`, 'AUTH_REQUEST');
  if (isMasterPass(src.settings, groupId)) return refuse(c, 'Invalid', 'master pass card: stops sessions, starts none', 'AUTH_REQUEST');
  return { ...accept(c, 'backend: Accepted', false), method: 'AUTH_REQUEST' };
}

function planStop(c: Ctx, session: SessionInProgress, mayAsk: boolean): Plan {
  if (session.uid === c.uid) return decided(stop(c, session, 'card', 'WHITELIST', 'the card that started the session stops it'));
  const s = c.src.settings;
  if (c.groupId !== undefined && isMasterPass(s, c.groupId))
    return decided(stop(c, session, 'master', 'WHITELIST', 'master pass card stops any session'));
  if (c.groupId !== undefined && c.groupId === session.groupId)
    return decided(stop(c, session, 'group', 'WHITELIST', `card of the same group (${c.groupId}) stops the session`));
  const why = `connector ${c.connector} is charging another card, not of this card's group`;
  // A group we do not know locally may be known to the backend.
  if (c.groupId === undefined && mayAsk)
    return { kind: 'ask', purpose: 'stop', fallback: refuse({ ...c, offline: true }, 'Invalid', why), session, token: c.token };
  return decided(refuse(c, 'Invalid', why));
}

function planToken(c: Ctx, token: TokenEntry, mayAsk: boolean): Plan {
  const s = c.src.settings;
  const off = { ...c, offline: true };
  // valid=false refuses, but the token may have changed since: ask where possible.
  if (!token.valid) {
    const refusal = refuse(off, 'Invalid', 'token table: valid=false');
    return mayAsk ? ask(c, 'start', refusal) : decided(refusal);
  }
  let cls = token.whitelist;
  if (cls === 'ALLOWED') cls = token.partner.allowedUsesTable ? 'ALWAYS' : 'ALLOWED_OFFLINE';
  const label = token.whitelist === cls ? cls : `ALLOWED (partner uses ${cls === 'ALWAYS' ? 'the table' : 'real time'})`;
  if (cls === 'ALWAYS') {
    // Never waits for the backend, online or not.
    if (c.offline && !s.localAuthorizeOffline)
      return decided(unknownPolicy(c, `token table: ${label}, but LocalAuthorizeOffline is off`));
    return decided(accept(c, `token table: whitelist ${label}`, true));
  }
  const fallback = cls === 'ALLOWED_OFFLINE'
    ? s.localAuthorizeOffline
      ? accept(off, `token table: whitelist ${label}, backend unreachable`, false)
      : unknownPolicy(off, `token table: whitelist ${label}, but LocalAuthorizeOffline is off`)
    : unknownPolicy(off, 'token table: whitelist NEVER needs real-time authorization');
  return mayAsk ? ask(c, 'start', fallback) : decided(fallback);
}

function offlineLocal(c: Ctx, status: AuthStatus, where: string): Decision {
  // Blocked, Expired, Invalid… are refused, whatever the unknown-id policy says.
  if (status !== 'Accepted') return refuse(c, status, `${where}: ${status}`);
  if (!c.src.settings.localAuthorizeOffline) return unknownPolicy(c, `${where}: Accepted, but LocalAuthorizeOffline is off`);
  return accept(c, `${where}: Accepted, backend unreachable`, false);
}

/** AllowOfflineTxForUnknownId, its caps, and free vend. */
function unknownPolicy(c: Ctx, why: string): Decision {
  const s = c.src.settings;
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

function isMasterPass(s: AuthSettings, groupId: string | undefined): boolean {
  return groupId !== undefined && s.masterPassGroupId !== '' && groupId === s.masterPassGroupId;
}

function decided(decision: Decision): Plan {
  return { kind: 'decided', decision };
}

function ask(c: Ctx, purpose: 'start', fallback: Decision): Plan {
  return { kind: 'ask', purpose, fallback, token: c.token, groupId: c.groupId };
}

function base(c: Ctx, accept: boolean, action: Decision['action'], status: AuthStatus, reason: string, method: AuthMethod): Decision {
  const d: Decision = { accept, action, status, reason, method, uid: c.uid, connector: c.connector, offline: c.offline, checkLater: false, unknownOffline: false };
  if (c.token) d.partner = c.token.partner;
  if (c.groupId !== undefined) d.groupId = c.groupId;
  return d;
}

/** A start; one decided offline is checked with the backend later unless `final` (ALWAYS, free vend). */
function accept(c: Ctx, reason: string, final: boolean): Decision {
  const d = base(c, true, 'start', 'Accepted', reason, 'WHITELIST');
  d.checkLater = c.offline && !final;
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
