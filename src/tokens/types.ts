// The shapes other capabilities (auth, sync, the backend peer) code against.

/** OCPI 2.2.1 whitelist class: how a token may be authorized offline. */
export type Whitelist = 'ALWAYS' | 'ALLOWED' | 'ALLOWED_OFFLINE' | 'NEVER';

/** OCPI 2.2.1 token type. Only RFID and OTHER can be presented at a charger. */
export type TokenType = 'RFID' | 'APP_USER' | 'AD_HOC_USER' | 'OTHER';

/** A partner network (OCPI party) whose tokens the site accepts. */
export interface Partner {
  /** Index in the table's partner list. */
  id: number;
  countryCode: string;
  partyId: string;
  /** For ALLOWED tokens: true when the operator chose to accept them from the table. */
  allowedUsesTable: boolean;
}

/** What the device knows about one token: everything an authorization decision needs. */
export interface TokenEntry {
  /** Canonical uid (see normalizeUid). */
  uid: string;
  partner: Partner;
  whitelist: Whitelist;
  valid: boolean;
  type: TokenType;
  groupId?: string;
  /** List version that last set this entry (image version, or a differential's `to`). */
  sourceVersion: number;
}

export interface TokenLookup {
  /** `uid` in canonical form; undefined when the token is not on the list. */
  lookup(uid: string): TokenEntry | undefined;
}

/**
 * How one RFID reader delivers UIDs. Raw bytes from the reader go through, in
 * order: text decoding (hex/decimal), byte reversal, truncation, then the checks.
 */
export interface ReaderConfig {
  /** 'bytes': the raw UID; 'hex' / 'decimal': ASCII digits as the reader prints them. */
  input: 'bytes' | 'hex' | 'decimal';
  /** The reader delivers the UID least-significant byte first. */
  reversed?: boolean;
  /** Decimal input: UID length the number stands for (default: the smallest of 4/7/10 that holds it). */
  decimalBytes?: 4 | 7 | 10;
  /** Keep only the first n bytes of the big-endian UID (lists keyed on shortened UIDs). */
  truncateTo?: 4 | 7;
  /**
   * Text input kept as printed (upper-cased), for partner lists that hold card
   * numbers rather than UIDs: the table keeps such uids exactly.
   */
  verbatim?: boolean;
}

export const WHITELISTS: readonly Whitelist[] = ['ALWAYS', 'ALLOWED', 'ALLOWED_OFFLINE', 'NEVER'];
export const TOKEN_TYPES: readonly TokenType[] = ['RFID', 'APP_USER', 'AD_HOC_USER', 'OTHER'];
