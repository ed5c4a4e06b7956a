// Cost of one offline tap decision through the real token table (compiled by
// src/tokens, read in place from a flash partition), for a token on the table
// (hit) and one not on it (miss), at 1,000 and 1,000,000 tokens: XS units
// inside the XS engine, microseconds on Node. Also with an Accepted entry in the
// authorization cache for the card (hit_cached, miss_cached): the cache entry is
// weighed against the token table's row. The table searches with the native
// search built into the XS engine (hal/moddable/token-search.c), as on a
// device; `_portable`: the same taps with the portable search alone.
import { hostPlatform } from '../host-sim/hal/index.js';
import { nodeCrypto } from '../host-sim/hal/node-crypto.js';
import { SeededRandom } from '../host-sim/hal/seeded-random.js';
import { XsSession } from '../host-sim/xs/session.js';
import { Authorizer, SessionTable, type OnlineAuthorizer } from '../src/auth/index.js';
import { compileTable } from '../src/tokens/compile.js';
import { TokenTable } from '../src/tokens/table.js';
import { partnerLists, randomHex } from '../test/tokens/fixtures.js';
import type { Bench, Figure } from './figure.js';

const SAMPLES = 16;
const OFFLINE: OnlineAuthorizer = { online: false, request() {} };

const ENTRY = `
import { xsPlatform } from './host-sim/xs/xs-platform.ts';
import { TokenTable } from './src/tokens/table.ts';
import { Authorizer, SessionTable } from './src/auth/index.ts';
const g = globalThis as any;
const p = xsPlatform();
let auth: Authorizer;
let cached: Authorizer;
let portable: Authorizer;
let table: TokenTable;
g.setup = (length: number) => {
  // Mapped flash is address space on a device: taken once, before measuring.
  const image = p.flash('tokens').map().subarray(0, length);
  table = new TokenTable(image, p.tokenSearch);
  auth = new Authorizer({ clock: p.clock, tokens: table, sessions: new SessionTable(), online: { online: false, request() {} } });
  cached = new Authorizer({ clock: p.clock, tokens: table, sessions: new SessionTable(), online: { online: false, request() {} } });
  portable = new Authorizer({ clock: p.clock, tokens: new TokenTable(image), sessions: new SessionTable(), online: { online: false, request() {} } });
  return p.tokenSearch !== undefined;
};
g.tapPortable = (uid: string) => {
  let accept = false;
  portable.tap({ uid, connector: 1 }, (d) => { accept = d.accept; });
  return accept;
};
g.cache = (uid: string) => { cached.cache.put(uid, { status: 'Accepted' }); };
g.tapCached = (uid: string) => {
  let accept = false;
  cached.tap({ uid, connector: 1 }, (d) => { accept = d.accept; });
  return accept;
};
g.lookup = (uid: string) => table.lookup(uid) !== undefined;
g.tap = (uid: string) => {
  let accept = false;
  auth.tap({ uid, connector: 1 }, (d) => { accept = d.accept; });
  return accept;
};`;

function tapUids(image: Uint8Array, lists: ReturnType<typeof partnerLists>) {
  const table = new TokenTable(image);
  const hits: string[] = [];
  const r = new SeededRandom(99);
  const all = lists.flatMap((l) => l.tokens as { uid: string; type: string }[]);
  while (hits.length < SAMPLES) {
    const t = all[r.below(all.length)];
    if (t.type === 'RFID' && /^([0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$/.test(t.uid) && !t.uid.startsWith('08') && table.lookup(t.uid)) hits.push(t.uid);
  }
  const misses: string[] = [];
  while (misses.length < SAMPLES) {
    const uid = r.below(2) ? randomHex(r, 7) : randomHex(r, 4);
    if (!uid.startsWith('08') && !table.lookup(uid)) misses.push(uid);
  }
  return { table, hits, misses };
}

function nodeMicros(auth: Authorizer, uids: string[]): number {
  const rounds = 20_000;
  let sink = 0;
  // Each uid comes back after 16 taps: the re-tap guard would answer those
  // 'ignored' at once, so the window is off here to time real decisions.
  auth.settings = { ...auth.settings, retapGuardMs: 0 };
  for (let i = 0; i < rounds; i++) auth.tap({ uid: uids[i % uids.length], connector: 1 }, (d) => { sink += d.accept ? 1 : 0; });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) auth.tap({ uid: uids[i % uids.length], connector: 1 }, (d) => { sink += d.accept ? 1 : 0; });
  const ns = Number(process.hrtime.bigint() - t0);
  if (sink < 0) throw new Error('unreachable');
  return Math.round((ns / rounds / 1000) * 100) / 100;
}

const bench: Bench = async ({ quick, log }) => {
  const figures: Figure[] = [];
  for (const n of quick ? [1000] : [1000, 1_000_000]) {
    const lists = partnerLists(7, n);
    const { image } = compileTable({ listVersion: 1, createdAt: Date.UTC(2026, 0, 1), partners: lists }, nodeCrypto);
    const { table, hits, misses } = tapUids(image, lists);
    log(`${n} tokens: image ${image.length} bytes, ${table.size} on the table`);

    const auth = new Authorizer({ clock: hostPlatform().clock, tokens: table, sessions: new SessionTable(), online: OFFLINE });
    figures.push({ name: `auth.tap_decision_node_us.${n}.hit`, value: nodeMicros(auth, hits), unit: 'µs (mean)' });
    figures.push({ name: `auth.tap_decision_node_us.${n}.miss`, value: nodeMicros(auth, misses), unit: 'µs (mean)' });

    const size = Math.ceil(image.length / 4096) * 4096;
    const platform = hostPlatform({ tokens: size });
    platform.flash('tokens').write(0, image);
    const xs = await XsSession.open(ENTRY, platform);
    try {
      if (new TextDecoder().decode((await xs.eval(`new TextEncoder().encode(String(setup(${image.length}))).buffer`)).result) !== 'true') throw new Error('auth bench: the XS engine has no native token search (npm run build:xs)');
      for (const uid of [...hits, ...misses]) await xs.eval(`cache(${JSON.stringify(uid)})`);
      for (const [kind, uids] of [['hit', hits], ['miss', misses], ['hit_cached', hits], ['miss_cached', misses], ['hit_portable', hits], ['miss_portable', misses]] as const) {
        const units: number[] = [];
        const lookups: number[] = [];
        const fn = kind.endsWith('_cached') ? 'tapCached' : kind.endsWith('_portable') ? 'tapPortable' : 'tap';
        for (const uid of uids) {
          units.push(await xs.units(`${fn}(${JSON.stringify(uid)})`));
          lookups.push(await xs.units(`lookup(${JSON.stringify(uid)})`));
        }
        units.sort((a, b) => a - b);
        lookups.sort((a, b) => a - b);
        log(`${n} ${kind}: XS units min ${units[0]} median ${units[units.length >> 1]} max ${units[units.length - 1]}` +
          ` (table lookup alone: median ${lookups[lookups.length >> 1]})`);
        figures.push({ name: `auth.tap_decision_xs_units.${n}.${kind}`, value: units[units.length - 1], unit: `XS units (max of ${SAMPLES})` });
      }
    } finally {
      xs.close();
    }
  }
  return figures;
};
export default bench;
