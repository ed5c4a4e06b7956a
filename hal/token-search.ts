// A native search of the token table (hal/moddable/token-search.c): what a tap
// costs most in JavaScript, a bisection over bit fields read in place, done in
// C where the platform has it. The portable core lays out what it already
// checked of the image (src/tokens/search-plan.ts) and builds the entry it
// answers; the search reads only inside the image and the plan.

/**
 * `image`: the table image (header and body) as a byte view, mapped flash on a
 * device. `plan`: the search plan of that image (src/tokens/search-plan.ts).
 * `uid`: canonical (upper case). Returns, for a token the table holds,
 * palette tuple × 2^24 + group index (0xffffff for none); −1 for none; −2 when
 * this search does not decide (a uid with a character past ASCII): the
 * portable search answers then.
 */
export type TokenSearch = (image: Uint8Array, plan: Uint8Array, uid: string) => number;
