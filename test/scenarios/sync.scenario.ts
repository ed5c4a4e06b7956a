import { deflateSync } from 'fflate';
import { concatBytes, encodeCbor } from '../../src/codec/index.js';
import { bootTag } from '../../src/sync/authorizer.js';
import { decodeMessage, DeviceLink, encodeMessage, RecordUploader, SyncDecodeError, topicOf, type JournalRecord, type UploadJournal } from '../../src/sync/index.js';
import { MemoryBus } from '../../host-sim/broker/memory-bus.js';
import { SeededRandom } from '../../host-sim/hal/seeded-random.js';
import { VirtualClock } from '../../host-sim/hal/virtual-clock.js';
import type { Scenario } from './scenario.js';

// src/sync on both engines: message bytes, the bounded decoders' refusals, and
// an upload over a lossy in-memory bus. Output: every encoded message, each
// refusal's fault, and the records the stand-in backend stored, in order.
const scenario: Scenario = {
  name: 'sync',
  partitions: {},
  seed: 4,
  run(p) {
    const out: Uint8Array[] = [];
    out.push(encodeMessage('recordBatch', { first: 1, recs: [p.random.bytes(200), encodeCbor({ evse: 'US*SEM*E1*1', wh: 7000 })] }));
    out.push(encodeMessage('authRequest', { id: 'x.auth-1', uid: '04A2B3C4D5E680', connector: 1, purpose: 'start' }));
    // The per-boot tag of request ids: byte arithmetic on a wall clock past 2^32 ms.
    out.push(encodeCbor([bootTag(Uint8Array.of(0x5a, 0x5a, 0x5a, 0x5a), Date.UTC(2026, 0, 1, 8)), bootTag(Uint8Array.of(1, 2, 3, 4), 1200)]));
    const fault = (f: () => unknown) => {
      try { f(); return 'none'; } catch (e) { return e instanceof SyncDecodeError ? e.fault : 'other'; }
    };
    // A small bomb against a small cap: 64 KiB of zeros at a message kind whose CBOR limit is 2 KiB.
    const bomb = Uint8Array.of(1, ...deflateSync(new Uint8Array(64 * 1024)));
    const deep = new Uint8Array(501).fill(0x81);
    deep[500] = 0;
    const faults = [
      fault(() => decodeMessage('listStatus', bomb)),
      fault(() => decodeMessage('recordAck', Uint8Array.of(0, ...deep))),
      fault(() => decodeMessage('listChunk', out[0].subarray(0, 20))),
      fault(() => decodeMessage('recordAck', Uint8Array.of(0, 0xc1, 0))),
    ];
    out.push(encodeCbor(faults));

    const records: JournalRecord[] = [];
    for (let i = 1; i <= 60; i++) records.push({ seq: i, bytes: p.random.bytes(40 + (i % 50)) });
    let acked = 0;
    const journal: UploadJournal = {
      get ackedSeq() { return acked; },
      get lastSeq() { return records.length; },
      readFrom: (seq, max) => { const r: JournalRecord[] = []; let n = 0; for (const x of records.slice(seq - 1)) { if (r.length && n + x.bytes.length > max) break; r.push(x); n += x.bytes.length; } return r; },
      acknowledge: (seq) => { acked = seq; },
    };
    const loss = new SeededRandom(9);
    const bus = new MemoryBus({ drop: () => loss.below(3) === 0 });
    const clock = new VirtualClock();
    const device = bus.connect();
    const backend = bus.connect();
    const stored = new Map<number, Uint8Array>();
    backend.subscribe(topicOf('cp', 'recordBatch'));
    backend.onMessage = (_t, payload) => {
      const b = decodeMessage('recordBatch', payload);
      b.recs.forEach((r, i) => { if (!stored.has(b.first + i)) stored.set(b.first + i, r); });
      backend.publish(topicOf('cp', 'recordAck'), encodeMessage('recordAck', { seq: b.first + b.recs.length - 1 }));
    };
    const uploader = new RecordUploader(new DeviceLink(device, 'cp'), journal, clock, p.random, { batchBytes: 500, backoff: { baseMs: 1000, maxMs: 30_000 } });
    uploader.notify();
    for (let i = 0; i < 5000 && acked < 60; i++) { bus.drain(); clock.advance(500); }
    out.push(encodeCbor({ acked, stored: stored.size, retransmissions: uploader.stats.retransmissions }));
    for (let s = 1; s <= 60; s++) out.push(stored.get(s) ?? new Uint8Array(0));
    return concatBytes(...out);
  },
};
export default scenario;
