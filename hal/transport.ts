/**
 * What the sync layer needs from MQTT. Delivery is at most once (the Moddable
 * mqtt module is QoS 0 only), so the sync layer acknowledges what matters.
 */
export interface Transport {
  readonly connected: boolean;
  publish(topic: string, payload: Uint8Array): void;
  subscribe(topicFilter: string): void;
  onMessage?: (topic: string, payload: Uint8Array) => void;
  onConnect?: () => void;
  onDisconnect?: () => void;
  close(): void;
}
