// A scripted day at a two-connector charger, resumable after a power cut at
// any write: the torture test and the journal bench drive it.
import { FileSettings, PowerCut, PowerSwitch, SimFlash, SimMeter, VirtualClock } from '../../host-sim/hal/index.js';
import { toHex } from '../../src/codec/index.js';
import { CHAIN_START, energyOf, Journal, Sessions, verifyRecord, verifyRecordChain, type Authorization, type ChainPoint, type StopReason, type VerifiedRecord } from '../../src/sessions/index.js';
import { DEVICE, deviceKey, nodeCrypto } from './helpers.js';

export const EVSE: Record<number, string> = { 1: 'US*SEM*E0042*1', 2: 'US*SEM*E0042*2' };

export class Device {
  readonly power = new PowerSwitch();
  readonly flash: SimFlash;
  readonly settings = new FileSettings(undefined, this.power);
  readonly meter = new SimMeter();
  clock = new VirtualClock(Date.UTC(2026, 2, 1, 6));
  journal!: Journal;
  sessions!: Sessions;
  ended: Array<{ connector: number; reason: string; seq?: number }> = [];

  constructor(journalBytes: number, blockSize: number) {
    this.flash = new SimFlash('journal', journalBytes, { power: this.power, blockSize });
  }

  /** Power on: monotonic time restarts, wall time and the meter went on. */
  boot(): void {
    this.clock = new VirtualClock(this.clock.wall().ms + 5000, 'S');
    this.journal = new Journal(this.flash, { crypto: nodeCrypto, deviceId: DEVICE, signer: deviceKey, reservedRecords: 2 });
    this.journal.recover();
    this.sessions = new Sessions({
      journal: this.journal, meter: this.meter, clock: this.clock, settings: this.settings, evseIds: EVSE,
      connectionTimeoutMs: 30_000, onEnded: (e) => this.ended.push(e),
    });
    this.sessions.boot();
    this.journal.signPending();
  }
}

/** The backend peer: verifies the chain as batches arrive, stores by seq, acknowledges. */
export class Backend {
  at: ChainPoint = CHAIN_START;
  readonly records = new Map<number, VerifiedRecord>();
  duplicates = 0;

  receive(batch: Uint8Array[]): void {
    const fresh: Uint8Array[] = [];
    for (const bytes of batch) {
      const v = verifyRecord(bytes, deviceKey.publicKey, nodeCrypto, DEVICE);
      if (v.record.seq > this.at.seq) {
        fresh.push(bytes);
        continue;
      }
      // A retransmission (the acknowledgement was lost): stored once, never counted twice.
      this.duplicates++;
      if (toHex(this.records.get(v.record.seq)!.payload) !== toHex(v.payload)) throw new Error(`record ${v.record.seq} came back different`);
    }
    const { records, last } = verifyRecordChain(fresh, deviceKey.publicKey, nodeCrypto, this.at, DEVICE);
    for (const r of records) this.records.set(r.record.seq, r);
    this.at = last;
  }
}

export interface Step {
  /** The session the step belongs to (skipped after a cut interrupted that session). */
  session?: number;
  /** Marks the step after which the session's transaction is persisted. */
  starts?: boolean;
  /** Marks the step that stops the session with this reason. */
  stops?: StopReason;
  run(d: Device, b: Backend): void;
}

const auth = (k: number, offline: boolean): Authorization => ({
  accept: true, status: 'Accepted', reason: offline ? 'whitelist' : 'online', method: offline ? 'WHITELIST' : 'AUTH_REQUEST',
  partner: k % 3 ? { id: 2, countryCode: 'US', partyId: 'BLK' } : undefined,
  uid: `04A1B2C3D4E5${(k % 256).toString(16).toUpperCase().padStart(2, '0')}`,
  groupId: k % 5 === 2 ? 'FLEET7' : undefined, offline,
});

const KINDS: StopReason[] = ['Local', 'EVDisconnected', 'GroupCard', 'DeAuthorized', 'EnergyLimitReached'];

/** `sessions` sessions, alternating connectors, with uploads every `uploadEvery` sessions. */
export function scriptDay(sessions: number, uploadEvery = 3): Step[] {
  const steps: Step[] = [];
  const upload: Step = {
    run(d, b) {
      d.journal.signPending();
      b.receive(d.journal.readFrom(b.at.seq + 1, 4096).map((r) => r.bytes));
      d.journal.acknowledge(b.at.seq);
      d.journal.maintain();
    },
  };
  for (let k = 0; k < sessions; k++) {
    const c = 1 + (k % 2);
    const kind = KINDS[k % KINDS.length];
    const a = auth(k, kind === 'DeAuthorized' || k % 4 === 1);
    if (k % 11 === 10) {
      // Authorized, never plugged in: the authorization expires, no record.
      steps.push({ session: k, run: (d) => d.sessions.authorize(c, a) });
      steps.push({ session: k, run: (d) => d.clock.advance(31_000) });
      continue;
    }
    steps.push({ session: k, run: (d) => d.sessions.authorize(c, a, kind === 'EnergyLimitReached' ? { capWh: 5000 } : {}) });
    steps.push({ session: k, starts: true, run: (d) => { d.clock.advance(20_000); d.sessions.plugIn(c); } });
    steps.push({ session: k, run: (d) => { d.sessions.startCharging(c); d.meter.deliver(c, 1000 + 37 * k); d.clock.advance(600_000); } });
    if (kind === 'Local') steps.push({ session: k, stops: kind, run: (d) => d.sessions.stopByCard(c, 'Local') });
    if (kind === 'EVDisconnected') steps.push({ session: k, stops: kind, run: (d) => d.sessions.unplug(c) });
    if (kind === 'GroupCard') steps.push({ session: k, stops: a.groupId ? kind : 'EVDisconnected', run: (d) => (a.groupId ? d.sessions.stopByCard(c, 'GroupCard') : d.sessions.unplug(c)) });
    if (kind === 'DeAuthorized') steps.push({ session: k, stops: kind, run: (d) => d.sessions.deauthorize(c) });
    if (kind === 'EnergyLimitReached') steps.push({ session: k, stops: kind, run: (d) => { d.meter.deliver(c, 5000); d.clock.advance(1500); } });
    steps.push({ session: k, run: (d) => { d.sessions.unplug(c); d.clock.advance(60_000); } });
    if (k % 2 === 1) steps.push({ run: (d) => d.journal.signPending() });
    if (k % uploadEvery === uploadEvery - 1) steps.push(upload);
  }
  steps.push(upload);
  return steps;
}

export interface DayResult {
  backend: Backend;
  device: Device;
  /** Per session: 'none' (never started), 'started' (transaction persisted, outcome cut), or the stop reason reached. */
  fate: Array<'none' | 'started' | StopReason>;
  cuts: number;
  writes: number;
}

/**
 * Runs the day; `cuts` are write numbers (counted from the previous boot) at
 * which the power fails. After each cut: reboot, skip the rest of the sessions
 * the cut interrupted, go on. Ends with a clean boot and a full upload.
 */
export function runDay(steps: Step[], cuts: number[] = [], journalBytes = 16 * 1024, blockSize = 1024): DayResult {
  const d = new Device(journalBytes, blockSize);
  const b = new Backend();
  const sessions = Math.max(0, ...steps.map((s) => (s.session ?? -1) + 1));
  const fate: DayResult['fate'] = new Array(sessions).fill('none');
  const pendingCuts = [...cuts];
  let cutCount = 0;
  const arm = () => {
    const next = pendingCuts.shift();
    if (next !== undefined) d.power.cutAtWrite(next);
  };
  const powerCycle = () => {
    for (;;) {
      try {
        d.boot();
        return;
      } catch (e) {
        if (!(e instanceof PowerCut)) throw e;
        cutCount++;
        d.power.restore();
        arm();
      }
    }
  };
  arm();
  powerCycle();
  let skipUpTo = -1;
  for (const step of steps) {
    if (step.session !== undefined && step.session <= skipUpTo) continue;
    try {
      step.run(d, b);
      if (step.session !== undefined) {
        if (step.starts) fate[step.session] = 'started';
        if (step.stops) fate[step.session] = step.stops;
      }
    } catch (e) {
      if (!(e instanceof PowerCut)) throw e;
      cutCount++;
      // Every session begun so far is over: the boot closes the open ones.
      skipUpTo = Math.max(skipUpTo, ...steps.filter((s, i) => s.session !== undefined && i <= steps.indexOf(step)).map((s) => s.session!));
      d.power.restore();
      arm();
      powerCycle();
    }
  }
  d.power.restore();
  d.boot();
  b.receive(d.journal.readFrom(b.at.seq + 1, Infinity).map((r) => r.bytes));
  d.journal.acknowledge(b.at.seq);
  return { backend: b, device: d, fate, cuts: cutCount, writes: d.power.writes };
}

/**
 * What is wrong with a finished day, as sentences (none when all is well): the
 * backend's chain must run from 1 without gaps, the journal must be drained,
 * and each session must appear as its fate says, exactly once if it started.
 */
export function problems(r: DayResult, label: string): string[] {
  const out: string[] = [];
  const records = [...r.backend.records.values()];
  records.forEach((v, i) => { if (v.record.seq !== i + 1) out.push(`${label}: record ${i} has seq ${v.record.seq}`); });
  if (r.device.journal.depth !== 0) out.push(`${label}: ${r.device.journal.depth} records left in the journal`);
  const count = new Map<number, number>();
  for (const v of records) {
    const k = Number.parseInt(v.record.uid.slice(-2), 16);
    count.set(k, (count.get(k) ?? 0) + 1);
    const fate = r.fate[k];
    if (fate === 'none') out.push(`${label}: session ${k} never started but has record ${v.record.seq}`);
    else if (fate !== 'started' && v.record.stopReason !== fate) out.push(`${label}: session ${k} stopped by ${fate}, recorded as ${v.record.stopReason}`);
    if (v.record.energyWh !== energyOf(v.record.meterStartWh, v.record.meterStopWh)) out.push(`${label}: record ${v.record.seq} energy mismatch`);
  }
  r.fate.forEach((fate, k) => {
    const n = count.get(k) ?? 0;
    if (fate === 'none' ? n !== 0 : n !== 1) out.push(`${label}: session ${k} (${fate}) recorded ${n} times`);
  });
  return out;
}
