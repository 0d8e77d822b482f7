/* hw/cache.c - timing-only set-associative caches. */
#include "cache.h"

#include <stdlib.h>
#include <string.h>

int cache_init(cache_level *c, uint64_t size, unsigned ways, unsigned latency)
{
	memset(c, 0, sizeof *c);
	c->latency = latency;
	if (size == 0)
		return 0;
	uint64_t lines = size / 64;
	if (ways == 0 || lines % ways)
		return -1;
	c->sets = (unsigned)(lines / ways);
	c->ways = ways;
	c->pow2 = (c->sets & (c->sets - 1)) == 0;
	c->set_mask = c->pow2 ? c->sets - 1 : 0;
	c->way = calloc(lines, sizeof *c->way);
	if (!c->way)
		abort();
	return 0;
}

void cache_free(cache_level *c)
{
	free(c->way);
	memset(c, 0, sizeof *c);
}

/* Looks up the line; on a miss installs it over the LRU way.  Returns 1 on hit. */
static int probe(cache_level *c, uint64_t line)
{
	uint64_t want = line + 1;
	if (want == c->last)
		return 1;   /* already the most recent of its set: LRU order unchanged */
	unsigned set = c->pow2 ? (unsigned)(line & c->set_mask) : (unsigned)(line % c->sets);
	struct cache_way *way = &c->way[(size_t)set * c->ways];
	unsigned victim = 0;
	c->clock++;
	c->last = want;
	for (unsigned w = 0; w < c->ways; w++) {
		if (way[w].tag == want) {
			way[w].stamp = c->clock;
			return 1;
		}
		if (way[w].stamp < way[victim].stamp)
			victim = w;
	}
	way[victim].tag = want;
	way[victim].stamp = c->clock;
	return 0;
}

unsigned cache_access(cache_path *p, uint64_t pa, enum mem_source *src)
{
	uint64_t line = pa >> 6;
	/* Probing fills the levels above the one that hits, as a miss would. */
	if (p->l1->sets && probe(p->l1, line))
		return *src = SRC_L1D, p->l1->latency;
	if (p->l2->sets && probe(p->l2, line))
		return *src = SRC_L2, p->l2->latency;
	if (p->llc->sets && probe(p->llc, line))
		return *src = SRC_LLC, p->llc->latency;
	*src = SRC_DRAM;
	return p->dram_latency;
}
