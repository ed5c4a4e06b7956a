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
 * Integers must be what roam writes (src/codec/cbor.ts): CBOR integers of the
 * shortest form. A float (no roam field is one: an integer sent as a float is
 * refused here, not rounded into a number) and an integer with a longer
 * argument than it needs are 'unsupported'.
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
      case 0: case 1:
        // RFC 8949 §4.2.1: "Preferred serialization MUST be used. In particular, this means that
        // arguments (see Section 3) for integers … MUST be as short as possible, for instance:
        // 0 to 23 and -1 to -24 MUST be expressed in the same byte as the major type; 24 to 255 and
        // -25 to -256 MUST be expressed only with an additional uint8_t; …"
        if (info >= 24 && arg < (info === 24 ? 24 : info === 25 ? 0x100 : info === 26 ? 0x10000 : 0x100000000))
          throw new SyncDecodeError('unsupported', `CBOR integer ${major === 1 ? -1 - arg : arg} at byte ${pos - (1 << (info - 24)) - 1} is not in its shortest form`);
        break;
      case 7:
        // Simple values only (false, true, null, undefined); info 25-27 are half, single and double floats.
        if (info >= 25) throw new SyncDecodeError('unsupported', `CBOR float at byte ${pos - (1 << (info - 24)) - 1}: roam messages carry integers, never floats`);
        break;
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
