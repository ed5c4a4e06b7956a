/**
 * FLOOD-1: a card flickering at the reader's release threshold, or a reader
 * repeating its UID after idle polls, must not be a new tap each time (with
 * the cable in, every second tap would stop the session and write a record).
 *
 * A card on a connector has a window while its last tap there is being
 * decided, was accepted, or was ignored: a tap of the same card on the same
 * connector within `windowMs` of that is ignored and renews the window, so a
 * card that keeps flickering is one tap until it has been away `windowMs`.
 * A refused tap opens no window: a retry is a new tap. Per connector, since
 * the same card at another connector is another intent. Monotonic ms, RAM
 * only: a reboot starts with no windows (the monotonic clock restarts too).
 */
export class RetapGuard {
  /** Entries kept at most; each lives one window, so more means a flood of distinct cards. */
  static readonly MAX_ENTRIES = 32;
  private readonly last = new Map<string, number>();

  get size(): number {
    return this.last.size;
  }

  /** True when this tap repeats the card's last one here; the window then runs from `now`. */
  repeats(uid: string, connector: number, now: number, windowMs: number): boolean {
    if (windowMs <= 0) {
      if (this.last.size > 0) this.last.clear();
      return false;
    }
    const key = keyOf(uid, connector);
    const at = this.last.get(key);
    if (at === undefined) return false;
    if (now - at < windowMs) {
      this.put(key, now);
      return true;
    }
    this.last.delete(key);
    return false;
  }

  /** Opens (or renews) the card's window on the connector: its tap is being decided or was accepted. */
  open(uid: string, connector: number, now: number, windowMs: number): void {
    if (windowMs > 0) this.put(keyOf(uid, connector), now);
  }

  /** The tap was refused after all: a retry is a new tap. */
  forget(uid: string, connector: number): void {
    this.last.delete(keyOf(uid, connector));
  }

  private put(key: string, now: number): void {
    this.last.delete(key); // re-inserted last: iteration order is then oldest first
    this.last.set(key, now);
    // Past the bound the oldest window goes: O(1), so a flood of distinct cards costs no scan per tap.
    if (this.last.size > RetapGuard.MAX_ENTRIES) this.last.delete(this.last.keys().next().value!);
  }
}

function keyOf(uid: string, connector: number): string {
  return `${connector}:${uid}`;
}
