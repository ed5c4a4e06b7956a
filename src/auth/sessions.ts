/**
 * Sessions in progress, as the authorization needs to see them. The session
 * machine (src/sessions) owns them; this is the view it hands in.
 */
export interface SessionInProgress {
  id: string;
  connector: number;
  uid: string;
  groupId?: string;
  /** Started while the backend could not be asked. */
  offline: boolean;
  /** Started under the unknown-id policy (counts against its offline cap). */
  unknownOffline?: boolean;
  /** The decision's checkLater: ask the backend about this id when the link is back. */
  checkLater?: boolean;
}

export interface SessionsView {
  byConnector(connector: number): SessionInProgress | undefined;
  byUid(uid: string): SessionInProgress | undefined;
  /** Sessions in progress started offline under the unknown-id policy. */
  unknownOfflineCount(): number;
  /** Every session in progress (post-authorization walks those begun offline). */
  all(): SessionInProgress[];
}

/** What post-authorization asks of the session machine. */
export interface SessionControl {
  stop(sessionId: string, reason: string): void;
  /** Ends energy delivery once the session has delivered `maxWh` in total. */
  limitEnergy(sessionId: string, maxWh: number, reason: string): void;
  /** Keeps the session open but delivers no more energy. */
  suspend(sessionId: string, reason: string): void;
  /** A later answer accepted the card: a suspended session delivers energy again (no-op otherwise). */
  resume?(sessionId: string): void;
}

/** A plain in-memory view, for tests and the simulator. */
export class SessionTable implements SessionsView {
  private sessions: SessionInProgress[] = [];

  add(s: SessionInProgress): void {
    this.sessions.push(s);
  }

  remove(id: string): void {
    this.sessions = this.sessions.filter((s) => s.id !== id);
  }

  byConnector(connector: number): SessionInProgress | undefined {
    for (const s of this.sessions) if (s.connector === connector) return s;
    return undefined;
  }

  byUid(uid: string): SessionInProgress | undefined {
    for (const s of this.sessions) if (s.uid === uid) return s;
    return undefined;
  }

  unknownOfflineCount(): number {
    let n = 0;
    for (const s of this.sessions) if (s.unknownOffline) n++;
    return n;
  }

  all(): SessionInProgress[] {
    return this.sessions.slice();
  }
}
