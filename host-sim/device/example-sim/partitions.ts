/** The flash partitions of the day's simulated board (roam's names, small sizes). */
export const DAY_PARTITIONS: Record<string, number> = {
  'tokens-a': 64 * 1024, 'tokens-b': 64 * 1024, 'tokens-sel': 8192, 'tokens-ovl': 16 * 1024, 'auth-list': 16 * 1024, journal: 32 * 1024,
};
