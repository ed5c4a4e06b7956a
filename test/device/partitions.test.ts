import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../host-sim/xs/bundle.js';
import { FLASH_SIZES, readPartitionTable, tableFile } from '../../host-sim/cli/partitions.js';

// ESP-IDF rules: app partitions at 64 KiB boundaries, data at 4 KiB; the table
// itself sits at 0x8000, so the first partition starts at 0x9000 or later.
describe('partition tables', () => {
  it('one table per common ESP32 flash size', () => {
    expect(readdirSync(join(ROOT, 'hal/moddable/partitions')).sort()).toEqual(['roam-16MB.csv', 'roam-4MB.csv', 'roam-8MB.csv']);
  });
  for (const size of FLASH_SIZES) {
    describe(size, () => {
      const t = readPartitionTable(tableFile(size));
      const by = (n: string) => t.partitions.find((p) => p.name === n)!;
      it('states the flash size it is for', () => expect(t.flashSize).toBe(Number.parseInt(size) * 1024 * 1024));
      it('has two OTA app slots, otadata, two token slots, the journal and NVS', () => {
        expect(t.partitions.filter((p) => p.type === 'app').map((p) => p.subtype)).toEqual(['ota_0', 'ota_1']);
        for (const n of ['nvs', 'otadata', 'tokens_a', 'tokens_b', 'journal']) expect(by(n), n).toBeDefined();
        expect(by('nvs').subtype).toBe('nvs');
        expect(by('otadata').subtype).toBe('ota');
        expect(by('otadata').size).toBe(0x2000);
        expect(by('tokens_a').size).toBe(by('tokens_b').size);
        expect(by('nvs').size).toBeGreaterThanOrEqual(3 * 4096);
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
      it('states the token capacity its slots give (≤ 6 B a token, 64 KiB header, 1/64 index headroom)', () => {
        const slot = by('tokens_a').size;
        expect(t.tokenCapacity).toBe(Math.floor(((slot - 65536) * 63) / 64 / 6));
        expect(t.tokenCapacity * 6).toBeLessThan(slot);
      });
      it('states the journal capacity at 5,000 records per MiB', () => {
        expect(t.journalRecords).toBe(Math.floor((by('journal').size * 5000) / 2 ** 20));
      });
    });
  }
  it('1,000,000 tokens fit a 16 MB part', () => {
    expect(readPartitionTable(tableFile('16MB')).tokenCapacity).toBeGreaterThanOrEqual(1_000_000);
  });
  it('the manifest points the esp32 build at these tables', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'manifest.json'), 'utf8'));
    expect(manifest.platforms.esp32.build.PARTITIONS_FILE).toBe('$(ROAM)/hal/moddable/partitions/roam-$(ROAM_FLASH).csv');
    expect(manifest.build['ROAM_FLASH ?=']).toBe('16MB');
    expect(manifest.creation.chunk.initial + manifest.creation.heap.initial * 16).toBe(157_696);
  });
});
