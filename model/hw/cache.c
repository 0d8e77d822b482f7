/* hw/cache.c - timing-only set-associative caches.
 *
 * Speed matters here: every data access and every walker read probes one
 * to three levels.  A probe of a set of up to 16 ways compares its tags
 * with SSE2 (four per compare) and keeps LRU as the set's recency order
 * packed in one word (cache.h), updated without a branch whether it hit
 * or missed.  Wider sets, and hosts without SSE2, take plain loops.  All
 * give the LRU order of a list, which testbench/hw/test_cache.c checks.
 */
#include "cache.h"

#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define NIBBLES 0x1111111111111111ull

/* Bit w set where tag[w] == v, over nvec vectors of four tags (padding
 * lanes hold 0, which no wanted tag equals). */
static inline __attribute__((always_inline)) unsigned match_tags(const uint32_t *tag, unsigned nvec,
                                                                  unsigned ways, uint32_t v)
{
#ifdef __SSE2__
	(void)ways;
	__m128i k = _mm_set1_epi32((int)v), z = _mm_setzero_si128();
	__m128i m0 = _mm_cmpeq_epi32(_mm_load_si128((const __m128i *)tag), k);
	if (nvec == 1)
		return (unsigned)_mm_movemask_ps(_mm_castsi128_ps(m0));
	__m128i m1 = _mm_cmpeq_epi32(_mm_load_si128((const __m128i *)tag + 1), k);
	__m128i m2 = nvec > 2 ? _mm_cmpeq_epi32(_mm_load_si128((const __m128i *)tag + 2), k) : z;
	__m128i m3 = nvec > 3 ? _mm_cmpeq_epi32(_mm_load_si128((const __m128i *)tag + 3), k) : z;
	/* 32-bit all-ones lanes narrow to bytes in way order */
	__m128i b = _mm_packs_epi16(_mm_packs_epi32(m0, m1), _mm_packs_epi32(m2, m3));
	return (unsigned)_mm_movemask_epi8(b);
#else
	(void)nvec;
	unsigned hits = 0;
	for (unsigned w = 0; w < ways; w++)
		hits |= (unsigned)(tag[w] == v) << w;
	return hits;
#endif
}

/* Looks up the line, filling it on a miss (over the least recent way);
 * the way touched becomes the most recent.  Returns 1 on hit.  nvec, the
 * row's width in vectors of four tags, is a constant in each copy below. */
static inline __attribute__((always_inline)) int probe_packed(cache_level *c, uint64_t line,
                                                              unsigned nvec)
{
	unsigned set;
	uint32_t want;
	if (c->pow2) {
		set = (unsigned)(line & c->set_mask);
		want = (uint32_t)(line >> c->set_shift) + 1;
	} else {
		set = (unsigned)(line % c->sets);
		want = (uint32_t)(line / c->sets) + 1;
	}
	uint32_t *tag = &c->tag[(size_t)set * c->tag_stride];
	unsigned hits = match_tags(tag, nvec, c->ways, want);
	uint64_t o = c->order[set];
	unsigned victim = (unsigned)(o >> (4 * (c->ways - 1))) & 15;
	unsigned way = hits ? (unsigned)__builtin_ctz(hits) : victim;
	tag[way] = want;
	/* the rank of way: its nibble is the lowest zero nibble of o ^ way
	 * (ranks hold distinct ways; a borrow only marks nibbles above it) */
	uint64_t x = o ^ (NIBBLES * way);
	unsigned top = (unsigned)__builtin_ctzll((x - NIBBLES) & ~x & (NIBBLES << 3));
	/* ranks 0..rank: shift up by one and put way at rank 0 (rank 15: the
	 * shift drops out of the word and m is every bit) */
	uint64_t m = (0x10ull << (top - 3)) - 1;
	c->order[set] = (o & ~m) | ((o << 4) & m) | way;
	return hits != 0;
}

/* Sets of more than 16 ways: a byte per rank, searched and moved in order. */
static int probe_wide(cache_level *c, uint64_t line)
{
	unsigned set = (unsigned)(line % c->sets), n = c->ways;
	uint32_t want = (uint32_t)(line / c->sets) + 1;
	uint32_t *tag = &c->tag[(size_t)set * c->tag_stride];
	uint8_t *rank = &c->rank[(size_t)set * n];
	unsigned way = n;
	for (unsigned w = 0; w < n; w++)
		if (tag[w] == want)
			way = w;
	int hit = way < n;
	if (!hit) {
		way = rank[n - 1];
		tag[way] = want;
	}
	unsigned r = 0;
	while (rank[r] != way)
		r++;
	memmove(rank + 1, rank, r);
	rank[0] = (uint8_t)way;
	return hit;
}

static int probe_v1(cache_level *c, uint64_t line) { return probe_packed(c, line, 1); }
static int probe_v2(cache_level *c, uint64_t line) { return probe_packed(c, line, 2); }
static int probe_v3(cache_level *c, uint64_t line) { return probe_packed(c, line, 3); }
static int probe_v4(cache_level *c, uint64_t line) { return probe_packed(c, line, 4); }

int cache_init(cache_level *c, uint64_t size, unsigned ways, unsigned latency, uint64_t max_pa)
{
	memset(c, 0, sizeof *c);
	c->latency = latency;
	if (size == 0)
		return 0;
	uint64_t lines = size / 64;
	if (ways == 0 || ways > 255 || lines % ways)
		return -1;
	c->sets = (unsigned)(lines / ways);
	c->ways = ways;
	if ((max_pa >> 6) / c->sets >= UINT32_MAX)
		return -1;   /* tags must fit 32 bits */
	c->pow2 = (c->sets & (c->sets - 1)) == 0;
	c->set_mask = c->pow2 ? c->sets - 1 : 0;
	c->set_shift = c->pow2 ? (unsigned)__builtin_ctz(c->sets) : 0;
	c->tag_stride = (ways + 3) & ~3u;
	size_t ntag = (size_t)c->sets * c->tag_stride;
	c->tag = aligned_alloc(64, (ntag * sizeof *c->tag + 63) & ~(size_t)63);
	if (!c->tag)
		abort();
	memset(c->tag, 0, ntag * sizeof *c->tag);
	if (ways <= 16) {
		static int (*const by_vectors[])(cache_level *, uint64_t) = {
			probe_v1, probe_v2, probe_v3, probe_v4,
		};
		c->probe = by_vectors[c->tag_stride / 4 - 1];
		/* rank r holds way ways-1-r: way 0 is the least recent */
		uint64_t o = 0;
		for (unsigned r = 0; r < ways; r++)
			o |= (uint64_t)(ways - 1 - r) << (4 * r);
		c->order = malloc(c->sets * sizeof *c->order);
		if (!c->order)
			abort();
		for (unsigned s = 0; s < c->sets; s++)
			c->order[s] = o;
	} else {
		c->probe = probe_wide;
		c->rank = malloc((size_t)c->sets * ways);
		if (!c->rank)
			abort();
		for (unsigned s = 0; s < c->sets; s++)
			for (unsigned r = 0; r < ways; r++)
				c->rank[(size_t)s * ways + r] = (uint8_t)(ways - 1 - r);
	}
	return 0;
}

void cache_free(cache_level *c)
{
	free(c->tag);
	free(c->order);
	free(c->rank);
	memset(c, 0, sizeof *c);
}

unsigned cache_access(cache_path *p, uint64_t pa, enum mem_source *src)
{
	uint64_t line = pa >> 6;
	/* Probing fills the levels above the one that hits, as a miss would. */
	if (p->l1->sets && p->l1->probe(p->l1, line))
		return *src = SRC_L1D, p->l1->latency;
	if (p->l2->sets && p->l2->probe(p->l2, line))
		return *src = SRC_L2, p->l2->latency;
	if (p->llc->sets && p->llc->probe(p->llc, line))
		return *src = SRC_LLC, p->llc->latency;
	*src = SRC_DRAM;
	return p->dram_latency;
}
