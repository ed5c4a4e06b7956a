// Stands in for hal/moddable/token-search.js, whose `@ "xs_roam_token_search"`
// host function only mcconfig links. The xsnap worker carries the same C file
// (host-sim/xs/build-xsnap.mjs) as the global roamTokenSearch: the fakes run
// the device's search, not a copy of it.
import type { TokenSearch } from '../../hal/token-search.js';

declare const roamTokenSearch: TokenSearch | undefined;

const search: TokenSearch = (image, plan, uid) => {
  if (typeof roamTokenSearch !== 'function') throw new Error('this XS engine has no roamTokenSearch: rebuild it with host-sim/xs/build-xsnap.mjs');
  return roamTokenSearch(image, plan, uid);
};
export default search;
