// MQTT brokers for the simulator and tests: aedes embedded, mosquitto as a child process.
export type { Broker } from './broker.js';
export { startAedes } from './aedes-broker.js';
export { freePort, Mosquitto, mosquittoBinary } from './mosquitto.js';

import { startAedes } from './aedes-broker.js';
import type { Broker } from './broker.js';

/** A broker from a URL (external, left running at close) or the embedded aedes when none is given. */
export async function brokerFor(url?: string): Promise<Broker> {
  if (!url) return startAedes();
  const port = Number(new URL(url).port || 1883);
  return { kind: 'external', url, port, close: async () => {} };
}
export { MemoryBus, MemoryTransport, topicMatches, type MemoryBusOptions } from './memory-bus.js';
