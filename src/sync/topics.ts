import { TopicError } from './errors.js';
import { MESSAGES, type MessageKind } from './messages.js';

export const TOPIC_ROOT = 'roam/v1';

/** One MQTT topic level: no separators or wildcards, bounded so topics stay small. */
export function checkDeviceId(id: string): string {
  if (!/^[A-Za-z0-9_.:*-]{1,64}$/.test(id)) throw new TopicError(`device id must be 1..64 of A-Z a-z 0-9 _ . : * -, got ${JSON.stringify(id)}`);
  return id;
}

export function topicOf(deviceId: string, kind: MessageKind): string {
  return `${TOPIC_ROOT}/${checkDeviceId(deviceId)}/${MESSAGES[kind].suffix}`;
}

/** The backend's subscription for one kind across all devices. */
export function anyDeviceFilter(kind: MessageKind): string {
  return `${TOPIC_ROOT}/+/${MESSAGES[kind].suffix}`;
}

const bySuffix = new Map<string, MessageKind>();
for (const k of Object.keys(MESSAGES) as MessageKind[]) bySuffix.set(MESSAGES[k].suffix, k);

/** Which device and message a topic is, or undefined for anything not roam/v1. */
export function parseTopic(topic: string): { deviceId: string; kind: MessageKind } | undefined {
  if (!topic.startsWith(`${TOPIC_ROOT}/`)) return undefined;
  const rest = topic.slice(TOPIC_ROOT.length + 1);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const kind = bySuffix.get(rest.slice(slash + 1));
  const deviceId = rest.slice(0, slash);
  if (!kind || !/^[A-Za-z0-9_.:*-]{1,64}$/.test(deviceId)) return undefined;
  return { deviceId, kind };
}
