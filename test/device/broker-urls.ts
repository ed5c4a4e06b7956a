// One table of broker URLs for the one rule (hal/moddable/broker-url.ts), run
// on Node, on XS and through `roam provision --broker`.
import type { Broker } from '../../hal/moddable/broker-url.js';

const FORM = (url: string) => `must be mqtt://host[:port] or mqtts://host[:port] (no user, path or query), got ${JSON.stringify(url)}`;
const HOST = (host: string) => `host must be a DNS name (letters, digits, - and .) or an IPv4 address, got ${JSON.stringify(host)}`;
const PORT = (port: string) => `port must be 1..65535, got ${port}`;
const label63 = 'a'.repeat(63);
const host253 = [label63, label63, label63, 'b'.repeat(61)].join('.');

export const GOOD_BROKERS: Array<[string, Broker]> = [
  ['mqtt://broker.local:1883', { host: 'broker.local', port: 1883, tls: false }],
  ['mqtt://b', { host: 'b', port: 1883, tls: false }],
  ['mqtts://h', { host: 'h', port: 8883, tls: true }],
  ['mqtts://broker.example:8883/', { host: 'broker.example', port: 8883, tls: true }],
  // RFC 3986 §3.1: "schemes are case-insensitive".
  ['MQTTS://Broker.Example:443', { host: 'Broker.Example', port: 443, tls: true }],
  ['mqtt://10.0.0.5:1', { host: '10.0.0.5', port: 1, tls: false }],
  ['mqtt://255.255.255.255:65535', { host: '255.255.255.255', port: 65535, tls: false }],
  // RFC 3986 §3.2.3: port = *DIGIT (leading zeros are digits).
  ['mqtt://h:01883', { host: 'h', port: 1883, tls: false }],
  ['mqtt://xn--bcher-kva.example', { host: 'xn--bcher-kva.example', port: 1883, tls: false }],
  ['mqtt://a-b.c0.example', { host: 'a-b.c0.example', port: 1883, tls: false }],
  [`mqtt://${host253}`, { host: host253, port: 1883, tls: false }],
];

export const BAD_BROKERS: Array<[string, string]> = [
  ['http://x', FORM('http://x')],
  ['mqtt:/x', FORM('mqtt:/x')],
  ['tcp://b:1883', FORM('tcp://b:1883')],
  [' mqtt://b', FORM(' mqtt://b')],
  ['mqtt://b c', FORM('mqtt://b c')],
  // The device once took these whole as the host name ("user@b", "b?x=1").
  ['mqtt://user@b', FORM('mqtt://user@b')],
  ['mqtt://user:pw@b:1883', FORM('mqtt://user:pw@b:1883')],
  ['mqtt://b?x=1', FORM('mqtt://b?x=1')],
  ['mqtt://b:1883?x=1', FORM('mqtt://b:1883?x=1')],
  ['mqtt://b#f', FORM('mqtt://b#f')],
  ['mqtt://b/roam', FORM('mqtt://b/roam')],
  ['mqtt://', HOST('')],
  ['mqtt://:1883', HOST('')],
  ['mqtt://[::1]:1883', HOST('[::1]')],
  ['mqtt://bro_ker', HOST('bro_ker')],
  ['mqtt://broker,example', HOST('broker,example')],
  ['mqtt://-b', HOST('-b')],
  ['mqtt://b-.example', HOST('b-.example')],
  ['mqtt://b..c', HOST('b..c')],
  ['mqtt://b.', HOST('b.')],
  [`mqtt://${label63}a.example`, HOST(`${label63}a.example`)],
  [`mqtt://${host253}c`, HOST(`${host253}c`)],
  ['mqtt://256.1.1.1', HOST('256.1.1.1')],
  ['mqtt://10.0.0', HOST('10.0.0')],
  ['mqtt://1883', HOST('1883')],
  // lwip's ipaddr_aton reads 010 as octal 8; RFC 3986's dec-octet has no leading zero.
  ['mqtt://010.0.0.1', HOST('010.0.0.1')],
  // The device once accepted port 0 and 99999 (the CLI alone checked the range).
  ['mqtt://b:0', PORT('0')],
  ['mqtt://b:99999', PORT('99999')],
  ['mqtt://b:65536', PORT('65536')],
  ['mqtt://b:', PORT('""')],
  ['mqtt://b:18x3', PORT('"18x3"')],
  ['mqtt://b:1:2', PORT('"1:2"')],
];
