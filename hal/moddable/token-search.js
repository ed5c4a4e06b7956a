// The token table's search in C (token-search.c): hal/token-search.ts says what it answers.
// JavaScript, not TypeScript: a host function is declared with XS's `@` syntax.
function search(image, plan, uid) @ "xs_roam_token_search";

export default search;
