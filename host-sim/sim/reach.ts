import mqtt from 'mqtt';
import { type Broker, Mosquitto, mosquittoBinary } from '../broker/index.js';
import { RunError } from './args.js';

/** Exit code of `npm start` and `fleet` when the broker cannot be reached (or mosquitto is not installed): roam's "not available". */
export const UNREACHABLE = 4;

/**
 * One MQTT connection attempt, no retries: resolves once the broker answers
 * CONNECT, else a RunError naming the URL and why. The simulator's own clients
 * reconnect forever (a device does), so without this an unreachable broker
 * looks like a day with every charger offline.
 */
export async function reachBroker(url: string, timeoutMs = 5000): Promise<void> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: timeoutMs, clientId: `roam-probe-${process.pid}-${Date.now() % 1e6}` });
  let why = `no answer within ${timeoutMs / 1000} s`;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(), timeoutMs + 500);
      client.once('connect', () => { clearTimeout(timer); resolve(); });
      client.on('error', (e: Error & { code?: string | number }) => { why = e.code ? `${e.code} (${e.message})` : e.message; });
      client.once('close', () => { clearTimeout(timer); reject(); });
    });
  } catch {
    throw new RunError(`cannot reach the MQTT broker at ${url}: ${why}`, UNREACHABLE);
  } finally {
    client.end(true);
  }
}

/** The fleet's own mosquitto; when it is not installed, a RunError (exit 4) saying how to install it. */
export async function startMosquitto(find: () => string = mosquittoBinary): Promise<Broker> {
  try {
    find();
  } catch (e) {
    throw new RunError((e as Error).message, UNREACHABLE);
  }
  return Mosquitto.start();
}
