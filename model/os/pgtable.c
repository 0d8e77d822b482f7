/* os/pgtable.c - the kernel's side of the page tables: allocate tables,
 * write entries (mirroring the user half of the top level into the PTI
 * user pgd, as pti_set_user_pgtbl does), find entries. */
#include "os/os.h"


uint64_t pt_alloc_table(kernel *k)
{
	uint64_t pfn;
	if (phys_alloc(&k->pm, 0, &pfn))
		return 0;
	phys_clear_frame(&k->pm, pfn);
	mmu_table_allocated(&k->sh);   /* the checker: hw/mmu.h */
	return pfn;
}

void pt_write(kernel *k, mm_struct *mm, uint64_t entry_pa, uint64_t val, unsigned level)
{
	phys_write64(&k->pm, entry_pa, val);
	mmu_tables_written(&k->sh, level);   /* the checker: hw/mmu.h */
	if (level == k->levels && mm && mm->user_pgd) {
		unsigned index = (unsigned)(entry_pa & 0xfff) / 8;
		if (index < 256)  /* user half only: the PTI user pgd maps no kernel */
			phys_write64(&k->pm, (mm->user_pgd << 12) + 8ull * index, val);
	}
}

/* Address of the entry for va at `level`, creating the tables above it
 * when asked.  0 when a table is missing (and !create), when a huge leaf
 * sits above the level, or (*err = 1) when memory is exhausted. */
uint64_t pt_entry_pa(kernel *k, mm_struct *mm, uint64_t va, unsigned level, bool create, int *err)
{
	uint64_t table = mm->pgd << 12;
	for (unsigned l = k->levels; l > level; l--) {
		uint64_t pa = table + 8ull * pt_index(va, l);
		uint64_t e = phys_read64(&k->pm, pa);
		if (!(e & PTE_P)) {
			if (!create)
				return 0;
			uint64_t pfn = pt_alloc_table(k);
			if (!pfn) {
				*err = 1;
				return 0;
			}
			e = (pfn << 12) | PAGE_TABLE;
			pt_write(k, mm, pa, e, l);
			mm_account_table(k, mm, l - 1, 1);   /* __pte_alloc -> mm_inc_nr_ptes, ... */
		} else if (pte_is_leaf(e, l)) {
			return 0;
		}
		table = e & PTE_ADDR;
	}
	return table + 8ull * pt_index(va, level);
}

/* The first page of [va, end) (va page-aligned) whose leaf pt_find_leaf
 * finds, or end: an entry that maps nothing skips all it would map, so a
 * large free range costs its tables, not its pages. */
uint64_t pt_next_leaf(kernel *k, const mm_struct *mm, uint64_t va, uint64_t end)
{
	while (va < end) {
		uint64_t table = mm->pgd << 12;
		unsigned l = k->levels;
		for (;; l--) {
			uint64_t e = phys_read64(&k->pm, table + 8ull * pt_index(va, l));
			if (!(e & PTE_P) && !(e & PTE_G))
				break;
			if (pte_is_leaf(e, l))
				return va;
			if (!(e & PTE_P))
				break;
			table = e & PTE_ADDR;
		}
		uint64_t next = (va | ((1ull << level_shift(l)) - 1)) + 1;   /* past what the entry maps */
		if (next <= va)
			return end;   /* the top of the address space */
		va = next;
	}
	return end;
}

/* The leaf entry for va (present, or PROT_NONE keeping its frame), or 0. */
uint64_t pt_find_leaf(kernel *k, const mm_struct *mm, uint64_t va, unsigned *level)
{
	uint64_t table = mm->pgd << 12;
	for (unsigned l = k->levels; l >= 1; l--) {
		uint64_t pa = table + 8ull * pt_index(va, l);
		uint64_t e = phys_read64(&k->pm, pa);
		if (!(e & PTE_P) && !(e & PTE_G))
			return 0;
		if (pte_is_leaf(e, l)) {
			*level = l;
			return pa;
		}
		if (!(e & PTE_P))
			return 0;
		table = e & PTE_ADDR;
	}
	return 0;
}
