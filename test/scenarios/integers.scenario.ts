import { concatBytes, decodeCbor, encodeCbor, MAX_CBOR_INTEGER } from '../../src/codec/index.js';
import { decodeRecord, encodeRecord, GENESIS_HASH, Journal, MAX_METER_WH, type SessionFacts } from '../../src/sessions/index.js';
import { decodeMessage, encodeMessage } from '../../src/sync/index.js';
import { nobleSigner, SCENARIO_KEY } from '../sessions/noble-signer.js';
import type { Scenario } from './scenario.js';

// Issue 14 on Node and XS: integers at every magnitude up to 2^53 − 1 are CBOR
// integers of the shortest form (whole numbers beyond 32 bits go to cbor-x as
// BigInts: XS must write the same 8-byte integers, and read them back as
// numbers), in messages and in records through the journal, its recovery and
// the signed upload bytes; a reading refused at the meter boundary ('O') too.
// Output: every encoding and what was read back, in bytes.

const MAGNITUDES = [0, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 5_000_000_000, 2 ** 40, MAX_CBOR_INTEGER];

function facts(i: number, start: number | 'O', stop: number | 'O'): SessionFacts {
  const t = 1767225600 + i * 3600;
  return {
    evseId: 'US*SEM*E0042*1', uid: '04A2B3C4D5E680', method: 'WHITELIST', offline: true,
    start: { seconds: t, quality: 'S' }, stop: { seconds: t + 1800, quality: 'S' },
    meterStartWh: start, meterStopWh: stop, stopReason: 'EVDisconnected',
  };
}

const scenario: Scenario = {
  name: 'integers',
  partitions: { journal: 16 * 1024 },
  run(p) {
    const out: Uint8Array[] = [];
    const check = (ok: boolean, what: string) => {
      if (!ok) throw new Error(`integers scenario: ${what}`);
    };
    for (const v of MAGNITUDES) {
      for (const x of [v, -v]) {
        const bytes = encodeCbor(x);
        out.push(bytes);
        check(decodeCbor(bytes) === x, `${x} did not round-trip`);
      }
      const msg = encodeMessage('status', { list: 1, depth: v, acked: v, lastSync: v, time: 'S', listBusy: false, refused: v || undefined });
      out.push(msg);
      check(decodeMessage('status', msg).depth === v, `status depth ${v}`);
    }
    let refused = false;
    try {
      encodeCbor(MAX_CBOR_INTEGER + 1);
    } catch {
      refused = true;
    }
    check(refused, '2^53 was encoded');
    // Records through the journal: appended, recovered, signed, read for upload.
    const signer = nobleSigner(SCENARIO_KEY);
    const flash = p.flash('journal');
    const open = () => new Journal(flash, { crypto: p.crypto, deviceId: 'US*SEM*C0042', signer, reservedRecords: 1 });
    let j = open();
    j.recover();
    const pairs: Array<[number | 'O', number | 'O']> = [[0, 2 ** 32 - 1], [2 ** 32, 2 ** 40], [2 ** 40, MAX_METER_WH], [MAX_METER_WH, 'O'], ['O', 'O']];
    pairs.forEach(([a, b], i) => j.append(facts(i, a, b)));
    j = open();
    out.push(encodeCbor(j.recover()));
    check(j.signPending() === pairs.length, 'not every record was signed');
    const records = j.readFrom(1, 100_000);
    check(records.length === pairs.length, `${records.length} records read back`);
    out.push(...records.map((r) => r.bytes));
    const back = j.payloadsFrom(1).map((pl) => decodeRecord(pl));
    back.forEach((r, i) => check(r.meterStartWh === pairs[i][0] && r.meterStopWh === pairs[i][1], `record ${i + 1} readings`));
    out.push(encodeCbor(back.map((r) => [r.meterStartWh, r.meterStopWh, r.energyWh])));
    out.push(encodeRecord(facts(9, 0, MAX_METER_WH), 0xffffffff, GENESIS_HASH));
    return concatBytes(...out);
  },
};
export default scenario;
