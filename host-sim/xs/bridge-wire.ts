// The wire format between XS code and the host services it calls through
// issueCommand(): [op u8][u32 LE args…][payload], answered by [status u8][payload]
// (status 1: an error, payload "Name\0message"). Portable: used on both sides.
export const enum Op {
  FlashOpen = 1, FlashRead, FlashWrite, FlashErase, FlashMap,
  ShaNew, ShaUpdate, ShaDigest, ShaOnce,
  VerifyP256, Wall, Monotonic, Random,
}

export function request(op: Op, args: number[], payload?: Uint8Array): Uint8Array {
  const head = 1 + 4 * args.length;
  const out = new Uint8Array(head + (payload ? payload.length : 0));
  const view = new DataView(out.buffer);
  out[0] = op;
  for (let i = 0; i < args.length; i++) view.setUint32(1 + 4 * i, args[i], true);
  if (payload) out.set(payload, head);
  return out;
}
