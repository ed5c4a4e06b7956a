import { p256 } from '@noble/curves/nist.js';
import { bundleWithModdableFakes } from '../host-sim/moddable-fakes/bundle.js';
import { XsWorker } from '../host-sim/xs/worker.js';
import { SCENARIO_KEY } from '../test/sessions/noble-signer.js';
import type { Bench } from './figure.js';

// The device signer (hal/moddable/crypto.ts → src/crypto) on XS with the
// Moddable fakes. On the fakes, SHA-256 and k·G are @noble in JS; on a device
// both are native C: `js` (both stubbed) is the part that stays JS there.
const bench: Bench = async () => {
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const code = await bundleWithModdableFakes(`
import EC from './host-sim/moddable-fakes/ec.ts';
import ECPoint from './host-sim/moddable-fakes/ecp.ts';
import { Digest } from './host-sim/moddable-fakes/crypt.ts';
import { ModdableSigner } from './hal/moddable/crypto.ts';
import { P256, signP256 } from './src/crypto/index.ts';
const g = globalThis as any;
const unhex = (s: string) => Uint8Array.from(s.match(/../g)!.map((h) => parseInt(h, 16)));
g.signer = new ModdableSigner(unhex('${hex(SCENARIO_KEY)}'), unhex('${hex(p256.getPublicKey(SCENARIO_KEY, false))}'));
g.m = new TextEncoder().encode('roam session record 42: a typical to-be-signed COSE structure is ~200 bytes');
g.ec = new EC(P256.a, P256.b, P256.p); g.G = new ECPoint(P256.Gx, P256.Gy);
g.fixedX = { sha256: () => { const d = new Digest('SHA256'); const h = { update(b: Uint8Array) { d.write(b.slice().buffer); return h; }, digest: () => new Uint8Array(d.close()) }; return h; }, mulBaseX: () => P256.Gx };
// Hash stubbed too (a constant digest): what is left is the JS a device runs around its native calls.
g.freeAll = { sha256: () => { const h = { update: () => h, digest: () => new Uint8Array(32).fill(0x42) }; return h; }, mulBaseX: () => P256.Gx };
g.d = ${BigInt(`0x${hex(SCENARIO_KEY)}`)}n; g.signP256 = signP256;
`);
  const xs = new XsWorker();
  try {
    await xs.evaluate(code);
    const units = async (expr: string) => (await xs.evaluate(`${expr}; new ArrayBuffer(0)`)).meter.compute;
    const cold = await units('signer.sign(m)');
    const empty = await units('0');
    const sign = (await units('signer.sign(m)')) - empty;
    const kG = (await units('ec.mul(G, 0x1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdefn).X')) - empty;
    const portable = (await units('signP256(fixedX, d, m)')) - empty;
    const jsOnly = (await units('signP256(freeAll, d, m)')) - empty;
    return [
      { name: 'xs.device_sign_fakes_units', value: sign, unit: 'XS units (one ModdableSigner.sign on the fakes: k·G and SHA-256 in JS)' },
      { name: 'xs.device_sign_fakes_cold_units', value: cold - empty, unit: 'XS units (first sign of a boot, fakes)' },
      { name: 'xs.fake_ec_mul_units', value: kG, unit: 'XS units (one k·G by the noble-based ec fake; native on a device)' },
      { name: 'xs.device_sign_portable_units', value: portable, unit: 'XS units (src/crypto with k·G stubbed: RFC 6979 DRBG, inverse, s; SHA-256 still the JS fake)' },
      { name: 'xs.device_sign_js_units', value: jsOnly, unit: 'XS units (src/crypto with k·G and SHA-256 stubbed: the JS around the native calls on a device)' },
    ];
  } finally {
    xs.close();
  }
};
export default bench;
