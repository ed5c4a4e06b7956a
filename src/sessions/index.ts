// Charging sessions as signed, hash-chained records in a power-safe flash journal.
export { ChainError, JournalError, RecordError, SessionError } from './errors.js';
export type { JournalErrorCode, RecordErrorCode, SessionErrorCode } from './errors.js';
export {
  decodeRecord, encodeRecord, energyOf, GENESIS_HASH, MAX_METER_WH, MAX_PAYLOAD_BYTES, REFUSED_READINGS, STOP_REASONS,
  type AuthMethod, type Partner, type RefusedReading, type SessionFacts, type SessionRecord, type StopReason, type Timestamp,
} from './record.js';
export { decodeCoseSign1, encodeCoseSign1, protectedHeader, toBeSigned, type CoseSign1 } from './cose.js';
export { CHAIN_START, verifyRecord, verifyRecordChain, type ChainPoint, type VerifiedRecord } from './verify.js';
export { Journal, REFUSED_KEY, type JournalOptions, type JournalStatus, type RecoveryReport, type StoredRecord } from './journal.js';
export {
  readMeter, Sessions, type Authorization, type MeterReading, type CardStop, type SessionEnded, type SessionsOptions, type SessionStarted, type SessionState, type SessionView,
} from './session.js';
export { exportOcmf, ocmfPayload, verifyOcmf, type OcmfOptions } from './ocmf.js';
