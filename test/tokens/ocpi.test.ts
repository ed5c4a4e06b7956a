import { describe, expect, it } from 'vitest';
import { nodeCrypto, NodeSigner } from '../../host-sim/hal/node-crypto.js';
import { ocpiDiffBuilder, SiteList } from '../../host-sim/backend/site-list.js';
import type { OcpiToken } from '../../host-sim/backend/ocpi-tokens.js';
import { checkOcpiToken } from '../../src/tokens/ocpi.js';
import { compileDiff, compileTable, normalizeUid, TokenTable, type ReaderConfig } from '../../src/tokens/index.js';
import { openDiff } from '../../src/tokens/diff.js';
import { ocpiToken } from './expected.js';

const BLK = { countryCode: 'US', partyId: 'BLK', allowedUsesTable: true };
const ascii = (s: string) => new TextEncoder().encode(s);
const reasonOf = (raw: unknown, reader?: ReaderConfig) => {
  const t = checkOcpiToken(raw, reader);
  return 'reason' in t ? t.reason : 'accepted';
};

describe('OCPI tokens: random UIDs (B8)', () => {
  it('leaves out an RFID uid read from the chip as 4 bytes starting 08, any case, and says why', () => {
    for (const uid of ['08A2B3C4', '08a2b3c4', '08123456']) {
      const t = checkOcpiToken(ocpiToken(BLK, uid));
      expect('reason' in t && t.reason, uid).toBe('RANDOM_UID');
      const detail = 'detail' in t ? t.detail : '';
      expect(detail).toContain(uid.toUpperCase());
      expect(detail).toMatch(/random/);
      expect(detail).toMatch(/0x08/);
    }
    for (const reader of [{ input: 'bytes' }, { input: 'hex', reversed: true }, { input: 'decimal' }, { input: 'bytes', truncateTo: 7 }] as ReaderConfig[])
      expect(reasonOf(ocpiToken(BLK, '08A2B3C4'), reader), JSON.stringify(reader)).toBe('RANDOM_UID');
  });

  it('keeps 8 characters starting 08 that are no 4-byte UID read from a chip', () => {
    // Not a random UID by length or form.
    for (const uid of ['08A1B2C3D4E5F6', '08A1B2C3D4E5F6A7B8C9', '08A2B3CZ', '0812345', '081234567'])
      expect(reasonOf(ocpiToken(BLK, uid)), uid).toBe('accepted');
    // Not read from a chip: another token type.
    expect(reasonOf(ocpiToken(BLK, '08123456', { type: 'OTHER' }))).toBe('accepted');
    // The printed card number or the contract id: fixed numbers, which a random UID never is.
    expect(reasonOf(ocpiToken(BLK, '08123456', { visual_number: '08123456' }))).toBe('accepted');
    expect(reasonOf(ocpiToken(BLK, '08abcdef', { contract_id: '08ABCDEF' }))).toBe('accepted');
    // Readers that deliver printed numbers, or keys cut from longer UIDs.
    expect(reasonOf(ocpiToken(BLK, '08123456'), { input: 'decimal', verbatim: true })).toBe('accepted');
    expect(reasonOf(ocpiToken(BLK, '08A2B3C4'), { input: 'hex', verbatim: true })).toBe('accepted');
    expect(reasonOf(ocpiToken(BLK, '08A2B3C4'), { input: 'bytes', truncateTo: 4 })).toBe('accepted');
  });

  it('a contract number 08123456 on an RFID token reaches the table and a verbatim reader finds it', () => {
    const tokens = [ocpiToken(BLK, '08123456', { contract_id: '08123456' }), ocpiToken(BLK, '08A2B3C4')];
    const { image, report } = compileTable({ listVersion: 1, createdAt: 0, partners: [{ ...BLK, tokens }] }, nodeCrypto);
    expect(report.accepted).toBe(1);
    expect(report.invalid.map((i) => [i.index, i.uid, i.reason])).toEqual([[1, '08A2B3C4', 'RANDOM_UID']]);
    expect(report.invalid[0].detail).toMatch(/random/);
    const table = new TokenTable(image);
    const tapped = normalizeUid(ascii('08123456'), { input: 'decimal', verbatim: true });
    expect(table.lookup(tapped)?.partner.partyId).toBe('BLK');
    expect(table.lookup('08A2B3C4')).toBeUndefined();
  });

  it('the backend compiles and diffs with the site\'s readers: a card number 08… is kept for verbatim readers, dropped for chip readers', () => {
    const card = ocpiToken(BLK, '08A2B3C4') as unknown as OcpiToken; // the printed number, on neither visual_number nor contract_id
    const verbatim: ReaderConfig = { input: 'hex', verbatim: true };
    const partners = (tokens: unknown[]) => [{ ...BLK, tokens }];
    const keptBy = (reader?: ReaderConfig) => compileTable({ listVersion: 1, createdAt: 0, partners: partners([card]), reader }, nodeCrypto).report;
    expect(keptBy(verbatim)).toMatchObject({ accepted: 1, invalid: [] });
    expect(keptBy().invalid.map((i) => i.reason)).toEqual(['RANDOM_UID']);
    expect(keptBy({ input: 'bytes' }).invalid.map((i) => i.reason)).toEqual(['RANDOM_UID']);
    const diffOf = (reader?: ReaderConfig) => compileDiff({ from: 1, to: 2, createdAt: 0, add: [card], reader });
    expect(diffOf(verbatim).report.invalid).toEqual([]);
    expect(diffOf().report.invalid.map((i) => i.reason)).toEqual(['RANDOM_UID']);

    // SiteList passes its readers to both: the image holds the card, and so does the differential that adds it.
    const signer = new NodeSigner();
    const site = new SiteList(signer, nodeCrypto, () => 0, ocpiDiffBuilder(), 3, verbatim);
    const other = ocpiToken(BLK, '04A2B3C4D5E680') as unknown as OcpiToken;
    site.publish([{ ...BLK, tokens: [other] }]);
    const v2 = site.publish([{ ...BLK, tokens: [other, card] }]);
    expect(v2.report).toMatchObject({ accepted: 2, invalid: [] });
    const tapped = normalizeUid(ascii('08a2b3c4'), verbatim);
    expect(new TokenTable(v2.bytes).lookup(tapped)?.partner.partyId).toBe('BLK');
    expect(openDiff(site.diffFrom(1)!, nodeCrypto, signer.publicKey).add.map((t) => t.uid)).toEqual([tapped]);
    // The same site with chip readers drops it from both.
    const chip = new SiteList(signer, nodeCrypto, () => 0, ocpiDiffBuilder());
    chip.publish([{ ...BLK, tokens: [other] }]);
    expect(chip.publish([{ ...BLK, tokens: [other, card] }]).report.invalid.map((i) => i.reason)).toEqual(['RANDOM_UID']);
    expect(openDiff(chip.diffFrom(1)!, nodeCrypto, signer.publicKey).add).toEqual([]);
  });
});
