/** One presentation of a card, as the reader saw it (byte order as the reader delivers it). */
export interface Tap {
  reader: string;
  uid: Uint8Array;
}

export interface RfidReader {
  onTap?: (tap: Tap) => void;
  /** The reader started failing (absent, unpowered, miswired): told once per change, never every poll. */
  onError?: (error: unknown) => void;
  /** A failing reader answers again. */
  onRecover?: () => void;
  close(): void;
}
