// The form of the NVS `broker` setting: mqtt://host[:port] or mqtts://host[:port].
// One rule for both sides (portable): `roam provision` refuses what the device
// could not use, and the device parses what provision wrote. A message names
// only what is wrong; the caller says where it came from (--broker, NVS broker).

/** Where the device connects: Moddable's mqtt Client takes host and port; tls picks SecureSocket. */
export interface Broker {
  host: string;
  port: number;
  tls: boolean;
}

export class BrokerUrlError extends Error {
  constructor(message: string) {
    super(message);
    // Defined, not assigned: the device's preload freezes Error.prototype (see hal/flash.ts FlashError).
    Object.defineProperty(this, 'name', { value: 'BrokerUrlError', writable: true, enumerable: true, configurable: true });
  }
}

// RFC 3986 §3.1: the scheme is case-insensitive. No userinfo (the device sends
// no MQTT user or password: it is known by its client certificate), no path
// beyond "/", no query or fragment: nothing the mqtt Client would be given.
// An IPv6 literal ([…]) is taken apart only to be refused by name below.
const FORM = /^(mqtts?):\/\/(\[[^\]]*\]|[^/?#@\s:[\]]*)(?::([^/?#@]*))?\/?$/i;
const DEFAULT_PORT = { mqtt: 1883, mqtts: 8883 };
// RFC 1123 §2.1 host names: labels of letters, digits and hyphens, neither
// starting nor ending with a hyphen, 1..63 characters; RFC 1035 §2.3.4: 255
// octets on the wire, 253 characters written out (lwip's DNS takes up to 255).
// The length is counted apart: XS (xsnap) lets a bounded quantifier inside an
// optional group match past its bound (/^(?:a{0,2}a)?$/ takes "aaaa").
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
// RFC 3986 §3.2.2 IPv4address: four dec-octets 0..255, without leading zeros
// (lwip's ipaddr_aton would read 010 as octal 8).
const OCTET = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Parses a broker URL; throws BrokerUrlError with what is wrong. */
export function brokerOf(url: string): Broker {
  const m = typeof url === 'string' ? FORM.exec(url) : null;
  if (!m) throw new BrokerUrlError(`must be mqtt://host[:port] or mqtts://host[:port] (no user, path or query), got ${JSON.stringify(url)}`);
  const scheme = m[1].toLowerCase() as keyof typeof DEFAULT_PORT;
  const host = m[2];
  if (!isHost(host)) throw new BrokerUrlError(`host must be a DNS name (letters, digits, - and .) or an IPv4 address, got ${JSON.stringify(host)}`);
  let port = DEFAULT_PORT[scheme];
  if (m[3] !== undefined) {
    const digits = /^\d+$/.test(m[3]);
    port = digits ? Number(m[3]) : 0;
    if (port < 1 || port > 65535) throw new BrokerUrlError(`port must be 1..65535, got ${digits ? m[3] : JSON.stringify(m[3])}`);
  }
  return { host, port, tls: scheme === 'mqtts' };
}

function isHost(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  const labels = host.split('.');
  // All-numeric labels: an IPv4 address or nothing (RFC 1123 §2.1: a host name is never dotted-decimal).
  if (labels.every((l) => /^\d+$/.test(l))) return labels.length === 4 && labels.every((l) => OCTET.test(l));
  return labels.every((l) => l.length <= 63 && LABEL.test(l));
}
