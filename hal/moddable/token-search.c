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
#define METER(count) roamMeter(the, count)
#else
#define METER(count)
#endif

#define MISS (-1)
#define UNDECIDED (-2)
#define NO_GROUP 0xFFFFFF
#define TUPLE_SCALE 16777216.0
#define PAIR_BYTES 7

/* Plan words (src/tokens/search-plan.ts, PLAN and KEY). */
enum { TEXT_COUNT, TEXT_INDEX, TEXT_DATA, TEXT_END, ATTR_BITS, TUPLES, GROUPED_DIRECTORY_FROM, KEYS = 8 };
enum { COUNT, GROUPED, PREFIX_HEX, PREFIX_LO, PREFIX_HI, DIR_BITS, REST, WIDTH, DIR, GROUP_DIR, BITS, GROUPS, KEY_WORDS };
#define PLAN_WORDS (KEYS + 3 * KEY_WORDS)

typedef struct {
	const uint8_t *image;
	uint32_t length;
	const uint8_t *plan;
	const uint8_t *flags; /* per palette tuple: 1 if grouped */
	uint32_t tuples;
	const char *uid;
	uint32_t uidLength;
	uint32_t probes;
} Search;

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint32_t word(const uint8_t *plan, int i)
{
	return le32(plan + 4 * i);
}

/* u32 little-endian in the image at `at`; 0 if it is not all inside. */
static int image32(const Search *s, uint64_t at, uint32_t *out)
{
	if (at + 4 > s->length) return 0;
	*out = le32(s->image + at);
	return 1;
}

/* `width` (1..32) bits at bit `pos`, most significant first: how keys and attributes are stored. */
static int field(const Search *s, uint64_t pos, uint32_t width, uint32_t *out)
{
	uint64_t first = pos >> 3, last = (pos + width - 1) >> 3, x = 0, i;
	if (last >= s->length) return 0;
	for (i = first; i <= last; i++) x = (x << 8) | s->image[i];
	x >>= (last - first + 1) * 8 - (pos & 7) - width;
	*out = (uint32_t)(x & (width == 32 ? 0xFFFFFFFFu : ((1u << width) - 1)));
	return 1;
}

/* The value of `count` (≤ 16) upper-case hex digits of the uid from `at` (checked hex by the caller). */
static uint64_t hex(const Search *s, uint32_t at, uint32_t count)
{
	uint64_t v = 0;
	for (uint32_t i = at; i < at + count; i++) {
		char c = s->uid[i];
		v = (v << 4) | (uint64_t)(c <= '9' ? c - '0' : c - 'A' + 10);
	}
	return v;
}

/* The group of grouped entry `entry` of `bucket`: its (entry, group) pair, bisected. */
static uint32_t groupOf(Search *s, const uint8_t *k, uint32_t entry, uint32_t bucket)
{
	uint32_t grouped = word(k, GROUPED), a, b;
	int64_t low = 0, high = (int64_t)grouped - 1;
	if (grouped > word(s->plan, GROUPED_DIRECTORY_FROM)) {
		uint64_t at = (uint64_t)word(k, GROUP_DIR) + 4 * (uint64_t)bucket;
		if (!image32(s, at, &a) || !image32(s, at + 4, &b)) return NO_GROUP;
		low = a;
		high = (int64_t)b - 1;
		if (high >= (int64_t)grouped) return NO_GROUP;
	}
	while (low <= high) {
		int64_t mid = (low + high) >> 1;
		uint64_t at = (uint64_t)word(k, GROUPS) + PAIR_BYTES * (uint64_t)mid;
		uint32_t e;
		s->probes++;
		if (!image32(s, at, &e) || at + PAIR_BYTES > s->length) return NO_GROUP;
		if (e == entry) return le32(s->image + at + 3) >> 8;
		if (e < entry) low = mid + 1;
		else high = mid - 1;
	}
	return NO_GROUP;
}

/* A hex uid of 4, 7 or 10 bytes in its key section: prefix, directory, then a bisection of one bucket. */
static double findKey(Search *s, int section)
{
	const uint8_t *k = s->plan + 4 * (KEYS + section * KEY_WORDS);
	uint32_t count = word(k, COUNT), prefixHex = word(k, PREFIX_HEX), dirHex = word(k, DIR_BITS) / 4;
	uint32_t rest = word(k, REST), width = word(k, WIDTH), attrBits = word(s->plan, ATTR_BITS), bucket, a, b;
	uint64_t dir, bits = word(k, BITS);
	int64_t low, high;
	if (prefixHex > 0 && hex(s, 0, prefixHex) != (((uint64_t)word(k, PREFIX_HI) << 32) | word(k, PREFIX_LO))) return MISS;
	bucket = dirHex ? (uint32_t)hex(s, prefixHex, dirHex) : 0;
	dir = (uint64_t)word(k, DIR) + 4 * (uint64_t)bucket;
	if (!image32(s, dir, &a) || !image32(s, dir + 4, &b)) return MISS;
	low = a;
	high = (int64_t)b - 1;
	if (high >= (int64_t)count) return MISS; /* damaged directory */
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
			if (!field(s, pos + off, w, &e)) return MISS;
			u = hex(s, at + off / 4, w / 4);
			c = e < u ? -1 : e > u ? 1 : 0;
		}
		if (c < 0) { low = mid + 1; continue; }
		if (c > 0) { high = mid - 1; continue; }
		if (attrBits > 0 && !field(s, pos + rest, attrBits, &tuple)) return MISS;
		if (tuple >= s->tuples) return MISS; /* no such palette tuple */
		return tuple * TUPLE_SCALE + (s->flags[tuple] ? groupOf(s, k, (uint32_t)mid, bucket) : NO_GROUP);
	}
	return MISS;
}

/* Any other uid among the text entries: a bisection by byte order (ASCII: the order of JavaScript's strings). */
static double findText(Search *s)
{
	const uint8_t *p = s->plan;
	uint64_t index = word(p, TEXT_INDEX), data = word(p, TEXT_DATA), end = word(p, TEXT_END);
	int64_t low = 0, high = (int64_t)word(p, TEXT_COUNT) - 1;
	if (end > s->length) return MISS;
	while (low <= high) {
		int64_t mid = (low + high) >> 1;
		uint32_t off, len, i;
		uint64_t at;
		int c = 0;
		s->probes++;
		if (!image32(s, index + 4 * (uint64_t)mid, &off)) return MISS;
		at = data + off;
		if (at >= end || at + 6 + s->image[at] > end) return MISS; /* damaged offset or length */
		len = s->image[at];
		for (i = 0; i < len && i < s->uidLength && c == 0; i++) {
			uint8_t e = s->image[at + 1 + i], u = (uint8_t)s->uid[i];
			c = e < u ? -1 : e > u ? 1 : 0;
		}
		if (c == 0) c = len < s->uidLength ? -1 : len > s->uidLength ? 1 : 0;
		if (c == 0) {
			const uint8_t *t = s->image + at + 1 + len;
			return (t[0] | (t[1] << 8)) * TUPLE_SCALE + (t[2] | (t[3] << 8) | (t[4] << 16));
		}
		if (c < 0) low = mid + 1;
		else high = mid - 1;
	}
	return MISS;
}

/* search(image, plan, uid): hal/token-search.ts */
void xs_roam_token_search(xsMachine *the)
{
	Search s;
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
	if (planLength < 4 * PLAN_WORDS) xsRangeError("token search: plan of %u bytes", (unsigned)planLength);
	s.tuples = word(s.plan, TUPLES);
	if (planLength < 4 * PLAN_WORDS + s.tuples) xsRangeError("token search: plan of %u bytes for %u tuples", (unsigned)planLength, (unsigned)s.tuples);
	s.flags = s.plan + 4 * PLAN_WORDS;
	s.probes = 0;
	for (i = 0; s.uid[i]; i++) {
		char c = s.uid[i];
		if (c & 0x80) {
			/* Past ASCII: the portable search compares it as JavaScript orders strings. */
			xsmcSetInteger(xsResult, UNDECIDED);
			return;
		}
		if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')) hexDigits++;
	}
	s.uidLength = i;
	if (hexDigits == i && (i == 8 || i == 14 || i == 20)) found = findKey(&s, i == 8 ? 0 : i == 14 ? 1 : 2);
	else found = findText(&s);
	METER(s.probes);
	xsmcSetNumber(xsResult, found);
}
