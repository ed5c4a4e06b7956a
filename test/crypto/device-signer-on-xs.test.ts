import { p256 } from '@noble/curves/nist.js';
import { createHash, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { p256PublicKey } from '../../host-sim/hal/node-crypto.js';
import { bundleWithModdableFakes } from '../../host-sim/moddable-fakes/bundle.js';
import { XsWorker, type XsMeter } from '../../host-sim/xs/worker.js';
import { bigintTo32, bytesToBigint, invertMod, isLowS, P256 } from '../../src/crypto/index.js';
import { SCENARIO_KEY } from '../sessions/noble-signer.js';
import { hex32, RFC_KEY, RFC_VECTORS } from './vectors.js';

// hal/moddable/crypto.ts → src/crypto inside the XS engine, on the Moddable
// fakes: `crypt` Digest and `ec` k·G are @noble in JS there (native C on a
// device). One XS machine is one boot: the fake `rng` starts from the same
// state each time, as Moddable's rng does on the Linux simulator.

const ENTRY = `
import { device } from './host-sim/moddable-fakes/device.ts';
import { Digest } from './host-sim/moddable-fakes/crypt.ts';
import Curve from './host-sim/moddable-fakes/curve.ts';
import EC from './host-sim/moddable-fakes/ec.ts';
import ECDSA from './host-sim/moddable-fakes/ecdsa.ts';
import ECPoint from './host-sim/moddable-fakes/ecp.ts';
import { ModdableSigner, bigintOf } from './hal/moddable/crypto.ts';
import { P256, signP256 } from './src/crypto/index.ts';
const g = globalThis as any;
Object.assign(g, { device, Digest, Curve, EC, ECDSA, ECPoint, ModdableSigner, bigintOf, P256, signP256 });
g.hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
g.unhex = (s: string) => Uint8Array.from(s.match(/../g)!.map((h) => parseInt(h, 16)));
g.utf8 = (s: string) => new TextEncoder().encode(s);
`;

let bundle: Promise<string> | undefined;

/** A fresh XS machine with the device code and the fakes: one boot. */
async function boot(): Promise<{ run(body: string): Promise<any>; meter(body: string): Promise<XsMeter>; close(): void }> {
  bundle ??= bundleWithModdableFakes(ENTRY);
  const xs = new XsWorker();
  await xs.evaluate(await bundle);
  const wrap = (body: string) => `(() => { const v = (() => { ${body} })(); return new TextEncoder().encode(JSON.stringify(v === undefined ? null : v)).buffer; })()`;
  return {
    async run(body) { return JSON.parse(new TextDecoder().decode((await xs.evaluate(wrap(body))).result)); },
    async meter(body) { return (await xs.evaluate(wrap(body))).meter; },
    close: () => xs.close(),
  };
}

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');
const pub = (d: Uint8Array) => hexOf(p256.getPublicKey(d, false));
const nodeVerifies = (q: string, m: string, sig: string) =>
  verify('sha256', Buffer.from(m), { key: p256PublicKey(Buffer.from(q, 'hex')), dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'hex'));

const KEY = hexOf(SCENARIO_KEY);
const Q = pub(SCENARIO_KEY);
const signerJs = (key: string, q: string) => `new ModdableSigner(unhex('${key}'), unhex('${q}'))`;

describe('ModdableSigner on XS (hal/moddable/crypto.ts → src/crypto, fakes for crypt and ec)', () => {
  let a: Awaited<ReturnType<typeof boot>>;
  let b: Awaited<ReturnType<typeof boot>>;
  beforeAll(async () => { [a, b] = await Promise.all([boot(), boot()]); });
  afterAll(() => { a?.close(); b?.close(); });

  it('RFC 6979 A.2.5 P-256/SHA-256 vectors: r as printed, s low (n − s for "sample")', async () => {
    const x = hex32(RFC_KEY.x);
    const q = `04${hex32(RFC_KEY.Ux)}${hex32(RFC_KEY.Uy)}`;
    const sigs = await a.run(`const s = ${signerJs(x, q)}; return ${JSON.stringify(RFC_VECTORS.map((v) => v.message))}.map((m) => hex(s.sign(utf8(m))));`);
    expect(sigs).toEqual(RFC_VECTORS.map((v) => hex32(v.r) + hex32(v.lowS)));
  });

  it('two boots sign the same payload: identical bytes; the signer never draws from rng', async () => {
    const body = `const before = device.rngState; const sig = hex(${signerJs(KEY, Q)}.sign(utf8('roam session record 42'))); return { sig, rngUntouched: device.rngState === before };`;
    const [one, two] = [await a.run(body), await b.run(body)];
    expect(one.sig).toBe(two.sig);
    expect(one.rngUntouched && two.rngUntouched).toBe(true);
    expect(nodeVerifies(Q, 'roam session record 42', one.sig)).toBe(true);
  });

  it('many payloads: every r different, every signature low-S and valid for node:crypto', async () => {
    const sigs: string[] = await a.run(`const s = ${signerJs(KEY, Q)}; const out = []; for (let i = 0; i < 24; i++) out.push(hex(s.sign(utf8('record ' + i)))); return out;`);
    expect(new Set(sigs.map((s) => s.slice(0, 64))).size).toBe(sigs.length);
    sigs.forEach((sig, i) => {
      expect(isLowS(Buffer.from(sig, 'hex'))).toBe(true);
      expect(nodeVerifies(Q, `record ${i}`, sig)).toBe(true);
    });
  });
});

describe('the defect this replaces: two boots, the same rng state, two different messages', () => {
  // Each boot signs its own message first thing, as a device would sign the
  // first record after a reboot. Old path: Moddable's ecdsa.sign (nonce from rng).
  const oldSign = (m: string) => `const H = new Digest('SHA256').process(utf8('${m}').buffer); return hex(new Uint8Array(new ECDSA(bigintOf(unhex('${KEY}')), new Curve('secp256r1'), true).sign(H)));`;
  const newSign = (m: string) => `return hex(${signerJs(KEY, Q)}.sign(utf8('${m}')));`;

  async function firstSignatureAfterBoot(body: string): Promise<string> {
    const d = await boot();
    try { return await d.run(body); } finally { d.close(); }
  }

  it('ModdableSigner: r differs (it would not with a nonce from a repeating rng)', async () => {
    const s1 = await firstSignatureAfterBoot(newSign('record 1 after boot'));
    const s2 = await firstSignatureAfterBoot(newSign('record 2 after boot'));
    expect(s1.slice(0, 64)).not.toBe(s2.slice(0, 64));
  });

  it('the old path (Moddable ecdsa.sign, as faked: k from rng) shares r, and the private key falls out', async () => {
    const m1 = 'record 1 after boot';
    const m2 = 'record 2 after boot';
    const s1 = await firstSignatureAfterBoot(oldSign(m1));
    const s2 = await firstSignatureAfterBoot(oldSign(m2));
    expect(s1.slice(0, 64)).toBe(s2.slice(0, 64));
    // Both verify, yet k = (e1 − e2)/(s1 − s2) and d = (s1·k − e1)/r (mod n).
    expect(nodeVerifies(Q, m1, s1) && nodeVerifies(Q, m2, s2)).toBe(true);
    const n = P256.n;
    const mod = (v: bigint) => ((v % n) + n) % n;
    const e = (m: string) => bytesToBigint(createHash('sha256').update(m).digest());
    const r = BigInt(`0x${s1.slice(0, 64)}`);
    const [S1, S2] = [BigInt(`0x${s1.slice(64)}`), BigInt(`0x${s2.slice(64)}`)];
    const k = mod((e(m1) - e(m2)) * invertMod(S1 - S2, n));
    const d = mod((S1 * k - e(m1)) * invertMod(r, n));
    expect(hexOf(bigintTo32(d))).toBe(KEY);
  });
});
