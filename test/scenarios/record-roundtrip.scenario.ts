import { deflateSync, inflateSync } from 'fflate';
import { concatBytes, decodeCbor, encodeCbor, equalBytes } from '../../src/codec/index.js';
import type { Scenario } from './scenario.js';

// The first shared scenario: encode a CBOR record, compress it, hash it, store
// it in flash, read it back, decode it. Output: every intermediate, in bytes.
const scenario: Scenario = {
  name: 'record-roundtrip',
  partitions: { journal: 64 * 1024 },
  run(p) {
    const record = {
      seq: 1,
      evse: 'US*SEM*E1234*1',
      uid: '04A2B3C4D5E680',
      partner: 'US-BLK',
      start: p.clock.wall().ms,
      meterStartWh: 12345,
      meterStopWh: 19876,
      offline: true,
      nonce: p.random.bytes(8),
    };
    const cbor = encodeCbor(record);
    const packed = deflateSync(cbor, { level: 6 });
    const hash = p.crypto.sha256(packed).digest();
    const flash = p.flash('journal');
    flash.erase(0);
    const header = new Uint8Array(4);
    new DataView(header.buffer).setUint32(0, packed.length, true);
    flash.write(0, concatBytes(header, packed, hash));
    const stored = flash.read(0, 4 + packed.length + 32);
    const length = new DataView(stored.buffer, stored.byteOffset).getUint32(0, true);
    const back = inflateSync(stored.subarray(4, 4 + length));
    const sameHash = equalBytes(p.crypto.sha256(stored.subarray(4, 4 + length)).digest(), stored.subarray(4 + length));
    const decoded = decodeCbor(back) as typeof record;
    const check = encodeCbor({ sameHash, sameRecord: equalBytes(encodeCbor(decoded), cbor), seq: decoded.seq });
    return concatBytes(cbor, packed, hash, stored, check);
  },
};
export default scenario;
