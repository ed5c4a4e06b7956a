// CRC-32 (IEEE 802.3, reflected, as zlib computes it), hand-written rather than
// taken from a package: the journal frames every entry with it and the token
// store's selector and overlay records use it (a torn write must read as
// garbage; too small to be worth a SHA call), so it must be tiny,
// allocation-free and fast on XS on a microcontroller. The 1 KiB table is
// built once, lazily.
let table: Uint32Array | undefined;

function makeTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

/** CRC-32 of bytes[start, end). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = (table ??= makeTable());
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
