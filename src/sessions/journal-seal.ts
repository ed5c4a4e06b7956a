import type { Crypto, Sha256 } from '../../hal/crypto.js';
import type { FlashRegion } from '../../hal/flash.js';
import { put32, u32 } from '../codec/bytes.js';
import { SECTOR_HEADER_BYTES, T_ACK, T_RECORD, T_SIGNATURE } from './frame.js';
import { freshSeq, scanSector } from './journal-scan.js';
import { seqOfPayload } from './record.js';

// The seal of a closed sector: what the strict walk of its entries found,
// bound to its bytes by a SHA-256, so that a boot takes the summary (one
// native digest) instead of walking the sector in JavaScript (~200,000 XS
// units for 4 KiB: a CRC-32 and a shape check per entry). Written off the tap
// path (Journal.maintain) into the last SEAL_BYTES of a version-2 sector, kept
// erased until then. A seal is trusted only when its digest matches the
// sector as it is now; anything else (torn seal, damage after sealing, a hit
// header) makes recovery walk that sector entry by entry, as before seals.
//
// Seal (76 bytes, at blockSize - 76; integers little-endian):
//   0  'Z' (0x5A)      1  seal format 1      2  end:u16 (offset past the written part)
//   4  counter:u32 (the sector's)             8  firstSeq:u32     12 lastSeq:u32
//   16 lastRecordAt:u16 (the last record entry's offset)          18 lastRecordLength:u16 (its payload)
//   20 sigFrom:u32     24 sigTo:u32  (signatures name sigFrom..sigTo, each once, in order; 0 0: none)
//   28 ackBefore:u32 (highest ack before the first record; 0: none)
//   32 ackAfter:u32  (highest ack after it; 0: none)
//   36 flags:u8 (bit 0: the last ack follows the last record)   37..39  0
//   40 windowStart:u32: the counter of the first sector of the window (at most 64 sectors, this one last)
//   44 window digest: the first 16 bytes of SHA-256 of the window's bytes in counter order, from the
//      first byte of its first sector to byte 44 of this seal (so one digest checks up to 64 sectors)
//   60 sector digest: the first 16 bytes of SHA-256(this sector's bytes [12, blockSize - 16))
// A sector is sealed only when its walk is clean, which is what lets the
// summary stand for the walk (docs/sessions.md, "Seals"): no torn or
// corrupted stretch; at least one record; records numbered consecutively, each
// record-shaped; signatures consecutive, none naming a record after the
// sector's last one, nor before its first one a record of this sector; acks
// never decreasing, an ack before the first record below it, one after it at
// most the last record before it.

export const SEAL_BYTES = 76;
/** Sectors one window digest covers at most. */
export const SEAL_WINDOW = 64;
const SEAL_FIELDS = 44;
const WINDOW_DIGEST_AT = 44;
const SECTOR_DIGEST_AT = 60;
const DIGEST_BYTES = 16;
const SEAL_MAGIC = 0x5a;
const SEAL_FORMAT = 1;

/** What a clean sector holds, as recovery would find it entry by entry. */
export interface SectorSeal {
  end: number;
  firstSeq: number;
  lastSeq: number;
  lastRecordAt: number;
  lastRecordLength: number;
  sigFrom: number;
  sigTo: number;
  ackBefore: number;
  ackAfter: number;
  ackLast: boolean;
  /** Counter of the window's first sector (this sector's counter at most). */
  windowStart: number;
}

/**
 * The strict walk of the sector at buf[base, base + blockSize) (sealed
 * format): its seal, or undefined when it is not clean (it stays unsealed and
 * is walked at every boot).
 */
export function summarize(buf: Uint8Array, base: number, blockSize: number): SectorSeal | undefined {
  let clean = true;
  const s = emptySeal();
  let sigBeforeFirst = 0;
  let lastAck = 0;
  let lastRecordPos = -1;
  let lastAckPos = -1;
  s.end = scanSector(buf, base, blockSize - SEAL_BYTES, (type, at, length) => {
    if (type === T_RECORD) {
      const seq = freshSeq(buf, at, length, s.lastSeq);
      if (seq === 0 || (s.firstSeq > 0 && seq !== s.lastSeq + 1)) clean = false;
      if (s.firstSeq === 0) s.firstSeq = seq;
      s.lastSeq = seq;
      s.lastRecordAt = at - base;
      s.lastRecordLength = length;
      lastRecordPos = at;
    } else if (type === T_SIGNATURE) {
      const q = u32(buf, at + 3);
      if (q === 0) clean = false;
      if (s.sigTo === 0) s.sigFrom = q;
      else if (q !== s.sigTo + 1) clean = false;
      s.sigTo = q;
      if (s.firstSeq === 0) sigBeforeFirst = q;
      else if (q > s.lastSeq) clean = false;
    } else if (type === T_ACK) {
      const v = u32(buf, at + 3);
      if (v === 0 || v < lastAck) clean = false; // the journal never writes an ack of 0
      lastAck = v;
      if (s.firstSeq === 0) s.ackBefore = v;
      else {
        if (v > s.lastSeq) clean = false;
        s.ackAfter = v;
        lastAckPos = at;
      }
    }
  }, undefined, () => {
    clean = false;
  });
  if (!clean || s.firstSeq === 0 || sigBeforeFirst >= s.firstSeq || s.ackBefore >= s.firstSeq) return undefined;
  // A record's seq comes from its payload: a sector whose last record is not where the walk left it cannot be sealed.
  if (seqOfPayload(buf, base + s.lastRecordAt + 3, base + s.lastRecordAt + 3 + s.lastRecordLength) !== s.lastSeq) return undefined;
  s.ackLast = lastAckPos > lastRecordPos;
  return s;
}

/** A seal record to fill (recovery reuses one: no allocation per sector). */
export function emptySeal(): SectorSeal {
  return { end: 0, firstSeq: 0, lastSeq: 0, lastRecordAt: 0, lastRecordLength: 0, sigFrom: 0, sigTo: 0, ackBefore: 0, ackAfter: 0, ackLast: false, windowStart: 0 };
}

function prefixEquals(digest: Uint8Array, buf: Uint8Array, at: number): boolean {
  for (let i = 0; i < DIGEST_BYTES; i++) if (digest[i] !== buf[at + i]) return false;
  return true;
}

/**
 * The seal of sector `counter`, whose bytes (without the seal) are
 * sector[0, blockSize): `window` is a SHA-256 already given the bytes of the
 * window's earlier sectors, oldest first (read by the caller from flash).
 */
export function encodeSeal(crypto: Crypto, sector: Uint8Array, blockSize: number, counter: number, s: SectorSeal, window: Sha256): Uint8Array {
  const image = sector.slice(0, blockSize); // the sector as it will be with its seal
  const at = blockSize - SEAL_BYTES;
  image[at] = SEAL_MAGIC;
  image[at + 1] = SEAL_FORMAT;
  image[at + 2] = s.end & 0xff;
  image[at + 3] = s.end >>> 8;
  put32(image, at + 4, counter);
  put32(image, at + 8, s.firstSeq);
  put32(image, at + 12, s.lastSeq);
  image[at + 16] = s.lastRecordAt & 0xff;
  image[at + 17] = s.lastRecordAt >>> 8;
  image[at + 18] = s.lastRecordLength & 0xff;
  image[at + 19] = s.lastRecordLength >>> 8;
  put32(image, at + 20, s.sigFrom);
  put32(image, at + 24, s.sigTo);
  put32(image, at + 28, s.ackBefore);
  put32(image, at + 32, s.ackAfter);
  image[at + 36] = s.ackLast ? 1 : 0;
  image[at + 37] = image[at + 38] = image[at + 39] = 0;
  put32(image, at + 40, s.windowStart);
  image.set(window.update(image.subarray(0, at + WINDOW_DIGEST_AT)).digest().subarray(0, DIGEST_BYTES), at + WINDOW_DIGEST_AT);
  image.set(crypto.sha256(image.subarray(SECTOR_HEADER_BYTES, at + SECTOR_DIGEST_AT)).digest().subarray(0, DIGEST_BYTES), at + SECTOR_DIGEST_AT);
  return image.slice(at);
}

/**
 * Reads the seal of the sector at buf[base, base + blockSize) into `out` if
 * one is there and names `counter` (any, if undefined), without checking a
 * digest (sectorDigestMatches, windowDigestMatches do). Allocates nothing.
 */
export function parseSeal(buf: Uint8Array, base: number, blockSize: number, counter: number | undefined, out: SectorSeal): boolean {
  const at = base + blockSize - SEAL_BYTES;
  if (buf[at] !== SEAL_MAGIC || buf[at + 1] !== SEAL_FORMAT) return false;
  if (counter !== undefined && u32(buf, at + 4) !== counter) return false;
  out.end = buf[at + 2] | (buf[at + 3] << 8);
  out.firstSeq = u32(buf, at + 8);
  out.lastSeq = u32(buf, at + 12);
  out.lastRecordAt = buf[at + 16] | (buf[at + 17] << 8);
  out.lastRecordLength = buf[at + 18] | (buf[at + 19] << 8);
  out.sigFrom = u32(buf, at + 20);
  out.sigTo = u32(buf, at + 24);
  out.ackBefore = u32(buf, at + 28);
  out.ackAfter = u32(buf, at + 32);
  out.ackLast = (buf[at + 36] & 1) === 1;
  out.windowStart = u32(buf, at + 40);
  return true;
}

/** Does the sector digest of the seal at the end of buf[base, base + blockSize) match the sector as it is now? */
export function sectorDigestMatches(crypto: Crypto, buf: Uint8Array, base: number, blockSize: number): boolean {
  const at = base + blockSize - SEAL_BYTES;
  return prefixEquals(crypto.sha256(buf.subarray(base + SECTOR_HEADER_BYTES, at + SECTOR_DIGEST_AT)).digest(), buf, at + SECTOR_DIGEST_AT);
}

/**
 * Does the window digest of a seal match the window's bytes as they are now?
 * The window in counter order is `first` then `second` (two pieces when the
 * ring wraps; views of mapped flash), the last piece ending at that seal's end.
 */
export function windowDigestMatches(crypto: Crypto, first: Uint8Array, second?: Uint8Array): boolean {
  const last = second ?? first;
  const at = last.length - SEAL_BYTES + WINDOW_DIGEST_AT;
  const h = crypto.sha256();
  if (second) h.update(first);
  h.update(last.subarray(0, at));
  return prefixEquals(h.digest(), last, at);
}

/** The seal of the sector at buf[base, base + blockSize) if it names `counter` (any, if undefined) and its sector digest matches. */
export function readSeal(crypto: Crypto, buf: Uint8Array, base: number, blockSize: number, counter?: number): SectorSeal | undefined {
  const s = emptySeal();
  return parseSeal(buf, base, blockSize, counter, s) && sectorDigestMatches(crypto, buf, base, blockSize) ? s : undefined;
}

/** Is the seal's place of the sector at buf[base, …) erased (nothing written there yet)? */
export function sealPlaceErased(buf: Uint8Array, base: number, blockSize: number): boolean {
  for (let i = base + blockSize - SEAL_BYTES; i < base + blockSize; i++) if (buf[i] !== 0xff) return false;
  return true;
}

/**
 * The seal of the closed sector of counter `c`, or undefined: its seal's
 * place already holds something (a seal torn by a power cut, or damage: the
 * sector is walked at each boot instead), or its walk is not clean. The
 * window: the sealed sectors just before it (up to 63, from `tail` on, each
 * of a sealed-format sector (`room`) whose seal is whole: its own digest
 * matches), so that a boot checks up to 64 with one digest. Reads one sector
 * at a time (twice: no window kept in RAM).
 */
export function sealFor(flash: FlashRegion, crypto: Crypto, c: number, tail: number, room: Float64Array): Uint8Array | undefined {
  const bs = flash.blockSize;
  const n = flash.byteLength / bs;
  const buf = flash.read((c % n) * bs, bs);
  if (!sealPlaceErased(buf, 0, bs)) return undefined;
  const summary = summarize(buf, 0, bs);
  if (!summary) return undefined;
  const other = emptySeal();
  let start = c;
  while (start - 1 >= Math.max(c - SEAL_WINDOW + 1, tail)) {
    const bytes = flash.read(((start - 1) % n) * bs, bs);
    if (room[(start - 1) % n] === bs || !parseSeal(bytes, 0, bs, start - 1, other) || !sectorDigestMatches(crypto, bytes, 0, bs)) break;
    start--;
  }
  summary.windowStart = start;
  const window = crypto.sha256();
  for (let w = start; w < c; w++) window.update(flash.read((w % n) * bs, bs));
  return encodeSeal(crypto, buf, bs, c, summary, window);
}

/**
 * Is every byte 0xFF? Read 32 bits at a time where the bytes are aligned (a
 * sector always is): a quarter of the iterations of a byte loop, and no
 * allocation but one view.
 */
export function isErased(bytes: Uint8Array): boolean {
  if (bytes[0] !== 0xff || bytes[bytes.length - 1] !== 0xff) return false;
  if ((bytes.byteOffset & 3) === 0 && (bytes.length & 3) === 0) {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
    for (let i = 0; i < words.length; i++) if (words[i] !== 0xffffffff) return false;
    return true;
  }
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0xff) return false;
  return true;
}
