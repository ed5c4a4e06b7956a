import type { JournalRecord, ListStore, UploadJournal } from '../../src/sync/index.js';
import { decodeMessage, encodeMessage, parseTopic, topicOf } from '../../src/sync/index.js';
import type { Transport } from '../../hal/transport.js';
import { SeededRandom } from '../../host-sim/hal/index.js';

/** An in-memory journal; `acked` stands for the persisted acknowledgement and survives "reboots". */
export class FakeJournal implements UploadJournal {
  records: JournalRecord[] = [];
  acked = 0;
  /** Records lost to flash corruption: readFrom skips them, as the real journal does. */
  lostSeqs = new Set<number>();
  /** As the real journal counts them for `status`. */
  get lost(): number {
    let n = 0;
    for (const s of this.lostSeqs) if (s > this.ackedSeq) n++;
    return n;
  }
  constructor(private readonly random = new SeededRandom(7)) {}
  append(size = 120): JournalRecord {
    const r = { seq: this.records.length + 1, bytes: this.random.bytes(size) };
    this.records.push(r);
    return r;
  }
  get ackedSeq() { return this.acked; }
  get lastSeq() { return this.records.length; }
  readFrom(seq: number, maxBytes: number): JournalRecord[] {
    const out: JournalRecord[] = [];
    let n = 0;
    for (let s = seq; s <= this.records.length; s++) {
      const r = this.records[s - 1];
      if (this.lostSeqs.has(s)) continue;
      if (out.length > 0 && n + r.bytes.length > maxBytes) break;
      out.push(r);
      n += r.bytes.length;
    }
    return out;
  }
  acknowledge(seq: number) {
    if (seq < this.acked || seq > this.records.length) throw new RangeError(`bad ack ${seq}`);
    this.acked = seq;
  }
}

/** A backend stand-in that stores by sequence number, the way the real peer must, and acks every batch it stores. */
export class CountingBackend {
  stored = new Map<number, Uint8Array>();
  received = 0;
  duplicates = 0;
  batches: { first: number; count: number }[] = [];
  constructor(private readonly transport: Transport, private readonly deviceId: string) {
    transport.subscribe(topicOf(deviceId, 'recordBatch'));
    transport.onMessage = (topic, payload) => {
      if (parseTopic(topic)?.kind !== 'recordBatch') return;
      const batch = decodeMessage('recordBatch', payload);
      this.batches.push({ first: batch.first, count: batch.recs.length });
      batch.recs.forEach((bytes, i) => {
        this.received++;
        if (this.stored.has(batch.first + i)) this.duplicates++;
        else this.stored.set(batch.first + i, bytes);
      });
      // Acknowledges the batch it stored, as the real backend peer does.
      transport.publish(topicOf(this.deviceId, 'recordAck'), encodeMessage('recordAck', { seq: batch.first + batch.recs.length - 1 }));
    };
  }
}

export class VersionMismatch extends Error {
  name = 'VersionMismatch';
}

/**
 * A list store with the slot-store semantics sync relies on: a full image goes
 * to a staging buffer and replaces the list only at commit (when `check`
 * accepts it); a differential must follow the version in force.
 * Differential format of this fake: [from u16 BE][to u16 BE].
 */
export class FakeListStore implements ListStore {
  current = 0;
  content: Uint8Array = new Uint8Array(0);
  staging?: { version: number; bytes: Uint8Array; written: number };
  applied: string[] = [];
  writes: { offset: number; length: number }[] = [];
  constructor(public check: (image: Uint8Array) => boolean = () => true) {}
  version() { return this.current; }
  beginFull(version: number, size: number) { this.staging = { version, bytes: new Uint8Array(size), written: 0 }; }
  writeChunk(offset: number, bytes: Uint8Array) {
    const s = this.staging;
    if (!s || offset !== s.written || offset + bytes.length > s.bytes.length) throw new RangeError(`chunk at ${offset} out of order`);
    s.bytes.set(bytes, offset);
    s.written += bytes.length;
    this.writes.push({ offset, length: bytes.length });
  }
  commit() {
    const s = this.staging!;
    this.staging = undefined;
    if (!this.check(s.bytes)) throw new Error('image signature does not verify');
    this.current = s.version;
    this.content = s.bytes;
    this.applied.push(`full ${s.version}`);
  }
  applyDifferential(bytes: Uint8Array) {
    const from = (bytes[0] << 8) | bytes[1];
    const to = (bytes[2] << 8) | bytes[3];
    if (from !== this.current) throw new VersionMismatch(`differential from ${from}, list is at ${this.current}`);
    this.current = to;
    this.applied.push(`diff ${to}`);
  }
  isVersionMismatch(e: unknown) { return e instanceof VersionMismatch; }
  pendingFull() { return this.staging && { version: this.staging.version, size: this.staging.bytes.length, written: this.staging.written }; }
}

export function fakeDiff(from: number, to: number): Uint8Array {
  return Uint8Array.of(from >> 8, from & 255, to >> 8, to & 255);
}
