import type { Crypto } from '../../hal/crypto.js';
import type { FlashRegion } from '../../hal/flash.js';
import { equalBytes, toHex } from '../codec/bytes.js';
import { openDiff, type DiffToken } from './diff.js';
import { TokenUpdateError } from './errors.js';
import { H, HEADER_FIXED, MAGIC, SIGNATURE_BYTES, u32 } from './format.js';
import { keyFingerprint, openKeyRotation } from './key-rotation.js';
import { OverlayIndex } from './overlay-index.js';
import { OverlayLog, type OverlayOp, type RecordView } from './overlay.js';
import { MAX_REVOKED, SlotSelector } from './selector.js';
import { readHeader, TokenTable, type TableHeader } from './table.js';
import { TOKEN_TYPES, WHITELISTS, type TokenEntry, type TokenLookup } from './types.js';

export interface TokenStoreOptions {
  /** Flash partitions by name, and SHA-256 / P-256 (native on a device). */
  platform: { flash(name: string): FlashRegion; crypto: Crypto };
  /**
   * The provisioned backend P-256 public key (SEC1 uncompressed, 65 bytes): key
   * sequence 0, in force until a signed rotation stored in the selector replaces it.
   */
  backendKey: Uint8Array;
  /** Region names; defaults: tokens-a, tokens-b, tokens-sel (two blocks), tokens-ovl. */
  slots?: [string, string];
  selector?: string;
  overlay?: string;
  /**
   * Changes the overlay may hold before a full image is needed (every op of every
   * differential since the image: a uid changed twice counts twice). The overlay's RAM
   * is 8 bytes per change, 4 per differential and 1 KiB (docs/tokens.md): at the
   * default 2,560, ~21 KiB, ~31 KiB at most (one change per differential).
   */
  maxOverlayEntries?: number;
  /**
   * Bytes of a full transfer between two progress records in the selector (what a
   * reboot resumes from) at least; more when the image needs over 32 records.
   * Rounded up to whole slot blocks. Default 64 KiB.
   */
  resumeEvery?: number;
}

export interface StoreStatus {
  /** Version in force (image plus differentials); undefined before the first full image. */
  version?: number;
  imageVersion?: number;
  slot?: number;
  tokens: number;
  /** Uids the overlay changes. */
  overlayEntries: number;
  /** Changes it holds, what maxOverlayEntries bounds. */
  overlayChanges: number;
  /** Sequence of the backend key in force: 0 = the provisioned key. */
  keySeq: number;
  /** First 8 bytes of the SHA-256 of that (public) key, hex. */
  keyId: string;
  /** Keys revoked so far (remembered by fingerprint, at most 8). */
  revokedKeys: number;
}

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
 * The device's token list: a signed table image in one of two flash slots, the
 * selector saying which, and an overlay of differentials. Boot reads the
 * selector, the image header and the overlay: no work per token.
 */
export class TokenStore implements TokenLookup {
  private readonly slots: FlashRegion[];
  private readonly selector: SlotSelector;
  private readonly overlayLog: OverlayLog;
  private readonly crypto: Crypto;
  private readonly provisionedKey: Uint8Array;
  private keyId: string;
  private readonly maxOverlay: number;
  private readonly resumeEvery: number;
  private header?: TableHeader;
  private table?: TokenTable;
  private activeSlot?: number;
  private activeVersion?: number;
  private readonly overlay: OverlayIndex;
  private upload?: Upload;
  /** Why the selected list could not be opened at boot, if it could not. */
  bootError?: Error;
  /**
   * With no list in force because the selected one could not be opened at
   * boot: the version it had (the selector's record of the image, or the last
   * differential applied on it). No older image is accepted: a rollback is
   * one whether or not the slot still opens.
   */
  private versionFloor?: number;

  constructor(options: TokenStoreOptions) {
    const names = options.slots ?? ['tokens-a', 'tokens-b'];
    this.slots = names.map((n) => options.platform.flash(n));
    this.selector = new SlotSelector(options.platform.flash(options.selector ?? 'tokens-sel'));
    this.overlayLog = new OverlayLog(options.platform.flash(options.overlay ?? 'tokens-ovl'));
    this.crypto = options.platform.crypto;
    this.provisionedKey = options.backendKey;
    this.keyId = this.idOf(this.key);
    this.maxOverlay = options.maxOverlayEntries ?? 2560;
    this.overlay = new OverlayIndex(this.overlayLog, this.maxOverlay);
    this.resumeEvery = options.resumeEvery ?? 64 * 1024;
    const sel = this.selector.selection;
    if (sel && sel.slot < 2) {
      try {
        const region = this.slots[sel.slot];
        const header = readHeader(region.read(0, Math.min(region.byteLength, u32(region.read(0, HEADER_FIXED), H.headerLength))));
        // The header only (no re-hash of the body: boot stays O(1) in the token count);
        // a damaged slot is reported here instead of throwing out of a lookup later.
        const length = header.headerLength + header.bodyLength + SIGNATURE_BYTES;
        if (length !== sel.imageLength || length > region.byteLength || header.listVersion !== sel.listVersion)
          throw new TokenUpdateError('BAD_FORMAT', `slot ${region.name}: image of ${length} bytes, the selector recorded ${sel.imageLength} bytes of version ${sel.listVersion} (slot ${region.byteLength} bytes, header version ${header.listVersion})`);
        this.activate(sel.slot, header);
        // A record is streamed from flash, its ops indexed in place: no copy of the records in RAM.
        this.overlayLog.scan(header.listVersion, (r) => this.applyRecord(r));
      } catch (e) {
        // Only verified images are ever selected; still, a damaged slot must not stop the boot.
        this.bootError = e as Error;
        if (this.activeVersion === undefined) this.versionFloor = this.recordedVersion(sel.listVersion);
      }
    }
    this.resume();
  }

  get status(): StoreStatus {
    return {
      version: this.activeVersion, imageVersion: this.header?.listVersion, slot: this.activeSlot,
      tokens: (this.header?.tokenCount ?? 0), overlayEntries: this.overlay.size, overlayChanges: this.overlay.changes,
      keySeq: this.keySeq, keyId: this.keyId, revokedKeys: this.revoked.length,
    };
  }

  /** The backend public key images, differentials and the next rotation must verify with. */
  get backendKey(): Uint8Array {
    return this.key.slice();
  }

  /** Sequence of the backend key in force: 0 = the provisioned key. */
  get keySeq(): number {
    return this.selector.keyState?.seq ?? 0;
  }

  // The key state lives in the selector (its record is the rotation's atomic step); the store keeps no copy.
  private get key(): Uint8Array {
    return this.selector.keyState?.key ?? this.provisionedKey;
  }

  private get revoked(): Uint8Array[] {
    return this.selector.keyState?.revoked ?? [];
  }

  /**
   * Applies a signed key rotation (src/tokens/key-rotation.ts): it must verify
   * with the key in force, carry a greater sequence, name another key that was
   * never revoked. Persisted as one selector record, then in force: images and
   * differentials verify with the new key only, including a transfer under way.
   * Returns the new key sequence. Throws TokenUpdateError; nothing changes then.
   */
  rotateKey(bytes: Uint8Array): number {
    const r = openKeyRotation(bytes, this.crypto, this.key);
    if (r.seq <= this.keySeq) throw new TokenUpdateError('KEY_ROLLBACK', `key rotation ${r.seq} is not newer than key ${this.keySeq} in force`);
    if (equalBytes(r.key, this.key)) throw new TokenUpdateError('KEY_UNCHANGED', `key rotation ${r.seq} names the key already in force`);
    const fp = keyFingerprint(this.crypto, r.key);
    if (this.revoked.some((f) => equalBytes(f, fp))) throw new TokenUpdateError('KEY_REVOKED', `key rotation ${r.seq} names a revoked key`);
    // Bounded: past 8, the oldest revocation is forgotten (keys are not reused in practice).
    const revoked = r.revoke ? [...this.revoked, keyFingerprint(this.crypto, this.key)].slice(-MAX_REVOKED) : this.revoked;
    this.selector.setKey({ seq: r.seq, key: r.key, revoked });
    this.keyId = this.idOf(r.key);
    return r.seq;
  }

  private idOf(key: Uint8Array): string {
    return toHex(keyFingerprint(this.crypto, key).subarray(0, 8)).toLowerCase();
  }

  /** The version in force, undefined when no list was ever applied. */
  get version(): number | undefined {
    return this.activeVersion;
  }

  lookup(uid: string): TokenEntry | undefined {
    uid = uid.toUpperCase();
    if (this.activeSlot === undefined) return undefined;
    if (this.overlay.changes > 0) {
      const o = this.overlay.lookup(uid, this.header!.partners);
      if (o !== undefined) return o ?? undefined;
    }
    return this.mapped().find(uid);
  }

  /** Starts streaming a signed image of `totalLength` bytes into the inactive slot. */
  beginFull(totalLength: number): void {
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
  pendingFull(): { version: number; size: number; written: number } | undefined {
    const u = this.upload;
    return u && u.headerLength > 0 ? { version: u32(u.prefix, H.listVersion), size: u.total, written: u.written } : undefined;
  }

  /**
   * Writes the bytes at `offset` of the image. Chunks come in order; a chunk
   * already written (a retransmission) is ignored. Errors end the upload.
   */
  writeChunk(offset: number, bytes: Uint8Array): void {
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
      if (!this.crypto.verifyP256(this.key, headerBytes, signature))
        throw new TokenUpdateError('BAD_SIGNATURE', `image signature does not verify with the backend key in force (key ${this.keySeq})`);
      if (u.hashed !== header.headerLength + header.bodyLength || !equalBytes(u.hash.digest(), header.bodySha)) throw new TokenUpdateError('BAD_HASH', `image body in slot ${u.region.name} does not match the SHA-256 in its header`);
      this.checkNewer(header.listVersion);
    } catch (e) {
      this.endUpload(e);
      throw e;
    }
    this.upload = undefined;
    // The selection names the slot the progress named: that ends the transfer on flash too.
    this.selector.select(u.slot, header.listVersion, u.total);
    this.activate(u.slot, header);
    return header.listVersion;
  }

  /** The slot a full image goes to: the one not in force. */
  private targetSlot(): number {
    return this.activeSlot === 0 ? 1 : 0;
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
  private resume(): void {
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

  /** Checks and applies a signed differential; returns the new version. */
  applyDifferential(bytes: Uint8Array): number {
    const d = openDiff(bytes, this.crypto, this.key);
    if (this.activeVersion === undefined || !this.header)
      throw new TokenUpdateError('VERSION_MISMATCH', 'no list in force: a full image is needed first');
    this.checkNewer(d.to);
    if (d.from !== this.activeVersion)
      throw new TokenUpdateError('VERSION_MISMATCH', `differential ${d.from} → ${d.to} does not follow version ${this.activeVersion}`);
    const ops: OverlayOp[] = [];
    for (const t of d.add) {
      if (this.lookup(t.uid)) throw new TokenUpdateError('ALREADY_PRESENT', `differential adds ${t.uid}, already on the list`);
      ops.push(this.op(t));
    }
    for (const t of d.change) {
      if (!this.lookup(t.uid)) throw new TokenUpdateError('NOT_PRESENT', `differential changes ${t.uid}, not on the list`);
      ops.push(this.op(t));
    }
    for (const uid of d.remove) {
      if (!this.lookup(uid)) throw new TokenUpdateError('NOT_PRESENT', `differential removes ${uid}, not on the list`);
      ops.push([uid]);
    }
    if (this.overlay.changes + ops.length > this.maxOverlay)
      throw new TokenUpdateError('OVERLAY_FULL', `overlay would hold ${this.overlay.changes + ops.length} changes, over ${this.maxOverlay}: send a full image`);
    const record = this.overlayLog.frame({ base: this.header.listVersion, from: d.from, to: d.to, ops });
    // Boot's rule, before the write (frame() read the ops back): a record boot would step over is never written.
    if (record.maxPartner! >= this.header.partners.length)
      throw new TokenUpdateError('UNKNOWN_PARTNER', `differential ${d.from} → ${d.to} names a partner not in the table`);
    this.overlayLog.append(record);
    this.applyRecord(record);
    return d.to;
  }

  private op(t: DiffToken): OverlayOp {
    const partners = this.header!.partners;
    let p = 0;
    while (p < partners.length && (partners[p].countryCode !== t.countryCode || partners[p].partyId !== t.partyId)) p++;
    if (p === partners.length) throw new TokenUpdateError('UNKNOWN_PARTNER', `differential names partner ${t.countryCode}-${t.partyId}, not in the table`);
    return [t.uid, p, WHITELISTS.indexOf(t.whitelist), t.valid, TOKEN_TYPES.indexOf(t.type), t.groupId ?? null];
  }

  /**
   * Puts a record in force, unless an op is malformed or names no partner of the image
   * (KD-2: src/auth reads token.partner): boot steps over such a record, apply refuses it.
   */
  private applyRecord(r: RecordView): boolean {
    if (!this.overlay.take(r, this.header!.partners.length)) return false;
    this.activeVersion = r.to;
    return true;
  }

  private checkNewer(version: number): void {
    if (this.activeVersion !== undefined && version <= this.activeVersion)
      throw new TokenUpdateError('ROLLBACK', `version ${version} is not newer than ${this.activeVersion} in force`);
    // The same version again is accepted here: the device lost its list, the backend may have none newer.
    if (this.activeVersion === undefined && this.versionFloor !== undefined && version < this.versionFloor)
      throw new TokenUpdateError('ROLLBACK', `version ${version} is older than ${this.versionFloor}, the version of the list that could not be opened at boot (the selector's record)`);
  }

  /** The version the selected image reached: its own, or the last differential the overlay applied on it. */
  private recordedVersion(imageVersion: number): number {
    let version = imageVersion;
    try {
      this.overlayLog.scan(imageVersion, (r) => {
        version = r.to;
        return true;
      });
    } catch {
      // A damaged overlay: the image's own version still holds.
    }
    return version;
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
    this.checkNewer(u32(header, H.listVersion));
  }

  private activate(slot: number, header: TableHeader): void {
    this.activeSlot = slot;
    this.header = header;
    this.table = undefined;
    this.activeVersion = header.listVersion;
    this.overlay.reset();
  }

  // Mapped at the first lookup, not at commit: the mapping is the flash itself
  // on a device, and an apply has no need of it.
  private mapped(): TokenTable {
    if (!this.table) {
      const region = this.slots[this.activeSlot!];
      this.table = new TokenTable(region.map ? region.map() : region.read(0, this.header!.headerLength + this.header!.bodyLength));
    }
    return this.table;
  }
}
