// The on-flash table format, version 2 (docs/tokens.md has it byte by byte).
// Integers little-endian unless a field says otherwise; keys big-endian.

export { put32, u32 } from '../codec/bytes.js';

export const MAGIC = 0x314b5452; // "RTK1" read as u32 LE
export const FORMAT_VERSION = 2;
export const SIGNATURE_BYTES = 64;
export const HEADER_FIXED = 160;
export const SECTION_BYTES = 20;
/** Sections in table order: 4-, 7-, 10-byte hex uids, then text uids. */
export const SECTION_KINDS = [4, 7, 10, 0];
/** A key's remainder is stored and compared in chunks of at most 24 bits (6 hex digits): one 32-bit read each at any bit offset. */
export const CHUNK_BITS = 24;
/** Hex digits of a section's common key prefix at most (an exact double), always leaving a byte of remainder. */
export const MAX_PREFIX_HEX = 12;
/** Zero bytes after a key section's entries: two 32-bit reads where its last field begins stay inside the section. */
export const TAIL_PAD = 8;
/** A grouped entry of a key section: entry index u32, group u24 (little-endian). */
export const GROUP_PAIR_BYTES = 7;
/** Past this many grouped entries a key section has a second directory, over its pairs (below it, they are few: bisected whole). */
export const GROUPED_DIRECTORY_FROM = 16;
export const NO_GROUP = 0xffffff;

export const H = {
  magic: 0, formatVersion: 4, headerLength: 8, bodyLength: 12, listVersion: 16, createdAt: 20,
  tokenCount: 28, bodySha: 32, partnerCount: 64, paletteCount: 66, attrBits: 68, sectionCount: 69,
  groupCount: 72, groupOffset: 76, sections: 80,
} as const;

/** Palette flags: one attribute tuple per distinct (partner, whitelist, valid, type); groups are kept apart. */
export const F_VALID = 1;
export const F_TYPE_SHIFT = 1; // 2 bits: index in TOKEN_TYPES
/** The token has a group id: a key section lists it among its grouped entries. */
export const F_GROUPED = 8;

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
