import type { FlashRegion } from '../../hal/flash.js';
import { decodeCbor, encodeCbor } from '../codec/cbor.js';
import { crc32 } from '../codec/crc32.js';
import { TokenUpdateError } from './errors.js';
import { put32, u32 } from './format.js';
import { TOKEN_TYPES, WHITELISTS } from './types.js';

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

/** Where appending resumes and what the log holds, as found by one walk over the region. */
interface LogState {
  append: number;
  /** Torn or unreadable bytes were skipped: the region needs an erase before records of a new image. */
  stale: boolean;
  /** Image versions the log has records of: one, or none after an erase. */
  bases: number[];
}

const NOT_CBOR = {};

// A record as add() writes it. A record that passes its CRC is still checked: boot must
// survive anything on flash. Whether a partner index is in the image is for the store to check.
function isRecord(v: unknown): v is OverlayRecord {
  const r = v as OverlayRecord;
  if (typeof r !== 'object' || r === null || typeof r.base !== 'number' || typeof r.from !== 'number' || typeof r.to !== 'number' || !Array.isArray(r.ops)) return false;
  for (let i = 0; i < r.ops.length; i++) {
    const op = r.ops[i] as unknown[];
    if (!Array.isArray(op) || typeof op[0] !== 'string') return false;
    if (op.length === 1) continue;
    if (op.length !== 6 || !isIndex(op[1], 0x10000) || !isIndex(op[2], WHITELISTS.length) || typeof op[3] !== 'boolean'
      || !isIndex(op[4], TOKEN_TYPES.length) || (op[5] !== null && typeof op[5] !== 'string')) return false;
  }
  return true;
}

const isIndex = (v: unknown, below: number) => typeof v === 'number' && v >= 0 && v < below && v % 1 === 0;

/**
 * Differentials in force on top of the table: an append-only log of CRC-framed
 * records in their own region. Records of an older image are stale and the
 * region is erased before the next append. A torn record is skipped to the next
 * flash block, where appending resumes.
 *
 * The log keeps no record in RAM: the store's map of the changes is the one
 * copy (4,096 changes are a large part of a device's heap). Records are read
 * back from flash when replayed, one at a time.
 */
export class OverlayLog {
  // Undefined until the first walk: the store's boot replay is that walk, so boot reads the region once.
  private state?: LogState;

  constructor(private readonly region: FlashRegion) {}

  /** Hands `visit` the records that chain from image version `base`, in order, each decoded only for the call. */
  replay(base: number, visit: (record: OverlayRecord) => void): void {
    let version = base;
    this.walk((r) => {
      if (r.base !== base || r.from !== version) return;
      version = r.to;
      visit(r);
    });
  }

  /** The same records as an array, for tools; the device replays them instead. */
  chain(base: number): OverlayRecord[] {
    const out: OverlayRecord[] = [];
    this.replay(base, (r) => out.push(r));
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
    if (!this.state) this.walk(() => {});
    let s = this.state!;
    const keepsCurrent = s.bases.indexOf(record.base) >= 0;
    if ((s.stale || s.bases.length > 0) && !keepsCurrent) s = this.clear();
    if (s.append + out.length > this.region.byteLength)
      throw new TokenUpdateError('OVERLAY_FULL', `overlay region ${this.region.name} is full: send a full image`);
    if (!this.erasedAt(s.append, out.length)) {
      // Left over from a cut erase or a torn append.
      if (keepsCurrent) throw new TokenUpdateError('OVERLAY_FULL', `overlay region ${this.region.name} needs compaction: send a full image`);
      s = this.clear();
    }
    this.region.write(s.append, out);
    if (s.bases.indexOf(record.base) < 0) s.bases.push(record.base);
    s.append += out.length;
  }

  private erasedAt(offset: number, length: number): boolean {
    const b = this.region.read(offset, length);
    for (let i = 0; i < b.length; i++) if (b[i] !== 0xff) return false;
    return true;
  }

  private clear(): LogState {
    // Last block first: a cut leaves the log's start readable, or erased up to junk that add() checks for.
    for (let b = this.region.byteLength / this.region.blockSize - 1; b >= 0; b--) this.region.erase(b);
    return (this.state = { append: 0, stale: false, bases: [] });
  }

  // Record by record: a whole-region map would be a heap copy wherever flash is not memory-mapped.
  // The state is kept only once the walk is complete: a visit that throws leaves it to the next walk.
  private walk(visit: (record: OverlayRecord) => void): void {
    const bs = this.region.blockSize;
    const size = this.region.byteLength;
    const found: LogState = { append: 0, stale: false, bases: [] };
    let o = 0;
    while (o + HEAD <= size) {
      const head = this.region.read(o, HEAD);
      if (head[0] === 0xff) break;
      const len = u32(head, 1);
      let decoded: unknown = NOT_CBOR;
      if (head[0] === MARK && o + HEAD + len <= size) {
        const payload = this.region.read(o + HEAD, len);
        if (u32(head, 5) === crc32(payload)) {
          try {
            decoded = decodeCbor(payload);
          } catch { /* passed its CRC but not CBOR: treat as torn */ }
        }
      }
      if (decoded === NOT_CBOR) {
        found.stale = true;
        o = (Math.floor(o / bs) + 1) * bs;
        continue;
      }
      // Its CRC vouches for its length: a record of another shape is stepped over, the ones after it kept.
      o += HEAD + len;
      if (!isRecord(decoded)) {
        found.stale = true;
        continue;
      }
      if (found.bases.indexOf(decoded.base) < 0) found.bases.push(decoded.base);
      visit(decoded);
    }
    found.append = Math.min(o, size);
    this.state = found;
  }
}
