import type { SessionControl, SessionInProgress, SessionsView } from '../auth/index.js';
import type { Sessions, SessionView } from '../sessions/index.js';

/**
 * src/auth's view of sessions in progress, and its post-authorization
 * control: a translation of src/sessions' `Sessions`, which owns every fact
 * about a session (its id, pending re-check, unknown-offline status and
 * suspension). Nothing is kept here.
 */
export class SessionsAdapter implements SessionsView, SessionControl {
  constructor(private readonly sessions: Sessions) {}

  byConnector(connector: number): SessionInProgress | undefined {
    const v = this.sessions.session(connector);
    return v && inProgress(v);
  }

  byUid(uid: string): SessionInProgress | undefined {
    return this.all().find((s) => s.uid === uid);
  }

  unknownOfflineCount(): number {
    return this.all().filter((s) => s.unknownOffline).length;
  }

  all(): SessionInProgress[] {
    return this.sessions.connectors().map((c) => inProgress(this.sessions.session(c)!));
  }

  // SessionControl: src/auth decides (StopTxOnInvalidId, MaxEnergyOnInvalidId,
  // else suspend); the session machine carries it out.
  stop(sessionId: string): void {
    const s = this.sessions.byId(sessionId);
    if (s) this.sessions.deauthorize(s.connector);
  }

  limitEnergy(sessionId: string, maxWh: number): void {
    const s = this.sessions.byId(sessionId);
    if (s) this.sessions.limitEnergy(s.connector, maxWh);
  }

  suspend(sessionId: string): void {
    const s = this.sessions.byId(sessionId);
    if (s) this.sessions.suspend(s.connector);
  }

  resume(sessionId: string): void {
    const s = this.sessions.byId(sessionId);
    if (s) this.sessions.resume(s.connector);
  }
}

function inProgress(v: SessionView): SessionInProgress {
  const s: SessionInProgress = { id: v.id, connector: v.connector, uid: v.uid, offline: v.offline, checkLater: v.checkLater, unknownOffline: v.unknownOffline };
  if (v.groupId !== undefined) s.groupId = v.groupId;
  return s;
}
