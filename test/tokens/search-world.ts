// The native token search against the portable one, on the same bytes: tables
// of every shape the compiler makes (each uid kind, common prefixes, directory
// bits, few and many grouped entries, text uids), intact and damaged, and uids
// that hit, nearly hit and miss. Portable (no Node imports): it runs inside XS,
// roam's host engine or mcsim, where the native search is (npm test, npm run
// fuzz, npm run test:device).
import type { Crypto } from '../../hal/crypto.js';
import type { TokenSearch } from '../../hal/token-search.js';
import { SeededRandom } from '../../host-sim/hal/seeded-random.js';
import { compileTable, type PartnerTokens } from '../../src/tokens/compile.js';
import { TokenTable } from '../../src/tokens/table.js';
import type { TokenEntry } from '../../src/tokens/types.js';
import { partnerLists, randomHex, randomUid } from './fixtures.js';

export interface SearchReport {
  cases: number;
  /** Images both tables opened, and images the header check refused (both alike). */
  opened: number;
  refused: number;
  largestImage: number;
  lookups: number;
  hits: number;
  /** Lookups the native search left to the portable one (a uid past ASCII). */
  undecided: number;
  failure?: string;
}

const HEX = '0123456789ABCDEF';

/** Lists of one shape: a seed picks the size, the grouped share and whether uids of a kind share a prefix (as NXP's 7-byte UIDs start 04). */
function shapedLists(r: SeededRandom): PartnerTokens[] {
  const count = 1 + r.below(r.below(4) === 0 ? 1500 : 200);
  const lists = partnerLists(r.next(), count, { groupedPerMille: [0, 30, 300, 1000][r.below(4)] });
  const prefix = r.below(3) === 0 ? randomHex(r, 1 + r.below(4)) : '';
  for (const l of lists) {
    for (const t of l.tokens as Array<{ uid: string }>) {
      const k = r.below(10);
      if (k === 0) t.uid = `CARD-${r.below(100000)}`; // text
      else if (k === 1) t.uid = t.uid.toLowerCase(); // stored upper-case
      else if (prefix && t.uid.length >= 8 && /^[0-9A-F]+$/.test(t.uid) && [8, 14, 20].includes(t.uid.length)) t.uid = prefix + t.uid.slice(prefix.length);
    }
  }
  return lists;
}

/** A damaged copy: a few bits or bytes changed anywhere past the magic (header included: the header check must refuse or bound it). */
function damaged(r: SeededRandom, image: Uint8Array): Uint8Array {
  const out = image.slice();
  const edits = 1 + r.below(4);
  for (let i = 0; i < edits; i++) {
    const at = 8 + r.below(out.length - 8);
    if (r.below(2) === 0) out[at] ^= 1 << r.below(8);
    else out[at] = r.below(256);
  }
  return out;
}

/** A uid one step from `uid`: a digit changed, a digit more or less, or the same. */
function near(r: SeededRandom, uid: string): string {
  const i = r.below(uid.length || 1);
  switch (r.below(4)) {
    case 0: return uid.slice(0, i) + HEX[r.below(16)] + uid.slice(i + 1);
    case 1: return uid + HEX[r.below(16)];
    case 2: return uid.slice(0, -1);
    default: return uid;
  }
}

const shown = (e: TokenEntry | undefined | 'throws') => (e === 'throws' ? e : JSON.stringify(e));

/**
 * `cases` images from case `first` (a new shape every 16 cases, three in four damaged), ~60 lookups each:
 * the native search and the portable one must give the same entry, byte for byte
 * (where the portable one would throw on a damaged image, the native answers none).
 */
export function compareSearches(search: TokenSearch, crypto: Crypto, seed: number, cases: number, first = 0): SearchReport {
  const report: SearchReport = { cases: 0, opened: 0, refused: 0, largestImage: 0, lookups: 0, hits: 0, undecided: 0 };
  const counting: TokenSearch = (image, plan, uid) => {
    const v = search(image, plan, uid);
    if (v === -2) report.undecided++;
    return v;
  };
  let image: Uint8Array = new Uint8Array(0);
  let uids: string[] = [];
  for (let c = first; c < first + cases; c++) {
    const r = new SeededRandom((seed ^ Math.imul(c + 1, 0x9e3779b1)) >>> 0);
    if (c % 16 === 0 || c === first) {
      // A shape depends on its first case only: a run from any case repeats that case of a run from 0.
      const lists = shapedLists(new SeededRandom((seed ^ Math.imul(c - (c % 16) + 1, 0x85ebca6b)) >>> 0));
      image = compileTable({ listVersion: 1, createdAt: 0, partners: lists }, crypto).image;
      uids = [];
      for (const l of lists) for (const t of l.tokens as Array<{ uid: string }>) uids.push(t.uid.toUpperCase());
    }
    const bytes = r.below(4) === 0 ? image : damaged(r, image);
    report.cases++;
    let native: TokenTable, portable: TokenTable;
    try {
      portable = new TokenTable(bytes);
    } catch {
      report.refused++;
      continue;
    }
    native = new TokenTable(bytes, counting);
    report.opened++;
    report.largestImage = Math.max(report.largestImage, bytes.length);
    const ask: string[] = [];
    for (let i = 0; i < 40 && uids.length > 0; i++) ask.push(r.below(3) === 0 ? near(r, uids[r.below(uids.length)]) : uids[r.below(uids.length)]);
    for (let i = 0; i < 12; i++) ask.push(randomUid(r));
    ask.push('', 'CARD-', 'É' + randomHex(r, 4), randomHex(r, 4) + 'Ω', 'CARD-' + r.below(100000), '\u0000ABC');
    for (const uid of ask) {
      report.lookups++;
      let want: TokenEntry | undefined | 'throws', got: TokenEntry | undefined | 'throws';
      try { want = portable.findHere(uid); } catch { want = 'throws'; }
      try { got = native.find(uid); } catch { got = 'throws'; }
      if (want !== undefined && want !== 'throws') report.hits++;
      // A throw of the portable search on a damaged image is its own defect, not the native's: the native answers none there.
      const agree = want === 'throws' ? got === undefined || got === 'throws' : shown(want) === shown(got);
      if (!agree) {
        report.failure = `seed ${seed} case ${c} uid ${JSON.stringify(uid)}: portable ${shown(want)}, native ${shown(got)}`;
        return report;
      }
    }
  }
  return report;
}
