// The flash regions roam uses, by partition name: one name per region, the
// same in the partition tables (partitions/roam-*.csv), the manifest's
// config.roam.partitions, the store and journal the device opens, and the
// technician CLI that reads dumps. test/device/partitions.test.ts checks all four.

export interface RoamPartitions {
  /** The two A/B slots of the token table image. */
  tokenSlots: [string, string];
  /** Which slot is in force: an append-only log over two flash blocks. */
  tokenSelector: string;
  /** Signed differentials in force on top of the image. */
  tokenOverlay: string;
  /** The session record journal. */
  journal: string;
  /** ESP-IDF NVS: Moddable's preference module (settings). */
  nvs: string;
}

export const ROAM_PARTITIONS: RoamPartitions = {
  tokenSlots: ['tokens-a', 'tokens-b'],
  tokenSelector: 'tokens-sel',
  tokenOverlay: 'tokens-ovl',
  journal: 'journal',
  nvs: 'nvs',
};

/** Every data partition roam reads or writes, in table order. */
export function roamRegionNames(p: RoamPartitions = ROAM_PARTITIONS): string[] {
  return [...p.tokenSlots, p.tokenSelector, p.tokenOverlay, p.journal];
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
