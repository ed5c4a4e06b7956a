import type { Crypto } from '../../hal/crypto.js';
import type { FlashRegion } from '../../hal/flash.js';
import { equalBytes } from '../codec/bytes.js';
import { TokenUpdateError } from './errors.js';
import { H, HEADER_FIXED, MAGIC, SIGNATURE_BYTES, u32 } from './format.js';
import type { KeyRing } from './key-ring.js';
import type { ListInForce } from './list-in-force.js';
import type { SlotSelector } from './selector.js';
import { readHeader, type TableHeader } from './table.js';

interface Upload {
  slot: number;
  region: FlashRegion;
  total: number;
  written: number;
  erasedEnd: number;
  prefix: Uint8Array;
  headerLength: number;
  bodyLength: number;
  /** Offset of the last progress record of this transfer (0: none yet). */
  saved: number;
  /** Bytes between progress records: whole blocks of the slot. */
  every: number;
  /** SHA-256 of the body as it read back after each write, up to `hashed`. */
  hash: ReturnType<Crypto['sha256']>;
  hashed: number;
}

/**
 * Bytes of the slot read and hashed at a time by commit: fewer native calls than per
 * block, no more live heap than a chunk's write (the chunk plus the blocks it reaches).
 */
const READBACK = 32 * 1024;
/** Progress records per transfer at most: bounds their cost and selector wear for any image size. */
const MAX_PROGRESS_RECORDS = 32;

/**
 * A full image streamed into the slot not in force a chunk at a time, read
 * back into its SHA-256 as it is written, verified at commit and put in force
 * by one selector record (the atomic step). Progress records let a reboot
 * resume it.
 */
export class ImageTransfer {
  private upload?: Upload;

  constructor(
    private readonly slots: FlashRegion[],
    private readonly selector: SlotSelector,
    private readonly crypto: Crypto,
    private readonly keys: KeyRing,
    private readonly list: ListInForce,
    private readonly resumeEvery: number,
  ) {}

  /** Starts streaming a signed image of `totalLength` bytes into the inactive slot. */
  begin(totalLength: number): void {
    const slot = this.targetSlot();
    const region = this.slots[slot];
    // Checked before anything changes: a bad offer leaves an upload under way as it is.
    if (!Number.isInteger(totalLength) || totalLength < HEADER_FIXED + SIGNATURE_BYTES)
      throw new TokenUpdateError('TRUNCATED', `an image of ${totalLength} bytes cannot hold a header and a signature`);
    if (totalLength > region.byteLength)
      throw new TokenUpdateError('OVERSIZED', `an image of ${totalLength} bytes does not fit slot ${region.name} (${region.byteLength})`);
    // The slot is about to be overwritten: the progress of an earlier transfer no longer says what it holds.
    this.forgetProgress();
    this.upload = this.newUpload(slot, totalLength);
  }

  /**
   * The full transfer under way, if its header arrived: begun in this boot, or left
   * by the previous one and resumable from `written` (see resume()).
   */
  pending(): { version: number; size: number; written: number } | undefined {
    const u = this.upload;
    return u && u.headerLength > 0 ? { version: u32(u.prefix, H.listVersion), size: u.total, written: u.written } : undefined;
  }

  /**
   * Writes the bytes at `offset` of the image. Chunks come in order; a chunk
   * already written (a retransmission) is ignored. Errors end the upload.
   */
  write(offset: number, bytes: Uint8Array): void {
    const u = this.upload;
    if (!u) throw new TokenUpdateError('NO_UPDATE', 'writeChunk without beginFull');
    try {
      // NaN passes every comparison below and would reach the flash as an address.
      if (!Number.isInteger(offset)) throw new TokenUpdateError('BAD_OFFSET', `chunk at ${offset}, expected ${u.written}`);
      if (offset + bytes.length <= u.written) return;
      if (offset > u.written || offset < 0) throw new TokenUpdateError('BAD_OFFSET', `chunk at ${offset}, expected ${u.written}`);
      if (offset < u.written) { bytes = bytes.subarray(u.written - offset); offset = u.written; }
      if (offset + bytes.length > u.total) throw new TokenUpdateError('OVERSIZED', `chunk ends at ${offset + bytes.length}, past the announced ${u.total} bytes`);
      const end = offset + bytes.length;
      const bs = u.region.blockSize;
      if (u.erasedEnd < end) {
        // Wear (FLOOD-3): a block that reads erased is not erased again. The blocks this chunk reaches
        // are read at once and, when blank, that is seen by one native SHA-256 (XS has no memcmp; a
        // JavaScript scan of a blank slot would cost more than the erases it saves); else block by block.
        const from = u.erasedEnd, to = Math.ceil(end / bs) * bs;
        const seen = u.region.read(from, to - from);
        const blank = this.readsErased(seen, bs);
        for (; u.erasedEnd < to; u.erasedEnd += bs)
          if (!blank && !this.readsErased(seen.subarray(u.erasedEnd - from, u.erasedEnd - from + bs), bs)) u.region.erase(u.erasedEnd / bs);
      }
      u.region.write(offset, bytes);
      if (offset < HEADER_FIXED) {
        u.prefix.set(bytes.subarray(0, HEADER_FIXED - offset), offset);
        if (end >= HEADER_FIXED) this.readPrefix(u);
      }
      u.written = end;
      this.hashBack(u);
      // Progress on whole blocks, after their writes returned: a resume starts on a block boundary
      // and erases again whatever a cut left past it.
      const mark = end - (end % u.every);
      if (mark > u.saved && mark < u.total && u.headerLength > 0) {
        this.selector.setProgress({ slot: u.slot, listVersion: u32(u.prefix, H.listVersion), imageLength: u.total, offset: mark });
        u.saved = mark;
      }
    } catch (e) {
      this.endUpload(e);
      throw e;
    }
  }

  /**
   * Feeds the hash with the body bytes written so far, as they read back from the slot: a skipped
   * erase over weak cells or a program that failed silently shows at commit. Per chunk, so the
   * commit hashes nothing and no tap waits behind a whole image's read-back.
   */
  private hashBack(u: Upload): void {
    if (u.headerLength === 0) return;
    const from = Math.max(u.hashed, u.headerLength), to = Math.min(u.written, u.headerLength + u.bodyLength);
    for (let o = from; o < to; o += READBACK) u.hash.update(u.region.read(o, Math.min(READBACK, to - o)));
    if (to > u.hashed) u.hashed = to;
  }

  /** SHA-256 of n erased bytes, by n: a few sizes (whole blocks a chunk reaches). */
  private readonly erasedSha = new Map<number, Uint8Array>();

  /**
   * Whether every byte reads 0xFF (whole blocks). Every byte, not a sample: an interrupted erase
   * leaves the old bytes at either end of a block, and only an erased cell reads 0xFF in the model.
   */
  private readsErased(bytes: Uint8Array, blockSize: number): boolean {
    if (bytes[0] !== 0xff || bytes[bytes.length - 1] !== 0xff) return false; // data: the usual case, no hashing
    let blank = this.erasedSha.get(bytes.length);
    if (!blank) {
      const ff = new Uint8Array(blockSize).fill(0xff), h = this.crypto.sha256();
      for (let n = 0; n < bytes.length; n += blockSize) h.update(ff);
      this.erasedSha.set(bytes.length, (blank = h.digest()));
    }
    return equalBytes(this.crypto.sha256(bytes).digest(), blank);
  }

  /**
   * Verifies the image as it read back from the slot (header and signature read now; the body's
   * SHA-256 fed after each chunk's write, see hashBack), then switches slots atomically. What
   * went by is not trusted: a skipped erase over weak cells or a program that failed silently
   * shows here.
   */
  commit(): number {
    const u = this.upload;
    if (!u) throw new TokenUpdateError('NO_UPDATE', 'commit without beginFull');
    let header: TableHeader;
    try {
      if (u.written < u.total) throw new TokenUpdateError('TRUNCATED', `image has ${u.written} of ${u.total} bytes`);
      const headerBytes = u.region.read(0, u.headerLength);
      header = readHeader(headerBytes);
      if (header.headerLength !== u.headerLength || header.headerLength + header.bodyLength + SIGNATURE_BYTES !== u.total)
        throw new TokenUpdateError('BAD_FORMAT', `slot ${u.region.name}: the header reads back other than it was written`);
      const signature = u.region.read(u.total - SIGNATURE_BYTES, SIGNATURE_BYTES);
      if (!this.crypto.verifyP256(this.keys.key, headerBytes, signature))
        throw new TokenUpdateError('BAD_SIGNATURE', `image signature does not verify with the backend key in force (key ${this.keys.seq})`);
      if (u.hashed !== header.headerLength + header.bodyLength || !equalBytes(u.hash.digest(), header.bodySha)) throw new TokenUpdateError('BAD_HASH', `image body in slot ${u.region.name} does not match the SHA-256 in its header`);
      this.list.checkNewer(header.listVersion);
    } catch (e) {
      this.endUpload(e);
      throw e;
    }
    this.upload = undefined;
    // The selection names the slot the progress named: that ends the transfer on flash too.
    this.selector.select(u.slot, header.listVersion, u.total);
    this.list.open(u.slot, header);
    return header.listVersion;
  }

  /** The slot a full image goes to: the one not in force. */
  private targetSlot(): number {
    return this.list.slot === 0 ? 1 : 0;
  }

  private newUpload(slot: number, total: number): Upload {
    const region = this.slots[slot];
    const bs = region.blockSize;
    return {
      slot, region, total, written: 0, erasedEnd: 0, prefix: new Uint8Array(HEADER_FIXED), headerLength: 0, bodyLength: 0,
      saved: 0, hash: this.crypto.sha256(), hashed: 0, every: Math.max(bs, Math.ceil(Math.max(this.resumeEvery, total / MAX_PROGRESS_RECORDS) / bs) * bs),
    };
  }

  /**
   * Ends the upload after an error. A refusal of the image ends the transfer on flash too, so a
   * reboot does not resume it; a flash error or power cut leaves the progress record (it is
   * re-checked at boot, and the commit re-hashes everything).
   */
  private endUpload(e: unknown): void {
    this.upload = undefined;
    if (e instanceof TokenUpdateError) this.forgetProgress();
  }

  /** Writes a clear progress record when one is in force: at most one per transfer ended. */
  private forgetProgress(): void {
    if (this.selector.progress) this.selector.setProgress(undefined);
  }

  /**
   * Takes up the transfer the selector's progress record names, if it still fits what the slot
   * holds: the slot a new transfer would use, an offset on a block boundary inside the image, and
   * the image header in the slot announcing the recorded version and length (a cut while a newer
   * transfer began leaves another header, or none). Nothing past the offset is trusted: the next
   * chunk erases the block there again unless it reads erased, and the commit re-hashes all. A
   * record that does not fit is dropped without writing: boot stays read-only.
   */
  resume(): void {
    const p = this.selector.progress;
    if (!p) return;
    try {
      const slot = this.targetSlot();
      const u = this.newUpload(slot, p.imageLength);
      const bs = u.region.blockSize;
      if (p.slot !== slot || p.offset <= 0 || p.offset % bs !== 0 || p.offset >= p.imageLength || p.offset < HEADER_FIXED
        || p.imageLength < HEADER_FIXED + SIGNATURE_BYTES || p.imageLength > u.region.byteLength)
        throw new TokenUpdateError('BAD_FORMAT', 'progress record does not fit the slot');
      u.prefix.set(u.region.read(0, HEADER_FIXED));
      this.readPrefix(u);
      if (u32(u.prefix, H.listVersion) !== p.listVersion) throw new TokenUpdateError('BAD_FORMAT', 'progress record names another version than the slot holds');
      u.written = u.erasedEnd = u.saved = p.offset;
      // The running hash did not survive the reboot: what the slot holds up to the offset is read
      // back once, here at boot rather than on the tap path (a native SHA-256 over mapped flash).
      this.hashBack(u);
      this.upload = u;
    } catch {
      this.selector.dropProgress();
    }
  }

  private readPrefix(u: Upload): void {
    const header = u.prefix;
    u.headerLength = u32(header, H.headerLength);
    u.bodyLength = u32(header, H.bodyLength);
    const expected = u.headerLength + u.bodyLength + SIGNATURE_BYTES;
    if (u32(header, H.magic) !== MAGIC) throw new TokenUpdateError('BAD_FORMAT', 'not a token table image (magic)');
    if (u.headerLength < HEADER_FIXED) throw new TokenUpdateError('BAD_FORMAT', 'header length');
    if (expected > u.total) throw new TokenUpdateError('TRUNCATED', `image announces ${expected} bytes, upload ${u.total}`);
    if (expected < u.total) throw new TokenUpdateError('OVERSIZED', `image announces ${expected} bytes, upload ${u.total}`);
    this.list.checkNewer(u32(header, H.listVersion));
  }

}
