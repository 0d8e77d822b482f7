/* hw/cache.c - timing-only set-associative caches. */
#include "cache.h"

#include <stdlib.h>
#include <string.h>

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
	c->tag = calloc(lines, sizeof *c->tag);
	c->age = malloc(lines);
	if (!c->tag || !c->age)
		abort();
	for (uint64_t i = 0; i < lines; i++)
		c->age[i] = (uint8_t)(i % ways);
	return 0;
}

void cache_free(cache_level *c)
{
	free(c->tag);
	free(c->age);
	memset(c, 0, sizeof *c);
}

/* Bit w set where ways[w] == v: branch-free, so the compiler vectorizes it
 * (fully when n is a constant, see probe_n). */
static inline __attribute__((always_inline)) uint64_t match32(const uint32_t *ways, unsigned n,
                                                               uint32_t v)
{
	uint64_t m = 0;
	for (unsigned w = 0; w < n; w++)
		m |= (uint64_t)(ways[w] == v) << w;
	return m;
}

static inline __attribute__((always_inline)) uint64_t match8(const uint8_t *ways, unsigned n,
                                                              uint8_t v)
{
	uint64_t m = 0;
	for (unsigned w = 0; w < n; w++)
		m |= (uint64_t)(ways[w] == v) << w;
	return m;
}

/* One set: hit, or install in the first invalid way, else over the least
 * recent; then the touched way becomes the most recent. */
static inline __attribute__((always_inline)) int probe_n(uint32_t *tag, uint8_t *age, unsigned n,
                                                         uint32_t want)
{
	uint64_t hits = match32(tag, n, want);
	unsigned way;
	if (hits) {
		way = (unsigned)__builtin_ctzll(hits);
	} else {
		uint64_t empty = match32(tag, n, 0);
		way = (unsigned)__builtin_ctzll(empty ? empty : match8(age, n, (uint8_t)(n - 1)));
		tag[way] = want;
	}
	uint8_t mine = age[way];
	for (unsigned w = 0; w < n; w++)
		age[w] = (uint8_t)(age[w] + (age[w] < mine));
	age[way] = 0;
	return hits != 0;
}

/* Looks up the line, filling it on a miss.  Returns 1 on hit. */
static int probe(cache_level *c, uint64_t line)
{
	if (line + 1 == c->last)
		return 1;   /* already the most recent of its set: LRU order unchanged */
	c->last = line + 1;
	unsigned set;
	uint32_t want;
	if (c->pow2) {
		set = (unsigned)(line & c->set_mask);
		want = (uint32_t)(line >> c->set_shift) + 1;
	} else {
		set = (unsigned)(line % c->sets);
		want = (uint32_t)(line / c->sets) + 1;
	}
	uint32_t *tag = &c->tag[(size_t)set * c->ways];
	uint8_t *age = &c->age[(size_t)set * c->ways];
	switch (c->ways) {   /* the usual geometries get constant trip counts */
	case 4:  return probe_n(tag, age, 4, want);
	case 8:  return probe_n(tag, age, 8, want);
	case 16: return probe_n(tag, age, 16, want);
	default: return probe_n(tag, age, c->ways, want);
	}
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
