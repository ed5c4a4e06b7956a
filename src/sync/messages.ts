import { type Compression, decodeFrame, encodeFrame, type FrameLimits } from './frame.js';
import { SyncDecodeError } from './errors.js';
import { asMap, bool, bytes, type Fields, list, oneOf, optText, optUint, text, uint } from './schema.js';

/** OCPI's uid: up to 36 characters (text card numbers as well as 4/7/10-byte hex UIDs). */
export const MAX_UID_CHARS = 36;

// The roam/v1 messages. Keys are short because every byte crosses a metered
// cellular link; docs/sync.md spells them out.

/** Down: a full list image is available (sent when the device's version cannot be reached by differentials). */
export interface ListOffer { ver: number; size: number }
/** Down: `data` is image bytes [off, off + data.length) of image version `ver`. */
export interface ListChunk { ver: number; off: number; data: Uint8Array }
/** Down: one signed differential, opaque to sync; the token store checks it follows `from`. */
export interface ListDiff { from: number; to: number; data: Uint8Array }
/**
 * Down: one signed backend key rotation (src/tokens key-rotation), opaque to
 * sync; `seq` repeats its signed sequence so that one the device already has is
 * dropped without a signature check. The token store checks the signed one.
 */
export interface ListKey { seq: number; data: Uint8Array }
/** Down: every record up to and including `seq` is stored by the backend. */
export interface RecordAck { seq: number }
/** Down: the answer to AuthRequest `id` (OCPP IdTagInfo). */
export interface AuthResponse { id: string; status: AuthStatus; group?: string; expires?: number }
/** Down: settings the backend pushes. */
/** Down: settings the backend may push. Never a key: a key change must be signed by the current key. */
export interface DeviceConfig { statusEverySec?: number }

/**
 * Up: the list version in force (0 = none) and the backend key sequence in force
 * (0 = the provisioned key; absent from devices that predate rotation). Sent on
 * connect, after every change, and as a heartbeat.
 */
export interface ListStatus { ver: number; kseq?: number }
/** Up: send `n` chunks of image `ver` from offset `off` (a fresh transfer asks from 0; a resumed one from where it stopped). */
export interface ListGet { ver: number; off: number; n: number }
/** Up: the device cannot follow with differentials: send a full image. */
export interface ListResync { have: number; why: ResyncReason }
/** Up: journal records `first`, `first + 1`, … as signed bytes. */
export interface RecordBatch { first: number; recs: Uint8Array[] }
/** Up: a real-time authorization request, `id` correlates the answer. */
export interface AuthRequest { id: string; uid: string; connector: number; purpose: AuthPurpose; partner?: number }
/** Up: device health for the backend's dashboard. */
/**
 * Up: device health; `kseq` as in ListStatus (absent from devices that predate rotation);
 * `llc`: local-list conflicts seen since boot (OCPP 1.6 §3.5.2 LocalListConflict; absent = none),
 * sent at once when one occurs; `refused`: records the journal refused at append since
 * provisioning (Journal.refused, kept in NVS; absent = none): each is a session without a record.
 */
export interface DeviceStatus { list: number; depth: number; acked: number; lastSync: number; time: TimeQualityCode; listBusy: boolean; kseq?: number; llc?: number; refused?: number; lost?: number }

export const AUTH_STATUSES = ['Accepted', 'Blocked', 'Expired', 'Invalid', 'ConcurrentTx', 'NotAtThisLocation', 'NotAtThisTime', 'NoCredit', 'Unknown'] as const;
export type AuthStatus = (typeof AUTH_STATUSES)[number];
export const AUTH_PURPOSES = ['start', 'stop', 'recheck'] as const;
export type AuthPurpose = (typeof AUTH_PURPOSES)[number];
export const RESYNC_REASONS = ['mismatch', 'bad-image', 'no-list'] as const;
export type ResyncReason = (typeof RESYNC_REASONS)[number];
const TIME_QUALITIES = ['U', 'I', 'S', 'R'] as const;
type TimeQualityCode = (typeof TIME_QUALITIES)[number];

/** The largest chunk of a list image a device accepts. */
export const MAX_CHUNK_BYTES = 16 * 1024;
/** The largest signed record the uploader sends. */
export const MAX_RECORD_BYTES = 4 * 1024;
/** The most records in one batch. */
export const MAX_BATCH_RECORDS = 512;
const MAX_DIFF_BYTES = 64 * 1024;
/** src/tokens MAX_ROTATION_BYTES: a signed rotation is ~165 bytes. */
const MAX_KEY_BYTES = 256;

interface Kind<T> {
  /** The topic level(s) after roam/v1/{deviceId}/. */
  suffix: string;
  direction: 'up' | 'down';
  limits: FrameLimits;
  compression: Compression;
  read(m: Fields): T;
  write(msg: T): Fields;
}

const small: FrameLimits = { maxWireBytes: 1024, maxCborBytes: 2048, maxDepth: 2, maxItems: 32 };

function kind<T extends object>(k: Kind<T>): Kind<T> {
  return k;
}

/** Drops undefined fields so that optional ones cost nothing on the wire. */
function defined(m: Fields): Fields {
  const out: Fields = {};
  for (const key in m) if (m[key] !== undefined) out[key] = m[key];
  return out;
}

export const MESSAGES = {
  listOffer: kind<ListOffer>({
    suffix: 'list/offer', direction: 'down', limits: small, compression: 'never',
    read: (m) => ({ ver: uint(m, 'v', 0xffffffff), size: uint(m, 'size') }),
    write: (x) => ({ v: x.ver, size: x.size }),
  }),
  listChunk: kind<ListChunk>({
    suffix: 'list/chunk', direction: 'down', compression: 'never',
    limits: { maxWireBytes: MAX_CHUNK_BYTES + 64, maxCborBytes: MAX_CHUNK_BYTES + 64, maxDepth: 1, maxItems: 8 },
    read: (m) => ({ ver: uint(m, 'v', 0xffffffff), off: uint(m, 'off'), data: bytes(m, 'data', MAX_CHUNK_BYTES) }),
    write: (x) => ({ v: x.ver, off: x.off, data: x.data }),
  }),
  listDiff: kind<ListDiff>({
    suffix: 'list/diff', direction: 'down', compression: 'auto',
    limits: { maxWireBytes: MAX_DIFF_BYTES + 64, maxCborBytes: MAX_DIFF_BYTES + 64, maxDepth: 1, maxItems: 8 },
    read: (m) => ({ from: uint(m, 'from', 0xffffffff), to: uint(m, 'to', 0xffffffff), data: bytes(m, 'data', MAX_DIFF_BYTES) }),
    write: (x) => ({ from: x.from, to: x.to, data: x.data }),
  }),
  listKey: kind<ListKey>({
    suffix: 'list/key', direction: 'down', compression: 'never',
    limits: { maxWireBytes: MAX_KEY_BYTES + 32, maxCborBytes: MAX_KEY_BYTES + 32, maxDepth: 1, maxItems: 6 },
    read: (m) => ({ seq: uint(m, 'seq', 0xffffffff), data: bytes(m, 'data', MAX_KEY_BYTES) }),
    write: (x) => ({ seq: x.seq, data: x.data }),
  }),
  recordAck: kind<RecordAck>({
    suffix: 'rec/ack', direction: 'down', limits: small, compression: 'never',
    read: (m) => ({ seq: uint(m, 'seq') }),
    write: (x) => ({ seq: x.seq }),
  }),
  authResponse: kind<AuthResponse>({
    suffix: 'auth/res', direction: 'down', limits: small, compression: 'never',
    read: (m) => ({ id: text(m, 'id', 64), status: oneOf(m, 'st', AUTH_STATUSES), group: optText(m, 'grp', 36), expires: optUint(m, 'exp') }),
    write: (x) => defined({ id: x.id, st: x.status, grp: x.group, exp: x.expires }),
  }),
  config: kind<DeviceConfig>({
    suffix: 'config', direction: 'down', limits: small, compression: 'never',
    read: (m) => ({ statusEverySec: optUint(m, 'stEvery', 86400) }),
    write: (x) => defined({ stEvery: x.statusEverySec }),
  }),

  listStatus: kind<ListStatus>({
    suffix: 'list/status', direction: 'up', limits: small, compression: 'never',
    read: (m) => ({ ver: uint(m, 'v', 0xffffffff), kseq: optUint(m, 'kseq', 0xffffffff) }),
    write: (x) => defined({ v: x.ver, kseq: x.kseq }),
  }),
  listGet: kind<ListGet>({
    suffix: 'list/get', direction: 'up', limits: small, compression: 'never',
    read: (m) => ({ ver: uint(m, 'v', 0xffffffff), off: uint(m, 'off'), n: uint(m, 'n', 64) }),
    write: (x) => ({ v: x.ver, off: x.off, n: x.n }),
  }),
  listResync: kind<ListResync>({
    suffix: 'list/resync', direction: 'up', limits: small, compression: 'never',
    read: (m) => ({ have: uint(m, 'have', 0xffffffff), why: oneOf(m, 'why', RESYNC_REASONS) }),
    write: (x) => ({ have: x.have, why: x.why }),
  }),
  recordBatch: kind<RecordBatch>({
    suffix: 'rec/batch', direction: 'up', compression: 'auto',
    limits: { maxWireBytes: 256 * 1024, maxCborBytes: 512 * 1024, maxDepth: 2, maxItems: MAX_BATCH_RECORDS + 8 },
    read: (m) => {
      const recs = list(m, 'recs', MAX_BATCH_RECORDS, (v, i) => {
        if (!(v instanceof Uint8Array) || v.length === 0 || v.length > MAX_RECORD_BYTES)
          throw new SyncDecodeError('schema', `record ${i} must be a byte string of 1..${MAX_RECORD_BYTES} bytes`);
        return v;
      });
      return { first: uint(m, 'first'), recs };
    },
    write: (x) => ({ first: x.first, recs: x.recs }),
  }),
  authRequest: kind<AuthRequest>({
    suffix: 'auth/req', direction: 'up', limits: small, compression: 'never',
    read: (m) => ({ id: text(m, 'id', 64), uid: text(m, 'uid', MAX_UID_CHARS), connector: uint(m, 'c', 255), purpose: oneOf(m, 'p', AUTH_PURPOSES), partner: optUint(m, 'pid', 0xffff) }),
    write: (x) => defined({ id: x.id, uid: x.uid, c: x.connector, p: x.purpose, pid: x.partner }),
  }),
  status: kind<DeviceStatus>({
    suffix: 'status', direction: 'up', limits: small, compression: 'never',
    read: (m) => ({
      list: uint(m, 'list', 0xffffffff), depth: uint(m, 'depth'), acked: uint(m, 'acked'), lastSync: uint(m, 'last'),
      time: oneOf(m, 'tq', TIME_QUALITIES), listBusy: bool(m, 'busy'), kseq: optUint(m, 'kseq', 0xffffffff),
      llc: optUint(m, 'llc', 0xffffffff),
      refused: optUint(m, 'refused'), lost: optUint(m, 'lost'),
    }),
    write: (x) => defined({ list: x.list, depth: x.depth, acked: x.acked, last: x.lastSync, tq: x.time, busy: x.listBusy, kseq: x.kseq, llc: x.llc, refused: x.refused, lost: x.lost }),
  }),
};

export type MessageKind = keyof typeof MESSAGES;
export type MessageOf<K extends MessageKind> = (typeof MESSAGES)[K] extends Kind<infer T> ? T : never;

export function encodeMessage<K extends MessageKind>(kind: K, msg: MessageOf<K>): Uint8Array {
  const k = MESSAGES[kind] as unknown as Kind<MessageOf<K>>;
  return encodeFrame(k.write(msg), k.compression);
}

/** Decodes and validates; any fault is a SyncDecodeError. */
export function decodeMessage<K extends MessageKind>(kind: K, payload: Uint8Array): MessageOf<K> {
  const k = MESSAGES[kind] as unknown as Kind<MessageOf<K>>;
  return k.read(asMap(decodeFrame(payload, k.limits), kind));
}
