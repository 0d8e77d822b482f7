/* Unit tests of hw/cache.c: where an access is found and what it costs. */
#include "check.h"
#include "hw/cache.h"

#include <stdlib.h>

/* 2 sets x 2 ways of 64-byte lines at every level, latencies 4/12/42,
 * DRAM 250: a cold line costs 250, then 4; evicted from L1 it costs 12. */
static void levels_fill_and_evict(void)
{
	cache_level l1, l2, llc;
	cache_init(&l1, 256, 2, 4, 1ull << 30);
	cache_init(&l2, 1024, 2, 12, 1ull << 30);
	cache_init(&llc, 4096, 2, 42, 1ull << 30);
	cache_path p = { &l1, &l2, &llc, 250 };
	enum mem_source src;
	CHECK_EQ(cache_access(&p, 0x0, &src), 250);
	CHECK_EQ(src, SRC_DRAM);
	CHECK_EQ(cache_access(&p, 0x3f, &src), 4);   /* same line */
	CHECK_EQ(src, SRC_L1D);
	/* lines 0, 2, 4 map to L1 set 0 (2 sets): the third evicts line 0 */
	cache_access(&p, 2 * 64, &src);
	cache_access(&p, 4 * 64, &src);
	CHECK_EQ(cache_access(&p, 0, &src), 12);
	CHECK_EQ(src, SRC_L2);
	cache_free(&l1);
	cache_free(&l2);
	cache_free(&llc);
}

static void absent_levels_are_skipped(void)
{
	cache_level none, llc;
	cache_init(&none, 0, 0, 4, 1ull << 30);
	cache_init(&llc, 4096, 4, 42, 1ull << 30);
	cache_path p = { &none, &none, &llc, 250 };
	enum mem_source src;
	CHECK_EQ(cache_access(&p, 0x1000, &src), 250);
	CHECK_EQ(cache_access(&p, 0x1000, &src), 42);
	CHECK_EQ(src, SRC_LLC);
	cache_free(&llc);
}

/* The reference: each set a list of lines, most recent first, of at most
 * `ways` entries; a miss inserts at the front and drops the last. */
typedef struct ref_cache {
	unsigned sets, ways;
	uint64_t *line;      /* sets * ways, slot 0 most recent */
	unsigned *used;
} ref_cache;

static int ref_probe(ref_cache *r, uint64_t line)
{
	unsigned set = (unsigned)(line % r->sets), n = r->used[set];
	uint64_t *row = &r->line[(size_t)set * r->ways];
	unsigned at = n;
	for (unsigned i = 0; i < n; i++)
		if (row[i] == line)
			at = i;
	int hit = at < n;
	if (!hit)
		at = n < r->ways ? r->used[set]++ : r->ways - 1;
	for (unsigned i = at; i > 0; i--)
		row[i] = row[i - 1];
	row[0] = line;
	return hit;
}

/* Every width from 1 to 20 ways (the SSE2 rows up to 16, padded when not a
 * multiple of 4, the AVX2 rows of 8 and 16 slots and of 16-bit tags where
 * the host has AVX2, and the scalar loop above; once with AVX2 allowed,
 * once without; tags of 32 and of 16 bits), power-of-two and odd set
 * counts: 200000 accesses over a working set about twice the cache give
 * the same hit or miss at every access as the list model. */
static void lru_matches_reference(void)
{
	for (int wide = 1; wide >= 0; wide--) {
	cache_allow_avx2(wide);
	for (int small = 0; small <= 1; small++) {
	for (unsigned ways = 1; ways <= 20; ways++) {
		for (unsigned sets = 3; sets <= 4; sets++) {
			cache_level c;
			/* small: tags fit 16 bits (AVX2 hosts then keep 16-bit rows);
			 * the lines sit at the top of memory, tags above 32767 */
			uint64_t max_pa = small ? 65000ull * sets * 64 : 1ull << 30;
			uint64_t base = small ? 65000ull * sets - 2ull * sets * ways - 2 : 0;
			CHECK_EQ(cache_init(&c, (uint64_t)sets * ways * 64, ways, 4, max_pa), 0);
			ref_cache r = { sets, ways, calloc((size_t)sets * ways, sizeof(uint64_t)),
			                calloc(sets, sizeof(unsigned)) };
			cache_level none;
			cache_init(&none, 0, 0, 0, 1ull << 30);
			cache_path p = { &c, &none, &none, 250 };
			uint64_t x = 88172645463325252ull, span = 2ull * sets * ways + 1;
			unsigned mismatches = 0, hits = 0;
			for (int i = 0; i < 200000; i++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;   /* xorshift64 */
				uint64_t line = base + x % span;
				enum mem_source src;
				int got = cache_access(&p, line * 64 + (x >> 58), &src) == 4;
				int want = ref_probe(&r, line);
				mismatches += got != want;
				hits += want;
			}
			CHECK_EQ(mismatches, 0);
			CHECK(hits > 10000 && hits < 190000);   /* both outcomes exercised */
			free(r.line);
			free(r.used);
			cache_free(&c);
		}
	}
	}
	}
	cache_allow_avx2(true);
}

int main(void)
{
	RUN(levels_fill_and_evict);
	RUN(absent_levels_are_skipped);
	RUN(lru_matches_reference);
	return check_report();
}
