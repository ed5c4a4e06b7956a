// Bit-packed fields of the table, most significant bit first (the compiler's
// writer; the device reads them with 32-bit DataView reads in table.ts). Values
// are doubles (exact to 2^53), never BigInt (slow on XS).

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
