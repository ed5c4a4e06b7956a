/** One named measurement in bench/results.json. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
}

/**
 * A benchmark: bench/<name>.bench.ts default-exports one. `quick` asks for
 * the small sizes only (used by the test suite to check the bench still runs).
 */
export type Bench = (options: { quick: boolean; log: (line: string) => void }) => Promise<Figure[]>;
