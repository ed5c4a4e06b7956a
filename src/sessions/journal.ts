import type { Crypto, Signer } from '../../hal/crypto.js';
import type { FlashRegion } from '../../hal/flash.js';
import type { Settings } from '../../hal/settings.js';
import { equalBytes } from '../codec/index.js';
import { encodeCoseSign1, protectedHeader, SIGNATURE_BYTES, toBeSigned } from './cose.js';
import { JournalError } from './errors.js';
import { put32, u32 } from '../codec/bytes.js';
import {
  ACK_ENTRY_BYTES, ENTRY_OVERHEAD, MAX_RECORD_ENTRY_BYTES, SIG_BODY_BYTES, SIG_ENTRY_BYTES, T_ACK, T_RECORD, T_SIGNATURE,
} from './frame.js';
import { freshSeq, recordShaped, scanSector, SeqBits, SIGNED } from './journal-scan.js';
import { positionsOf, scanJournal } from './journal-recovery.js';
import { SectorRing } from './journal-ring.js';
import { decodeRecord, encodeRecord, GENESIS_HASH, seqOfPayload, type SessionFacts } from './record.js';

export { liveRun } from './journal-scan.js';

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
 * readFrom(), and acknowledged by sequence number. recover() must run at boot
 * before anything else. Which sector is opened, blanked, sealed or erased, and
 * when, is the ring's decision (SectorRing, journal-ring.ts): it erases fully
 * acknowledged sectors oldest first, and asks the journal (coverErase) to keep
 * the acknowledged position on flash before each erase.
 */
export class Journal {
  private readonly ring: SectorRing;
  private readonly protectedBytes: Uint8Array;
  private readonly nearlyFullRatio: number;
  private reservedRecords: number;
  private ready = false;
  private lastSeqValue = 0;
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

  constructor(readonly flash: FlashRegion, private readonly options: JournalOptions) {
    this.ring = new SectorRing(flash, options.crypto, {
      beforeErase: (c) => this.coverErase(c),
      tailMoved: () => this.writeOwedAck(),
      failed: () => {
        this.ready = false;
      },
    });
    this.protectedBytes = protectedHeader(options.deviceId);
    this.nearlyFullRatio = options.nearlyFullRatio ?? 0.1;
    this.reservedRecords = options.reservedRecords ?? 4;
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
    if (!this.ring.fits(this.appendSizes(MAX_RECORD_ENTRY_BYTES, false))) return 'full';
    return this.ring.freeBytes() < this.nearlyFullRatio * this.ring.sectors * this.ring.usableBytes ? 'nearly-full' : 'ok';
  }

  /**
   * Scans the region and rebuilds the state; erases what is acknowledged,
   * torn or stale. Safe to run again after a power cut at any point in it.
   * Three steps: the scan (scanJournal: reads only, sealed sectors from their
   * seals), the positions it implies (positionsOf), then the ring's sector
   * management (free sectors blanked, acknowledged ones reclaimed, the next one prepared).
   */
  recover(): RecoveryReport {
    this.ready = false;
    const scan = scanJournal(this.flash, this.options.crypto, this.ring.arrays);
    this.persistedAck = scan.persistedAck;
    this.persistedAckCounter = scan.persistedAckCounter;
    this.ackAfterLast = scan.ackAfterLast;
    this.lastHash = scan.lastHash;
    const at = positionsOf(scan);
    this.ring.adopt(scan, at.keepCounter);
    this.acked = at.acked;
    this.lastSeqValue = at.lastSeq;
    this.lostRanges = at.lostRanges;
    this.lostBeyond = at.lostBeyond;
    this.pending = this.locateUnsigned(scan.seqs, scan.maxSeq);
    this.unsaved.clear();
    this.ready = true;
    // Free sectors first (SectorRing.blankFreeSectors says why), then the acknowledged ones.
    const ring = this.ring;
    const erasedSectors = ring.blankFreeSectors() + ring.reclaim(this.acked);
    ring.prepareNextSector();
    return {
      liveSectors: ring.liveSectors, records: scan.records, lastSeq: this.lastSeqValue, ackedSeq: this.acked, unsigned: this.pending.length,
      lostRecords: this.lost, corruptEntries: scan.corruptEntries, damagedHeaders: scan.damagedHeaders, erasedSectors,
    };
  }

  /** Where the unacknowledged records without a signature are: usually a short tail. */
  private locateUnsigned(seqs: SeqBits, maxSeq: number): Pending[] {
    const from = seqs.firstUnsigned(Math.max(this.acked + 1, seqs.first), maxSeq);
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
    if (!this.ring.fits(this.appendSizes(entry, options.reserved === true)))
      throw new JournalError('full', `journal ${this.flash.name} is full: ${this.depth} records wait for acknowledgement`);
    const hash = this.options.crypto.sha256(payload).digest();
    const at = this.ring.writeRecord(payload, seq);
    this.pending.push({ seq, at: at + 3, length: payload.length });
    this.ackAfterLast = false;
    this.lastSeqValue = seq;
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
      if (this.ring.fits([SIG_ENTRY_BYTES])) {
        const body = new Uint8Array(SIG_BODY_BYTES);
        put32(body, 0, p.seq);
        body.set(signature, 4);
        this.ring.write(T_SIGNATURE, body);
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
    const ring = this.ring;
    if (next > this.lastSeqValue || ring.head < 0) return out;
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
    for (let c = ring.tail; c <= ring.head && !done; c++) {
      const s = c % ring.sectors;
      if (ring.lastSeqIn[s] !== 0 && ring.lastSeqIn[s] < next) continue;
      const buf = this.flash.read(s * ring.bs, ring.bs);
      scanSector(buf, 0, ring.room[s], (type, at, length) => {
        if (type === T_RECORD) {
          // As recover() reads the journal: stale or malformed records are not there.
          const r = freshSeq(buf, at, length, maxSeen);
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
    const ring = this.ring;
    for (let c = ring.tail; c <= ring.head; c++) {
      const s = c % ring.sectors;
      if (ring.lastSeqIn[s] < from) continue;
      const base = s * ring.bs;
      const buf = this.flash.read(base, ring.bs);
      scanSector(buf, 0, ring.room[s], (type, at, length) => {
        if (type !== T_RECORD) return;
        const seq = freshSeq(buf, at, length, max);
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
    this.ring.reclaim(this.acked);
    if (this.persistedAck < this.acked) this.writeAckIfRoom(false);
    // Off the tap path: a sector freed here must not be checked (or erased) by the next append.
    this.ring.prepareNextSector();
  }

  /**
   * Keeps room for at least `records` largest records (and their signatures)
   * for sessions under way: Sessions asks for one per connector, so that every
   * transaction it lets start can be recorded.
   */
  reserve(records: number): void {
    if (Number.isInteger(records) && records > this.reservedRecords) this.reservedRecords = records;
  }

  /** Background housekeeping: makes sure the next sector is erased and seals a closed one (SectorRing.sealNext), off the tap path. */
  maintain(): void {
    this.assertReady();
    this.ring.prepareNextSector();
    this.ring.sealNext();
  }

  /** False after a failed write until recover() runs again (the in-memory state is then unknown). */
  get recovered(): boolean {
    return this.ready;
  }

  // — internals —

  private assertReady(): void {
    if (!this.ready) throw new JournalError('not-recovered', `journal ${this.flash.name}: recover() must run first (at boot, or after a failed write)`);
  }

  /** Entry sizes an append must leave room for: its record, every signature, some acks, the reserve. */
  private appendSizes(recordEntry: number, reserved: boolean): number[] {
    const sizes = [recordEntry];
    for (let i = 0; i <= this.pending.length; i++) sizes.push(SIG_ENTRY_BYTES);
    for (let i = 0; i < ACK_RESERVE; i++) sizes.push(ACK_ENTRY_BYTES);
    if (!reserved) for (let i = 0; i < this.reservedRecords; i++) sizes.push(MAX_RECORD_ENTRY_BYTES, SIG_ENTRY_BYTES);
    return sizes;
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
    if (!this.ring.fits(sizes)) return;
    const body = new Uint8Array(4);
    put32(body, 0, this.acked);
    this.ring.write(T_ACK, body);
    this.persistedAck = this.acked;
    this.persistedAckCounter = this.ring.head;
    this.ackAfterLast = true;
  }

  /** After the ring's tail moved (room an erase made): writes an ack coverErase could not. */
  private writeOwedAck(): void {
    if (!this.ackOwed) return;
    this.writeAckIfRoom(true);
    if (this.persistedAck >= this.acked) this.ackOwed = false;
  }

  /**
   * The ring erases the sector of counter `c` right after this, all of its
   * records acknowledged (SectorRing.reclaim): it must not move the
   * acknowledged position back. An ack entry that follows the last record
   * counts at the next recovery whatever goes before it; without one, a
   * fresh one is written at the head first.
   */
  private coverErase(c: number): void {
    const last = this.ring.lastSeqIn[c % this.ring.sectors];
    if (this.acked > 0 && (!this.ackAfterLast || this.persistedAck < last || this.persistedAckCounter === c)) {
      const before = this.persistedAck;
      this.persistedAck = -1; // force a fresh entry at the head
      this.writeAckIfRoom(true);
      if (this.persistedAck === -1) {
        // No room: the sector goes all the same (a journal whose every record
        // is acknowledged must be able to free itself: refusing left a full
        // journal full for good, with a forged record out of order or damage
        // kept), and the ack is written in the room the erase makes, as soon
        // as the tail has moved (writeOwedAck). Until then, recovery finds the
        // position from the oldest record kept; a record out of order or
        // damage before it can only take it back (records sent again, one
        // copy kept by the backend), never forward.
        // (What was on flash may go with the sector: count it as not there,
        // so that the ack is written again.)
        this.persistedAck = this.persistedAckCounter === c || !this.ackAfterLast ? 0 : before;
        this.ackOwed = true;
      }
    }
  }
}
