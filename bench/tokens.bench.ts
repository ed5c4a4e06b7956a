// The token table's figures: bytes per token, one lookup on XS (hit / miss),
// a full apply of a signed image on XS (units and peak heap, with flash and
// SHA-256 served as the device's native calls), a differential of 1,000
// changes, the overlay of differentials at its bound (heap, boot, lookups), a
// backend key rotation and the boot after one, and the compile time on Node.
// Seeded mixed-length lists.
import { hostPlatform, NodeSigner, type HostPlatform } from '../host-sim/hal/index.js';
import { nodeCrypto } from '../host-sim/hal/node-crypto.js';
import { SeededRandom } from '../host-sim/hal/seeded-random.js';
import { XsSession } from '../host-sim/xs/session.js';
import { compileDiff, compileTable, encodeKeyRotation, signDiff, signKeyRotation, signTable, TokenStore, TokenUpdateError } from '../src/tokens/index.js';
import { partnerLists, randomHex, randomUid } from '../test/tokens/fixtures.js';
import type { Bench, Figure } from './figure.js';

const SAMPLES = 40;
const CHUNK = 16 * 1024;
const backend = new NodeSigner(new Uint8Array(32).fill(3));
const nextBackend = new NodeSigner(new Uint8Array(32).fill(4));
const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}m` : `${n / 1000}k`);
const roundUp = (n: number) => Math.ceil(n / 65536) * 65536 + 65536;

const ENTRY = `
import { xsPlatform } from './host-sim/xs/xs-platform.ts';
import { TokenStore } from './src/tokens/index.ts';
import { Authorizer, SessionTable } from './src/auth/index.ts';
const g = globalThis as any;
const p = xsPlatform();
// The network hands the device each chunk in a buffer its native code filled: here the
// host serves it from a staging partition (the bridge's reads copy nothing in JavaScript).
const receive = (offset: number, length: number) => p.flash('staging').read(offset, length);
let store: TokenStore;
// collectReads: a gc() before each read of a slot too (commit reads the image back in pieces within one call),
// as a device heap collects before it grows.
const collecting = {
  ...p,
  flash(name: string) {
    const r = p.flash(name);
    if (!name.startsWith('tokens-')) return r;
    return { name: r.name, byteLength: r.byteLength, blockSize: r.blockSize, write: (o: number, d: Uint8Array) => r.write(o, d), erase: (b: number) => r.erase(b),
      read(o: number, n: number) { (globalThis as any).gc(); return r.read(o, n); } };
  },
};
g.boot = (key: string, collectReads = false) => {
  const k = new Uint8Array(65);
  for (let i = 0; i < 65; i++) k[i] = parseInt(key.substr(2 * i, 2), 16);
  store = new TokenStore({ platform: collectReads ? collecting : p, backendKey: k, maxOverlayEntries: 8192 });
  return store.version;
};
// The first lookup maps the slot: on a device that is flash address space, so take it before measuring.
g.warm = () => store.lookup('00000000');
// The overlay log region is mapped too (lookups that hit the overlay read their op there); its records stay in flash.
g.mapOverlay = () => { p.flash('tokens-ovl').map!(); };
// The store as a device makes it: the default overlay bound. collect: a gc() before each read of
// flash (the selector's blocks, the image header), as a device heap collects before it grows.
const collectingMapped = {
  ...p,
  flash(name: string) {
    const r = p.flash(name);
    return { name: r.name, byteLength: r.byteLength, blockSize: r.blockSize, write: (o: number, d: Uint8Array) => r.write(o, d), erase: (b: number) => r.erase(b),
      read(o: number, n: number) { (globalThis as any).gc(); return r.read(o, n); }, map: () => r.map!() };
  },
};
g.bootDefault = (key: string, collect = false) => {
  const k = new Uint8Array(65);
  for (let i = 0; i < 65; i++) k[i] = parseInt(key.substr(2 * i, 2), 16);
  store = new TokenStore({ platform: collect ? collectingMapped : p, backendKey: k });
  return store.status.overlayChanges;
};
g.dropOverlay = () => { (store as any).list.overlay.reset(); };
// The overlay index's lookup alone (the store's upper-cases the uid, then asks it first).
g.overlayLook = (uid: string) => (store as any).list.overlay.lookup(uid, (store as any).list.header.partners);
// An offline tap decided from the store. A fresh authorizer per tap: no re-tap window held (a
// charger's usual state; each window held adds a scan to every tap, src/auth's cost, not the list's).
let auth: Authorizer;
g.setupAuth = () => { auth = new Authorizer({ clock: p.clock, tokens: store, sessions: new SessionTable(), online: { online: false, request() {} } }); };
g.tap = (uid: string) => {
  let accept = false;
  auth.tap({ uid, connector: 1 }, (d) => { accept = d.accept; });
  return accept;
};
g.look = (uid: string) => store.lookup(uid) !== undefined;
// An incoming image, read from a staging partition a chunk at a time as the network would hand it over.
// collect: a gc() after each chunk, so the peak shows live memory rather than garbage the
// session's reserve (inflated by loading the bundle) lets pile up; a device heap is that small.
g.applyStaged = (length: number, collect: boolean) => {
  store.beginFull(length);
  for (let o = 0; o < length; o += ${CHUNK}) {
    store.writeChunk(o, receive(o, Math.min(${CHUNK}, length - o)));
    if (collect) (globalThis as any).gc();
  }
  return store.commit();
};
// The same native calls the apply makes into a blank slot, without the store: per chunk receive,
// read the blocks it reaches and hash them (they read erased: no erase), write, read the chunk
// back into the image's SHA-256. What the simulator's bridge itself costs.
g.bridgeOnly = (length: number) => {
  const dst = p.flash('tokens-b');
  const bs = dst.blockSize;
  const h = p.crypto.sha256();
  let checked = 0;
  for (let o = 0; o < length; o += ${CHUNK}) {
    const c = receive(o, Math.min(${CHUNK}, length - o));
    const to = Math.ceil((o + c.length) / bs) * bs;
    if (checked < to) { p.crypto.sha256(dst.read(checked, to - checked)).digest(); checked = to; }
    dst.write(o, c);
    h.update(dst.read(o, c.length));
  }
  h.digest();
};
g.stageDiff = (length: number) => { g.diff = p.flash('staging').read(0, length); };
g.applyDiff = () => store.applyDifferential(g.diff);
// Key rotation: the provisioned key parsed once, so a measured boot is the TokenStore's construction alone.
let provisioned: Uint8Array;
g.provision = (key: string) => {
  provisioned = new Uint8Array(65);
  for (let i = 0; i < 65; i++) provisioned[i] = parseInt(key.substr(2 * i, 2), 16);
};
g.bootOnly = () => { store = new TokenStore({ platform: p, backendKey: provisioned }); return store.keySeq; };
g.rotate = () => store.rotateKey(g.diff);
// The native verify a rotation makes, alone: what the device's C code does for it.
g.verifyOnly = () => p.crypto.verifyP256(provisioned, g.diff.subarray(0, g.diff.length - 64), g.diff.subarray(g.diff.length - 64));
`;

const keyHex = Buffer.from(backend.publicKey).toString('hex');

function platformFor(imageLength: number, staging: Uint8Array): HostPlatform {
  const slot = roundUp(imageLength);
  const p = hostPlatform({ 'tokens-a': slot, 'tokens-b': slot, 'tokens-sel': 8192, 'tokens-ovl': 256 * 1024, staging: roundUp(staging.length) });
  p.regions.get('staging')!.raw.set(staging);
  return p;
}

/** A differential of 1,000 changes against the list: 400 adds, 400 changes, 200 removes. */
function thousandChanges(lists: ReturnType<typeof partnerLists>, from: number) {
  const byUid = new Map<string, Record<string, unknown>>();
  for (const t of lists.flatMap((l) => l.tokens as Record<string, unknown>[])) if (t.type === 'RFID' && !byUid.has(String(t.uid))) byUid.set(String(t.uid), t);
  const present = [...byUid.values()];
  const seen = new Set(byUid.keys());
  const r = new SeededRandom(4242);
  const add: unknown[] = [];
  while (add.length < 400) {
    const uid = randomHex(r, 7);
    if (!seen.has(uid)) { seen.add(uid); add.push({ ...present[0], uid, contract_id: `N-${uid}` }); }
  }
  const picked = new Set<number>();
  while (picked.size < 600) picked.add(r.below(present.length));
  const ids = [...picked];
  const change = ids.slice(0, 400).map((i) => ({ ...present[i], valid: !present[i].valid }));
  const remove = ids.slice(400).map((i) => String(present[i].uid));
  return signDiff(compileDiff({ from, to: from + 1, createdAt: 0, add, change, remove }).diff, backend);
}

/**
 * A store on `signed` whose overlay is at its default bound: differentials of `per` new
 * 7-byte uids (one in 8 with a group) until the store answers OVERLAY_FULL.
 */
function overlayAtBound(signed: Uint8Array, template: Record<string, unknown>, per: number) {
  const p = platformFor(signed.length, new Uint8Array(0));
  const host = new TokenStore({ platform: p, backendKey: backend.publicKey });
  host.beginFull(signed.length);
  for (let o = 0; o < signed.length; o += CHUNK) host.writeChunk(o, signed.subarray(o, o + CHUNK));
  host.commit();
  const added: string[] = [];
  let v = 1, n = 0;
  for (;;) {
    const add: Record<string, unknown>[] = [];
    while (add.length < per) {
      const uid = (0x04f00000000000 + 7919 * n++).toString(16).toUpperCase().padStart(14, '0');
      if (!host.lookup(uid)) add.push({ ...template, uid, contract_id: `O-${uid}`, ...(n % 8 === 0 ? { group_id: `OG-${n}` } : {}) });
    }
    try {
      host.applyDifferential(signDiff(compileDiff({ from: v, to: v + 1, createdAt: 0, add }).diff, backend));
    } catch (e) {
      if (e instanceof TokenUpdateError && e.code === 'OVERLAY_FULL') break;
      throw e;
    }
    v++;
    for (const t of add) added.push(String(t.uid));
  }
  return { p, host, added, changes: host.status.overlayChanges, records: v - 1 };
}

const bench: Bench = async ({ quick, log }) => {
  const figures: Figure[] = [];
  const sizes = quick ? [1000] : [1000, 100_000, 1_000_000];
  const largest = sizes[sizes.length - 1];
  for (const n of sizes) {
    const lists = partnerLists(1000 + n, n);
    const t0 = performance.now();
    const { image, report } = compileTable({ listVersion: 1, createdAt: Date.UTC(2026, 0, 1), partners: lists }, nodeCrypto);
    const compileMs = performance.now() - t0;
    const signed = signTable(image, backend);
    log(`${n}: ${report.accepted} tokens, ${report.excluded.length} excluded, ${report.invalid.length} invalid; image ${signed.length} B`);
    figures.push({ name: `tokens.bytes_per_token.${label(n)}`, value: round(signed.length / report.accepted, 3), unit: 'bytes/token (signed image, all included)' });
    if (n === largest) figures.push({ name: `tokens.compile_node_ms.${label(n)}`, value: Math.round(compileMs), unit: 'ms (Node)' });

    // Lookups: the image applied through the store on the host, then the store booted inside XS.
    const p = platformFor(signed.length, new Uint8Array(0));
    const host = new TokenStore({ platform: p, backendKey: backend.publicKey });
    host.beginFull(signed.length);
    for (let o = 0; o < signed.length; o += CHUNK) host.writeChunk(o, signed.subarray(o, o + CHUNK));
    host.commit();
    const xs = await XsSession.open(ENTRY, p);
    try {
      await xs.eval(`boot(${JSON.stringify(keyHex)})`);
      await xs.eval('warm()');
      const r = new SeededRandom(n);
      const all = lists.flatMap((l) => l.tokens as { uid: string }[]);
      const hits: string[] = [];
      while (hits.length < SAMPLES) { const u = all[r.below(all.length)].uid; if (host.lookup(u)) hits.push(u); }
      const misses: string[] = [];
      while (misses.length < SAMPLES) { const u = randomUid(r); if (!host.lookup(u)) misses.push(u); }
      for (const [kind, uids] of [['hit', hits], ['miss', misses]] as const) {
        const units: number[] = [];
        for (const u of uids) units.push(await xs.units(`look(${JSON.stringify(u)})`));
        figures.push({ name: `tokens.lookup_xs_units.${kind}.${label(n)}`, value: Math.max(...units), unit: `XS units (max of ${SAMPLES})` });
        figures.push({ name: `tokens.lookup_xs_units.${kind}_mean.${label(n)}`, value: Math.round(units.reduce((a, b) => a + b) / units.length), unit: `XS units (mean of ${SAMPLES})` });
      }
    } finally {
      xs.close();
    }
    if (n === sizes[0]) figures.push(...(await rotationFigures(signed, label(n))));
    // The overlay's lookups and taps at the smallest size too (flat from 1k to 1M), its RAM and boot at the largest.
    if (n === sizes[0] || n === largest) figures.push(...(await overlayFigures(signed, lists, n, n === largest, log)));
    if (n !== largest) continue;

    // Full apply inside XS on a fresh session (peak heap is only meaningful there).
    const applyPlatform = platformFor(signed.length, signed);
    const applyXs = await XsSession.open(ENTRY, applyPlatform);
    try {
      await applyXs.eval(`boot(${JSON.stringify(keyHex)})`);
      const { units, peakHeapBytes } = await applyXs.peakHeap(`applyStaged(${signed.length}, false)`);
      figures.push({ name: `tokens.full_apply_xs_units.${label(n)}`, value: units, unit: `XS units (${Math.ceil(signed.length / CHUNK)} chunks of ${CHUNK / 1024} KiB, host calls for flash and SHA-256 included)` });
      figures.push({ name: `tokens.full_apply_xs_peak_bytes_uncollected.${label(n)}`, value: peakHeapBytes, unit: 'bytes (XS heap growth, garbage not yet collected included)' });
      const check = new TokenStore({ platform: applyPlatform, backendKey: backend.publicKey });
      if (check.version !== 1) throw new Error('full apply inside XS did not take effect');
    } finally {
      applyXs.close();
    }
    const liveXs = await XsSession.open(ENTRY, platformFor(signed.length, signed));
    try {
      await liveXs.eval(`boot(${JSON.stringify(keyHex)}, true)`);
      const { peakHeapBytes } = await liveXs.peakHeap(`applyStaged(${signed.length}, true)`);
      figures.push({ name: `tokens.full_apply_xs_peak_bytes.${label(n)}`, value: peakHeapBytes, unit: `bytes (XS heap, device slot size, collected after each ${CHUNK / 1024} KiB chunk and each read of a slot)` });
    } finally {
      liveXs.close();
    }
    const baseXs = await XsSession.open(ENTRY, platformFor(signed.length, signed));
    try {
      const bridge = await baseXs.units(`bridgeOnly(${signed.length})`);
      const total = figures.find((f) => f.name === `tokens.full_apply_xs_units.${label(n)}`)!.value;
      figures.push({ name: `tokens.full_apply_xs_units_bridge.${label(n)}`, value: bridge, unit: 'XS units of the same flash/SHA-256 host calls alone (the cost of calling native services)' });
      figures.push({ name: `tokens.full_apply_xs_units_net.${label(n)}`, value: total - bridge, unit: 'XS units of the apply net of the bridge (what runs as JS on a device)' });
    } finally {
      baseXs.close();
    }

    // A differential of 1,000 changes on the list just applied.
    const d = thousandChanges(lists, 1);
    const diffPlatform = platformFor(signed.length, d);
    const host2 = new TokenStore({ platform: diffPlatform, backendKey: backend.publicKey });
    host2.beginFull(signed.length);
    host2.writeChunk(0, signed);
    host2.commit();
    const diffXs = await XsSession.open(ENTRY, diffPlatform);
    try {
      await diffXs.eval(`boot(${JSON.stringify(keyHex)})`);
      await diffXs.eval('warm()');
      await diffXs.eval(`stageDiff(${d.length})`);
      const units = await diffXs.units('applyDiff()');
      figures.push({ name: 'tokens.diff_apply_xs_units', value: units, unit: `XS units (1,000 changes on ${label(n)} tokens, ${d.length} B signed)` });
    } finally {
      diffXs.close();
    }
    if (new TokenStore({ platform: diffPlatform, backendKey: backend.publicKey }).version !== 2) throw new Error('differential inside XS did not take effect');
  }
  return figures;
};

/**
 * The overlay at its default bound, in records of 64 changes and (worst for RAM) of one: its
 * heap and boot (`full`), and, on records of one (the most records: a hit finds its record's
 * version among them), lookups and offline taps that hit it, miss it, or find neither.
 */
async function overlayFigures(signed: Uint8Array, lists: ReturnType<typeof partnerLists>, n: number, full: boolean, log: (line: string) => void): Promise<Figure[]> {
  const figures: Figure[] = [];
  const template = lists.flatMap((l) => l.tokens as Record<string, unknown>[]).find((t) => t.type === 'RFID')!;
  for (const per of full ? [64, 1] : [1]) {
    const o = overlayAtBound(signed, template, per);
    const tag = per === 1 ? '_worst' : '';
    const layout = `${o.changes.toLocaleString('en-US')} changes in ${o.records.toLocaleString('en-US')} records of ${per}`;
    log(`overlay at its bound: ${layout}`);
    const ovXs = await XsSession.open(ENTRY, o.p);
    try {
      await ovXs.eval('mapOverlay()');
      if (full) {
        const before = await ovXs.liveHeap();
        const boot = await ovXs.peakHeap(`bootDefault(${JSON.stringify(keyHex)})`);
        const booted = await ovXs.liveHeap();
        await ovXs.eval('dropOverlay()');
        const dropped = await ovXs.liveHeap();
        const collected = await ovXs.peakHeap(`bootDefault(${JSON.stringify(keyHex)}, true)`);
        figures.push({ name: `tokens.overlay_heap_bytes${tag}.${label(n)}`, value: booted - dropped, unit: `bytes of XS heap the overlay keeps after boot (${layout}; slots at 16 B)` });
        figures.push({ name: `tokens.overlay_boot_xs_units${tag}.${label(n)}`, value: boot.units, unit: `XS units of a store's boot (${layout})` });
        figures.push({ name: `tokens.overlay_boot_xs_peak_bytes${tag}.${label(n)}`, value: collected.peakHeapBytes, unit: `bytes (XS heap growth during a boot, whole store, collected before each flash read; it keeps ${booted - before})` });
        figures.push({ name: `tokens.overlay_boot_xs_peak_bytes_uncollected${tag}.${label(n)}`, value: boot.peakHeapBytes, unit: 'bytes (the same, garbage not yet collected included)' });
      }
      if (per !== 1) continue;
      // Lookups on the layout with most records (a hit also finds its record's version).
      await ovXs.eval(`bootDefault(${JSON.stringify(keyHex)})`);
      await ovXs.eval('warm()');
      const r = new SeededRandom(n + 1);
      const all = lists.flatMap((l) => l.tokens as { uid: string }[]);
      const inOverlay = new Set(o.added);
      const sample = (pick: () => string, ok: (u: string) => boolean) => {
        const out: string[] = [];
        while (out.length < SAMPLES) { const u = pick(); if (ok(u)) out.push(u); }
        return out;
      };
      const kinds: Array<[string, string, string[]]> = [
        ['hit', 'uids the overlay added', sample(() => o.added[r.below(o.added.length)], () => true)],
        ['miss', 'uids on the table, not in the overlay', sample(() => all[r.below(all.length)].uid, (u) => !inOverlay.has(u.toUpperCase()) && o.host.lookup(u) !== undefined)],
        ['absent', 'uids on neither', sample(() => randomUid(r), (u) => o.host.lookup(u) === undefined)],
      ];
      for (const [kind, what, uids] of kinds) {
        const units: number[] = [];
        const own: number[] = [];
        const taps: number[] = [];
        for (const u of uids) {
          units.push(await ovXs.units(`look(${JSON.stringify(u)})`));
          own.push(await ovXs.units(`overlayLook(${JSON.stringify(u.toUpperCase())})`));
          // A reader delivers UIDs: card numbers are refused before a lookup.
          if (/^([0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$/.test(u) && !/^08.{6}$/.test(u)) {
            await ovXs.eval('setupAuth()');
            taps.push(await ovXs.units(`tap(${JSON.stringify(u)})`));
          }
        }
        figures.push({ name: `tokens.overlay_lookup_xs_units.${kind}.${label(n)}`, value: Math.max(...units), unit: `XS units (max of ${SAMPLES} ${what}; overlay at its bound, ${layout})` });
        figures.push({ name: `tokens.overlay_lookup_xs_units.${kind}_mean.${label(n)}`, value: Math.round(units.reduce((a, b) => a + b) / units.length), unit: `XS units (mean of ${SAMPLES})` });
        figures.push({ name: `tokens.overlay_index_xs_units.${kind}.${label(n)}`, value: Math.max(...own), unit: `XS units (max of ${SAMPLES}: the overlay index's own lookup of those uids, upper-cased, the call included; what the overlay adds to a lookup)` });
        figures.push({ name: `tokens.overlay_tap_xs_units.${kind}.${label(n)}`, value: Math.max(...taps), unit: `XS units (max of ${taps.length} offline tap decisions through the store: the reader-shaped UIDs among the ${what}; overlay at its bound, ${layout})` });
      }
    } finally {
      ovXs.close();
    }
  }
  return figures;
}

/**
 * One key rotation inside XS (revoking the provisioned key: the most work), on a store holding
 * `signed`, and the store's boot before and after it: after, the selector's state is an 8-slot
 * RKTK record (key and revocations) instead of a one-slot RKTS.
 */
async function rotationFigures(signed: Uint8Array, size: string): Promise<Figure[]> {
  const rotation = signKeyRotation(encodeKeyRotation({ seq: 1, key: nextBackend.publicKey, revoke: true }), backend);
  const p = platformFor(signed.length, rotation);
  const host = new TokenStore({ platform: p, backendKey: backend.publicKey });
  host.beginFull(signed.length);
  host.writeChunk(0, signed);
  host.commit();
  const xs = await XsSession.open(ENTRY, p);
  const figures: Figure[] = [];
  try {
    await xs.eval(`provision(${JSON.stringify(keyHex)})`);
    await xs.eval('bootOnly()'); // the first construction also runs code XS has not seen yet
    const boot = await xs.units('bootOnly()');
    await xs.eval(`stageDiff(${rotation.length})`);
    const verify = await xs.units('verifyOnly()');
    const rotate = await xs.units('rotate()');
    const rotated = await xs.units('bootOnly()');
    figures.push({ name: 'tokens.key_rotate_xs_units', value: rotate, unit: `XS units of one rotateKey (${rotation.length} B signed, revoking the provisioned key; its verify a native call)` });
    figures.push({ name: 'tokens.key_rotate_xs_units_verify', value: verify, unit: 'XS units of the native P-256 verify call alone, as the rotation makes it' });
    figures.push({ name: 'tokens.boot_xs_units', value: boot, unit: `XS units of a TokenStore construction, provisioned key (RKTS selection record; ${size} tokens, empty overlay)` });
    figures.push({ name: 'tokens.boot_xs_units_rotated', value: rotated, unit: 'XS units of the same boot after the rotation (RKTK selection + key record)' });
  } finally {
    xs.close();
  }
  if (new TokenStore({ platform: p, backendKey: backend.publicKey }).keySeq !== 1) throw new Error('key rotation inside XS did not take effect');
  return figures;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export default bench;
