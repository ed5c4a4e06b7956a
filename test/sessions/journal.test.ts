import { describe, expect, it } from 'vitest';
import type { FlashRegion } from '../../hal/flash.js';
import { PowerCut, PowerSwitch, SimFlash } from '../../host-sim/hal/index.js';
import { fromHex, toHex } from '../../src/codec/index.js';
import { encodeRecord, Journal, JournalError, RecordError, verifyRecord, verifyRecordChain, type ChainPoint, type Journal as J } from '../../src/sessions/index.js';
import { frameEntry, sectorHeader, T_ACK, T_RECORD } from '../../src/sessions/frame.js';
import { liveRun } from '../../src/sessions/journal.js';
import { DEVICE, deviceKey, facts, newFlash, nodeCrypto, openJournal } from './helpers.js';

const verify = (j: J) => verifyRecordChain(j.readFrom(1, Infinity).map((r) => r.bytes), deviceKey.publicKey, nodeCrypto);
const errorCode = (f: () => unknown) => { try { f(); return 'none'; } catch (e) { return (e as JournalError).code ?? String(e); } };
const image = (f: SimFlash) => toHex(f.raw);

function fill(j: J, from: number, n: number, sign = true) {
  for (let i = from; i < from + n; i++) {
    j.append(facts(i));
    if (sign) j.signPending();
  }
}

describe('journal', () => {
  it('numbers, chains and signs records; readFrom returns them as COSE_Sign1 in order', () => {
    const j = openJournal(newFlash());
    fill(j, 0, 30);
    expect(j.lastSeq).toBe(30);
    expect(j.depth).toBe(30);
    const v = verify(j);
    expect(v.records.map((r) => r.record.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(v.records[7].record.uid).toBe(facts(7).uid);
    expect(toHex(j.lastRecordHash)).toBe(toHex(v.last.hash));
  });

  it('readFrom stops at the first unsigned record and honours maxBytes', () => {
    const j = openJournal(newFlash());
    fill(j, 0, 5);
    fill(j, 5, 3, false);
    expect(j.unsigned).toBe(3);
    expect(j.readFrom(1, Infinity).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    const all = j.readFrom(1, Infinity);
    const two = all[1].bytes.length + all[2].bytes.length;
    expect(j.readFrom(2, two).map((r) => r.seq)).toEqual([2, 3]);
    expect(j.readFrom(2, two - 1).map((r) => r.seq)).toEqual([2]);
    expect(j.readFrom(1, 0).map((r) => r.seq)).toEqual([1]); // always at least one
    expect(j.signPending(2)).toBe(2);
    expect(j.readFrom(4, Infinity).map((r) => r.seq)).toEqual([4, 5, 6, 7]);
  });

  it('recover() rebuilds the same state from flash alone', () => {
    const flash = newFlash();
    const j = openJournal(flash);
    fill(j, 0, 25);
    fill(j, 25, 2, false);
    j.acknowledge(10);
    const again = openJournal(flash);
    expect([again.lastSeq, again.ackedSeq, again.depth, again.unsigned]).toEqual([27, 10, 17, 2]);
    expect(toHex(again.lastRecordHash)).toBe(toHex(j.lastRecordHash));
    expect(again.readFrom(0, Infinity).map((r) => toHex(r.bytes))).toEqual(j.readFrom(0, Infinity).map((r) => toHex(r.bytes)));
    again.signPending();
    expect(again.append(facts(27))).toBe(28);
    again.signPending();
    const rest = again.readFrom(0, Infinity).map((r) => r.bytes);
    expect(verifyRecordChain(rest, deviceKey.publicKey, nodeCrypto, { seq: 10, hash: decodePrev(again, 11) }).last.seq).toBe(28);
  });

  it('acknowledging frees sectors and the ring wraps many times without losing the chain', () => {
    const flash = newFlash(16 * 1024, undefined);
    const j = openJournal(flash, { reservedRecords: 1 });
    let seq = 0;
    let backend: ChainPoint = { seq: 0, hash: new Uint8Array(32) };
    for (let round = 0; round < 30; round++) {
      fill(j, seq, 20);
      seq += 20;
      const batch = j.readFrom(backend.seq + 1, Infinity).map((r) => r.bytes);
      backend = verifyRecordChain(batch, deviceKey.publicKey, nodeCrypto, backend).last;
      j.acknowledge(backend.seq);
      expect(j.depth).toBe(0);
      expect(j.status).toBe('ok');
    }
    expect(backend.seq).toBe(600); // 600 records through a 16 KiB journal
    const r = openJournal(flash);
    expect([r.lastSeq, r.ackedSeq]).toEqual([600, 600]);
  });

  it('when full it refuses with JournalError(full), changes nothing, and keeps every record', () => {
    const flash = newFlash(16 * 1024);
    const j = openJournal(flash, { reservedRecords: 2 });
    let n = 0;
    let sawNearlyFull = false;
    while (j.status !== 'full') {
      sawNearlyFull ||= j.status === 'nearly-full';
      j.append(facts(n++));
      j.signPending();
    }
    expect(sawNearlyFull).toBe(true);
    const before = image(flash);
    expect(errorCode(() => j.append(facts(n)))).toBe('full');
    expect(image(flash)).toBe(before);
    // A session already under way may use the reserve.
    j.append(facts(n++), { reserved: true });
    j.signPending();
    expect(verify(j).records.length).toBe(n);
    j.acknowledge(40);
    expect(j.status).not.toBe('full');
    expect(openJournal(flash).depth).toBe(n - 40);
  });

  it('rejects bad input with typed errors and leaves flash unchanged', () => {
    const flash = newFlash();
    const j = openJournal(flash);
    fill(j, 0, 3);
    fill(j, 3, 1, false);
    const before = image(flash);
    expect(errorCode(() => j.acknowledge(9))).toBe('bad-ack');
    expect(errorCode(() => j.acknowledge(4))).toBe('bad-ack'); // not signed: cannot have been uploaded
    expect(errorCode(() => j.acknowledge(1.5))).toBe('bad-ack');
    expect(errorCode(() => j.append(encodeRecord(facts(9), 4, new Uint8Array(32))))).toBe('bad-record'); // wrong link
    expect(errorCode(() => j.append(encodeRecord(facts(9), 7, j.lastRecordHash)))).toBe('bad-record'); // wrong seq
    expect(() => j.append({ ...facts(9), evseId: '' })).toThrow(RecordError);
    expect(() => j.append(new Uint8Array([1, 2, 3]))).toThrow(RecordError);
    expect(image(flash)).toBe(before);
    expect(j.append(encodeRecord(facts(9), 5, j.lastRecordHash))).toBe(5); // the right bytes are accepted
    expect(errorCode(() => new Journal(new SimFlash('x', 4096), { crypto: nodeCrypto, deviceId: DEVICE }))).toBe('bad-region');
    expect(errorCode(() => new Journal(flash, { crypto: nodeCrypto, deviceId: DEVICE }).append(facts(1)))).toBe('not-recovered');
  });

  it('without a signer records wait; a boot with the key signs the tail', () => {
    const flash = newFlash();
    const j = openJournal(flash, { signer: undefined });
    fill(j, 0, 4, false);
    expect(errorCode(() => j.signPending())).toBe('no-signer');
    expect(j.readFrom(1, Infinity)).toEqual([]);
    const boot = openJournal(flash);
    expect(boot.unsigned).toBe(4);
    boot.signPending();
    expect(verify(boot).records.length).toBe(4);
  });

  it('a torn append is never read as data, and the journal goes on after it', () => {
    for (let cut = 1; cut <= 3; cut++) {
      const flash = newFlash();
      const j = openJournal(flash);
      fill(j, 0, 6);
      flash.power.cutAtWrite(cut);
      expect(() => { j.append(facts(6)); j.signPending(); j.append(facts(7)); }).toThrow(PowerCut);
      expect(errorCode(() => j.append(facts(8)))).toBe('not-recovered');
      flash.power.restore();
      const r = openJournal(flash);
      r.signPending();
      const n = r.lastSeq;
      expect(n).toBeGreaterThanOrEqual(6);
      fill(r, n, 3);
      expect(verify(r).records.map((x) => x.record.evseId)).toEqual(Array.from({ length: n + 3 }, (_, i) => facts(i).evseId));
    }
  });

  it('detects random bit flips: every record read back is authentic, losses show as gaps', () => {
    let seed = 12345;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    let corrupt = 0;
    let resigned = 0;
    for (let trial = 0; trial < 40; trial++) {
      const flash = newFlash(32 * 1024);
      const j = openJournal(flash);
      fill(j, 0, 60);
      const originals = new Map(j.readFrom(1, Infinity).map((r) => [r.seq, toHex(r.bytes)]));
      for (let k = 0; k < 1 + (trial % 4); k++) flash.raw[rnd(flash.byteLength)] ^= 1 << rnd(8);
      const r = new Journal(flash, { crypto: nodeCrypto, deviceId: DEVICE, signer: deviceKey });
      const report = r.recover();
      corrupt += report.corruptEntries;
      r.signPending();
      const back = r.readFrom(1, Infinity);
      for (const rec of back) {
        // Either the very record stored, or (if its signature entry was hit) the same record re-signed.
        if (originals.get(rec.seq) === toHex(rec.bytes)) continue;
        const v = verifyRecord(rec.bytes, deviceKey.publicKey, nodeCrypto, DEVICE);
        expect(toHex(v.payload)).toBe(toHex(verifyRecord(fromHex(originals.get(rec.seq)!), deviceKey.publicKey, nodeCrypto).payload));
        resigned++;
      }
      expect(back.length).toBeGreaterThanOrEqual(60 - 4 * 21); // at worst a whole sector per flip
      expect(new Set(back.map((x) => x.seq)).size).toBe(back.length);
    }
    expect(corrupt).toBeGreaterThan(10);
    expect(resigned).toBeGreaterThan(0);
  });

  it('a flipped bit in the head sector header does not lose the newest records', () => {
    const flash = newFlash();
    const j = openJournal(flash);
    fill(j, 0, 50); // three sectors
    const head = Math.floor((flash.byteLength - 1) / 4096);
    let headSector = 0;
    for (let s = 0; s <= head; s++) if (flash.raw[s * 4096] === 0x52) headSector = s;
    flash.raw[headSector * 4096 + 5] ^= 0x10;
    const r = new Journal(flash, { crypto: nodeCrypto, deviceId: DEVICE, signer: deviceKey });
    expect(r.recover().damagedHeaders).toBe(1);
    expect(verify(r).records.length).toBe(50);
    fill(r, 50, 30);
    expect(verify(openJournal(flash)).records.length).toBe(80);
  });

  it('an append after an acknowledgement freed a full journal neither erases nor checks a sector (the tap path)', () => {
    const flash = newFlash(16 * 1024);
    const seen = { erases: 0, sectorReads: 0 };
    const counted: FlashRegion = {
      name: flash.name, byteLength: flash.byteLength, blockSize: flash.blockSize, map: () => flash.map(),
      read: (o, n) => { if (n >= flash.blockSize) seen.sectorReads++; return flash.read(o, n); },
      write: (o, d) => flash.write(o, d), erase: (b) => { seen.erases++; flash.erase(b); },
    };
    const j = new Journal(counted, { crypto: nodeCrypto, deviceId: DEVICE, signer: deviceKey });
    j.recover();
    for (let i = 0; j.status !== 'full'; i++) {
      j.append(facts(i));
      j.signPending();
      j.maintain(); // the background step after each record: it cannot prepare a sector in a full ring
    }
    j.acknowledge(j.lastSeq);
    const headers = () => Array.from({ length: 4 }, (_, s) => toHex(flash.raw.subarray(s * 4096, s * 4096 + 12))).join();
    const before = headers();
    seen.erases = seen.sectorReads = 0;
    for (let i = 0; headers() === before; i++) {
      expect(i).toBeLessThan(40);
      j.append(facts(100 + i)); // taps, before the background step runs again
    }
    expect(seen).toEqual({ erases: 0, sectorReads: 0 });
  });

  it('recovery takes the ring order from headers that continue each other, never a header that breaks continuity', () => {
    const run = (...c: number[]) => liveRun(Float64Array.from(c));
    expect(run(-1, -1, -1, -1)).toEqual({ tail: 0, head: -1 });
    expect(run(4, 5, 6, 3)).toEqual({ tail: 3, head: 6 }); // a full ring
    expect(run(8, -1, 6, 7)).toEqual({ tail: 6, head: 8 }); // an unreadable header inside is bridged
    expect(run(0, 5, -1, -1)).toEqual({ tail: 5, head: 5 }); // two one-sector runs: the higher head
    expect(run(4, 1, 6, 7)).toEqual({ tail: 6, head: 7 }); // a stale header ends the run before it…
    expect(run(4, 9, 6, 7)).toEqual({ tail: 6, head: 7 }); // …and a forged newer one is not the head
    expect(run(100, -1, 2, 3)).toEqual({ tail: 2, head: 3 }); // an isolated high counter loses to a longer run
  });

  it('a cut while recovery erases never lets a run of headers it left out take over', () => {
    // The journal: counters 8, 9, 10 in sectors 0..2, records 1..3, 1 and 2
    // acknowledged (sectors 0 and 1 reclaimable). A forged run 20, 21 in
    // sectors 4, 5, holding higher records. Were the journal shortened first,
    // a cut before the forged run is erased would leave it the longer one.
    const base = newFlash(64 * 1024);
    const real = openJournal(base);
    fill(real, 0, 9);
    const payload = real.payloadsFrom(1);
    const frame = frameEntry;
    const ack = (v: number) => frame(T_ACK, Uint8Array.of(v, 0, 0, 0));
    for (let cut = 1; cut <= 8; cut++) {
      const power = new PowerSwitch();
      const flash = new SimFlash('journal', 8 * 512, { blockSize: 512, power });
      const put = (s: number, counter: number, entries: Uint8Array[]) => {
        flash.raw.set(sectorHeader(counter), s * 512);
        let at = s * 512 + 12;
        for (const e of entries) { flash.raw.set(e, at); at += e.length; }
      };
      put(0, 8, [frame(T_RECORD, payload[0])]);
      put(1, 9, [frame(T_RECORD, payload[1])]);
      put(2, 10, [frame(T_RECORD, payload[2]), ack(2)]);
      put(4, 20, [frame(T_RECORD, payload[6])]);
      put(5, 21, [frame(T_RECORD, payload[7]), ack(8)]);
      power.cutAtWrite(cut);
      try {
        new Journal(flash, { crypto: nodeCrypto, deviceId: DEVICE, reservedRecords: 0 }).recover();
      } catch (e) {
        if (!(e instanceof PowerCut)) throw e;
      }
      power.restore();
      const j = new Journal(flash, { crypto: nodeCrypto, deviceId: DEVICE, reservedRecords: 0 });
      j.recover();
      expect([j.lastSeq, j.ackedSeq], `cut at write ${cut}`).toEqual([3, 2]);
    }
  });

  it('recovers the same from flash read sector by sector as from a memory map', () => {
    const flash = newFlash(32 * 1024);
    const j = openJournal(flash);
    fill(j, 0, 70);
    fill(j, 70, 3, false);
    j.acknowledge(25);
    flash.power.cutAtWrite(1);
    expect(() => j.append(facts(73))).toThrow(PowerCut); // a torn entry at the head
    flash.power.restore();
    flash.raw[5000] ^= 0x04; // and a corrupted one in the middle
    const unmapped: FlashRegion = {
      name: flash.name, byteLength: flash.byteLength, blockSize: flash.blockSize,
      read: (o, n) => flash.read(o, n), write: (o, d) => flash.write(o, d), erase: (b) => flash.erase(b),
    };
    const a = new Journal(flash, { crypto: nodeCrypto, deviceId: DEVICE });
    const b = new Journal(unmapped, { crypto: nodeCrypto, deviceId: DEVICE });
    const ra = a.recover();
    expect(ra.corruptEntries).toBeGreaterThanOrEqual(2);
    expect(b.recover()).toEqual(ra);
    expect([b.lastSeq, b.ackedSeq, b.unsigned, toHex(b.lastRecordHash)]).toEqual([a.lastSeq, a.ackedSeq, a.unsigned, toHex(a.lastRecordHash)]);
    expect(b.readFrom(0, Infinity).map((r) => toHex(r.bytes))).toEqual(a.readFrom(0, Infinity).map((r) => toHex(r.bytes)));
  });
});

/** The prev field of record `seq` as the journal holds it. */
function decodePrev(j: J, seq: number): Uint8Array {
  return verifyRecord(j.readFrom(seq, 1)[0].bytes, deviceKey.publicKey, nodeCrypto).record.prev;
}
