import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../host-sim/broker/memory-bus.js';
import { VirtualClock } from '../../host-sim/hal/virtual-clock.js';
import type { IdTagInfo } from '../../src/auth/index.js';
import { bootTag } from '../../src/sync/authorizer.js';
import { decodeMessage, DeviceLink, encodeMessage, MqttAuthorizer, topicOf } from '../../src/sync/index.js';

// Moddable's rng on the Linux simulator is never seeded: every boot draws the same bytes.
const unseeded = { bytes: (n: number) => new Uint8Array(n).fill(0x5a) };
let draws = 0;
const fresh = { bytes: (n: number) => Uint8Array.from({ length: n }, (_, i) => (++draws * 37 + i) & 0xff) };

describe('MqttAuthorizer: a late answer from before a reboot matches nothing after it', () => {
  function site() {
    const bus = new MemoryBus();
    const backend = bus.connect();
    const asked: string[] = [];
    backend.subscribe(topicOf('cp1', 'authRequest'));
    backend.onMessage = (_t, payload) => { asked.push(decodeMessage('authRequest', payload).id); };
    const answer = (id: string, status: IdTagInfo['status']) => backend.publish(topicOf('cp1', 'authResponse'), encodeMessage('authResponse', { id, status }));
    const boot = (random: typeof unseeded, clock: VirtualClock) => {
      const authorizer = new MqttAuthorizer(new DeviceLink(bus.connect(), 'cp1'), clock, random);
      const answers: Array<[string, string]> = [];
      const tap = (uid: string) => authorizer.request({ correlationId: 'auth-1', uid, connector: 1, purpose: 'start' }, (info) => answers.push([uid, info.status]));
      return { authorizer, answers, tap };
    };
    return { bus, asked, answer, boot };
  }

  it('on the simulator, whose rng repeats every boot: the wall clock tells the boots apart', () => {
    const s = site();
    const first = s.boot(unseeded, new VirtualClock(Date.UTC(2026, 0, 1, 8)));
    first.tap('04A2B3C4D5E680');
    s.bus.drain();
    // Power cut before the backend answers; the device is back 40 s later and a card is tapped.
    const second = s.boot(unseeded, new VirtualClock(Date.UTC(2026, 0, 1, 8, 0, 40)));
    second.tap('0411223344');
    s.bus.drain();
    expect(s.asked).toHaveLength(2);
    expect(s.asked[0]).not.toBe(s.asked[1]);
    s.answer(s.asked[0], 'Accepted'); // the answer to the card tapped before the reboot
    s.bus.drain();
    expect(second.answers).toEqual([]);
    expect(second.authorizer.unmatchedAnswers).toBe(1);
    s.answer(s.asked[1], 'Blocked');
    s.bus.drain();
    expect(second.answers).toEqual([['0411223344', 'Blocked']]);
  });

  it('on an ESP32 whose clock restarts near 0 after a power cut: the random bytes tell the boots apart', () => {
    const s = site();
    s.boot(fresh, new VirtualClock(1200)).tap('04A2B3C4D5E680');
    const second = s.boot(fresh, new VirtualClock(1200));
    second.tap('0411223344');
    s.bus.drain();
    expect(s.asked[0]).not.toBe(s.asked[1]);
    s.answer(s.asked[0], 'Accepted');
    s.bus.drain();
    expect(second.answers).toEqual([]);
  });

  it('the tag is the random bytes XOR the wall clock\'s low 32 bits, least significant byte first', () => {
    expect(bootTag(Uint8Array.of(0, 0, 0, 0), 0x01_0203_0405)).toBe('05040302');
    expect(bootTag(Uint8Array.of(0xff, 0x0f, 0, 0x80), 0)).toBe('FF0F0080');
    expect(bootTag(Uint8Array.of(0x5a, 0x5a, 0x5a, 0x5a), Date.UTC(2026, 0, 1))).not.toBe(bootTag(Uint8Array.of(0x5a, 0x5a, 0x5a, 0x5a), Date.UTC(2026, 0, 1) + 1));
  });
});
