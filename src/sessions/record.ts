import type { TimeQuality } from '../../hal/clock.js';
import { equalBytes, fromHex, MAX_CBOR_INTEGER, toHex } from '../codec/index.js';
import { decodeValue, encodeIntMap } from './cbor.js';
import { RecordError } from './errors.js';

export type AuthMethod = 'AUTH_REQUEST' | 'WHITELIST';

/**
 * Why a session ended. OCPP names where OCPP has one; 'GroupCard' and
 * 'MasterPass' are OCPP's 'Local' by another card of the same group or by a
 * master pass, kept apart for the operator. Encoded by position: only append.
 */
export const STOP_REASONS = ['Local', 'GroupCard', 'EVDisconnected', 'DeAuthorized', 'EnergyLimitReached', 'PowerLoss', 'Other', 'MasterPass'] as const;
export type StopReason = (typeof STOP_REASONS)[number];

/**
 * The largest meter reading a record holds: 2^53 − 1 Wh (every integer of a
 * record is a CBOR integer up to MAX_CBOR_INTEGER; about 9 × 10^15 Wh, 9 PWh).
 * A reading above it is refused at the meter boundary (Sessions) and recorded as 'O'.
 */
export const MAX_METER_WH = MAX_CBOR_INTEGER;

/**
 * A meter reading refused where it entered (Sessions, at the meter boundary),
 * recorded in its place with OCMF's meter status (OCMF Table 10, "State /
 * Error of the Meter"): 'O' OUT_OF_RANGE, "Read value outside the value range"
 * (above MAX_METER_WH); 'F' READ_ERROR, "Meter register not read correctly;
 * value of the readout is not valid" (not a number, negative, or the meter threw).
 */
export type RefusedReading = 'O' | 'F';
export const REFUSED_READINGS: readonly RefusedReading[] = ['O', 'F'];

/** A wall-clock instant at one-second resolution (OCPI's), with OCMF's time status. */
export interface Timestamp {
  /** Seconds since the Unix epoch, as the device believed. */
  seconds: number;
  quality: TimeQuality;
}

export interface Partner {
  id: number;
  countryCode: string;
  partyId: string;
}

/** What a session contributes to its record; the journal adds seq and prev. */
export interface SessionFacts {
  evseId: string;
  uid: string;
  partner?: Partner;
  groupId?: string;
  method: AuthMethod;
  offline: boolean;
  start: Timestamp;
  stop: Timestamp;
  /** Whole Wh, 0..MAX_METER_WH; or the status of a reading that was refused. */
  meterStartWh: number | RefusedReading;
  meterStopWh: number | RefusedReading;
  stopReason: StopReason;
}

/**
 * The signed content of one record: the essentials of an OCPI CDR. Its id is
 * `${deviceId}-${seq}`; the device id travels as the COSE key id.
 */
export interface SessionRecord extends SessionFacts {
  /** Per-device sequence number, from 1, without gaps. */
  seq: number;
  /** SHA-256 of the previous record's payload; 32 zero bytes before the first. */
  prev: Uint8Array;
  /** meterStopWh - meterStartWh; null when either reading was refused (unknown, not 0). */
  energyWh: number | null;
}

export const HASH_BYTES = 32;
export const GENESIS_HASH = new Uint8Array(HASH_BYTES);
/** The largest payload a record may have: bounded so the journal can reserve space. */
export const MAX_PAYLOAD_BYTES = 320;
const QUALITIES = 'UIRS';
const MAX_SEQ = 0xffffffff;

// Integer keys, in encoding order. Key 1 (seq) comes first so that the journal
// finds a record's number without decoding it (see seqOfPayload).
const K = { seq: 1, prev: 2, evse: 3, uid: 4, partner: 5, group: 6, method: 7, offline: 8, start: 9, stop: 10, meterStart: 11, meterStop: 12, energy: 13, reason: 14 } as const;

const fail = (message: string): never => {
  throw new RecordError('invalid-field', message);
};

function checkText(name: string, v: unknown, max: number, pattern?: RegExp): void {
  if (typeof v !== 'string' || v.length === 0 || v.length > max || (pattern && !pattern.test(v)))
    fail(`${name} must be a string of 1..${max} characters${pattern ? ` matching ${pattern}` : ''}: ${JSON.stringify(v)}`);
}
function checkUint(name: string, v: unknown, max = Number.MAX_SAFE_INTEGER): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) fail(`${name} must be an integer in 0..${max}: ${String(v)}`);
}
/** A reading: whole Wh in 0..MAX_METER_WH, or the status of one refused ('O', 'F'). */
function checkReading(name: string, v: unknown): void {
  if (typeof v !== 'string') checkUint(name, v, MAX_METER_WH);
  else if (!REFUSED_READINGS.includes(v as RefusedReading)) fail(`${name} must be an integer in 0..${MAX_METER_WH} Wh or a refused reading (${REFUSED_READINGS.join(', ')}): ${JSON.stringify(v)}`);
}
function checkTime(name: string, t: unknown): void {
  const v = t as Timestamp;
  if (typeof v !== 'object' || v === null) fail(`${name} must be { seconds, quality }`);
  checkUint(`${name}.seconds`, v.seconds, MAX_SEQ);
  if (typeof v.quality !== 'string' || v.quality.length !== 1 || !QUALITIES.includes(v.quality)) fail(`${name}.quality must be one of U, I, S, R: ${String(v.quality)}`);
}

/** Throws RecordError('invalid-field') for anything a record may not hold. */
export function checkFacts(f: SessionFacts): void {
  if (typeof f !== 'object' || f === null) fail('session facts must be an object');
  checkText('evseId', f.evseId, 48);
  checkText('uid', f.uid, 36);
  if (f.partner !== undefined) {
    const p = f.partner;
    if (typeof p !== 'object' || p === null) fail('partner must be an object');
    checkUint('partner.id', p.id, MAX_SEQ);
    checkText('partner.countryCode', p.countryCode, 2, /^[A-Z]{2}$/);
    checkText('partner.partyId', p.partyId, 3, /^[A-Z0-9]{3}$/);
  }
  if (f.groupId !== undefined) checkText('groupId', f.groupId, 36);
  if (f.method !== 'AUTH_REQUEST' && f.method !== 'WHITELIST') fail(`method must be AUTH_REQUEST or WHITELIST: ${String(f.method)}`);
  if (typeof f.offline !== 'boolean') fail('offline must be a boolean');
  checkTime('start', f.start);
  checkTime('stop', f.stop);
  checkReading('meterStartWh', f.meterStartWh);
  checkReading('meterStopWh', f.meterStopWh);
  if (typeof f.meterStartWh === 'number' && typeof f.meterStopWh === 'number' && f.meterStopWh < f.meterStartWh)
    fail(`meterStopWh ${f.meterStopWh} is below meterStartWh ${f.meterStartWh}`);
  if (!STOP_REASONS.includes(f.stopReason)) fail(`stopReason must be one of ${STOP_REASONS.join(', ')}: ${String(f.stopReason)}`);
}

/** The energy of a session: stop − start, or null (unknown) when either reading was refused. */
export function energyOf(start: number | RefusedReading, stop: number | RefusedReading): number | null {
  return typeof start === 'number' && typeof stop === 'number' ? stop - start : null;
}

// A normalized UID (upper-case hex, even length) is stored as its bytes: half the size.
const isHexUid = (uid: string) => uid.length % 2 === 0 && /^[0-9A-F]+$/.test(uid);

/** The CBOR payload of a record (what COSE signs and the chain hashes). */
export function encodeRecord(facts: SessionFacts, seq: number, prev: Uint8Array): Uint8Array {
  checkFacts(facts);
  if (!Number.isInteger(seq) || seq < 1 || seq > MAX_SEQ) fail(`seq must be an integer in 1..${MAX_SEQ}: ${seq}`);
  if (!(prev instanceof Uint8Array) || prev.length !== HASH_BYTES) fail(`prev must be ${HASH_BYTES} bytes`);
  const f = facts;
  const entries: Array<[number, unknown]> = [
    [K.seq, seq],
    [K.prev, prev],
    [K.evse, f.evseId],
    [K.uid, isHexUid(f.uid) ? fromHex(f.uid) : f.uid],
  ];
  if (f.partner) entries.push([K.partner, [f.partner.id, f.partner.countryCode, f.partner.partyId]]);
  if (f.groupId !== undefined) entries.push([K.group, f.groupId]);
  entries.push(
    [K.method, f.method === 'WHITELIST' ? 1 : 0],
    [K.offline, f.offline],
    [K.start, [f.start.seconds, f.start.quality]],
    [K.stop, [f.stop.seconds, f.stop.quality]],
    [K.meterStart, f.meterStartWh],
    [K.meterStop, f.meterStopWh],
    [K.energy, energyOf(f.meterStartWh, f.meterStopWh)],
    [K.reason, STOP_REASONS.indexOf(f.stopReason)],
  );
  const bytes = encodeIntMap(entries);
  if (bytes.length > MAX_PAYLOAD_BYTES) throw new RecordError('too-large', `record payload is ${bytes.length} bytes, over ${MAX_PAYLOAD_BYTES}`);
  return bytes;
}

const malformed = (message: string): never => {
  throw new RecordError('malformed', `record payload: ${message}`);
};

function asTime(v: unknown): Timestamp {
  if (!Array.isArray(v) || v.length !== 2) malformed('a time must be [seconds, quality]');
  return { seconds: (v as unknown[])[0] as number, quality: (v as unknown[])[1] as TimeQuality };
}

/**
 * Decodes a payload strictly: known keys only, valid fields, and the one
 * canonical encoding (re-encoding must give the same bytes), so that two
 * different byte strings never stand for the same record.
 */
export function decodeRecord(payload: Uint8Array): SessionRecord {
  if (payload.length > MAX_PAYLOAD_BYTES) throw new RecordError('too-large', `record payload is ${payload.length} bytes, over ${MAX_PAYLOAD_BYTES}`);
  let m: unknown;
  try {
    m = decodeValue(payload);
  } catch (e) {
    malformed(String((e as Error).message));
  }
  if (!(m instanceof Map)) return malformed('not a CBOR map');
  const map = m as Map<unknown, unknown>;
  for (const k of map.keys()) if (typeof k !== 'number' || k < 1 || k > 14) malformed(`unknown key ${String(k)}`);
  const uid = map.get(K.uid);
  const partner = map.get(K.partner);
  const method = map.get(K.method);
  const reason = map.get(K.reason);
  const prev = map.get(K.prev);
  if (!(prev instanceof Uint8Array)) return malformed('prev must be a byte string');
  if (partner !== undefined && (!Array.isArray(partner) || partner.length !== 3)) malformed('partner must be [id, countryCode, partyId]');
  if (method !== 0 && method !== 1) malformed('method must be 0 or 1');
  if (typeof reason !== 'number' || !STOP_REASONS[reason]) malformed('unknown stop reason');
  const record: SessionRecord = {
    seq: map.get(K.seq) as number,
    prev: new Uint8Array(prev),
    evseId: map.get(K.evse) as string,
    uid: uid instanceof Uint8Array ? toHex(uid) : (uid as string),
    method: method === 1 ? 'WHITELIST' : 'AUTH_REQUEST',
    offline: map.get(K.offline) as boolean,
    start: asTime(map.get(K.start)),
    stop: asTime(map.get(K.stop)),
    meterStartWh: map.get(K.meterStart) as number | RefusedReading,
    meterStopWh: map.get(K.meterStop) as number | RefusedReading,
    energyWh: map.get(K.energy) as number | null,
    stopReason: STOP_REASONS[reason as number],
  };
  if (partner !== undefined) {
    const [id, countryCode, partyId] = partner as unknown[];
    record.partner = { id: id as number, countryCode: countryCode as string, partyId: partyId as string };
  }
  if (map.has(K.group)) record.groupId = map.get(K.group) as string;
  let again: Uint8Array;
  try {
    again = encodeRecord(record, record.seq, record.prev);
  } catch (e) {
    return malformed((e as Error).message);
  }
  if (record.energyWh !== energyOf(record.meterStartWh, record.meterStopWh)) malformed('energy is not meterStop - meterStart (or null when a reading was refused)');
  if (!equalBytes(again, payload)) malformed('not in canonical form');
  return record;
}

/**
 * The sequence number of an encoded payload, read without decoding it: the
 * map header, key 1, then a CBOR unsigned integer. Undefined if not so shaped.
 */
export function seqOfPayload(p: Uint8Array, at = 0, end = p.length): number | undefined {
  if (end - at < 3 || (p[at] & 0xe0) !== 0xa0 || p[at + 1] !== 0x01) return undefined;
  const ib = p[at + 2];
  if (ib < 24) return ib;
  const n = ib === 24 ? 1 : ib === 25 ? 2 : ib === 26 ? 4 : 0;
  if (n === 0 || at + 3 + n > end) return undefined;
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + p[at + 3 + i];
  return v;
}
