// What happened on the simulated day, kept for its picture (picture.ts): every
// tap with its decision, every session, the outage and the power cut, each
// charger's list version and acknowledged records over the day, and the tally.
// Times are minutes of the simulated clock from 00:00.
import type { SimCharger } from './charger.js';

export interface DayTap {
  at: number;
  charger: string;
  connector: number;
  uid: string;
  who: string;
  /** The summary's key: "accepted: Accepted (offline)", "refused: Blocked", "ignored: re-tap". */
  decision: string;
  reason: string;
  /** Shown in the text timeline (a selection), or counted only. */
  inTimeline: boolean;
}

export interface DaySession {
  charger: string;
  connector: number;
  start: number;
  end: number;
  /** How it ended: the EV left, the power was cut (closed as PowerLoss at boot), or still charging at 24:00 (closed then). */
  ended: 'unplugged' | 'power cut' | 'end of day';
}

/** One point of a charger's upload state: records journaled and acknowledged so far (from 00:00). */
export interface DayUpload { at: number; charger: string; journaled: number; acknowledged: number }

export interface DayVersion { at: number; charger: string; version: number }

/** The text summary's figures (the page shows them beside the counts it makes from the taps). */
export interface DayTally {
  taps: number;
  decisions: Record<string, number>;
  sessionsRecorded: number;
  recordsUploaded: number;
  recordsVerified: number;
  duplicatesIgnored: number;
  retransmissions: number;
  listsApplied: { full: number; differential: number; mismatches: number };
  listVersions: number[];
  authRequests: number;
  problems: number;
  gaps: number;
  lost: number;
}

export interface Day {
  date: string;
  options: { chargers: number; tokens: number; outageHours: number; seed: number; broker: string };
  chargers: string[];
  connectors: number;
  taps: DayTap[];
  sessions: DaySession[];
  outage?: { start: number; end: number };
  powerCut?: { charger: string; at: number; back: number; sessions: number };
  versions: DayVersion[];
  uploads: DayUpload[];
  timeline: string[];
  tally?: DayTally;
}

export const END_OF_DAY = 24 * 60;

export class DayRecorder {
  readonly day: Day;
  private readonly open = new Map<string, number>();
  private readonly last = new Map<string, string>();

  constructor(day: Omit<Day, 'taps' | 'sessions' | 'versions' | 'uploads' | 'timeline'>) {
    this.day = { ...day, taps: [], sessions: [], versions: [], uploads: [], timeline: [] };
  }

  sessionStarted(charger: string, connector: number, at: number): void {
    this.open.set(`${charger}:${connector}`, at);
  }

  sessionEnded(charger: string, connector: number, at: number, ended: DaySession['ended']): void {
    const key = `${charger}:${connector}`;
    const start = this.open.get(key);
    if (start === undefined) return;
    this.open.delete(key);
    this.day.sessions.push({ charger, connector, start, end: at, ended });
  }

  /** Every session of a charger still open ends now (a power cut). */
  cut(charger: string, at: number): number {
    let n = 0;
    for (const key of [...this.open.keys()]) if (key.startsWith(`${charger}:`)) { this.sessionEnded(charger, Number(key.slice(charger.length + 1)), at, 'power cut'); n++; }
    return n;
  }

  /** Each charger's list version and upload state, kept when it changed. */
  sample(at: number, chargers: SimCharger[]): void {
    for (const c of chargers) {
      if (!c.on) continue;
      const version = c.store.version ?? 0;
      if (this.last.get(`v:${c.id}`) !== String(version)) {
        this.last.set(`v:${c.id}`, String(version));
        this.day.versions.push({ at, charger: c.id, version });
      }
      const up = { at, charger: c.id, journaled: c.recordsAppended, acknowledged: c.journal.ackedSeq };
      const key = `${up.journaled}/${up.acknowledged}`;
      if (this.last.get(`u:${c.id}`) !== key) {
        this.last.set(`u:${c.id}`, key);
        this.day.uploads.push(up);
      }
    }
  }

  /** Sessions still charging at 24:00 end with the day. */
  close(at: number): void {
    for (const key of [...this.open.keys()]) {
      const i = key.lastIndexOf(':');
      this.sessionEnded(key.slice(0, i), Number(key.slice(i + 1)), at, 'end of day');
    }
  }
}
