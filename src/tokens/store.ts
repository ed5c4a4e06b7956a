import type { Crypto } from '../../hal/crypto.js';
import type { FlashRegion } from '../../hal/flash.js';
import type { TokenSearch } from '../../hal/token-search.js';
import { openDiff } from './diff.js';
import { TokenUpdateError } from './errors.js';
import { H, HEADER_FIXED, SIGNATURE_BYTES, u32 } from './format.js';
import { ImageTransfer } from './image-transfer.js';
import { KeyRing } from './key-ring.js';
import { ListInForce } from './list-in-force.js';
import { OverlayLog } from './overlay.js';
import { SlotSelector } from './selector.js';
import { readHeader } from './table.js';
import type { TokenEntry, TokenLookup } from './types.js';

export interface TokenStoreOptions {
  /** Flash partitions by name, SHA-256 / P-256 and the table's search (native on a device). */
  platform: { flash(name: string): FlashRegion; crypto: Crypto; tokenSearch?: TokenSearch };
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

/**
 * The device's token list: a signed table image in one of two flash slots, the
 * selector saying which, and an overlay of differentials. Boot reads the
 * selector, the image header and the overlay: no work per token. Three parts:
 * the list in force and its differentials (ListInForce), the image transfer
 * into the other slot (ImageTransfer), the backend key (KeyRing).
 */
export class TokenStore implements TokenLookup {
  private readonly crypto: Crypto;
  private readonly keys: KeyRing;
  private readonly list: ListInForce;
  private readonly transfer: ImageTransfer;
  /** Why the selected list could not be opened at boot, if it could not. */
  bootError?: Error;

  constructor(options: TokenStoreOptions) {
    const names = options.slots ?? ['tokens-a', 'tokens-b'];
    const slots = names.map((n) => options.platform.flash(n));
    const selector = new SlotSelector(options.platform.flash(options.selector ?? 'tokens-sel'));
    this.crypto = options.platform.crypto;
    this.keys = new KeyRing(selector, this.crypto, options.backendKey);
    this.list = new ListInForce(slots, new OverlayLog(options.platform.flash(options.overlay ?? 'tokens-ovl')), options.maxOverlayEntries ?? 2560, options.platform.tokenSearch);
    this.transfer = new ImageTransfer(slots, selector, this.crypto, this.keys, this.list, options.resumeEvery ?? 64 * 1024);
    const sel = selector.selection;
    if (sel && sel.slot < 2) {
      try {
        const region = slots[sel.slot];
        const header = readHeader(region.read(0, Math.min(region.byteLength, u32(region.read(0, HEADER_FIXED), H.headerLength))));
        // The header only (no re-hash of the body: boot stays O(1) in the token count);
        // a damaged slot is reported here instead of throwing out of a lookup later.
        const length = header.headerLength + header.bodyLength + SIGNATURE_BYTES;
        if (length !== sel.imageLength || length > region.byteLength || header.listVersion !== sel.listVersion)
          throw new TokenUpdateError('BAD_FORMAT', `slot ${region.name}: image of ${length} bytes, the selector recorded ${sel.imageLength} bytes of version ${sel.listVersion} (slot ${region.byteLength} bytes, header version ${header.listVersion})`);
        this.list.open(sel.slot, header);
        // A record is streamed from flash, its ops indexed in place: no copy of the records in RAM.
        this.list.replay();
      } catch (e) {
        // Only verified images are ever selected; still, a damaged slot must not stop the boot.
        this.bootError = e as Error;
        if (this.list.version === undefined) this.list.versionFloor = this.list.recordedVersion(sel.listVersion);
      }
    }
    this.transfer.resume();
  }

  get status(): StoreStatus {
    const l = this.list;
    return {
      version: l.version, imageVersion: l.header?.listVersion, slot: l.slot,
      tokens: (l.header?.tokenCount ?? 0), overlayEntries: l.overlay.size, overlayChanges: l.overlay.changes,
      keySeq: this.keys.seq, keyId: this.keys.id, revokedKeys: this.keys.revoked.length,
    };
  }

  /** The backend public key images, differentials and the next rotation must verify with. */
  get backendKey(): Uint8Array {
    return this.keys.key.slice();
  }

  /** Sequence of the backend key in force: 0 = the provisioned key. */
  get keySeq(): number {
    return this.keys.seq;
  }

  /**
   * Applies a signed key rotation (src/tokens/key-rotation.ts): it must verify
   * with the key in force, carry a greater sequence, name another key that was
   * never revoked. Persisted as one selector record, then in force: images and
   * differentials verify with the new key only, including a transfer under way.
   * Returns the new key sequence. Throws TokenUpdateError; nothing changes then.
   */
  rotateKey(bytes: Uint8Array): number {
    return this.keys.rotate(bytes);
  }

  /** The version in force, undefined when no list was ever applied. */
  get version(): number | undefined {
    return this.list.version;
  }

  lookup(uid: string): TokenEntry | undefined {
    return this.list.lookup(uid);
  }

  /** Starts streaming a signed image of `totalLength` bytes into the inactive slot. */
  beginFull(totalLength: number): void {
    this.transfer.begin(totalLength);
  }

  /**
   * The full transfer under way, if its header arrived: begun in this boot, or left
   * by the previous one and resumable from `written`.
   */
  pendingFull(): { version: number; size: number; written: number } | undefined {
    return this.transfer.pending();
  }

  /**
   * Writes the bytes at `offset` of the image. Chunks come in order; a chunk
   * already written (a retransmission) is ignored. Errors end the upload.
   */
  writeChunk(offset: number, bytes: Uint8Array): void {
    this.transfer.write(offset, bytes);
  }

  /** Verifies the image as it read back from the slot, then switches slots atomically; returns its version. */
  commit(): number {
    return this.transfer.commit();
  }

  /** Checks and applies a signed differential; returns the new version. */
  applyDifferential(bytes: Uint8Array): number {
    return this.list.apply(openDiff(bytes, this.crypto, this.keys.key));
  }
}
