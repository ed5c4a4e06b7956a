import type { Crypto } from '../../hal/crypto.js';
import { equalBytes, toHex } from '../codec/index.js';
import { decodeCoseSign1, toBeSigned } from './cose.js';
import { ChainError, RecordError } from './errors.js';
import { decodeRecord, GENESIS_HASH, type SessionRecord } from './record.js';

// What the backend peer (or anyone holding the device's public key) runs on
// uploaded records. Portable: only the HAL Crypto.

export interface VerifiedRecord {
  deviceId: string;
  /** `${deviceId}-${seq}`: the record id (OCPI CDR id). */
  id: string;
  record: SessionRecord;
  /** SHA-256 of the payload: the next record's `prev`. */
  hash: Uint8Array;
  payload: Uint8Array;
}

/** Checks the COSE_Sign1 structure, the ES256 signature and the payload; throws RecordError. */
export function verifyRecord(cose: Uint8Array, publicKey: Uint8Array, crypto: Crypto, deviceId?: string): VerifiedRecord {
  const c = decodeCoseSign1(cose);
  if (deviceId !== undefined && c.deviceId !== deviceId) throw new RecordError('wrong-device', `record signed as ${c.deviceId}, expected ${deviceId}`);
  if (!crypto.verifyP256(publicKey, toBeSigned(c.protectedBytes, c.payload), c.signature))
    throw new RecordError('bad-signature', `ES256 signature does not verify for device ${c.deviceId}`);
  const record = decodeRecord(c.payload);
  return { deviceId: c.deviceId, id: `${c.deviceId}-${record.seq}`, record, hash: crypto.sha256(c.payload).digest(), payload: c.payload };
}

/** Where a verifier stands in a device's chain: the last record it accepted. */
export interface ChainPoint {
  seq: number;
  hash: Uint8Array;
}

/** Before the first record of a device. */
export const CHAIN_START: ChainPoint = { seq: 0, hash: GENESIS_HASH };

/**
 * Verifies consecutive records: each one signed, numbered `from.seq + 1, +2…`
 * without gaps, and linked to its predecessor's hash. Pass the point a previous
 * batch ended at (`last`) to continue. Throws ChainError naming the index.
 */
export function verifyRecordChain(records: Uint8Array[], publicKey: Uint8Array, crypto: Crypto, from: ChainPoint = CHAIN_START, deviceId?: string): { records: VerifiedRecord[]; last: ChainPoint } {
  const out: VerifiedRecord[] = [];
  let at = from;
  records.forEach((bytes, i) => {
    let v: VerifiedRecord;
    try {
      v = verifyRecord(bytes, publicKey, crypto, deviceId ?? out[0]?.deviceId);
    } catch (e) {
      throw new ChainError('bad-record', i, undefined, `record ${i}: ${(e as Error).message}`);
    }
    const seq = v.record.seq;
    if (seq !== at.seq + 1) throw new ChainError('gap', i, seq, `record ${i} has seq ${seq}, expected ${at.seq + 1}`);
    if (!equalBytes(v.record.prev, at.hash)) throw new ChainError('broken-link', i, seq, `record ${seq} links to ${toHex(v.record.prev)}, expected ${toHex(at.hash)}`);
    out.push(v);
    at = { seq, hash: v.hash };
  });
  return { records: out, last: at };
}
