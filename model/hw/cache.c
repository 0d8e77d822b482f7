/* hw/cache.c - timing-only set-associative caches.
 *
 * Speed matters here: every data access and every walker read probes one
 * to three levels.  Sets of up to 16 ways are searched with SSE2 (one
 * compare per four tags, one per 16 ages); wider sets, and hosts without
 * SSE2, take the scalar loop.  Both give the same LRU order, which
 * testbench/hw/test_cache.c checks against a plain list model.
 */
#include "cache.h"

#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Unused age lanes of a padded set: never younger than a real way (signed
 * byte compare) and never the victim's age (at most 15). */
#define AGE_PAD 0x7f

/* One set, any width: hit, or install in the first invalid way, else over
 * the least recent; then the touched way becomes the most recent. */
static int probe_scalar(uint32_t *tag, uint8_t *age, unsigned n, uint32_t want)
{
	unsigned way = n, empty = n, oldest = 0;
	for (unsigned w = 0; w < n; w++) {
		if (tag[w] == want) {
			way = w;
			break;
		}
		if (tag[w] == 0 && empty == n)
			empty = w;
		if (age[w] == n - 1)
			oldest = w;
	}
	int hit = way < n;
	if (!hit) {
		way = empty < n ? empty : oldest;
		tag[way] = want;
	}
	uint8_t mine = age[way];
	for (unsigned w = 0; w < n; w++)
		age[w] = (uint8_t)(age[w] + (age[w] < mine));
	age[way] = 0;
	return hit;
}

#ifdef __SSE2__
/* Bit w set where tag[w] == v, over nvec vectors of four tags. */
static inline __attribute__((always_inline)) unsigned match_tags(const uint32_t *tag, unsigned nvec,
                                                                  uint32_t v)
{
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
}

static inline __attribute__((always_inline)) int probe_simd(uint32_t *tag, uint8_t *age, unsigned nvec,
                                                            unsigned ways, unsigned lanes,
                                                            uint32_t want)
{
	/* hit, else the first invalid way, else the oldest: all computed and
	 * chosen without branches (hit or miss is as unpredictable as the
	 * trace); a hit rewrites its own tag */
	unsigned hits = match_tags(tag, nvec, want);
	unsigned empty = match_tags(tag, nvec, 0) & lanes;
	__m128i a = _mm_load_si128((const __m128i *)age);
	unsigned oldest = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(a, _mm_set1_epi8((char)(ways - 1))));
	unsigned pick = empty ? empty : oldest;
	pick = hits ? hits : pick;
	unsigned way = (unsigned)__builtin_ctz(pick);
	tag[way] = want;
	/* every way younger than the touched one ages by one (cmplt gives -1)
	 * and the touched one, the only lane of its age, becomes 0: one store,
	 * so the next probe of the set loads what a single store wrote */
	__m128i mine = _mm_set1_epi8((char)age[way]);
	__m128i aged = _mm_sub_epi8(a, _mm_cmplt_epi8(a, mine));
	_mm_store_si128((__m128i *)age, _mm_andnot_si128(_mm_cmpeq_epi8(a, mine), aged));
	return hits != 0;
}
#endif

/* Looks up the line, filling it on a miss.  Returns 1 on hit.  nvec is
 * the SIMD row width in vectors of four tags, 0 for the scalar loop; each
 * width gets its own copy (cache_init picks one), so it is a constant. */
static inline __attribute__((always_inline)) int probe_gen(cache_level *c, uint64_t line,
                                                           unsigned nvec)
{
	if (nvec == 0) {   /* the SIMD search has no branch to save */
		if (line + 1 == c->last)
			return 1;   /* already the most recent of its set: LRU order unchanged */
		c->last = line + 1;
	}
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
	uint8_t *age = &c->age[(size_t)set * c->age_stride];
#ifdef __SSE2__
	if (nvec)
		return probe_simd(tag, age, nvec, c->ways, c->lanes, want);
#else
	(void)nvec;
#endif
	return probe_scalar(tag, age, c->ways, want);
}

static int probe_any(cache_level *c, uint64_t line) { return probe_gen(c, line, 0); }
#ifdef __SSE2__
static int probe_v1(cache_level *c, uint64_t line) { return probe_gen(c, line, 1); }
static int probe_v2(cache_level *c, uint64_t line) { return probe_gen(c, line, 2); }
static int probe_v3(cache_level *c, uint64_t line) { return probe_gen(c, line, 3); }
static int probe_v4(cache_level *c, uint64_t line) { return probe_gen(c, line, 4); }
#endif

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
#ifdef __SSE2__
	c->simd = ways <= 16;
#endif
	/* SIMD rows: tags padded to whole 16-byte vectors, ages to 16 bytes */
	c->tag_stride = c->simd ? (ways + 3) & ~3u : ways;
	c->age_stride = c->simd ? 16 : ways;
	c->lanes = ways >= 32 ? ~0u : (1u << ways) - 1;
	size_t ntag = (size_t)c->sets * c->tag_stride, nage = (size_t)c->sets * c->age_stride;
	c->tag = aligned_alloc(64, (ntag * sizeof *c->tag + 63) & ~(size_t)63);
	c->age = aligned_alloc(64, (nage + 63) & ~(size_t)63);
	if (!c->tag || !c->age)
		abort();
	memset(c->tag, 0, ntag * sizeof *c->tag);
	c->probe = probe_any;
#ifdef __SSE2__
	static int (*const by_vectors[])(cache_level *, uint64_t) = {
		probe_v1, probe_v2, probe_v3, probe_v4,
	};
	if (c->simd)
		c->probe = by_vectors[c->tag_stride / 4 - 1];
#endif
	for (size_t s = 0; s < c->sets; s++)
		for (unsigned w = 0; w < c->age_stride; w++)
			c->age[s * c->age_stride + w] = w < ways ? (uint8_t)w : AGE_PAD;
	return 0;
}

void cache_free(cache_level *c)
{
	free(c->tag);
	free(c->age);
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
