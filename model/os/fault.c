/* os/fault.c - the page-fault handler (arch/x86/mm/fault.c, mm/memory.c
 * handle_mm_fault, v6.18): demand paging with the zero page and
 * fault-around, COW break (copy or reuse), write-notify of shared
 * mappings, SIGSEGV. */
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

/* do_wp_page: a write to a present, read-only page of a writable VMA.
 * - a shared mapping: made writable where it is (wp_page_shared); no flush;
 * - an anonymous page that is exclusive, or whose last reference this is
 *   (wp_can_reuse_anon_folio): reused, exclusive again (wp_page_reuse);
 *   no flush, the faulting access already dropped the stale entry;
 * - the zero page, a page-cache page, or an anonymous page still shared:
 *   copied (wp_page_copy), the old translation flushed by
 *   ptep_clear_flush -> flush_tlb_page. */
static int do_wp_page(kernel *k, kcpu *c, mm_struct *mm, const vm_area *v, uint64_t va,
                      uint64_t pa, unsigned level)
{
	uint64_t ent = phys_read64(&k->pm, pa);
	uint64_t pfn = (ent & PTE_ADDR) >> 12;
	uint64_t span = 1ull << level_shift(level);
	cpu_stats *cs = &k->st->cpu[c->id];
	if (v->flags & MAPF_SHARED) {
		cs->faults_wp_shared++;
		pt_write(k, mm, pa, ent | PTE_RW | PTE_D | PTE_A, level);
		return 1;
	}
	cs->faults_cow++;
	bool anon = !(ent & (PTE_SPECIAL | PTE_FILEPAGE));
	if (anon && ((ent & PTE_EXCL) || phys_refcount(&k->pm, pfn) <= 1)) {
		pt_write(k, mm, pa, ent | PTE_RW | PTE_D | PTE_A | PTE_EXCL, level);
		return 1;
	}
	uint64_t copy;
	if (phys_alloc(&k->pm, 9 * (level - 1), &copy))
		return -1;
	put_frame(k, ent, level);
	c->clock += os_cycles_times(span >> 12, k->cfg->v[K_COST_COPY_PAGE]);
	uint64_t keep = ent & ~(PTE_ADDR | PTE_SPECIAL | PTE_FILEPAGE);
	uint64_t leaf = keep | (copy << 12) | PTE_RW | PTE_D | PTE_A | PTE_EXCL;
	pt_write(k, mm, pa, leaf, level);
	/* wp_page_copy: a file page's counter goes down and the anonymous
	 * one up (dec_mm_counter(mm_counter_file), inc_mm_counter(MM_ANONPAGES));
	 * from the zero page only the latter; a shared anonymous page was
	 * anonymous already */
	uint32_t vflags = v->flags;
	add_mm_counter(mm, mm_counter_of(vflags, ent), -(int64_t)(span >> 12));
	add_mm_counter(mm, mm_counter_of(vflags, leaf), (int64_t)(span >> 12));
	anon_vma_prepare(k, find_vma_mut(mm, va));
	flush_tlb_page(k, c, mm, va, level);
	return 1;
}

/* A fault on a page not present (do_pte_missing):
 * - anonymous private: a read maps the zero page, a write a new page of
 *   its own (do_anonymous_page; huge VMAs map a huge page either way);
 * - file-backed: a read maps the page cache and the pages around it
 *   (do_read_fault -> do_fault_around); a write to a private mapping
 *   gets its own copy (do_cow_fault), to a shared one the page itself
 *   (do_shared_fault);
 * - shared anonymous (shmem, shmem_anon_vm_ops): do_fault as for a file
 *   -- a read first maps the object's pages around it (do_read_fault ->
 *   do_fault_around -> filemap_map_pages), then, if the page itself is
 *   not in the object yet, shmem_fault allocates it; a write maps the
 *   object's page (do_shared_fault).  Every mapping of the object, a
 *   forked child's too, maps the same frames.  A huge (hugetlb) VMA has
 *   no map_pages: no fault-around.
 * - a special mapping (special_mapping_fault, mm/mmap.c; its
 *   special_mapping_vmops have no map_pages: no fault-around either):
 *   [vvar] and [vvar_vclock] insert a raw PFN (vmf_insert_pfn ->
 *   pte_mkspecial: a special PTE in no RSS counter; the shared zero
 *   frame here, as every process maps the same kernel page), [vdso]
 *   (special file) returns its page, which finish_fault ->
 *   set_pte_range counts in MM_FILEPAGES. */
static int do_pte_missing(kernel *k, mm_struct *mm, vm_area *v, uint64_t va,
                          enum access_kind kind)
{
	bool write = kind == ACC_WRITE, shared = (v->flags & MAPF_SHARED) != 0;
	if (v->flags & MAPF_SPECIAL) {
		enum page_kind sp = write && !shared ? PAGE_ANON : (v->flags & MAPF_FILE) ? PAGE_FILE : PAGE_ZERO;
		return map_new_page(k, mm, v, va, sp, write, NULL);
	}
	bool around = (v->flags & MAPF_FILE) ||
	              (shared && !(v->flags & (MAPF_HUGE | MAPF_GIANT)));
	enum page_kind page;
	if (!write && around) {
		if (fault_around(k, mm, v, va) < 0)
			return -1;
		unsigned level;
		if (pt_find_leaf(k, mm, va, &level))
			return 0;
	}
	if (v->flags & MAPF_FILE) {
		page = write && !shared ? PAGE_ANON : PAGE_FILE;
	} else if (shared) {
		page = PAGE_SHARED_ANON;
	} else {
		page = write || (v->flags & (MAPF_HUGE | MAPF_GIANT)) ? PAGE_ANON : PAGE_ZERO;
	}
	return map_new_page(k, mm, v, va, page, write, NULL);
}

int handle_mm_fault(kernel *k, kcpu *c, uint64_t va, enum access_kind kind)
{
	mm_struct *mm = c->curr->mm;
	cpu_stats *cs = &k->st->cpu[c->id];
	c->clock += k->cfg->v[K_COST_FAULT];
	if (!mm || va >= user_va_limit(k->levels))
		return 0;   /* kernel address: unmapped, or a user access to it */
	vm_area *v = find_vma_mut(mm, va);
	if (!v || !vma_allows(v, kind))
		return 0;
	unsigned level = 1;
	uint64_t pa = pt_find_leaf(k, mm, va, &level);
	uint64_t ent = pa ? phys_read64(&k->pm, pa) : 0;
	if (!(ent & PTE_P)) {
		if (do_pte_missing(k, mm, v, va, kind))
			return -1;
		cs->faults_demand++;
		return 1;
	}
	if (kind == ACC_WRITE && !(ent & PTE_RW))
		return do_wp_page(k, c, mm, v, va, pa, level);
	/* spurious: the tables already allow it (a stale, weaker TLB entry) */
	cs->faults_spurious++;
	return 1;
}
