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
	/* Per set a row of tags (line / sets + 1; 0 = no line) in recency
	 * order: slot 0 holds the most recent line, slot ways-1 the least
	 * recent.  A hit at slot r moves slots 0..r-1 down by one and puts the
	 * line in slot 0; a miss does the same with r = ways-1, dropping the
	 * least recent line (or an empty slot: empty slots are always last).
	 * That is LRU exactly, and with SSE2 a probe is a few compares and
	 * blends without a branch.  Which slot a line occupies is not
	 * observable: a line is only ever found or not.  Tags are 32 bits,
	 * rows padded to a multiple of four slots; or, where every tag fits
	 * 16 bits and the host has AVX2, 16 bits in rows of 16 slots (tag
	 * then points at uint16_t).  Padding slots stay 0. */
	uint32_t *tag;
	unsigned tag_stride;
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

/* Tests only: false makes later cache_init calls keep to SSE2 (or plain
 * C) even on hosts with AVX2, so that both codes are tested. */
void cache_allow_avx2(bool allow);

/* Latency of an access to pa; *src receives the level it hit. */
unsigned cache_access(cache_path *p, uint64_t pa, enum mem_source *src);

#endif
