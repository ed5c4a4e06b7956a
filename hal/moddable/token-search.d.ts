import type { TokenSearch } from '../token-search.js';

/** The native search of hal/moddable/token-search.c. */
declare const search: TokenSearch;
export default search;
