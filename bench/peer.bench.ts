// The peer, side by side: MicroOcpp's local authorization list (a JSON file
// loaded at boot into a sorted array searched by string compare, and the same
// entries in a Map) against roam's TokenStore (the signed table read in place),
// in the same XS runner on the same token sets: 40 hits and 40 misses each.
// Per N: lookup worst and median (XS units), boot units, heap kept after boot
// (slots at 16 B), storage bytes per entry, and roam's figure over the array's.
// The peer runs at 48, 1k and 10k (and at 100k with ROAM_BENCH_PEER_100K=1: its
// 10 MB heap grows in the runner's device-sized 4 KB steps, a collection before
// each, for minutes); above a 157 KB heap it could not run on an ESP32
// (`peer.array.fits_157kb`), which it passes at 10k already. Never at 1M.
// roam's lookup runs the native search of the table (hal/moddable/token-search.c,
// built into the XS engine as into the firmware, one meter unit per probe);
// `roam.portable_lookup_*` is the same store without it.
import { hostPlatform, NodeSigner, type HostPlatform } from '../host-sim/hal/index.js';
import { nodeCrypto } from '../host-sim/hal/node-crypto.js';
import { SeededRandom } from '../host-sim/hal/seeded-random.js';
import { XsSession } from '../host-sim/xs/session.js';
import { compileTable, signTable, TokenStore, TokenTable } from '../src/tokens/index.js';
import { partnerLists, randomUid } from '../test/tokens/fixtures.js';
import type { Bench, Figure } from './figure.js';

const SAMPLES = 40;
/** The XS heap an ESP32 build leaves (docs/tokens.md, "The overlay in RAM"): 157 KB. */
const HEAP_LIMIT = 157 * 1024;
const backend = new NodeSigner(new Uint8Array(32).fill(3));
const keyHex = Buffer.from(backend.publicKey).toString('hex');
const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}m` : n >= 1000 ? `${n / 1000}k` : `${n}`);
const roundUp = (n: number) => Math.ceil(n / 65536) * 65536 + 65536;

const ENTRY = `
import { xsPlatform } from './host-sim/xs/xs-platform.ts';
import { TokenStore } from './src/tokens/index.ts';
const g = globalThis as any;
const p = xsPlatform();

// MicroOcpp (AuthorizationList): the local list file, JSON, read whole at boot and
// turned into one entry per idTag, kept sorted; get() is a binary search by strcmp.
interface PeerEntry { idTag: string; status: string; parentIdTag?: string }
let list: PeerEntry[] = [];
let map = new Map<string, PeerEntry>();
g.peerBoot = (length: number) => {
  const doc = JSON.parse(new TextDecoder().decode(p.flash('peer-list').read(0, length)));
  const items = doc.localAuthorizationList;
  list = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    list[i] = it.idTagInfo.parentIdTag === undefined
      ? { idTag: it.idTag, status: it.idTagInfo.status }
      : { idTag: it.idTag, status: it.idTagInfo.status, parentIdTag: it.idTagInfo.parentIdTag };
  }
  return list.length;
};
g.peerMapBoot = () => {
  map = new Map();
  for (let i = 0; i < list.length; i++) map.set(list[i].idTag, list[i]);
  return map.size;
};
g.peerDropArray = () => { list = []; };
g.peerDropMap = () => { map = new Map(); };
g.peerFind = (id: string) => {
  let lo = 0, hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const k = list[mid].idTag;
    if (k === id) return list[mid];
    if (k < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
};
g.peerMapFind = (id: string) => map.get(id);

let store: TokenStore | undefined;
let key: Uint8Array;
g.roamKey = (hex: string) => {
  key = new Uint8Array(65);
  for (let i = 0; i < 65; i++) key[i] = parseInt(hex.substr(2 * i, 2), 16);
};
// Mapped flash is address space on a device, not heap: taken before anything is measured.
g.roamMap = () => { p.flash('tokens-a').map!(); p.flash('tokens-ovl').map!(); };
g.roamBoot = () => { store = new TokenStore({ platform: p, backendKey: key }); return store.status.tokens; };
g.roamWarm = () => store!.lookup('00000000');
g.roamDrop = () => { store = undefined; };
g.roamFind = (id: string) => store!.lookup(id);
// The same store with the portable search only (no native module: hal/token-search.ts).
let portable: TokenStore | undefined;
g.portableBoot = () => { portable = new TokenStore({ platform: { ...p, tokenSearch: undefined }, backendKey: key }); return portable.lookup('00000000') === undefined; };
g.portableFind = (id: string) => portable!.lookup(id);
// A check's answer as bytes (what an evaluation hands back): [1] when true.
g.yes = (b: boolean) => new Uint8Array(b ? [1] : []).buffer;
`;

async function check(xs: XsSession, expression: string, what: string): Promise<void> {
  if ((await xs.eval(`yes(${expression})`)).result.length !== 1) throw new Error(`peer bench: ${what}`);
}

/** A JSON list file as MicroOcpp writes it (localAuthorizationList of OCPP 1.6 SendLocalList), sorted by idTag. */
function peerFile(entries: Array<{ uid: string; valid: boolean; groupId?: string }>): Uint8Array {
  const items = entries.map((e) => ({ idTag: e.uid, idTagInfo: { status: e.valid ? 'Accepted' : 'Blocked', ...(e.groupId ? { parentIdTag: e.groupId } : {}) } }));
  return new TextEncoder().encode(JSON.stringify({ listVersion: 1, localAuthorizationList: items }));
}

function stats(units: number[]): { worst: number; median: number } {
  const s = [...units].sort((a, b) => a - b);
  return { worst: s[s.length - 1], median: s[s.length >> 1] };
}

async function lookups(xs: XsSession, fn: string, uids: string[]): Promise<number[]> {
  const units: number[] = [];
  for (const u of uids) units.push(await xs.units(`${fn}(${JSON.stringify(u)})`));
  return units;
}

const bench: Bench = async ({ quick, log }) => {
  const figures: Figure[] = [];
  const add = (name: string, value: number, unit: string) => figures.push({ name: `peer.${name}`, value, unit });
  const sizes = quick ? [48, 1000] : [48, 1000, 10_000, 100_000, 1_000_000];
  for (const n of sizes) {
    const N = label(n);
    const lists = partnerLists(2000 + n, n);
    const { image } = compileTable({ listVersion: 1, createdAt: Date.UTC(2026, 0, 1), partners: lists }, nodeCrypto);
    const signed = signTable(image, backend);
    // The same tokens on both sides: those the compiled table holds, once each.
    const table = new TokenTable(image);
    const held = new Map<string, { uid: string; valid: boolean; groupId?: string }>();
    for (const t of lists.flatMap((l) => l.tokens as Array<{ uid: string }>)) {
      const e = table.lookup(t.uid);
      if (e && !held.has(e.uid)) held.set(e.uid, { uid: e.uid, valid: e.valid, groupId: e.groupId });
    }
    const entries = [...held.values()].sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
    const r = new SeededRandom(n);
    const hits: string[] = [];
    while (hits.length < SAMPLES) hits.push(entries[r.below(entries.length)].uid);
    const misses: string[] = [];
    while (misses.length < SAMPLES) { const u = randomUid(r); if (!held.has(u) && !table.lookup(u)) misses.push(u); }
    const uids = [...hits, ...misses];
    log(`${N}: ${entries.length} entries; roam image ${signed.length} B`);

    // roam: the store booted on the signed image in slot A (applied on the host).
    const slot = roundUp(signed.length);
    const rp: HostPlatform = hostPlatform({ 'tokens-a': slot, 'tokens-b': slot, 'tokens-sel': 8192, 'tokens-ovl': 64 * 1024 });
    const host = new TokenStore({ platform: rp, backendKey: backend.publicKey });
    host.beginFull(signed.length);
    host.writeChunk(0, signed);
    host.commit();
    const roam = await XsSession.open(ENTRY, rp);
    let roamWorst: number, roamMedian: number, roamBoot: number, roamHeap: number, portableWorst: number, portableMedian: number;
    try {
      await roam.eval(`roamKey(${JSON.stringify(keyHex)})`);
      await roam.eval('roamMap()');
      await roam.eval('roamBoot()'); // the first construction also runs code XS has not seen yet
      await roam.eval('roamWarm()');
      await roam.eval('roamDrop()');
      const before = await roam.liveHeap();
      roamBoot = await roam.units('roamBoot()');
      await roam.eval('roamWarm()');
      roamHeap = (await roam.liveHeap()) - before;
      for (const u of hits) await check(roam, `roamFind(${JSON.stringify(u)}) !== undefined`, `roam does not find ${u}`);
      for (const u of misses) await check(roam, `roamFind(${JSON.stringify(u)}) === undefined`, `roam finds ${u}`);
      ({ worst: roamWorst, median: roamMedian } = stats(await lookups(roam, 'roamFind', uids)));
      await check(roam, 'portableBoot()', 'the portable store does not boot');
      for (const u of hits) await check(roam, `JSON.stringify(portableFind(${JSON.stringify(u)})) === JSON.stringify(roamFind(${JSON.stringify(u)}))`, `the portable search answers ${u} otherwise`);
      ({ worst: portableWorst, median: portableMedian } = stats(await lookups(roam, 'portableFind', uids)));
    } finally {
      roam.close();
    }
    add(`roam.lookup_worst.${N}`, roamWorst, `XS units (max of ${SAMPLES} hits and ${SAMPLES} misses, TokenStore.lookup)`);
    add(`roam.lookup_median.${N}`, roamMedian, 'XS units (median of the same 80)');
    add(`roam.portable_lookup_worst.${N}`, portableWorst, 'XS units (max of the same 80, TokenStore.lookup without the native search: a platform without hal/moddable/token-search.c)');
    add(`roam.portable_lookup_median.${N}`, portableMedian, 'XS units (median of the same 80, portable search)');
    add(`roam.boot_xs_units.${N}`, roamBoot, 'XS units of a TokenStore construction (empty overlay)');
    add(`roam.heap_bytes.${N}`, roamHeap, 'bytes of XS heap the store keeps after boot and a first lookup (slots at 16 B; mapped flash not heap)');
    add(`roam.storage_bytes_per_entry.${N}`, Math.round((signed.length / entries.length) * 100) / 100, 'bytes per entry (signed image, all included)');
    log(`${N} roam: lookup worst ${roamWorst} median ${roamMedian} (portable ${portableWorst} / ${portableMedian}), boot ${roamBoot}, heap ${roamHeap} B`);
    if (n > (process.env.ROAM_BENCH_PEER_100K ? 100_000 : 10_000)) {
      const at10k = figures.find((f) => f.name === 'peer.array.heap_bytes.10k')?.value;
      add(`array.fits_157kb.${N}`, 0, `not run at this size: the array's heap kept grows with the entries and is over ${HEAP_LIMIT} B from 10k (${at10k ?? '?'} B there)`);
      continue;
    }

    // The peer: the JSON file in its own partition, read whole at boot.
    const file = peerFile(entries);
    const pp = hostPlatform({ 'peer-list': roundUp(file.length) });
    pp.regions.get('peer-list')!.raw.set(file);
    const peer = await XsSession.open(ENTRY, pp);
    try {
      const before = await peer.liveHeap();
      const arrayBoot = await peer.peakHeap(`peerBoot(${file.length})`);
      const arrayHeap = (await peer.liveHeap()) - before;
      const mapBoot = await peer.units('peerMapBoot()');
      const mapHeap = (await peer.liveHeap()) - before - arrayHeap;
      for (const u of hits) await check(peer, `peerFind(${JSON.stringify(u)}) !== undefined && peerFind(${JSON.stringify(u)}) === peerMapFind(${JSON.stringify(u)})`, `the peer does not find ${u}`);
      for (const u of misses) await check(peer, `peerFind(${JSON.stringify(u)}) === undefined && peerMapFind(${JSON.stringify(u)}) === undefined`, `the peer finds ${u}`);
      const array = stats(await lookups(peer, 'peerFind', uids));
      const m = stats(await lookups(peer, 'peerMapFind', uids));
      const fits = arrayHeap <= HEAP_LIMIT ? 1 : 0;
      add(`array.lookup_worst.${N}`, array.worst, `XS units (max of ${SAMPLES} hits and ${SAMPLES} misses, binary search by string compare)`);
      add(`array.lookup_median.${N}`, array.median, 'XS units (median of the same 80)');
      add(`map.lookup_worst.${N}`, m.worst, 'XS units (max of the same 80, Map.get)');
      add(`map.lookup_median.${N}`, m.median, 'XS units (median of the same 80)');
      add(`array.boot_xs_units.${N}`, arrayBoot.units, 'XS units: read the JSON file (native), decode, JSON.parse, one entry per idTag');
      add(`array.boot_peak_bytes.${N}`, arrayBoot.peakHeapBytes, 'bytes (XS heap growth during that boot)');
      add(`map.boot_xs_units.${N}`, arrayBoot.units + mapBoot, 'XS units: the array boot, then a Map of its entries');
      add(`array.heap_bytes.${N}`, arrayHeap, 'bytes of XS heap the sorted array keeps (slots at 16 B)');
      add(`map.heap_bytes.${N}`, arrayHeap + mapHeap, 'bytes of XS heap the entries and the Map keep');
      add(`array.storage_bytes_per_entry.${N}`, Math.round((file.length / entries.length) * 100) / 100, 'bytes per entry (the JSON list file)');
      add(`array.fits_157kb.${N}`, fits, `1 if the array's heap kept is within ${HEAP_LIMIT} B (an ESP32's XS heap), 0 if it is not`);
      add(`ratio.lookup_worst.${N}`, round(roamWorst / array.worst), 'roam lookup worst / peer array lookup worst');
      add(`ratio.lookup_median.${N}`, round(roamMedian / array.median), 'roam lookup median / peer array lookup median');
      add(`ratio.boot.${N}`, round(roamBoot / arrayBoot.units), 'roam boot units / peer array boot units');
      add(`ratio.heap.${N}`, round(roamHeap / arrayHeap), 'roam heap kept / peer array heap kept');
      add(`ratio.storage.${N}`, round(signed.length / file.length), 'roam image bytes / peer JSON file bytes');
      log(`${N} peer: array worst ${array.worst} median ${array.median}, map worst ${m.worst}; boot ${arrayBoot.units} (+${mapBoot} map), heap ${arrayHeap} B (+${mapHeap} map), file ${file.length} B, fits ${fits}`);
    } finally {
      peer.close();
    }
  }
  return figures;
};

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

export default bench;
