/** OCPP 1.6 statuses plus the ones 2.0.1 adds. */
export type AuthStatus =
  | 'Accepted'
  | 'Blocked'
  | 'Expired'
  | 'Invalid'
  | 'ConcurrentTx'
  | 'NotAtThisLocation'
  | 'NotAtThisTime'
  | 'NoCredit'
  | 'Unknown';

export const AUTH_STATUSES: readonly AuthStatus[] = [
  'Accepted', 'Blocked', 'Expired', 'Invalid', 'ConcurrentTx', 'NotAtThisLocation', 'NotAtThisTime', 'NoCredit', 'Unknown',
];

/** What the record says about how the session was authorized (OCPI CDR auth_method). */
export type AuthMethod = 'AUTH_REQUEST' | 'WHITELIST';

/** OCPP IdTagInfo / IdTokenInfo: what the list, the cache or the backend knows of an id. */
export interface IdTagInfo {
  status: AuthStatus;
  /** Wall-clock ms after which an Accepted id counts as Expired. */
  expiryDate?: number;
  groupId?: string;
}

/** The status an IdTagInfo has at wall time `nowMs`. */
export function effectiveStatus(info: IdTagInfo, nowMs: () => number | undefined): AuthStatus {
  if (info.status !== 'Accepted' || info.expiryDate === undefined) return info.status;
  // No time to check the expiry against (see TrustedTime): it may have passed.
  const now = nowMs();
  return now === undefined || info.expiryDate <= now ? 'Expired' : info.status;
}
