// The token table's contract, as src/tokens (issue 3) defines it.
export type { Partner, ReaderConfig, TokenEntry, TokenLookup, TokenType, Whitelist } from '../tokens/index.js';
