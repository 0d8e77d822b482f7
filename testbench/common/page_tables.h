/* Building real paging structures in a phys_mem for the hardware unit
 * tests (testbench/hw): one table page at a time, and one mapping from a
 * root table down to a leaf at a chosen level. Tables a walk passes
 * through get P|RW|US so that only the leaf decides permissions. */
#ifndef MMUSIM_TEST_PAGE_TABLES_H
#define MMUSIM_TEST_PAGE_TABLES_H

#include "hw/mmu.h"

#include <stdlib.h>

/* A zeroed page for a table; aborts when physical memory runs out. */
static inline uint64_t pt_alloc_table(phys_mem *pm)
{
	uint64_t pfn;
	if (phys_alloc(pm, 0, &pfn))
		abort();
	return pfn;
}

/* Maps va -> pfn under the root table `root_pfn` of a `levels`-level
 * hierarchy, with the leaf at `level` (1: 4K, 2: 2M, 3: 1G). */
static inline void pt_map(phys_mem *pm, uint64_t root_pfn, unsigned levels,
                          uint64_t va, uint64_t pfn, uint64_t flags, unsigned level)
{
	uint64_t table = root_pfn << 12;
	for (unsigned l = levels; l > level; l--) {
		uint64_t pa = table + 8ull * pt_index(va, l);
		uint64_t e = phys_read64(pm, pa);
		if (!(e & PTE_P)) {
			e = (pt_alloc_table(pm) << 12) | PTE_P | PTE_RW | PTE_US;
			phys_write64(pm, pa, e);
		}
		table = e & PTE_ADDR;
	}
	phys_write64(pm, table + 8ull * pt_index(va, level),
	             (pfn << 12) | flags | PTE_P | (level > 1 ? PTE_PS : 0));
}

#endif
