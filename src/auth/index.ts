// Authorizing RFID taps: OCPI whitelist classes, OCPP local list, cache and
// offline policies, online authorization with a timeout, post-authorization.
export { Authorizer, RECHECK_RETRY_MS, TapError, type AuthorizerDeps, type LocalListConflict, type TapInput } from './authorizer.js';
export { AuthCache, type AuthCacheOptions } from './auth-cache.js';
export {
  appliedClass, cacheMayHold, decideFromAnswer, ignoredTap, plan, realtimeAllowed, type AppliedClass, type Decision, type Link, type Plan, type Sources,
} from './decide.js';
export { LocalList, LocalListError, type LocalListEntry, type LocalListResult, type LocalListUpdate } from './local-list.js';
export type { AuthRequest, OnlineAuthorizer } from './online.js';
export {
  AUTH_SETTING_NAMES, AuthSettingsError, defaultAuthSettings, isMasterPassGroup, loadAuthSettings, offlineModeSettings, parseAuthSetting,
  saveAuthSetting, saveOfflineMode, settingKey, type AuthSettings, type OfflineMode,
} from './policy.js';
export { RetapGuard } from './retap-guard.js';
export { applyPostAuth, postAuthAction, type PostAuthAction } from './post-auth.js';
export { SessionTable, type SessionControl, type SessionInProgress, type SessionsView } from './sessions.js';
export { AUTH_STATUSES, effectiveStatus, type AuthMethod, type AuthStatus, type IdTagInfo } from './status.js';
export type { Partner, ReaderConfig, TokenEntry, TokenLookup, TokenType, Whitelist } from './token-source.js';
export { checkUid, UidFormatError } from './uid.js';
