// Time an attacker (or a flat RTC battery) can move: records say how much their
// timestamps can be trusted, sequence numbers and journal order never depend on
// the wall clock, and validity periods measured on the device use the
// monotonic clock.
import { describe, expect, it } from 'vitest';
import { VirtualClock, nodeCrypto } from '../../host-sim/hal/index.js';
import { AuthCache } from '../../src/auth/auth-cache.js';
import { verifyRecordChain } from '../../src/sessions/index.js';
import { Rig, DEVICE } from '../charger/rig.js';

async function session(r: Rig, uid: string, connector = 1, during?: () => void): Promise<number | undefined> {
  const d = await r.charger.tap(uid, connector);
  expect(d.accept, d.reason).toBe(true);
  r.charger.plugIn(connector);
  r.meter.deliver(connector, 1500);
  r.platform.clock.advance(5 * 60_000);
  during?.();
  r.platform.clock.advance(5 * 60_000);
  return r.charger.unplug(connector);
}

describe('time: status, ordering and rolled-back clocks', () => {
  it('a record made with a clock never synchronized says U; one synchronized mid-session says U then S', async () => {
    const r = new Rig({ online: false });
    r.platform.clock.setWall(Date.UTC(1970, 0, 1), 'U'); // RTC lost with the power: the device starts at the epoch
    await session(r, r.member(0));
    await session(r, r.member(1), 2, () => r.platform.clock.setWall(Date.UTC(2026, 2, 1), 'S'));
    const [a, b] = r.records();
    expect([a.start.quality, a.stop.quality]).toEqual(['U', 'U']);
    expect([b.start.quality, b.stop.quality]).toEqual(['U', 'S']);
    expect(b.stop.seconds).toBe(Date.UTC(2026, 2, 1) / 1000 + 5 * 60);
  });

  it('sequence numbers never repeat and the journal keeps append order through clock jumps back and forth and reboots', async () => {
    const r = new Rig();
    const jumps = [Date.UTC(2026, 0, 1), Date.UTC(2019, 5, 1), Date.UTC(2030, 0, 1), Date.UTC(1970, 0, 2), Date.UTC(2026, 0, 1)];
    const seqs: number[] = [];
    for (let i = 0; i < jumps.length; i++) {
      r.platform.clock.setWall(jumps[i], i % 2 ? 'I' : 'S');
      seqs.push((await session(r, r.member(i)))!);
      if (i === 2) r.reboot();
    }
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
    const recs = r.records();
    // Journal order is sequence order whatever the timestamps say; the chain is intact.
    expect(recs.map((x) => x.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(recs.map((x) => x.start.seconds)).not.toEqual([...recs.map((x) => x.start.seconds)].sort((p, q) => p - q));
    r.run();
    const stored = r.backend.records.records(DEVICE).map((x) => x.bytes);
    expect(verifyRecordChain(stored, r.deviceKey.publicKey, nodeCrypto).records.map((v) => v.record.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(r.backend.records.report(DEVICE).problems).toEqual([]);
  });

  it('the authorization cache ages on the monotonic clock: a wall clock set back does not extend an entry, set forward does not end it', () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1), 'S');
    const cache = new AuthCache(clock, { enabled: true, lifetimeS: 3600, maxEntries: 10 });
    cache.put('04A1B2C3D4E5F6', { status: 'Accepted' });
    clock.setWall(Date.UTC(2030, 0, 1), 'S');
    expect(cache.lookup('04A1B2C3D4E5F6')?.status).toBe('Accepted');
    clock.setWall(Date.UTC(2020, 0, 1), 'S');
    clock.advance(3600_000);
    expect(cache.lookup('04A1B2C3D4E5F6')).toBeUndefined();
  });

  // Missing defence (src/auth, see docs/threat-model.md "Time"): effectiveStatus compares an
  // expiryDate with clock.wall().ms whatever its quality, so a device whose RTC fell back to
  // 1970 (or whose time source was spoofed backwards) accepts an expired card offline.
  // Safe rule: an expiry date is evaluated against the latest trustworthy time the device
  // knows — max(wall if quality S, last synchronized wall time persisted + monotonic time
  // since); when no trustworthy time exists (quality U/I and none persisted), an Accepted
  // entry that carries an expiryDate counts as Expired offline (online it is asked).
  it('TIME-1: an expired local-list card is not accepted offline when the clock has rolled back', async () => {
    const r = new Rig({ online: false });
    expect(r.charger.applyLocalList({ listVersion: 1, updateType: 'Full', localAuthorizationList: [{ idTag: 'AABBCCDD', idTagInfo: { status: 'Accepted', expiryDate: Date.UTC(2026, 0, 15) } }] })).toBe('Accepted');
    r.platform.clock.setWall(Date.UTC(2026, 1, 1), 'S'); // synchronized: the card has expired
    expect(await r.charger.tap('AABBCCDD', 1)).toMatchObject({ accept: false, status: 'Expired' });
    r.reboot();
    r.platform.clock.setWall(Date.UTC(1970, 0, 1), 'U'); // the RTC lost its time over a power cut
    expect(await r.charger.tap('AABBCCDD', 1)).toMatchObject({ accept: false });
  });

  // Missing defence (src/sessions): a session whose wall clock went back while it ran gets a
  // record with stop before start, both marked with the clock's quality ('S'), so the
  // record claims synchronized times that cannot both be right. Rule: when stop < start (or
  // the wall clock moved by more than the monotonic clock during the session), the stop is
  // recorded with quality 'I' and the duration is taken from the monotonic clock.
  it('TIME-2: a clock set back during a session never yields a stop before its start marked S', async () => {
    const r = new Rig({ online: false });
    await session(r, r.member(0), 1, () => r.platform.clock.setWall(Date.UTC(2025, 0, 1), 'S'));
    const [rec] = r.records();
    expect(rec.stop.seconds >= rec.start.seconds || rec.stop.quality !== 'S').toBe(true);
  });
});
