// Portable ECDSA P-256/SHA-256 signing with deterministic nonces (RFC 6979).
// Imports only hal/ types: the hash and k·G are supplied by the platform.
export { isLowS, signP256, toLowS, type MulBaseX, type P256SignerDeps } from './ecdsa.js';
export { hmacSha256, type NewSha256 } from './hmac.js';
export { bigintTo32, bytesToBigint, invertMod, P256 } from './p256.js';
export { rfc6979Nonces } from './rfc6979.js';
