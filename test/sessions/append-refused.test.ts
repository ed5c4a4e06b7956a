import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Encoder } from 'cbor-x/encode';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../host-sim/cli/main.js';
import { FileSettings, SimFlash } from '../../host-sim/hal/index.js';
import { toHex } from '../../src/codec/index.js';
import { decodeRecord, encodeRecord, JournalError, REFUSED_KEY } from '../../src/sessions/index.js';
import type { SessionEnded } from '../../src/sessions/session.js';
import { DEVICE as RIG_DEVICE, Rig } from '../charger/rig.js';
import { facts, newFlash, openJournal } from './helpers.js';

// Issue 14, item 2: the journal never reports an append it cannot read back.
// This file puts back the encoder of the defect (cbor-x as configured before:
// a whole number ≥ 2^32 written as a float64). encodeRecord and decodeRecord
// then agree on a float (decodeRecord's canonical check re-encodes with the
// same encoder), and the journal's read-back shape check — what recovery,
// readFrom and the signing queue apply — refuses it. Before, append wrote it
// and returned its seq; the record was then invisible: `unplug` returned 1,
// readFrom(1) returned nothing, the next record uploaded as seq 2 with gaps [1].
vi.mock('../../src/sessions/cbor.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/sessions/cbor.js')>();
  const before = new Encoder({ useRecords: false, mapsAsObjects: false, useTag259ForMaps: false, tagUint8Array: false, variableMapSize: true } as never);
  return { ...real, encodeIntMap: (entries: Array<[number, unknown]>) => before.encode(new Map(entries)) };
});

const BIG = 5_000_000_000; // Wh: the register of a 150 kW DC charger after a few years

describe('an append the journal could not read back (the encoder of issue 14 put back)', () => {
  it('is refused at append: thrown, nothing written, state unchanged, counted (and kept in settings)', () => {
    const flash = newFlash();
    const settings = new FileSettings();
    const j = openJournal(flash, { settings });
    j.append(facts(1));
    j.signPending();
    const before = { lastSeq: j.lastSeq, depth: j.depth, unsigned: j.unsigned, hash: toHex(j.lastRecordHash), flash: toHex(flash.raw) };
    let err: unknown;
    try {
      j.append({ ...facts(2), meterStartWh: BIG, meterStopWh: BIG + 100 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JournalError);
    expect((err as JournalError).code).toBe('unreadable-record');
    expect((err as Error).message).toMatch(/record 2 is not in the shape the journal reads back: not written/);
    expect({ lastSeq: j.lastSeq, depth: j.depth, unsigned: j.unsigned, hash: toHex(j.lastRecordHash), flash: toHex(flash.raw) }).toEqual(before);
    expect(j.refused).toBe(1);
    expect(settings.get(REFUSED_KEY)).toBe(1);
    // The next record takes the next number: no gap, nothing claimed that is not there.
    expect(j.append(facts(3))).toBe(2);
    j.signPending();
    expect(j.readFrom(1, Infinity).map((r) => r.seq)).toEqual([1, 2]);
    // The count survives a reboot; recovery sees the two records and nothing corrupt.
    const again = openJournal(flash, { settings });
    expect(again.refused).toBe(1);
    expect(again.recover()).toMatchObject({ records: 2, lastSeq: 2, corruptEntries: 0 });
  });

  it('a payload given to append is checked the same way', () => {
    const j = openJournal(newFlash());
    j.append(facts(1));
    // Continues j's chain, with a float reading: decodeRecord (with the same encoder) accepts it.
    const payload = encodeRecord({ ...facts(2), meterStopWh: BIG }, 2, j.lastRecordHash);
    expect(decodeRecord(payload).meterStopWh).toBe(BIG);
    expect(() => j.append(payload)).toThrow(/record 2 is not in the shape the journal reads back/);
    expect([j.lastSeq, j.refused]).toEqual([1, 1]);
  });

  it('through the charger: the session ends, the refusal is counted, told, kept across a reboot and in the status message; no gap upstream', async () => {
    const events: SessionEnded[] = [];
    const r = new Rig({ online: false, extra: { hooks: { onSessionEnded: (e) => events.push(e) } } });
    r.meter.deliver(1, BIG);
    expect((await r.charger.tap(r.member(0), 1)).accept).toBe(true);
    r.charger.plugIn(1);
    r.charger.startCharging(1);
    r.meter.deliver(1, 40_000);
    expect(r.charger.unplug(1)).toBeUndefined(); // was: 1, for a record nobody would ever read
    expect(events.at(-1)).toMatchObject({ connector: 1, reason: 'EVDisconnected', seq: undefined });
    expect(events.at(-1)!.recordError).toMatch(/not in the shape the journal reads back/);
    expect(r.charger.status().connectors[0].state).toBe('idle');
    expect(r.charger.status().journal).toMatchObject({ lastSeq: 0, depth: 0, refused: 1 });
    // Connector 2's meter is small: its record is the first one, seq 1.
    r.platform.clock.advance(60_000);
    expect((await r.charger.tap(r.member(1), 2)).accept).toBe(true);
    r.charger.plugIn(2);
    r.meter.deliver(2, 700);
    expect(r.charger.unplug(2)).toBe(1);
    // The count is kept across a reboot (NVS), and reaches the backend.
    r.reboot();
    expect(r.charger.status().journal.refused).toBe(1);
    r.transport.setOnline(true);
    r.run();
    expect(r.backend.records.report(RIG_DEVICE)).toMatchObject({ stored: 1, verified: 1, gaps: [], problems: [] });
    expect(r.backend.statuses.get(RIG_DEVICE)).toMatchObject({ refused: 1 }); // sent on connect
    r.charger.sync.sendStatus();
    r.run();
    expect(r.backend.statuses.get(RIG_DEVICE)).toMatchObject({ depth: 0, acked: 1, refused: 1 });
  });

  it('`roam inspect` shows the count from the settings of a dump', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'roam-refused-')), 'device');
    mkdirSync(dir);
    const flash = new SimFlash('journal', 32 * 1024, { file: join(dir, 'journal.bin') });
    const settings = new FileSettings(join(dir, 'settings.json'));
    settings.set('deviceId', 'dev-9');
    const j = openJournal(flash, { settings, deviceId: 'dev-9' });
    j.append(facts(1));
    expect(() => j.append({ ...facts(2), meterStopWh: BIG })).toThrow(JournalError);
    expect(() => j.append({ ...facts(3), meterStartWh: BIG, meterStopWh: BIG })).toThrow(JournalError);
    j.signPending();
    flash.close();
    const out: string[] = [];
    await main(['inspect', dir], (s) => { out.push(s); }, () => {});
    const text = out.join('\n');
    expect(text).toContain('records: last seq 1');
    expect(text).toContain(`refused at append: 2 record(s) could not be encoded or read back: REFUSED, those sessions have no record (settings ${REFUSED_KEY})`);
  });
});
