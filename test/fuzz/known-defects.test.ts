// Strict reproductions of the defects the fuzz targets found in code this suite
// does not own (KNOWN_DEFECTS in targets.ts). Each was skipped until its owner
// fixed it, and then un-skipped with its tolerance removed from targets.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { nodeCrypto, NodeSigner, SimFlash } from '../../host-sim/hal/index.js';
import { Journal, JournalError } from '../../src/sessions/index.js';
import { put32 } from '../../src/codec/bytes.js';
import { frameEntry, sectorHeader, T_ACK, T_RECORD } from '../../src/sessions/frame.js';
import { seqOfPayload } from '../../src/sessions/record.js';
import { facts } from '../sessions/helpers.js';
import { fuzzOptions, runTarget, target } from './targets.js';

afterEach(() => { fuzzOptions.strict = false; });

function strict(name: string, cases: number, seed = 0x5eed) {
  fuzzOptions.strict = true;
  return runTarget(target(name), cases, seed);
}

const BS = 512;
const key = new NodeSigner(new Uint8Array(32).fill(5));

/** A 4-sector region built sector by sector from entries: real payloads of records 1..9, acks. */
function region(sectors: Array<{ s: number; counter: number; entries: Array<['R' | 'A', number]>; junk?: boolean }>): SimFlash {
  const real = new SimFlash('real', 16 * 4096, { blockSize: 4096 });
  const j = new Journal(real, { crypto: nodeCrypto, deviceId: 'D1', signer: key });
  j.recover();
  for (let i = 0; i < 9; i++) j.append(facts(i));
  const payloads = j.payloadsFrom(1);
  const f = new SimFlash('journal', 4 * BS, { blockSize: BS });
  for (const { s, counter, entries, junk } of sectors) {
    f.raw.set(sectorHeader(counter), s * BS);
    let at = s * BS + 12;
    for (const [type, seq] of entries) {
      const body = new Uint8Array(4);
      put32(body, 0, seq);
      const e = type === 'R' ? frameEntry(T_RECORD, payloads[seq - 1]) : frameEntry(T_ACK, body);
      f.raw.set(e, at);
      at += e.length;
    }
    if (junk) f.raw.fill(0, at, (s + 1) * BS); // written to the end: no room left in it
  }
  return f;
}

/** Recovers twice, then appends and recovers again: the journal target's properties, on one image. */
function recoveriesAgree(f: SimFlash): { acked: number; last: number; appended: boolean } {
  const open = () => {
    const j = new Journal(f, { crypto: nodeCrypto, deviceId: 'D1', signer: key, reservedRecords: 0 });
    j.recover();
    return j;
  };
  const seqs = (j: Journal) => j.payloadsFrom(0).map((p) => seqOfPayload(p));
  const a = open();
  const first = { acked: a.ackedSeq, last: a.lastSeq };
  const unacked = seqs(a);
  expect(first.acked).toBeLessThanOrEqual(first.last);
  const b = open();
  expect([b.lastSeq, seqs(b)]).toEqual([first.last, unacked]);
  expect(b.ackedSeq).toBeGreaterThanOrEqual(first.acked);
  let seq = 0;
  try {
    seq = b.append(facts(9));
  } catch (e) {
    if (!(e instanceof JournalError && e.code === 'full')) throw e;
    return { ...first, appended: false };
  }
  expect(seq).toBe(first.last + 1);
  const c = open();
  expect([c.lastSeq, c.ackedSeq < seq]).toEqual([seq, true]);
  return { ...first, appended: true };
}

describe('known defects (strict): fixed, each fails if its defect returns', () => {
  it('KD-1, KD-2: lookups over a corrupt or hostile-but-signed table never read past the image and only answer well-formed entries (src/tokens/table.ts)', () => {
    const r = strict('tokens.image-signed', 3000);
    expect(r.failure).toBeUndefined();
  });

  it('KD-1, KD-2, KD-5: boot over a corrupted active slot reports bootError or answers lookups safely (src/tokens/table.ts, store.ts)', () => {
    const r = strict('tokens.boot', 3000);
    expect(r.failure).toBeUndefined();
  });

  it('KD-3: a stray ack above every record is not trusted: records appended after it are still uploaded (src/sessions/journal.ts)', () => {
    const key = new NodeSigner(new Uint8Array(32).fill(5));
    const f = new SimFlash('journal', 4 * 512, { blockSize: 512 });
    f.raw.set(sectorHeader(0), 0);
    const ack = new Uint8Array(4).fill(0xff);
    f.raw.set(frameEntry(T_ACK, ack), 12); // CRC-valid: acknowledges seq 4294967295
    const j = new Journal(f, { crypto: nodeCrypto, deviceId: 'D1', signer: key, reservedRecords: 0 });
    j.recover();
    expect(j.ackedSeq).toBe(0);
    const seq = j.append(facts(0));
    j.signPending();
    expect(seq).toBe(1);
    expect(j.readFrom(1, Infinity).map((r) => r.seq)).toEqual([1]);
  });

  it('KD-3, KD-4: journal recovery over forged or stale structure keeps every property (src/sessions/journal.ts)', () => {
    const r = strict('sessions.journal', 3000);
    expect(r.failure).toBeUndefined();
  });

  it('KD-4: headers rewritten with several valid counters do not order the ring: a header that breaks continuity is not newer (src/sessions/journal.ts)', () => {
    // Fuzz seed 23's case: sector 1 (records 3, 4) relabelled 5 and sector 0 (an ack of 5)
    // relabelled 0, around sector 2 (record 5). Followed as they were, the ack
    // of 5 counted, was erased with no room to write it again, and the next
    // recovery went back to acked 4.
    const f = region([
      { s: 0, counter: 0, entries: [['A', 5]] },
      { s: 1, counter: 5, entries: [['R', 3], ['A', 3], ['R', 4], ['A', 4], ['R', 6]], junk: true },
      { s: 2, counter: 2, entries: [['R', 5]] },
    ]);
    expect(recoveriesAgree(f)).toEqual({ acked: 4, last: 6, appended: true }); // sector 1 alone: the highest of three one-sector runs
    // The same as a run of four continuing counters: record 5 comes first, so 3
    // and 4 after it are stale, and would read as fresh once sector 2 is
    // erased; with no room to write the ack of 5 again, it is not erased (and
    // the journal, full of junk, refuses appends).
    const g = region([
      { s: 2, counter: 2, entries: [['R', 5], ['A', 5]] },
      { s: 3, counter: 3, entries: [['R', 3], ['A', 3], ['R', 4], ['R', 6]], junk: true },
      { s: 0, counter: 4, entries: [], junk: true },
      { s: 1, counter: 5, entries: [], junk: true },
    ]);
    expect(recoveriesAgree(g)).toEqual({ acked: 5, last: 6, appended: false });
  });

  it('KD-4: the fuzz run that found the remainder (seed 23, strict) (src/sessions/journal.ts)', () => {
    const r = strict('sessions.journal', 15_000, 23);
    expect(r.failure).toBeUndefined();
  });
});
