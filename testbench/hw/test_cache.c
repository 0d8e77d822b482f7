/* Unit tests of hw/cache.c: where an access is found and what it costs. */
#include "check.h"
#include "hw/cache.h"

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

int main(void)
{
	RUN(levels_fill_and_evict);
	RUN(absent_levels_are_skipped);
	return check_report();
}
