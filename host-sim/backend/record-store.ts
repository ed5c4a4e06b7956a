import type { Crypto } from '../../hal/crypto.js';
import { equalBytes } from '../../src/codec/index.js';
import { GENESIS_HASH } from '../../src/sessions/record.js';
import { verifyRecord, type VerifiedRecord } from '../../src/sessions/verify.js';

export type RecordProblem = 'bad-signature' | 'bad-record' | 'wrong-seq' | 'broken-chain' | 'conflict';

export interface StoredRecord {
  seq: number;
  bytes: Uint8Array;
  verified?: VerifiedRecord;
  problem?: { kind: RecordProblem; detail: string };
}

export interface DeviceRecordReport {
  deviceId: string;
  stored: number;
  verified: number;
  /** Deliveries of a record already stored with the same bytes: counted once. */
  duplicatesIgnored: number;
  highestSeq: number;
  /** Sequence numbers below the highest that never arrived. */
  gaps: number[];
  problems: { seq: number; kind: RecordProblem; detail: string }[];
}

/**
 * The backend's record store: keyed by (device, sequence number), so a
 * retransmitted batch is stored once. Every record's signature is verified
 * with the device's registered key, and each link of the hash chain is checked
 * as soon as both of its ends are present, in whatever order they arrive.
 */
export class RecordStore {
  private readonly devices = new Map<string, Map<number, StoredRecord>>();
  private readonly keys = new Map<string, Uint8Array>();
  private readonly duplicates = new Map<string, number>();
  /** Batches from devices with no registered key: not stored, not acknowledged. */
  unknownDeviceBatches = 0;

  constructor(private readonly crypto: Crypto) {}

  registerDevice(deviceId: string, publicKey: Uint8Array): void {
    this.keys.set(deviceId, publicKey.slice());
  }

  knows(deviceId: string): boolean {
    return this.keys.has(deviceId);
  }

  /** Stores records first, first+1, …; returns false (nothing stored) for an unknown device. */
  storeBatch(deviceId: string, first: number, records: Uint8Array[]): boolean {
    const key = this.keys.get(deviceId);
    if (!key) {
      this.unknownDeviceBatches++;
      return false;
    }
    let table = this.devices.get(deviceId);
    if (!table) this.devices.set(deviceId, (table = new Map()));
    records.forEach((bytes, i) => {
      const seq = first + i;
      const existing = table.get(seq);
      if (existing) {
        if (equalBytes(existing.bytes, bytes)) this.duplicates.set(deviceId, (this.duplicates.get(deviceId) ?? 0) + 1);
        else if (!existing.problem) existing.problem = { kind: 'conflict', detail: `seq ${seq} arrived again with different bytes` };
        return;
      }
      const stored: StoredRecord = { seq, bytes: bytes.slice() };
      try {
        stored.verified = verifyRecord(bytes, key, this.crypto, deviceId);
        if (seq === 1 && !equalBytes(stored.verified.record.prev, GENESIS_HASH)) stored.problem = { kind: 'broken-chain', detail: 'seq 1 does not start the chain' };
        if (stored.verified.record.seq !== seq) stored.problem = { kind: 'wrong-seq', detail: `sent as seq ${seq}, signed as ${stored.verified.record.seq}` };
      } catch (e) {
        const code = (e as { code?: string }).code;
        stored.problem = { kind: code === 'bad-signature' ? 'bad-signature' : 'bad-record', detail: (e as Error).message };
      }
      table.set(seq, stored);
      this.checkLink(table.get(seq - 1), stored);
      this.checkLink(stored, table.get(seq + 1));
    });
    return true;
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
    problems.sort((a, b) => a.seq - b.seq);
    return { deviceId, stored: table.size, verified, duplicatesIgnored: this.duplicates.get(deviceId) ?? 0, highestSeq: highest, gaps, problems };
  }

  private checkLink(before: StoredRecord | undefined, after: StoredRecord | undefined): void {
    if (!before?.verified || !after?.verified || after.problem) return;
    if (!equalBytes(after.verified.record.prev, before.verified.hash))
      after.problem = { kind: 'broken-chain', detail: `seq ${after.seq} does not link to the hash of seq ${before.seq}` };
  }
}
