import type { Crypto } from '../../hal/crypto.js';
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
// Seal (56 bytes, at blockSize - 56; integers little-endian):
//   0  'Z' (0x5A)      1  seal format 1      2  end:u16 (offset past the written part)
//   4  counter:u32 (the sector's)             8  firstSeq:u32     12 lastSeq:u32
//   16 lastRecordAt:u16 (the last record entry's offset)          18 lastRecordLength:u16 (its payload)
//   20 sigFrom:u32     24 sigTo:u32  (signatures name sigFrom..sigTo, each once, in order; 0 0: none)
//   28 ackBefore:u32 (highest ack before the first record; 0: none)
//   32 ackAfter:u32  (highest ack after it; 0: none)
//   36 flags:u8 (bit 0: the last ack follows the last record)   37..39  0
//   40 the first 16 bytes of SHA-256(sector bytes [12, blockSize - 16)): the entries' place and the fields above
// A sector is sealed only when its walk is clean, which is what lets the
// summary stand for the walk (docs/sessions.md, "Seals"): no torn or
// corrupted stretch; at least one record; records numbered consecutively, each
// record-shaped; signatures consecutive, none naming a record after the
// sector's last one, nor before its first one a record of this sector; acks
// never decreasing, an ack before the first record below it, one after it at
// most the last record before it.

export const SEAL_BYTES = 56;
const SEAL_FIELDS = 40;
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
}

/**
 * The strict walk of the sector at buf[base, base + blockSize) (sealed
 * format): its seal, or undefined when it is not clean (it stays unsealed and
 * is walked at every boot).
 */
export function summarize(buf: Uint8Array, base: number, blockSize: number): SectorSeal | undefined {
  let clean = true;
  const s: SectorSeal = { end: 0, firstSeq: 0, lastSeq: 0, lastRecordAt: 0, lastRecordLength: 0, sigFrom: 0, sigTo: 0, ackBefore: 0, ackAfter: 0, ackLast: false };
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

// The seal's fields follow the entries' place: one digest covers both.
function digestOf(crypto: Crypto, buf: Uint8Array, base: number, blockSize: number): Uint8Array {
  return crypto.sha256(buf.subarray(base + SECTOR_HEADER_BYTES, base + blockSize - SEAL_BYTES + SEAL_FIELDS)).digest();
}

/** The seal bytes of sector `counter`, whose bytes are buf[base, base + blockSize). */
export function encodeSeal(crypto: Crypto, buf: Uint8Array, base: number, blockSize: number, counter: number, s: SectorSeal): Uint8Array {
  const seal = new Uint8Array(SEAL_BYTES);
  seal[0] = SEAL_MAGIC;
  seal[1] = SEAL_FORMAT;
  seal[2] = s.end & 0xff;
  seal[3] = s.end >>> 8;
  put32(seal, 4, counter);
  put32(seal, 8, s.firstSeq);
  put32(seal, 12, s.lastSeq);
  seal[16] = s.lastRecordAt & 0xff;
  seal[17] = s.lastRecordAt >>> 8;
  seal[18] = s.lastRecordLength & 0xff;
  seal[19] = s.lastRecordLength >>> 8;
  put32(seal, 20, s.sigFrom);
  put32(seal, 24, s.sigTo);
  put32(seal, 28, s.ackBefore);
  put32(seal, 32, s.ackAfter);
  seal[36] = s.ackLast ? 1 : 0;
  const sector = buf.slice(base, base + blockSize); // the sector as it will be with the seal's fields written
  sector.set(seal.subarray(0, SEAL_FIELDS), blockSize - SEAL_BYTES);
  seal.set(digestOf(crypto, sector, 0, blockSize).subarray(0, DIGEST_BYTES), SEAL_FIELDS);
  return seal;
}

/**
 * The seal of the sector at buf[base, base + blockSize) if one is there, names
 * `counter` (any, if undefined) and its digest matches the sector as it is
 * now; else undefined.
 */
export function readSeal(crypto: Crypto, buf: Uint8Array, base: number, blockSize: number, counter?: number): SectorSeal | undefined {
  const at = base + blockSize - SEAL_BYTES;
  if (buf[at] !== SEAL_MAGIC || buf[at + 1] !== SEAL_FORMAT) return undefined;
  if (counter !== undefined && u32(buf, at + 4) !== counter) return undefined;
  const digest = digestOf(crypto, buf, base, blockSize);
  for (let i = 0; i < DIGEST_BYTES; i++) if (digest[i] !== buf[at + SEAL_FIELDS + i]) return undefined;
  return {
    end: buf[at + 2] | (buf[at + 3] << 8),
    firstSeq: u32(buf, at + 8),
    lastSeq: u32(buf, at + 12),
    lastRecordAt: buf[at + 16] | (buf[at + 17] << 8),
    lastRecordLength: buf[at + 18] | (buf[at + 19] << 8),
    sigFrom: u32(buf, at + 20),
    sigTo: u32(buf, at + 24),
    ackBefore: u32(buf, at + 28),
    ackAfter: u32(buf, at + 32),
    ackLast: (buf[at + 36] & 1) === 1,
  };
}

/** Does the seal's place of the sector at buf[base, …) start as a seal does (whether or not its digest matches)? */
export function looksSealed(buf: Uint8Array, base: number, blockSize: number): boolean {
  const at = base + blockSize - SEAL_BYTES;
  return buf[at] === SEAL_MAGIC && buf[at + 1] === SEAL_FORMAT;
}

/** Is the seal's place of the sector at buf[base, …) erased (nothing written there yet)? */
export function sealPlaceErased(buf: Uint8Array, base: number, blockSize: number): boolean {
  for (let i = base + blockSize - SEAL_BYTES; i < base + blockSize; i++) if (buf[i] !== 0xff) return false;
  return true;
}

/**
 * A blank check by one native digest instead of a JavaScript loop over every
 * byte (~19 XS units a byte): equal SHA-256 means equal bytes.
 */
export class ErasedCheck {
  private erased?: Uint8Array;
  constructor(private readonly crypto: Crypto, private readonly blockSize: number) {}
  isErased(bytes: Uint8Array): boolean {
    if (!this.erased) {
      const ff = new Uint8Array(256).fill(0xff);
      const h = this.crypto.sha256();
      for (let i = 0; i < this.blockSize; i += 256) h.update(i + 256 <= this.blockSize ? ff : ff.subarray(0, this.blockSize - i));
      this.erased = h.digest();
    }
    const d = this.crypto.sha256(bytes).digest();
    for (let i = 0; i < d.length; i++) if (d[i] !== this.erased[i]) return false;
    return true;
  }
}
