// The flash regions roam uses, by partition name: one name per region, the
// same in the partition tables (partitions/roam-*.csv), the manifest's
// config.roam.partitions, the Charger the device boots, and the technician CLI
// that reads dumps. test/device/partitions.test.ts checks all four.
import { DEFAULT_PARTITIONS, type PartitionNames } from '../../src/charger/options.js';

export interface RoamPartitions extends PartitionNames {
  /** ESP-IDF NVS: Moddable's preference module (settings). */
  nvs: string;
}

export const ROAM_PARTITIONS: RoamPartitions = { ...DEFAULT_PARTITIONS, nvs: 'nvs' };

/** Every data partition roam reads or writes, in table order. */
export function roamRegionNames(p: RoamPartitions = ROAM_PARTITIONS): string[] {
  return [...p.tokenSlots, p.tokenSelector, p.tokenOverlay, p.localList, p.journal];
}

/** The names a firmware's manifest gives (config.roam.partitions), checked, over the defaults. */
export function partitionsOf(config: unknown): RoamPartitions {
  const given = (config ?? {}) as Partial<RoamPartitions>;
  const p: RoamPartitions = { ...ROAM_PARTITIONS, ...given };
  const names = [...roamRegionNames(p), p.nvs];
  if (!Array.isArray(p.tokenSlots) || p.tokenSlots.length !== 2) throw new TypeError('config.roam.partitions.tokenSlots must name two partitions');
  for (const n of names)
    if (typeof n !== 'string' || n.length === 0 || n.length > 16) throw new TypeError(`partition names are 1..16 characters (ESP-IDF): ${JSON.stringify(n)}`);
  if (new Set(names).size !== names.length) throw new TypeError(`config.roam.partitions names a partition twice: ${names.join(', ')}`);
  return p;
}
