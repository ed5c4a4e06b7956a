// The token table's contract (issue 3, src/tokens). Declared here, structurally
// identical, until src/tokens lands; then these become re-exports.
export type Whitelist = 'ALWAYS' | 'ALLOWED' | 'ALLOWED_OFFLINE' | 'NEVER';
export type TokenType = 'RFID' | 'APP_USER' | 'AD_HOC_USER' | 'OTHER';

export interface Partner {
  id: number;
  countryCode: string;
  partyId: string;
  /** For whitelist ALLOWED: true = decide from the table, false = ask in real time. */
  allowedUsesTable: boolean;
}

export interface TokenEntry {
  uid: string;
  partner: Partner;
  whitelist: Whitelist;
  valid: boolean;
  type: TokenType;
  groupId?: string;
  sourceVersion: number;
}

export interface TokenLookup {
  lookup(uid: string): TokenEntry | undefined;
}
