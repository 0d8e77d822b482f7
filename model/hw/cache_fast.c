/* hw/cache_fast.c - the speed devices of the data caches (cache_fast.h):
 * the same answers and the same rows as the rules of cache.c, probed
 * with SSE2 or AVX2 vectors without a branch, hit or miss alike: compare,
 * then shift the slots before the hit (or all of them) down by one and
 * put the line in front.
 */
#include "cache_fast.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__SSE2__) && defined(__GNUC__)
#include <immintrin.h>
#define CACHE_AVX2 1   /* rows of 8 and 16 slots in 256-bit vectors when the host has AVX2 */
#endif

static enum cache_fast_code widest_allowed = CACHE_FAST_AVX2_16;

void cache_fast_allow(enum cache_fast_code widest)
{
	widest_allowed = widest;
}

#ifdef __SSE2__
/* Rows of nvec vectors of four slots (nvec a constant in each copy). */
static inline __attribute__((always_inline)) int probe_row(cache_level *c, uint64_t line,
                                                           unsigned nvec)
{
	unsigned set;
	uint32_t want;
	cache_place(c, line, &set, &want);
	__m128i *row = (__m128i *)&c->tag[(size_t)set * c->tag_stride];
	__m128i k = _mm_set1_epi32((int)want), v[4], slot = _mm_setr_epi32(0, 1, 2, 3);
	unsigned hits = 0;
	for (unsigned i = 0; i < nvec; i++) {
		v[i] = _mm_load_si128(row + i);
		hits |= (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(v[i], k))) << (4 * i);
	}
	/* the slot that leaves: the hit, or the least recent (padding slots
	 * are 0 and never hit, and lie beyond it); no branch, as hit or miss
	 * is as unpredictable as the trace */
	unsigned r = (unsigned)__builtin_ctz(hits | 1u << (c->ways - 1));
	__m128i rr = _mm_set1_epi32((int)r), carry = _mm_cvtsi32_si128((int)want);
	for (unsigned i = 0; i < nvec; i++) {
		/* slots down by one, the last slot of the vector before (or the
		 * line) in front; keep slots beyond r */
		__m128i moved = _mm_or_si128(_mm_slli_si128(v[i], 4), carry);
		carry = _mm_srli_si128(v[i], 12);
		__m128i keep = _mm_cmpgt_epi32(_mm_add_epi32(slot, _mm_set1_epi32((int)(4 * i))), rr);
		_mm_store_si128(row + i, _mm_or_si128(_mm_and_si128(keep, v[i]), _mm_andnot_si128(keep, moved)));
	}
	return hits != 0;
}

static int probe_v1(cache_level *c, uint64_t line) { return probe_row(c, line, 1); }
static int probe_v2(cache_level *c, uint64_t line) { return probe_row(c, line, 2); }
static int probe_v3(cache_level *c, uint64_t line) { return probe_row(c, line, 3); }
static int probe_v4(cache_level *c, uint64_t line) { return probe_row(c, line, 4); }
#endif

#ifdef CACHE_AVX2
/* The same with rows of 8 or 16 slots in one or two 256-bit vectors:
 * a lane permute moves the slots down by one (fewer instructions than the
 * shifts and carries of SSE2).  Chosen at run time (cache_fast_init);
 * the result is the same bit for bit. */
static inline __attribute__((always_inline, target("avx2"))) int probe_row256(cache_level *c,
                                                                            uint64_t line,
                                                                            unsigned nv)
{
	unsigned set;
	uint32_t want;
	cache_place(c, line, &set, &want);
	__m256i *row = (__m256i *)&c->tag[(size_t)set * c->tag_stride];
	__m256i k = _mm256_set1_epi32((int)want);
	__m256i v0 = _mm256_load_si256(row), v1 = nv > 1 ? _mm256_load_si256(row + 1) : k;
	unsigned hits = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(v0, k)));
	if (nv > 1)
		hits |= (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(v1, k))) << 8;
	unsigned r = (unsigned)__builtin_ctz(hits | 1u << (c->ways - 1));
	__m256i rr = _mm256_set1_epi32((int)r), up = _mm256_setr_epi32(7, 0, 1, 2, 3, 4, 5, 6);
	__m256i p0 = _mm256_permutevar8x32_epi32(v0, up);     /* lane i: slot i - 1; lane 0: slot 7 */
	__m256i keep0 = _mm256_cmpgt_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), rr);
	_mm256_store_si256(row, _mm256_blendv_epi8(_mm256_blend_epi32(p0, k, 1), v0, keep0));
	if (nv > 1) {
		__m256i p1 = _mm256_permutevar8x32_epi32(v1, up);
		__m256i keep1 = _mm256_cmpgt_epi32(_mm256_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15), rr);
		_mm256_store_si256(row + 1, _mm256_blendv_epi8(_mm256_blend_epi32(p1, p0, 1), v1, keep1));
	}
	return hits != 0;
}

__attribute__((target("avx2"))) static int probe_w1(cache_level *c, uint64_t line)
{
	return probe_row256(c, line, 1);
}

__attribute__((target("avx2"))) static int probe_w2(cache_level *c, uint64_t line)
{
	return probe_row256(c, line, 2);
}

/* Rows of up to 16 slots whose tags fit 16 bits (the LLC of a machine
 * of up to 16 GiB): 32 bytes a set, one 256-bit vector, half the host
 * memory of 32-bit rows (the LLC model's rows miss the host's caches
 * more than anything else the model touches). */
static inline __attribute__((always_inline, target("avx2"))) int probe_row16(cache_level *c,
                                                                           uint64_t line)
{
	unsigned set;
	uint32_t want;
	cache_place(c, line, &set, &want);
	__m256i *row = (__m256i *)((uint16_t *)c->tag + (size_t)set * 16);
	__m256i k = _mm256_set1_epi16((short)want), v = _mm256_load_si256(row);
	/* two mask bits per slot */
	unsigned hits = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi16(v, k));
	unsigned r = (unsigned)__builtin_ctz(hits | 1u << (2 * (c->ways - 1))) >> 1;
	/* slots down by one across the two 128-bit halves, the line first */
	__m256i moved = _mm256_alignr_epi8(v, _mm256_permute2x128_si256(v, v, 0x08), 14);
	moved = _mm256_or_si256(moved, _mm256_and_si256(k, _mm256_setr_epi16(-1, 0, 0, 0, 0, 0, 0, 0,
	                                                                       0, 0, 0, 0, 0, 0, 0, 0)));
	__m256i keep = _mm256_cmpgt_epi16(_mm256_setr_epi16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
	                                                    14, 15), _mm256_set1_epi16((short)r));
	_mm256_store_si256(row, _mm256_blendv_epi8(moved, v, keep));
	return hits != 0;
}

__attribute__((target("avx2"))) static int probe_h16(cache_level *c, uint64_t line)
{
	return probe_row16(c, line);
}

/* cache_access (cache.c) over three levels with their probes inlined:
 * one call instead of three.  One function for each combination of codes
 * the presets make: skylake (an 8-slot L1 and a 4-slot L2 of 32-bit
 * rows), zen2 to zen4 (8 and 8), zen5 (12 and 8), each with an LLC of
 * 16-bit rows. */
static inline __attribute__((always_inline, target("avx2"))) int row_w1(cache_level *c, uint64_t line)
{
	return probe_row256(c, line, 1);
}
static inline __attribute__((always_inline)) int row_v1(cache_level *c, uint64_t line)
{
	return probe_row(c, line, 1);
}
static inline __attribute__((always_inline)) int row_v3(cache_level *c, uint64_t line)
{
	return probe_row(c, line, 3);
}
#define CACHE_PATH(NAME, P1, P2)                                                          \
	__attribute__((target("avx2"))) static unsigned NAME(cache_path *p, uint64_t pa,   \
	                                                     enum mem_source *src)          \
	{                                                                                   \
		uint64_t line = pa >> 6;                                                        \
		if (P1(p->l1, line))                                                            \
			return *src = SRC_L1D, p->l1->latency;                                      \
		if (P2(p->l2, line))                                                            \
			return *src = SRC_L2, p->l2->latency;                                       \
		if (probe_row16(p->llc, line))                                                  \
			return *src = SRC_LLC, p->llc->latency;                                     \
		*src = SRC_DRAM;                                                                \
		return p->dram_latency;                                                         \
	}
CACHE_PATH(path_w1_v1_h16, row_w1, row_v1)
CACHE_PATH(path_w1_w1_h16, row_w1, row_w1)
CACHE_PATH(path_v3_w1_h16, row_v3, row_w1)
#endif

void cache_fast_path(cache_path *p)
{
	p->fast = NULL;
#ifdef CACHE_AVX2
	static const struct {
		int (*l1)(cache_level *, uint64_t), (*l2)(cache_level *, uint64_t);
		unsigned (*path)(cache_path *, uint64_t, enum mem_source *);
	} paths[] = {
		{ probe_w1, probe_v1, path_w1_v1_h16 },
		{ probe_w1, probe_w1, path_w1_w1_h16 },
		{ probe_v3, probe_w1, path_v3_w1_h16 },
	};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		if (p->l1->probe == paths[i].l1 && p->l2->probe == paths[i].l2 && p->llc->probe == probe_h16)
			p->fast = paths[i].path;
#endif
}

bool cache_fast_init(cache_level *c, uint64_t max_pa)
{
	(void)max_pa;
	if (widest_allowed == CACHE_FAST_NONE || c->ways > 16)
		return false;
#ifdef CACHE_AVX2
	bool avx2 = widest_allowed >= CACHE_FAST_AVX2 && __builtin_cpu_supports("avx2");
	if (avx2 && widest_allowed >= CACHE_FAST_AVX2_16 && (max_pa >> 6) / c->sets + 1 <= UINT16_MAX) {
		c->fast = CACHE_FAST_AVX2_16;
		c->tag16 = true;
		c->tag_stride = 16;
		c->tag = cache_rows_alloc((size_t)c->sets * 16 * sizeof(uint16_t));
		c->probe = probe_h16;
		return true;
	}
#endif
#ifdef __SSE2__
	static int (*const by_vectors[])(cache_level *, uint64_t) = {
		probe_v1, probe_v2, probe_v3, probe_v4,
	};
	c->tag_stride = (c->ways + 3) & ~3u;
	c->tag = cache_rows_alloc((size_t)c->sets * c->tag_stride * sizeof *c->tag);
	c->fast = CACHE_FAST_SSE2;
	c->probe = by_vectors[c->tag_stride / 4 - 1];
#ifdef CACHE_AVX2
	if (avx2 && (c->tag_stride == 8 || c->tag_stride == 16)) {
		c->fast = CACHE_FAST_AVX2;
		c->probe = c->tag_stride == 8 ? probe_w1 : probe_w2;
	}
#endif
	return true;
#else
	return false;
#endif
}
