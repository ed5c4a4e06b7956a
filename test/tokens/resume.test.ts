import { describe, expect, it } from 'vitest';
import type { FlashRegion } from '../../hal/flash.js';
import { hostPlatform, NodeSigner, PowerCut, SimFlash, type HostPlatform } from '../../host-sim/hal/index.js';
import { nodeCrypto } from '../../host-sim/hal/node-crypto.js';
import { SlotSelector, type KeyState, type Progress } from '../../src/tokens/selector.js';
import { u32 } from '../../src/tokens/format.js';
import { isDeepStrictEqual } from 'node:util';
import {
  compileTable, encodeKeyRotation, signKeyRotation, signTable, TokenStore, type PartnerTokens,
} from '../../src/tokens/index.js';
import { expectedEntries } from './expected.js';
import { partnerLists } from './fixtures.js';
import { applyFull, rejects } from './store-helpers.js';

/** Images go in chunks of this many bytes: a transfer of many chunks, cut and resumed between them. */
const CHUNK = 3000;

// The full-image path hardened: commit hashes the image as it reads back from the
// slot, and a transfer cut by a reboot resumes from the progress the store
// persisted in the selector log (docs/tokens.md, "Updates and their guarantees").

const backend = new NodeSigner(new Uint8Array(32).fill(7));
const PARTITIONS = { 'tokens-a': 128 * 1024, 'tokens-b': 128 * 1024, 'tokens-sel': 8 * 1024, 'tokens-ovl': 16 * 1024 };
const BLOCK = 4096;
const EVERY = 8 * 1024; // progress every two blocks: several records per test image

type Flashes = { flash(name: string): FlashRegion };
const boot = (p: HostPlatform, flash: Flashes = p) =>
  new TokenStore({ platform: { flash: (n) => flash.flash(n), crypto: nodeCrypto }, backendKey: backend.publicKey, resumeEvery: EVERY });
const image = (lists: PartnerTokens[], version: number, signer = backend) =>
  signTable(compileTable({ listVersion: version, createdAt: 0, partners: lists }, nodeCrypto).image, signer);

function stream(store: TokenStore, bytes: Uint8Array, from = 0, chunk = CHUNK): void {
  for (let o = from; o < bytes.length; o += chunk) store.writeChunk(o, bytes.subarray(o, o + chunk));
}

const lists = [partnerLists(40, 9000), partnerLists(41, 9000), partnerLists(42, 9000), partnerLists(43, 5000)];
const images = [image(lists[0], 1), image(lists[1], 2), image(lists[2], 3), image(lists[3], 4)];
const probe = [...new Set(lists.flatMap((l) => [...expectedEntries(l).keys()].slice(0, 150))), 'NOPE', '0A0B0C0D'];
const answers = (s: TokenStore) => ({ version: s.version, entries: probe.map((u) => s.lookup(u)) });

let image3Answers: ReturnType<typeof answers> | undefined;
/** What a device answers with image 3 applied: computed once, on sound flash. */
function withImage3() {
  if (!image3Answers) {
    const { store } = device();
    applyFull(store, images[2], CHUNK);
    image3Answers = answers(store);
  }
  return image3Answers;
}

/** A device with images 1 (slot a) then 2 (slot b) applied: image 3 goes to slot a, over image 1's blocks. */
function device(): { p: HostPlatform; store: TokenStore } {
  const p = hostPlatform(PARTITIONS);
  const store = boot(p);
  applyFull(store, images[0], CHUNK);
  applyFull(store, images[1], CHUNK);
  return { p, store };
}

/** The platform's flash, with the end of the last completed write to `slot` kept: what a resume may claim. */
function tracking(p: HostPlatform, slot: string): Flashes & { done: number } {
  const t = {
    done: 0,
    flash(name: string): FlashRegion {
      const r = p.flash(name);
      if (name !== slot) return r;
      return {
        name: r.name, byteLength: r.byteLength, blockSize: r.blockSize,
        read: (o, n) => r.read(o, n), erase: (b) => r.erase(b),
        write(o, d) { r.write(o, d); t.done = Math.max(t.done, o + d.length); },
      };
    },
  };
  return t;
}

describe('commit verifies the slot as it reads back', () => {
  // A block left by a cut erase can read erased (so writeChunk does not erase it again: FLOOD-3)
  // while a cell of it programs wrong; or a program fails silently. The bytes that went by were right.
  const faults: Array<[string, (r: FlashRegion, at: number) => FlashRegion]> = [
    ['a cell that programs one bit low', (r, at) => fault(r, (o, d) => {
      if (at < o || at >= o + d.length) return d;
      const out = d.slice();
      out[at - o] &= out[at - o] - 1; // clears its lowest set bit
      return out;
    })],
    ['a program that fails silently', (r, at) => fault(r, (o, d) => (at >= o && at < o + d.length ? undefined : d))],
  ];

  for (const [what, make] of faults) {
    it(`${what}: refused with BAD_HASH, the old list in force, then a clean transfer applies`, () => {
      const { p, store } = device();
      const before = answers(store);
      const img = images[2];
      const headerLength = new DataView(img.buffer, img.byteOffset).getUint32(8, true);
      let at = headerLength + 20_000;
      while (img[at] === 0 || img[at] === 0xff) at++; // a byte with a bit to lose, and not one an erased cell already holds
      const faulty = boot(p, { flash: (n) => (n === 'tokens-a' ? make(p.flash(n), at) : p.flash(n)) });
      expect(faulty.status.slot).toBe(1);
      faulty.beginFull(img.length);
      stream(faulty, img);
      rejects('BAD_HASH', () => faulty.commit());
      expect(answers(faulty)).toEqual(before);
      const rebooted = boot(p);
      expect(answers(rebooted)).toEqual(before);
      expect(rebooted.pendingFull()).toBeUndefined(); // a refused image is not resumed
      // A sound transfer erases the block again (it no longer reads erased) and applies.
      expect(applyFull(rebooted, img, CHUNK)).toBe(3);
      expect(answers(rebooted)).toEqual(withImage3());
      expect(answers(boot(p))).toEqual(withImage3());
    });
  }

  it('the header and signature are taken from the slot too', () => {
    const { p, store } = device();
    const before = answers(store);
    const img = images[2];
    let hb = 32; // in the body's SHA-256, which the signature covers
    while ((img[hb] & 1) === 0) hb++;
    const faulty = boot(p, { flash: (n) => (n === 'tokens-a' ? fault(p.flash(n), (o, d) => (o === 0 ? Uint8Array.from(d, (b, i) => (i === hb ? b & 0xfe : b)) : d)) : p.flash(n)) });
    faulty.beginFull(img.length);
    stream(faulty, img);
    rejects('BAD_SIGNATURE', () => faulty.commit());
    expect(answers(boot(p))).toEqual(before);
  });
});

function fault(r: FlashRegion, edit: (offset: number, data: Uint8Array) => Uint8Array | undefined): FlashRegion {
  return {
    name: r.name, byteLength: r.byteLength, blockSize: r.blockSize,
    read: (o, n) => r.read(o, n), erase: (b) => r.erase(b),
    write(o, d) { const x = edit(o, d); if (x) r.write(o, x); },
  };
}

describe('a full transfer resumes after a reboot', () => {
  it('power cut at every write of a transfer: the old list stays, the transfer resumes from a persisted offset ≤ what was written, the image verifies', () => {
    const img = images[2];
    const dry = device();
    const w0 = dry.p.power.writes;
    applyFull(dry.store, img, CHUNK);
    const after = answers(dry.store);
    const writes = dry.p.power.writes - w0;
    expect(writes).toBeGreaterThan(30);
    let resumed = 0;
    for (let n = 1; n <= writes; n++) {
      const { p, store } = device();
      const old = answers(store);
      const t = tracking(p, 'tokens-a');
      const live = boot(p, t);
      p.power.cutAtWrite(n);
      expect(() => applyFull(live, img, CHUNK)).toThrow(PowerCut);
      p.power.restore();
      const rebooted = boot(p);
      if (rebooted.version === 3) {
        // Only the last write (the selection) may land whole and switch.
        expect(n).toBe(writes);
        expect(answers(rebooted)).toEqual(after);
        continue;
      }
      expect(answers(rebooted)).toEqual(old);
      const pending = rebooted.pendingFull();
      const lastMark = Math.floor(t.done / EVERY) * EVERY;
      if (pending) {
        expect(pending).toMatchObject({ version: 3, size: img.length });
        expect(pending.written % BLOCK).toBe(0);
        expect(pending.written).toBeLessThanOrEqual(t.done);
        // At most one record behind (the one a cut tore), and never at the end: that is the commit's.
        expect(pending.written).toBeGreaterThanOrEqual(lastMark - EVERY);
        expect(pending.written).toBeLessThan(img.length);
        resumed++;
      } else {
        expect(lastMark - EVERY).toBeLessThanOrEqual(0);
      }
      const from = pending?.written ?? 0;
      if (!pending) rebooted.beginFull(img.length);
      stream(rebooted, img, from, 5000);
      expect(rebooted.commit()).toBe(3);
      expect(answers(rebooted)).toEqual(after);
      expect(answers(boot(p))).toEqual(after);
      expect(boot(p).pendingFull()).toBeUndefined();
    }
    expect(resumed).toBeGreaterThan(writes / 2);
  });

  it('resumes across reboots one after another, and a rotation of the backend key on the way', () => {
    const { p } = device();
    const next = new NodeSigner(new Uint8Array(32).fill(8));
    const img = image(lists[2], 3, next); // the backend signs with the key it rotates to
    let store = boot(p);
    store.beginFull(img.length);
    let o = 0, reboots = 0;
    for (let round = 0; ; round++) {
      const n = Math.min(img.length - o, 9000 + round * 1111);
      store.writeChunk(o, img.subarray(o, o + n));
      o += n;
      if (o === img.length) break;
      if (round === 2) store.rotateKey(signKeyRotation(encodeKeyRotation({ seq: 1, key: next.publicKey, revoke: false }), backend));
      store = boot(p); // no cut: the store simply goes away
      reboots++;
      const pending = store.pendingFull()!;
      expect(pending.written).toBe(Math.floor(o / EVERY) * EVERY);
      o = pending.written;
    }
    expect(reboots).toBeGreaterThan(3);
    expect(store.commit()).toBe(3);
    expect(boot(p).status).toMatchObject({ version: 3, keySeq: 1 });
    expect(answers(boot(p))).toEqual(withImage3());
  });

  it('a new transfer of another version or size starts over, and clears the progress of the one it replaces', () => {
    const { p, store } = device();
    const old = answers(store);
    store.beginFull(images[2].length);
    stream(store, images[2].subarray(0, 40_000));
    const rebooted = boot(p);
    expect(rebooted.pendingFull()).toEqual({ version: 3, size: images[2].length, written: 40_000 - (40_000 % EVERY) });
    const other = images[3];
    expect(other.length).not.toBe(images[2].length);
    rebooted.beginFull(other.length);
    expect(rebooted.pendingFull()).toBeUndefined(); // no header yet
    // A reboot before the new transfer wrote anything: the slot still holds the old one's header,
    // but its progress was cleared, so nothing resumes.
    const again = boot(p);
    expect(again.pendingFull()).toBeUndefined();
    expect(answers(again)).toEqual(old);
    rejects('BAD_OFFSET', () => rebooted.writeChunk(EVERY, other.subarray(EVERY, 2 * EVERY)));
    expect(applyFull(again, other, CHUNK)).toBe(4);
  });

  it('a refused transfer is not resumed: a bad chunk past the first progress record clears it', () => {
    const { p, store } = device();
    const img = images[2].slice();
    img[img.length - 10] ^= 0x10; // in the signature: refused at commit
    store.beginFull(img.length);
    stream(store, img.subarray(0, 30_000));
    expect(boot(p).pendingFull()?.written).toBe(24 * 1024);
    stream(store, img, 30_000);
    rejects('BAD_SIGNATURE', () => store.commit());
    expect(boot(p).pendingFull()).toBeUndefined();
  });

  it('a progress record that lies cannot make commit accept a wrong image', () => {
    const { p, store } = device();
    const old = answers(store);
    const img = images[2];
    store.beginFull(img.length);
    stream(store, img.subarray(0, 30_000));
    const written = boot(p).pendingFull()!.written;
    expect(written).toBe(24 * 1024);
    const lie = (pr: Partial<Progress>) => new SlotSelector(p.flash('tokens-sel')).setProgress({ slot: 0, listVersion: 3, imageLength: img.length, offset: written, ...pr });

    // Records that do not fit the slot are dropped at boot, without a write.
    for (const bad of [
      { offset: written + 100 }, { offset: 0 }, { offset: img.length }, { offset: img.length + BLOCK * 10 },
      { slot: 1 }, { slot: 7 }, { listVersion: 4 }, { listVersion: 2 }, { imageLength: img.length + BLOCK },
      { imageLength: 100 }, { imageLength: 0xffffffff },
    ]) {
      lie(bad);
      const sel = p.regions.get('tokens-sel')!.raw.slice();
      const s = boot(p);
      expect(s.pendingFull(), JSON.stringify(bad)).toBeUndefined();
      expect(answers(s)).toEqual(old);
      expect(p.regions.get('tokens-sel')!.raw).toEqual(sel);
      rejects('NO_UPDATE', () => s.writeChunk(written, img.subarray(written, written + 10)));
    }

    // One past what was written (whole blocks, inside the image) is taken: the commit finds the gap
    // (bytes 30,000..32,767 were erased by the write front, the blocks after hold image 1).
    for (const skip of [2 * BLOCK, 4 * BLOCK]) {
      lie({ offset: written + skip });
      const s = boot(p);
      expect(s.pendingFull()).toEqual({ version: 3, size: img.length, written: written + skip });
      stream(s, img, written + skip);
      rejects('BAD_HASH', () => s.commit());
      expect(answers(s)).toEqual(old);
      expect(answers(boot(p))).toEqual(old);
      expect(boot(p).pendingFull()).toBeUndefined();
    }

    // One short of it only costs bytes sent again.
    lie({ offset: written - 2 * BLOCK });
    const s = boot(p);
    expect(s.pendingFull()?.written).toBe(written - 2 * BLOCK);
    stream(s, img, written - 2 * BLOCK);
    expect(s.commit()).toBe(3);
  });

  it('a progress record whose slot holds another header (a newer transfer began) is dropped', () => {
    const { p, store } = device();
    store.beginFull(images[2].length);
    stream(store, images[2].subarray(0, 30_000));
    // The other transfer's first chunk over the header, its progress record never written.
    const raw = p.regions.get('tokens-a')!.raw;
    raw.fill(0xff, 0, BLOCK);
    raw.set(images[3].subarray(0, 3000), 0);
    expect(boot(p).pendingFull()).toBeUndefined();
  });
});

describe('the selector log carries progress with the state', () => {
  const key = (i: number): KeyState => ({ seq: i, key: Uint8Array.from({ length: 65 }, (_, j) => (j === 0 ? 4 : (i * 31 + j) & 0xff)), revoked: [new Uint8Array(16).fill(i)] });
  type Op = (s: SlotSelector) => void;
  // Small blocks (512 B: a key record, a progress record and a few more) so blocks are opened often,
  // by both kinds of record, with the key in force as a 256-byte record.
  const ops: Op[] = [];
  ops.push((s) => s.select(0, 1, 1000));
  for (let i = 1; i <= 12; i++) ops.push((s) => s.setProgress({ slot: 1, listVersion: 2, imageLength: 90_000, offset: i * 4096 }));
  ops.push((s) => s.setKey(key(1)));
  for (let i = 13; i <= 30; i++) ops.push((s) => s.setProgress({ slot: 1, listVersion: 2, imageLength: 90_000, offset: i * 4096 }));
  ops.push((s) => s.setKey(key(2)), (s) => s.setKey(key(3)));
  ops.push((s) => s.select(1, 2, 90_000));
  ops.push((s) => s.setProgress({ slot: 0, listVersion: 3, imageLength: 50_000, offset: 8192 }));
  for (let i = 4; i <= 6; i++) ops.push((s) => s.setKey(key(i)));
  ops.push((s) => s.setProgress(undefined), (s) => s.setKey(key(7)), (s) => s.setProgress({ slot: 0, listVersion: 4, imageLength: 20_000, offset: 4096 }));
  for (let i = 8; i <= 12; i++) ops.push((s) => s.setKey(key(i)));

  const view = (s: SlotSelector) => ({
    selection: s.selection && { slot: s.selection.slot, listVersion: s.selection.listVersion, imageLength: s.selection.imageLength },
    keys: s.keyState && { seq: s.keyState.seq, key: [...s.keyState.key], revoked: s.keyState.revoked.map((f) => [...f]) },
    progress: s.progress,
  });
  const region = () => new SimFlash('tokens-sel', 1024, { blockSize: 512 });

  it('a power cut at every write: after the reboot, the state and progress before or after the operation cut, never less; then the rest applies', () => {
    const dry = region();
    const models: ReturnType<typeof view>[] = [];
    let sel = new SlotSelector(dry);
    models.push(view(sel));
    for (const op of ops) {
      op(sel);
      models.push(view(sel));
      expect(view(new SlotSelector(dry))).toEqual(models[models.length - 1]);
    }
    const total = dry.power.writes;
    expect(total).toBeGreaterThan(ops.length + 4); // blocks were opened
    for (let n = 1; n <= total; n++) {
      const r = region();
      sel = new SlotSelector(r);
      r.power.cutAtWrite(n);
      let i = 0;
      try {
        for (; i < ops.length; i++) ops[i](sel);
        throw new Error('no cut');
      } catch (e) {
        expect(e).toBeInstanceOf(PowerCut);
      }
      r.power.restore();
      sel = new SlotSelector(r);
      expect([models[i], models[i + 1]]).toContainEqual(view(sel));
      for (let j = isDeepStrictEqual(view(sel), models[i + 1]) ? i + 1 : i; j < ops.length; j++) ops[j](sel);
      expect(view(sel)).toEqual(models[ops.length]);
      expect(view(new SlotSelector(r))).toEqual(models[ops.length]);
    }
  });

  it('a progress record naming the slot selected later is over', () => {
    const r = region();
    const s = new SlotSelector(r);
    s.select(0, 1, 1000);
    s.setProgress({ slot: 1, listVersion: 2, imageLength: 9000, offset: 4096 });
    expect(new SlotSelector(r).progress).toEqual({ slot: 1, listVersion: 2, imageLength: 9000, offset: 4096 });
    s.select(1, 2, 9000);
    expect(s.progress).toBeUndefined();
    expect(new SlotSelector(r).progress).toBeUndefined();
  });

  it('a progress record that outlives its clear record in a torn erase is outranked by the newest block', () => {
    // The erase that reopens block 0 is cut from the end, just short of P: P survives, its clear record does not.
    let spared = 0;
    const r = new SimFlash('tokens-sel', 1024, { blockSize: 512, tornErase: 'end', tornLength: () => 512 - spared });
    const s = new SlotSelector(r);
    s.select(0, 1, 1000);
    s.setProgress({ slot: 1, listVersion: 2, imageLength: 9000, offset: 4096 }); // a transfer the commit refuses
    const pAt = [0, 32, 64, 96].find((at) => u32(r.map(), at) === 0x50544b52 && r.map()[at + 8] === 1)!;
    s.setProgress(undefined); // its clear record, in the next slot
    spared = pAt + 32;
    const blockFull = (b: number) => !r.map().subarray(b * 512 + 480, b * 512 + 512).every((x) => x === 0xff);
    let v = 1;
    while (!blockFull(1)) s.select(0, ++v, 1000);
    r.power.cutAtWrite(1); // the next write: the erase of block 0
    expect(() => s.select(0, v + 1, 1000)).toThrow(PowerCut);
    r.power.restore();
    expect(u32(r.map(), pAt)).toBe(0x50544b52); // RKTP: P is still there
    const after = new SlotSelector(r);
    expect(after.selection).toMatchObject({ slot: 0, listVersion: v });
    expect(after.progress).toBeUndefined();
  });
});
