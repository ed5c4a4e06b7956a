import { describe, expect, it } from 'vitest';
import type { FlashRegion } from '../../hal/flash.js';
import { failingJournalWrite, Rig } from './rig.js';

// Nothing on the tap path waits for signing or a flash erase: stops append
// unsigned records and the journal's keeper signs them (and prepares the next
// sector) from a timer afterwards.
describe('Charger: taps never wait for signing', () => {
  it('a stop by tap journals an unsigned record; signing and erases happen only outside taps', async () => {
    const inTap = { on: false };
    const during = { signs: 0, erases: 0 };
    const total = { signs: 0, erases: 0 };
    const r = new Rig({
      signer: (inner) => ({
        publicKey: inner.publicKey,
        sign: (m) => { total.signs++; if (inTap.on) during.signs++; return inner.sign(m); },
      }),
      flash: (inner): FlashRegion => ({
        name: inner.name, byteLength: inner.byteLength, blockSize: inner.blockSize,
        read: (o, n) => inner.read(o, n),
        write: (o, d) => inner.write(o, d),
        erase: (b) => { total.erases++; if (inTap.on) during.erases++; inner.erase(b); },
      }),
    });
    const tap = (uid: string, c: number) => {
      inTap.on = true;
      try { return r.charger.tap(uid, c); } finally { inTap.on = false; } // table cards: decided and acted on synchronously
    };
    // Enough sessions to wrap a 32 KiB journal (8 sectors) twice: acknowledged
    // sectors are reused, so new sectors need erasing.
    const sessions = 400;
    for (let i = 0; i < sessions; i++) {
      const uid = r.member(i % 5);
      expect((await tap(uid, 1)).action).toBe('start');
      r.charger.plugIn(1);
      r.meter.deliver(1, 100 + i);
      r.platform.clock.advance(5_000); // the stop comes after the re-tap window
      const unsigned = r.charger.journal.unsigned;
      expect((await tap(uid, 1)).action).toBe('stop');
      expect(r.charger.journal.unsigned).toBe(unsigned + 1); // journaled, not signed
      expect(r.charger.journal.lastSeq).toBe(i + 1);
      expect(r.charger.unplug(1)).toBeUndefined(); // the driver takes the cable: no second record
      if (i % 3 === 2) r.platform.clock.advance(1); // the event loop turns now and then
      if (i % 20 === 19) r.run(30); // uploads are acknowledged: sectors are reclaimed
    }
    r.run();
    expect(r.backend.records.report('cp-test-1')).toMatchObject({ stored: sessions, verified: sessions, problems: [] });
    expect(total.signs).toBe(sessions);
    expect(total.erases).toBeGreaterThan(8);
    expect(during).toEqual({ signs: 0, erases: 0 });
    expect(r.charger.status().backgroundFailures).toBe(0);
  });

  it('a backlog of unsigned records does not delay a decision', async () => {
    const r = new Rig({ online: false });
    // A card per session: virtual time stands still (it would sign the backlog), so one card would be a re-tap.
    for (let i = 0; i < 20; i++) {
      expect((await r.charger.tap(r.member(2 + i), 1)).action).toBe('start');
      r.charger.plugIn(1);
      r.charger.unplug(1);
    }
    expect(r.charger.journal.unsigned).toBe(20);
    let decided = false;
    void r.charger.tap(r.member(1), 2).then(() => { decided = true; });
    await Promise.resolve();
    expect(decided).toBe(true);
    expect(r.charger.journal.unsigned).toBe(20); // nothing was signed meanwhile
    r.platform.clock.advance(0);
    expect(r.charger.journal.unsigned).toBe(0);
  });
});

describe('Charger: a failed flash write in the background', () => {
  it('is recovered by the keeper: taps are refused meanwhile, never thrown, and sessions resume', async () => {
    const fault = { armed: false };
    const r = new Rig({ online: false, flash: failingJournalWrite(fault) });
    const a = r.member(0);
    expect((await r.charger.tap(a, 1)).action).toBe('start');
    r.charger.plugIn(1);
    r.platform.clock.advance(5_000); // past the re-tap window
    expect((await r.charger.tap(a, 1)).action).toBe('stop'); // its record is journaled, unsigned
    fault.armed = true; // the background write of its signature fails
    r.platform.clock.advance(1);
    expect(r.charger.status().backgroundFailures).toBe(1);
    expect(r.charger.journal.recovered).toBe(false);
    // A tap while the journal waits for its recovery: a refusal, not an exception.
    const during = await r.charger.tap(r.member(1), 2);
    expect(during).toMatchObject({ accept: false, action: 'none' });
    r.platform.clock.advance(1);
    expect(r.charger.journal.recovered).toBe(true);
    expect(r.charger.journal.unsigned).toBe(0); // signed after the recovery
    expect((await r.charger.tap(r.member(1), 2)).action).toBe('start');
    expect(r.records().map((x) => [x.seq, x.uid])).toEqual([[1, a]]);
  });
});
