/* hw/cache_fast.h - the speed devices of hw/cache.c, beside its rules.
 *
 * cache.c writes the rules plainly over rows of 32-bit tags: where a
 * line goes (cache_place), lookup, fill, LRU (cache_probe).  What makes a
 * probe fast lives here and in cache_fast.c, and decides nothing: rows of
 * up to 16 slots, padded to vectors, probed with SSE2 (or AVX2 where the
 * host has it) without a branch, hit or miss alike; and, where every tag
 * fits 16 bits and the host has AVX2, rows of 16-bit tags (half the host
 * memory, for the LLC).  The one selection point is cache_fast_init,
 * called by cache_init: it lays out the rows and sets c->probe, or
 * declines (rows wider than 16, no SSE2, or the tests' CACHE_FAST_NONE)
 * and the rules serve.  testbench/hw/test_cache.c
 * (fast_code_agrees_with_plain_rules) holds every code to the plain rules,
 * answers and rows, on random accesses over many geometries.
 */
#ifndef MMUSIM_HW_CACHE_FAST_H
#define MMUSIM_HW_CACHE_FAST_H

#include "hw/cache.h"

/* c->fast: which code probes */
enum cache_fast_code {
	CACHE_FAST_NONE = 0,  /* the plain rules of cache.c */
	CACHE_FAST_SSE2,      /* 32-bit rows of 1..4 vectors of four slots */
	CACHE_FAST_AVX2,      /* 32-bit rows of 8 or 16 slots in 256-bit vectors */
	CACHE_FAST_AVX2_16    /* 16-bit rows of 16 slots in one 256-bit vector */
};

/* Tests only: the widest code later cache_init calls may choose
 * (CACHE_FAST_AVX2_16, the default, as the host allows; CACHE_FAST_SSE2;
 * CACHE_FAST_NONE, the rules alone), so that every code is tested. */
void cache_fast_allow(enum cache_fast_code widest);

/* The selection point: for a level whose geometry cache_init has set
 * (sets, ways, set mask and shift), lay out and allocate the rows of a
 * fast code and set c->fast, c->probe, c->tag and c->tag_stride; false
 * (nothing allocated) where no fast code serves that geometry. */
bool cache_fast_init(cache_level *c, uint64_t max_pa);

/* The selection point of a path (cache_path.fast): the code of
 * cache_access with the levels' probes inlined, for the combinations
 * there is one for (the presets'), else NULL.  Call it again
 * after a level's code changes. */
void cache_fast_path(cache_path *p);

/* Rows for tag: bytes rounded up to 64-byte lines, zeroed. */
void *cache_rows_alloc(size_t bytes);

#endif
