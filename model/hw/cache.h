/* hw/cache.h - set-associative data caches, timing only.
 *
 * Lines hold no data (physical memory does); a lookup says at which level
 * a physical address was found and fills the levels above (no inclusion,
 * write-allocate, LRU).  L1D and L2 are per CPU, the LLC is shared.  The
 * walker's PTE reads and the trace's data accesses both come through here,
 * so a walk's latency depends on where its entries are.
 *
 * hw/cache.c writes the rules plainly (where a line goes, lookup, fill,
 * LRU over the tags); the SIMD probes that give the same answers faster
 * are in hw/cache_fast.c, chosen at one point (cache_fast_init, from
 * cache_init).
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
	 * That is LRU exactly.  Which slot a line occupies is not observable:
	 * a line is only ever found or not.  Row set starts at
	 * tag[set * tag_stride]; tags are 32 bits, unless the fast code chose
	 * 16-bit rows (tag16: tag then points at uint16_t).  Slots beyond
	 * ways (padding for the fast code) stay 0. */
	uint32_t *tag;
	unsigned tag_stride;
	bool tag16;
	unsigned char fast;       /* which code probes (cache_fast.h); 0: the rules */
	int (*probe)(struct cache_level *c, uint64_t line);  /* cache_probe or a fast code */
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
	/* speed device: cache_access for these three levels with their
	 * probes inlined (cache_fast_path), or NULL */
	unsigned (*fast)(struct cache_path *p, uint64_t pa, enum mem_source *src);
} cache_path;

/* Where a line goes: its set and its tag (never 0). */
static inline __attribute__((always_inline)) void cache_place(const cache_level *c, uint64_t line,
                                                              unsigned *set, uint32_t *tag)
{
	if (c->pow2) {
		*set = (unsigned)(line & c->set_mask);
		*tag = (uint32_t)(line >> c->set_shift) + 1;
	} else {
		*set = (unsigned)(line % c->sets);
		*tag = (uint32_t)(line / c->sets) + 1;
	}
}

/* The rules: look line up in one level; a miss fills it.  1 on a hit. */
int cache_probe(cache_level *c, uint64_t line);

/* The tag in slot `slot` of row `set` (0: empty), whatever code holds it. */
uint32_t cache_tag(const cache_level *c, unsigned set, unsigned slot);

/* Latency of an access to pa; *src receives the level it hit. */
unsigned cache_access(cache_path *p, uint64_t pa, enum mem_source *src);

#endif
