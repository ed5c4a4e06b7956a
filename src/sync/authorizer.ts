import type { Clock } from '../../hal/clock.js';
import type { Random } from '../../hal/crypto.js';
import type { AuthRequest as TapAuthRequest, IdTagInfo, OnlineAuthorizer } from '../auth/index.js';
import { toHex } from '../codec/index.js';
import type { DeviceLink } from './link.js';
import type { AuthResponse } from './messages.js';

export interface MqttAuthorizerOptions {
  /** How long an unanswered request is remembered for a late answer. */
  keepMs?: number;
  /** Most unanswered requests remembered; the oldest is forgotten first. */
  maxPending?: number;
}

/**
 * src/auth's OnlineAuthorizer over roam/v1. The authorizer owns the timeout;
 * this side only correlates: each request goes out with a wire id (a per-boot
 * tag plus the authorizer's correlation id, so an answer to a request from
 * before a reboot matches nothing), and an answer, however late, reaches
 * its callback once. Unanswered requests are forgotten after keepMs.
 */
export class MqttAuthorizer implements OnlineAuthorizer {
  unmatchedAnswers = 0;
  private readonly bootTag: string;
  private readonly pending = new Map<string, { answer: (info: IdTagInfo) => void; at: number }>();
  private readonly keepMs: number;
  private readonly maxPending: number;

  constructor(private readonly link: DeviceLink, private readonly clock: Clock, random: Random, options: MqttAuthorizerOptions = {}) {
    this.bootTag = bootTag(random.bytes(4), clock.wall().ms);
    this.keepMs = options.keepMs ?? 10 * 60_000;
    this.maxPending = options.maxPending ?? 32;
    link.on('authResponse', (m) => this.onResponse(m));
  }

  get online(): boolean {
    return this.link.connected;
  }

  get waiting(): number {
    return this.pending.size;
  }

  request(req: TapAuthRequest, answer: (info: IdTagInfo) => void): void {
    this.forgetOld();
    const id = `${this.bootTag}.${req.correlationId}`;
    if (!this.link.send('authRequest', { id, uid: req.uid, connector: req.connector, purpose: req.purpose, partner: req.partnerId })) return;
    this.pending.set(id, { answer, at: this.clock.monotonic() });
  }

  private onResponse(m: AuthResponse): void {
    const p = this.pending.get(m.id);
    if (!p) {
      this.unmatchedAnswers++;
      return;
    }
    this.pending.delete(m.id);
    p.answer({ status: m.status, expiryDate: m.expires, groupId: m.group });
  }

  private forgetOld(): void {
    const now = this.clock.monotonic();
    for (const [id, p] of this.pending) if (now - p.at > this.keepMs) this.pending.delete(id);
    while (this.pending.size >= this.maxPending) this.pending.delete(this.pending.keys().next().value as string);
  }
}

/**
 * The per-boot tag: 4 random bytes XOR the wall clock's low 32 bits at boot.
 * Either alone can repeat across a reboot: Moddable's rng on the Linux
 * simulator is never seeded (the same bytes every boot), and an unsynchronized
 * ESP32's clock restarts near 0 after a power cut. Mixed, two boots share a tag only if both
 * repeat, or by a 2^-32 chance (docs/device.md, "Randomness on the device").
 */
export function bootTag(random: Uint8Array, wallMs: number): string {
  const tag = new Uint8Array(4);
  for (let i = 0; i < 4; i++) tag[i] = random[i] ^ (Math.floor(wallMs / 2 ** (8 * i)) & 0xff);
  return toHex(tag);
}
