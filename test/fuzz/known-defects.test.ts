// Strict reproductions of the defects the fuzz targets found in code this suite
// does not own (KNOWN_DEFECTS in targets.ts). Skipped until the owners fix them:
// each one fails today, and passes once the defect is gone; then remove the
// skip and the tolerance for it in targets.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { nodeCrypto, NodeSigner, SimFlash } from '../../host-sim/hal/index.js';
import { Journal } from '../../src/sessions/index.js';
import { frameEntry, sectorHeader, T_ACK } from '../../src/sessions/frame.js';
import { facts } from '../sessions/helpers.js';
import { fuzzOptions, runTarget, target } from './targets.js';

afterEach(() => { fuzzOptions.strict = false; });

function strict(name: string, cases: number) {
  fuzzOptions.strict = true;
  return runTarget(target(name), cases, 0x5eed);
}

describe('known defects (strict): fail today, pass once fixed', () => {
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
});
