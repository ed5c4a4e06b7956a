import type { Crypto, Signer } from '../../hal/crypto.js';
import { concatBytes } from '../codec/bytes.js';
import { decodeCbor, encodeCbor } from '../codec/cbor.js';
import { TokenUpdateError } from './errors.js';
import { put32, SIGNATURE_BYTES, u32 } from './format.js';

// A backend key rotation on the wire: "RTKR" u32, payload length u32, CBOR
// payload {v: 1, seq, key, revoke?}, then the P-256 signature of everything
// before it by the key in force. Same framing as a differential.
const ROTATION_MAGIC = 0x524b5452; // "RTKR" as u32 LE

/** SEC1 uncompressed P-256 public key. */
export const KEY_BYTES = 65;
/** Bytes of a key's fingerprint kept for revocation (a SHA-256 prefix). */
export const FINGERPRINT_BYTES = 16;
/** The largest signed rotation: ~165 bytes with a 32-bit seq and revoke set. */
export const MAX_ROTATION_BYTES = 256;

export interface KeyRotation {
  /** Key sequence number: the provisioned key is 0, each rotation is greater than the one in force. */
  seq: number;
  /** The new backend key. */
  key: Uint8Array;
  /** The key signing this rotation may never be rotated back to. */
  revoke: boolean;
}

/** Backend side: the unsigned rotation. */
export function encodeKeyRotation(r: KeyRotation): Uint8Array {
  if (!isSeq(r.seq)) throw new RangeError(`key sequence ${r.seq}: need an integer in 1..2^32-1`);
  if (!isSec1(r.key)) throw new RangeError('key must be a 65-byte SEC1 uncompressed P-256 public key');
  const body: Record<string, unknown> = { v: 1, seq: r.seq, key: r.key };
  if (r.revoke) body.revoke = true;
  const payload = encodeCbor(body);
  const head = new Uint8Array(8);
  put32(head, 0, ROTATION_MAGIC);
  put32(head, 4, payload.length);
  return concatBytes(head, payload);
}

/** Backend side: signed by the key in force on the device (the predecessor of r.key). */
export function signKeyRotation(rotation: Uint8Array, current: Signer): Uint8Array {
  return concatBytes(rotation, current.sign(rotation));
}

/**
 * Device side: framing, then the signature with `currentKey`, then the payload's
 * exact shape. Throws TokenUpdateError. Says nothing about sequence or revocation:
 * the store checks those against what it holds.
 */
export function openKeyRotation(bytes: Uint8Array, crypto: Crypto, currentKey: Uint8Array): KeyRotation {
  if (bytes.length < 8 + SIGNATURE_BYTES) throw new TokenUpdateError('TRUNCATED', `key rotation of ${bytes.length} bytes is shorter than its framing`);
  if (bytes.length > MAX_ROTATION_BYTES) throw new TokenUpdateError('OVERSIZED', `key rotation of ${bytes.length} bytes, at most ${MAX_ROTATION_BYTES}`);
  if (u32(bytes, 0) !== ROTATION_MAGIC) throw new TokenUpdateError('BAD_FORMAT', 'not a key rotation (magic is not RTKR)');
  const signed = 8 + u32(bytes, 4);
  if (bytes.length < signed + SIGNATURE_BYTES) throw new TokenUpdateError('TRUNCATED', `key rotation announces ${signed + SIGNATURE_BYTES} bytes, got ${bytes.length}`);
  if (bytes.length > signed + SIGNATURE_BYTES) throw new TokenUpdateError('OVERSIZED', `key rotation announces ${signed + SIGNATURE_BYTES} bytes, got ${bytes.length}`);
  if (!crypto.verifyP256(currentKey, bytes.subarray(0, signed), bytes.subarray(signed)))
    throw new TokenUpdateError('BAD_SIGNATURE', 'key rotation signature does not verify with the backend key in force');
  let p: unknown;
  try {
    p = decodeCbor(bytes.subarray(8, signed));
  } catch {
    throw new TokenUpdateError('BAD_FORMAT', 'key rotation payload is not CBOR');
  }
  const bad = (what: string) => new TokenUpdateError('BAD_FORMAT', `key rotation: ${what}`);
  if (typeof p !== 'object' || p === null || Array.isArray(p) || p instanceof Uint8Array) throw bad('payload is not a map');
  const m = p as Record<string, unknown>;
  // Exact shape: a field this device does not know could be a restriction it would not apply.
  for (const k of Object.keys(m)) if (k !== 'v' && k !== 'seq' && k !== 'key' && k !== 'revoke') throw bad(`unknown field ${JSON.stringify(k)}`);
  if (m.v !== 1) throw bad('unknown payload version');
  if (!isSeq(m.seq)) throw bad('seq must be an integer in 1..2^32-1');
  if (m.revoke !== undefined && typeof m.revoke !== 'boolean') throw bad('revoke must be true or false');
  if (!(m.key instanceof Uint8Array)) throw bad('key is not a byte string');
  if (!isSec1(m.key)) throw new TokenUpdateError('BAD_KEY', 'key rotation: the key is not a 65-byte SEC1 uncompressed P-256 public key');
  return { seq: m.seq, key: m.key.slice(), revoke: m.revoke === true };
}

/** What revocation remembers of a key: the first 16 bytes of its SHA-256. */
export function keyFingerprint(crypto: Crypto, key: Uint8Array): Uint8Array {
  return crypto.sha256(key).digest().slice(0, FINGERPRINT_BYTES);
}

function isSeq(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 0xffffffff;
}

function isSec1(k: unknown): k is Uint8Array {
  return k instanceof Uint8Array && k.length === KEY_BYTES && k[0] === 0x04;
}
