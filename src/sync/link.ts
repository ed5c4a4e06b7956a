import type { Transport } from '../../hal/transport.js';
import { SyncDecodeError } from './errors.js';
import { decodeMessage, encodeMessage, MESSAGES, type MessageKind, type MessageOf } from './messages.js';
import { parseTopic, topicOf } from './topics.js';

type Handler<K extends MessageKind> = (msg: MessageOf<K>) => void;

/**
 * A device's end of roam/v1: owns the Transport's callbacks (it has one slot
 * each) and routes decoded downstream messages to the sync parts. A payload
 * that fails to decode is counted and dropped before any handler sees it.
 */
export class DeviceLink {
  /** Messages refused by their decoder, most recent last (bounded). */
  readonly refused: { kind: MessageKind; error: SyncDecodeError }[] = [];
  refusedCount = 0;
  private readonly handlers = new Map<MessageKind, Handler<never>>();
  private readonly connectListeners: (() => void)[] = [];
  private readonly disconnectListeners: (() => void)[] = [];

  constructor(readonly transport: Transport, readonly deviceId: string) {
    transport.onMessage = (topic, payload) => this.receive(topic, payload);
    transport.onConnect = () => { for (const f of this.connectListeners) f(); };
    transport.onDisconnect = () => { for (const f of this.disconnectListeners) f(); };
  }

  get connected(): boolean {
    return this.transport.connected;
  }

  /** Registers the one handler of a downstream kind and subscribes to its topic. */
  on<K extends MessageKind>(kind: K, handler: Handler<K>): void {
    if (MESSAGES[kind].direction !== 'down') throw new TypeError(`${kind} is not a downstream message`);
    this.handlers.set(kind, handler as Handler<never>);
    this.transport.subscribe(topicOf(this.deviceId, kind));
  }

  onConnect(f: () => void): void {
    this.connectListeners.push(f);
  }

  onDisconnect(f: () => void): void {
    this.disconnectListeners.push(f);
  }

  /** Publishes when connected; QoS 0, so callers that need delivery wait for an answer. */
  send<K extends MessageKind>(kind: K, msg: MessageOf<K>): boolean {
    if (!this.transport.connected) return false;
    this.transport.publish(topicOf(this.deviceId, kind), encodeMessage(kind, msg));
    return true;
  }

  private receive(topic: string, payload: Uint8Array): void {
    const t = parseTopic(topic);
    if (!t || t.deviceId !== this.deviceId) return;
    const handler = this.handlers.get(t.kind) as Handler<typeof t.kind> | undefined;
    if (!handler) return;
    let msg;
    try {
      msg = decodeMessage(t.kind, payload);
    } catch (e) {
      if (!(e instanceof SyncDecodeError)) throw e;
      this.refusedCount++;
      this.refused.push({ kind: t.kind, error: e });
      if (this.refused.length > 8) this.refused.shift();
      return;
    }
    handler(msg as never);
  }
}
