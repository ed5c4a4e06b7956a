// Typed errors of the sessions capability. Every one is thrown before anything
// is written, so a caller that catches it finds stored state unchanged.

/** A record that cannot be encoded, decoded or verified. */
export class RecordError extends Error {
  constructor(readonly code: RecordErrorCode, message: string) {
    super(message);
    // Defined, not assigned: on a device preloading freezes Error.prototype, and
    // `this.name = …` then throws ("set name: not writable") instead of naming the error.
    Object.defineProperty(this, 'name', { value: 'RecordError', writable: true, enumerable: true, configurable: true });
  }
}
export type RecordErrorCode = 'invalid-field' | 'too-large' | 'malformed' | 'bad-signature' | 'wrong-device';

/** A chain of records with a gap, a fork or a bad record at `index`. */
export class ChainError extends Error {
  constructor(readonly code: 'gap' | 'broken-link' | 'bad-record', readonly index: number, readonly seq: number | undefined, message: string) {
    super(message);
    Object.defineProperty(this, 'name', { value: 'ChainError', writable: true, enumerable: true, configurable: true });
  }
}

/** The journal refused an operation. */
export class JournalError extends Error {
  constructor(readonly code: JournalErrorCode, message: string) {
    super(message);
    Object.defineProperty(this, 'name', { value: 'JournalError', writable: true, enumerable: true, configurable: true });
  }
}
export type JournalErrorCode = 'not-recovered' | 'full' | 'bad-record' | 'unreadable-record' | 'bad-ack' | 'no-signer' | 'bad-region';

/** The session state machine refused an event. */
export class SessionError extends Error {
  constructor(readonly code: SessionErrorCode, message: string) {
    super(message);
    Object.defineProperty(this, 'name', { value: 'SessionError', writable: true, enumerable: true, configurable: true });
  }
}
export type SessionErrorCode = 'not-accepted' | 'busy' | 'no-session' | 'bad-state' | 'unknown-connector' | 'journal-full' | 'bad-cap';
