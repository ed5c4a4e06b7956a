// Typed errors: callers branch on `code`, people read `message`.

export type UidErrorCode =
  | 'EMPTY' // no bytes at all
  | 'BAD_LENGTH' // not 4, 7 or 10 bytes
  | 'NOT_HEX' // hex input with other characters or an odd count
  | 'NOT_DECIMAL' // decimal input with other characters
  | 'TOO_LARGE' // decimal number does not fit the configured length
  | 'RANDOM_UID' // 4-byte UID starting 0x08: a fresh random UID per tap, never a card identity
  | 'BAD_TEXT'; // verbatim input that is not 1..36 printable ASCII characters

export class UidError extends Error {
  constructor(readonly code: UidErrorCode, message: string) {
    super(message);
    // Defined, not assigned: on a device preloading freezes Error.prototype, and
    // `this.name = …` then throws ("set name: not writable") instead of naming the error.
    Object.defineProperty(this, 'name', { value: 'UidError', writable: true, enumerable: true, configurable: true });
  }
}

export type TokenUpdateErrorCode =
  | 'BAD_SIGNATURE' // signature does not verify with the backend key in force (wrong key, altered bytes)
  | 'BAD_HASH' // body does not match the SHA-256 in the signed header
  | 'BAD_FORMAT' // not an image / differential of a known format, or inconsistent inside
  | 'TRUNCATED' // fewer bytes than announced
  | 'OVERSIZED' // more bytes than announced, or more than the slot holds
  | 'BAD_OFFSET' // a chunk that leaves a gap
  | 'NO_UPDATE' // writeChunk/commit without beginFull
  | 'ROLLBACK' // version not newer than the one in force
  | 'VERSION_MISMATCH' // differential does not follow the version in force: send a full image
  | 'OVERLAY_FULL' // differential overlay past its bound: send a full image
  | 'NOT_PRESENT' // differential removes or changes a token that is not on the list
  | 'ALREADY_PRESENT' // differential adds a token that is already on the list
  | 'UNKNOWN_PARTNER' // differential names a partner the table does not have
  | 'BAD_KEY' // key rotation names something that is not a SEC1 uncompressed P-256 key
  | 'KEY_ROLLBACK' // key rotation's sequence not greater than the one in force (a replay)
  | 'KEY_UNCHANGED' // key rotation to the key already in force
  | 'KEY_REVOKED'; // key rotation to a key revoked earlier

/** A rejected list update. Nothing of it took effect. */
export class TokenUpdateError extends Error {
  constructor(readonly code: TokenUpdateErrorCode, message: string) {
    super(message);
    Object.defineProperty(this, 'name', { value: 'TokenUpdateError', writable: true, enumerable: true, configurable: true });
  }

  /** The backend must resend a full image (OCPP's VersionMismatch answer). */
  get needsFullImage(): boolean {
    return this.code === 'VERSION_MISMATCH' || this.code === 'OVERLAY_FULL';
  }
}

/** Input the compiler cannot work with at all (not a per-token problem: those are reported). */
export class CompileError extends Error {
  constructor(message: string) {
    super(message);
    Object.defineProperty(this, 'name', { value: 'CompileError', writable: true, enumerable: true, configurable: true });
  }
}
