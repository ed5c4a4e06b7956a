import type { Crypto } from '../../hal/crypto.js';
import type { FlashRegion } from '../../hal/flash.js';
import { u32 } from '../codec/bytes.js';
import { ENTRY_OVERHEAD, FORMAT_VERSION, readSectorHeader, SEALED_FORMAT_VERSION, SECTOR_HEADER_BYTES, T_ACK, T_RECORD, T_SIGNATURE } from './frame.js';
import { continuesChain, freshSeq, hiddenRecords, liveRun, lostRanges, PRESENT, recordShaped, scanSector, SeqBits, SIGNED } from './journal-scan.js';
import { emptySeal, parseSeal, SEAL_BYTES, sectorDigestMatches, windowDigestMatches, type SectorSeal } from './journal-seal.js';
import { GENESIS_HASH, seqOfPayload } from './record.js';

/**
 * What the boot scan found, before any decision: Journal.recover() derives
 * its state from it and only then writes (erases, acks). Sector-indexed
 * arrays are by sector number.
 */
export interface JournalScan {
  /** Counters of the oldest and newest sector of the journal (head -1: none). */
  tail: number;
  head: number;
  /** Offset in the head of the next entry. */
  writePos: number;
  /** Per sector: first and last record seq in it (0: none). */
  firstSeqIn: Float64Array;
  lastSeqIn: Float64Array;
  /** Per sector: 1 when inside the journal with an unreadable header. */
  damaged: Uint8Array;
  /** Per sector: bytes entries may use (the block size, less the seal's place in the sealed format). */
  room: Float64Array;
  /** Per sector: 1 when its seal was found valid (the sealer has nothing to do there). */
  sealed: Uint8Array;
  /** Highest ack entry kept, the counter of its sector, and whether no record follows it. */
  persistedAck: number;
  persistedAckCounter: number;
  ackAfterLast: boolean;
  /** Highest record seq found, and the hash of that record's payload (the chain goes on from it). */
  maxSeq: number;
  lastHash: Uint8Array;
  /** Which records are present and which signed. */
  seqs: SeqBits;
  /** Records damage before the first record found may hide. */
  hiddenBeforeFirst: number;
  /** After the last record found: records damage may hide, certainly hides, torn appends, the highest seq named. */
  hiddenPossible: number;
  hiddenCertain: number;
  hiddenTorn: number;
  evidence: number;
  /** Counter of the last record's sector (-1: none), of the first damage after it (-1: none). */
  lastRecordCounter: number;
  damageCounter: number;
  /** Sectors from this counter on must stay: a head adopted without a valid header rests on them. */
  adoptedOn: number;
  /** The sector before the tail holds records that could not be joined to the journal. */
  beforeTailHasRecords: boolean;
  records: number;
  corruptEntries: number;
  damagedHeaders: number;
  /** Sectors taken from their seal (for the figures in docs/sessions.md). */
  sealedSectors: number;
}

/** The positions recovery decides from a scan (recovery rule 4, docs/sessions.md). */
export interface Positions {
  acked: number;
  lastSeq: number;
  /** Sectors from this counter on are never reclaimed. */
  keepCounter: number;
  /** Numbers in (acked, lastSeq] with no record read back: [from, to] pairs, ascending. */
  lostRanges: number[];
  /** Records damage after the last record found may hide beyond those numbers (an upper bound). */
  lostBeyond: number;
}

export function positionsOf(scan: JournalScan): Positions {
  const { maxSeq, seqs } = scan;
  // Everything before the oldest record kept was acknowledged (only
  // acknowledged records are ever erased), but for the records damage
  // before it may hide (they may be unacknowledged: the position counts
  // them out); with records in the sector before the oldest one that
  // recovery could not join to the journal, only an ack entry counts. The
  // position may go back (records are sent again, and the backend keeps
  // one copy), never forward.
  const inferred = seqs.first > 0 && !scan.beforeTailHasRecords ? Math.max(0, seqs.first - 1 - scan.hiddenBeforeFirst) : 0;
  const acked = Math.max(scan.persistedAck, inferred);
  // Records damage hid after the last one found keep their numbers: the next
  // record never reuses the number of one that may have been signed and
  // sent (the backend would hold the old one, and its ack would cover the
  // new one). Certain ones (a record entry whose frame is whole), and as many
  // as a signature or ack after them names, within what the damage could hold.
  const bump = Math.max(scan.hiddenCertain, Math.min(Math.max(0, scan.evidence - maxSeq), scan.hiddenPossible + scan.hiddenTorn));
  const lastSeq = Math.max(maxSeq + bump, acked);
  const keepCounter = Math.min(scan.adoptedOn, scan.lastRecordCounter >= 0 ? scan.lastRecordCounter : scan.damageCounter >= 0 ? scan.damageCounter : Infinity);
  // Records found without a gap (the usual case): only the ends can be missing, no walk over the numbers.
  let lost: number[];
  if (seqs.first > 0 && scan.records === maxSeq - seqs.first + 1) {
    lost = [];
    if (seqs.first - 1 > acked) lost.push(acked + 1, seqs.first - 1);
    if (lastSeq > maxSeq) lost.push(Math.max(maxSeq, acked) + 1, lastSeq);
  } else lost = lostRanges(seqs, acked, lastSeq);
  return { acked, lastSeq, keepCounter, lostRanges: lost, lostBeyond: Math.max(0, scan.hiddenPossible - bump) };
}

/**
 * The bytes entries may use in the sector at buf[base, base + bs): by its
 * header's version. With no valid header: by the version byte if the
 * header's first four bytes still read 'R' 'J' version 0xFF, else the sealed
 * format, which the journal writes (never the seal's place, whatever is
 * there: a seal, erased or damaged bytes, so that a seal never changes what
 * the walk finds). A version-1 sector, written before seals, whose header's
 * first bytes were hit loses to the walk what lies in its last 76 bytes.
 */
export function roomOf(buf: Uint8Array, base: number, bs: number): number {
  const v = buf[base + 2];
  if (buf[base] === 0x52 && buf[base + 1] === 0x4a && buf[base + 3] === 0xff && v === FORMAT_VERSION) return bs;
  return bs - SEAL_BYTES;
}

/**
 * Reads the whole region and finds the journal in it, without writing.
 * Sealed sectors whose seal matches are taken from the seal (journal-seal.ts);
 * every other sector is walked entry by entry.
 */
export function scanJournal(flash: FlashRegion, crypto: Crypto, into?: ScanArrays): JournalScan {
  return new RecoveryScan(flash, crypto, into ?? scanArrays(flash.byteLength / flash.blockSize)).run();
}

/**
 * The per-sector arrays a scan fills, by sector number: the journal passes
 * its own (a boot allocates none of them again; recovery of a full journal
 * must not churn the heap of a microcontroller).
 */
export interface ScanArrays {
  firstSeqIn: Float64Array;
  lastSeqIn: Float64Array;
  damaged: Uint8Array;
  room: Float64Array;
  sealed: Uint8Array;
  /** Scratch: sector counters, and the sectors a window digest checked. */
  counters: Float64Array;
  checked: Uint8Array;
}

export function scanArrays(sectors: number): ScanArrays {
  return {
    firstSeqIn: new Float64Array(sectors), lastSeqIn: new Float64Array(sectors), damaged: new Uint8Array(sectors),
    room: new Float64Array(sectors), sealed: new Uint8Array(sectors), counters: new Float64Array(sectors), checked: new Uint8Array(sectors),
  };
}

class RecoveryScan implements JournalScan {
  tail = 0;
  head = -1;
  writePos = SECTOR_HEADER_BYTES;
  readonly firstSeqIn: Float64Array;
  readonly lastSeqIn: Float64Array;
  readonly damaged: Uint8Array;
  readonly room: Float64Array;
  readonly sealed: Uint8Array;
  persistedAck = 0;
  persistedAckCounter = -1;
  ackAfterLast = false;
  maxSeq = 0;
  lastHash: Uint8Array = GENESIS_HASH;
  readonly seqs: SeqBits;
  hiddenBeforeFirst = 0;
  hiddenPossible = 0;
  hiddenCertain = 0;
  hiddenTorn = 0;
  evidence = 0;
  lastRecordCounter = -1;
  damageCounter = -1;
  adoptedOn = Infinity;
  beforeTailHasRecords = false;
  records = 0;
  corruptEntries = 0;
  damagedHeaders = 0;
  sealedSectors = 0;

  private readonly n: number;
  private readonly bs: number;
  // The scan only reads: the memory-mapped region where there is one (no
  // copies on a device), else one sector at a time.
  private readonly mapped: Uint8Array | undefined;
  private buf: Uint8Array;
  private base = 0; // where the sector being scanned starts in buf
  private cur = 0; // counter of the sector being scanned
  private lastRecordAt = -1;
  private lastRecordLength = 0;
  private readonly hidden = new Float64Array(3); // scratch of hiddenRecords()
  private readonly seal = emptySeal(); // scratch of parseSeal()
  // Per sector: 1 when a window digest checked its bytes (its seal needs no digest of its own).
  private readonly checked: Uint8Array;
  private readonly counters: Float64Array;
  // One visitor and one damage callback for the whole scan (no closure per
  // sector: recovery of a full journal must not churn the heap of a microcontroller).
  private readonly visitor = (type: number, at: number, length: number) => this.visit(type, at, length);
  private readonly onCorrupt = (start: number, stop: number, end: number) => this.corrupt(start, stop, end);

  constructor(private readonly flash: FlashRegion, private readonly crypto: Crypto, arrays: ScanArrays) {
    this.bs = flash.blockSize;
    this.n = flash.byteLength / flash.blockSize;
    this.firstSeqIn = arrays.firstSeqIn.fill(0);
    this.lastSeqIn = arrays.lastSeqIn.fill(0);
    this.damaged = arrays.damaged.fill(0);
    this.room = arrays.room.fill(this.bs);
    this.sealed = arrays.sealed.fill(0);
    this.checked = arrays.checked.fill(0);
    this.counters = arrays.counters.fill(-1);
    this.mapped = flash.map?.();
    this.buf = this.mapped ?? new Uint8Array(0);
    // Which records are present and which signed, as bits from the first seq
    // found: no object per record, whatever the journal holds.
    // (Sized for a record and its signature every 128 bytes; it grows in the rare journal that holds more.)
    this.seqs = new SeqBits(Math.ceil(flash.byteLength / 128));
  }

  private load(s: number): void {
    if (this.mapped) this.base = s * this.bs;
    else this.buf = this.flash.read(s * this.bs, this.bs);
  }

  private headerOf(s: number): number {
    return readSectorHeader(this.mapped ?? this.flash.read(s * this.bs, SECTOR_HEADER_BYTES), this.mapped ? s * this.bs : 0);
  }

  run(): JournalScan {
    const n = this.n;
    const counters = this.counters;
    for (let s = 0; s < n; s++) {
      const c = this.headerOf(s);
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
      const h = this.newestHeaderless();
      if (h >= 0) head = tail = h + n;
    }
    // A hit header of the oldest sector must not leave it out of the journal
    // (its records would be erased as free, and counted as acknowledged):
    // a sector before the tail whose header is unreadable is the journal's
    // oldest if its records come before the tail's and link to them (or the
    // link was hit too). It is then scanned like any sector with a damaged header.
    while (head >= 0 && tail > 0 && head - tail + 1 < n && this.headerOf((tail - 1) % n) < 0) {
      const verdict = this.predecessorOf(tail, head);
      this.beforeTailHasRecords = verdict === 1;
      if (verdict !== 2) break;
      tail--;
    }
    this.checkWindows(tail, head, counters);
    for (let c = tail; head >= 0 && c <= head; c++) {
      if (counters[c % n] !== c) {
        this.damagedHeaders++;
        this.damaged[c % n] = 1;
      }
      const end = this.scan(c);
      if (c === head) this.writePos = end;
    }
    head = this.adoptHead(head, tail);
    this.lastHash = this.hashOfLast();
    this.head = head;
    this.tail = head < 0 ? 0 : tail;
    return this;
  }

  /** Scans the sector of counter `c` (from its seal when that stands for the walk); returns its end. */
  private scan(c: number): number {
    this.cur = c;
    const s = c % this.n;
    this.load(s);
    // A valid header in its place gives the format; otherwise roomOf decides.
    this.room[s] = this.damaged[s] === 0 ? (this.buf[this.base + 2] === SEALED_FORMAT_VERSION ? this.bs - SEAL_BYTES : this.bs) : roomOf(this.buf, this.base, this.bs);
    const seal = this.seal;
    if (this.damaged[s] === 0 && this.room[s] < this.bs && parseSeal(this.buf, this.base, this.bs, c, seal)) {
      if ((this.maxSeq === 0 || this.maxSeq === seal.firstSeq - 1) && (this.checked[s] === 1 || sectorDigestMatches(this.crypto, this.buf, this.base, this.bs))) {
        this.sealed[s] = 1;
        this.sealedSectors++;
        this.applySeal(s, seal);
        return seal.end;
      }
    }
    return scanSector(this.buf, this.base, this.room[s], this.visitor, this, this.onCorrupt);
  }

  /**
   * From the newest sealed sector back: where a seal's window (up to 64
   * sectors, all in the live range, valid headers) matches its digest, every
   * sector in it is checked at once; otherwise the sector's own digest will
   * be (scan). Only with mapped flash (a device maps its partitions).
   */
  private checkWindows(tail: number, head: number, counters: Float64Array): void {
    const mapped = this.mapped;
    if (!mapped || head < 0) return;
    const n = this.n;
    const bs = this.bs;
    const seal = this.seal;
    for (let c = head; c >= tail; c--) {
      const s = c % n;
      if (counters[s] !== c || mapped[s * bs + 2] !== SEALED_FORMAT_VERSION || !parseSeal(mapped, s * bs, bs, c, seal)) continue;
      const w = seal.windowStart;
      if (w < tail || w > c) continue;
      let headers = true;
      for (let x = w; x < c && headers; x++) headers = counters[x % n] === x;
      if (!headers) continue;
      const from = (w % n) * bs;
      const ok = from <= s * bs
        ? windowDigestMatches(this.crypto, mapped.subarray(from, (s + 1) * bs))
        : windowDigestMatches(this.crypto, mapped.subarray(from, n * bs), mapped.subarray(0, (s + 1) * bs));
      if (!ok) continue;
      for (let x = w; x <= c; x++) this.checked[x % n] = 1;
      c = w; // the loop's c-- goes on before the window
    }
  }

  /**
   * What visit() would do for each entry of a sector whose seal matches its
   * bytes, entered with no record found yet or right after the record before
   * its first: the seal's conditions make every record fresh and present,
   * every signature either mark a present record or name none, and every ack
   * pass (docs/sessions.md, "Seals").
   */
  private applySeal(s: number, seal: SectorSeal): void {
    const entering = this.maxSeq;
    if (entering === 0) this.hiddenBeforeFirst = this.hiddenPossible;
    // Acks before the first record count only when they follow a record (a record before the sector).
    if (entering > 0 && seal.ackBefore > 0 && seal.ackBefore >= this.persistedAck) {
      this.persistedAck = seal.ackBefore;
      this.persistedAckCounter = this.cur;
    }
    this.seqs.markRange(seal.firstSeq, seal.lastSeq, PRESENT);
    if (seal.sigTo > 0) this.seqs.signWherePresent(seal.sigFrom, seal.sigTo);
    this.ackAfterLast = false;
    if (seal.ackAfter > 0 && seal.ackAfter >= this.persistedAck) {
      this.persistedAck = seal.ackAfter;
      this.persistedAckCounter = this.cur;
      this.ackAfterLast = seal.ackLast;
    }
    this.maxSeq = seal.lastSeq;
    this.firstSeqIn[s] = seal.firstSeq;
    this.lastSeqIn[s] = seal.lastSeq;
    this.lastRecordAt = s * this.bs + seal.lastRecordAt + 3;
    this.lastRecordLength = seal.lastRecordLength;
    this.records += seal.lastSeq - seal.firstSeq + 1;
    this.hiddenPossible = this.hiddenCertain = this.hiddenTorn = this.evidence = 0;
    this.lastRecordCounter = this.cur;
    this.damageCounter = -1;
  }

  private visit(type: number, at: number, length: number): void {
    const s = this.cur % this.n;
    const buf = this.buf;
    if (type === T_RECORD) {
      // A stale copy (the sequence only grows) is ignored, a malformed one too.
      const seq = freshSeq(buf, at, length, this.maxSeq);
      if (seq === 0) return;
      if (this.maxSeq === 0) this.hiddenBeforeFirst = this.hiddenPossible;
      this.maxSeq = seq;
      this.ackAfterLast = false;
      if (this.firstSeqIn[s] === 0) this.firstSeqIn[s] = seq;
      this.lastSeqIn[s] = seq;
      this.lastRecordAt = s * this.bs + (at - this.base) + 3;
      this.lastRecordLength = length;
      this.seqs.mark(seq, PRESENT);
      this.records++;
      this.hiddenPossible = this.hiddenCertain = this.hiddenTorn = this.evidence = 0;
      this.lastRecordCounter = this.cur;
      this.damageCounter = -1;
    } else if (type === T_SIGNATURE) {
      // A record is signed after it is written: a signature found before its
      // record is not the journal's.
      const q = u32(buf, at + 3);
      if (this.seqs.has(q, PRESENT)) this.seqs.mark(q, SIGNED);
      else if (q > this.maxSeq && q > this.evidence) {
        this.evidence = q;
        if (this.damageCounter < 0) this.damageCounter = this.cur;
      }
    } else if (type === T_ACK) {
      // The journal acknowledges only records it holds, so a genuine ack
      // comes after the record it names (or that record was erased, and the
      // oldest record kept says as much). One above every record before it
      // is stray: trusting it would count unsent records as acknowledged,
      // the ones appended after it too.
      const v = u32(buf, at + 3);
      if (v >= this.persistedAck && v <= this.maxSeq) {
        this.persistedAck = v;
        this.persistedAckCounter = this.cur;
        this.ackAfterLast = true;
      } else if (v > this.maxSeq && v > this.evidence) {
        this.evidence = v;
        if (this.damageCounter < 0) this.damageCounter = this.cur;
      }
    }
  }

  private corrupt(start: number, stop: number, end: number): void {
    hiddenRecords(this.buf, start, stop, end, this.base + this.room[this.cur % this.n], this.hidden);
    this.hiddenPossible += this.hidden[0];
    this.hiddenCertain += this.hidden[1];
    this.hiddenTorn += this.hidden[2];
    if (this.damageCounter < 0) this.damageCounter = this.cur;
  }

  private hashOfLast(): Uint8Array {
    return this.lastRecordAt >= 0 ? this.crypto.sha256(this.flash.read(this.lastRecordAt, this.lastRecordLength)).digest() : GENESIS_HASH;
  }

  /** What an adoption rests on: the last record before it, damage after that record. */
  private basis(): number {
    return Math.min(this.lastRecordCounter >= 0 ? this.lastRecordCounter : Infinity, this.damageCounter >= 0 ? this.damageCounter : Infinity);
  }

  /**
   * A hit header of the head must not turn the newest records into a "free"
   * sector to erase: a sector after the head with an unreadable header and
   * entries newer than anything seen is the real head. (A torn header has
   * no entries yet; a half-erased old sector has only older ones.) It is
   * adopted only when its header is unreadable, its first record is newer
   * than every record seen, and either that record continues the chain (seq
   * and prev) and its first entry did not fit in the head (where the journal
   * would have gone on), or damage between them hides the link (after the
   * head's last record, or before its own first record): stale entries (a
   * torn erase, an older journal) can look newer too, but they are never
   * after damage that hides newer records. (A header with a valid CRC but a
   * counter that is not the journal's is forged or stale, not hit: a flipped
   * bit never leaves the CRC right.) What an adoption rests on must still be
   * there at the next boot: reclaim keeps it (adoptedOn). Returns the head.
   */
  private adoptHead(head: number, tail: number): number {
    const n = this.n;
    while (head >= 0 && head + 1 - tail < n && this.headerOf((head + 1) % n) < 0) {
      const after = head + 1;
      this.load(after % n);
      const buf = this.buf;
      let first = -1;
      let firstLength = 0;
      let opened = -1; // size of its first entry
      let hitBefore = false; // damage before its first record
      let named = 0; // the highest seq a signature or ack in it names
      scanSector(buf, this.base, roomOf(buf, this.base, this.bs), (type, at, length) => {
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
        if (!hitBefore || named <= this.maxSeq) break;
      } else {
        const firstSeq = seqOfPayload(buf, first, first + firstLength) ?? 0;
        if (firstSeq <= this.maxSeq || !recordShaped(buf, first, first + firstLength)) break;
        const links = this.writePos + opened > this.room[head % n] && continuesChain(buf.slice(first, first + firstLength), this.maxSeq + 1, this.hashOfLast());
        if (!links && !hitBefore && this.hiddenPossible === 0) break;
      }
      this.adoptedOn = Math.min(this.adoptedOn, this.basis());
      this.damagedHeaders++;
      this.damaged[after % n] = 1;
      // Written on like any head: the next boot adopts it again by the same
      // test (what is appended comes after its first record), and the room
      // left in it may be the room kept for signatures.
      this.writePos = this.scan(after);
      head = after;
    }
    return head;
  }

  /**
   * With no valid sector header in the region: the sector whose records are
   * the newest, among sectors without a valid header; -1 if none holds a
   * record. A sector whose first 128 bytes read erased is skipped unread (a
   * blank region, the first boot, costs 128 bytes a sector).
   */
  private newestHeaderless(): number {
    let best = -1;
    let bestSeq = 0;
    for (let s = 0; s < this.n; s++) {
      const b = this.mapped ?? this.flash.read(s * this.bs, this.bs);
      const at = this.mapped ? s * this.bs : 0;
      let i = at;
      while (i < at + 128 && b[i] === 0xff) i++;
      if (i === at + 128 || readSectorHeader(b, at) >= 0) continue;
      let max = 0;
      scanSector(b, at, roomOf(b, at, this.bs), (type, p, length) => {
        if (type !== T_RECORD) return;
        const seq = freshSeq(b, p, length, max);
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
  private predecessorOf(tail: number, head: number): number {
    const n = this.n;
    const bs = this.bs;
    const read = (c: number) => (this.mapped ? { b: this.mapped, at: (c % n) * bs } : { b: this.flash.read((c % n) * bs, bs), at: 0 });
    const p = read(tail - 1);
    let last = -1;
    let lastLength = 0;
    let lastSeq = 0;
    let hitAfter = false; // damage after its last record
    scanSector(p.b, p.at, roomOf(p.b, p.at, bs), (type, at, length) => {
      if (type !== T_RECORD) return;
      const seq = freshSeq(p.b, at, length, lastSeq);
      if (seq === 0) return;
      lastSeq = seq;
      last = at + 3;
      lastLength = length;
      hitAfter = false;
    }, undefined, () => {
      hitAfter = true;
    });
    if (last < 0) return 0;
    const lastHash = this.crypto.sha256(p.b.subarray(last, last + lastLength)).digest();
    for (let c = tail; c <= head; c++) {
      const q = read(c);
      let first = -1;
      let firstLength = 0;
      let hitBefore = false;
      scanSector(q.b, q.at, roomOf(q.b, q.at, bs), (type, at, length) => {
        if (type === T_RECORD && first < 0 && freshSeq(q.b, at, length, 0) > 0) {
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
      return hitAfter || continuesChain(q.b.slice(first, first + firstLength), lastSeq + 1, lastHash) ? 2 : 1;
    }
    // No record from the tail on: the last record's sector is always kept, so it is this one.
    return 2;
  }
}
