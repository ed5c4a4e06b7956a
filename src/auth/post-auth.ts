import { isMasterPassGroup, type AuthSettings } from './policy.js';
import type { SessionControl, SessionInProgress } from './sessions.js';
import type { IdTagInfo } from './status.js';

export type PostAuthAction =
  | { kind: 'continue' }
  | { kind: 'stop' }
  | { kind: 'limit'; maxWh: number }
  | { kind: 'suspend' };

/** Why the backend's answer does not let the session go on, or undefined when it does. */
function refusalOf(info: IdTagInfo, settings: AuthSettings): string | undefined {
  // The answer's status is the backend's word now; its expiryDate is about the cache (OCPP 1.6 §7).
  if (info.status !== 'Accepted') return info.status;
  // Master pass cards "can stop any ongoing transaction, but cannot start transactions" (OCPP 2.0.1 MasterPassGroupId).
  if (isMasterPassGroup(settings, info.groupId)) return 'master pass group (starts no session)';
  return undefined;
}

/**
 * What a session started without a fresh real-time answer does when the
 * backend's answer comes (OCPP 1.6 §3.5.4, §9.1.14, §9.1.24): Accepted
 * continues; anything else (or the master pass group) follows
 * StopTxOnInvalidId, else MaxEnergyOnInvalidId, else (OCPP 2.0.1: "only stop
 * energy delivery") energy delivery is suspended.
 */
export function postAuthAction(info: IdTagInfo, settings: AuthSettings): PostAuthAction {
  if (refusalOf(info, settings) === undefined) return { kind: 'continue' };
  if (settings.stopTxOnInvalidId) return { kind: 'stop' };
  if (settings.maxEnergyOnInvalidId > 0) return { kind: 'limit', maxWh: settings.maxEnergyOnInvalidId };
  return { kind: 'suspend' };
}

/** Applies the action to the session through the session machine. */
export function applyPostAuth(session: SessionInProgress, info: IdTagInfo, settings: AuthSettings, control: SessionControl): PostAuthAction {
  const action = postAuthAction(info, settings);
  const why = `post-authorization: backend says ${refusalOf(info, settings) ?? info.status} for ${session.uid}`;
  if (action.kind === 'stop') control.stop(session.id, `${why} (StopTxOnInvalidId)`);
  else if (action.kind === 'limit') control.limitEnergy(session.id, action.maxWh, `${why} (MaxEnergyOnInvalidId)`);
  else if (action.kind === 'suspend') control.suspend(session.id, why);
  else control.resume?.(session.id); // accepted: a session suspended by an earlier answer delivers again
  return action;
}
