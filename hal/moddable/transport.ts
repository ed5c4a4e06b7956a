import Client from 'mqtt';
import { Socket } from 'socket';
import Timer from 'timer';
import type { Transport } from '../transport.js';
import { exactBuffer } from './crypto.js';
import { pacedSocket, type SocketClass } from './paced-socket.js';

export interface MqttOptions {
  host: string;
  port?: number;
  id: string;
  user?: string;
  password?: string;
  /** Keep-alive in ms; also how soon a dead link is noticed. */
  keepAlive?: number;
  /** SecureSocket (from "securesocket") for TLS, with its options. */
  Socket?: unknown;
  secure?: Record<string, unknown>;
  /** First reconnect delay; doubles up to maxBackoff. */
  backoff?: number;
  maxBackoff?: number;
}

/**
 * The Transport over Moddable's `mqtt` client (QoS 0; the sync layer
 * acknowledges what matters). The client does not reconnect by itself: on
 * close this opens a new one after an exponential backoff, and subscriptions
 * are re-made on every connect.
 */
export class ModdableMqttTransport implements Transport {
  onMessage?: Transport['onMessage'];
  onConnect?: Transport['onConnect'];
  onDisconnect?: Transport['onDisconnect'];
  private client?: Client;
  private ready = false;
  private closed = false;
  private delay: number;
  private retry?: Timer;
  private readonly filters = new Set<string>();

  constructor(private readonly options: MqttOptions) {
    if (!options.host || !options.id) throw new TypeError('MQTT transport needs a host and a client id');
    this.delay = options.backoff ?? 1000;
    this.open();
  }

  get connected(): boolean {
    return this.ready;
  }

  publish(topic: string, payload: Uint8Array): void {
    if (this.ready) this.client!.publish(topic, exactBuffer(payload));
  }

  subscribe(topicFilter: string): void {
    this.filters.add(topicFilter);
    if (this.ready) this.client!.subscribe(topicFilter);
  }

  close(): void {
    this.closed = true;
    if (this.retry) Timer.clear(this.retry);
    this.retry = undefined;
    this.drop();
  }

  private open(): void {
    const o = this.options;
    const client = new Client({
      host: o.host, port: o.port, id: o.id, user: o.user,
      password: o.password === undefined ? undefined : exactBuffer(new TextEncoder().encode(o.password)),
      // Paced: a packet larger than the socket's free send buffer would throw.
      timeout: o.keepAlive ?? 30_000, Socket: pacedSocket((o.Socket ?? Socket) as unknown as SocketClass), secure: o.secure,
    });
    client.onReady = () => {
      this.ready = true;
      this.delay = o.backoff ?? 1000;
      for (const f of this.filters) client.subscribe(f);
      this.onConnect?.();
    };
    client.onMessage = (topic, data) => this.onMessage?.(topic, new Uint8Array(data));
    client.onClose = () => {
      const was = this.ready;
      this.drop();
      if (was) this.onDisconnect?.();
      if (!this.closed) this.schedule();
    };
    this.client = client;
  }

  private drop(): void {
    this.ready = false;
    const c = this.client;
    this.client = undefined;
    if (c) {
      c.onReady = c.onMessage = c.onClose = undefined;
      try { c.close(); } catch { /* already closed by the peer */ }
    }
  }

  private schedule(): void {
    this.retry = Timer.set(() => {
      this.retry = undefined;
      if (!this.closed) this.open();
    }, this.delay);
    this.delay = Math.min(this.delay * 2, this.options.maxBackoff ?? 60_000);
  }
}
