// P-256 (secp256r1) domain parameters (SEC 2 §2.4.2, FIPS 186-4 D.1.2.3) and
// the few scalar helpers the signer needs, in plain BigInt.

export const P256 = {
  /** Field prime. */
  p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
  /** a = p − 3. */
  a: 0xffffffff00000001000000000000000000000000fffffffffffffffffffffffcn,
  b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  /** Base point G. */
  Gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  Gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
  /** Order of G (prime, 256 bits: qlen = 256 in RFC 6979's terms). */
  n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
} as const;

/** Big-endian bytes → integer (RFC 6979 §2.3.2 bits2int, for 256-bit inputs). */
export function bytesToBigint(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = 0; i < bytes.length; i++) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

/** Integer → 32 big-endian bytes (§2.3.3 int2octets with rlen = 256); v must be < 2^256. */
export function bigintTo32(v: bigint): Uint8Array {
  if (v < 0n || v >> 256n !== 0n) throw new RangeError('value does not fit 32 bytes');
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * a⁻¹ mod m by the extended Euclidean algorithm: a handful of BigInt divisions,
 * cheap on XS (a Fermat exponentiation would be ~256 modular squarings in JS).
 * Not constant-time; neither is Moddable's native scalar multiplication.
 */
export function invertMod(a: bigint, m: bigint): bigint {
  let r0 = m;
  let r1 = ((a % m) + m) % m;
  let t0 = 0n;
  let t1 = 1n;
  while (r1 !== 0n) {
    const q = r0 / r1;
    const r2 = r0 - q * r1;
    r0 = r1;
    r1 = r2;
    const t2 = t0 - q * t1;
    t0 = t1;
    t1 = t2;
  }
  if (r0 !== 1n) throw new RangeError('not invertible');
  return t0 < 0n ? t0 + m : t0;
}
