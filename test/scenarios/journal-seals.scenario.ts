import type { Signer } from '../../hal/crypto.js';
import { concatBytes, encodeCbor } from '../../src/codec/index.js';
import { Journal, type SessionFacts } from '../../src/sessions/index.js';
import { scanJournal } from '../../src/sessions/journal-recovery.js';
import { readSeal } from '../../src/sessions/journal-seal.js';
import type { Scenario } from './scenario.js';

// Journal seals on Node and XS (issue 16): the background step seals closed
// sectors (strict walk, SHA-256 through the platform's digest), a boot takes
// them, a sector changed after its seal is walked instead, and recovery finds
// the same either way. Output: the flash bytes, the reports, the records read back.
function facts(i: number): SessionFacts {
  const t = 1767225600 + i * 3600;
  return {
    evseId: `US*SEM*E0042*${1 + (i % 2)}`, uid: `04A2B3C4D5${(0x1000 + i).toString(16).toUpperCase()}`,
    partner: { id: 3, countryCode: 'US', partyId: 'BLK' }, method: i % 2 ? 'WHITELIST' : 'AUTH_REQUEST', offline: i % 3 === 0,
    start: { seconds: t, quality: 'S' }, stop: { seconds: t + 2400, quality: 'S' },
    meterStartWh: 1_200_000 + 9_000 * i, meterStopWh: 1_207_000 + 9_000 * i + i, stopReason: 'Local',
  };
}

const scenario: Scenario = {
  name: 'journal-seals',
  partitions: { journal: 16 * 1024 },
  run(p) {
    // The journal never checks signatures: a deterministic stand-in keeps the scenario fast on XS.
    const signer: Signer = { publicKey: new Uint8Array(65), sign: (m) => concatBytes(p.crypto.sha256(m).digest(), p.crypto.sha256(m).digest()) };
    const flash = p.flash('journal');
    const out: Uint8Array[] = [];
    const expect = (ok: boolean, what: string) => {
      if (!ok) throw new Error(`journal-seals scenario: ${what}`);
    };
    const open = () => {
      const j = new Journal(flash, { crypto: p.crypto, deviceId: 'US*SEM*C0042', signer, reservedRecords: 1 });
      out.push(encodeCbor(j.recover()));
      return j;
    };
    let j = open();
    for (let i = 0; i < 70; i++) {
      j.append(facts(i));
      j.signPending();
      j.maintain();
      if (i === 29) j.acknowledge(j.lastSeq - 2);
    }
    for (let k = 0; k < 4; k++) j.maintain();
    out.push(flash.read(0, flash.byteLength));
    const sealed = scanJournal(flash, p.crypto).sealedSectors;
    expect(sealed >= 2, `closed sectors are sealed (${sealed})`);
    j = open();
    const records = j.readFrom(0, 1_000_000);
    out.push(encodeCbor([sealed, j.lastSeq, j.ackedSeq, j.unsigned, records.map((r) => r.seq)]), ...records.map((r) => r.bytes));
    // Clear one bit in a sealed sector's entries: its seal no longer matches, the walk finds the damage.
    let sector = 0;
    while (!readSeal(p.crypto, flash.read(sector * 4096, 4096), 0, 4096)) sector++;
    let victim = sector * 4096 + 200;
    while (flash.read(victim, 1)[0] === 0) victim++;
    const b = flash.read(victim, 1)[0];
    flash.write(victim, Uint8Array.of(b & (b - 1)));
    const after = scanJournal(flash, p.crypto);
    expect(after.sealedSectors === sealed - 1 && after.corruptEntries > 0, `the changed sector is walked (${after.sealedSectors} sealed, ${after.corruptEntries} corrupt)`);
    j = open();
    out.push(encodeCbor([j.lastSeq, j.ackedSeq, j.lost, j.readFrom(0, 1_000_000).map((r) => r.seq)]));
    return concatBytes(...out);
  },
};
export default scenario;
