// Transport security for the simulator and tests: a test PKI made with openssl,
// mosquitto with TLS, client certificates and a per-device ACL.
export { makeTestPki, opensslBinary, type Identity, type TestPki } from './pki.js';
export { aclFile, mosquittoTlsConfig, startSecureMosquitto } from './secure-mosquitto.js';
export { tlsOptions } from './tls-options.js';
