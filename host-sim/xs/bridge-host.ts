import type { Sha256 } from '../../hal/crypto.js';
import type { HostPlatform } from '../hal/index.js';
import { Op } from './bridge-wire.js';

/** Serves the requests of xs-platform.ts from a host platform (its flash, clock and crypto). */
export function serveBridge(platform: HostPlatform): (req: Uint8Array) => Uint8Array {
  const openRegions: string[] = [];
  const hashes = new Map<number, Sha256>();
  let nextHash = 1;
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
  return (req) => {
    const view = new DataView(req.buffer, req.byteOffset, req.byteLength);
    const arg = (i: number) => view.getUint32(1 + 4 * i, true);
    const rest = (n: number) => req.subarray(1 + 4 * n);
    try {
      switch (req[0] as Op) {
        case Op.FlashOpen: {
          const name = new TextDecoder().decode(rest(0));
          const r = platform.flash(name);
          openRegions.push(name);
          return ok(u32s(openRegions.length - 1, r.byteLength, r.blockSize));
        }
        case Op.FlashRead: return ok(platform.flash(openRegions[arg(0)]).read(arg(1), arg(2)));
        case Op.FlashWrite: platform.flash(openRegions[arg(0)]).write(arg(1), rest(2)); return ok();
        case Op.FlashErase: platform.flash(openRegions[arg(0)]).erase(arg(1)); return ok();
        case Op.FlashMap: return ok(platform.flash(openRegions[arg(0)]).map!());
        case Op.ShaNew: hashes.set(nextHash, platform.crypto.sha256()); return ok(u32s(nextHash++));
        case Op.ShaUpdate: hashes.get(arg(0))!.update(rest(1)); return ok();
        case Op.ShaDigest: { const d = hashes.get(arg(0))!.digest(); hashes.delete(arg(0)); return ok(d); }
        case Op.ShaOnce: return ok(platform.crypto.sha256(rest(0)).digest());
        case Op.VerifyP256: {
          const p = rest(0);
          return ok(Uint8Array.of(platform.crypto.verifyP256(p.subarray(0, 65), p.subarray(129), p.subarray(65, 129)) ? 1 : 0));
        }
        case Op.Wall: {
          const w = platform.clock.wall();
          const out = new Uint8Array(9);
          new DataView(out.buffer).setFloat64(0, w.ms, true);
          out[8] = w.quality.charCodeAt(0);
          return ok(out);
        }
        case Op.Monotonic: {
          const out = new Uint8Array(8);
          new DataView(out.buffer).setFloat64(0, platform.clock.monotonic(), true);
          return ok(out);
        }
        case Op.Random: return ok(platform.random.bytes(arg(0)));
        default: throw new Error(`unknown bridge op ${req[0]}`);
      }
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
