// Fake of Moddable's `mqtt` Client (modules/network/mqtt): QoS 0, connects on
// construction and reports onReady, or onClose when the broker is down; no
// reconnection of its own. Behind it a loopback broker on the fake device that
// a test brings up and down; topics match with MQTT's + and # wildcards.
import { bytesOf, device } from './device.js';
import Timer from './timer.js';

export interface ClientOptions { host: string; port?: number; id: string; user?: string; password?: ArrayBuffer; timeout?: number; Socket?: unknown; secure?: Record<string, unknown> }

export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/'), t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

export class FakeBroker {
  up = true;
  readonly clients = new Set<Client>();
  readonly published: Array<{ client: string; topic: string; payload: Uint8Array }> = [];
  connects = 0;

  /** Drops every connection (each client gets onClose) and refuses new ones while down. */
  stop(): void {
    this.up = false;
    for (const c of [...this.clients]) c.lose();
  }
  start(): void {
    this.up = true;
  }
  /** A message from elsewhere (the backend) to the clients subscribed. */
  deliver(topic: string, payload: Uint8Array, from?: Client): void {
    for (const c of this.clients) if (c !== from) c.receive(topic, payload);
  }
}

export const broker = new FakeBroker();

export default class Client {
  onReady?: () => void;
  onMessage?: (topic: string, data: ArrayBuffer) => void;
  onClose?: () => void;
  private readonly filters = new Set<string>();
  private open = false;
  private closed = false;

  constructor(readonly options: ClientOptions) {
    if (!options.host || !options.id) throw new Error('mqtt: host and id are required');
    // The connection completes in a later turn, as a socket's would.
    Timer.set(() => {
      if (this.closed) return;
      if (!broker.up) { this.closed = true; this.onClose?.(); return; }
      this.open = true;
      broker.clients.add(this);
      broker.connects++;
      this.onReady?.();
    }, 0);
  }

  publish(topic: string, message: string | ArrayBuffer): void {
    if (!this.open) throw new Error('mqtt: not connected');
    const payload = typeof message === 'string' ? new TextEncoder().encode(message) : bytesOf(message).slice();
    broker.published.push({ client: this.options.id, topic, payload });
    broker.deliver(topic, payload, this);
  }

  subscribe(topic: string): void {
    if (!this.open) throw new Error('mqtt: not connected');
    this.filters.add(topic);
  }

  unsubscribe(topic: string): void {
    this.filters.delete(topic);
  }

  close(): void {
    this.closed = true;
    this.open = false;
    broker.clients.delete(this);
  }

  /** @internal the broker side */
  receive(topic: string, payload: Uint8Array): void {
    for (const f of this.filters) if (topicMatches(f, topic)) { this.onMessage?.(topic, payload.slice().buffer as ArrayBuffer); return; }
  }

  /** @internal the connection dropped */
  lose(): void {
    if (!this.open) return;
    this.open = false;
    this.closed = true;
    broker.clients.delete(this);
    this.onClose?.();
  }
}
