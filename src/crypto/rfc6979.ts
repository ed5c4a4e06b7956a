// Deterministic nonces for ECDSA P-256 with SHA-256: RFC 6979 §3.2, the
// HMAC_DRBG of NIST SP 800-90A keyed by the private key and the message hash.
// With P-256 and SHA-256, qlen = hlen = 256: one HMAC output is one candidate
// (step h.2 loops once) and bits2int is plain big-endian decoding.
import { hmacSha256, type NewSha256 } from './hmac.js';
import { bigintTo32, bytesToBigint, P256 } from './p256.js';

const ZERO = Uint8Array.of(0x00);
const ONE = Uint8Array.of(0x01);

/**
 * The candidate nonces for private key x and message hash h1, in RFC order:
 * each call returns the next k in [1, n−1]. The caller takes the first and
 * calls again only when k is unsuitable (r = 0 or s = 0, §3.4 and §2.4).
 *
 * `extra` is §3.6's additional data k', appended to the HMAC input of steps d
 * and f. Without it the nonce is a function of (x, h1) alone.
 */
export function rfc6979Nonces(newHash: NewSha256, x: bigint, h1: Uint8Array, extra?: Uint8Array): () => bigint {
  const n = P256.n;
  if (x <= 0n || x >= n) throw new RangeError('private key out of range');
  if (h1.length !== 32) throw new RangeError('h1 must be a SHA-256 digest');
  const hmac = (key: Uint8Array, ...parts: Uint8Array[]) => hmacSha256(newHash, key, ...parts);
  // bits2octets(h1) = int2octets(bits2int(h1) mod q) (§2.3.4); h1 < 2^256 < 2q, so one subtraction.
  let z = bytesToBigint(h1);
  if (z >= n) z -= n;
  const seed = extra ? [bigintTo32(x), bigintTo32(z), extra] : [bigintTo32(x), bigintTo32(z)];

  let V: Uint8Array = new Uint8Array(32).fill(0x01); // step b
  let K: Uint8Array = new Uint8Array(32); // step c: 0x00 …
  K = hmac(K, V, ZERO, ...seed); // step d
  V = hmac(K, V); // step e
  K = hmac(K, V, ONE, ...seed); // step f
  V = hmac(K, V); // step g
  let first = true;
  return () => {
    for (;;) {
      // Step h.3's "otherwise": every candidate after the first reseeds.
      if (!first) {
        K = hmac(K, V, ZERO);
        V = hmac(K, V);
      }
      first = false;
      V = hmac(K, V); // h.1–h.2: T = V, since tlen = hlen = qlen
      const k = bytesToBigint(V); // h.3
      if (k >= 1n && k < n) return k;
    }
  };
}
