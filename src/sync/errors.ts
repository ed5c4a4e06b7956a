/** Why a message was refused; every decoder answers bad input with one of these and changes nothing. */
export type DecodeFault =
  | 'too-large' // the payload or its decompressed form is over the bound
  | 'too-deep' // CBOR nesting deeper than allowed
  | 'too-many' // more CBOR items than allowed
  | 'malformed' // not well-formed CBOR, truncated, trailing bytes, unknown frame
  | 'unsupported' // well-formed but uses what no roam message uses (tags, indefinite lengths)
  | 'schema'; // well-formed CBOR that is not the message it claims to be

export class SyncDecodeError extends Error {
  constructor(readonly fault: DecodeFault, message: string) {
    super(`${fault}: ${message}`);
    // Defined, not assigned: on a device preloading freezes Error.prototype, and
    // `this.name = …` then throws ("set name: not writable") instead of naming the error.
    Object.defineProperty(this, 'name', { value: 'SyncDecodeError', writable: true, enumerable: true, configurable: true });
  }
}

/** A device id or topic that cannot be used as one MQTT topic level. */
export class TopicError extends Error {
  constructor(message: string) {
    super(message);
    Object.defineProperty(this, 'name', { value: 'TopicError', writable: true, enumerable: true, configurable: true });
  }
}
