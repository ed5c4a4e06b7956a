// Partner token whitelists on the device: UID normalization, the compiled
// on-flash table (compiler + in-place lookup), and the A/B store with signed
// full and differential updates.
export type { Partner, ReaderConfig, TokenEntry, TokenLookup, TokenType, Whitelist } from './types.js';
export { CompileError, TokenUpdateError, UidError, type TokenUpdateErrorCode, type UidErrorCode } from './errors.js';
export { normalizeUid } from './uid.js';
