/* Unit tests of hw/cache.c: where an access is found and what it costs;
 * and of hw/cache_fast.c: its probes hold to the rules of cache.c. */
#include "check.h"
#include "hw/cache.h"
#include "hw/cache_fast.h"

#include <stdlib.h>

/* 2 sets x 2 ways of 64-byte lines at every level, latencies 4/12/42,
 * DRAM 250: a cold line costs 250, then 4; evicted from L1 it costs 12. */
static void levels_fill_and_evict(void)
{
	cache_level l1, l2, llc;
	cache_init(&l1, 256, 2, 4, 1ull << 30);
	cache_init(&l2, 1024, 2, 12, 1ull << 30);
	cache_init(&llc, 4096, 2, 42, 1ull << 30);
	cache_path p = { &l1, &l2, &llc, 250, NULL };
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
	cache_path p = { &none, &none, &llc, 250, NULL };
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

/* The plain rules (cache_probe over rows of 32-bit tags), every width
 * from 1 to 20 ways, power-of-two and odd set counts: 200000 accesses
 * over a working set about twice the cache give the same hit or miss at
 * every access as the list model. */
static void lru_matches_reference(void)
{
	cache_fast_allow(CACHE_FAST_NONE);
	for (unsigned ways = 1; ways <= 20; ways++) {
		for (unsigned sets = 3; sets <= 4; sets++) {
			cache_level c;
			CHECK_EQ(cache_init(&c, (uint64_t)sets * ways * 64, ways, 4, 1ull << 30), 0);
			CHECK_EQ(c.fast, CACHE_FAST_NONE);
			ref_cache r = { sets, ways, calloc((size_t)sets * ways, sizeof(uint64_t)),
			                calloc(sets, sizeof(unsigned)) };
			cache_level none;
			cache_init(&none, 0, 0, 0, 1ull << 30);
			cache_path p = { &c, &none, &none, 250, NULL };
			uint64_t x = 88172645463325252ull, span = 2ull * sets * ways + 1;
			unsigned mismatches = 0, hits = 0;
			for (int i = 0; i < 200000; i++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;   /* xorshift64 */
				uint64_t line = x % span;
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
	cache_fast_allow(CACHE_FAST_AVX2_16);
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
	return *x;
}

/* Whether two levels hold the same lines in the same recency order. */
static int same_rows(const cache_level *a, const cache_level *b)
{
	for (unsigned set = 0; set < a->sets; set++)
		for (unsigned slot = 0; slot < a->ways; slot++)
			if (cache_tag(a, set, slot) != cache_tag(b, set, slot))
				return 0;
	return 1;
}

/* Every fast code against the plain rules (the TLB's test of the same
 * name does this for tlb_fast.c): for each code the host allows (SSE2;
 * AVX2; AVX2 with 16-bit tags), each geometry of 1, 3, 4, 5, 7 or 64 sets
 * and 1 to 32 ways (rows of up to 16 are the vectors' and padded when not
 * a multiple of four, wider rows the rules' own), tags of 16 bits (lines
 * at the top of a small memory, tags above 32767) and of 32 bits (lines
 * anywhere below 1 GiB): random accesses, mostly within about twice the
 * cache, some repeating a recent line, some anywhere, give the same hit
 * or miss at every access and the same rows after it as cache_probe on a
 * level the rules serve. */
static void fast_code_agrees_with_plain_rules(void)
{
	static const unsigned set_counts[] = { 1, 3, 4, 5, 7, 64 };
	static const enum cache_fast_code codes[] = { CACHE_FAST_SSE2, CACHE_FAST_AVX2,
	                                              CACHE_FAST_AVX2_16 };
	unsigned served[CACHE_FAST_AVX2_16 + 1] = { 0 };
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (unsigned ci = 0; ci < sizeof codes / sizeof codes[0]; ci++) {
	for (int small = 0; small <= 1; small++) {
	for (unsigned si = 0; si < sizeof set_counts / sizeof set_counts[0]; si++) {
	for (unsigned ways = 1; ways <= 32; ways++) {
		unsigned sets = set_counts[si];
		uint64_t size = (uint64_t)sets * ways * 64;
		uint64_t max_pa = small ? 65000ull * sets * 64 : 1ull << 30;
		uint64_t top = max_pa >> 6, span = 2ull * sets * ways + 1;
		uint64_t base = small ? top - span : xorshift(&x) % (top - span);
		cache_level fast, plain;
		cache_fast_allow(codes[ci]);
		CHECK_EQ(cache_init(&fast, size, ways, 4, max_pa), 0);
		cache_fast_allow(CACHE_FAST_NONE);
		CHECK_EQ(cache_init(&plain, size, ways, 4, max_pa), 0);
		CHECK_EQ(plain.fast, CACHE_FAST_NONE);
		CHECK(fast.fast <= codes[ci]);
#ifdef __SSE2__
		CHECK_EQ(fast.fast == CACHE_FAST_NONE, ways > 16);
#else
		CHECK_EQ(fast.fast, CACHE_FAST_NONE);   /* no vectors: the rules serve */
#endif
		served[fast.fast]++;
		unsigned differ = 0, hits = 0;
		uint64_t recent[4] = { base, base, base, base };
		for (int i = 0; i < 4000 && !differ; i++) {
			uint64_t r = xorshift(&x), line;
			if (r % 8 == 0)
				line = recent[(r >> 3) % 4];          /* again */
			else if (r % 8 == 1)
				line = (r >> 8) % top;                /* anywhere */
			else
				line = base + (r >> 8) % span;        /* the working set */
			recent[(r >> 5) % 4] = line;
			int a = fast.probe(&fast, line), b = cache_probe(&plain, line);
			differ += a != b;
			hits += b;
			if (r % 64 == 0 || i == 3999)
				differ += !same_rows(&fast, &plain);
			else {
				unsigned set;
				uint32_t tag;
				cache_place(&plain, line, &set, &tag);
				for (unsigned slot = 0; slot < ways; slot++)
					differ += cache_tag(&fast, set, slot) != cache_tag(&plain, set, slot);
			}
		}
		CHECK_EQ(differ, 0);
		CHECK(hits > 200);
		cache_free(&fast);
		cache_free(&plain);
	}
	}
	}
	}
	cache_fast_allow(CACHE_FAST_AVX2_16);
#ifdef __SSE2__
	CHECK(served[CACHE_FAST_SSE2] > 0);
#endif
#if defined(__x86_64__) && defined(__SSE2__) && defined(__GNUC__)
	if (__builtin_cpu_supports("avx2")) {
		CHECK(served[CACHE_FAST_AVX2] > 0);
		CHECK(served[CACHE_FAST_AVX2_16] > 0);
	}
#endif
	CHECK(served[CACHE_FAST_NONE] > 0);
}

/* cache_access through levels served by different codes: the fast
 * machine (as the model runs it) and the plain one find every access at
 * the same level, at the same cost. */
static void fast_levels_agree_with_plain_levels(void)
{
	cache_level f[3], q[3];
	const uint64_t size[3] = { 48 * 1024, 2 * 1024 * 1024, 3 * 1024 * 1024 };
	const unsigned ways[3] = { 12, 16, 24 }, lat[3] = { 5, 14, 50 };
	for (int plain = 0; plain <= 1; plain++) {
		cache_fast_allow(plain ? CACHE_FAST_NONE : CACHE_FAST_AVX2_16);
		for (int l = 0; l < 3; l++)
			CHECK_EQ(cache_init(plain ? &q[l] : &f[l], size[l], ways[l], lat[l], 1ull << 32), 0);
	}
	cache_fast_allow(CACHE_FAST_AVX2_16);
	cache_path pf = { &f[0], &f[1], &f[2], 300, NULL }, pq = { &q[0], &q[1], &q[2], 300, NULL };
	uint64_t x = 12345;
	unsigned differ = 0, at[5] = { 0 };
	for (int i = 0; i < 300000; i++) {
		uint64_t r = xorshift(&x);
		uint64_t pa = r % 4 ? (r >> 8) % (8ull << 20) : (r >> 8) % (1ull << 32);
		enum mem_source a, b;
		differ += cache_access(&pf, pa, &a) != cache_access(&pq, pa, &b);
		differ += a != b;
		at[b]++;
	}
	CHECK_EQ(differ, 0);
	for (int s = SRC_L1D; s <= SRC_DRAM; s++)
		CHECK(at[s] > 1000);
	for (int l = 0; l < 3; l++) {
		CHECK(same_rows(&f[l], &q[l]));
		cache_free(&f[l]);
		cache_free(&q[l]);
	}
}

/* The path's own code (cache_fast_path: three levels, probes inlined)
 * against plain levels, at the geometries it has code for (skylake, zen4,
 * zen5): the same level found, the same cost, the same rows. */
static void fast_path_agrees_with_plain_levels(void)
{
	static const struct { uint64_t size[3]; unsigned ways[3]; } geo[] = {
		{ { 32 << 10, 256 << 10, 8 << 20 }, { 8, 4, 16 } },
		{ { 32 << 10, 1 << 20, 32 << 20 }, { 8, 8, 16 } },
		{ { 48 << 10, 1 << 20, 32 << 20 }, { 12, 8, 16 } },
	};
	const unsigned lat[3] = { 4, 12, 42 };
	for (unsigned g = 0; g < sizeof geo / sizeof geo[0]; g++) {
		cache_level f[3], q[3];
		for (int plain = 0; plain <= 1; plain++) {
			cache_fast_allow(plain ? CACHE_FAST_NONE : CACHE_FAST_AVX2_16);
			for (int l = 0; l < 3; l++)
				CHECK_EQ(cache_init(plain ? &q[l] : &f[l], geo[g].size[l], geo[g].ways[l], lat[l],
				                    16ull << 30), 0);
		}
		cache_fast_allow(CACHE_FAST_AVX2_16);
		cache_path pf = { &f[0], &f[1], &f[2], 250, NULL }, pq = { &q[0], &q[1], &q[2], 250, NULL };
		cache_fast_path(&pf);
		cache_fast_path(&pq);
		CHECK(pq.fast == NULL);
#if defined(__x86_64__) && defined(__SSE2__) && defined(__GNUC__)
		CHECK((pf.fast != NULL) == (bool)__builtin_cpu_supports("avx2"));
#endif
		uint64_t x = 777 + g;
		unsigned differ = 0, at[5] = { 0 };
		for (int i = 0; i < 300000; i++) {
			uint64_t r = xorshift(&x);
			static const uint64_t span[4] = { 16ull << 10, 200ull << 10, 6ull << 20, 16ull << 30 };
			uint64_t pa = (r >> 8) % span[r % 4];   /* some of each level's hits */
			enum mem_source a, b;
			differ += cache_access(&pf, pa, &a) != cache_access(&pq, pa, &b);
			differ += a != b;
			at[b]++;
		}
		CHECK_EQ(differ, 0);
		for (int s = SRC_L1D; s <= SRC_DRAM; s++)
			CHECK(at[s] > 1000);
		for (int l = 0; l < 3; l++) {
			CHECK(same_rows(&f[l], &q[l]));
			cache_free(&f[l]);
			cache_free(&q[l]);
		}
	}
}

int main(void)
{
	RUN(levels_fill_and_evict);
	RUN(absent_levels_are_skipped);
	RUN(lru_matches_reference);
	RUN(fast_code_agrees_with_plain_rules);
	RUN(fast_levels_agree_with_plain_levels);
	RUN(fast_path_agrees_with_plain_levels);
	return check_report();
}
