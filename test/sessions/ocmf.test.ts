import { createVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { p256PublicKey } from '../../host-sim/hal/index.js';
import { encodeRecord, decodeRecord, exportOcmf, GENESIS_HASH, RecordError, verifyOcmf } from '../../src/sessions/index.js';
import { derFromRaw, rawFromDer } from '../../src/sessions/ocmf.js';
import { deviceKey, facts, nodeCrypto } from './helpers.js';

const options = { gatewayId: 'SEM-ROAM', gatewaySerial: 'C0042', gatewayVersion: '0.1.0', meterSerial: 'M-77' };

describe('OCMF export', () => {
  const record = decodeRecord(encodeRecord(facts(5), 42, GENESIS_HASH));
  const ocmf = exportOcmf(record, deviceKey, options);

  it('is OCMF|payload|signature with the session readings', () => {
    const [tag, payloadText, sigText] = ocmf.split('|');
    expect(tag).toBe('OCMF');
    const p = JSON.parse(payloadText);
    expect(p).toMatchObject({ FV: '1.0', PG: 'T42', ID: record.uid, CI: record.evseId, CT: 'EVSEID', GI: 'SEM-ROAM', MS: 'M-77' });
    expect(p.RD).toEqual([
      { TM: '2026-01-01T05:00:00,000+0000 S', TX: 'B', RV: record.meterStartWh, RI: '1-b:1.8.0', RU: 'Wh', RT: 'AC', EF: '', ST: 'G' },
      { TM: '2026-01-01T05:30:05,000+0000 U', TX: 'E', RV: record.meterStopWh, RI: '1-b:1.8.0', RU: 'Wh', RT: 'AC', EF: '', ST: 'G' },
    ]);
    expect(JSON.parse(sigText)).toMatchObject({ SA: 'ECDSA-secp256r1-SHA256', SE: 'hex', SM: 'application/x-der' });
  });

  it('verifies with an independent DER ECDSA verifier (node:crypto) over the payload bytes', () => {
    const [, payloadText, sigText] = ocmf.split('|');
    const der = Buffer.from(JSON.parse(sigText).SD, 'hex');
    expect(createVerify('sha256').update(payloadText).verify({ key: p256PublicKey(deviceKey.publicKey), dsaEncoding: 'der' }, der)).toBe(true);
    expect(verifyOcmf(ocmf, deviceKey.publicKey, nodeCrypto).PG).toBe('T42');
  });

  it('rejects a changed reading, a foreign key and garbage', () => {
    expect(() => verifyOcmf(ocmf.replace(`"RV":${record.meterStopWh}`, `"RV":${Number(record.meterStopWh) + 1}`), deviceKey.publicKey, nodeCrypto)).toThrow(/does not verify/);
    expect(() => verifyOcmf('OCMF|{}', deviceKey.publicKey, nodeCrypto)).toThrow(RecordError);
    expect(() => verifyOcmf('XYZ|{}|{}', deviceKey.publicKey, nodeCrypto)).toThrow(RecordError);
  });

  it('DER conversion round-trips r||s with high bits and leading zeros', () => {
    for (const fillR of [0x00, 0x01, 0x7f, 0x80, 0xff]) {
      const rs = new Uint8Array(64).map((_, i) => (i < 32 ? (i < 3 ? fillR : i) : 255 - i));
      expect(Array.from(rawFromDer(derFromRaw(rs)))).toEqual(Array.from(rs));
    }
  });
});
