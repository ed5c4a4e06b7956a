import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../host-sim/hal/index.js';
import { TrustedTime } from '../../src/auth/trusted-time.js';
import { effectiveStatus } from '../../src/auth/status.js';

describe('TrustedTime: expiry is judged against time the device can vouch for', () => {
  it('none before the first synchronization; then the wall clock; then carried on the monotonic clock', () => {
    const clock = new VirtualClock(Date.UTC(1970, 0, 1), 'U');
    const t = new TrustedTime(clock);
    expect(t.now()).toBeUndefined();
    clock.setWall(Date.UTC(2026, 5, 1), 'S');
    expect(t.now()).toBe(Date.UTC(2026, 5, 1));
    clock.advance(60_000);
    clock.setWall(Date.UTC(2001, 0, 1), 'I'); // set back by hand: not trusted
    expect(t.now()).toBe(Date.UTC(2026, 5, 1) + 60_000);
  });

  it('an Accepted entry with an expiry is Expired when no time can be vouched for; without expiry it stands', () => {
    const exp = { status: 'Accepted' as const, expiryDate: Date.UTC(2026, 0, 15) };
    expect(effectiveStatus(exp, () => undefined)).toBe('Expired');
    expect(effectiveStatus(exp, () => Date.UTC(2026, 0, 1))).toBe('Accepted');
    expect(effectiveStatus(exp, () => Date.UTC(2026, 0, 16))).toBe('Expired');
    expect(effectiveStatus({ status: 'Accepted' }, () => undefined)).toBe('Accepted');
    expect(effectiveStatus({ status: 'Blocked', expiryDate: 1 }, () => undefined)).toBe('Blocked');
  });
});
