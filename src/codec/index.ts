export { concatBytes, equalBytes, fromHex, fromUtf8, put32, toHex, u32, utf8 } from './bytes.js';
export { decodeCbor, encodeCbor, MAX_CBOR_INTEGER, withCborIntegers } from './cbor.js';
export { crc32 } from './crc32.js';
