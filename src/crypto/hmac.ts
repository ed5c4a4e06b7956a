// HMAC-SHA256 (RFC 2104) over the HAL's incremental SHA-256, so the device
// uses Moddable's native digest and the host node:crypto's.
import type { Sha256 } from '../../hal/crypto.js';

/** A fresh, empty SHA-256. */
export type NewSha256 = () => Sha256;

const BLOCK = 64; // SHA-256 block size in bytes

/** HMAC-SHA256(key, parts[0] || parts[1] || …): 32 bytes. */
export function hmacSha256(newHash: NewSha256, key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  // RFC 2104 §2: a key longer than the block is hashed first, then zero-padded.
  const k = new Uint8Array(BLOCK);
  k.set(key.length > BLOCK ? newHash().update(key).digest() : key);
  const pad = new Uint8Array(BLOCK);
  for (let i = 0; i < BLOCK; i++) pad[i] = k[i] ^ 0x36;
  const inner = newHash().update(pad);
  for (const p of parts) inner.update(p);
  const innerDigest = inner.digest();
  for (let i = 0; i < BLOCK; i++) pad[i] = k[i] ^ 0x5c;
  return newHash().update(pad).update(innerDigest).digest();
}
