import { describe, expect, it } from 'vitest';
import { SimFlash } from '../../host-sim/hal/sim-flash.js';
import { encodeCbor } from '../../src/codec/cbor.js';
import { TokenUpdateError } from '../../src/tokens/errors.js';
import { OverlayLog, type OverlayOp, type OverlayRecord } from '../../src/tokens/overlay.js';
import { overlayFrame } from './fixtures.js';

const set = (uid: string): OverlayOp => [uid, 0, 0, true, 0, null];
const rec = (base: number, from: number, ops: OverlayOp[] = [set(`0411223344${from.toString(16).padStart(4, '0')}`)]): OverlayRecord => ({ base, from, to: from + 1, ops });
const versions = (rs: OverlayRecord[]) => rs.map((r) => [r.base, r.from, r.to]);

/** A CRC-valid frame around any CBOR value, at `at`; returns where the next one goes. */
function frameAt(region: SimFlash, at: number, value: unknown): number {
  const out = overlayFrame(encodeCbor(value));
  region.write(at, out);
  return at + out.length;
}

describe('overlay log', () => {
  it('replays, from flash, the records that chain from the image, in order', () => {
    const region = new SimFlash('tokens-ovl', 4 * 4096);
    const log = new OverlayLog(region);
    for (const r of [rec(5, 5), rec(5, 6), rec(5, 9), rec(5, 7)]) log.add(r);
    const seen: OverlayRecord[] = [];
    new OverlayLog(region).replay(5, (r) => seen.push(r));
    // 5→6→7→8: the record from 9 does not follow and is passed over.
    expect(versions(seen)).toEqual([[5, 5, 6], [5, 6, 7], [5, 7, 8]]);
    expect(versions(log.chain(5))).toEqual(versions(seen));
    expect(seen[1].ops).toEqual(rec(5, 6).ops);
    expect(log.chain(4)).toEqual([]);
  });

  it('erases the records of an older image before the first record of a new one', () => {
    const region = new SimFlash('tokens-ovl', 2 * 4096);
    new OverlayLog(region).add(rec(1, 1));
    const log = new OverlayLog(region);
    log.add(rec(3, 3));
    log.add(rec(3, 4));
    expect(versions(new OverlayLog(region).chain(1))).toEqual([]);
    expect(versions(new OverlayLog(region).chain(3))).toEqual([[3, 3, 4], [3, 4, 5]]);
  });

  it('appends after the last record even when a replay stopped part way', () => {
    const region = new SimFlash('tokens-ovl', 2 * 4096);
    const first = new OverlayLog(region);
    first.add(rec(2, 2));
    first.add(rec(2, 3));
    const log = new OverlayLog(region);
    expect(() => log.replay(2, () => { throw new Error('visitor failed'); })).toThrow('visitor failed');
    log.add(rec(2, 4));
    expect(versions(new OverlayLog(region).chain(2))).toEqual([[2, 2, 3], [2, 3, 4], [2, 4, 5]]);
  });

  it('skips a torn record to the next block and keeps the records before it', () => {
    const region = new SimFlash('tokens-ovl', 3 * 4096);
    const log = new OverlayLog(region);
    log.add(rec(2, 2));
    const end = region.read(0, 4096).findIndex((b, i, all) => all.subarray(i).every((x) => x === 0xff));
    region.write(end, Uint8Array.of(0xa5, 0x20, 0, 0, 0, 1, 2, 3, 4)); // a header whose payload never landed
    const after = new OverlayLog(region);
    expect(versions(after.chain(2))).toEqual([[2, 2, 3]]);
    // Same image: the torn bytes stay, the next record goes to the next block.
    after.add(rec(2, 3));
    expect(versions(new OverlayLog(region).chain(2))).toEqual([[2, 2, 3], [2, 3, 4]]);
    expect(region.read(4096, 1)[0]).toBe(0xa5);
  });

  it('steps over a record of another shape that passes its CRC and replays the ones after it', () => {
    const region = new SimFlash('tokens-ovl', 2 * 4096);
    let at = 0;
    const badOps = { base: 2, from: 2, to: 3, ops: [['A0A1A2A3', 0, 9, 'x', 9, 5]] };
    const shapes = [
      null, 42, { base: 2, from: 'x', to: 3, ops: [] }, badOps,
      { from: 2, base: 2, to: 3, ops: [] }, // keys in another order
      { base: 2, from: 2, to: 3, ops: [], more: 1 }, // a fifth key
      { base: 2, from: 2, to: 3, ops: [['A0 A1', 0, 0, true, 0, null]] }, // a uid no canonical uid is
      { base: 2, from: 2, to: 3, ops: [['A0A1A2A3', 0, 0, true, 0, 'g'.repeat(109)]] }, // a group over 36 UTF-16 units can take
      { base: 2, from: 2, to: 3, ops: [['A0A1A2A3', 0x10000, 0, true, 0, null]] },
    ];
    for (const v of [...shapes, rec(2, 2)]) at = frameAt(region, at, v);
    const log = new OverlayLog(region);
    expect(versions(log.chain(2))).toEqual([[2, 2, 3]]);
    log.add(rec(2, 3));
    expect(region.read(at, 1)[0]).toBe(0xa5);
    expect(versions(new OverlayLog(region).chain(2))).toEqual([[2, 2, 3], [2, 3, 4]]);
  });

  it('reads back every op as it was framed: uids up to 36 characters, any partner index up to 0xFFFF, groups in UTF-8', () => {
    const region = new SimFlash('tokens-ovl', 2 * 4096);
    const ops: OverlayOp[] = [
      ['A'.repeat(36), 0xffff, 3, false, 3, 'Gruppe-Ärzte-東京-🚗'], ['04A1B2C3D4E5F6', 300, 1, true, 0, null], ['CARD-0001'], ['0011223344', 0, 0, true, 0, ''],
    ];
    new OverlayLog(region).add({ base: 7, from: 7, to: 0xffffffff, ops });
    expect(new OverlayLog(region).chain(7)).toEqual([{ base: 7, from: 7, to: 0xffffffff, ops }]);
  });

  it('refuses to frame a record boot could not read back, and writes nothing', () => {
    const region = new SimFlash('tokens-ovl', 2 * 4096);
    const log = new OverlayLog(region);
    for (const ops of [[['A'.repeat(37)]], [['a b']], [['A1A2A3A4', 0, 0, true, 0, 'x'.repeat(109)]]] as OverlayOp[][]) {
      expect(() => log.add({ base: 1, from: 1, to: 2, ops })).toThrow(TokenUpdateError);
      expect(region.read(0, 1)[0]).toBe(0xff);
    }
  });
});
