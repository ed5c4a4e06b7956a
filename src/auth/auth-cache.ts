import type { Clock } from '../../hal/clock.js';
import type { IdTagInfo } from './status.js';

export interface AuthCacheOptions {
  enabled: boolean;
  /**
   * Seconds an entry stays after it was last used (a tap that consulted it, or
   * the backend's answer that stored it); 0 = no limit. OCPP 2.0.1
   * AuthCacheCtrlr.LifeTime: "how long it takes until a token expires in the
   * authorization cache since it is last used".
   */
  lifetimeS: number;
  maxEntries: number;
}

/** `usedAt`: monotonic ms of the last use (never the wall clock, which can be set). */
interface Entry { info: IdTagInfo; usedAt: number }

/**
 * The OCPP authorization cache: the backend's recent answers, by id. Map
 * order is recency (a hit moves the entry to the end). When full it drops,
 * oldest first, an aged-out or non-Accepted entry, else the least recently
 * used one (OCPP 2.0.1 C10: invalid entries go before valid ones).
 * The caller keeps out ids of the local list and answers that may not be
 * used (see Authorizer.remember).
 */
export class AuthCache {
  private entries = new Map<string, Entry>();
  private options: AuthCacheOptions;

  constructor(private readonly clock: Clock, options: AuthCacheOptions) {
    this.options = { ...options };
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  get size(): number {
    return this.entries.size;
  }

  /** A disabled cache forgets everything; a smaller one evicts down to its bound. */
  configure(options: AuthCacheOptions): void {
    this.options = { ...options };
    if (!options.enabled) this.entries.clear();
    while (this.entries.size > options.maxEntries) this.evictOne();
  }

  /** The entry, if it has not aged out; a hit is a use: it renews the lifetime and the recency. */
  lookup(uid: string): IdTagInfo | undefined {
    if (!this.options.enabled) return undefined;
    const e = this.entries.get(uid);
    if (!e) return undefined;
    const now = this.clock.monotonic();
    this.entries.delete(uid);
    if (this.aged(e, now)) return undefined;
    e.usedAt = now;
    this.entries.set(uid, e);
    return e.info;
  }

  /** The entry without using it (no renewal), for diagnostics and tests. */
  peek(uid: string): IdTagInfo | undefined {
    const e = this.entries.get(uid);
    return e && !this.aged(e, this.clock.monotonic()) ? e.info : undefined;
  }

  put(uid: string, info: IdTagInfo): void {
    if (!this.options.enabled) return;
    this.entries.delete(uid);
    if (this.entries.size >= this.options.maxEntries) this.evictOne();
    const kept: IdTagInfo = { status: info.status };
    if (info.expiryDate !== undefined) kept.expiryDate = info.expiryDate;
    if (info.groupId !== undefined) kept.groupId = info.groupId;
    this.entries.set(uid, { info: kept, usedAt: this.clock.monotonic() });
  }

  delete(uid: string): void {
    this.entries.delete(uid);
  }

  /** OCPP ClearCache. */
  clear(): void {
    this.entries.clear();
  }

  private aged(e: Entry, now: number): boolean {
    return this.options.lifetimeS > 0 && now - e.usedAt >= this.options.lifetimeS * 1000;
  }

  private evictOne(): void {
    const now = this.clock.monotonic();
    let victim: string | undefined;
    for (const [uid, e] of this.entries) {
      victim ??= uid;
      if (this.aged(e, now) || e.info.status !== 'Accepted') {
        victim = uid;
        break;
      }
    }
    if (victim !== undefined) this.entries.delete(victim);
  }
}
