/* os/vmalloc.c - the kernel's own mappings in the vmalloc area and the
 * flushes of kernel addresses (mm/vmalloc.c, arch/x86/mm/tlb.c, v6.18).
 *
 * vmap maps new 4 KiB frames as PAGE_KERNEL (global while pge=on and
 * pti=off, as the rest of the kernel half); vunmap clears them, flushes
 * the range on every CPU (flush_tlb_kernel_range) and frees the frames;
 * kflush is a kernel flush whose page-table change the trace does not
 * show (set_memory_*, the lazy purge of areas already unmapped, module
 * unload) or, with `all`, flush_tlb_all.  The page tables of the area
 * stay once made, as Linux keeps vmalloc page tables. */
#include "os/os.h"
#include "base/trace.h"

/* PAGE_KERNEL and PAGE_KERNEL_ROX/_EXEC for PROT: P, A, D, RW for w, NX
 * unless x, G where the kernel half is global (docs/semantics.md 2.1). */
static uint64_t kernel_pte_flags(const kernel *k, uint32_t prot)
{
	return PTE_P | PTE_A | PTE_D | ((prot & PROT_W_) ? PTE_RW : 0) |
	       ((prot & PROT_X_) ? 0 : PTE_XD) | ((k->pge && !k->pti) ? PTE_G : 0);
}

/* The top-level entry for va in init_mm, made if need be and copied into
 * every pgd: x86-64 preallocates the vmalloc area's top-level tables at
 * boot (preallocate_vmalloc_pages) so that every pgd_alloc copy shares
 * them; the model makes the table on first use and copies it into the
 * pgds already made, as sync_global_pgds does.  0, or -1 out of memory. */
static int sync_kernel_top(kernel *k, uint64_t va)
{
	unsigned top = k->levels, index = pt_index(va, top);
	uint64_t slot = (k->init_mm.pgd << 12) + 8ull * index;
	if (phys_read64(&k->pm, slot) & PTE_P)
		return 0;
	uint64_t pfn = pt_alloc_table(k);
	if (!pfn)
		return -1;
	uint64_t e = (pfn << 12) | PTE_P | PTE_RW | PTE_A | PTE_D;   /* _KERNPG_TABLE */
	pt_write(k, &k->init_mm, slot, e, top);
	for (mm_struct *mm = k->all_mm; mm; mm = mm->all_next)
		pt_write(k, mm, (mm->pgd << 12) + 8ull * index, e, top);
	return 0;
}

static int check_vmalloc(kernel *k, uint64_t addr, uint64_t end)
{
	if (addr < VMALLOC_START || end > VMALLOC_END)
		return os_fail(k, 2, "range 0x%llx-0x%llx is outside the vmalloc area 0x%llx-0x%llx",
		               (unsigned long long)addr, (unsigned long long)end,
		               (unsigned long long)VMALLOC_START, (unsigned long long)VMALLOC_END);
	return 0;
}

/* vmap_pages_range: a leaf per page, no flush (nothing was mapped). */
int os_vmap(kernel *k, unsigned cpu, uint64_t addr, uint64_t len, uint32_t prot)
{
	kcpu *c = &k->cpu[cpu];
	uint64_t end = addr + ((len + 0xfff) & ~0xfffull);
	if (check_vmalloc(k, addr, end))
		return -1;
	uint64_t mapped = pt_next_leaf(k, &k->init_mm, addr, end);
	if (mapped < end)
		return os_fail(k, 2, "0x%llx is mapped already (vmap maps only free vmalloc addresses)",
		               (unsigned long long)mapped);
	/* more pages than free frames cannot be mapped: the loop below would
	 * fail after mapping what memory holds (__vmalloc_node_range_noprof,
	 * mm/vmalloc.c v6.18, refuses more pages than totalram_pages at once) */
	if ((end - addr) >> 12 > k->pm.nframes - k->pm.frames_in_use)
		return os_fail(k, 0, "out of simulated physical memory (mem.size)");
	os_enter_kernel(k, cpu);
	c->clock += k->cfg->v[K_COST_MM_OP];
	uint64_t flags = kernel_pte_flags(k, prot);
	for (uint64_t a = addr; a < end; a += 4096) {
		int err = 0;
		uint64_t pfn;
		if (sync_kernel_top(k, a) || phys_alloc(&k->pm, 0, &pfn))
			return os_fail(k, 0, "out of simulated physical memory (mem.size)");
		uint64_t e = pt_entry_pa(k, &k->init_mm, a, 1, true, &err);
		if (!e) {
			phys_release(&k->pm, pfn, 0);
			return os_fail(k, 0, "out of simulated physical memory (mem.size)");
		}
		pt_write(k, &k->init_mm, e, (pfn << 12) | flags, 1);
		c->clock += k->cfg->v[K_COST_PTE];
	}
	return 0;
}

/* vfree of the area with its purge right away: vunmap_range_noflush
 * clears the entries, the frames are freed (vfree frees them before the
 * purge flushes; nothing allocates them before this record's flush),
 * then __purge_vmap_area_lazy's flush_tlb_kernel_range. */
int os_vunmap(kernel *k, unsigned cpu, uint64_t addr, uint64_t len)
{
	kcpu *c = &k->cpu[cpu];
	uint64_t end = addr + ((len + 0xfff) & ~0xfffull);
	if (check_vmalloc(k, addr, end))
		return -1;
	for (uint64_t a = addr; a < end; a += 4096) {
		unsigned level;
		uint64_t pa = pt_find_leaf(k, &k->init_mm, a, &level);
		if (!pa || !(phys_read64(&k->pm, pa) & PTE_P))
			return os_fail(k, 2, "0x%llx is not mapped (vunmap unmaps only what vmap mapped)",
			               (unsigned long long)a);
	}
	os_enter_kernel(k, cpu);
	c->clock += k->cfg->v[K_COST_MM_OP];
	for (uint64_t a = addr; a < end; a += 4096) {
		unsigned level;
		uint64_t pa = pt_find_leaf(k, &k->init_mm, a, &level);
		uint64_t old = phys_read64(&k->pm, pa);
		pt_write(k, &k->init_mm, pa, 0, 1);
		c->clock += k->cfg->v[K_COST_PTE];
		phys_release(&k->pm, (old & PTE_ADDR) >> 12, 0);
	}
	flush_tlb_kernel_range(k, c, addr, end);
	return 0;
}

int os_kflush(kernel *k, unsigned cpu, uint64_t addr, uint64_t len, bool all)
{
	kcpu *c = &k->cpu[cpu];
	uint64_t end = addr + ((len + 0xfff) & ~0xfffull);
	if (!all && addr < kernel_va_start(k->levels))
		return os_fail(k, 2, "0x%llx is not a kernel address (the kernel half of %u-level paging "
		               "begins at 0x%llx)", (unsigned long long)addr, k->levels,
		               (unsigned long long)kernel_va_start(k->levels));
	os_enter_kernel(k, cpu);
	if (all)
		flush_tlb_all(k, c);
	else
		flush_tlb_kernel_range(k, c, addr, end);
	return 0;
}
