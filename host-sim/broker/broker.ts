/** A running MQTT broker on loopback. */
export interface Broker {
  kind: 'aedes' | 'mosquitto' | 'external';
  url: string;
  port: number;
  close(): Promise<void>;
}
