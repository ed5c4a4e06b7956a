import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../host-sim/xs/bundle.js';
import { FLASH_SIZES, readPartitionTable, tableFile } from '../../host-sim/cli/partitions.js';
import { nodeCrypto } from '../../host-sim/hal/node-crypto.js';
import { SimFlash } from '../../host-sim/hal/sim-flash.js';
import { hostPlatform } from '../../host-sim/hal/index.js';
import { ROAM_PARTITIONS, partitionsOf, roamRegionNames } from '../../hal/moddable/regions.js';
import { compileTable, TokenUpdateError } from '../../src/tokens/index.js';
import { TokenStore } from '../../src/tokens/store.js';
import { OverlayLog, type OverlayOp } from '../../src/tokens/overlay.js';
import { partnerLists } from '../tokens/fixtures.js';

// ESP-IDF rules: app partitions at 64 KiB boundaries, data at 4 KiB; the table
// itself sits at 0x8000, so the first partition starts at 0x9000 or later.
// The stated capacities are checked with the real compiler and overlay log.

/** Signed image length of n tokens of the seeded mix: header + body + a 64-byte signature. */
const signedLength = (n: number) => compileTable({ listVersion: 1, createdAt: 0, partners: partnerLists(42, n) }, nodeCrypto).image.length + 64;

/** Changes (7-byte uids, records of 64) an overlay region of `size` bytes takes before OVERLAY_FULL. */
function overlayChanges(size: number): number {
  const log = new OverlayLog(new SimFlash('tokens-ovl', size));
  let n = 0;
  for (let v = 1; ; v++) {
    const ops: OverlayOp[] = [];
    for (let i = 0; i < 64; i++) ops.push([(0x04000000000000 + n + i).toString(16).toUpperCase().padStart(14, '0'), 0, 0, true, 0, null]);
    try {
      log.add({ base: 1, from: v, to: v + 1, ops });
    } catch (e) {
      expect(e).toBeInstanceOf(TokenUpdateError);
      expect((e as TokenUpdateError).code).toBe('OVERLAY_FULL');
      return n;
    }
    n += 64;
  }
}

describe('partition tables', () => {
  it('one table per common ESP32 flash size', () => {
    expect(readdirSync(join(ROOT, 'hal/moddable/partitions')).sort()).toEqual(['roam-16MB.csv', 'roam-4MB.csv', 'roam-8MB.csv']);
  });
  for (const size of FLASH_SIZES) {
    describe(size, () => {
      const t = readPartitionTable(tableFile(size));
      const by = (n: string) => t.partitions.find((p) => p.name === n)!;
      it('states the flash size it is for', () => expect(t.flashSize).toBe(Number.parseInt(size) * 1024 * 1024));
      it('has two OTA app slots, otadata, NVS and every region roam opens, by the names the code uses', () => {
        expect(t.partitions.filter((p) => p.type === 'app').map((p) => p.subtype)).toEqual(['ota_0', 'ota_1']);
        for (const n of ['nvs', 'otadata', ...roamRegionNames()]) expect(by(n), n).toBeDefined();
        expect(t.partitions.filter((p) => p.type === 'data' && !['nvs', 'otadata', 'phy_init'].includes(p.name)).map((p) => p.name).sort())
          .toEqual(roamRegionNames().sort());
        expect(by(ROAM_PARTITIONS.nvs).subtype).toBe('nvs');
        expect(by('otadata').subtype).toBe('ota');
        expect(by('otadata').size).toBe(0x2000);
        expect(by('tokens-a').size).toBe(by('tokens-b').size);
        expect(by('nvs').size).toBeGreaterThanOrEqual(3 * 4096);
        expect(by('tokens-sel').size).toBe(2 * 4096);
        for (const p of t.partitions) expect(p.name.length, p.name).toBeLessThanOrEqual(16);
      });
      it('is aligned, in order, without overlap, within the flash', () => {
        let end = 0x9000;
        for (const p of t.partitions) {
          expect(p.offset % (p.type === 'app' ? 0x10000 : 0x1000), p.name).toBe(0);
          expect(p.size % 0x1000, p.name).toBe(0);
          expect(p.offset, p.name).toBeGreaterThanOrEqual(end);
          end = p.offset + p.size;
        }
        expect(end).toBeLessThanOrEqual(t.flashSize);
        expect(new Set(t.partitions.map((p) => p.name)).size).toBe(t.partitions.length);
      });
      it('the token store opens on regions of these sizes (selector: two blocks)', () => {
        const p = hostPlatform(Object.fromEntries(roamRegionNames().map((n) => [n, by(n).size])));
        const store = new TokenStore({
          platform: p, backendKey: new Uint8Array(65),
          slots: ROAM_PARTITIONS.tokenSlots, selector: ROAM_PARTITIONS.tokenSelector, overlay: ROAM_PARTITIONS.tokenOverlay,
        });
        expect(store.version).toBeUndefined();
        expect(() => store.beginFull(by('tokens-a').size + 1)).toThrow(/does not fit/);
      });
      it('states the overlay capacity its region gives (measured with the real overlay log)', () => {
        expect(overlayChanges(by('tokens-ovl').size)).toBe(t.overlayChanges);
      });
      it('states the journal figure at the 5,000 records per MiB target', () => {
        expect(t.journalRecords).toBe(Math.floor((by('journal').size * 5000) / 2 ** 20));
      });
      it('states the token capacity its slots give: the compiled, signed image fits; 2% more does not', () => {
        const slot = by('tokens-a').size;
        expect(signedLength(t.tokenCapacity)).toBeLessThanOrEqual(slot);
        expect(signedLength(Math.ceil(t.tokenCapacity * 1.02))).toBeGreaterThan(slot);
      }, 60_000);
    });
  }
  it('1,000,000 tokens fit a 16 MB part', () => {
    expect(readPartitionTable(tableFile('16MB')).tokenCapacity).toBeGreaterThanOrEqual(1_000_000);
  });
  it('the manifest points the esp32 build at these tables and names the same partitions', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'manifest.json'), 'utf8'));
    expect(manifest.platforms.esp32.build.PARTITIONS_FILE).toBe('$(ROAM)/hal/moddable/partitions/roam-$(ROAM_FLASH).csv');
    expect(manifest.build['ROAM_FLASH ?=']).toBe('16MB');
    expect(manifest.creation.chunk.initial + manifest.creation.heap.initial * 16).toBe(157_696);
    // The partition names live in the includable manifest, which the app includes.
    expect(manifest.include).toContain('./hal/moddable/manifest.json');
    const roam = JSON.parse(readFileSync(join(ROOT, 'hal/moddable/manifest.json'), 'utf8'));
    expect(roam.config.roam.partitions).toEqual(ROAM_PARTITIONS);
    expect(partitionsOf(roam.config.roam.partitions)).toEqual(ROAM_PARTITIONS);
  });
  it('refuses partition settings that could not be right', () => {
    expect(() => partitionsOf({ tokenSlots: ['a'] })).toThrow(/two partitions/);
    expect(() => partitionsOf({ journal: 'tokens-a' })).toThrow(/twice/);
    expect(() => partitionsOf({ tokenOverlay: 'a-name-longer-than-16' })).toThrow(/1\.\.16/);
    expect(partitionsOf({ journal: 'records' }).journal).toBe('records');
  });
});
