import type { Sha256 } from '../../hal/crypto.js';
import type { HostPlatform } from '../hal/index.js';
import { Op, WITH_PAYLOAD } from './bridge-wire.js';

/** Serves the requests of xs-platform.ts from a host platform (its flash, clock and crypto). */
export function serveBridge(platform: HostPlatform): (req: Uint8Array) => Uint8Array {
  const openRegions: string[] = [];
  const hashes = new Map<number, Sha256>();
  let nextHash = 1;
  let verifyKey: Uint8Array | undefined;
  // A header with WITH_PAYLOAD waits here for the message carrying its bytes.
  let pending: { op: Op; args: number[] } | undefined;

  const ok = (payload: Uint8Array = new Uint8Array(0)) => {
    const out = new Uint8Array(1 + payload.length);
    out.set(payload, 1);
    return out;
  };
  const u32s = (...values: number[]) => {
    const out = new Uint8Array(4 * values.length);
    values.forEach((v, i) => new DataView(out.buffer).setUint32(4 * i, v, true));
    return out;
  };
  const f64 = (value: number, extra?: number) => {
    const out = new Uint8Array(extra === undefined ? 8 : 9);
    new DataView(out.buffer).setFloat64(0, value, true);
    if (extra !== undefined) out[8] = extra;
    return out;
  };

  function serve(op: Op, arg: number[], payload: Uint8Array): Uint8Array {
    const region = () => platform.flash(openRegions[arg[0]]);
    switch (op) {
      case Op.FlashOpen: {
        const r = platform.flash(new TextDecoder().decode(payload));
        openRegions.push(r.name);
        return ok(u32s(openRegions.length - 1, r.byteLength, r.blockSize));
      }
      case Op.FlashRead: return ok(region().read(arg[1], arg[2]));
      case Op.FlashWrite: region().write(arg[1], payload); return ok();
      case Op.FlashErase: region().erase(arg[1]); return ok();
      case Op.FlashMap: return ok(region().map!());
      case Op.ShaNew: hashes.set(nextHash, platform.crypto.sha256()); return ok(u32s(nextHash++));
      case Op.ShaUpdate: hashes.get(arg[0])!.update(payload); return ok();
      case Op.ShaDigest: { const d = hashes.get(arg[0])!.digest(); hashes.delete(arg[0]); return ok(d); }
      case Op.ShaOnce: return ok(platform.crypto.sha256(payload).digest());
      case Op.VerifyKey: verifyKey = payload.slice(); return ok();
      case Op.VerifyP256: {
        const key = verifyKey;
        verifyKey = undefined;
        if (!key) throw new Error('verifyP256 without a key');
        return ok(Uint8Array.of(platform.crypto.verifyP256(key.subarray(0, 65), payload, key.subarray(65)) ? 1 : 0));
      }
      case Op.Wall: { const w = platform.clock.wall(); return ok(f64(w.ms, w.quality.charCodeAt(0))); }
      case Op.Monotonic: return ok(f64(platform.clock.monotonic()));
      case Op.Random: return ok(platform.random.bytes(arg[0]));
      default: throw new Error(`unknown bridge op ${op}`);
    }
  }

  return (req) => {
    try {
      if (pending) {
        const { op, args } = pending;
        pending = undefined;
        const [offset, length] = args.slice(-2);
        return serve(op, args.slice(0, -2), req.subarray(offset, offset + length));
      }
      const view = new DataView(req.buffer, req.byteOffset, req.byteLength);
      const args: number[] = [];
      for (let i = 1; i + 4 <= req.length; i += 4) args.push(view.getUint32(i, true));
      if (req[0] & WITH_PAYLOAD) {
        pending = { op: req[0] & ~WITH_PAYLOAD, args };
        return ok();
      }
      return serve(req[0], args, new Uint8Array(0));
    } catch (e) {
      const err = e as Error;
      const text = new TextEncoder().encode(`${err.name}\0${err.message}`);
      const out = new Uint8Array(1 + text.length);
      out[0] = 1;
      out.set(text, 1);
      return out;
    }
  };
}
