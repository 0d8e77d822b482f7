/* hw/cache.c - timing-only set-associative caches: the rules (cache.h).
 *
 * Each set is a row of tags in recency order, so LRU is "move to the
 * front": a lookup finds the line's slot; a hit moves the slots before it
 * down by one and puts the line first; a miss fills the line the same
 * way in place of the least recent one.  These are written here plainly
 * over 32-bit rows; the SIMD probes that do the same without a branch are
 * in cache_fast.c, chosen once in cache_init (cache_fast_init), and
 * testbench/hw/test_cache.c holds them to these rules.
 */
#include "cache.h"
#include "cache_fast.h"
#include "base/output.h"

#include <stdlib.h>
#include <string.h>

void *cache_rows_alloc(size_t bytes)
{
	bytes = (bytes + 63) & ~(size_t)63;
	void *rows = aligned_alloc(64, bytes ? bytes : 64);
	if (!rows)
		output_out_of_memory();
	memset(rows, 0, bytes);
	return rows;
}

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
	if (cache_fast_init(c, max_pa))
		return 0;
	/* the rules: one row of `ways` 32-bit tags a set */
	c->fast = CACHE_FAST_NONE;
	c->tag_stride = ways;
	c->tag = cache_rows_alloc((size_t)c->sets * ways * sizeof *c->tag);
	c->probe = cache_probe;
	return 0;
}

void cache_free(cache_level *c)
{
	free(c->tag);
	memset(c, 0, sizeof *c);
}

/* Lookup: the slot of the row holding tag, or ways if none does. */
static unsigned lookup(const uint32_t *row, unsigned ways, uint32_t tag)
{
	unsigned r = 0;
	while (r < ways && row[r] != tag)
		r++;
	return r;
}

/* LRU: the line in slot r (or the one filled in its place) becomes the
 * most recent; the slots before it move down by one. */
static void make_most_recent(uint32_t *row, unsigned r, uint32_t tag)
{
	memmove(row + 1, row, r * sizeof *row);
	row[0] = tag;
}

int cache_probe(cache_level *c, uint64_t line)
{
	unsigned set;
	uint32_t tag;
	cache_place(c, line, &set, &tag);
	uint32_t *row = &c->tag[(size_t)set * c->tag_stride];
	unsigned r = lookup(row, c->ways, tag);
	int hit = r < c->ways;
	if (!hit)
		r = c->ways - 1;   /* fill: the least recent line (or an empty slot, always last) leaves */
	make_most_recent(row, r, tag);
	return hit;
}

uint32_t cache_tag(const cache_level *c, unsigned set, unsigned slot)
{
	size_t i = (size_t)set * c->tag_stride + slot;
	return c->tag16 ? ((const uint16_t *)c->tag)[i] : c->tag[i];
}

unsigned cache_access(cache_path *p, uint64_t pa, enum mem_source *src)
{
	if (p->fast)
		return p->fast(p, pa, src);   /* the same, the probes inlined (cache_fast.c) */
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
