export interface Sha256 {
  update(data: Uint8Array): Sha256;
  /** The 32-byte digest; the hash may not be updated afterwards. */
  digest(): Uint8Array;
}

/**
 * SHA-256 and ECDSA P-256 (the one curve the Moddable SDK signs with on device).
 * Public keys are SEC1 uncompressed (65 bytes); signatures are raw r || s
 * (64 bytes), the form COSE ES256 uses.
 */
export interface Crypto {
  sha256(data?: Uint8Array): Sha256;
  /**
   * ECDSA P-256 / SHA-256 over `message`. True only for a low-S signature
   * (s ≤ ⌊n/2⌋, src/crypto `isLowS`): the twin (r, n − s) of a valid signature
   * is refused, so every signed thing roam checks has one valid signature.
   * Every implementation applies it; signers (src/crypto, NodeSigner) write low-S.
   */
  verifyP256(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

/** The device's own key: it signs, it never hands out the private part. */
export interface Signer {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

export interface Random {
  bytes(length: number): Uint8Array;
}
