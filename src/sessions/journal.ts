import type { Crypto, Signer } from '../../hal/crypto.js';
import type { FlashRegion } from '../../hal/flash.js';
import type { Settings } from '../../hal/settings.js';
import { equalBytes } from '../codec/index.js';
import { encodeCoseSign1, protectedHeader, SIGNATURE_BYTES, toBeSigned } from './cose.js';
import { JournalError } from './errors.js';
import { put32, u32 } from '../codec/bytes.js';
import {
  ACK_ENTRY_BYTES, entryAt, ENTRY_OVERHEAD, frameEntry, MAX_RECORD_ENTRY_BYTES, MIN_RECORD_ENTRY_BYTES, readSectorHeader,
  SECTOR_HEADER_BYTES, sectorHeader, SIG_BODY_BYTES, SIG_ENTRY_BYTES, T_ACK, T_RECORD, T_SIGNATURE,
} from './frame.js';
import { crc32 } from '../codec/crc32.js';
import { decodeRecord, encodeRecord, GENESIS_HASH, MAX_PAYLOAD_BYTES, seqOfPayload, type SessionFacts } from './record.js';

export type JournalStatus = 'ok' | 'nearly-full' | 'full';

export interface JournalOptions {
  crypto: Crypto;
  /** The device id: the COSE key id of every record. */
  deviceId: string;
  /** The device key; without it records stay unsigned (and unread by readFrom). */
  signer?: Signer;
  /** Status turns 'nearly-full' when less than this share of the space is free (default 0.1). */
  nearlyFullRatio?: number;
  /**
   * Room for this many largest records is kept back from ordinary appends, for
   * sessions already under way (append(…, { reserved: true })): default 4.
   */
  reservedRecords?: number;
  /**
   * Where the count of records refused at append (`refused`) is kept across
   * reboots: NVS on a device, key REFUSED_KEY. Without it the count starts at 0 each boot.
   */
  settings?: Settings;
}

/** Settings key of Journal.refused: records refused at append since the device was provisioned. */
export const REFUSED_KEY = 'jrn.refused';

/** A signed record ready for upload: its COSE_Sign1 bytes. */
export interface StoredRecord {
  seq: number;
  bytes: Uint8Array;
}

export interface RecoveryReport {
  /** Sectors holding journal data after recovery. */
  liveSectors: number;
  /** Records found (acknowledged or not). */
  records: number;
  lastSeq: number;
  ackedSeq: number;
  /** Records found without a signature (signPending() signs them). */
  unsigned: number;
  /**
   * Unacknowledged records lost to damage: numbers in (ackedSeq, lastSeq]
   * with no record read back, and records damage may hide after the last one
   * found (an upper bound: a damaged stretch counts as many records as it
   * could hold). Torn appends are not counted (their session is recorded
   * again at boot).
   */
  lostRecords: number;
  /** Torn or corrupted entries detected and skipped. */
  corruptEntries: number;
  /** Sectors inside the journal whose header was unreadable (their entries are still read). */
  damagedHeaders: number;
  /** Sectors erased while recovering (acknowledged, torn or stale). */
  erasedSectors: number;
}

interface Pending { seq: number; at: number; length: number }

// Entries for acknowledgements kept back from appends, so that a full journal
// can still record the acknowledgements that will free it.
const ACK_RESERVE = 4;

/**
 * An append-only journal of session records in a flash region used as a ring of
 * sectors (format in frame.ts). Records are appended unsigned, signed later by
 * signPending() (ECDSA is too slow for the tap path), read for upload with
 * readFrom(), and acknowledged by sequence number; fully acknowledged sectors
 * are erased, oldest first. recover() must run at boot before anything else.
 */
export class Journal {
  private readonly sectors: number;
  private readonly bs: number;
  private readonly protectedBytes: Uint8Array;
  private readonly nearlyFullRatio: number;
  private reservedRecords: number;
  // Per sector (indexed by sector number): highest and lowest record seq in it (0: none).
  private readonly lastSeqIn: Float64Array;
  private readonly firstSeqIn: Float64Array;
  // Per sector: 1 when inside the journal with an unreadable header (recovery
  // finds the oldest sector by its header: it must never become the tail).
  private readonly damaged: Uint8Array;
  private ready = false;
  private headCounter = -1; // counter of the sector being written; -1 before the first
  private tailCounter = 0; // counter of the oldest sector kept
  private writePos = 0; // offset in the head sector of the next entry
  private nextBlank = false; // the sector after the head is known erased
  private lastSeqValue = 0;
  // The last record on flash: its sector is never erased (its hash continues
  // the chain; with the damage after it, it gives the next recovery the same last seq).
  private lastRecordSeq = 0;
  // Sectors from this counter on are never reclaimed: the last record's, or
  // with none, the first one damage hides records in (the next recovery must
  // find the same last seq).
  private keepCounter = Infinity;
  private lastHash: Uint8Array = GENESIS_HASH;
  private acked = 0;
  private persistedAck = 0; // highest ack entry on flash…
  private persistedAckCounter = -1; // …and the sector counter it is in
  private ackAfterLast = false; // …and no record follows it: it counts whatever is erased before it
  private pending: Pending[] = []; // unsigned records, oldest first
  private ackOwed = false; // a sector went with no room for an ack: write one when there is
  private refusedCount = 0; // records refused at append (persisted in options.settings)
  // Signatures that found no room on flash (damage took it), until acknowledged.
  private readonly unsaved = new Map<number, Uint8Array>();
  // Numbers of records lost to damage, found at recovery: [from, to] pairs, ascending.
  private lostRanges: number[] = [];
  // Records damage after the last record may hide beyond those numbers (an upper bound; until the next recovery).
  private lostBeyond = 0;
  private readonly hidden = new Float64Array(3); // scratch of hiddenRecords()

  constructor(readonly flash: FlashRegion, private readonly options: JournalOptions) {
    this.bs = flash.blockSize;
    this.sectors = flash.byteLength / flash.blockSize;
    if (!Number.isInteger(this.sectors) || this.sectors < 2 || this.bs < 512 || this.bs > 65536)
      throw new JournalError('bad-region', `journal region ${flash.name} needs ≥ 2 blocks of 512..65536 bytes`);
    this.protectedBytes = protectedHeader(options.deviceId);
    this.nearlyFullRatio = options.nearlyFullRatio ?? 0.1;
    this.reservedRecords = options.reservedRecords ?? 4;
    this.lastSeqIn = new Float64Array(this.sectors);
    this.firstSeqIn = new Float64Array(this.sectors);
    this.damaged = new Uint8Array(this.sectors);
    const refused = options.settings?.get(REFUSED_KEY);
    if (typeof refused === 'number' && Number.isSafeInteger(refused) && refused > 0) this.refusedCount = refused;
  }

  /**
   * Records refused at append because they could not be encoded or would not
   * read back (RecordError, JournalError 'unreadable-record' or 'bad-record'):
   * each threw and wrote nothing. Counted across reboots when the journal has
   * settings; the device reports it in its status message (`refused`).
   */
  get refused(): number {
    return this.refusedCount;
  }

  get lastSeq(): number {
    return this.lastSeqValue;
  }
  get ackedSeq(): number {
    return this.acked;
  }
  /** Records not yet acknowledged by the backend. */
  get depth(): number {
    return this.lastSeqValue - this.acked;
  }
  /**
   * Unacknowledged records lost to flash damage, as the last recovery found
   * them (RecoveryReport.lostRecords), less those acknowledged since: the
   * device reports it in its status.
   */
  get lost(): number {
    let n = this.lostBeyond;
    for (let i = 0; i < this.lostRanges.length; i += 2) {
      const from = Math.max(this.lostRanges[i], this.acked + 1);
      if (this.lostRanges[i + 1] >= from) n += this.lostRanges[i + 1] - from + 1;
    }
    return n;
  }
  /** Of those, records damage after the last record found may hide (an upper bound, until the next recovery). */
  get lostAfterLast(): number {
    return this.lostBeyond;
  }
  /** The numbers of the others, as [from, to] ranges (for tools: `roam inspect`). */
  lostSeqs(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < this.lostRanges.length; i += 2) {
      const from = Math.max(this.lostRanges[i], this.acked + 1);
      if (this.lostRanges[i + 1] >= from) out.push([from, this.lostRanges[i + 1]]);
    }
    return out;
  }
  /** Records waiting for signPending(). */
  get unsigned(): number {
    return this.pending.length;
  }
  /** SHA-256 of the last record's payload: the next record's prev. */
  get lastRecordHash(): Uint8Array {
    return this.lastHash.slice();
  }

  get status(): JournalStatus {
    this.assertReady();
    if (!this.fits(this.appendSizes(MAX_RECORD_ENTRY_BYTES, false))) return 'full';
    const usable = this.bs - SECTOR_HEADER_BYTES;
    const free = this.freeSectors() * usable + (this.headCounter < 0 ? 0 : this.bs - this.writePos);
    return free < this.nearlyFullRatio * this.sectors * usable ? 'nearly-full' : 'ok';
  }

  /**
   * Scans the region and rebuilds the state; erases what is acknowledged,
   * torn or stale. Safe to run again after a power cut at any point in it.
   */
  recover(): RecoveryReport {
    this.ready = false;
    const n = this.sectors;
    const bs = this.bs;
    // The scan only reads: use the memory-mapped region where there is one (no
    // copies on a device), else read sector by sector.
    const mapped = this.flash.map?.();
    let buf: Uint8Array = mapped ?? new Uint8Array(0);
    let base = 0; // where the sector being scanned starts in buf
    const load = (s: number) => {
      if (mapped) base = s * bs;
      else buf = this.flash.read(s * bs, bs);
    };
    const headerOf = (s: number) => readSectorHeader(mapped ?? this.flash.read(s * bs, SECTOR_HEADER_BYTES), mapped ? s * bs : 0);
    const counters = new Float64Array(n).fill(-1);
    for (let s = 0; s < n; s++) {
      const c = headerOf(s);
      if (c >= 0 && c % n === s) counters[s] = c;
    }
    const run = liveRun(counters);
    let head = run.head;
    let tail = run.tail;
    // No valid header at all, yet records: the headers of every sector the
    // journal had were hit (one sector in use, one hit). The sector of the
    // newest records is the head (its counter is only known modulo the
    // sector count: one lap up, so that sectors before it can be joined too).
    if (head < 0) {
      const h = this.newestHeaderless(mapped);
      if (h >= 0) head = tail = h + n;
    }
    // A hit header of the oldest sector must not leave it out of the journal
    // (its records would be erased as free, and counted as acknowledged):
    // a sector before the tail whose header is unreadable is the journal's
    // oldest if its records come before the tail's and link to them (or the
    // link was hit too). It is then scanned like any sector with a damaged header.
    let beforeTailHasRecords = false;
    while (head >= 0 && tail > 0 && head - tail + 1 < n && headerOf((tail - 1) % n) < 0) {
      const verdict = this.predecessorOf(tail, head, mapped);
      beforeTailHasRecords = verdict === 1;
      if (verdict !== 2) break;
      tail--;
    }
    this.lastSeqIn.fill(0);
    this.firstSeqIn.fill(0);
    this.pending = [];
    this.persistedAck = 0;
    this.persistedAckCounter = -1;
    this.ackAfterLast = false;
    const report: RecoveryReport = { liveSectors: 0, records: 0, lastSeq: 0, ackedSeq: 0, unsigned: 0, lostRecords: 0, corruptEntries: 0, damagedHeaders: 0, erasedSectors: 0 };
    let maxSeq = 0;
    let lastRecordAt = -1;
    let lastRecordLength = 0;
    // Which records are present and which signed, as bits from the first seq
    // found: no object per record, whatever the journal holds.
    const seqs = new SeqBits(Math.ceil(this.flash.byteLength / 64));
    // Damage before the first record found, and after the last one: records
    // it may hide (possible), ones it certainly hides, and the highest seq a
    // signature or ack after the last record names (evidence).
    let hiddenBeforeFirst = 0; // records damage before the first record found may hide
    let hiddenPossible = 0;
    let hiddenCertain = 0;
    let hiddenTorn = 0;
    let evidence = 0;
    let lastRecordCounter = -1;
    let damageCounter = -1; // first sector with damage, or evidence, after the last record
    this.writePos = SECTOR_HEADER_BYTES;
    let cur = 0; // counter of the sector being scanned
    // One visitor for the whole scan (no closure or view per sector: recovery
    // of a full journal must not churn the heap of a microcontroller).
    const visit = (type: number, at: number, length: number) => {
      const s = cur % n;
      if (type === T_RECORD) {
        // A stale copy (the sequence only grows) is ignored, a malformed one too.
        const seq = this.freshSeq(buf, at, length, maxSeq);
        if (seq === 0) return;
        if (maxSeq === 0) hiddenBeforeFirst = hiddenPossible;
        maxSeq = seq;
        this.ackAfterLast = false;
        if (this.firstSeqIn[s] === 0) this.firstSeqIn[s] = seq;
        this.lastSeqIn[s] = seq;
        lastRecordAt = s * bs + (at - base) + 3;
        lastRecordLength = length;
        seqs.mark(seq, PRESENT);
        report.records++;
        hiddenPossible = hiddenCertain = hiddenTorn = evidence = 0;
        lastRecordCounter = cur;
        damageCounter = -1;
      } else if (type === T_SIGNATURE) {
        // A record is signed after it is written: a signature found before its
        // record is not the journal's.
        const q = u32(buf, at + 3);
        if (seqs.has(q, PRESENT)) seqs.mark(q, SIGNED);
        else if (q > maxSeq && q > evidence) {
          evidence = q;
          if (damageCounter < 0) damageCounter = cur;
        }
      } else if (type === T_ACK) {
        // The journal acknowledges only records it holds, so a genuine ack
        // comes after the record it names (or that record was erased, and the
        // oldest record kept says as much). One above every record before it
        // is stray: trusting it would count unsent records as acknowledged,
        // the ones appended after it too.
        const v = u32(buf, at + 3);
        if (v >= this.persistedAck && v <= maxSeq) {
          this.persistedAck = v;
          this.persistedAckCounter = cur;
          this.ackAfterLast = true;
        } else if (v > maxSeq && v > evidence) {
          evidence = v;
          if (damageCounter < 0) damageCounter = cur;
        }
      }
    };
    const corrupt = (start: number, stop: number, end: number) => {
      hiddenRecords(buf, start, stop, end, base + bs, this.hidden);
      hiddenPossible += this.hidden[0];
      hiddenCertain += this.hidden[1];
      hiddenTorn += this.hidden[2];
      if (damageCounter < 0) damageCounter = cur;
    };
    const scan = (c: number) => {
      cur = c;
      load(c % n);
      return this.scanSector(buf, base, visit, report, corrupt);
    };
    this.damaged.fill(0);
    for (let c = tail; head >= 0 && c <= head; c++) {
      if (counters[c % n] !== c) {
        report.damagedHeaders++;
        this.damaged[c % n] = 1;
      }
      const end = scan(c);
      if (c === head) this.writePos = end;
    }
    // A hit header of the head must not turn the newest records into a "free"
    // sector to erase: a sector after the head with an unreadable header and
    // entries newer than anything seen is the real head. (A torn header has
    // no entries yet; a half-erased old sector has only older ones.) It is
    // adopted only when its header is unreadable, its first record is newer
    // than every record seen, and either that record continues the chain (seq
    // and prev) and its first entry did not fit in the head (where the journal
    // would have gone on), or damage between them hides the link (after the
    // head's last record, or before its own first record): stale entries (a
    // torn erase, an older journal) can look newer too, but they are never
    // after damage that hides newer records.
    const hashOfLast = () => (lastRecordAt >= 0 ? this.options.crypto.sha256(this.flash.read(lastRecordAt, lastRecordLength)).digest() : GENESIS_HASH);
    // (A header with a valid CRC but a counter that is not the journal's is
    // forged or stale, not hit: a flipped bit never leaves the CRC right.)
    // What an adoption rests on (the last record before it, damage after that
    // record) must still be there at the next boot: reclaim keeps it.
    let adoptedOn = Infinity;
    const basis = () => Math.min(lastRecordCounter >= 0 ? lastRecordCounter : Infinity, damageCounter >= 0 ? damageCounter : Infinity);
    while (head >= 0 && head + 1 - tail < n && headerOf((head + 1) % n) < 0) {
      const after = head + 1;
      load(after % n);
      let first = -1;
      let firstLength = 0;
      let opened = -1; // size of its first entry
      let hitBefore = false; // damage before its first record
      let named = 0; // the highest seq a signature or ack in it names
      this.scanSector(buf, base, (type, at, length) => {
        if (opened < 0) opened = ENTRY_OVERHEAD + length;
        if (type === T_RECORD && first < 0) {
          first = at + 3;
          firstLength = length;
        } else if (type !== T_RECORD) named = Math.max(named, u32(buf, at + 3));
      }, undefined, () => {
        if (first < 0) hitBefore = true;
      });
      if (first < 0) {
        // Every record in it was hit: still the head if damage is there and a
        // signature or ack after it names a record newer than any found.
        if (!hitBefore || named <= maxSeq) break;
        adoptedOn = Math.min(adoptedOn, basis());
        report.damagedHeaders++;
        this.damaged[after % n] = 1;
        this.writePos = scan(after);
        head = after;
        continue;
      }
      const firstSeq = seqOfPayload(buf, first, first + firstLength) ?? 0;
      if (firstSeq <= maxSeq || !recordShaped(buf, first, first + firstLength)) break;
      const links = this.writePos + opened > bs && this.continuesChain(buf.slice(first, first + firstLength), maxSeq + 1, hashOfLast());
      if (!links && !hitBefore && hiddenPossible === 0) break;
      adoptedOn = Math.min(adoptedOn, basis());
      report.damagedHeaders++;
      this.damaged[after % n] = 1;
      // Written on like any head: the next boot adopts it again by the same
      // test (what is appended comes after its first record), and the room
      // left in it may be the room kept for signatures.
      this.writePos = scan(after);
      head = after;
    }
    this.lastHash = hashOfLast();
    this.headCounter = head;
    this.tailCounter = head < 0 ? 0 : tail;
    // Everything before the oldest record kept was acknowledged (only
    // acknowledged records are ever erased), but for the records damage
    // before it may hide (they may be unacknowledged: the position counts
    // them out); with records in the sector before the oldest one that
    // recovery could not join to the journal, only an ack entry counts. The
    // position may go back (records are sent again, and the backend keeps
    // one copy), never forward.
    const inferred = seqs.first > 0 && !beforeTailHasRecords ? Math.max(0, seqs.first - 1 - hiddenBeforeFirst) : 0;
    this.acked = Math.max(this.persistedAck, inferred);
    // Records damage hid after the last one found keep their numbers: the next
    // record never reuses the number of one that may have been signed and
    // sent (the backend would hold the old one, and its ack would cover the
    // new one). Certain ones (a record entry whose frame is whole), and as many
    // as a signature or ack after them names, within what the damage could hold.
    const bump = Math.max(hiddenCertain, Math.min(Math.max(0, evidence - maxSeq), hiddenPossible + hiddenTorn));
    this.lastSeqValue = Math.max(maxSeq + bump, this.acked);
    this.lastRecordSeq = maxSeq;
    this.keepCounter = Math.min(adoptedOn, lastRecordCounter >= 0 ? lastRecordCounter : damageCounter >= 0 ? damageCounter : Infinity);
    // Records found without a gap (the usual case): only the ends can be missing, no walk over the numbers.
    if (seqs.first > 0 && report.records === maxSeq - seqs.first + 1) {
      this.lostRanges = [];
      if (seqs.first - 1 > this.acked) this.lostRanges.push(this.acked + 1, seqs.first - 1);
      if (this.lastSeqValue > maxSeq) this.lostRanges.push(Math.max(maxSeq, this.acked) + 1, this.lastSeqValue);
    } else this.lostRanges = lostRanges(seqs, this.acked, this.lastSeqValue);
    this.lostBeyond = Math.max(0, hiddenPossible - bump);
    this.pending = this.locateUnsigned(seqs, maxSeq);
    this.unsaved.clear();
    this.nextBlank = false;
    this.ready = true;
    // Free sectors first: once reclaim shortens the live run, a stale or forged
    // run left outside it could be as long, and win at the next recovery.
    report.erasedSectors = this.blankFreeSectors(mapped);
    report.erasedSectors += this.reclaim();
    this.prepareNextSector();
    report.liveSectors = this.headCounter < 0 ? 0 : this.headCounter - this.tailCounter + 1;
    report.lastSeq = this.lastSeqValue;
    report.ackedSeq = this.acked;
    report.unsigned = this.pending.length;
    report.lostRecords = this.lost;
    return report;
  }

  /**
   * With no valid sector header in the region: the sector whose records are
   * the newest, among sectors without a valid header; -1 if none holds a
   * record. A sector whose first 128 bytes read erased is skipped unread (a
   * blank region, the first boot, costs 128 bytes a sector).
   */
  private newestHeaderless(mapped: Uint8Array | undefined): number {
    let best = -1;
    let bestSeq = 0;
    for (let s = 0; s < this.sectors; s++) {
      const b = mapped ?? this.flash.read(s * this.bs, this.bs);
      const at = mapped ? s * this.bs : 0;
      let i = at;
      while (i < at + 128 && b[i] === 0xff) i++;
      if (i === at + 128 || readSectorHeader(b, at) >= 0) continue;
      let max = 0;
      this.scanSector(b, at, (type, p, length) => {
        if (type !== T_RECORD) return;
        const seq = this.freshSeq(b, p, length, max);
        if (seq > 0) max = seq;
      });
      if (max > bestSeq) {
        bestSeq = max;
        best = s;
      }
    }
    return best;
  }

  /**
   * The sector before the tail (counter `tail` - 1), whose header is
   * unreadable: 2 if it is the journal's oldest sector (its records, in order,
   * come before the first record from the tail on, and the last one links to
   * it, or damage between them hides the link), 1 if it holds records that do
   * not fit so, 0 if it holds none.
   */
  private predecessorOf(tail: number, head: number, mapped: Uint8Array | undefined): number {
    const n = this.sectors;
    const bs = this.bs;
    const read = (c: number) => (mapped ? { b: mapped, at: (c % n) * bs } : { b: this.flash.read((c % n) * bs, bs), at: 0 });
    const p = read(tail - 1);
    let last = -1;
    let lastLength = 0;
    let lastSeq = 0;
    let hitAfter = false; // damage after its last record
    this.scanSector(p.b, p.at, (type, at, length) => {
      if (type !== T_RECORD) return;
      const seq = this.freshSeq(p.b, at, length, lastSeq);
      if (seq === 0) return;
      lastSeq = seq;
      last = at + 3;
      lastLength = length;
      hitAfter = false;
    }, undefined, () => {
      hitAfter = true;
    });
    if (last < 0) return 0;
    const lastHash = this.options.crypto.sha256(p.b.subarray(last, last + lastLength)).digest();
    for (let c = tail; c <= head; c++) {
      const q = read(c);
      let first = -1;
      let firstLength = 0;
      let hitBefore = false;
      this.scanSector(q.b, q.at, (type, at, length) => {
        if (type === T_RECORD && first < 0 && this.freshSeq(q.b, at, length, 0) > 0) {
          first = at + 3;
          firstLength = length;
        }
      }, undefined, () => {
        if (first < 0) hitBefore = true;
      });
      hitAfter ||= hitBefore;
      if (first < 0) continue;
      const firstSeq = seqOfPayload(q.b, first, first + firstLength)!;
      if (firstSeq <= lastSeq) return 1;
      return hitAfter || this.continuesChain(q.b.slice(first, first + firstLength), lastSeq + 1, lastHash) ? 2 : 1;
    }
    // No record from the tail on: the last record's sector is always kept, so it is this one.
    return 2;
  }

  /**
   * The seq of the record entry at `at` if it is above `above` (else it is a
   * stale copy) and its payload has the shape of a record, else 0: a CRC-valid
   * entry is not trusted by its seq alone. (The shape, not a full decode: this
   * runs on every record at boot, without allocating.)
   */
  private freshSeq(buf: Uint8Array, at: number, length: number, above: number): number {
    const seq = seqOfPayload(buf, at + 3, at + 3 + length)!;
    return seq > above && recordShaped(buf, at + 3, at + 3 + length) ? seq : 0;
  }

  /** Is this payload a well-formed record numbered `seq` whose prev is `prev`? */
  private continuesChain(payload: Uint8Array, seq: number, prev: Uint8Array): boolean {
    try {
      const r = decodeRecord(payload);
      return r.seq === seq && equalBytes(r.prev, prev);
    } catch {
      return false;
    }
  }

  /** Where the unacknowledged records without a signature are: usually a short tail. */
  private locateUnsigned(seqs: SeqBits, maxSeq: number): Pending[] {
    let from = 0;
    for (let q = Math.max(this.acked + 1, seqs.first); q <= maxSeq && seqs.first > 0; q++) {
      if (seqs.has(q, PRESENT) && !seqs.has(q, SIGNED)) {
        from = q;
        break;
      }
    }
    const out: Pending[] = [];
    if (from === 0) return out;
    this.visitRecords(from, (seq, buf, at, length, base) => {
      if (!seqs.has(seq, SIGNED)) out.push({ seq, at: base + at, length });
    });
    return out;
  }

  /**
   * Appends a record, unsigned: the cost of a tap is one flash write. Takes the
   * session's facts (the journal numbers and chains them) or an encoded payload
   * that already carries the next seq and the last hash. Returns its seq.
   * `reserved`: may use the room kept for sessions already under way.
   */
  append(record: SessionFacts | Uint8Array, options: { reserved?: boolean } = {}): number {
    this.assertReady();
    const seq = this.lastSeqValue + 1;
    let payload: Uint8Array;
    try {
      if (record instanceof Uint8Array) {
        const r = decodeRecord(record);
        if (r.seq !== seq || !equalBytes(r.prev, this.lastHash))
          throw new JournalError('bad-record', `record ${r.seq} does not continue the chain at ${seq}`);
        payload = record.slice();
      } else {
        payload = encodeRecord(record, seq, this.lastHash);
      }
      // Never report an append that recovery, readFrom and the signing queue
      // would not read back: they take a record by the same shape check and
      // its seq. (A meter reading of 2^32 Wh or more, written by cbor-x as a
      // float, once passed encodeRecord and vanished here: issue 14.)
      if (!recordShaped(payload, 0, payload.length) || seqOfPayload(payload) !== seq)
        throw new JournalError('unreadable-record', `record ${seq} is not in the shape the journal reads back: not written`);
    } catch (e) {
      this.refuse();
      throw e;
    }
    // An ordinary append needs room for the largest record, so that 'full' means
    // exactly "ordinary appends are refused", whatever the record's size.
    const entry = options.reserved === true ? ENTRY_OVERHEAD + payload.length : Math.max(ENTRY_OVERHEAD + payload.length, MAX_RECORD_ENTRY_BYTES);
    if (!this.fits(this.appendSizes(entry, options.reserved === true)))
      throw new JournalError('full', `journal ${this.flash.name} is full: ${this.depth} records wait for acknowledgement`);
    const hash = this.options.crypto.sha256(payload).digest();
    const at = this.writeEntry(T_RECORD, payload);
    const s = this.sectorOf(at);
    if (this.firstSeqIn[s] === 0) this.firstSeqIn[s] = seq;
    this.lastSeqIn[s] = seq;
    this.pending.push({ seq, at: at + 3, length: payload.length });
    this.ackAfterLast = false;
    this.lastSeqValue = seq;
    this.lastRecordSeq = seq;
    this.keepCounter = this.headCounter;
    this.lastHash = hash;
    return seq;
  }

  /** Counts a record refused at append, persisted where the journal has settings (best effort: never hides the refusal itself). */
  private refuse(): void {
    this.refusedCount++;
    try {
      this.options.settings?.set(REFUSED_KEY, this.refusedCount);
    } catch {
      // The count in memory still reaches the status message.
    }
  }

  /** Signs up to `max` unsigned records, oldest first; the background step. Returns how many. */
  signPending(max = Infinity): number {
    this.assertReady();
    const signer = this.options.signer;
    if (this.pending.length === 0) return 0;
    if (!signer) throw new JournalError('no-signer', 'journal has no signer: records cannot be signed');
    let done = 0;
    while (this.pending.length > 0 && done < max) {
      const p = this.pending[0];
      const signature = signer.sign(toBeSigned(this.protectedBytes, this.flash.read(p.at, p.length)));
      if (signature.length !== SIGNATURE_BYTES) throw new JournalError('no-signer', `signer returned ${signature.length} bytes, not an ES256 r||s`);
      // Room for every signature is kept, but damage can take it: a damaged
      // signature entry makes its record unsigned again, and damage past the
      // end of the head moves the next write on. Then the signature is kept
      // in RAM until the record is acknowledged (signed again after a
      // reboot): no record waits for room that only its own upload can free.
      if (this.fits([SIG_ENTRY_BYTES])) {
        const body = new Uint8Array(SIG_BODY_BYTES);
        put32(body, 0, p.seq);
        body.set(signature, 4);
        this.writeEntry(T_SIGNATURE, body);
      } else this.unsaved.set(p.seq, signature);
      this.pending.shift();
      done++;
    }
    return done;
  }

  /**
   * Signed, unacknowledged records from `seq` on, in order, as COSE_Sign1
   * bytes, up to `maxBytes` in all (at least one record). Stops at the first
   * unsigned record; skips records lost to corruption (the chain shows the gap).
   */
  readFrom(seq: number, maxBytes: number): StoredRecord[] {
    this.assertReady();
    const out: StoredRecord[] = [];
    let next = Math.max(Math.floor(seq), this.acked + 1);
    if (next > this.lastSeqValue || this.headCounter < 0) return out;
    const firstPending = this.pending.length > 0 ? this.pending[0].seq : Infinity;
    const payloads = new Map<number, Uint8Array>();
    const signatures = new Map<number, Uint8Array>();
    let maxSeen = 0;
    let bytes = 0;
    let done = false;
    const emit = () => {
      while (!done && next <= this.lastSeqValue && next < firstPending) {
        const payload = payloads.get(next);
        const signature = signatures.get(next) ?? this.unsaved.get(next);
        if (payload && signature) {
          const cose = encodeCoseSign1(this.protectedBytes, payload, signature);
          if (out.length > 0 && bytes + cose.length > maxBytes) {
            done = true;
            return;
          }
          out.push({ seq: next, bytes: cose });
          bytes += cose.length;
        } else if (payload || next > maxSeen) return; // its signature or the record may come later
        payloads.delete(next);
        signatures.delete(next);
        next++;
      }
      if (next > this.lastSeqValue || next >= firstPending) done = true;
    };
    for (let c = this.tailCounter; c <= this.headCounter && !done; c++) {
      const s = c % this.sectors;
      if (this.lastSeqIn[s] !== 0 && this.lastSeqIn[s] < next) continue;
      const buf = this.flash.read(s * this.bs, this.bs);
      this.scanSector(buf, 0, (type, at, length) => {
        if (type === T_RECORD) {
          // As recover() reads the journal: stale or malformed records are not there.
          const r = this.freshSeq(buf, at, length, maxSeen);
          if (r === 0) return;
          maxSeen = r;
          if (r >= next) payloads.set(r, buf.slice(at + 3, at + 3 + length));
        } else if (type === T_SIGNATURE) {
          const r = u32(buf, at + 3);
          if (r >= next && !signatures.has(r) && payloads.has(r)) signatures.set(r, buf.slice(at + 7, at + 7 + SIGNATURE_BYTES));
        }
      });
      emit();
    }
    maxSeen = Infinity; // the whole journal was read: what is missing now is lost
    emit();
    return out;
  }

  /** Payloads of the unacknowledged records from `seq` on, signed or not (for boot-time checks). */
  payloadsFrom(seq: number): Uint8Array[] {
    this.assertReady();
    const from = Math.max(Math.floor(seq), this.acked + 1);
    const out: Uint8Array[] = [];
    if (from <= this.lastSeqValue) this.visitRecords(from, (_, buf, at, length) => out.push(buf.slice(at, at + length)));
    return out;
  }

  /**
   * Visits the live records with seq >= `from`, in journal order, skipping
   * stale and malformed ones exactly as recover() does: `buf[at, at + length)`
   * is the payload, at flash offset `base + at`.
   */
  private visitRecords(from: number, visit: (seq: number, buf: Uint8Array, at: number, length: number, base: number) => void): void {
    let max = 0;
    for (let c = this.tailCounter; c <= this.headCounter; c++) {
      const s = c % this.sectors;
      if (this.lastSeqIn[s] < from) continue;
      const base = s * this.bs;
      const buf = this.flash.read(base, this.bs);
      this.scanSector(buf, 0, (type, at, length) => {
        if (type !== T_RECORD) return;
        const seq = this.freshSeq(buf, at, length, max);
        if (seq === 0) return;
        max = seq;
        if (seq >= from) visit(seq, buf, at + 3, length, base);
      });
    }
  }

  /**
   * The backend holds every record up to `seq`. Persisted power-safely as an
   * ack entry; sectors holding only acknowledged records are then erased.
   */
  acknowledge(seq: number): void {
    this.assertReady();
    if (!Number.isInteger(seq) || seq < 0) throw new JournalError('bad-ack', `acknowledged seq must be a non-negative integer: ${seq}`);
    if (seq <= this.acked) return; // a repeated acknowledgement
    if (seq > this.lastSeqValue) throw new JournalError('bad-ack', `acknowledged seq ${seq} is past the last record ${this.lastSeqValue}`);
    if (this.pending.length > 0 && this.pending[0].seq <= seq) throw new JournalError('bad-ack', `record ${this.pending[0].seq} is not signed yet: it cannot have been uploaded`);
    this.acked = seq;
    for (const q of this.unsaved.keys()) if (q <= seq) this.unsaved.delete(q);
    this.writeAckIfRoom(false);
    this.reclaim();
    if (this.persistedAck < this.acked) this.writeAckIfRoom(false);
    // Off the tap path: a sector freed here must not be checked (or erased) by the next append.
    this.prepareNextSector();
  }

  /**
   * Keeps room for at least `records` largest records (and their signatures)
   * for sessions under way: Sessions asks for one per connector, so that every
   * transaction it lets start can be recorded.
   */
  reserve(records: number): void {
    if (Number.isInteger(records) && records > this.reservedRecords) this.reservedRecords = records;
  }

  /** Background housekeeping: makes sure the next sector is erased, off the tap path. */
  maintain(): void {
    this.assertReady();
    this.prepareNextSector();
  }

  /** False after a failed write until recover() runs again (the in-memory state is then unknown). */
  get recovered(): boolean {
    return this.ready;
  }

  // — internals —

  private assertReady(): void {
    if (!this.ready) throw new JournalError('not-recovered', `journal ${this.flash.name}: recover() must run first (at boot, or after a failed write)`);
  }

  private sectorOf(abs: number): number {
    return Math.floor(abs / this.bs);
  }

  private freeSectors(): number {
    return this.headCounter < 0 ? this.sectors : this.sectors - (this.headCounter - this.tailCounter + 1);
  }

  /** Entry sizes an append must leave room for: its record, every signature, some acks, the reserve. */
  private appendSizes(recordEntry: number, reserved: boolean): number[] {
    const sizes = [recordEntry];
    for (let i = 0; i <= this.pending.length; i++) sizes.push(SIG_ENTRY_BYTES);
    for (let i = 0; i < ACK_RESERVE; i++) sizes.push(ACK_ENTRY_BYTES);
    if (!reserved) for (let i = 0; i < this.reservedRecords; i++) sizes.push(MAX_RECORD_ENTRY_BYTES, SIG_ENTRY_BYTES);
    return sizes;
  }

  /** Would these entries, written in order, fit? Entries never span sectors. */
  private fits(sizes: number[]): boolean {
    let free = this.freeSectors();
    let pos = this.headCounter < 0 ? this.bs : this.writePos;
    for (const size of sizes) {
      if (pos + size > this.bs) {
        if (free === 0) return false;
        free--;
        pos = SECTOR_HEADER_BYTES;
      }
      pos += size;
    }
    return true;
  }

  /** Writes one framed entry at the head, opening the next sector if needed; returns its offset. */
  private writeEntry(type: number, body: Uint8Array): number {
    const entry = frameEntry(type, body);
    if (this.headCounter < 0 || this.writePos + entry.length > this.bs) this.openNextSector();
    const at = (this.headCounter % this.sectors) * this.bs + this.writePos;
    this.guard(() => this.flash.write(at, entry));
    this.writePos += entry.length;
    return at;
  }

  private openNextSector(): void {
    const next = this.headCounter + 1;
    if (this.headCounter >= 0 && next - this.tailCounter >= this.sectors) throw new JournalError('full', `journal ${this.flash.name} has no free sector`);
    if (!this.nextBlank) this.ensureBlank(next % this.sectors);
    const s = next % this.sectors;
    this.guard(() => this.flash.write(s * this.bs, sectorHeader(next)));
    if (this.headCounter < 0) this.tailCounter = next;
    this.headCounter = next;
    this.lastSeqIn[s] = 0;
    this.firstSeqIn[s] = 0;
    this.damaged[s] = 0;
    this.writePos = SECTOR_HEADER_BYTES;
    this.nextBlank = false;
  }

  /**
   * Erases every free sector that is not blank (a torn erase, an older journal,
   * anything): then a sector after the head without a valid header can only
   * be the head whose header was hit, never stale entries. Returns how many.
   */
  private blankFreeSectors(mapped: Uint8Array | undefined): number {
    let erased = 0;
    const first = this.headCounter < 0 ? 0 : this.headCounter + 1;
    const end = this.headCounter < 0 ? this.sectors : this.tailCounter + this.sectors;
    for (let c = first; c < end; c++) {
      const s = c % this.sectors;
      const b = mapped ?? this.flash.read(s * this.bs, this.bs);
      const from = mapped ? s * this.bs : 0;
      const to = from + this.bs;
      let i = from;
      while (i < to && b[i] === 0xff) i++;
      if (i < to) {
        this.guard(() => this.flash.erase(s));
        erased++;
      }
    }
    if (first < end) this.nextBlank = true;
    return erased;
  }

  private prepareNextSector(): void {
    if (this.nextBlank || (this.headCounter >= 0 && this.freeSectors() === 0)) return;
    this.ensureBlank((this.headCounter + 1) % this.sectors);
    this.nextBlank = true;
  }

  /** A free sector may hold a torn header or a half-finished erase: erase it unless blank. */
  private ensureBlank(s: number): void {
    const b = this.flash.read(s * this.bs, this.bs);
    for (let i = 0; i < b.length; i++) {
      if (b[i] !== 0xff) {
        this.guard(() => this.flash.erase(s));
        return;
      }
    }
  }

  /**
   * Persists the acknowledged position if there is room. An ack that frees
   * nothing must leave the room kept for records of sessions under way
   * (`reserve` false); one written so that a sector can be erased may use it.
   */
  private writeAckIfRoom(reserve: boolean): void {
    if (this.persistedAck >= this.acked) return;
    const sizes = [ACK_ENTRY_BYTES];
    for (let i = 0; i < this.pending.length; i++) sizes.push(SIG_ENTRY_BYTES);
    if (!reserve) for (let i = 0; i < this.reservedRecords; i++) sizes.push(MAX_RECORD_ENTRY_BYTES, SIG_ENTRY_BYTES);
    if (!this.fits(sizes)) return;
    const body = new Uint8Array(4);
    put32(body, 0, this.acked);
    this.writeEntry(T_ACK, body);
    this.persistedAck = this.acked;
    this.persistedAckCounter = this.headCounter;
    this.ackAfterLast = true;
  }

  /**
   * Erases the oldest sectors while every record in them is acknowledged. Kept:
   * the head, and the sector of the last record (its hash continues the chain).
   * Before a sector goes, an ack entry covering it must exist elsewhere, so a
   * cut in the middle of the erase cannot bring its records back as unsent.
   */
  private reclaim(): number {
    let erased = 0;
    // A head adopted without a valid header is found again at the next boot
    // only from the records before it (recovery rule 2): until a sector with
    // a valid header follows it (the next write opens one), the last sector
    // with a valid header before it stays, and everything after that. (Keeping
    // every sector instead could leave a full ring that nothing frees: no
    // sector to open, none to erase.)
    let keep = this.headCounter;
    if (this.headCounter >= 0 && this.damaged[this.headCounter % this.sectors] === 1) {
      keep = this.headCounter - 1;
      while (keep > this.tailCounter && this.damaged[keep % this.sectors] !== 0) keep--;
    }
    keep = Math.min(keep, this.keepCounter);
    while (this.tailCounter < keep) {
      if (!this.erasable(this.tailCounter)) break;
      // The next sector with data becomes the oldest, and recovery finds the
      // oldest by its header: one without a valid header must go first (it is
      // then a blank hole, 2).
      let next = this.tailCounter + 1;
      while (next < keep && this.damaged[next % this.sectors] === 2) next++;
      if (this.damaged[next % this.sectors] === 1) {
        if (next >= keep || !this.erasable(next) || !this.eraseOld(next)) break;
        this.damaged[next % this.sectors] = 2;
        erased++;
        continue;
      }
      if (!this.eraseOld(this.tailCounter)) break;
      this.tailCounter++;
      erased++;
      while (this.tailCounter < this.headCounter && this.damaged[this.tailCounter % this.sectors] === 2) {
        this.damaged[this.tailCounter % this.sectors] = 0;
        this.tailCounter++;
      }
      if (this.ackOwed) {
        this.writeAckIfRoom(true);
        if (this.persistedAck >= this.acked) this.ackOwed = false;
      }
    }
    return erased;
  }

  private erasable(c: number): boolean {
    const last = this.lastSeqIn[c % this.sectors];
    return !(last > this.acked || (last !== 0 && last === this.lastRecordSeq));
  }

  /**
   * Erases the sector of counter `c`, all of whose records are acknowledged,
   * unless that could move the acknowledged position back; says whether it did.
   * An ack entry that follows the last record counts at the next recovery
   * whatever goes before it; without one, a fresh one is written at the head.
   */
  private eraseOld(c: number): boolean {
    const s = c % this.sectors;
    const last = this.lastSeqIn[s];
    if (this.acked > 0 && (!this.ackAfterLast || this.persistedAck < last || this.persistedAckCounter === c)) {
      const before = this.persistedAck;
      this.persistedAck = -1; // force a fresh entry at the head
      this.writeAckIfRoom(true);
      if (this.persistedAck === -1) {
        // No room: the sector goes all the same (a journal whose every record
        // is acknowledged must be able to free itself: refusing left a full
        // journal full for good, with a forged record out of order or damage
        // kept), and the ack is written in the room the erase makes, as soon
        // as the tail has moved (reclaim). Until then, recovery finds the
        // position from the oldest record kept; a record out of order or
        // damage before it can only take it back (records sent again, one
        // copy kept by the backend), never forward.
        // (What was on flash may go with the sector: count it as not there,
        // so that the ack is written again.)
        this.persistedAck = this.persistedAckCounter === c || !this.ackAfterLast ? 0 : before;
        this.ackOwed = true;
      }
    }
    this.guard(() => this.flash.erase(s));
    if (this.headCounter >= 0 && s === (this.headCounter + 1) % this.sectors) this.nextBlank = true;
    this.lastSeqIn[s] = 0;
    this.firstSeqIn[s] = 0;
    this.damaged[s] = 0;
    return true;
  }

  /** A failed write leaves the in-memory state unknown: demand a recover(). */
  private guard(write: () => void): void {
    try {
      write();
    } catch (e) {
      this.ready = false;
      throw e;
    }
  }

  /**
   * Visits the well-formed entries of the sector at buf[base, base + blockSize)
   * (positions passed to `visit` are in buf); a torn or corrupted entry is
   * counted and skipped by searching for the next well-formed one (`corrupt`
   * gets each skipped stretch [start, stop) and the end of the written part). Returns
   * where in the sector the next entry may be written: past the last programmed byte.
   */
  private scanSector(
    buf: Uint8Array, base: number, visit: (type: number, at: number, length: number) => void, report?: RecoveryReport,
    corrupt?: (start: number, stop: number, end: number) => void,
  ): number {
    const limit = base + this.bs;
    let lastWritten = limit - 1;
    while (lastWritten >= base + SECTOR_HEADER_BYTES && buf[lastWritten] === 0xff) lastWritten--;
    const end = lastWritten + 1;
    let pos = base + SECTOR_HEADER_BYTES;
    while (pos < end) {
      const size = entryAt(buf, pos, limit);
      if (size > 0) {
        visit(buf[pos], pos, size - ENTRY_OVERHEAD);
        pos += size;
        continue;
      }
      if (report) report.corruptEntries++;
      const start = pos;
      pos++;
      while (pos < end && entryAt(buf, pos, limit) === 0) pos++;
      if (corrupt) corrupt(start, Math.min(pos, end), end);
    }
    // An entry may end in 0xFF bytes (its CRC): never write over it.
    return Math.max(end, pos, base + SECTOR_HEADER_BYTES) - base;
  }
}

/**
 * The journal's part of the ring, from the sector counters (-1: no valid
 * header): the longest run of valid headers each continuing the previous one
 * round the ring (counter + distance; unreadable headers in between are
 * bridged), ties to the higher head. The journal writes only such runs, so a
 * valid header that breaks continuity is stale or forged: it ends a run and is
 * never taken as newer. O(sectors), no allocation but the answer.
 */
export function liveRun(counters: Float64Array): { tail: number; head: number } {
  const n = counters.length;
  let last = -1;
  for (let s = n - 1; s >= 0 && last < 0; s--) if (counters[s] >= 0) last = s;
  if (last < 0) return { tail: 0, head: -1 };
  // Start at a run's first sector. There is one: continuity all round the
  // ring would make a counter exceed itself by n (one valid header alone
  // "continues" itself at distance n, which fails the same way).
  let start = -1;
  for (let s = 0, prev = last; s < n && start < 0; s++) {
    if (counters[s] < 0) continue;
    if (counters[s] - counters[prev] !== (s > prev ? s - prev : s - prev + n)) start = s;
    prev = s;
  }
  let bestTail = 0;
  let bestHead = -1;
  let runTail = -1;
  let runHead = -1;
  let at = -1;
  for (let k = 0; k <= n; k++) {
    const s = (start + k) % n;
    if (k < n && counters[s] < 0) continue;
    if (k < n && runTail >= 0 && counters[s] - runHead === (s - at + n) % n) {
      runHead = counters[s];
      at = s;
      continue;
    }
    if (runTail >= 0 && (bestHead < 0 || runHead - runTail > bestHead - bestTail || (runHead - runTail === bestHead - bestTail && runHead > bestHead))) {
      bestTail = runTail;
      bestHead = runHead;
    }
    if (k < n) runTail = runHead = counters[(at = s)];
  }
  return { tail: bestTail, head: bestHead };
}

const PRESENT = 0;
const SIGNED = 1;

/**
 * What a damaged stretch b[start, stop) of a sector may hide; `end` is the end
 * of the sector's written part, `limit` of the sector. The stretch starts
 * where an entry should: entry frames that still read (a type, a length that
 * suits it, ending inside the stretch) are followed. out[1]: record frames
 * whose bytes are all there (certain records). out[2]: record frames a torn
 * append leaves (cut short by the end of the written part, or followed inside
 * their extent by the same record appended again): nothing was lost to a torn
 * append (the journal refused it; its session is recorded again at boot), so
 * they count only if a signature or ack names them. out[0]: certain ones,
 * frames whole but for bits set in their last byte (a torn append or a
 * flipped bit: they cannot be told apart), and past the first frame that
 * does not read, as many records as the programmed bytes left could hold.
 */
function hiddenRecords(b: Uint8Array, start: number, stop: number, end: number, limit: number, out: Float64Array): void {
  let possible = 0;
  let certain = 0;
  let torn = 0;
  let pos = start;
  while (pos < stop) {
    const t = b[pos];
    const n = pos + 2 < limit ? b[pos + 1] | (b[pos + 2] << 8) : -1;
    const size = ENTRY_OVERHEAD + n;
    if (t === T_RECORD && n >= 3 && n <= MAX_PAYLOAD_BYTES) {
      if (pos + size <= stop) {
        // Whole but for bits set in its last byte: a power cut while that
        // byte was programmed (the session is recorded again at boot), or a
        // bit flipped there. Not certain (no number kept for it), but counted.
        if (tornInLastByte(b, pos, size)) {
          possible++;
          pos += size;
          continue;
        }
        // A torn append, then the same record appended again after it (and torn too).
        const again = reappended(b, pos, size);
        if (again > 0) {
          torn++;
          pos = again;
          continue;
        }
        possible++;
        certain++;
        pos += size;
        continue;
      }
      if (stop === end && pos + size > end) {
        if (wholeButLength(b, pos, end)) {
          possible++;
          certain++;
        } else torn++;
        break;
      }
    } else if ((t === T_SIGNATURE && n === SIG_BODY_BYTES) || (t === T_ACK && n === 4)) {
      if (pos + size <= stop) {
        pos += size;
        continue;
      }
      if (stop === end && pos + size > end) break; // a torn signature or ack
    }
    possible += Math.floor(programmedBytes(b, pos, stop) / MIN_RECORD_ENTRY_BYTES);
    break;
  }
  out[0] = possible;
  out[1] = certain;
  out[2] = torn;
}

/**
 * Bytes of b[from, to) outside runs of 16 or more 0xFF: erased space (before
 * a byte damage programmed, or left by a torn erase), where no record is. (A
 * record never holds 16 0xFF bytes in a row: its hash would have to.)
 */
function programmedBytes(b: Uint8Array, from: number, to: number): number {
  let count = 0;
  let run = 0;
  for (let i = from; i < to; i++) {
    if (b[i] !== 0xff) {
      count += run < 16 ? run + 1 : 1;
      run = 0;
    } else run++;
  }
  return count + (run < 16 ? run : 0);
}

/**
 * Is the frame at `at` of `size` bytes what a write cut while programming its
 * last byte leaves: every byte right but that one, which kept only some of
 * its cleared bits (NOR programming clears bits; the CRC's last byte reads
 * with more bits set than it should)?
 */
function tornInLastByte(b: Uint8Array, at: number, size: number): boolean {
  const crc = crc32(b, at, at + size - 4);
  const stored = u32(b, at + size - 4);
  const last = crc >>> 24;
  return (crc & 0xffffff) === (stored & 0xffffff) && ((stored >>> 24) & last) === last;
}

/**
 * Where a record frame with the same seq as the one at `at` starts inside its
 * `size` bytes, or 0: the journal appends past the last programmed byte, so
 * a record appended again after its torn append starts inside the torn one's extent.
 */
function reappended(b: Uint8Array, at: number, size: number): number {
  const seq = seqOfPayload(b, at + 3, at + size);
  if (seq === undefined) return 0;
  for (let p = at + 1; p < at + size; p++) {
    if (b[p] !== T_RECORD || p + 3 >= b.length) continue;
    const n = b[p + 1] | (b[p + 2] << 8);
    if (n >= 3 && n <= MAX_PAYLOAD_BYTES && seqOfPayload(b, p + 3, Math.min(b.length, p + 3 + n)) === seq) return p;
  }
  return 0;
}

/** Is the record frame at `at`, up to the end of the written part, whole but for its length field? */
function wholeButLength(b: Uint8Array, at: number, end: number): boolean {
  // The last CRC byte may be 0xFF, which reads as erased.
  for (let e = end; e <= end + 1 && e <= b.length; e++) {
    const n = e - at - ENTRY_OVERHEAD;
    if (n < 3 || n > MAX_PAYLOAD_BYTES) continue;
    const frame = b.slice(at, at + 3 + n); // a rare path: a damaged last entry
    frame[1] = n & 0xff;
    frame[2] = n >>> 8;
    if (crc32(frame) === u32(b, at + 3 + n)) return true;
  }
  return false;
}

/** [from, to] pairs of the numbers in (acked, last] not present. */
function lostRanges(seqs: SeqBits, acked: number, last: number): number[] {
  const out: number[] = [];
  for (let q = acked + 1; q <= last; q++) {
    if (seqs.has(q, PRESENT)) continue;
    if (out.length > 0 && out[out.length - 1] === q - 1) out[out.length - 1] = q;
    else out.push(q, q);
  }
  return out;
}

/**
 * Has b[at, end) the shape of a record payload: one CBOR map of integer keys
 * 1..14 in increasing order, key 2 a 32-byte string, values well-formed
 * (integers, strings, booleans, null, arrays of those), nothing after it? One flat
 * loop, no call per item: it runs on every record at boot.
 */
function recordShaped(b: Uint8Array, at: number, end: number): boolean {
  const count = b[at] - 0xa0;
  if (count < 2 || count > 14) return false;
  let p = at + 1;
  let key = 0;
  let keys = 0;
  let items = 0; // elements of the array being read still to come
  while (keys < count || items > 0) {
    const element = items > 0;
    if (element) items--;
    else {
      const k = b[p];
      if (p >= end || k <= key || k > 14) return false;
      key = k;
      keys++;
      p++;
      if (k === 2 && (b[p] !== 0x58 || b[p + 1] !== 32)) return false;
    }
    if (p >= end) return false;
    const ib = b[p++];
    const major = ib >> 5;
    let v = ib & 0x1f;
    if (v >= 24) {
      const n = v === 24 ? 1 : v === 25 ? 2 : v === 26 ? 4 : v === 27 ? 8 : 0;
      if (n === 0 || n > end - p) return false;
      v = 0;
      for (let i = 0; i < n; i++) v = v * 256 + b[p + i];
      p += n;
    }
    if (major <= 1) continue;
    if (major === 2 || major === 3) {
      if (v > end - p) return false;
      p += v;
    } else if (major === 4 && !element && v <= end - p) items = v;
    else if (major !== 7 || (v !== 20 && v !== 21 && v !== 22)) return false; // false, true, null (the energy of a refused reading)
  }
  return p === end;
}

/** Two bits per sequence number, from the first one marked present; grows if it must. */
class SeqBits {
  first = 0;
  private bits: Uint8Array;
  constructor(capacity: number) {
    this.bits = new Uint8Array(Math.max(64, capacity >> 2));
  }
  mark(seq: number, kind: number): void {
    if (this.first === 0) {
      if (kind !== PRESENT) return;
      this.first = seq;
    }
    const i = (seq - this.first) * 2 + kind;
    if (i < 0) return;
    if (i >> 3 >= this.bits.length) {
      const grown = new Uint8Array(Math.max(this.bits.length * 2, (i >> 3) + 1));
      grown.set(this.bits);
      this.bits = grown;
    }
    this.bits[i >> 3] |= 1 << (i & 7);
  }
  has(seq: number, kind: number): boolean {
    const i = (seq - this.first) * 2 + kind;
    return this.first > 0 && i >= 0 && i >> 3 < this.bits.length && (this.bits[i >> 3] & (1 << (i & 7))) !== 0;
  }
}
