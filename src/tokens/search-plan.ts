import { F_GROUPED, GROUPED_DIRECTORY_FROM } from './format.js';
import type { TableHeader } from './table.js';

// The search plan: what a native search (hal/token-search.ts) needs of an image,
// worked out and checked once at open by readHeader, in u32 words (little-endian),
// then one byte per palette tuple (1: grouped). Offsets are absolute in the image.
// hal/moddable/token-search.c reads the same layout: change both together.
export const PLAN = {
  textCount: 0, textIndex: 1, textData: 2, textEnd: 3, attrBits: 4, tuples: 5, groupedDirectoryFrom: 6,
  /** Key sections (4-, 7-, 10-byte uids) from this word, KEY_WORDS each. */
  keys: 8,
} as const;
/** Per key section: entries, grouped entries, prefix (hex digits, low and high 32 bits), directory bits, remainder bits, entry bits, directory, grouped directory, first entry (bit), group pairs. */
export const KEY = { count: 0, grouped: 1, prefixHex: 2, prefixLo: 3, prefixHi: 4, dirBits: 5, rest: 6, width: 7, dir: 8, groupDir: 9, bits: 10, groups: 11 } as const;
export const KEY_WORDS = 12;
const WORDS = PLAN.keys + 3 * KEY_WORDS;

export interface PlannedKeySection {
  count: number;
  grouped: number;
  prefixHex: number;
  prefix: number;
  dirBits: number;
  rest: number;
  width: number;
  /** Absolute: the directory (past the prefix word), the grouped directory, the first entry (bits), the group pairs. */
  dir: number;
  groupDir: number;
  bits: number;
  groups: number;
}

/** The plan of an image whose header `h` readHeader checked; `keys` as TokenTable worked them out, `textEnd` absolute. */
export function searchPlan(h: TableHeader, body: number, keys: PlannedKeySection[], textEnd: number): Uint8Array {
  const tuples = h.palette.length / 3;
  const plan = new Uint8Array(4 * WORDS + tuples);
  const words = new DataView(plan.buffer);
  const put = (i: number, v: number) => words.setUint32(4 * i, v, true);
  const text = h.sections[3];
  put(PLAN.textCount, text.count);
  put(PLAN.textIndex, body + text.indexOffset);
  put(PLAN.textData, body + text.dataOffset);
  put(PLAN.textEnd, textEnd);
  put(PLAN.attrBits, h.attrBits);
  put(PLAN.tuples, tuples);
  put(PLAN.groupedDirectoryFrom, GROUPED_DIRECTORY_FROM);
  keys.forEach((k, s) => {
    const at = PLAN.keys + s * KEY_WORDS;
    // A prefix no uid can have (a damaged directory word) matches nothing: as for the portable search, whose parse never equals it.
    const matchable = k.prefixHex === 0 || (Number.isInteger(k.prefix) && k.prefix >= 0 && k.prefix < Math.pow(16, k.prefixHex));
    put(at + KEY.count, matchable ? k.count : 0);
    put(at + KEY.grouped, k.grouped);
    put(at + KEY.prefixHex, k.prefixHex);
    put(at + KEY.prefixLo, k.prefix % 0x100000000);
    put(at + KEY.prefixHi, Math.floor(k.prefix / 0x100000000));
    put(at + KEY.dirBits, k.dirBits);
    put(at + KEY.rest, k.rest);
    put(at + KEY.width, k.width);
    put(at + KEY.dir, k.dir);
    put(at + KEY.groupDir, k.groupDir);
    put(at + KEY.bits, k.bits);
    put(at + KEY.groups, k.groups);
  });
  for (let t = 0; t < tuples; t++) plan[4 * WORDS + t] = h.palette[3 * t + 2] & F_GROUPED ? 1 : 0;
  return plan;
}

/** A search's answer for a token held: its palette tuple and group (NO_GROUP for none). */
export const TUPLE_SCALE = 0x1000000;
/** The native search did not decide: the portable search answers. */
export const UNDECIDED = -2;
