import type { Decision } from '../auth/index.js';
import type { SessionEnded, SessionStarted } from '../sessions/index.js';

export type { SessionEnded, SessionStarted };

/** Energy must stop flowing on `connector` now (open the contactor): post-authorization or a cap ended it. */
export interface EnergyStop {
  connector: number;
  reason: 'EnergyLimitReached' | 'DeAuthorized';
  /** The record of the session, when it had begun (a transaction). */
  seq?: number;
}

/** A token list came into force: the partner table (full image or differential) or the OCPP local list. */
export interface ListApplied {
  list: 'tokens' | 'local';
  kind: 'full' | 'differential';
  version: number;
}

/** Where a fault was seen. None is ever thrown out of a timer or callback: each comes here. */
export type FaultSource = 'reader' | 'flash' | 'transport' | 'hardware' | 'config' | 'tap' | 'hook';

export interface RoamFault {
  source: FaultSource;
  /** Stable code for firmware to switch on (e.g. reader-failing, reader-ok, background-failed). */
  code: string;
  message: string;
  error?: unknown;
}

/**
 * What roam tells the charger firmware, as it happens. Every hook is optional
 * and runs on the JavaScript thread from the event that caused it; an
 * exception in a hook is caught and reported to onError (source 'hook').
 */
export interface RoamHooks {
  /** Each tap's decision, once it is known (ignored repeats included). */
  onDecision?(d: Decision): void;
  /** A transaction began: the cable is in on an authorized connector; close the contactor. */
  onSessionStarted?(e: SessionStarted): void;
  /** A session ended: its record's seq, or none (an authorization that lapsed, a record refused). */
  onSessionEnded?(e: SessionEnded): void;
  /** Post-authorization or an energy cap stops energy delivery: open the contactor. */
  onEnergyStop?(e: EnergyStop): void;
  /** Post-authorization suspended the session: open, but no energy until onResume. */
  onSuspend?(e: { connector: number }): void;
  /** A later backend answer accepted the card of a suspended session: energy may flow again. */
  onResume?(e: { connector: number }): void;
  onLinkUp?(): void;
  onLinkDown?(): void;
  onListApplied?(e: ListApplied): void;
  onError?(e: RoamFault): void;
  /** One line per event (and the boot report), as eventLine() words it: for the firmware's log. */
  log?(line: string): void;
}

type Hook = Exclude<keyof RoamHooks, 'log'>;

/** An event in one line: `decision 1 start Accepted offline 04A2…`, `session-ended 1 EVDisconnected #2`, … */
export function eventLine(name: Hook, e?: unknown): string {
  const x = (e ?? {}) as Record<string, unknown>;
  const seq = x.seq === undefined ? '' : ` #${String(x.seq)}`;
  switch (name) {
    case 'onDecision': return `decision ${x.connector} ${x.action} ${x.status}${x.offline ? ' offline' : ''} ${x.uid}`;
    case 'onSessionStarted': return `session-started ${x.connector} ${x.id} ${x.uid} ${String(x.meterStartWh)} Wh${x.offline ? ' offline' : ''}`;
    case 'onSessionEnded': return `session-ended ${x.connector} ${x.reason}${seq}${x.meterError ? ` meter: ${x.meterError}` : ''}${x.recordError ? ` record: ${x.recordError}` : ''}`;
    case 'onEnergyStop': return `energy-stop ${x.connector} ${x.reason}${seq}`;
    case 'onSuspend': return `suspend ${x.connector}`;
    case 'onResume': return `resume ${x.connector}`;
    case 'onLinkUp': return 'link-up';
    case 'onLinkDown': return 'link-down';
    case 'onListApplied': return `list-applied ${x.list} ${x.kind} v${x.version}`;
    case 'onError': return `error ${x.source} ${x.code}: ${x.message}`;
  }
}

/** Calls hooks so that none of their exceptions reaches the caller (a timer, a network callback, the reader). */
export class Emitter {
  /** Faults onError itself threw on (they have nowhere else to go). */
  lost = 0;

  constructor(private readonly hooks: RoamHooks = {}) {}

  emit<K extends Exclude<Hook, 'onError'>>(name: K, ...arg: Parameters<NonNullable<RoamHooks[K]>>): void {
    this.log(eventLine(name, arg[0]));
    const f = this.hooks[name] as ((...a: unknown[]) => void) | undefined;
    if (!f) return;
    try {
      f.apply(this.hooks, arg);
    } catch (e) {
      this.fault('hook', 'hook-threw', `${name} threw: ${messageOf(e)}`, e);
    }
  }

  /** A line for the firmware's log (hooks.log); a log that throws is counted in `lost`. */
  log(line: string): void {
    const f = this.hooks.log;
    if (!f) return;
    try {
      f.call(this.hooks, line);
    } catch {
      this.lost++;
    }
  }

  fault(source: FaultSource, code: string, message: string, error?: unknown): void {
    this.log(eventLine('onError', { source, code, message }));
    const f = this.hooks.onError;
    if (!f) return;
    try {
      f.call(this.hooks, error === undefined ? { source, code, message } : { source, code, message, error });
    } catch {
      this.lost++;
    }
  }
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
