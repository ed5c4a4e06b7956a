/** One presentation of a card, as the reader saw it (byte order as the reader delivers it). */
export interface Tap {
  reader: string;
  uid: Uint8Array;
}

export interface RfidReader {
  onTap?: (tap: Tap) => void;
  close(): void;
}
