import { describe, expect, it } from 'vitest';
import { nodeCrypto, SimFlash } from '../../host-sim/hal/index.js';
import type { FlashRegion } from '../../hal/flash.js';
import { JournalError } from '../../src/sessions/errors.js';
import { readSectorHeader, SECTOR_HEADER_BYTES, T_ACK } from '../../src/sessions/frame.js';
import { SectorRing } from '../../src/sessions/journal-ring.js';

// The ring's decisions on their own: which sector is erased and when, given
// its counters and the acknowledged position. Sectors of 512 bytes hold three
// 107-byte entries each (12-byte header, 76 bytes kept for the seal), so
// records 1–3 are in sector 0, 4–6 in sector 1, and so on.
const BS = 512;
const BODY = 100;

/** A flash that logs every erase, in order with the ring's calls to its hooks. */
class LoggedFlash implements FlashRegion {
  readonly name = 'journal';
  readonly blockSize = BS;
  readonly byteLength: number;
  failErase = false;
  constructor(readonly inner: SimFlash, private readonly log: string[]) {
    this.byteLength = inner.byteLength;
  }
  read(offset: number, length: number): Uint8Array {
    return this.inner.read(offset, length);
  }
  write(offset: number, data: Uint8Array): void {
    this.inner.write(offset, data);
  }
  erase(block: number): void {
    if (this.failErase) throw new Error('erase failed');
    this.log.push(`erase ${block}`);
    this.inner.erase(block);
  }
}

function ringOf(sectors: number) {
  const log: string[] = [];
  const flash = new LoggedFlash(new SimFlash('journal', sectors * BS, { blockSize: BS }), log);
  const ring = new SectorRing(flash, nodeCrypto, {
    beforeErase: (c) => log.push(`cover ${c}`),
    tailMoved: () => log.push('tail moved'),
    failed: () => log.push('failed'),
  });
  /** Writes records `from`..`to` as the journal does: the entry, then the ring's bookkeeping. */
  const records = (from: number, to: number) => {
    for (let seq = from; seq <= to; seq++) ring.writeRecord(new Uint8Array(BODY).fill(seq), seq);
  };
  const blank = (s: number) => flash.inner.read(s * BS, BS).every((b) => b === 0xff);
  return { ring, flash, log, records, blank };
}

describe('SectorRing: what reclaim erases', () => {
  it('erases the oldest sectors whose records are all acknowledged, oldest first, each after the journal covered it with an ack', () => {
    const { ring, log, records, blank } = ringOf(6);
    records(1, 12); // sectors 0..3, head 3
    log.length = 0;
    expect(ring.reclaim(7)).toBe(2);
    // Sector 2 holds 7..9: 8 and 9 are not acknowledged, so it stays and so does everything after it.
    expect(log).toEqual(['cover 0', 'erase 0', 'tail moved', 'cover 1', 'erase 1', 'tail moved']);
    expect([ring.tail, ring.head]).toEqual([2, 3]);
    expect([blank(0), blank(1), blank(2)]).toEqual([true, true, false]);
    expect(ring.lastSeqIn[0]).toBe(0);
    expect(ring.lastSeqIn[2]).toBe(9);
  });

  it('never erases a sector holding an unacknowledged record', () => {
    const { ring, log, records } = ringOf(6);
    records(1, 12);
    log.length = 0;
    expect(ring.reclaim(2)).toBe(0); // record 3, in sector 0, is not acknowledged
    expect(log).toEqual([]);
    expect(ring.tail).toBe(0);
    expect(ring.erasable(0, 2)).toBe(false);
    expect(ring.erasable(0, 3)).toBe(true);
  });

  it('never erases the sector of the last record, even with every record acknowledged (its hash continues the chain)', () => {
    const { ring, log, records } = ringOf(6);
    records(1, 6); // sectors 0 and 1
    for (let i = 0; i < 3; i++) ring.write(T_ACK, new Uint8Array(BODY)); // no record after 6: the head moves on to sector 2
    expect(ring.head).toBe(2);
    log.length = 0;
    expect(ring.erasable(1, 6)).toBe(false);
    expect(ring.reclaim(6)).toBe(1);
    expect(log).toEqual(['cover 0', 'erase 0', 'tail moved']);
    expect(ring.tail).toBe(1);
  });

  it('never erases the head, nor from keepCounter on', () => {
    const { ring, log, records } = ringOf(6);
    records(1, 9); // sectors 0..2
    ring.lastRecordSeq = 0; // as if the last record were elsewhere: only the keep rules hold sectors back
    ring.keepCounter = 1; // recovery found damage hiding records from sector 1 on
    log.length = 0;
    expect(ring.reclaim(9)).toBe(1);
    expect(ring.tail).toBe(1);
    ring.keepCounter = Infinity;
    expect(ring.reclaim(9)).toBe(1); // sector 1 goes; sector 2 is the head
    expect(log.filter((l) => l.startsWith('erase'))).toEqual(['erase 0', 'erase 1']);
    expect([ring.tail, ring.head]).toEqual([2, 2]);
  });

  it('erases a sector with an unreadable header right after the tail before the tail itself (recovery finds the oldest by its header)', () => {
    const { ring, log, records } = ringOf(6);
    records(1, 12);
    ring.damaged[1] = 1;
    log.length = 0;
    expect(ring.reclaim(7)).toBe(2);
    expect(log).toEqual(['cover 1', 'erase 1', 'cover 0', 'erase 0', 'tail moved']);
    // The tail steps over the blank hole the damaged sector left.
    expect(ring.tail).toBe(2);
    expect(ring.damaged[1]).toBe(0);
  });

  it('keeps an acknowledged tail while the unreadable header after it cannot go (it would become the oldest)', () => {
    const { ring, log, records } = ringOf(6);
    records(1, 12);
    ring.damaged[1] = 1;
    log.length = 0;
    expect(ring.reclaim(4)).toBe(0); // sector 0 (1..3) is acknowledged, sector 1 (4..6) is not
    expect(log).toEqual([]);
    expect(ring.tail).toBe(0);
  });

  it('keeps the last sector with a valid header before a head adopted without one, and all after it', () => {
    const { ring, log, records } = ringOf(6);
    records(1, 15); // head 4
    ring.damaged[4] = 1; // the head's header was hit…
    ring.damaged[3] = 2; // …and the sector before it is a blank hole (an unreadable header erased earlier)
    ring.lastSeqIn[3] = 0;
    log.length = 0;
    expect(ring.reclaim(15)).toBe(2); // sectors 0 and 1: sector 2 is the last valid header before the head
    expect(log.filter((l) => l.startsWith('erase'))).toEqual(['erase 0', 'erase 1']);
    expect(ring.tail).toBe(2);
  });
});

describe('SectorRing: free sectors, the next sector, a full ring', () => {
  it('blankFreeSectors erases every free sector that is not blank, and no sector of the journal', () => {
    const { ring, flash, log, records, blank } = ringOf(6);
    records(1, 6); // sectors 0 and 1
    flash.inner.write(2 * BS + 100, new Uint8Array([0]));
    flash.inner.write(5 * BS + BS - 1, new Uint8Array([0x7f])); // a torn erase leaves a bit at the very end
    log.length = 0;
    expect(ring.blankFreeSectors()).toBe(2);
    expect(log).toEqual(['erase 2', 'erase 5']);
    expect([blank(0), blank(1), blank(2), blank(5)]).toEqual([false, false, true, true]);
    expect(ring.lastSeqIn[1]).toBe(6);
  });

  it('prepareNextSector erases the next sector off the tap path: opening it then erases nothing', () => {
    const { ring, flash, log, records } = ringOf(4);
    records(1, 3); // sector 0 full
    flash.inner.write(1 * BS + 300, new Uint8Array([0]));
    log.length = 0;
    ring.prepareNextSector();
    expect(log).toEqual(['erase 1']);
    ring.prepareNextSector();
    records(4, 4); // opens sector 1
    expect(log).toEqual(['erase 1']);
    expect(ring.head).toBe(1);
    expect(readSectorHeader(flash.inner.read(BS, SECTOR_HEADER_BYTES))).toBe(1);
  });

  it('a ring with no free sector refuses a write (full) and takes it again once an acknowledged sector is reclaimed, wrapping round', () => {
    const { ring, flash, records } = ringOf(2);
    records(1, 6); // both sectors
    expect(ring.fits([BODY + 7])).toBe(false);
    expect(ring.freeBytes()).toBe(BS - 76 - (SECTOR_HEADER_BYTES + 3 * (BODY + 7)));
    let error: unknown;
    try {
      records(7, 7);
    } catch (e) {
      error = e;
    }
    expect(error instanceof JournalError && error.code).toBe('full');
    expect(ring.reclaim(3)).toBe(1);
    expect(ring.fits([BODY + 7])).toBe(true);
    records(7, 7);
    expect([ring.tail, ring.head]).toEqual([1, 2]);
    // Counter 2 is sector 0 again, one lap up.
    expect(readSectorHeader(flash.inner.read(0, SECTOR_HEADER_BYTES))).toBe(2);
  });

  it('a failed erase tells the journal (its state is then unknown) and throws', () => {
    const { ring, flash, log, records } = ringOf(4);
    records(1, 6);
    flash.failErase = true;
    log.length = 0;
    expect(() => ring.reclaim(3)).toThrow('erase failed');
    expect(log).toEqual(['cover 0', 'failed']);
  });
});
