// A journal sealed as the device leaves it (the background step after each
// append), and the same bytes with every seal erased: seals must never change
// what recovery finds (test/sessions/seal.test.ts, the sessions.journal-seals fuzz target).
import { SimFlash } from '../../host-sim/hal/index.js';
import { Journal } from '../../src/sessions/index.js';
import { scanJournal } from '../../src/sessions/journal-recovery.js';
import { SEAL_BYTES } from '../../src/sessions/journal-seal.js';
import { fastSigner, fullJournal, type JournalWorld } from './corruption.js';
import { DEVICE, facts, nodeCrypto } from './helpers.js';

export const BS = 4096;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export function open(flash: SimFlash) {
  const j = new Journal(flash, { crypto: nodeCrypto, deviceId: DEVICE, signer: fastSigner });
  const report = j.recover();
  return { j, report };
}

/** corruption.ts's full journal, with the background step (sign, maintain) after each append as the device runs it. */
export function sealedJournal(bytes = 32 * 1024): JournalWorld {
  return fullJournal(bytes, true);
}

/** The bytes with every seal place erased: what the journal was before maintain() sealed it. */
export function unsealed(raw: Uint8Array): Uint8Array {
  const copy = raw.slice();
  for (let s = 0; s < copy.length / BS; s++) copy.fill(0xff, (s + 1) * BS - SEAL_BYTES, (s + 1) * BS);
  return copy;
}

/** Everything recovery decides, and what the journal then reads and writes. */
export function outcome(raw: Uint8Array): string {
  const flash = new SimFlash('journal', raw.length);
  flash.raw.set(raw);
  const { j, report } = open(flash);
  const state = {
    report, lastSeq: j.lastSeq, acked: j.ackedSeq, lost: j.lost, lostAfterLast: j.lostAfterLast, lostSeqs: j.lostSeqs(), unsigned: j.unsigned,
    hash: hex(j.lastRecordHash), status: j.status, records: j.readFrom(1, Infinity).map((r) => `${r.seq}:${hex(r.bytes)}`),
    payloads: j.payloadsFrom(1).map(hex),
  };
  // And the next steps: the journal appends and signs where it would have.
  let next = '';
  try {
    j.append(facts(777), { reserved: true });
    j.signPending();
  } catch (e) {
    next = (e as Error).message;
  }
  return JSON.stringify({ state, next, after: hex(flash.raw.filter((_, i) => i % BS < BS - SEAL_BYTES)) });
}

export const sealedCount = (raw: Uint8Array) => {
  const flash = new SimFlash('journal', raw.length);
  flash.raw.set(raw);
  return scanJournal(flash, nodeCrypto).sealedSectors;
};
