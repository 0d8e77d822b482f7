/* os/shmem.c - the shmem object behind a shared anonymous mapping
 * (mm/shmem.c, v6.18: shmem_zero_setup gives the VMA an unlinked shmem
 * file; its page cache holds the pages every mapping of it shares).
 * The model keeps, per object, its pages sorted by page offset; pages
 * are allocated when first faulted (shmem_fault -> shmem_get_folio) and
 * freed with the object, when the last VMA mapping it goes (the file's
 * last reference: shmem_evict_inode). */
#include "os/os.h"
#include "base/output.h"

#include <stdlib.h>
#include <string.h>

shmem_obj *shmem_new(void)
{
	shmem_obj *o = calloc(1, sizeof *o);
	if (!o)
		output_out_of_memory();
	return o;
}

void shmem_get(shmem_obj *o)
{
	if (o)
		o->refs++;
}

void shmem_put(kernel *k, shmem_obj *o)
{
	if (!o || --o->refs > 0)
		return;
	for (size_t i = 0; i < o->npage; i++)
		put_frame(k, o->page[i].pfn << 12, o->page[i].level);
	free(o->page);
	free(o);
}

static uint64_t pages_of(unsigned level)
{
	return 1ull << (9 * (level - 1));
}

/* Index of the first page ending after index. */
static size_t lower(const shmem_obj *o, uint64_t index)
{
	size_t lo = 0, hi = o->npage;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const shmem_page *p = &o->page[mid];
		if (p->index + pages_of(p->level) <= index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

shmem_page *shmem_find(shmem_obj *o, uint64_t index)
{
	size_t i = lower(o, index);
	return i < o->npage && o->page[i].index <= index ? &o->page[i] : NULL;
}

bool shmem_range_empty(const shmem_obj *o, uint64_t lo, uint64_t hi)
{
	size_t i = lower(o, lo);
	return i >= o->npage || o->page[i].index >= hi;
}

/* Room for n more pages at position i. */
static void open_gap(shmem_obj *o, size_t i, size_t n)
{
	if (o->npage + n > o->cappage) {
		o->cappage = 2 * (o->npage + n);
		o->page = realloc(o->page, o->cappage * sizeof *o->page);
		if (!o->page)
			output_out_of_memory();
	}
	memmove(&o->page[i + n], &o->page[i], (o->npage - i) * sizeof *o->page);
	o->npage += n;
}

shmem_page *shmem_add(kernel *k, shmem_obj *o, uint64_t index, unsigned level)
{
	uint64_t pfn;
	if (phys_alloc(&k->pm, 9 * (level - 1), &pfn))
		return NULL;
	size_t i = lower(o, index);
	open_gap(o, i, 1);
	o->page[i] = (shmem_page){ index, pfn, level };
	return &o->page[i];
}

shmem_page *shmem_split(kernel *k, shmem_obj *o, shmem_page *p, uint64_t index)
{
	size_t i = (size_t)(p - o->page);
	shmem_page huge = *p;
	uint64_t step = pages_of(huge.level - 1);
	uint16_t refs = phys_refcount(&k->pm, huge.pfn);
	open_gap(o, i + 1, 511);
	for (uint64_t j = 0; j < 512; j++) {
		o->page[i + j] = (shmem_page){ huge.index + j * step, huge.pfn + j * step, huge.level - 1 };
		phys_set_refcount(&k->pm, huge.pfn + j * step, refs);
	}
	return &o->page[i + (index - huge.index) / step];
}
