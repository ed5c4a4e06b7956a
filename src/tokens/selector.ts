import type { FlashRegion } from '../../hal/flash.js';
import { crc32 } from '../codec/crc32.js';
import { put32, u32 } from './format.js';

/** Which slot holds the list in force. Written as one record: the atomic step of a full update. */
export interface Selection {
  seq: number;
  slot: number;
  listVersion: number;
  /** Signed image length in the slot (header + body + signature). */
  imageLength: number;
}

const RECORD = 32;
const MAGIC = 0x53544b52; // "RKTS"

/**
 * An append-only log of selection records over two flash blocks; the valid
 * record with the highest sequence number wins. A torn record fails its CRC and
 * the previous one stays in force. When a block fills, the other one is erased
 * and the log continues there, so a valid record survives any single cut.
 */
export class SlotSelector {
  private current?: Selection;
  private next = 0; // byte offset of the next record

  constructor(private readonly region: FlashRegion) {
    if (region.byteLength < 2 * region.blockSize) throw new RangeError(`selector region ${region.name} needs two flash blocks`);
    this.scan();
  }

  get selection(): Selection | undefined {
    return this.current;
  }

  select(slot: number, listVersion: number, imageLength: number): void {
    const seq = (this.current?.seq ?? 0) + 1;
    const rec = new Uint8Array(RECORD).fill(0xff);
    put32(rec, 0, MAGIC);
    put32(rec, 4, seq);
    rec[8] = slot;
    put32(rec, 12, listVersion);
    put32(rec, 16, imageLength);
    put32(rec, 28, crc32(rec, 0, 28));
    const bs = this.region.blockSize;
    const at = this.next;
    // A record opening a block erases it first: that block holds only older records.
    if (at % bs === 0) this.region.erase(at / bs);
    this.region.write(at, rec);
    this.current = { seq, slot, listVersion, imageLength };
    this.next = (at + RECORD) % (2 * bs);
  }

  private scan(): void {
    const bs = this.region.blockSize;
    const all = this.region.read(0, 2 * bs);
    let best = -1;
    for (let at = 0; at + RECORD <= 2 * bs; at += RECORD) {
      if (u32(all, at) !== MAGIC || u32(all, at + 28) !== crc32(all, at, at + 28)) continue;
      const seq = u32(all, at + 4);
      if (!this.current || seq > this.current.seq) {
        this.current = { seq, slot: all[at + 8], listVersion: u32(all, at + 12), imageLength: u32(all, at + 16) };
        best = at;
      }
    }
    // Next record: the first erased place after the best one in its block, else the other block.
    const block = best < 0 ? 0 : Math.floor(best / bs);
    for (let at = best < 0 ? 0 : best + RECORD; at < (block + 1) * bs; at += RECORD) {
      if (erased(all, at, RECORD)) { this.next = at; return; }
    }
    this.next = block === 0 ? bs : 0;
  }
}

function erased(b: Uint8Array, at: number, n: number): boolean {
  for (let i = at; i < at + n; i++) if (b[i] !== 0xff) return false;
  return true;
}
