// Bit-packed fields of the table, most significant bit first. Widths go up to
// 48 bits, so values are doubles (exact to 2^53), never BigInt (slow on XS).

/** Reads `width` (≤ 48) bits at bit position `pos`. */
export function readBits(b: Uint8Array, pos: number, width: number): number {
  if (width === 0) return 0;
  let i = pos >>> 3;
  const avail = 8 - (pos & 7);
  let v = b[i] & (0xff >> (pos & 7));
  if (width <= avail) return v >> (avail - width);
  let left = width - avail;
  i++;
  while (left >= 8) {
    v = v * 256 + b[i++];
    left -= 8;
  }
  if (left > 0) v = v * (1 << left) + (b[i] >> (8 - left));
  return v;
}

/** Set bits per byte value: lets the lookup skip whole bytes of a unary code. */
export const POPCOUNT = (() => {
  const t = new Uint8Array(256);
  for (let i = 1; i < 256; i++) t[i] = (i & 1) + t[i >> 1];
  return t;
})();

export class BitWriter {
  private buf = new Uint8Array(4096);
  bitLength = 0;

  write(value: number, width: number): void {
    this.reserve(width);
    while (width > 0) {
      const room = 8 - (this.bitLength & 7);
      const n = width < room ? width : room;
      const scale = Math.pow(2, width - n);
      const top = Math.floor(value / scale);
      value -= top * scale;
      this.buf[this.bitLength >>> 3] |= top << (room - n);
      this.bitLength += n;
      width -= n;
    }
  }

  /** Sets bit `pos` (absolute, may be ahead of bitLength; bitLength moves past it). */
  setBit(pos: number): void {
    this.reserve(pos + 1 - this.bitLength);
    this.buf[pos >>> 3] |= 0x80 >> (pos & 7);
    if (pos + 1 > this.bitLength) this.bitLength = pos + 1;
  }

  skip(bits: number): void {
    this.reserve(bits);
    this.bitLength += bits;
  }

  alignByte(): void {
    this.bitLength = (this.bitLength + 7) & ~7;
  }

  get byteLength(): number {
    return (this.bitLength + 7) >>> 3;
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.byteLength);
  }

  private reserve(bits: number): void {
    const need = ((this.bitLength + bits) >>> 3) + 1;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf);
    this.buf = next;
  }
}
