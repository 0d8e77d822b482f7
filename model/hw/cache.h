/* hw/cache.h - set-associative data caches, timing only.
 *
 * Lines hold no data (physical memory does); a lookup says at which level
 * a physical address was found and fills the levels above (no inclusion,
 * write-allocate, LRU).  L1D and L2 are per CPU, the LLC is shared.  The
 * walker's PTE reads and the trace's data accesses both come through here,
 * so a walk's latency depends on where its entries are.
 */
#ifndef MMUSIM_HW_CACHE_H
#define MMUSIM_HW_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cache_level {
	unsigned sets, ways;
	uint64_t set_mask;        /* sets - 1 when a power of two */
	bool pow2;
	unsigned set_shift;       /* log2(sets) when a power of two */
	/* Per way a 32-bit tag (line / sets + 1; 0 = invalid) and an 8-bit LRU
	 * age (0 = most recent): 80 bytes per 16-way set, so the model of an
	 * 8 MiB LLC stays small in the host's caches.  Sets of up to 16 ways
	 * are rows padded for SSE2 (tags to a multiple of 4, ages to 16). */
	uint32_t *tag;
	uint8_t *age;
	unsigned tag_stride, age_stride;
	unsigned lanes;           /* bit w set for each real way */
	bool simd;                /* rows padded, probed with SSE2 */
	int (*probe)(struct cache_level *c, uint64_t line);  /* for this width */
	uint64_t last;            /* line + 1 touched last: the most recent of its set */
	unsigned latency;
} cache_level;

enum mem_source { SRC_PSC = 0, SRC_L1D = 1, SRC_L2 = 2, SRC_LLC = 3, SRC_DRAM = 4 };

/* 0, or -1 for an impossible geometry (including one whose tags would not
 * fit 32 bits for max_pa, the end of physical memory). */
int cache_init(cache_level *c, uint64_t size, unsigned ways, unsigned latency, uint64_t max_pa);
void cache_free(cache_level *c);

typedef struct cache_path {
	cache_level *l1, *l2, *llc;  /* any may be absent (sets == 0) */
	unsigned dram_latency;
} cache_path;

/* Latency of an access to pa; *src receives the level it hit. */
unsigned cache_access(cache_path *p, uint64_t pa, enum mem_source *src);

#endif
