// The decision table: every combination of whitelist class × valid ×
// connectivity × local list/cache state × policy, run through the real
// Authorizer, against an expectation written from the spec sentences
// (../shared/specs/authorization-rules.md, quoted in SPEC below; issue 18),
// not from the implementation: each rule of expectation() names the sentences
// it encodes, and each outcome says which rules made it. Shared by the vitest
// suite and the XS scenario.
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
    // An entry stored before the token table reached its present state (a stale entry): put
    // directly, since the Authorizer would not store an Accepted for a NEVER or valid=false token.
    auth.cache.put(UID, { status: c.state === 'cache-accepted' ? 'Accepted' : 'Blocked' });
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
 * The sentences the expectation encodes, verbatim (../shared/specs/authorization-rules.md),
 * and roam's own rules where the specs leave room (marked ROAM, reasons in docs/auth.md).
 */
export const SPEC = {
  'OCPI valid=false': 'OCPI 2.2.1 WhitelistType: "If a Token is: valid = false, when the whitelist field requires real-time authorization, the CPO SHALL do a real-time authorization, the state of the Token might have changed."',
  'OCPI ALWAYS': 'OCPI 2.2.1 ALWAYS: "Token always has to be whitelisted, realtime authorization is not possible/allowed. CPO shall always allow any use of this Token."',
  'OCPI ALLOWED': 'OCPI 2.2.1 ALLOWED: "It is allowed to whitelist the token, realtime authorization is also allowed. The CPO may choose which version of authorization to use."',
  'OCPI ALLOWED_OFFLINE': 'OCPI 2.2.1 ALLOWED_OFFLINE: "In normal situations realtime authorization shall be used. But when the CPO cannot get a response from the eMSP (communication between CPO and eMSP is offline), the CPO shall allow this Token to be used."',
  'OCPI NEVER': 'OCPI 2.2.1 NEVER: "Whitelisting is forbidden, only realtime authorization is allowed. CPO shall always send a realtime authorization for any use of this Token to the eMSP."',
  'OCPP16 3.5.1': 'OCPP 1.6 §3.5.1: "When an identifier is presented that is stored in the cache as NOT-valid, and the Charge Point is online: an Authorization.req SHOULD be sent".',
  'OCPP16 3.5.3': 'OCPP 1.6 §3.5.3: "a Charge Point SHALL treat Local Authorization List entries as having priority over Authorization Cache entries for the same identifiers."',
  'OCPP16 3.5.4 list': 'OCPP 1.6 §3.5.4: "Identifiers that are present in a Local Authorization List that have a status other than "Accepted" (Invalid, Restricted, Expired) MUST be rejected. Identifiers that were valid but are apparently expired due to passage of time MUST also be rejected."',
  'OCPP16 3.5.4 unknown': 'OCPP 1.6 §3.5.4: "When offline, a Charge Point MAY allow automatic authorization of any "unknown" identifiers that cannot be explicitly authorized by Local Authorization List or Authorization Cache entries."',
  'OCPP16 4.1': 'OCPP 1.6 §4.1: "If an idTag presented by the user is not present in the Local Authorization List or Authorization Cache, then the Charge Point SHALL send an Authorization.req PDU"',
  'OCPP16 4.8': 'OCPP 1.6 §4.8: "The Central System MUST verify validity of the identifier in the StartTransaction.req PDU, because the identifier might have been authorized locally by the Charge Point using outdated information."',
  'OCPP16 9.1.12': 'OCPP 1.6 §9.1.12 LocalAuthorizeOffline: "whether the Charge Point, when offline, will start a transaction for locally-authorized identifiers."',
  'OCPP16 9.1.13': 'OCPP 1.6 §9.1.13 LocalPreAuthorize: "whether the Charge Point, when online, will start a transaction for locally-authorized identifiers without waiting for or requesting an Authorization.conf from the Central System"',
  'OCPP201 DisablePostAuthorize': 'OCPP 2.0.1 AuthCacheCtrlr / LocalAuthListCtrlr.DisablePostAuthorize: "disables the behavior to request authorization for an idToken that is stored in the cache [local authorization list] with a status other than Accepted" (default: not disabled).',
  'ROAM cache age': 'ROAM: no answer about an ALWAYS-class token is ever cached, so any cache entry for one predates its table row: the table decides (docs/auth.md, R6).',
  'ROAM in doubt': 'ROAM: a link in doubt (the last request timed out) decides at once by the no-answer rule and still sends the request; LocalPreAuthorize needs "online" (docs/auth.md, R13).',
  'ROAM no charging': 'ROAM: LocalAuthorizeOffline off refuses ALWAYS tokens offline too (as unknown ids) (docs/auth.md, R7).',
  'ROAM free vend': 'ROAM: free vend admits unknown ids offline and checks nothing later (docs/auth.md, R11).',
} as const;
export type Rule = keyof typeof SPEC;

/**
 * The expectation, from the sentences in SPEC alone, as rules applied in order:
 * what the device holds about the card decides whether it must ask, and what
 * stands when it gets no answer in time.
 *
 * 1. A refusal held by a current source wins over any acceptance: a non-Accepted
 *    local-list entry (its status), a token valid=false (Invalid), a non-Accepted
 *    cache entry (its status; the cache does not count for ALWAYS-class tokens).
 *    It is asked about wherever real time is allowed, i.e. not for ALWAYS.
 * 2. NEVER is asked about whenever the link allows; list or cache acceptances do
 *    not count; without an answer the unknown-id policy applies.
 * 3. ALLOWED_OFFLINE (and ALLOWED where the partner uses real time) is asked;
 *    without an answer it is accepted under LocalAuthorizeOffline, else unknown.
 * 4. ALWAYS (and ALLOWED where the partner uses the table) is accepted from the
 *    table, never asked, and final; offline without LocalAuthorizeOffline, unknown.
 * 5. Not on the table, Accepted on the list or in the cache: online under
 *    LocalPreAuthorize it starts at once and is post-authorized; otherwise asked,
 *    and without an answer accepted under LocalAuthorizeOffline, else unknown.
 * 6. Known nowhere: asked; without an answer the unknown-id policy.
 * 7. The unknown-id policy: AllowOfflineTxForUnknownId accepts (post-authorized,
 *    except free vend), else refuses Unknown.
 * 8. An answer in time decides (AUTH_REQUEST). A known-offline link asks
 *    nothing and never waits; a link in doubt decides at once and still asks.
 * 9. Every start decided without a fresh answer is post-authorized (checkLater),
 *    except the final ones (rule 4, free vend).
 */
export function expectation(c: Case): { outcome: Outcome; rules: Rule[] } {
  const p = policySettingsFlags(c.policy);
  const rules: Rule[] = [];
  const onTable = c.cls !== 'ABSENT';
  // ALLOWED: the partner's choice (OCPI ALLOWED "The CPO may choose").
  const cls = c.cls === 'ALLOWED_TABLE' ? 'ALWAYS' : c.cls === 'ALLOWED_REALTIME' ? 'ALLOWED_OFFLINE' : c.cls;
  if (c.cls === 'ALLOWED_TABLE' || c.cls === 'ALLOWED_REALTIME') rules.push('OCPI ALLOWED');
  const listStatus = ({ 'list-accepted': 'Accepted', 'list-blocked': 'Blocked', 'list-expired': 'Expired' } as Record<string, AuthStatus>)[c.state];
  const cacheCounts = cls !== 'ALWAYS';
  const cacheStatus = cacheCounts ? ({ 'cache-accepted': 'Accepted', 'cache-blocked': 'Blocked' } as Record<string, AuthStatus>)[c.state] : undefined;
  if (!cacheCounts && c.state.startsWith('cache-')) rules.push('ROAM cache age');
  // The link before the tap: online (it answers, or this tap's request times out), in doubt, or known down.
  const linkOnline = c.conn === 'answers-accepted' || c.conn === 'answers-blocked' || c.conn === 'timeout';
  if (c.conn === 'unknown') rules.push('ROAM in doubt');

  type Local = { accept: boolean; status: AuthStatus; final: boolean };
  const refused = (status: AuthStatus): Local => ({ accept: false, status, final: false });
  const accepted = (final: boolean): Local => ({ accept: true, status: 'Accepted', final });
  const unknownPolicy = (): Local => {
    rules.push('OCPP16 3.5.4 unknown');
    if (!p.allowUnknown) return refused('Unknown');
    if (p.freeVend) rules.push('ROAM free vend');
    return accepted(p.freeVend);
  };
  const localOffline = (): Local => {
    rules.push('OCPP16 9.1.12');
    return p.localOffline ? accepted(false) : unknownPolicy();
  };

  let ask: boolean;
  let noAnswer: () => Local; // what stands without an answer in time (or when nothing is asked)
  let online: Local | undefined; // decided at once on an online link without asking
  let refusal: AuthStatus | undefined;
  if (listStatus && listStatus !== 'Accepted') {
    refusal = listStatus;
    rules.push('OCPP16 3.5.4 list', 'OCPP16 3.5.3', 'OCPP201 DisablePostAuthorize');
  } else if (onTable && !c.valid) {
    refusal = 'Invalid';
    rules.push('OCPI valid=false');
  } else if (cacheStatus && cacheStatus !== 'Accepted') {
    refusal = cacheStatus;
    rules.push('OCPP16 3.5.1', 'OCPP201 DisablePostAuthorize');
  }
  if (refusal) {
    const r = refusal;
    ask = c.cls !== 'ALWAYS'; // real time is allowed for every class but ALWAYS
    if (!ask) rules.push('OCPI ALWAYS');
    noAnswer = () => refused(r);
  } else if (cls === 'NEVER') {
    rules.push('OCPI NEVER');
    ask = true;
    noAnswer = unknownPolicy;
  } else if (cls === 'ALLOWED_OFFLINE') {
    rules.push('OCPI ALLOWED_OFFLINE');
    ask = true;
    noAnswer = localOffline;
  } else if (cls === 'ALWAYS') {
    rules.push('OCPI ALWAYS');
    ask = false;
    noAnswer = () => (linkOnline || p.localOffline ? accepted(true) : (rules.push('ROAM no charging'), unknownPolicy()));
  } else if (listStatus === 'Accepted' || cacheStatus === 'Accepted') {
    if (listStatus) rules.push('OCPP16 3.5.3');
    rules.push('OCPP16 9.1.13');
    ask = !(p.preauth && linkOnline);
    if (!ask) {
      rules.push('OCPP16 4.8');
      online = accepted(false);
    }
    noAnswer = localOffline;
  } else {
    rules.push('OCPP16 4.1');
    ask = true;
    noAnswer = unknownPolicy;
  }

  const asked = ask && c.conn !== 'offline';
  const answersInTime = asked && (c.conn === 'answers-accepted' || c.conn === 'answers-blocked');
  const immediate = !(asked && (answersInTime || c.conn === 'timeout'));
  if (answersInTime) {
    const ok = c.conn === 'answers-accepted';
    return { outcome: { accept: ok, status: ok ? 'Accepted' : 'Blocked', method: 'AUTH_REQUEST', offline: false, checkLater: false, asked, immediate }, rules };
  }
  const local = online ?? noAnswer();
  // Decided without the backend: "offline" unless the link was online and nothing needed asking.
  const offline = !(linkOnline && !asked);
  if (local.accept && !local.final) rules.push('OCPP16 4.8');
  return {
    outcome: { accept: local.accept, status: local.status, method: 'WHITELIST', offline, checkLater: local.accept && !local.final, asked, immediate },
    rules,
  };
}

export function expected(c: Case): Outcome {
  return expectation(c).outcome;
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
