// One progress line for long host work (npm run fuzz, fleet, bench): done/total,
// rate and time left, redrawn in place on a terminal; silent when the stream is
// not a terminal or CI is set, so logs and CI output hold only the results.

export interface ProgressOptions {
  /** Where the line is drawn (default process.stderr, so stdout stays the report). */
  stream?: { isTTY?: boolean; write(s: string): unknown };
  /** Forces drawing on or off; default: the stream is a terminal and CI is not set. */
  enabled?: boolean;
  /** What is counted, plural ("cases", "chargers", "files"). */
  unit?: string;
  now?: () => number;
  /** Least time between two redraws. */
  everyMs?: number;
}

/** Whether progress is drawn on a stream by default. */
export function progressWanted(stream: { isTTY?: boolean } = process.stderr): boolean {
  return Boolean(stream.isTTY) && !process.env.CI;
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** The line itself: "label  done/total (pct %)  rate unit/s  ~time left  note". */
export function progressLine(label: string, done: number, total: number, elapsedMs: number, unit = '', note = ''): string {
  const parts = [label, total > 0 ? `${count(done)}/${count(total)}${unit ? ` ${unit}` : ''} (${Math.floor((100 * done) / total)} %)` : `${count(done)}${unit ? ` ${unit}` : ''}`];
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  if (done > 0 && elapsedMs >= 500) {
    parts.push(rate >= 10 ? `${count(rate)}/s` : `${rate.toFixed(2)}/s`);
    if (total > done) parts.push(`~${duration((total - done) / rate)} left`);
  }
  if (note) parts.push(note);
  return parts.join('  ');
}

/** A progress line for one piece of work; `update` as often as you like, `end` once. */
export class Progress {
  private readonly stream: NonNullable<ProgressOptions['stream']>;
  private readonly enabled: boolean;
  private readonly now: () => number;
  private readonly everyMs: number;
  private start: number;
  private lastDraw = -Infinity;
  private drawn = false;
  private last: [number, string] = [0, ''];

  constructor(private label: string, private total: number, private readonly o: ProgressOptions = {}) {
    this.stream = o.stream ?? process.stderr;
    this.enabled = o.enabled ?? progressWanted(this.stream);
    this.now = o.now ?? Date.now;
    this.everyMs = o.everyMs ?? 250;
    this.start = this.now();
  }

  /** A new stage with its own count and clock (fleet: connecting, lists, rounds). */
  stage(label: string, total: number): void {
    this.label = label;
    this.total = total;
    this.start = this.now();
    this.lastDraw = -Infinity;
    this.last = [0, ''];
  }

  update(done: number, note = ''): void {
    this.last = [done, note];
    if (!this.enabled) return;
    const t = this.now();
    if (t - this.lastDraw < this.everyMs && done < this.total) return;
    this.draw(t);
  }

  /** Prints a line of output above the progress line, which is drawn again under it. */
  print(line: string, out: (line: string) => void = console.log): void {
    const shown = this.drawn;
    this.end();
    out(line);
    if (shown) this.draw(this.now());
  }

  private draw(t: number): void {
    this.lastDraw = t;
    const cols = (this.stream as { columns?: number }).columns ?? 120;
    this.stream.write(`\r\x1b[K${progressLine(this.label, this.last[0], this.total, t - this.start, this.o.unit, this.last[1]).slice(0, cols - 1)}`);
    this.drawn = true;
  }

  /** Clears the line, so what is printed next starts on a clean one. */
  end(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}
