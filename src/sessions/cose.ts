import { concatBytes, equalBytes, fromUtf8, utf8 } from '../codec/index.js';
import { decodeValue, encodeIntMap, encodeValue } from './cbor.js';
import { RecordError } from './errors.js';

// COSE_Sign1 (RFC 9052) with ES256: the protected header is { alg: -7, kid:
// device id }; the unprotected header is empty; the signature is raw r || s.
// Only the payload and the signature are stored in the journal: the headers
// are the same for every record of a device, so they are rebuilt, not stored.
const COSE_SIGN1_TAG = 0xd2; // tag 18, one byte
const ALG = 1;
const KID = 4;
const ES256 = -7;
export const SIGNATURE_BYTES = 64;

export function protectedHeader(deviceId: string): Uint8Array {
  return encodeIntMap([[ALG, ES256], [KID, utf8(deviceId)]]);
}

/** The bytes ES256 signs: Sig_structure ["Signature1", protected, h'', payload]. */
export function toBeSigned(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeValue(['Signature1', protectedBytes, new Uint8Array(0), payload]);
}

export function encodeCoseSign1(protectedBytes: Uint8Array, payload: Uint8Array, signature: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(COSE_SIGN1_TAG), encodeValue([protectedBytes, new Map(), payload, signature]));
}

export interface CoseSign1 {
  protectedBytes: Uint8Array;
  deviceId: string;
  payload: Uint8Array;
  signature: Uint8Array;
}

const malformed = (message: string): never => {
  throw new RecordError('malformed', `COSE_Sign1: ${message}`);
};

/** Parses a tagged COSE_Sign1 with ES256 and a kid; anything else is RecordError('malformed'). */
export function decodeCoseSign1(bytes: Uint8Array): CoseSign1 {
  if (!(bytes instanceof Uint8Array) || bytes.length < 2 || bytes[0] !== COSE_SIGN1_TAG) malformed('expected tag 18');
  let outer: unknown;
  try {
    outer = decodeValue(bytes.subarray(1));
  } catch (e) {
    malformed((e as Error).message);
  }
  if (!Array.isArray(outer) || outer.length !== 4) return malformed('expected an array of 4');
  const [prot, unprot, payload, signature] = outer as unknown[];
  if (!(prot instanceof Uint8Array) || !(payload instanceof Uint8Array) || !(signature instanceof Uint8Array)) return malformed('headers, payload and signature must be byte strings');
  if (!(unprot instanceof Map) || unprot.size !== 0) malformed('unprotected header must be empty');
  if (signature.length !== SIGNATURE_BYTES) malformed(`ES256 signature must be ${SIGNATURE_BYTES} bytes`);
  let header: unknown;
  try {
    header = decodeValue(prot);
  } catch (e) {
    malformed((e as Error).message);
  }
  if (!(header instanceof Map) || header.size !== 2 || header.get(ALG) !== ES256 || !(header.get(KID) instanceof Uint8Array)) return malformed('protected header must be { alg: ES256, kid }');
  const deviceId = fromUtf8(header.get(KID) as Uint8Array);
  if (!equalBytes(protectedHeader(deviceId), prot)) malformed('protected header not in canonical form');
  return { protectedBytes: new Uint8Array(prot), deviceId, payload: new Uint8Array(payload), signature: new Uint8Array(signature) };
}
