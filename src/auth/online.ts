import type { IdTagInfo } from './status.js';

/** One real-time authorization request (OCPP Authorize / OCPI real-time authorization). */
export interface AuthRequest {
  /** Unique per request; the backend's answer carries it back. */
  correlationId: string;
  uid: string;
  connector: number;
  /** The issuing partner when the token table knows it. */
  partnerId?: number;
  /** start: may this card start; stop: which group is it in; recheck: post-authorization. */
  purpose: 'start' | 'stop' | 'recheck';
}

/**
 * The backend, as the sync layer (src/sync, over MQTT) offers it. The
 * authorizer owns the timeout: `answer` may come late or never, and a late
 * answer is still wanted (it refreshes the cache and drives post-authorization).
 */
export interface OnlineAuthorizer {
  /** False when the link is known to be down: the tap then decides at once. */
  readonly online: boolean;
  request(req: AuthRequest, answer: (info: IdTagInfo) => void): void;
}
