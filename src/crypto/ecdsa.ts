// ECDSA P-256/SHA-256 signing with RFC 6979 nonces. Portable: the hash and
// the scalar multiplication k·G are injected (Moddable's native `ec` on the
// device, @noble/curves in host tests), the rest is BigInt arithmetic mod n.
import type { NewSha256 } from './hmac.js';
import { bigintTo32, bytesToBigint, invertMod, P256 } from './p256.js';
import { rfc6979Nonces } from './rfc6979.js';

/** The x coordinate of k·G on P-256, for 1 ≤ k < n (affine, < p). */
export type MulBaseX = (k: bigint) => bigint;

export interface P256SignerDeps {
  sha256: NewSha256;
  mulBaseX: MulBaseX;
}

const HALF_N = P256.n >> 1n;

/**
 * Signs SHA-256(message) with private scalar d: raw r || s, 64 bytes, always
 * low-S (s ≤ n/2; the twin (r, n − s) is equally valid, so a verifier that
 * insists on one form sees exactly one signature per record).
 *
 * Deterministic by default: the same (d, message) gives the same bytes on
 * any boot, with no randomness at all; the nonce is unpredictable to anyone
 * without d, and different messages get unrelated nonces. `extraEntropy`
 * (RFC 6979 §3.6's k') hedges it, e.g. against fault attacks, but then the
 * same record signed twice gives two different signatures.
 */
export function signP256(deps: P256SignerDeps, d: bigint, message: Uint8Array, extraEntropy?: Uint8Array): Uint8Array {
  const n = P256.n;
  const h1 = deps.sha256().update(message).digest();
  // ECDSA's e: the leftmost 256 bits of the hash (all of it for P-256), taken mod n below.
  const e = bytesToBigint(h1);
  const nextK = rfc6979Nonces(deps.sha256, d, h1, extraEntropy);
  for (;;) {
    const k = nextK();
    const r = deps.mulBaseX(k) % n;
    if (r === 0n) continue; // §3.4: k must give r ≠ 0
    let s = (invertMod(k, n) * ((e + r * d) % n)) % n;
    if (s === 0n) continue; // §2.4: s = 0 needs a new k
    if (s > HALF_N) s = n - s;
    const sig = new Uint8Array(64);
    sig.set(bigintTo32(r), 0);
    sig.set(bigintTo32(s), 32);
    return sig;
  }
}

// ⌊n/2⌋ as 32 big-endian bytes: isLowS compares bytes, no BigInt per check.
const HALF_N_BYTES = bigintTo32(HALF_N);

/**
 * True when the raw r || s signature's s is in the lower half, [1, ⌊n/2⌋]:
 * roam's one canonical form of an ECDSA P-256 signature. ECDSA itself accepts
 * (r, s) and its twin (r, n − s) alike (neither COSE ES256, RFC 9053 §2.1, nor
 * OCMF chooses), so a third party can turn any signed record into a second,
 * different byte string that verifies. Every roam signer writes low-S and every
 * HAL Crypto.verifyP256 refuses the high-S twin, so each record, image,
 * differential and rotation has exactly one valid signature.
 */
export function isLowS(signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  let i = 0;
  while (i < 32 && signature[32 + i] === HALF_N_BYTES[i]) i++;
  if (i < 32 && signature[32 + i] > HALF_N_BYTES[i]) return false; // s > ⌊n/2⌋
  for (let k = 32; k < 64; k++) if (signature[k] !== 0) return true;
  return false; // s = 0
}

/** The low-S twin of a raw r || s signature ((r, n − s) when s > n/2); a copy. */
export function toLowS(signature: Uint8Array): Uint8Array {
  if (signature.length !== 64) throw new RangeError('expected a raw r || s signature (64 bytes)');
  const out = signature.slice();
  const s = bytesToBigint(signature.subarray(32));
  if (s > HALF_N && s < P256.n) out.set(bigintTo32(P256.n - s), 32);
  return out;
}
