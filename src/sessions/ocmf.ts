import type { Crypto, Signer } from '../../hal/crypto.js';
import { fromHex, toHex, utf8 } from '../codec/index.js';
import { RecordError } from './errors.js';
import type { RefusedReading, SessionRecord, Timestamp } from './record.js';

// OCMF (Open Charge Metering Format, S.A.F.E. e.V.): `OCMF|{payload}|{signature}`
// with the payload signed as its exact JSON bytes by ECDSA-secp256r1-SHA256
// and the signature as hex DER. One transaction: a begin ('B') and an end
// ('E') reading. Signing is slow on a device: export off the tap path.

export interface OcmfOptions {
  /** Gateway (charger controller) identification, serial and firmware version. */
  gatewayId: string;
  gatewaySerial: string;
  gatewayVersion: string;
  meterVendor?: string;
  meterModel?: string;
  meterSerial?: string;
  /** Current type of the readings: 'AC' or 'DC' (default 'AC'). */
  currentType?: 'AC' | 'DC';
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** OCMF time: `2026-03-01T06:00:00,000+0000 S` (UTC, with the time status). */
export function ocmfTime(t: Timestamp): string {
  const d = new Date(t.seconds * 1000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())},000+0000 ${t.quality}`;
}

/** The OCMF payload object of a record (key order is the signed order). */
export function ocmfPayload(r: SessionRecord, o: OcmfOptions): Record<string, unknown> {
  const rfid = /^([0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$/.test(r.uid);
  // A reading refused at the meter boundary is exported as the error event it is. OCMF (Table 7):
  // "The fields RV, RI, RU and RT can be omitted if only the occurrence of an error condition
  // (event) of the meter is to be indicated." EF: "Statement about which quantities are no longer
  // usable for billing due to an error … E – Energy". ST (Table 10): "O OUT_OF_RANGE Read value
  // outside the value range", "F READ_ERROR … value of the readout is not valid".
  const reading = (tx: 'B' | 'E', t: Timestamp, wh: number | RefusedReading) => typeof wh === 'number'
    ? { TM: ocmfTime(t), TX: tx, RV: wh, RI: '1-b:1.8.0', RU: 'Wh', RT: o.currentType ?? 'AC', EF: '', ST: 'G' }
    : { TM: ocmfTime(t), TX: tx, EF: 'E', ST: wh };
  return {
    FV: '1.0',
    GI: o.gatewayId,
    GS: o.gatewaySerial,
    GV: o.gatewayVersion,
    PG: `T${r.seq}`,
    MV: o.meterVendor ?? '',
    MM: o.meterModel ?? '',
    MS: o.meterSerial ?? '',
    IS: true,
    IL: r.method === 'AUTH_REQUEST' ? 'VERIFIED' : 'TRUSTED',
    IF: [rfid ? 'RFID_PLAIN' : 'RFID_NONE', r.method === 'AUTH_REQUEST' ? 'OCPP_AUTH' : 'OCPP_WHITELIST'],
    IT: rfid ? 'ISO14443' : 'UNDEFINED',
    ID: r.uid,
    CT: 'EVSEID',
    CI: r.evseId,
    RD: [reading('B', r.start, r.meterStartWh), reading('E', r.stop, r.meterStopWh)],
  };
}

/** An OCMF string for the session of `record`, signed with the device key. */
export function exportOcmf(record: SessionRecord, signer: Signer, options: OcmfOptions): string {
  const payload = JSON.stringify(ocmfPayload(record, options));
  const rs = signer.sign(utf8(payload));
  if (rs.length !== 64) throw new RecordError('bad-signature', `signer returned ${rs.length} bytes, not r||s`);
  return `OCMF|${payload}|${JSON.stringify({ SA: 'ECDSA-secp256r1-SHA256', SE: 'hex', SM: 'application/x-der', SD: toHex(derFromRaw(rs)) })}`;
}

/** Checks an OCMF string's ECDSA-secp256r1-SHA256 signature; returns its payload. Throws RecordError. */
export function verifyOcmf(ocmf: string, publicKey: Uint8Array, crypto: Crypto): Record<string, unknown> {
  const first = ocmf.indexOf('|');
  const last = ocmf.lastIndexOf('|');
  if (!ocmf.startsWith('OCMF|') || first !== 4 || last <= first) throw new RecordError('malformed', 'not an OCMF string');
  const payloadText = ocmf.slice(first + 1, last);
  let payload: Record<string, unknown>;
  let sig: { SA?: string; SD?: string; SE?: string };
  try {
    payload = JSON.parse(payloadText);
    sig = JSON.parse(ocmf.slice(last + 1));
  } catch {
    throw new RecordError('malformed', 'OCMF sections are not JSON');
  }
  if (sig.SA !== 'ECDSA-secp256r1-SHA256' || (sig.SE ?? 'hex') !== 'hex' || typeof sig.SD !== 'string') throw new RecordError('malformed', 'OCMF signature must be hex ECDSA-secp256r1-SHA256');
  let raw: Uint8Array;
  try {
    raw = rawFromDer(fromHex(sig.SD));
  } catch {
    throw new RecordError('malformed', 'OCMF signature is not DER');
  }
  if (!crypto.verifyP256(publicKey, utf8(payloadText), raw)) throw new RecordError('bad-signature', 'OCMF signature does not verify');
  return payload;
}

// ASN.1 DER of ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }, by hand: two
// small integers do not warrant an ASN.1 library on the device.
function derInt(b: Uint8Array): number[] {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = Array.from(b.subarray(i));
  if (v[0] & 0x80) v.unshift(0);
  return [0x02, v.length, ...v];
}

export function derFromRaw(rs: Uint8Array): Uint8Array {
  const body = [...derInt(rs.subarray(0, 32)), ...derInt(rs.subarray(32, 64))];
  return Uint8Array.from([0x30, body.length, ...body]);
}

export function rawFromDer(der: Uint8Array): Uint8Array {
  if (der[0] !== 0x30 || der[1] !== der.length - 2) throw new RangeError('not a DER sequence');
  const out = new Uint8Array(64);
  let at = 2;
  for (let k = 0; k < 2; k++) {
    const n = der[at + 1];
    if (der[at] !== 0x02 || n < 1 || n > 33 || at + 2 + n > der.length) throw new RangeError('not a DER integer');
    let v = der.subarray(at + 2, at + 2 + n);
    if (v.length === 33) {
      if (v[0] !== 0) throw new RangeError('integer too long');
      v = v.subarray(1);
    }
    out.set(v, 32 * k + 32 - v.length);
    at += 2 + n;
  }
  if (at !== der.length) throw new RangeError('trailing bytes');
  return out;
}
