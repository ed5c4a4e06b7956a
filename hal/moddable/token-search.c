/*
 * roam: the token table's search in C, what a tap costs most in JavaScript
 * (hal/token-search.ts says what it answers; src/tokens/table.ts is the same
 * search in JavaScript, src/tokens/search-plan.ts the plan's layout).
 *
 * Why C: a bisection over bit fields costs ~40 XS bytecodes a step in
 * JavaScript, a few machine instructions here, as Moddable's own modules keep
 * their hot paths native. It reads only the image and the plan, each read
 * checked against their lengths (a damaged image answers "none", never a read
 * past it), and allocates nothing.
 *
 * Built into the firmware by mcconfig (hal/moddable/manifest.json) and into
 * roam's host XS engine (host-sim/xs/build-xsnap.mjs, with ROAM_XS_METER: one
 * meter unit per probe of the search, as XS's RegExp matcher counts one per
 * step).
 */
#include "xsmc.h"
#include <stdint.h>

#ifdef ROAM_XS_METER
extern void roamMeter(xsMachine* the, uint32_t count);
#define ROAM_METER(count) roamMeter(the, count)
#else
#define ROAM_METER(count)
#endif

#define ROAM_MISS (-1)
#define ROAM_UNDECIDED (-2)
#define ROAM_NO_GROUP 0xFFFFFF
#define ROAM_TUPLE_SCALE 16777216.0
#define ROAM_PAIR_BYTES 7

/* Plan words (src/tokens/search-plan.ts, PLAN and KEY). */
enum { P_TEXT_COUNT, P_TEXT_INDEX, P_TEXT_DATA, P_TEXT_END, P_ATTR_BITS, P_TUPLES, P_GROUPED_DIRECTORY_FROM, P_KEYS = 8 };
enum { K_COUNT, K_GROUPED, K_PREFIX_HEX, K_PREFIX_LO, K_PREFIX_HI, K_DIR_BITS, K_REST, K_WIDTH, K_DIR, K_GROUP_DIR, K_BITS, K_GROUPS, K_KEY_WORDS };
#define P_PLAN_WORDS (P_KEYS + 3 * K_KEY_WORDS)

typedef struct {
	const uint8_t *image;
	uint32_t length;
	const uint8_t *plan;
	const uint8_t *flags; /* per palette tuple: 1 if grouped */
	uint32_t tuples;
	const char *uid;
	uint32_t uidLength;
	uint32_t probes;
} RoamSearch;

static uint32_t roamLE32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint32_t planWord(const uint8_t *plan, int i)
{
	return roamLE32(plan + 4 * i);
}

/* u32 little-endian in the image at `at`; 0 if it is not all inside. */
static int imageWord(const RoamSearch *s, uint64_t at, uint32_t *out)
{
	if (at + 4 > s->length) return 0;
	*out = roamLE32(s->image + at);
	return 1;
}

/* `width` (1..32) bits at bit `pos`, most significant first: how keys and attributes are stored. */
static int imageField(const RoamSearch *s, uint64_t pos, uint32_t width, uint32_t *out)
{
	uint64_t first = pos >> 3, last = (pos + width - 1) >> 3, x = 0, i;
	if (last >= s->length) return 0;
	for (i = first; i <= last; i++) x = (x << 8) | s->image[i];
	x >>= (last - first + 1) * 8 - (pos & 7) - width;
	*out = (uint32_t)(x & (width == 32 ? 0xFFFFFFFFu : ((1u << width) - 1)));
	return 1;
}

/* The value of `count` (≤ 16) upper-case hex digits of the uid from `at` (checked hex by the caller). */
static uint64_t uidHex(const RoamSearch *s, uint32_t at, uint32_t count)
{
	uint64_t v = 0;
	for (uint32_t i = at; i < at + count; i++) {
		char c = s->uid[i];
		v = (v << 4) | (uint64_t)(c <= '9' ? c - '0' : c - 'A' + 10);
	}
	return v;
}

/* The group of grouped entry `entry` of `bucket`: its (entry, group) pair, bisected. */
static uint32_t groupOfEntry(RoamSearch *s, const uint8_t *k, uint32_t entry, uint32_t bucket)
{
	uint32_t grouped = planWord(k, K_GROUPED), a, b;
	int64_t low = 0, high = (int64_t)grouped - 1;
	if (grouped > planWord(s->plan, P_GROUPED_DIRECTORY_FROM)) {
		uint64_t at = (uint64_t)planWord(k, K_GROUP_DIR) + 4 * (uint64_t)bucket;
		if (!imageWord(s, at, &a) || !imageWord(s, at + 4, &b)) return ROAM_NO_GROUP;
		low = a;
		high = (int64_t)b - 1;
		if (high >= (int64_t)grouped) return ROAM_NO_GROUP;
	}
	while (low <= high) {
		int64_t mid = (low + high) >> 1;
		uint64_t at = (uint64_t)planWord(k, K_GROUPS) + ROAM_PAIR_BYTES * (uint64_t)mid;
		uint32_t e;
		s->probes++;
		if (!imageWord(s, at, &e) || at + ROAM_PAIR_BYTES > s->length) return ROAM_NO_GROUP;
		if (e == entry) return roamLE32(s->image + at + 3) >> 8;
		if (e < entry) low = mid + 1;
		else high = mid - 1;
	}
	return ROAM_NO_GROUP;
}

/* A hex uid of 4, 7 or 10 bytes in its key section: prefix, directory, then a bisection of one bucket. */
static double findInKeys(RoamSearch *s, int section)
{
	const uint8_t *k = s->plan + 4 * (P_KEYS + section * K_KEY_WORDS);
	uint32_t count = planWord(k, K_COUNT), prefixHex = planWord(k, K_PREFIX_HEX), dirHex = planWord(k, K_DIR_BITS) / 4;
	uint32_t rest = planWord(k, K_REST), width = planWord(k, K_WIDTH), attrBits = planWord(s->plan, P_ATTR_BITS), bucket, a, b;
	uint64_t dir, bits = planWord(k, K_BITS);
	int64_t low, high;
	if (prefixHex > 0 && uidHex(s, 0, prefixHex) != (((uint64_t)planWord(k, K_PREFIX_HI) << 32) | planWord(k, K_PREFIX_LO))) return ROAM_MISS;
	bucket = dirHex ? (uint32_t)uidHex(s, prefixHex, dirHex) : 0;
	dir = (uint64_t)planWord(k, K_DIR) + 4 * (uint64_t)bucket;
	if (!imageWord(s, dir, &a) || !imageWord(s, dir + 4, &b)) return ROAM_MISS;
	low = a;
	high = (int64_t)b - 1;
	if (high >= (int64_t)count) return ROAM_MISS; /* damaged directory */
	while (low <= high) {
		int64_t mid = (low + high) >> 1;
		uint64_t pos = bits + (uint64_t)mid * width;
		uint32_t off, at = prefixHex + dirHex, tuple = 0;
		int c = 0;
		s->probes++;
		/* The remainder against the uid's digits past prefix and directory, 32 bits at a time. */
		for (off = 0; off < rest && c == 0; off += 32) {
			uint32_t w = rest - off < 32 ? rest - off : 32, e;
			uint64_t u;
			if (!imageField(s, pos + off, w, &e)) return ROAM_MISS;
			u = uidHex(s, at + off / 4, w / 4);
			c = e < u ? -1 : e > u ? 1 : 0;
		}
		if (c < 0) { low = mid + 1; continue; }
		if (c > 0) { high = mid - 1; continue; }
		if (attrBits > 0 && !imageField(s, pos + rest, attrBits, &tuple)) return ROAM_MISS;
		if (tuple >= s->tuples) return ROAM_MISS; /* no such palette tuple */
		return tuple * ROAM_TUPLE_SCALE + (s->flags[tuple] ? groupOfEntry(s, k, (uint32_t)mid, bucket) : ROAM_NO_GROUP);
	}
	return ROAM_MISS;
}

/* Any other uid among the text entries: a bisection by byte order (ASCII: the order of JavaScript's strings). */
static double findInText(RoamSearch *s)
{
	const uint8_t *p = s->plan;
	uint64_t index = planWord(p, P_TEXT_INDEX), data = planWord(p, P_TEXT_DATA), end = planWord(p, P_TEXT_END);
	int64_t low = 0, high = (int64_t)planWord(p, P_TEXT_COUNT) - 1;
	if (end > s->length) return ROAM_MISS;
	while (low <= high) {
		int64_t mid = (low + high) >> 1;
		uint32_t off, len, i;
		uint64_t at;
		int c = 0;
		s->probes++;
		if (!imageWord(s, index + 4 * (uint64_t)mid, &off)) return ROAM_MISS;
		at = data + off;
		if (at >= end || at + 6 + s->image[at] > end) return ROAM_MISS; /* damaged offset or length */
		len = s->image[at];
		for (i = 0; i < len && i < s->uidLength && c == 0; i++) {
			uint8_t e = s->image[at + 1 + i], u = (uint8_t)s->uid[i];
			c = e < u ? -1 : e > u ? 1 : 0;
		}
		if (c == 0) c = len < s->uidLength ? -1 : len > s->uidLength ? 1 : 0;
		if (c == 0) {
			const uint8_t *t = s->image + at + 1 + len;
			return (t[0] | (t[1] << 8)) * ROAM_TUPLE_SCALE + (t[2] | (t[3] << 8) | (t[4] << 16));
		}
		if (c < 0) low = mid + 1;
		else high = mid - 1;
	}
	return ROAM_MISS;
}

/* search(image, plan, uid): hal/token-search.ts */
void xs_roam_token_search(xsMachine *the)
{
	RoamSearch s;
	void *image, *plan;
	xsUnsignedValue imageLength, planLength;
	uint32_t i, hexDigits = 0;
	double found;
	s.uid = xsmcToString(xsArg(2));
	xsmcGetBufferReadable(xsArg(0), &image, &imageLength);
	xsmcGetBufferReadable(xsArg(1), &plan, &planLength);
	s.image = image;
	s.length = imageLength;
	s.plan = plan;
	if (planLength < 4 * P_PLAN_WORDS) xsRangeError("token search: plan of %u bytes", (unsigned)planLength);
	s.tuples = planWord(s.plan, P_TUPLES);
	if (planLength < 4 * P_PLAN_WORDS + s.tuples) xsRangeError("token search: plan of %u bytes for %u tuples", (unsigned)planLength, (unsigned)s.tuples);
	s.flags = s.plan + 4 * P_PLAN_WORDS;
	s.probes = 0;
	for (i = 0; s.uid[i]; i++) {
		char c = s.uid[i];
		if (c & 0x80) {
			/* Past ASCII: the portable search compares it as JavaScript orders strings. */
			xsmcSetInteger(xsResult, ROAM_UNDECIDED);
			return;
		}
		if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')) hexDigits++;
	}
	s.uidLength = i;
	if (hexDigits == i && (i == 8 || i == 14 || i == 20)) found = findInKeys(&s, i == 8 ? 0 : i == 14 ? 1 : 2);
	else found = findInText(&s);
	ROAM_METER(s.probes);
	xsmcSetNumber(xsResult, found);
}
