/* os/fault.c - the page-fault handler (arch/x86/mm/fault.c, mm/memory.c):
 * demand paging, COW break (copy or reuse), SIGSEGV. */
#include "os/os.h"
#include "base/trace.h"

static bool vma_allows(const vm_area *v, enum access_kind kind)
{
	switch (kind) {
	case ACC_WRITE: return (v->prot & PROT_W_) != 0;
	case ACC_EXEC:  return (v->prot & PROT_X_) != 0;
	default:        return v->prot != 0;  /* x86: any right implies read */
	}
}

/* wp_page_copy / wp_page_reuse (mm/memory.c): a write to a present,
 * read-only page of a writable private VMA.  The last reference reuses
 * the frame (no flush: the faulting access already dropped the stale
 * entry locally); otherwise the page is copied and the old translation
 * flushed (ptep_clear_flush). */
static int do_wp_page(kernel *k, kcpu *c, mm_struct *mm, uint64_t va, uint64_t pa,
                      unsigned level)
{
	uint64_t ent = phys_read64(&k->pm, pa);
	uint64_t pfn = (ent & PTE_ADDR) >> 12;
	uint64_t span = 1ull << level_shift(level);
	uint16_t refs = phys_refcount(&k->pm, pfn);
	k->st->cpu[c->id].faults_cow++;
	if (refs <= 1) {
		pt_write(k, mm, pa, ent | PTE_RW | PTE_D | PTE_A, level);
		return 1;
	}
	uint64_t copy;
	if (phys_alloc(&k->pm, 9 * (level - 1), &copy))
		return -1;
	phys_set_refcount(&k->pm, pfn, (uint16_t)(refs - 1));
	c->clock += k->cfg->v[K_COST_COPY_PAGE] * (span >> 12);
	pt_write(k, mm, pa, (ent & ~PTE_ADDR) | (copy << 12) | PTE_RW | PTE_D | PTE_A, level);
	uint64_t base = va & ~(span - 1);
	flush_tlb_mm_range(k, c, mm, base, base + span, level_shift(level), false);
	return 1;
}

int handle_mm_fault(kernel *k, kcpu *c, uint64_t va, enum access_kind kind)
{
	mm_struct *mm = c->curr->mm;
	c->clock += k->cfg->v[K_COST_FAULT];
	if (!mm || va >= user_va_limit(k->levels))
		return 0;   /* kernel address: unmapped, or a user access to it */
	const vm_area *v = find_vma(mm, va);
	if (!v || !vma_allows(v, kind))
		return 0;
	unsigned level = 1;
	uint64_t pa = pt_find_leaf(k, mm, va, &level);
	uint64_t ent = pa ? phys_read64(&k->pm, pa) : 0;
	if (!(ent & PTE_P)) {
		if (map_new_page(k, mm, v, va, kind == ACC_WRITE, NULL))
			return -1;
		k->st->cpu[c->id].faults_demand++;
		return 1;
	}
	if (kind == ACC_WRITE && !(ent & PTE_RW))
		return do_wp_page(k, c, mm, va, pa, level);
	/* spurious: the tables already allow it (a stale, weaker TLB entry) */
	return 1;
}
