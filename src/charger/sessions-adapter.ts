import type { Decision, SessionControl, SessionInProgress, SessionsView } from '../auth/index.js';
import type { Sessions } from '../sessions/index.js';

/**
 * What a decision adds to a session that src/sessions does not keep: an id
 * for auth to name it by, and whether post-authorization and the unknown-id
 * cap concern it. Facts about the authorization, not a second session state:
 * a session exists only while `Sessions` has it on that connector.
 */
interface AuthNotes { id: string; checkLater: boolean; unknownOffline: boolean }

/**
 * src/auth's view of sessions in progress, and its post-authorization
 * control, backed by the one session table: src/sessions' `Sessions`.
 */
export class SessionsAdapter implements SessionsView, SessionControl {
  private readonly notes = new Map<number, AuthNotes>();
  private readonly suspendedIds = new Set<string>();
  private counter = 0;

  constructor(private readonly sessions: Sessions, private readonly connectors: number[]) {}

  /** Records what the starting decision said; call right after Sessions.authorize. */
  started(d: Decision): void {
    this.notes.set(d.connector, { id: `c${d.connector}.${++this.counter}`, checkLater: d.checkLater, unknownOffline: d.unknownOffline });
  }

  /** Ended sessions keep nothing here. */
  ended(connector: number): void {
    const n = this.notes.get(connector);
    if (n) this.suspendedIds.delete(n.id);
    this.notes.delete(connector);
  }

  /** Post-authorization suspended the session on `connector`: open, but no more energy. */
  suspended(connector: number): boolean {
    const s = this.byConnector(connector);
    return s !== undefined && this.suspendedIds.has(s.id);
  }

  byConnector(connector: number): SessionInProgress | undefined {
    const v = this.sessions.session(connector);
    if (!v) return undefined;
    const n = this.notes.get(connector);
    const s: SessionInProgress = {
      id: n?.id ?? `c${connector}`, connector, uid: v.uid, offline: v.offline,
      checkLater: n?.checkLater ?? false, unknownOffline: n?.unknownOffline ?? false,
    };
    if (v.groupId !== undefined) s.groupId = v.groupId;
    return s;
  }

  byUid(uid: string): SessionInProgress | undefined {
    for (const c of this.connectors) {
      const s = this.byConnector(c);
      if (s && s.uid === uid) return s;
    }
    return undefined;
  }

  unknownOfflineCount(): number {
    let n = 0;
    for (const c of this.connectors) if (this.byConnector(c)?.unknownOffline) n++;
    return n;
  }

  all(): SessionInProgress[] {
    const out: SessionInProgress[] = [];
    for (const c of this.connectors) {
      const s = this.byConnector(c);
      if (s) out.push(s);
    }
    return out;
  }

  // SessionControl: src/auth decides (StopTxOnInvalidId, MaxEnergyOnInvalidId,
  // else suspend); the session machine carries it out.
  stop(sessionId: string): void {
    const c = this.connectorOf(sessionId);
    if (c !== undefined) this.sessions.deauthorize(c);
  }

  limitEnergy(sessionId: string, maxWh: number): void {
    const c = this.connectorOf(sessionId);
    if (c !== undefined) this.sessions.limitEnergy(c, maxWh);
  }

  suspend(sessionId: string): void {
    if (this.connectorOf(sessionId) !== undefined) this.suspendedIds.add(sessionId);
  }

  private connectorOf(sessionId: string): number | undefined {
    for (const c of this.connectors) if (this.byConnector(c)?.id === sessionId) return c;
    return undefined;
  }
}
