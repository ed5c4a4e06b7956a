// Partner token whitelists on the device: UID normalization, the compiled
// on-flash table (compiler + in-place lookup), and the A/B store with signed
// full and differential updates.
export type { Partner, ReaderConfig, TokenEntry, TokenLookup, TokenType, Whitelist } from './types.js';
export { CompileError, TokenUpdateError, UidError, type TokenUpdateErrorCode, type UidErrorCode } from './errors.js';
export { isRandomUid, normalizeUid, unreachableUid, type UnreachableReason } from './uid.js';
export {
  compileTable, DEFAULT_READER, describeUnreachable, signTable, UnreachableTally,
  type CompileInput, type CompileReport, type CompiledTable, type PartnerTokens, type UnreachableTokens,
} from './compile.js';
export { compileDiff, signDiff, type DiffInput } from './diff.js';
export { encodeKeyRotation, keyFingerprint, MAX_ROTATION_BYTES, signKeyRotation, type KeyRotation } from './key-rotation.js';
export type { TokenIssue, TokenIssueReason } from './ocpi.js';
export { TokenTable, readHeader, type TableHeader } from './table.js';
export { TokenStore, type StoreStatus, type TokenStoreOptions } from './store.js';
