// A small device for rule tests: virtual clock, Map token table, session
// table, fake backend, recording session control.
import { VirtualClock } from '../../host-sim/hal/virtual-clock.js';
import {
  Authorizer, defaultAuthSettings, SessionTable, type AuthSettings, type Decision, type IdTagInfo, type SessionControl,
  type TokenEntry,
} from '../../src/auth/index.js';
import { FakeBackend, MapTokens } from './decision-table.js';

export const PARTNER = { id: 7, countryCode: 'US', partyId: 'SEM', allowedUsesTable: true };

export class RecordingControl implements SessionControl {
  log: string[] = [];
  stop(id: string) { this.log.push(`stop ${id}`); }
  limitEnergy(id: string, maxWh: number) { this.log.push(`limit ${id} ${maxWh}`); }
  suspend(id: string) { this.log.push(`suspend ${id}`); }
}

export function world(settings: Partial<AuthSettings> = {}, answer?: IdTagInfo) {
  const clock = new VirtualClock();
  const tokens = new MapTokens();
  const sessions = new SessionTable();
  const backend = new FakeBackend(clock, answer);
  const control = new RecordingControl();
  const auth = new Authorizer({ clock, tokens, sessions, online: backend, control, settings: { ...defaultAuthSettings(), ...settings } });
  const token = (uid: string, extra: Partial<TokenEntry> = {}) =>
    tokens.map.set(uid, { uid, partner: PARTNER, whitelist: 'ALWAYS', valid: true, type: 'RFID', sourceVersion: 1, ...extra });
  /** Taps, lets `ms` of virtual time pass, returns the decision. */
  const tap = (uid: string, connector: number, ms = 0): Decision => {
    let d: Decision | undefined;
    auth.tap({ uid, connector }, (x) => { d = x; });
    clock.advance(ms);
    if (!d) throw new Error('no decision yet');
    return d;
  };
  /** Records a started session as the session machine would. */
  const start = (id: string, d: Decision) =>
    sessions.add({ id, connector: d.connector, uid: d.uid, groupId: d.groupId, offline: d.offline, unknownOffline: d.unknownOffline, checkLater: d.checkLater });
  return { clock, tokens, sessions, backend, control, auth, token, tap, start };
}
