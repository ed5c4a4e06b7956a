import type { Transport } from '../../hal/transport.js';

/**
 * A device's uplink that the simulation can cut: while down it is
 * disconnected for the device (publishes dropped, nothing delivered), as when
 * a garage loses its cellular signal, while the broker connection underneath
 * stays up. Survives device reboots: the new sync client takes the callbacks.
 */
export class OutageTransport implements Transport {
  onMessage?: Transport['onMessage'];
  onConnect?: Transport['onConnect'];
  onDisconnect?: Transport['onDisconnect'];
  private down = false;
  private powered = true;

  constructor(private readonly inner: Transport) {
    inner.onMessage = (topic, payload) => { if (this.connected) this.onMessage?.(topic, payload); };
    inner.onConnect = () => { if (!this.down && this.powered) this.onConnect?.(); };
    inner.onDisconnect = () => { if (!this.down && this.powered) this.onDisconnect?.(); };
  }

  get connected(): boolean {
    return !this.down && this.powered && this.inner.connected;
  }

  get innerConnected(): boolean {
    return this.inner.connected;
  }

  setOutage(down: boolean): void {
    if (down === this.down) return;
    const was = this.connected;
    this.down = down;
    if (was && !this.connected) this.onDisconnect?.();
    if (!was && this.connected) this.onConnect?.();
  }

  /** Device off: the link goes with it, silently (no one left to tell). */
  setPowered(on: boolean): void {
    this.powered = on;
    if (!on) {
      this.onMessage = this.onConnect = this.onDisconnect = undefined;
    }
  }

  publish(topic: string, payload: Uint8Array): void {
    if (this.connected) this.inner.publish(topic, payload);
  }

  subscribe(topicFilter: string): void {
    this.inner.subscribe(topicFilter);
  }

  close(): void {
    this.inner.close();
  }
}
