import type { AuthSettings } from './policy.js';
import type { SessionControl, SessionInProgress } from './sessions.js';
import { effectiveStatus, type IdTagInfo } from './status.js';

export type PostAuthAction =
  | { kind: 'continue' }
  | { kind: 'stop' }
  | { kind: 'limit'; maxWh: number }
  | { kind: 'suspend' };

/**
 * What a session begun offline does when the backend's answer comes: Accepted
 * continues; anything else follows StopTxOnInvalidId, else
 * MaxEnergyOnInvalidId, else (OCPP 2.0.1) energy delivery is suspended.
 */
export function postAuthAction(info: IdTagInfo, settings: AuthSettings, wallMs: () => number): PostAuthAction {
  if (effectiveStatus(info, wallMs) === 'Accepted') return { kind: 'continue' };
  if (settings.stopTxOnInvalidId) return { kind: 'stop' };
  if (settings.maxEnergyOnInvalidId > 0) return { kind: 'limit', maxWh: settings.maxEnergyOnInvalidId };
  return { kind: 'suspend' };
}

/** Applies the action to the session through the session machine. */
export function applyPostAuth(
  session: SessionInProgress, info: IdTagInfo, settings: AuthSettings, wallMs: () => number, control: SessionControl,
): PostAuthAction {
  const action = postAuthAction(info, settings, wallMs);
  const why = `post-authorization: backend says ${effectiveStatus(info, wallMs)} for ${session.uid}`;
  if (action.kind === 'stop') control.stop(session.id, `${why} (StopTxOnInvalidId)`);
  else if (action.kind === 'limit') control.limitEnergy(session.id, action.maxWh, `${why} (MaxEnergyOnInvalidId)`);
  else if (action.kind === 'suspend') control.suspend(session.id, why);
  return action;
}
