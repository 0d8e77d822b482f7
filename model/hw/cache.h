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
	/* Per way a 32-bit tag (line / sets + 1; 0 = invalid), rows padded to
	 * a multiple of four ways for SSE2.  Per set the recency order: the
	 * ways from the most recent (rank 0) to the least recent.  Up to 16
	 * ways it is one word of 4-bit way numbers (nibble r = the way of rank
	 * r), so a touch is a few shifts and a miss reads its victim from the
	 * top nibble; wider sets keep one byte per rank.  Ways never filled
	 * rank last, lowest way first, so the victim is the first invalid way
	 * while there is one (no line is ever invalidated). */
	uint32_t *tag;
	unsigned tag_stride;
	uint64_t *order;          /* <= 16 ways: one word per set */
	uint8_t *rank;            /* wider: sets * ways bytes */
	int (*probe)(struct cache_level *c, uint64_t line);  /* for this width */
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
