// RFC 6979 Appendix A.2.5 ("ECDSA, 256 Bits (Prime Field)"), the SHA-256
// lines: key pair and the signatures of "sample" and "test", as printed.
import { bigintTo32, bytesToBigint, P256 } from '../../src/crypto/index.js';

export const RFC_KEY = {
  x: 0xc9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721n,
  Ux: 0x60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6n,
  Uy: 0x7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299n,
};

export interface RfcVector { message: string; k: bigint; r: bigint; s: bigint; lowS: bigint }

const vector = (message: string, k: bigint, r: bigint, s: bigint): RfcVector =>
  // The RFC prints the plain ECDSA s (it predates any low-S rule); roam emits
  // the low-S twin, n − s, whenever the printed s is above n/2.
  ({ message, k, r, s, lowS: s > P256.n >> 1n ? P256.n - s : s });

export const RFC_VECTORS: RfcVector[] = [
  // "With SHA-256, message = "sample"": s = F7CB… > n/2, so roam's s is n − s.
  vector('sample',
    0xa6e3c57dd01abe90086538398355dd4c3b17aa873382b0f24d6129493d8aad60n,
    0xefd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716n,
    0xf7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8n),
  // "With SHA-256, message = "test"": s = 019F… is already low.
  vector('test',
    0xd16b6ae827f17175e040871a1c7ec3500192c4c92677336ec2537acaee0008e0n,
    0xf1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367n,
    0x019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083n),
];

export const hex32 = (v: bigint) => v.toString(16).padStart(64, '0');

/** The high-S twin (r, n − s) of a low-S raw r || s signature: ECDSA verifies both, roam only the low one. */
export function highS(signature: Uint8Array): Uint8Array {
  const s = bytesToBigint(signature.subarray(32));
  if (s === 0n || s > P256.n >> 1n) throw new RangeError('highS: expected a low-S signature');
  const out = signature.slice();
  out.set(bigintTo32(P256.n - s), 32);
  return out;
}
