import type { RecordStore } from '../backend/index.js';
import type { SimCharger } from './charger.js';

/** What the backend holds against what the chargers journaled, summed over a site or a fleet. */
export interface RecordTally {
  recorded: number;
  stored: number;
  verified: number;
  /** Retransmitted copies the backend recognized and did not count again. */
  duplicatesIgnored: number;
  /** The same seq stored twice with different bytes, or more stored than journaled. */
  duplicated: number;
  problems: number;
  gaps: number;
  lost: number;
}

export function tallyRecords(records: RecordStore, chargers: SimCharger[], onProblem?: (chargerId: string, p: { seq: number; kind: string; detail: string }) => void): RecordTally {
  const t: RecordTally = { recorded: 0, stored: 0, verified: 0, duplicatesIgnored: 0, duplicated: 0, problems: 0, gaps: 0, lost: 0 };
  for (const c of chargers) {
    const r = records.report(c.id);
    t.recorded += c.recordsAppended;
    t.stored += r.stored;
    t.verified += r.verified;
    t.duplicatesIgnored += r.duplicatesIgnored;
    t.duplicated += r.problems.filter((p) => p.kind === 'conflict').length + Math.max(0, r.stored - c.recordsAppended);
    t.problems += r.problems.length;
    t.gaps += r.gaps.length;
    t.lost += Math.max(0, c.recordsAppended - r.verified);
    for (const p of r.problems) onProblem?.(c.id, p);
  }
  return t;
}
