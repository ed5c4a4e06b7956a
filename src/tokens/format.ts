// The on-flash table format, version 1 (docs/tokens.md has it byte by byte).
// Integers little-endian unless a field says otherwise; keys big-endian.

export { put32, u32 } from '../codec/bytes.js';

export const MAGIC = 0x314b5452; // "RTK1" read as u32 LE
export const FORMAT_VERSION = 1;
export const SIGNATURE_BYTES = 64;
export const HEADER_FIXED = 160;
export const SECTION_BYTES = 20;
/** Sections in table order: 4-, 7-, 10-byte hex uids, then text uids. */
export const SECTION_KINDS = [4, 7, 10, 0];
/** Entries per block at most: the lookup scans one block. */
export const BLOCK_MAX = 128;
/** A block spans less than 2^48 keys, so offsets inside it are exact doubles. */
export const BLOCK_SPAN = 281474976710656; // 2^48
export const NO_GROUP = 0xffffff;

export const H = {
  magic: 0, formatVersion: 4, headerLength: 8, bodyLength: 12, listVersion: 16, createdAt: 20,
  tokenCount: 28, bodySha: 32, partnerCount: 64, paletteCount: 66, attrBits: 68, sectionCount: 69,
  groupCount: 72, groupOffset: 76, sections: 80,
} as const;

/** Palette flags: one attribute tuple per distinct (partner, whitelist, valid, type); groups are kept apart. */
export const F_VALID = 1;
export const F_TYPE_SHIFT = 1; // 2 bits: index in TOKEN_TYPES

export function u16(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8);
}
export function u24(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
}
export function put16(b: Uint8Array, i: number, v: number): void {
  b[i] = v & 0xff; b[i + 1] = (v >>> 8) & 0xff;
}
export function put24(b: Uint8Array, i: number, v: number): void {
  b[i] = v & 0xff; b[i + 1] = (v >>> 8) & 0xff; b[i + 2] = (v >>> 16) & 0xff;
}
