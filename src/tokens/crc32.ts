// CRC-32 (IEEE) for the small selector and overlay records: a torn write must
// read as garbage, and these records are too small to be worth a SHA call.
let table: Uint32Array | undefined;

export function crc32(b: Uint8Array, start = 0, end = b.length): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = table[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
