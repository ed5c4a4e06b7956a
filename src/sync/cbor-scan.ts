import { SyncDecodeError } from './errors.js';

export interface CborBounds {
  /** Deepest nesting of arrays and maps; the top-level item is depth 1. */
  maxDepth: number;
  /** Most data items in the whole message. */
  maxItems: number;
}

/**
 * Walks CBOR without building values, before cbor-x sees it: refuses nesting
 * past maxDepth (cbor-x recurses, and XS's stack is small), more than maxItems
 * items, truncation, trailing bytes, tags and indefinite lengths (no roam
 * message uses them, so refusing them keeps the decoder's surface small).
 * Iterative: the walk itself cannot be made to recurse.
 */
export function scanCbor(bytes: Uint8Array, bounds: CborBounds): void {
  // remaining[d] = items still expected in the container open at depth d.
  const remaining: number[] = [1];
  let pos = 0;
  let items = 0;
  while (remaining.length > 0) {
    if (remaining[remaining.length - 1] === 0) {
      remaining.pop();
      continue;
    }
    remaining[remaining.length - 1]--;
    if (++items > bounds.maxItems) throw new SyncDecodeError('too-many', `more than ${bounds.maxItems} CBOR items`);
    if (pos >= bytes.length) throw new SyncDecodeError('malformed', `CBOR truncated at byte ${pos}`);
    const head = bytes[pos++];
    const major = head >> 5;
    const info = head & 31;
    let arg: number;
    if (info < 24) arg = info;
    else if (info <= 27) {
      const n = 1 << (info - 24);
      if (pos + n > bytes.length) throw new SyncDecodeError('malformed', `CBOR truncated at byte ${pos}`);
      arg = 0;
      for (let i = 0; i < n; i++) arg = arg * 256 + bytes[pos + i];
      pos += n;
    } else if (info === 31) throw new SyncDecodeError('unsupported', `indefinite-length CBOR item at byte ${pos - 1}`);
    else throw new SyncDecodeError('malformed', `reserved CBOR additional info ${info} at byte ${pos - 1}`);
    switch (major) {
      case 0: case 1: case 7:
        break; // integers, simple values and floats: the argument is the value
      case 2: case 3:
        if (arg > bytes.length - pos) throw new SyncDecodeError('malformed', `CBOR string of ${arg} bytes truncated at byte ${pos}`);
        pos += arg;
        break;
      case 4: case 5: {
        const count = major === 5 ? arg * 2 : arg;
        // Each item takes at least one byte: a count past the bytes left is a lie, refuse before looping.
        if (count > bytes.length - pos) throw new SyncDecodeError('malformed', `CBOR container of ${arg} entries truncated at byte ${pos}`);
        // The container being opened sits at depth remaining.length.
        if (remaining.length > bounds.maxDepth) throw new SyncDecodeError('too-deep', `CBOR nested deeper than ${bounds.maxDepth}`);
        if (count > 0) remaining.push(count);
        break;
      }
      default:
        throw new SyncDecodeError('unsupported', `CBOR tag at byte ${pos - 1}`);
    }
  }
  if (pos !== bytes.length) throw new SyncDecodeError('malformed', `${bytes.length - pos} bytes after the CBOR item`);
}
