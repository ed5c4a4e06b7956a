import type { Clock, TimerId } from '../../hal/clock.js';
import type { Random } from '../../hal/crypto.js';
import type { DeviceLink } from './link.js';
import type { AuthResponse } from './messages.js';

/** The outcome of one real-time request: the backend's answer, or why there is none. */
export type OnlineAnswer =
  | { kind: 'answer'; response: AuthResponse }
  | { kind: 'timeout' }
  | { kind: 'offline' };

/**
 * Real-time authorization over roam/v1: each request gets a correlation id,
 * the answer must come back with it before the deadline, and a late or
 * unknown answer is dropped (the decision was already taken without it).
 */
export class MqttAuthorizer {
  lateAnswers = 0;
  private nextId: number;
  private readonly pending = new Map<number, { done: (a: OnlineAnswer) => void; timer: TimerId }>();

  constructor(private readonly link: DeviceLink, private readonly clock: Clock, random: Random) {
    // A random start keeps ids of consecutive boots apart, so a late answer to a pre-reboot request matches nothing.
    const r = random.bytes(3);
    this.nextId = (r[0] << 16) | (r[1] << 8) | r[2];
    link.on('authResponse', (m) => this.onResponse(m));
    link.onDisconnect(() => {
      for (const [id, p] of this.pending) this.settle(id, p, { kind: 'offline' });
    });
  }

  get online(): boolean {
    return this.link.connected;
  }

  /** Calls `done` exactly once: with the answer, on timeout, or at once when offline. */
  authorize(uid: string, evse: string | undefined, timeoutMs: number, done: (answer: OnlineAnswer) => void): number {
    const id = (this.nextId = (this.nextId + 1) >>> 0);
    if (!this.link.send('authRequest', { id, uid, evse })) {
      done({ kind: 'offline' });
      return id;
    }
    const timer = this.clock.setTimer(timeoutMs, () => {
      const p = this.pending.get(id);
      if (p) this.settle(id, p, { kind: 'timeout' }, false);
    });
    this.pending.set(id, { done, timer });
    return id;
  }

  private onResponse(m: AuthResponse): void {
    const p = this.pending.get(m.id);
    if (!p) {
      this.lateAnswers++;
      return;
    }
    this.settle(m.id, p, { kind: 'answer', response: m });
  }

  private settle(id: number, p: { done: (a: OnlineAnswer) => void; timer: TimerId }, answer: OnlineAnswer, clear = true): void {
    this.pending.delete(id);
    if (clear) this.clock.clearTimer(p.timer);
    p.done(answer);
  }
}
