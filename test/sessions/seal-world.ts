// A journal sealed as the device leaves it (the background step after each
// append), and the same bytes with every seal erased: seals must never change
// what recovery finds (test/sessions/seal.test.ts, the sessions.journal-seals fuzz target).
import { SimFlash } from '../../host-sim/hal/index.js';
import { Journal } from '../../src/sessions/index.js';
import { scanJournal } from '../../src/sessions/journal-recovery.js';
import { SEAL_BYTES } from '../../src/sessions/journal-seal.js';
import { fastSigner, type JournalWorld } from './corruption.js';
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
  const flash = new SimFlash('journal', bytes);
  const { j } = open(flash);
  let i = 0;
  const written = new Map<number, string>();
  const append = (reserved = false) => {
    const seq = j.append(facts(i++), { reserved });
    written.set(seq, hex(j.payloadsFrom(seq)[0]));
  };
  const capacity = Math.floor(bytes / 200);
  while (i < 2 * capacity) {
    for (let k = 0; k < 17; k++) {
      append();
      j.signPending();
      j.maintain();
    }
    j.acknowledge(j.lastSeq - 3);
  }
  let ackedMidway = false;
  while (j.status !== 'full') {
    append();
    j.signPending();
    j.maintain();
    if (!ackedMidway && j.depth > capacity / 3) {
      j.acknowledge(j.lastSeq - 5);
      ackedMidway = true;
    }
  }
  for (let k = 0; k < 8; k++) j.maintain();
  append(true);
  append(true);
  const payloads = new Map<number, string>();
  for (const p of j.payloadsFrom(j.ackedSeq + 1)) payloads.set(j.ackedSeq + 1 + payloads.size, hex(p));
  const signed = new Set(j.readFrom(1, Infinity).map((r) => r.seq));
  let used = flash.raw.length;
  while (used > 0 && flash.raw[used - 1] === 0xff) used--;
  return { bytes, raw: flash.raw.slice(), used, ackedSeq: j.ackedSeq, lastSeq: j.lastSeq, payloads, written, signed };
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
