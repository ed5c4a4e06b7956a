// Runs inside XS: the Platform of hal/ served by the host through issueCommand,
// as a device's native modules (flash, crypt, time) serve its JavaScript.
import type { Clock, TimeQuality, TimerId } from '../../hal/clock.js';
import type { Crypto, Random, Sha256 } from '../../hal/crypto.js';
import { FlashError, type FlashRegion } from '../../hal/flash.js';
import type { Platform } from '../../hal/index.js';
import type { TokenSearch } from '../../hal/token-search.js';
import { Op, request, WITH_PAYLOAD } from './bridge-wire.js';

declare function issueCommand(message: ArrayBuffer): ArrayBuffer;

class HostError extends Error {}

/** One host call; the answer is a view of the reply (no copy in JavaScript). */
function call(op: Op, args: number[], payload?: Uint8Array): Uint8Array {
  let reply: ArrayBuffer;
  if (payload) {
    issueCommand(request(op | WITH_PAYLOAD, [...args, payload.byteOffset, payload.byteLength]).buffer as ArrayBuffer);
    reply = issueCommand(payload.buffer as ArrayBuffer);
  } else {
    reply = issueCommand(request(op, args).buffer as ArrayBuffer);
  }
  const res = new Uint8Array(reply);
  if (res[0] === 0) return res.subarray(1);
  const text = new TextDecoder().decode(res.subarray(1));
  const [name, message] = text.split('\0');
  if (name === 'FlashError') {
    const e = new FlashError('', '');
    e.message = message;
    throw e;
  }
  const e = new HostError(message);
  e.name = name;
  throw e;
}

const u32 = (b: Uint8Array, i: number) => new DataView(b.buffer, b.byteOffset).getUint32(i, true);

class BridgedFlash implements FlashRegion {
  private mapped?: Uint8Array;
  constructor(readonly name: string, private readonly id: number, readonly byteLength: number, readonly blockSize: number) {}
  read(offset: number, byteLength: number): Uint8Array {
    return call(Op.FlashRead, [this.id, offset, byteLength]);
  }
  write(offset: number, data: Uint8Array): void {
    this.mapped = undefined;
    call(Op.FlashWrite, [this.id, offset], data);
  }
  erase(block: number): void {
    this.mapped = undefined;
    call(Op.FlashErase, [this.id, block]);
  }
  // Fetched once and kept until this region is written: mapped flash on a device
  // is address space, not heap, so runners take it before measuring.
  map(): Uint8Array {
    return (this.mapped ??= call(Op.FlashMap, [this.id]));
  }
}

class XsClock implements Clock {
  private timers = new Map<TimerId, { at: number; every?: number; callback: () => void }>();
  private nextId = 1;
  wall() {
    const r = call(Op.Wall, []);
    return { ms: new DataView(r.buffer, r.byteOffset).getFloat64(0, true), quality: String.fromCharCode(r[8]) as TimeQuality };
  }
  monotonic(): number {
    const r = call(Op.Monotonic, []);
    return new DataView(r.buffer, r.byteOffset).getFloat64(0, true);
  }
  setTimer(ms: number, callback: () => void, repeat = false): TimerId {
    const id = this.nextId++;
    this.timers.set(id, { at: this.monotonic() + ms, every: repeat ? Math.max(1, ms) : undefined, callback });
    return id;
  }
  clearTimer(id: TimerId): void {
    this.timers.delete(id);
  }
  /** The host calls this after moving time, as a device's event loop would fire timers. */
  runDue(): void {
    const now = this.monotonic();
    for (const [id, t] of [...this.timers].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at > now) continue;
      if (t.every) t.at += t.every;
      else this.timers.delete(id);
      t.callback();
    }
  }
}

const xsCrypto: Crypto = {
  sha256(data?: Uint8Array): Sha256 {
    const id = u32(call(Op.ShaNew, []), 0);
    const h: Sha256 = {
      update(chunk) { call(Op.ShaUpdate, [id], chunk); return h; },
      digest: () => call(Op.ShaDigest, [id]),
    };
    if (data) h.update(data);
    return h;
  },
  // Served by the host's Crypto (node-crypto.ts), which refuses high-S as every verifyP256 does.
  verifyP256(publicKey, message, signature) {
    if (publicKey.length !== 65 || signature.length !== 64) return false;
    // Key and signature are small: copied into the call; the message travels as is.
    const keyAndSig = new Uint8Array(129);
    keyAndSig.set(publicKey, 0);
    keyAndSig.set(signature, 65);
    call(Op.VerifyKey, [], keyAndSig);
    return call(Op.VerifyP256, [], message)[0] === 1;
  },
};

/** One-shot SHA-256 in a single host call: what a device's native Digest costs. */
export function sha256Once(data: Uint8Array): Uint8Array {
  return call(Op.ShaOnce, [], data);
}

const xsRandom: Random = { bytes: (n) => call(Op.Random, [n]) };

/** roam's XS engine has the firmware's native token search built in (build-xsnap.mjs). */
declare const roamTokenSearch: TokenSearch | undefined;

/** `native`: false for the portable token search only (what a platform without the C module runs). */
export function xsPlatform(options: { native?: boolean } = {}): Platform & { clock: XsClock } {
  const regions = new Map<string, BridgedFlash>();
  const tokenSearch = options.native === false || typeof roamTokenSearch !== 'function' ? undefined : roamTokenSearch;
  return {
    clock: new XsClock(),
    crypto: xsCrypto,
    random: xsRandom,
    tokenSearch,
    flash(name) {
      let r = regions.get(name);
      if (!r) {
        const info = call(Op.FlashOpen, [], new TextEncoder().encode(name));
        r = new BridgedFlash(name, u32(info, 0), u32(info, 4), u32(info, 8));
        regions.set(name, r);
      }
      return r;
    },
  };
}
