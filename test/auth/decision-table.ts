// The decision table: every combination of whitelist class × valid ×
// connectivity × local list/cache state × policy, run through the real
// Authorizer, and an expectation written separately from the rules of the
// brief (section 2) and issue 4. Shared by the vitest suite and the XS scenario.
import { VirtualClock } from '../../host-sim/hal/virtual-clock.js';
import {
  Authorizer, defaultAuthSettings, offlineModeSettings, SessionTable,
  type AuthRequest, type AuthSettings, type AuthStatus, type Decision, type IdTagInfo, type OnlineAuthorizer,
  type Partner, type TokenEntry, type TokenLookup,
} from '../../src/auth/index.js';

export const CLASSES = ['ALWAYS', 'ALLOWED_TABLE', 'ALLOWED_REALTIME', 'ALLOWED_OFFLINE', 'NEVER', 'ABSENT'] as const;
export const CONNECTIVITY = ['answers-accepted', 'answers-blocked', 'timeout', 'unknown', 'offline'] as const;
export const STATES = ['none', 'list-accepted', 'list-blocked', 'list-expired', 'cache-accepted', 'cache-blocked'] as const;
export const POLICIES = ['ocpp-default', 'no-preauthorize', 'unknown-check-later', 'no-charging', 'free-vend', 'no-local-offline-allow-unknown'] as const;

export interface Case {
  cls: (typeof CLASSES)[number];
  valid: boolean;
  conn: (typeof CONNECTIVITY)[number];
  state: (typeof STATES)[number];
  policy: (typeof POLICIES)[number];
}

export interface Outcome {
  accept: boolean;
  status: AuthStatus;
  method: 'AUTH_REQUEST' | 'WHITELIST';
  offline: boolean;
  checkLater: boolean;
  /** a request went to the backend for this tap */
  asked: boolean;
  /** decided before the clock moved */
  immediate: boolean;
}

export function cases(): Case[] {
  const out: Case[] = [];
  for (const policy of POLICIES)
    for (const conn of CONNECTIVITY)
      for (const state of STATES)
        for (const cls of CLASSES)
          for (const valid of cls === 'ABSENT' ? [true] : [true, false]) out.push({ cls, valid, conn, state, policy });
  return out;
}

export const TIMEOUT_MS = 2000;
const UID = '04A1B2C3D4E5F6';
const OTHER_UID = '04FFEEDDCCBBAA';

export function policySettings(policy: Case['policy']): AuthSettings {
  const s = { ...defaultAuthSettings(), onlineTimeoutMs: TIMEOUT_MS };
  switch (policy) {
    case 'ocpp-default': return { ...s, localAuthorizeOffline: true, localPreAuthorize: true, allowOfflineTxForUnknownId: false };
    case 'no-preauthorize': return { ...s, localAuthorizeOffline: true, localPreAuthorize: false, allowOfflineTxForUnknownId: false };
    case 'unknown-check-later': return { ...s, ...offlineModeSettings('UNKNOWN_CHECK_LATER') };
    case 'no-charging': return { ...s, ...offlineModeSettings('NO_CHARGING') };
    case 'free-vend': return { ...s, ...offlineModeSettings('FREE_VEND') };
    case 'no-local-offline-allow-unknown': return { ...s, localAuthorizeOffline: false, allowOfflineTxForUnknownId: true };
  }
}

/** A backend that answers after `delayMs` (on the virtual clock), or never. */
export class FakeBackend implements OnlineAuthorizer {
  online = true;
  requests: AuthRequest[] = [];
  constructor(private clock: VirtualClock, public answer: IdTagInfo | undefined, public delayMs = 100) {}
  request(req: AuthRequest, reply: (info: IdTagInfo) => void): void {
    this.requests.push(req);
    const a = this.answer;
    if (a) this.clock.setTimer(this.delayMs, () => reply(a));
  }
}

export class MapTokens implements TokenLookup {
  readonly map = new Map<string, TokenEntry>();
  lookup(uid: string) { return this.map.get(uid); }
}

const TABLE_PARTNER: Partner = { id: 1, countryCode: 'US', partyId: 'BLK', allowedUsesTable: true };
const REALTIME_PARTNER: Partner = { id: 2, countryCode: 'US', partyId: 'SEM', allowedUsesTable: false };

export function runCase(c: Case): Outcome {
  const clock = new VirtualClock();
  const tokens = new MapTokens();
  if (c.cls !== 'ABSENT') {
    const whitelist = c.cls === 'ALLOWED_TABLE' || c.cls === 'ALLOWED_REALTIME' ? 'ALLOWED' : c.cls;
    tokens.map.set(UID, {
      uid: UID, whitelist, valid: c.valid, type: 'RFID', sourceVersion: 1,
      partner: c.cls === 'ALLOWED_REALTIME' ? REALTIME_PARTNER : TABLE_PARTNER,
    });
  }
  const backend = new FakeBackend(clock, c.conn === 'answers-accepted' ? { status: 'Accepted' } : c.conn === 'answers-blocked' ? { status: 'Blocked' } : undefined);
  const auth = new Authorizer({ clock, tokens, sessions: new SessionTable(), online: backend, settings: policySettings(c.policy) });
  const wall = clock.wall().ms;
  if (c.state.startsWith('list-')) {
    const info: IdTagInfo = c.state === 'list-accepted' ? { status: 'Accepted' }
      : c.state === 'list-blocked' ? { status: 'Blocked' } : { status: 'Accepted', expiryDate: wall - 1000 };
    auth.applyLocalList({ listVersion: 1, updateType: 'Full', localAuthorizationList: [{ idTag: UID, idTagInfo: info }] });
  } else if (c.state.startsWith('cache-')) {
    auth.remember(UID, { status: c.state === 'cache-accepted' ? 'Accepted' : 'Blocked' });
  }
  if (c.conn === 'offline') backend.online = false;
  if (c.conn === 'unknown') {
    // An earlier tap's request timed out: the link is now in doubt.
    auth.tap({ uid: OTHER_UID, connector: 2 }, () => {});
    clock.advance(TIMEOUT_MS + 1);
  }
  const before = backend.requests.length;
  let got: Decision | undefined;
  auth.tap({ uid: UID, connector: 1 }, (d) => { got = d; });
  const immediate = got !== undefined;
  clock.advance(TIMEOUT_MS + 1);
  if (!got) throw new Error(`no decision for ${JSON.stringify(c)}`);
  const d = got as Decision;
  return {
    accept: d.accept, status: d.status, method: d.method, offline: d.offline, checkLater: d.checkLater,
    asked: backend.requests.length > before, immediate,
  };
}

/**
 * The expectation, from the rules alone.
 * - Local list, then cache (an id found there is "local"). Online, a local
 *   Accepted id starts at once under LocalPreAuthorize; any other local id is
 *   asked about.
 * - Token table: ALWAYS never asks; ALLOWED follows the partner (table ⇒ like
 *   ALWAYS, real time ⇒ like ALLOWED_OFFLINE); ALLOWED_OFFLINE and NEVER ask;
 *   valid=false always asks where it can.
 * - An id nowhere is asked about.
 * - An answer in time decides (AUTH_REQUEST, not offline).
 * - Without an answer in time (offline, timed out, or link in doubt): local
 *   non-Accepted refused with its status (whatever the unknown policy); local
 *   Accepted / ALWAYS / ALLOWED_OFFLINE accepted if LocalAuthorizeOffline, else
 *   treated as unknown; valid=false refused Invalid; NEVER and absent ids
 *   follow the unknown-id policy (AllowOfflineTxForUnknownId: accept, else
 *   refuse Unknown). Offline accepts are checked later, except ALWAYS ones
 *   and free vend admissions of unknown ids.
 * - A known-offline link never waits and sends nothing; a link in doubt
 *   decides at once but still sends the request.
 */
export function expected(c: Case): Outcome {
  const p = policySettingsFlags(c.policy);
  const localStatus: AuthStatus | undefined = {
    'none': undefined, 'list-accepted': 'Accepted', 'list-blocked': 'Blocked', 'list-expired': 'Expired',
    'cache-accepted': 'Accepted', 'cache-blocked': 'Blocked',
  }[c.state] as AuthStatus | undefined;
  const cls = c.cls === 'ALLOWED_TABLE' ? 'ALWAYS' : c.cls === 'ALLOWED_REALTIME' ? 'ALLOWED_OFFLINE' : c.cls;

  let needBackend: boolean;
  if (localStatus) needBackend = !(localStatus === 'Accepted' && p.preauth);
  else if (cls !== 'ABSENT') needBackend = !c.valid || cls !== 'ALWAYS';
  else needBackend = true;

  const answersInTime = c.conn === 'answers-accepted' || c.conn === 'answers-blocked';
  const asked = needBackend && c.conn !== 'offline';
  const immediate = !(needBackend && (answersInTime || c.conn === 'timeout'));

  if (needBackend && answersInTime) {
    const ok = c.conn === 'answers-accepted';
    return { accept: ok, status: ok ? 'Accepted' : 'Blocked', method: 'AUTH_REQUEST', offline: false, checkLater: false, asked, immediate };
  }
  const offline = c.conn === 'offline' || c.conn === 'unknown' || (needBackend && c.conn === 'timeout');
  const out = (accept: boolean, status: AuthStatus, checkLater: boolean): Outcome =>
    ({ accept, status, method: 'WHITELIST', offline, checkLater: accept && offline && checkLater, asked, immediate });
  const unknownPolicy = () => (p.allowUnknown ? out(true, 'Accepted', !p.freeVend) : out(false, 'Unknown', false));

  if (localStatus) {
    if (!offline) return out(true, 'Accepted', true);
    if (localStatus !== 'Accepted') return out(false, localStatus, false);
    return p.localOffline ? out(true, 'Accepted', true) : unknownPolicy();
  }
  if (cls === 'ABSENT') return unknownPolicy();
  if (!c.valid) return out(false, 'Invalid', false);
  if (cls === 'ALWAYS') return offline && !p.localOffline ? unknownPolicy() : out(true, 'Accepted', false);
  if (cls === 'ALLOWED_OFFLINE') return p.localOffline ? out(true, 'Accepted', true) : unknownPolicy();
  return unknownPolicy(); // NEVER
}

/** The policies' flags, restated by hand (not read back from the presets). */
function policySettingsFlags(policy: Case['policy']) {
  switch (policy) {
    case 'ocpp-default': return { localOffline: true, preauth: true, allowUnknown: false, freeVend: false };
    case 'no-preauthorize': return { localOffline: true, preauth: false, allowUnknown: false, freeVend: false };
    case 'unknown-check-later': return { localOffline: true, preauth: true, allowUnknown: true, freeVend: false };
    case 'no-charging': return { localOffline: false, preauth: true, allowUnknown: false, freeVend: false };
    case 'free-vend': return { localOffline: true, preauth: true, allowUnknown: true, freeVend: true };
    case 'no-local-offline-allow-unknown': return { localOffline: false, preauth: true, allowUnknown: true, freeVend: false };
  }
}

export function label(c: Case): string {
  return `${c.policy}/${c.conn}/${c.state}/${c.cls}${c.valid ? '' : '/invalid'}`;
}
