import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../xs/bundle.js';

export interface Partition { name: string; type: string; subtype: string; offset: number; size: number }
export interface PartitionTable { file: string; flashSize: number; tokenCapacity: number; overlayChanges: number; journalRecords: number; partitions: Partition[] }

export const FLASH_SIZES = ['4MB', '8MB', '16MB'] as const;
export type FlashSize = (typeof FLASH_SIZES)[number];

export function tableFile(size: FlashSize): string {
  return join(ROOT, 'hal/moddable/partitions', `roam-${size}.csv`);
}

/** Reads one of roam's ESP-IDF partition CSVs with its stated figures (the "# name: value" comments). */
export function readPartitionTable(file: string): PartitionTable {
  const stated: Record<string, number> = {};
  const partitions: Partition[] = [];
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const figure = /^#\s*([a-z-]+):\s*(\S+)$/.exec(line);
    if (figure) { stated[figure[1]] = Number(figure[2]); continue; }
    if (line.startsWith('#')) continue;
    const [name, type, subtype, offset, size] = line.split(',').map((s) => s.trim());
    partitions.push({ name, type, subtype, offset: Number(offset), size: Number(size) });
  }
  return {
    file, flashSize: stated['flash-size'], tokenCapacity: stated['token-capacity'], overlayChanges: stated['overlay-changes'],
    journalRecords: stated['journal-records'], partitions,
  };
}
