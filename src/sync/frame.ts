import { deflateSync } from 'fflate';
import { decodeCbor, encodeCbor } from '../codec/index.js';
import { scanCbor, type CborBounds } from './cbor-scan.js';
import { SyncDecodeError } from './errors.js';
import { inflateBounded } from './inflate.js';

/**
 * Every roam payload is one frame byte then CBOR: 0x00 plain, 0x01 raw DEFLATE
 * of the CBOR. The byte lets a receiver bound decompression before it starts.
 */
export const FRAME_PLAIN = 0x00;
export const FRAME_DEFLATE = 0x01;

/** Below this, DEFLATE's own overhead eats the gain; measured on record batches. */
const COMPRESS_FROM = 96;

export interface FrameLimits extends CborBounds {
  /** Largest payload accepted off the wire. */
  maxWireBytes: number;
  /** Largest CBOR accepted after decompression. */
  maxCborBytes: number;
}

export type Compression = 'auto' | 'never';

export function encodeFrame(value: unknown, compression: Compression = 'auto'): Uint8Array {
  const cbor = encodeCbor(value);
  if (compression === 'auto' && cbor.length >= COMPRESS_FROM) {
    const packed = deflateSync(cbor, { level: 6 });
    // Only where it pays: already-compressed content (list images) stays plain.
    if (packed.length + 8 < cbor.length) return withFrameByte(FRAME_DEFLATE, packed);
  }
  return withFrameByte(FRAME_PLAIN, cbor);
}

/** Bounded in every dimension; throws SyncDecodeError and has no side effects. */
export function decodeFrame(payload: Uint8Array, limits: FrameLimits): unknown {
  if (payload.length > limits.maxWireBytes) throw new SyncDecodeError('too-large', `payload of ${payload.length} bytes, limit ${limits.maxWireBytes}`);
  if (payload.length < 2) throw new SyncDecodeError('malformed', 'payload shorter than a frame');
  const body = payload.subarray(1);
  let cbor: Uint8Array;
  if (payload[0] === FRAME_PLAIN) cbor = body;
  else if (payload[0] === FRAME_DEFLATE) cbor = inflateBounded(body, limits.maxCborBytes);
  else throw new SyncDecodeError('malformed', `unknown frame byte 0x${payload[0].toString(16)}`);
  if (cbor.length > limits.maxCborBytes) throw new SyncDecodeError('too-large', `CBOR of ${cbor.length} bytes, limit ${limits.maxCborBytes}`);
  scanCbor(cbor, limits);
  try {
    return decodeCbor(cbor);
  } catch (e) {
    throw new SyncDecodeError('malformed', `CBOR refused by the decoder (${(e as Error).message})`);
  }
}

function withFrameByte(frame: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 1);
  out[0] = frame;
  out.set(body, 1);
  return out;
}
