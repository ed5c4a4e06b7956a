// Moddable's `mqtt` module. A module file, mapped by tsconfig paths, because
// the npm package of the same name (the host's MQTT.js) would win resolution.
/** Moddable's MQTT 3.1.1 client (modules/network/mqtt): QoS 0 only. */
export default class Client {
  constructor(options: {
    host: string;
    port?: number;
    id: string;
    user?: string;
    password?: ArrayBuffer;
    will?: { topic: string; message: string | ArrayBuffer };
    path?: string;
    timeout?: number;
    Socket?: unknown;
    secure?: Record<string, unknown>;
  });
  onReady?: () => void;
  onMessage?: (topic: string, data: ArrayBuffer) => void;
  onClose?: () => void;
  publish(topic: string, message: string | ArrayBuffer): void;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  close(): void;
}
