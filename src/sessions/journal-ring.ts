import type { Crypto } from '../../hal/crypto.js';
import type { FlashRegion } from '../../hal/flash.js';
import { JournalError } from './errors.js';
import { frameEntry, SEALED_FORMAT_VERSION, SECTOR_HEADER_BYTES, sectorHeader, T_RECORD } from './frame.js';
import { scanArrays, type JournalScan, type ScanArrays } from './journal-recovery.js';
import { isErased, SEAL_BYTES, sealFor } from './journal-seal.js';

/**
 * What the ring asks of the journal that writes into it. The ring decides
 * which sector is erased and when; the journal keeps the acknowledged
 * position on flash, which no erase may lose.
 */
export interface RingHooks {
  /**
   * Sector counter `c`, every record in it acknowledged, is erased right
   * after this returns: an ack entry at the acknowledged position must then
   * exist outside it (Journal.coverErase), so that a cut in the middle of the
   * erase cannot bring its records back as unsent.
   */
  beforeErase(c: number): void;
  /** The tail moved on: the erase made room for an ack the journal could not write before it. */
  tailMoved(): void;
  /** A flash write or erase threw: the in-memory state is unknown until recover() runs again. */
  failed(): void;
}

/**
 * The journal's flash region as a ring of sectors (one sector = one erase
 * block; format in frame.ts). It owns the sector counters (tail: the oldest
 * sector kept; head: the one being written), where the next entry goes, and
 * every decision to erase a sector: free sectors blanked at boot, the next
 * sector prepared off the tap path, acknowledged sectors reclaimed oldest
 * first, closed sectors sealed. The Journal decides what is written (records,
 * signatures, acks) and when a record is acknowledged; the ring, where it goes
 * and which sector may go. Sector-indexed arrays are by sector number
 * (counter mod sector count).
 */
export class SectorRing {
  readonly sectors: number;
  readonly bs: number;
  /** What recovery scans into (scanJournal): the per-sector arrays below, and scratch. */
  readonly arrays: ScanArrays;
  /** Per sector: highest and lowest record seq in it (0: none). */
  lastSeqIn: Float64Array;
  firstSeqIn: Float64Array;
  /**
   * Per sector: bytes entries may use (less the seal's place in the sealed
   * format), and 1 once sealed or found not sealable (the sealer skips it).
   */
  room: Float64Array;
  sealed: Uint8Array;
  /**
   * Per sector: 1 when inside the journal with an unreadable header (recovery
   * finds the oldest sector by its header: it must never become the tail), 2
   * once such a sector was erased ahead of the tail (a blank hole the tail skips).
   */
  damaged: Uint8Array;
  /** Counter of the sector being written; -1 before the first. */
  head = -1;
  /** Counter of the oldest sector kept. */
  tail = 0;
  /** Offset in the head sector of the next entry. */
  writePos = 0;
  /**
   * The last record on flash: its sector is never erased (its hash continues
   * the chain; with the damage after it, it gives the next recovery the same last seq).
   */
  lastRecordSeq = 0;
  /**
   * Sectors from this counter on are never reclaimed: the last record's, or
   * with none, the first one damage hides records in (the next recovery must
   * find the same last seq).
   */
  keepCounter = Infinity;
  private nextBlank = false; // the sector after the head is known erased
  private sealFrom = 0; // counter of the oldest sector the sealer may still have to seal

  constructor(readonly flash: FlashRegion, private readonly crypto: Crypto, private readonly hooks: RingHooks) {
    this.bs = flash.blockSize;
    this.sectors = flash.byteLength / flash.blockSize;
    if (!Number.isInteger(this.sectors) || this.sectors < 2 || this.bs < 512 || this.bs > 65536)
      throw new JournalError('bad-region', `journal region ${flash.name} needs ≥ 2 blocks of 512..65536 bytes`);
    this.arrays = scanArrays(this.sectors);
    this.lastSeqIn = this.arrays.lastSeqIn;
    this.firstSeqIn = this.arrays.firstSeqIn;
    this.damaged = this.arrays.damaged;
    this.room = this.arrays.room.fill(this.bs - SEAL_BYTES);
    this.sealed = this.arrays.sealed;
  }

  /** Takes the ring as the boot scan found it; `keepCounter` as recovery decided it (positionsOf). */
  adopt(scan: JournalScan, keepCounter: number): void {
    this.firstSeqIn = scan.firstSeqIn;
    this.lastSeqIn = scan.lastSeqIn;
    this.damaged = scan.damaged;
    this.room = scan.room;
    this.sealed = scan.sealed;
    this.writePos = scan.writePos;
    this.head = scan.head;
    this.tail = scan.tail;
    this.sealFrom = scan.tail;
    this.lastRecordSeq = scan.maxSeq;
    this.keepCounter = keepCounter;
    this.nextBlank = false;
  }

  /** Sectors holding journal data. */
  get liveSectors(): number {
    return this.head < 0 ? 0 : this.head - this.tail + 1;
  }

  freeSectors(): number {
    return this.head < 0 ? this.sectors : this.sectors - (this.head - this.tail + 1);
  }

  /** Bytes entries may use in the head sector. */
  headRoom(): number {
    return this.room[this.head % this.sectors];
  }

  /** Bytes entries may use in a sector the journal opens. */
  get usableBytes(): number {
    return this.bs - SEAL_BYTES - SECTOR_HEADER_BYTES;
  }

  /** Bytes left for entries: in the free sectors and after the head's last entry. */
  freeBytes(): number {
    return this.freeSectors() * this.usableBytes + (this.head < 0 ? 0 : this.headRoom() - this.writePos);
  }

  /** Would these entries, written in order, fit? Entries never span sectors. */
  fits(sizes: number[]): boolean {
    let free = this.freeSectors();
    let room = this.head < 0 ? 0 : this.headRoom();
    let pos = this.head < 0 ? 0 : this.writePos;
    for (const size of sizes) {
      if (pos + size > room) {
        if (free === 0) return false;
        free--;
        pos = SECTOR_HEADER_BYTES;
        room = this.bs - SEAL_BYTES;
      }
      pos += size;
    }
    return true;
  }

  /** Writes one framed entry at the head, opening the next sector if needed; returns its flash offset. */
  write(type: number, body: Uint8Array): number {
    const entry = frameEntry(type, body);
    if (this.head < 0 || this.writePos + entry.length > this.headRoom()) this.openNextSector();
    const at = (this.head % this.sectors) * this.bs + this.writePos;
    this.guard(() => this.flash.write(at, entry));
    this.writePos += entry.length;
    return at;
  }

  /** Writes the record entry of `seq` (write()): it is now the last record, and its sector stays. */
  writeRecord(payload: Uint8Array, seq: number): number {
    const at = this.write(T_RECORD, payload);
    const s = this.head % this.sectors;
    if (this.firstSeqIn[s] === 0) this.firstSeqIn[s] = seq;
    this.lastSeqIn[s] = seq;
    this.lastRecordSeq = seq;
    this.keepCounter = this.head;
    return at;
  }

  private openNextSector(): void {
    const next = this.head + 1;
    if (this.head >= 0 && next - this.tail >= this.sectors) throw new JournalError('full', `journal ${this.flash.name} has no free sector`);
    if (!this.nextBlank) this.ensureBlank(next % this.sectors);
    const s = next % this.sectors;
    this.guard(() => this.flash.write(s * this.bs, sectorHeader(next, SEALED_FORMAT_VERSION)));
    if (this.head < 0) this.tail = next;
    this.head = next;
    this.lastSeqIn[s] = 0;
    this.firstSeqIn[s] = 0;
    this.damaged[s] = 0;
    this.room[s] = this.bs - SEAL_BYTES;
    this.sealed[s] = 0;
    this.writePos = SECTOR_HEADER_BYTES;
    this.nextBlank = false;
  }

  /**
   * Erases every free sector that is not blank (a torn erase, an older journal,
   * anything): then a sector after the head without a valid header can only
   * be the head whose header was hit, never stale entries. Returns how many.
   * At boot, before reclaim(): once reclaim shortens the live run, a stale or
   * forged run left outside it could be as long, and win at the next recovery.
   */
  blankFreeSectors(): number {
    const mapped = this.flash.map?.();
    let erased = 0;
    const first = this.head < 0 ? 0 : this.head + 1;
    const end = this.head < 0 ? this.sectors : this.tail + this.sectors;
    for (let c = first; c < end; c++) {
      const s = c % this.sectors;
      const b = mapped ? mapped.subarray(s * this.bs, (s + 1) * this.bs) : this.flash.read(s * this.bs, this.bs);
      if (!isErased(b)) {
        this.guard(() => this.flash.erase(s));
        erased++;
      }
    }
    if (first < end) this.nextBlank = true;
    return erased;
  }

  /** Makes sure the sector after the head is erased, off the tap path: an append then neither checks nor erases one. */
  prepareNextSector(): void {
    if (this.nextBlank || (this.head >= 0 && this.freeSectors() === 0)) return;
    this.ensureBlank((this.head + 1) % this.sectors);
    this.nextBlank = true;
  }

  /** A free sector may hold a torn header or a half-finished erase: erase it unless blank. */
  private ensureBlank(s: number): void {
    if (!isErased(this.flash.read(s * this.bs, this.bs))) this.guard(() => this.flash.erase(s));
  }

  /**
   * Erases the oldest sectors while every record in them is acknowledged
   * (seq ≤ `acked`); returns how many. Kept: the head, and from keepCounter on
   * (the sector of the last record: its hash continues the chain). Before a
   * sector goes, hooks.beforeErase makes sure an ack entry covering it exists
   * elsewhere, so a cut in the middle of the erase cannot bring its records
   * back as unsent.
   */
  reclaim(acked: number): number {
    let erased = 0;
    // A head adopted without a valid header is found again at the next boot
    // only from the records before it (recovery rule 2): until a sector with
    // a valid header follows it (the next write opens one), the last sector
    // with a valid header before it stays, and everything after that. (Keeping
    // every sector instead could leave a full ring that nothing frees: no
    // sector to open, none to erase.)
    let keep = this.head;
    if (this.head >= 0 && this.damaged[this.head % this.sectors] === 1) {
      keep = this.head - 1;
      while (keep > this.tail && this.damaged[keep % this.sectors] !== 0) keep--;
    }
    keep = Math.min(keep, this.keepCounter);
    while (this.tail < keep) {
      if (!this.erasable(this.tail, acked)) break;
      // The next sector with data becomes the oldest, and recovery finds the
      // oldest by its header: one without a valid header must go first (it is
      // then a blank hole, 2).
      let next = this.tail + 1;
      while (next < keep && this.damaged[next % this.sectors] === 2) next++;
      if (this.damaged[next % this.sectors] === 1) {
        if (next >= keep || !this.erasable(next, acked)) break;
        this.eraseOld(next);
        this.damaged[next % this.sectors] = 2;
        erased++;
        continue;
      }
      this.eraseOld(this.tail);
      this.tail++;
      erased++;
      while (this.tail < this.head && this.damaged[this.tail % this.sectors] === 2) {
        this.damaged[this.tail % this.sectors] = 0;
        this.tail++;
      }
      this.hooks.tailMoved();
    }
    return erased;
  }

  /** May sector counter `c` go? Only if every record in it is acknowledged and the last record on flash is not in it. */
  erasable(c: number, acked: number): boolean {
    const last = this.lastSeqIn[c % this.sectors];
    return !(last > acked || (last !== 0 && last === this.lastRecordSeq));
  }

  /**
   * Erases the sector of counter `c`, all of whose records are acknowledged,
   * once the journal has covered it with an ack elsewhere (hooks.beforeErase).
   * The sector goes even when no ack fits (a journal whose every record is
   * acknowledged must be able to free itself; Journal.coverErase says why that is safe).
   */
  private eraseOld(c: number): void {
    const s = c % this.sectors;
    this.hooks.beforeErase(c);
    this.guard(() => this.flash.erase(s));
    if (this.head >= 0 && s === (this.head + 1) % this.sectors) this.nextBlank = true;
    this.lastSeqIn[s] = 0;
    this.firstSeqIn[s] = 0;
    this.damaged[s] = 0;
    this.sealed[s] = 0;
  }

  /**
   * Seals the oldest closed sector not yet sealed (journal-seal.ts), at most
   * one a call: its strict walk costs what recovery saves (~200,000 XS units
   * for 4 KiB), so it runs in the background, once per sector. A sector is
   * closed once the head has moved past it: nothing is written in it again.
   */
  sealNext(): void {
    if (this.head < 0) return;
    this.sealFrom = Math.max(this.sealFrom, this.tail);
    while (this.sealFrom < this.head) {
      const c = this.sealFrom++;
      const s = c % this.sectors;
      if (this.sealed[s] === 1 || this.damaged[s] !== 0 || this.room[s] === this.bs) continue; // a version-1 sector has no seal place
      this.sealed[s] = 1;
      const seal = sealFor(this.flash, this.crypto, c, this.tail, this.room);
      if (!seal) return;
      const at = s * this.bs;
      this.guard(() => this.flash.write(at + this.bs - SEAL_BYTES, seal));
      return;
    }
  }

  /** A failed write leaves the in-memory state unknown: the journal demands a recover(). */
  private guard(write: () => void): void {
    try {
      write();
    } catch (e) {
      this.hooks.failed();
      throw e;
    }
  }
}
