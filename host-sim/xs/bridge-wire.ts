// The wire format between XS code and the host services it calls through
// issueCommand(): [op u8][u32 LE args…], answered by [status u8][payload]
// (status 1: an error, payload "Name\0message"). Portable: used on both sides.
//
// A call that carries bytes (a flash write, a hash update) sets WITH_PAYLOAD in
// op, ends its args with the payload's byteOffset and byteLength, and then sends
// the payload's whole ArrayBuffer as a second message: XS copies nothing in
// JavaScript (XS meters copies per byte, and a device's native Flash.write or
// Digest takes the caller's buffer as it is).
export const WITH_PAYLOAD = 0x80;
export const enum Op {
  FlashOpen = 1, FlashRead, FlashWrite, FlashErase, FlashMap,
  ShaNew, ShaUpdate, ShaDigest, ShaOnce,
  VerifyP256, Wall, Monotonic, Random, VerifyKey,
}

export function request(op: number, args: number[]): Uint8Array {
  const out = new Uint8Array(1 + 4 * args.length);
  const view = new DataView(out.buffer);
  out[0] = op;
  for (let i = 0; i < args.length; i++) view.setUint32(1 + 4 * i, args[i], true);
  return out;
}
