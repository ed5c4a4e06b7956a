import type { Crypto } from '../../hal/crypto.js';
import { equalBytes } from '../../src/codec/index.js';
import { GENESIS_HASH } from '../../src/sessions/record.js';
import { decodeCoseSign1 } from '../../src/sessions/cose.js';
import { verifyRecord, type VerifiedRecord } from '../../src/sessions/verify.js';

/**
 * What is wrong with a stored record (bad-signature … broken-chain), or with a
 * later copy of a stored seq: `conflict`, a different payload; `bad-copy`, the
 * stored payload under a signature that does not verify (the high-S twin of the
 * device's signature, for one). A copy's problem never touches the stored record.
 */
export type RecordProblem = 'bad-signature' | 'bad-record' | 'wrong-seq' | 'broken-chain' | 'conflict' | 'bad-copy';

export interface StoredRecord {
  seq: number;
  bytes: Uint8Array;
  /** When the backend stored it (ms): a CDR's last_updated. */
  storedAt: number;
  verified?: VerifiedRecord;
  problem?: { kind: RecordProblem; detail: string };
}

export interface DeviceRecordReport {
  deviceId: string;
  stored: number;
  verified: number;
  /**
   * Copies of a stored record that add nothing: the same bytes, or the same
   * payload under another signature that verifies. Counted, not stored.
   */
  duplicatesIgnored: number;
  highestSeq: number;
  /** Sequence numbers below the highest that never arrived. */
  gaps: number[];
  problems: { seq: number; kind: RecordProblem; detail: string }[];
}

/** Where stored records are kept between runs: one call per batch, committed before it returns. */
export interface RecordSink {
  putRecords(deviceId: string, rows: { seq: number; bytes: Uint8Array; storedAt: number }[]): void;
}

/**
 * The backend's record store: keyed by (device, sequence number), so a
 * retransmitted batch is stored once. Every record's signature is verified
 * with the device's registered key (low-S only, as every roam verifier), and
 * each link of the hash chain is checked as soon as both of its ends are
 * present, in whatever order they arrive. The first copy of a seq that
 * verifies is the record: later copies are duplicates (same payload, a
 * signature that verifies) or reported problems (`conflict`, `bad-copy`) that
 * never replace it nor change its verified state. Only a stored copy that never
 * verified gives way to an authentic one.
 */
export class RecordStore {
  private readonly devices = new Map<string, Map<number, StoredRecord>>();
  private readonly keys = new Map<string, Uint8Array>();
  private readonly duplicates = new Map<string, number>();
  // Copies of stored seqs that were refused (conflict, bad-copy), by device: reported, never stored.
  private readonly copyProblems = new Map<string, { seq: number; kind: RecordProblem; detail: string }[]>();
  /** Batches from devices with no registered key: not stored, not acknowledged. */
  unknownDeviceBatches = 0;

  /**
   * `sink`: where each batch's new records are committed before storeBatch returns (and so before the ack).
   * `resolveKey`: asked for the key of a device not registered here (a worker of several that share a database).
   */
  constructor(private readonly crypto: Crypto, private readonly sink?: RecordSink, private readonly resolveKey?: (deviceId: string) => Uint8Array | undefined) {}

  registerDevice(deviceId: string, publicKey: Uint8Array): void {
    this.keys.set(deviceId, publicKey.slice());
  }

  /** The device's registered public key. */
  keyOf(deviceId: string): Uint8Array | undefined {
    return this.keys.get(deviceId);
  }

  knows(deviceId: string): boolean {
    return this.keys.has(deviceId);
  }

  /**
   * Records a sink kept, loaded at start: checked again as they arrive
   * (signature, chain), not written back, not counted as duplicates.
   */
  restore(deviceId: string, rows: { seq: number; bytes: Uint8Array; storedAt: number }[]): void {
    for (const r of rows) this.storeBatch(deviceId, r.seq, [r.bytes], r.storedAt);
  }

  /** Stores records first, first+1, …; returns false (nothing stored) for an unknown device. */
  storeBatch(deviceId: string, first: number, records: Uint8Array[], restoredAt?: number): boolean {
    let key = this.keys.get(deviceId);
    if (!key && this.resolveKey) {
      key = this.resolveKey(deviceId);
      if (key) this.keys.set(deviceId, key.slice());
    }
    if (!key) {
      this.unknownDeviceBatches++;
      return false;
    }
    let table = this.devices.get(deviceId);
    if (!table) this.devices.set(deviceId, (table = new Map()));
    const kept: { seq: number; bytes: Uint8Array; storedAt: number }[] = [];
    const now = restoredAt ?? Date.now();
    records.forEach((bytes, i) => {
      const seq = first + i;
      const existing = table.get(seq);
      if (existing && equalBytes(existing.bytes, bytes)) {
        this.duplicates.set(deviceId, (this.duplicates.get(deviceId) ?? 0) + 1);
        return;
      }
      const stored = this.check(deviceId, key, seq, bytes, now);
      if (existing && !(existing.verified === undefined && stored.verified && !stored.problem)) {
        // The stored record stays as it is, verified state and all: a copy only adds a report.
        this.copyOf(deviceId, existing, stored);
        return;
      }
      // New, or an authentic record for a seq whose stored bytes never verified (mangled on the way).
      table.set(seq, stored);
      kept.push({ seq, bytes: stored.bytes, storedAt: now });
      this.checkLink(table.get(seq - 1), stored);
      this.checkLink(stored, table.get(seq + 1));
    });
    if (restoredAt === undefined) this.sink?.putRecords(deviceId, kept);
    return true;
  }

  /** A record checked on its own: signature, payload, seq, and the genesis link of seq 1. */
  private check(deviceId: string, key: Uint8Array, seq: number, bytes: Uint8Array, storedAt: number): StoredRecord {
    const stored: StoredRecord = { seq, bytes: bytes.slice(), storedAt };
    try {
      stored.verified = verifyRecord(bytes, key, this.crypto, deviceId);
      if (seq === 1 && !equalBytes(stored.verified.record.prev, GENESIS_HASH)) stored.problem = { kind: 'broken-chain', detail: 'seq 1 does not start the chain' };
      if (stored.verified.record.seq !== seq) stored.problem = { kind: 'wrong-seq', detail: `sent as seq ${seq}, signed as ${stored.verified.record.seq}` };
    } catch (e) {
      const code = (e as { code?: string }).code;
      stored.problem = { kind: code === 'bad-signature' ? 'bad-signature' : 'bad-record', detail: (e as Error).message };
    }
    return stored;
  }

  /**
   * Another copy of a stored seq, other bytes. The same payload under a
   * signature that verifies is a duplicate (COSE signs the payload; a second
   * valid signature of it is the same record). The same payload under one that
   * does not (a high-S twin: roam's verifiers take low-S only) is a `bad-copy`;
   * another payload is a `conflict`. Neither is stored, and neither changes the
   * stored record or its verified state.
   */
  private copyOf(deviceId: string, existing: StoredRecord, copy: StoredRecord): void {
    const payloadOf = (r: StoredRecord) => {
      if (r.verified) return r.verified.payload;
      try {
        return decodeCoseSign1(r.bytes).payload;
      } catch {
        return undefined;
      }
    };
    const a = payloadOf(existing);
    const b = payloadOf(copy);
    const samePayload = a !== undefined && b !== undefined && equalBytes(a, b);
    if (samePayload && copy.verified && !copy.problem) {
      this.duplicates.set(deviceId, (this.duplicates.get(deviceId) ?? 0) + 1);
      return;
    }
    let list = this.copyProblems.get(deviceId);
    if (!list) this.copyProblems.set(deviceId, (list = []));
    if (list.length >= 1000) return; // a flood of copies: the first thousand say enough
    list.push(samePayload
      ? { seq: existing.seq, kind: 'bad-copy', detail: `seq ${existing.seq} arrived again with the stored payload and a signature that does not verify (${copy.problem?.detail ?? 'refused'}); the stored record is kept` }
      : { seq: existing.seq, kind: 'conflict', detail: `seq ${existing.seq} arrived again with a different payload${copy.verified ? ', validly signed' : ''}; the stored record is kept` });
  }

  records(deviceId: string): StoredRecord[] {
    return [...(this.devices.get(deviceId)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
  }

  deviceIds(): string[] {
    return [...this.devices.keys()].sort();
  }

  report(deviceId: string): DeviceRecordReport {
    const table = this.devices.get(deviceId) ?? new Map<number, StoredRecord>();
    let highest = 0;
    let verified = 0;
    const problems: DeviceRecordReport['problems'] = [];
    for (const r of table.values()) {
      highest = Math.max(highest, r.seq);
      if (r.verified && !r.problem) verified++;
      if (r.problem) problems.push({ seq: r.seq, ...r.problem });
    }
    const gaps: number[] = [];
    for (let s = 1; s < highest && gaps.length < 1000; s++) if (!table.has(s)) gaps.push(s);
    problems.push(...(this.copyProblems.get(deviceId) ?? []));
    problems.sort((a, b) => a.seq - b.seq);
    return { deviceId, stored: table.size, verified, duplicatesIgnored: this.duplicates.get(deviceId) ?? 0, highestSeq: highest, gaps, problems };
  }

  private checkLink(before: StoredRecord | undefined, after: StoredRecord | undefined): void {
    if (!before?.verified || !after?.verified || after.problem) return;
    if (!equalBytes(after.verified.record.prev, before.verified.hash))
      after.problem = { kind: 'broken-chain', detail: `seq ${after.seq} does not link to the hash of seq ${before.seq}` };
  }
}
