/* base/phys.c - sparse physical memory and deterministic frame allocator. */
#include "phys.h"
#include "base/output.h"

#include <stdlib.h>
#include <string.h>

/* content: directory indexed by pfn >> 10, each slot an array of 1024
 * pointers to 4 KiB host pages (NULL = all zeros). */
#define DIR_SHIFT 10
#define DIR_SLOTS (1u << DIR_SHIFT)
#define REF_SHIFT 12
#define REF_SLOTS (1u << REF_SHIFT)

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);
	if (!p)
		output_out_of_memory();
	return p;
}

int phys_init(phys_mem *pm, uint64_t size)
{
	memset(pm, 0, sizeof *pm);
	if (size < (PHYS_RESERVED + (64ull << 20)) || size % (2ull << 20))
		return -1;
	pm->size = size;
	pm->nframes = size >> PAGE_SHIFT;
	pm->ndir = (size_t)((pm->nframes + DIR_SLOTS - 1) >> DIR_SHIFT);
	pm->content = xcalloc(pm->ndir, sizeof *pm->content);
	pm->refs = xcalloc((size_t)((pm->nframes + REF_SLOTS - 1) >> REF_SHIFT), sizeof *pm->refs);
	pm->bump_low = PHYS_RESERVED >> PAGE_SHIFT;
	pm->bump_high = pm->nframes;
	return 0;
}

void phys_free(phys_mem *pm)
{
	for (size_t d = 0; d < pm->ndir; d++) {
		uint64_t **slot = pm->content[d];
		if (!slot)
			continue;
		for (unsigned i = 0; i < DIR_SLOTS; i++)
			free(slot[i]);
		free(slot);
	}
	for (size_t d = 0; d < (size_t)((pm->nframes + REF_SLOTS - 1) >> REF_SHIFT); d++)
		free(pm->refs[d]);
	free(pm->content);
	free(pm->refs);
	free(pm->free4k.pfn);
	free(pm->free2m.pfn);
	free(pm->free1g.pfn);
	memset(pm, 0, sizeof *pm);
}

static uint64_t *frame_data(const phys_mem *pm, uint64_t pfn)
{
	uint64_t **slot = pm->content[pfn >> DIR_SHIFT];
	return slot ? slot[pfn & (DIR_SLOTS - 1)] : NULL;
}

uint64_t phys_read64(const phys_mem *pm, uint64_t pa)
{
	uint64_t pfn = pa >> PAGE_SHIFT;
	if (pfn >= pm->nframes)
		return 0;
	const uint64_t *d = frame_data(pm, pfn);
	return d ? d[(pa & (PAGE_SIZE - 1)) >> 3] : 0;
}

void phys_write64(phys_mem *pm, uint64_t pa, uint64_t v)
{
	uint64_t pfn = pa >> PAGE_SHIFT;
	if (pfn >= pm->nframes)
		return;
	uint64_t **slot = pm->content[pfn >> DIR_SHIFT];
	if (!slot)
		slot = pm->content[pfn >> DIR_SHIFT] = xcalloc(DIR_SLOTS, sizeof *slot);
	uint64_t *d = slot[pfn & (DIR_SLOTS - 1)];
	if (!d) {
		if (v == 0)
			return;
		d = slot[pfn & (DIR_SLOTS - 1)] = xcalloc(512, sizeof *d);
		pm->content_pages++;
	}
	d[(pa & (PAGE_SIZE - 1)) >> 3] = v;
}

void phys_clear_frame(phys_mem *pm, uint64_t pfn)
{
	if (pfn >= pm->nframes)
		return;
	uint64_t **slot = pm->content[pfn >> DIR_SHIFT];
	if (!slot || !slot[pfn & (DIR_SLOTS - 1)])
		return;
	free(slot[pfn & (DIR_SLOTS - 1)]);
	slot[pfn & (DIR_SLOTS - 1)] = NULL;
	pm->content_pages--;
}

static void push(frame_stack *s, uint64_t pfn)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		s->pfn = realloc(s->pfn, s->cap * sizeof *s->pfn);
		if (!s->pfn)
			output_out_of_memory();
	}
	s->pfn[s->n++] = pfn;
}

int phys_alloc(phys_mem *pm, unsigned order, uint64_t *pfn)
{
	uint64_t count = 1ull << order;
	frame_stack *s = order == 0 ? &pm->free4k : order == 9 ? &pm->free2m : &pm->free1g;
	if (s->n) {
		*pfn = s->pfn[--s->n];
	} else if (order == 0) {
		if (pm->bump_low >= pm->bump_high)
			return -1;
		*pfn = pm->bump_low++;
	} else {
		uint64_t top = (pm->bump_high - count) & ~(count - 1);
		if (pm->bump_high < count || top < pm->bump_low)
			return -1;
		/* frames between top+count and the old bump_high are lost to
		 * alignment; return them to the 4 KiB stack */
		for (uint64_t f = top + count; f < pm->bump_high; f++)
			push(&pm->free4k, f);
		pm->bump_high = top;
		*pfn = top;
	}
	pm->frames_in_use += count;
	phys_set_refcount(pm, *pfn, 1);
	return 0;
}

void phys_release(phys_mem *pm, uint64_t pfn, unsigned order)
{
	frame_stack *s = order == 0 ? &pm->free4k : order == 9 ? &pm->free2m : &pm->free1g;
	phys_set_refcount(pm, pfn, 0);
	pm->frames_in_use -= 1ull << order;
	push(s, pfn);
}

uint16_t phys_refcount(const phys_mem *pm, uint64_t pfn)
{
	const uint16_t *r = pm->refs[pfn >> REF_SHIFT];
	return r ? r[pfn & (REF_SLOTS - 1)] : 0;
}

void phys_set_refcount(phys_mem *pm, uint64_t pfn, uint16_t n)
{
	uint16_t **r = &pm->refs[pfn >> REF_SHIFT];
	if (!*r) {
		if (n == 0)
			return;
		*r = xcalloc(REF_SLOTS, sizeof **r);
	}
	(*r)[pfn & (REF_SLOTS - 1)] = n;
}
