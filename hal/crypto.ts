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
