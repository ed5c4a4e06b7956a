import type { FlashRegion } from '../../hal/flash.js';
import { decodeCbor, encodeCbor } from '../codec/cbor.js';
import { crc32 } from '../codec/crc32.js';
import { TokenUpdateError } from './errors.js';
import { put32, u32 } from './format.js';

/** One change as the overlay stores it: [uid] removes, the 6-tuple sets. */
export type OverlayOp = [string] | [string, number, number, boolean, number, string | null];

export interface OverlayRecord {
  /** List version of the image the record applies to. */
  base: number;
  from: number;
  to: number;
  ops: OverlayOp[];
}

const MARK = 0xa5;
const HEAD = 9; // mark u8, length u32, crc32 u32

/**
 * Differentials in force on top of the table: an append-only log of CRC-framed
 * records in their own region. Records of an older image are stale and the
 * region is erased before the next append. A torn record is skipped to the next
 * flash block, where appending resumes.
 */
export class OverlayLog {
  private records: OverlayRecord[] = [];
  private append = 0;
  private stale = false;

  constructor(private readonly region: FlashRegion) {
    this.scan();
  }

  /** Records that chain from image version `base`, in order. */
  chain(base: number): OverlayRecord[] {
    const out: OverlayRecord[] = [];
    let version = base;
    for (const r of this.records) {
      if (r.base !== base || r.from !== version) continue;
      out.push(r);
      version = r.to;
    }
    return out;
  }

  /** Appends one record; makes room first when the log holds only records of an older image. */
  add(record: OverlayRecord): void {
    const payload = encodeCbor(record);
    const out = new Uint8Array(HEAD + payload.length);
    out[0] = MARK;
    put32(out, 1, payload.length);
    out.set(payload, HEAD);
    put32(out, 5, crc32(out, HEAD));
    const keepsCurrent = this.records.some((r) => r.base === record.base);
    if ((this.stale || this.records.length > 0) && !keepsCurrent) this.clear();
    if (this.append + out.length > this.region.byteLength)
      throw new TokenUpdateError('OVERLAY_FULL', `overlay region ${this.region.name} is full: send a full image`);
    if (!this.erasedAt(this.append, out.length)) {
      // Left over from a cut erase or a torn append.
      if (keepsCurrent) throw new TokenUpdateError('OVERLAY_FULL', `overlay region ${this.region.name} needs compaction: send a full image`);
      this.clear();
    }
    this.region.write(this.append, out);
    this.records.push(record);
    this.append += out.length;
  }

  private erasedAt(offset: number, length: number): boolean {
    const b = this.region.read(offset, length);
    for (let i = 0; i < b.length; i++) if (b[i] !== 0xff) return false;
    return true;
  }

  private clear(): void {
    // Last block first: a cut leaves the log's start readable, or erased up to junk that add() checks for.
    for (let b = this.region.byteLength / this.region.blockSize - 1; b >= 0; b--) this.region.erase(b);
    this.records = [];
    this.append = 0;
    this.stale = false;
  }

  // Record by record: a whole-region map would be a heap copy wherever flash is not memory-mapped.
  private scan(): void {
    const bs = this.region.blockSize;
    const size = this.region.byteLength;
    let o = 0;
    while (o + HEAD <= size) {
      const head = this.region.read(o, HEAD);
      if (head[0] === 0xff) break;
      const len = u32(head, 1);
      if (head[0] === MARK && o + HEAD + len <= size) {
        const payload = this.region.read(o + HEAD, len);
        if (u32(head, 5) === crc32(payload)) {
          try {
            this.records.push(decodeCbor(payload) as OverlayRecord);
            o += HEAD + len;
            continue;
          } catch { /* passed its CRC but not CBOR: treat as torn */ }
        }
      }
      this.stale = true;
      o = (Math.floor(o / bs) + 1) * bs;
    }
    this.append = Math.min(o, size);
  }
}
