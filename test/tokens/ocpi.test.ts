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

describe('OCPI tokens no tap can produce (issue 14, item 6)', () => {
  const SEM = { countryCode: 'US', partyId: 'SEM', allowedUsesTable: false };
  // OCPI's own examples of uids ("100012", "012345678") are card numbers, not chip UIDs.
  const blk = ['04A2B3C4D5E680', '100012', '012345678', 'ABC-123', '11223344'].map((uid) => ocpiToken(BLK, uid));
  const sem = ['0A0B0C0D', 'CARD-9', '0A0B0C0D0E0F10'].map((uid) => ocpiToken(SEM, uid));
  const compile = (reader?: ReaderConfig) => compileTable({ listVersion: 1, createdAt: 0, partners: [{ ...BLK, tokens: blk }, { ...SEM, tokens: sem }], reader }, nodeCrypto);

  it('with the default readers (whole UIDs from the chip): per partner, how many, a few examples, why; still compiled', () => {
    const { report, image } = compile();
    expect(report.reader).toEqual({ input: 'bytes' });
    expect(report.accepted).toBe(8);
    expect(report.unreachable).toEqual([
      { countryCode: 'US', partyId: 'BLK', reason: 'NOT_A_UID', count: 3, examples: ['100012', '012345678', 'ABC-123'], why: expect.stringMatching(/not 8, 14 or 20 hex digits \(a 4, 7 or 10-byte UID\): readers that take the UID from the chip never deliver it/) },
      { countryCode: 'US', partyId: 'SEM', reason: 'NOT_A_UID', count: 1, examples: ['CARD-9'], why: expect.any(String) },
    ]);
    // Kept in the image: readers that deliver printed numbers find them.
    expect(new TokenTable(image).lookup(normalizeUid(ascii('100012'), { input: 'decimal', verbatim: true }))?.partner.partyId).toBe('BLK');
    // Every token it calls reachable is produced by some tap.
    expect(new TokenTable(image).lookup(normalizeUid(Uint8Array.of(0x04, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x80), { input: 'bytes' }))).toBeDefined();
  });

  it('against the site\'s readers: printed decimal numbers, printed hex numbers, UIDs cut to 4 bytes', () => {
    const decimal = compile({ input: 'decimal', verbatim: true }).report.unreachable;
    expect(decimal.map((u) => [u.partyId, u.reason, u.count, u.examples.join(' ')])).toEqual([
      ['BLK', 'NOT_DECIMAL', 2, '04A2B3C4D5E680 ABC-123'],
      ['SEM', 'NOT_DECIMAL', 3, '0A0B0C0D CARD-9 0A0B0C0D0E0F10'],
    ]);
    expect(decimal[0].why).toMatch(/not decimal digits/);
    const hex = compile({ input: 'hex', verbatim: true }).report.unreachable;
    expect(hex.map((u) => [u.partyId, u.reason, u.examples.join(' ')])).toEqual([['BLK', 'NOT_HEX', 'ABC-123'], ['SEM', 'NOT_HEX', 'CARD-9']]);
    const cut = compile({ input: 'bytes', truncateTo: 4 }).report.unreachable;
    expect(cut.map((u) => [u.partyId, u.reason, u.examples.join(' ')])).toEqual([
      ['BLK', 'CUT_BY_READER', '04A2B3C4D5E680'], ['BLK', 'NOT_A_UID', '100012 012345678 ABC-123'],
      ['SEM', 'NOT_A_UID', 'CARD-9'], ['SEM', 'CUT_BY_READER', '0A0B0C0D0E0F10'],
    ]);
    expect(cut[0].why).toMatch(/longer than the 4 bytes the site's readers keep/);
  });

  it('counts them all, shows at most three, and reports them in differentials too', () => {
    const many = Array.from({ length: 10 }, (_, i) => ocpiToken(BLK, `CARD-${i}`));
    const r = compileTable({ listVersion: 1, createdAt: 0, partners: [{ ...BLK, tokens: many }] }, nodeCrypto).report;
    expect(r.unreachable).toMatchObject([{ count: 10, examples: ['CARD-0', 'CARD-1', 'CARD-2'] }]);
    const d = compileDiff({ from: 1, to: 2, createdAt: 0, add: [ocpiToken(BLK, '100012')], change: [ocpiToken(BLK, '04A2B3C4D5E680')] }).report;
    expect(d.unreachable).toMatchObject([{ countryCode: 'US', partyId: 'BLK', reason: 'NOT_A_UID', count: 1, examples: ['100012'] }]);
  });

  it('the backend logs them per partner at each version it compiles', () => {
    const lines: string[] = [];
    const site = new SiteList(new NodeSigner(), nodeCrypto, () => 0, ocpiDiffBuilder(), 3, undefined, (l) => lines.push(l));
    site.publish([{ ...BLK, tokens: blk as unknown as OcpiToken[] }, { ...SEM, tokens: sem as unknown as OcpiToken[] }]);
    expect(lines[0]).toBe('list v1: 8 tokens compiled, 0 never presented (app users), 0 invalid, 4 unreachable with readers {"input":"bytes"}');
    expect(lines[1]).toMatch(/^ {2}unreachable: US-BLK: 3 tokens no tap can produce with readers \{"input":"bytes"\} \(e\.g\. 100012, 012345678, ABC-123\): not 8, 14 or 20 hex digits/);
    expect(lines[2]).toMatch(/^ {2}unreachable: US-SEM: 1 token no tap can produce .*\(e\.g\. CARD-9\)/);
    expect(lines).toHaveLength(3);
  });
});
