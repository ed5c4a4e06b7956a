import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Transport } from '../../hal/transport.js';

/** The Transport over MQTT.js: QoS 0, like the device's mqtt module; reconnects by itself. */
export class MqttTransport implements Transport {
  onMessage?: Transport['onMessage'];
  onConnect?: Transport['onConnect'];
  onDisconnect?: Transport['onDisconnect'];
  private readonly client: MqttClient;
  private readonly filters = new Set<string>();

  constructor(url: string, options: IClientOptions = {}) {
    this.client = mqtt.connect(url, { reconnectPeriod: 500, connectTimeout: 5000, ...options });
    this.client.on('connect', () => {
      // Subscriptions are re-made on every connect: a clean session forgets them.
      if (this.filters.size) this.client.subscribe([...this.filters], { qos: 0 });
      this.onConnect?.();
    });
    this.client.on('close', () => this.onDisconnect?.());
    this.client.on('error', () => {}); // reconnect handles it; connected stays false
    this.client.on('message', (topic, payload) => this.onMessage?.(topic, new Uint8Array(payload)));
  }

  get connected(): boolean {
    return this.client.connected;
  }

  publish(topic: string, payload: Uint8Array): void {
    if (this.client.connected) this.client.publish(topic, Buffer.from(payload), { qos: 0 });
  }

  subscribe(topicFilter: string): void {
    this.filters.add(topicFilter);
    if (this.client.connected) this.client.subscribe(topicFilter, { qos: 0 });
  }

  close(): void {
    this.client.end(true);
  }
}
