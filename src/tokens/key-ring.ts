import type { Crypto } from '../../hal/crypto.js';
import { equalBytes, toHex } from '../codec/bytes.js';
import { TokenUpdateError } from './errors.js';
import { keyFingerprint, openKeyRotation } from './key-rotation.js';
import { MAX_REVOKED, type SlotSelector } from './selector.js';

/**
 * The backend key images and differentials must verify with: the provisioned
 * one (sequence 0) until a signed rotation is stored. The key state lives in
 * the selector (its record is the rotation's atomic step); the ring keeps no
 * copy of it.
 */
export class KeyRing {
  private keyId: string;

  constructor(private readonly selector: SlotSelector, private readonly crypto: Crypto, private readonly provisioned: Uint8Array) {
    this.keyId = this.idOf(this.key);
  }

  /** The key in force. */
  get key(): Uint8Array {
    return this.selector.keyState?.key ?? this.provisioned;
  }

  /** Sequence of the key in force: 0 = the provisioned key. */
  get seq(): number {
    return this.selector.keyState?.seq ?? 0;
  }

  /** First 8 bytes of the SHA-256 of the key in force, hex. */
  get id(): string {
    return this.keyId;
  }

  /** Fingerprints of revoked keys (at most MAX_REVOKED). */
  get revoked(): Uint8Array[] {
    return this.selector.keyState?.revoked ?? [];
  }

  /**
   * Applies a signed key rotation (src/tokens/key-rotation.ts): it must verify
   * with the key in force, carry a greater sequence, name another key that was
   * never revoked. Persisted as one selector record, then in force. Returns the
   * new key sequence. Throws TokenUpdateError; nothing changes then.
   */
  rotate(bytes: Uint8Array): number {
    const r = openKeyRotation(bytes, this.crypto, this.key);
    if (r.seq <= this.seq) throw new TokenUpdateError('KEY_ROLLBACK', `key rotation ${r.seq} is not newer than key ${this.seq} in force`);
    if (equalBytes(r.key, this.key)) throw new TokenUpdateError('KEY_UNCHANGED', `key rotation ${r.seq} names the key already in force`);
    const fp = keyFingerprint(this.crypto, r.key);
    if (this.revoked.some((f) => equalBytes(f, fp))) throw new TokenUpdateError('KEY_REVOKED', `key rotation ${r.seq} names a revoked key`);
    // Bounded: past 8, the oldest revocation is forgotten (keys are not reused in practice).
    const revoked = r.revoke ? [...this.revoked, keyFingerprint(this.crypto, this.key)].slice(-MAX_REVOKED) : this.revoked;
    this.selector.setKey({ seq: r.seq, key: r.key, revoked });
    this.keyId = this.idOf(r.key);
    return r.seq;
  }

  private idOf(key: Uint8Array): string {
    return toHex(keyFingerprint(this.crypto, key).subarray(0, 8)).toLowerCase();
  }
}
