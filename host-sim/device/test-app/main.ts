// The device test app's main, on mcsim (the Moddable SDK's Linux simulator).
// Compiled by mcconfig's tsc against the SDK's own typings, like roam's
// modules. It runs every shared scenario on a Platform whose crypto is
// hal/moddable's (crypt SHA-256, ecdsa verify), then the device checks
// (host-sim/device/checks.ts) through hal/moddable's signer, settings and MQTT
// transport, and traces one line per result for the runner
// (host-sim/device/test-device.ts), which compares them with Node's.
//
// Lines: "@roam boot …", then per item "@roam via <name> <what ran where>",
// "@roam result <name> bytes=<n> sha256=<hex> ms=<n> slots=<n> chunks=<n>" or
// then "@roam hex <name> <offset> <hex>" lines holding the output, or
// "@roam error <name> <message>"; "@roam done items=<n> errors=<n>", then "@roam end".
import { Digest } from 'crypt';
import Instrumentation from 'instrumentation';
import Timer from 'timer';
import type { Crypto, Platform, Signer } from 'roam/hal/index';
import { exactBuffer, moddableCrypto, ModdableSigner } from 'roam/hal/moddable/crypto';
import { installTextGlobals } from 'roam/hal/moddable/globals';
import { PreferenceSettings } from 'roam/hal/moddable/settings';
import { ModdableMqttTransport } from 'roam/hal/moddable/transport';
import tokenSearch from 'roam/hal/moddable/token-search';

const line = (s: string) => trace(`@roam ${s}\n`);
const one = (s: string) => s.replace(/[\r\n]+/g, ' | ');

function heap(): string {
  const get = (name: 'XS Slot Heap Used' | 'XS Chunk Heap Used' | 'XS Keys Used' | 'XS Modules Loaded') => Instrumentation.get(Instrumentation.map(name)) ?? -1;
  return `slots=${get('XS Slot Heap Used')} chunks=${get('XS Chunk Heap Used')} keys=${get('XS Keys Used')} modules=${get('XS Modules Loaded')}`;
}

const HEX_LINE = 96;
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

function sha256Hex(bytes: Uint8Array): string {
  const d = new Digest('SHA256');
  d.write(exactBuffer(bytes));
  return hex(new Uint8Array(d.close()));
}

/** moddableCrypto, counting what went through it. */
function countingCrypto(counts: { sha256: number; verify: number }): Crypto {
  return {
    sha256(data?: Uint8Array) { counts.sha256++; return moddableCrypto.sha256(data); },
    verifyP256(publicKey, message, signature) { counts.verify++; return moddableCrypto.verifyP256(publicKey, message, signature); },
  };
}

async function item(name: string, run: () => Uint8Array | Promise<Uint8Array>, after?: () => string): Promise<boolean> {
  const start = Date.now();
  try {
    const out = await run();
    if (!(out instanceof Uint8Array)) throw new TypeError(`returned ${typeof out}, not a Uint8Array`);
    const ms = Date.now() - start;
    if (after) line(`used ${name} ${after()}`);
    line(`result ${name} bytes=${out.length} sha256=${sha256Hex(out)} ms=${ms} ${heap()}`);
    // The bytes themselves too, so the runner can show where a mismatch starts.
    for (let at = 0; at < out.length; at += HEX_LINE) line(`hex ${name} ${at} ${hex(out.subarray(at, at + HEX_LINE))}`);
    return true;
  } catch (e) {
    const err = e as Error;
    line(`error ${name} ${one(`${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`)}`);
    return false;
  }
}

async function main(): Promise<void> {
  installTextGlobals();
  line(`boot ${heap()}`);
  const T = await import('roam-device-tests');
  line(`loaded ${heap()} scenarios=${T.scenarios.length} checks=${T.checks.length}`);
  let items = 0;
  let errors = 0;

  for (const s of T.scenarios) {
    const counts = { sha256: 0, verify: 0 };
    const regions = new Map<string, InstanceType<typeof T.RamFlash>>();
    for (const [name, size] of Object.entries(s.partitions)) regions.set(name, new T.RamFlash(name, size));
    const platform: Platform = {
      clock: new T.VirtualClock(),
      random: new T.SeededRandom(s.seed ?? 1),
      crypto: countingCrypto(counts),
      tokenSearch,
      flash(name) {
        const r = regions.get(name);
        if (!r) throw new Error(`no flash partition named ${name}`);
        return r;
      },
    };
    const flash = regions.size === 0 ? 'none asked' : `in-RAM NOR ${[...regions.values()].map((r) => `${r.name}:${r.byteLength / 1024}K`).join(',')} (mcsim has no flash module)`;
    line(`via ${s.name} crypto=hal/moddable moddableCrypto (crypt Digest SHA-256, ecdsa verify); token search=hal/moddable/token-search.c; flash=${flash}; clock=VirtualClock; random=SeededRandom(${s.seed ?? 1})${(T.notes[s.name] ?? []).map((n) => `; ${n}`).join('')}`);
    items++;
    const ok = await item(s.name, () => s.run(platform), () => {
      const rw = [...regions.values()].reduce((a, r) => ({ reads: a.reads + r.reads, writes: a.writes + r.writes, erases: a.erases + r.erases }), { reads: 0, writes: 0, erases: 0 });
      return `sha256=${counts.sha256} verify=${counts.verify} flash reads=${rw.reads} writes=${rw.writes} erases=${rw.erases}`;
    });
    if (!ok) errors++;
  }

  const signer = (d: Uint8Array, q: Uint8Array): Signer => new ModdableSigner(d, q);
  const hal = {
    crypto: moddableCrypto,
    signer,
    settings: (domain: string) => new PreferenceSettings(domain),
    transport: (o: { host: string; port: number; id: string }) => new ModdableMqttTransport({ ...o, backoff: 500, maxBackoff: 2000 }),
    setTimeout: (callback: () => void, ms: number) => { Timer.set(callback, ms); },
    tokenSearch,
  };
  for (const c of T.checks) {
    line(`via ${c.name} ${c.device}`);
    items++;
    if (!(await item(c.name, () => c.run(hal, T.env)))) errors++;
  }
  line(`done items=${items} errors=${errors} ${heap()}`);
}

main().catch((e) => line(`error harness ${one(String((e as Error)?.stack ?? e))}`)).then(() => line('end'));
