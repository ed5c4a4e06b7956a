import type { Transport } from '../../hal/transport.js';

/** MQTT topic filter matching, with + (one level) and # (the rest). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

export interface MemoryBusOptions {
  /** Decides whether one delivery is lost (QoS 0 allows it); default: never. */
  drop?: (topic: string, payload: Uint8Array) => boolean;
}

/**
 * An in-process broker with QoS 0 semantics for deterministic tests: published
 * messages queue until drain(), each delivery may be dropped, and a client can
 * be taken offline (it loses its subscriptions' deliveries, as over a dead link).
 */
export class MemoryBus {
  delivered = 0;
  dropped = 0;
  private readonly clients = new Set<MemoryTransport>();
  private queue: { topic: string; payload: Uint8Array }[] = [];

  constructor(public options: MemoryBusOptions = {}) {}

  connect(online = true): MemoryTransport {
    const t = new MemoryTransport(this, online);
    this.clients.add(t);
    return t;
  }

  /** Delivers everything queued, including what handlers publish meanwhile; returns the count. */
  drain(maxRounds = 100_000): number {
    let n = 0;
    while (this.queue.length && n < maxRounds) {
      const { topic, payload } = this.queue.shift()!;
      for (const c of this.clients) {
        if (!c.connected || !c.wants(topic)) continue;
        if (this.options.drop?.(topic, payload)) {
          this.dropped++;
          continue;
        }
        this.delivered++;
        n++;
        c.onMessage?.(topic, payload.slice());
      }
    }
    return n;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** @internal */
  enqueue(topic: string, payload: Uint8Array): void {
    this.queue.push({ topic, payload: payload.slice() });
  }

  /** @internal */
  remove(t: MemoryTransport): void {
    this.clients.delete(t);
  }
}

export class MemoryTransport implements Transport {
  onMessage?: Transport['onMessage'];
  onConnect?: Transport['onConnect'];
  onDisconnect?: Transport['onDisconnect'];
  published = 0;
  private readonly filters = new Set<string>();

  constructor(private readonly bus: MemoryBus, private online: boolean) {}

  get connected(): boolean {
    return this.online;
  }

  /** The link comes up or goes down, telling the client as MQTT.js would. */
  setOnline(online: boolean): void {
    if (online === this.online) return;
    this.online = online;
    if (online) this.onConnect?.();
    else this.onDisconnect?.();
  }

  wants(topic: string): boolean {
    for (const f of this.filters) if (topicMatches(f, topic)) return true;
    return false;
  }

  publish(topic: string, payload: Uint8Array): void {
    if (!this.online) return;
    this.published++;
    this.bus.enqueue(topic, payload);
  }

  subscribe(topicFilter: string): void {
    this.filters.add(topicFilter);
  }

  close(): void {
    this.online = false;
    this.bus.remove(this);
  }
}
