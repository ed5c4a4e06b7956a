import type { Settings, SettingValue } from '../../hal/settings.js';
import { concatBytes, encodeCbor, utf8 } from '../../src/codec/index.js';
import { exportOcmf, Journal, Sessions, verifyRecordChain, type RecoveryReport, type SessionFacts } from '../../src/sessions/index.js';
import { nobleSigner, SCENARIO_KEY } from '../sessions/noble-signer.js';
import type { Scenario } from './scenario.js';

// Sessions on Node and XS: record encoding, COSE signatures (deterministic
// ES256), the hash chain, the journal's bytes on flash, its recovery after a
// corrupted entry, acknowledgement and reclaim, a session closed at boot after
// a power cut, and the OCMF export. Output: all of it, in bytes.
class MemorySettings implements Settings {
  private m = new Map<string, SettingValue>();
  get(k: string) { return this.m.get(k); }
  set(k: string, v: SettingValue) { this.m.set(k, v); }
  delete(k: string) { this.m.delete(k); }
  keys() { return [...this.m.keys()]; }
}

function facts(i: number): SessionFacts {
  const t = 1767225600 + i * 5400;
  return {
    evseId: `US*SEM*E0042*${1 + (i % 2)}`, uid: i % 3 ? `04A2B3C4D5E6${(i & 255).toString(16).toUpperCase().padStart(2, '0')}` : 'A1B2C3D4',
    partner: i % 2 ? { id: 2, countryCode: 'US', partyId: 'BLK' } : undefined, groupId: i % 4 === 3 ? 'FLEET' : undefined,
    method: i % 2 ? 'WHITELIST' : 'AUTH_REQUEST', offline: i % 3 === 1,
    start: { seconds: t, quality: 'S' }, stop: { seconds: t + 2000 + i, quality: i % 5 ? 'S' : 'I' },
    meterStartWh: 50_000 + 8_000 * i, meterStopWh: 57_000 + 8_000 * i + i, stopReason: i % 2 ? 'Local' : 'EVDisconnected',
  };
}

const scenario: Scenario = {
  name: 'sessions',
  partitions: { journal: 32 * 1024 },
  run(p) {
    const signer = nobleSigner(SCENARIO_KEY);
    const flash = p.flash('journal');
    const out: Uint8Array[] = [];
    const reports: RecoveryReport[] = [];
    const open = () => {
      const j = new Journal(flash, { crypto: p.crypto, deviceId: 'US*SEM*C0042', signer, reservedRecords: 1 });
      reports.push(j.recover());
      out.push(encodeCbor(reports[reports.length - 1]));
      return j;
    };
    const expect = (ok: boolean, what: string) => {
      if (!ok) throw new Error(`sessions scenario: ${what}`);
    };
    let j = open();
    for (let i = 0; i < 12; i++) j.append(facts(i));
    j.signPending(8);
    const batch = j.readFrom(1, 100_000);
    out.push(...batch.map((r) => r.bytes));
    const chain = verifyRecordChain(batch.map((r) => r.bytes), signer.publicKey, p.crypto);
    out.push(chain.last.hash, encodeCbor(chain.records.map((v) => [v.id, v.record.energyWh, v.record.uid])));
    out.push(flash.read(0, 4096));
    // Clear one bit inside record 5 (NOR lets any write clear bits): a corrupted entry.
    const image = flash.read(0, 4096);
    let at = 12;
    for (let k = 0; k < 4; k++) at += 7 + (image[at + 1] | (image[at + 2] << 8));
    let victim = at + 40;
    while (image[victim] === 0) victim++;
    flash.write(victim, Uint8Array.of(image[victim] & (image[victim] - 1)));
    j = open(); // reboot: the damaged entry is skipped, the unsigned tail is signed
    j.signPending();
    const after = j.readFrom(1, 100_000);
    out.push(encodeCbor(after.map((r) => r.seq)));
    expect(reports[1].corruptEntries === 1 && reports[1].unsigned === 4, 'the flipped bit is detected, the unsigned tail found');
    expect(after.map((r) => r.seq).join() === '1,2,3,4,6,7,8,9,10,11,12', 'record 5 is skipped, never read');
    j.acknowledge(after[after.length - 1].seq);
    // A session interrupted by a power cut, closed at the next boot.
    const settings = new MemorySettings();
    const meter = { wh: 90_000, readWh: () => meter.wh };
    const s = new Sessions({ journal: j, meter, clock: p.clock, settings, evseIds: { 1: 'US*SEM*E0042*1' } });
    s.authorize(1, { accept: true, status: 'Accepted', reason: 'whitelist', method: 'WHITELIST', uid: '04A2B3C4D5E6FF', offline: true });
    s.plugIn(1);
    meter.wh += 3_210;
    j = open();
    const s2 = new Sessions({ journal: j, meter, clock: p.clock, settings, evseIds: { 1: 'US*SEM*E0042*1' } });
    const closed = s2.boot();
    expect(closed.length === 1 && closed[0] === 13, 'the interrupted session is closed at boot');
    out.push(encodeCbor(closed));
    j.signPending();
    // Fill the ring past its end with acknowledgements in between: reclaim and wrap.
    for (let i = 20; i < 195; i++) {
      j.append(facts(i));
      j.signPending();
      if (i % 10 === 9) j.acknowledge(j.readFrom(0, 1_000_000).slice(-1)[0].seq);
    }
    j = open();
    const tail = j.readFrom(0, 1_000_000);
    let maxCounter = 0;
    for (let k = 0; k < 8; k++) {
      const h = flash.read(k * 4096, 8);
      if (h[0] === 0x52) maxCounter = Math.max(maxCounter, h[4] | (h[5] << 8));
    }
    expect(j.lastSeq === 188 && tail.length === 5 && j.depth === 5 && maxCounter >= 8, 'the ring wrapped, acknowledged sectors were freed');
    out.push(encodeCbor([j.lastSeq, j.ackedSeq, j.depth, j.status]), ...tail.map((r) => r.bytes));
    out.push(utf8(exportOcmf(verifyRecordChain(after.slice(0, 1).map((r) => r.bytes), signer.publicKey, p.crypto).records[0].record, signer, { gatewayId: 'SEM', gatewaySerial: 'C0042', gatewayVersion: '0.1.0' })));
    return concatBytes(...out);
  },
};
export default scenario;
