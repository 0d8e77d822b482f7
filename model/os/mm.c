/* os/mm.c - mm_struct lifetime, VMAs and the page-table work of mmap,
 * munmap, mprotect, fork (dup_mmap) and exit (exit_mmap).
 *
 * Lifetime follows kernel/fork.c: mm_users counts tasks using the mm;
 * when it reaches 0 the user mappings and page tables are torn down and
 * the users' collective mm_count reference is dropped.  The struct (and
 * its pgd) goes when mm_count reaches 0, which a CPU lazily holding the mm
 * can delay.
 */
#include "os/os.h"
#include "base/trace.h"

#include <stdlib.h>
#include <string.h>

#define PAGE_TABLE (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D)

static uint64_t span_of(unsigned level) { return 1ull << level_shift(level); }

/* ---- VMAs: a sorted array per mm ---- */

static void vma_reserve(mm_struct *mm, size_t n)
{
	if (n <= mm->capvma)
		return;
	mm->capvma = n < 8 ? 8 : 2 * n;
	mm->vma = realloc(mm->vma, mm->capvma * sizeof *mm->vma);
	if (!mm->vma)
		abort();
}

/* Index of the first VMA ending after va. */
static size_t vma_lower(const mm_struct *mm, uint64_t va)
{
	size_t lo = 0, hi = mm->nvma;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (mm->vma[mid].end <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const vm_area *find_vma(const mm_struct *mm, uint64_t va)
{
	size_t i = vma_lower(mm, va);
	return i < mm->nvma && mm->vma[i].start <= va ? &mm->vma[i] : NULL;
}

static bool vma_overlaps(const mm_struct *mm, uint64_t s, uint64_t e)
{
	size_t i = vma_lower(mm, s);
	return i < mm->nvma && mm->vma[i].start < e;
}

/* Splits the VMA containing va (if any) so that va is a boundary. */
static void vma_split_at(mm_struct *mm, uint64_t va)
{
	size_t i = vma_lower(mm, va);
	if (i >= mm->nvma || mm->vma[i].start >= va)
		return;
	vma_reserve(mm, mm->nvma + 1);
	memmove(&mm->vma[i + 1], &mm->vma[i], (mm->nvma - i) * sizeof *mm->vma);
	mm->nvma++;
	mm->vma[i].end = va;
	mm->vma[i + 1].start = va;
}

static void vma_remove_range(mm_struct *mm, uint64_t s, uint64_t e)
{
	vma_split_at(mm, s);
	vma_split_at(mm, e);
	size_t i = vma_lower(mm, s), j = i;
	while (j < mm->nvma && mm->vma[j].end <= e)
		j++;
	if (j == i)
		return;
	memmove(&mm->vma[i], &mm->vma[j], (mm->nvma - j) * sizeof *mm->vma);
	mm->nvma -= j - i;
}

static void vma_insert(mm_struct *mm, vm_area v)
{
	vma_reserve(mm, mm->nvma + 1);
	size_t i = vma_lower(mm, v.start);
	memmove(&mm->vma[i + 1], &mm->vma[i], (mm->nvma - i) * sizeof *mm->vma);
	mm->vma[i] = v;
	mm->nvma++;
}

/* ---- mm lifetime ---- */

mm_struct *mm_alloc(kernel *k)
{
	mm_struct *mm = calloc(1, sizeof *mm);
	if (!mm)
		abort();
	mm->ctx_id = k->next_ctx_id++;
	mm->mm_users = 1;
	mm->mm_count = 1;
	mm->pgd = pt_alloc_table(k);
	if (!mm->pgd) {
		free(mm);
		return NULL;
	}
	/* pgd_alloc: the kernel half is shared from swapper_pg_dir */
	for (unsigned i = 256; i < 512; i++) {
		uint64_t e = phys_read64(&k->pm, (k->init_mm.pgd << 12) + 8ull * i);
		if (e)
			phys_write64(&k->pm, (mm->pgd << 12) + 8ull * i, e);
	}
	if (k->pti) {
		mm->user_pgd = pt_alloc_table(k);
		if (!mm->user_pgd) {
			phys_release(&k->pm, mm->pgd, 0);
			free(mm);
			return NULL;
		}
	}
	k->st->mm_created++;
	mm->all_next = k->all_mm;
	if (k->all_mm)
		k->all_mm->all_prev = mm;
	k->all_mm = mm;
	return mm;
}

void mmgrab(mm_struct *mm)
{
	if (!mm->is_init)
		mm->mm_count++;
}

/* __mmdrop: the struct and its pgd go.  lazy_ref: the final reference was
 * a lazily borrowed active_mm, so the free came late (mm.free_deferred). */
void mmdrop(kernel *k, mm_struct *mm, bool lazy_ref)
{
	if (mm->is_init || --mm->mm_count > 0)
		return;
	phys_release(&k->pm, mm->pgd, 0);
	if (mm->user_pgd)
		phys_release(&k->pm, mm->user_pgd, 0);
	k->st->mm_freed++;
	if (lazy_ref)
		k->st->mm_free_deferred++;
	for (unsigned c = 0; c < k->ncpus; c++)
		if (k->cpu[c].tlbstate.loaded_mm == mm)
			abort();  /* a CPU still runs on it: a model bug */
	mm_unlink_free(k, mm);
}

void mm_unlink_free(kernel *k, mm_struct *mm)
{
	if (mm->all_prev)
		mm->all_prev->all_next = mm->all_next;
	else
		k->all_mm = mm->all_next;
	if (mm->all_next)
		mm->all_next->all_prev = mm->all_prev;
	free(mm->vma);
	free(mm);
}

/* ---- unmapping ---- */

struct zap {
	uint64_t lo, hi;          /* range of cleared leaves */
	uint32_t shifts;          /* leaf sizes cleared (bit per level) */
	uint64_t pages;           /* 4 KiB pages unmapped */
	bool freed_tables;
};

static void put_frame(kernel *k, uint64_t pfn, unsigned level)
{
	uint16_t n = phys_refcount(&k->pm, pfn);
	if (n > 1)
		phys_set_refcount(&k->pm, pfn, (uint16_t)(n - 1));
	else
		phys_release(&k->pm, pfn, 9 * (level - 1));
}

static void free_table_tree(kernel *k, uint64_t table_pfn, unsigned level)
{
	if (level > 1)
		for (unsigned i = 0; i < 512; i++) {
			uint64_t e = phys_read64(&k->pm, (table_pfn << 12) + 8ull * i);
			if ((e & PTE_P) && !(e & PTE_PS))
				free_table_tree(k, (e & PTE_ADDR) >> 12, level - 1);
		}
	phys_clear_frame(&k->pm, table_pfn);
	phys_release(&k->pm, table_pfn, 0);
}

/* split_huge_pmd/pud: a huge leaf becomes a table of 512 smaller leaves
 * mapping the same frames.  Returns false when memory is exhausted. */
static bool split_leaf(kernel *k, mm_struct *mm, uint64_t pa, unsigned level)
{
	uint64_t e = phys_read64(&k->pm, pa);
	uint64_t table = pt_alloc_table(k);
	if (!table)
		return false;
	uint64_t base = (e & PTE_ADDR) >> 12, step = 1ull << (9 * (level - 2));
	uint16_t refs = phys_refcount(&k->pm, base);
	uint64_t flags = e & ~PTE_ADDR & ~(level == 2 ? PTE_PS : 0);
	for (uint64_t i = 0; i < 512; i++) {
		phys_write64(&k->pm, (table << 12) + 8 * i, ((base + i * step) << 12) | flags);
		phys_set_refcount(&k->pm, base + i * step, refs);
	}
	pt_write(k, mm, pa, (table << 12) | PAGE_TABLE, level);
	return true;
}

/* Visits the leaves mapping [s, e) under one table, splitting a huge leaf
 * that lies across an end first; after each lower table, table_done. */
struct range_visit {
	void (*leaf)(kernel *k, mm_struct *mm, uint64_t pa, uint64_t ent, unsigned level,
	             uint64_t lo, uint64_t hi, void *ctx);
	void (*table_done)(kernel *k, mm_struct *mm, uint64_t pa, uint64_t ent, unsigned level,
	                   uint64_t lo, uint64_t hi, void *ctx);
	void *ctx;
};

static int walk_range(kernel *k, mm_struct *mm, uint64_t table_pfn, unsigned level,
                      uint64_t base, uint64_t s, uint64_t e, const struct range_visit *v)
{
	uint64_t span = span_of(level);
	for (unsigned i = pt_index(s > base ? s : base, level); i < 512; i++) {
		uint64_t lo = base + i * span, hi = lo + span;
		if (lo >= e)
			break;
		uint64_t pa = (table_pfn << 12) + 8ull * i;
		uint64_t ent = phys_read64(&k->pm, pa);
		bool leaf = level == 1 || (level <= 3 && (ent & PTE_PS));
		if (!(ent & PTE_P) && !(leaf && (ent & PTE_G)))
			continue;   /* neither present nor a PROT_NONE leaf */
		if (leaf && (lo < s || hi > e)) {
			if (!split_leaf(k, mm, pa, level))
				return -1;
			ent = phys_read64(&k->pm, pa);
			leaf = false;
		}
		if (leaf) {
			v->leaf(k, mm, pa, ent, level, lo, hi, v->ctx);
			continue;
		}
		if (walk_range(k, mm, (ent & PTE_ADDR) >> 12, level - 1, lo, s, e, v))
			return -1;
		if (v->table_done)
			v->table_done(k, mm, pa, ent, level, lo, hi, v->ctx);
	}
	return 0;
}

static void zap_leaf(kernel *k, mm_struct *mm, uint64_t pa, uint64_t ent, unsigned level,
                     uint64_t lo, uint64_t hi, void *ctx)
{
	struct zap *z = ctx;
	pt_write(k, mm, pa, 0, level);
	put_frame(k, (ent & PTE_ADDR) >> 12, level);
	if (ent & PTE_P) {
		z->lo = lo < z->lo ? lo : z->lo;
		z->hi = hi > z->hi ? hi : z->hi;
		z->shifts |= 1u << level;
	}
	z->pages += (hi - lo) >> 12;
}

/* free_pgtables: a table whose span no VMA covers any more goes. */
static void zap_table(kernel *k, mm_struct *mm, uint64_t pa, uint64_t ent, unsigned level,
                      uint64_t lo, uint64_t hi, void *ctx)
{
	struct zap *z = ctx;
	if (vma_overlaps(mm, lo, hi))
		return;
	pt_write(k, mm, pa, 0, level);
	free_table_tree(k, (ent & PTE_ADDR) >> 12, level - 1);
	z->freed_tables = true;
}

static int zap_range(kernel *k, mm_struct *mm, uint64_t s, uint64_t e, struct zap *z)
{
	struct range_visit v = { zap_leaf, zap_table, z };
	return walk_range(k, mm, mm->pgd, k->levels, 0, s, e, &v);
}

/* Unmaps [s, e) (VMAs and pages) and flushes like unmap_region +
 * tlb_finish_mmu: one flush_tlb_mm_range over the cleared range, with the
 * stride of the leaves if they were all huge, if anything was cleared. */
static int unmap_range(kernel *k, kcpu *c, mm_struct *mm, uint64_t s, uint64_t e, bool flush)
{
	vma_remove_range(mm, s, e);
	struct zap z = { .lo = UINT64_MAX, .hi = 0 };
	if (zap_range(k, mm, s, e, &z))
		return os_fail(k, 0, "out of simulated physical memory (mem.size)");
	c->clock += (uint64_t)k->cfg->v[K_COST_PTE] * (z.pages ? z.pages : 1);
	if (!flush || (z.hi == 0 && !z.freed_tables))
		return 0;
	unsigned stride = z.shifts == (1u << 2) ? 21 : z.shifts == (1u << 3) ? 30 : 12;
	if (z.hi == 0)
		z.lo = s, z.hi = e;
	flush_tlb_mm_range(k, c, mm, z.lo, z.hi, stride, z.freed_tables);
	return 0;
}

/* exit_mmap: everything goes; one full flush with freed tables, which
 * reaches lazy CPUs too (they switch to init_mm). */
static void exit_mmap(kernel *k, kcpu *c, mm_struct *mm)
{
	mm->nvma = 0;
	struct zap z = { .lo = UINT64_MAX, .hi = 0 };
	zap_range(k, mm, 0, user_va_limit(k->levels), &z);
	c->clock += (uint64_t)k->cfg->v[K_COST_PTE] * (z.pages ? z.pages : 1);
	mm->users_gone = true;
	flush_tlb_mm_range(k, c, mm, 0, TLB_FLUSH_ALL, 12, true);
}

void mmput(kernel *k, kcpu *c, mm_struct *mm)
{
	if (mm->is_init || --mm->mm_users > 0)
		return;
	exit_mmap(k, c, mm);
	mmdrop(k, mm, false);
}

/* ---- building leaves ---- */

uint64_t make_leaf(uint64_t pfn, uint32_t prot, unsigned level, bool writable, bool dirty)
{
	uint64_t e = (pfn << 12) | PTE_P | PTE_US;
	if (writable && (prot & PROT_W_))
		e |= PTE_RW;
	if (!(prot & PROT_X_))
		e |= PTE_XD;
	if (level > 1)
		e |= PTE_PS;
	if (dirty)
		e |= PTE_D | PTE_A;
	return e;
}

/* The page size a fault or populate at va uses: giant (1 GiB) and huge
 * (2 MiB) where the aligned block lies inside the VMA and nothing smaller
 * is mapped there yet. */
unsigned leaf_level_for(kernel *k, mm_struct *mm, const vm_area *v, uint64_t va)
{
	int err = 0;
	if (v->flags & MAPF_GIANT) {
		uint64_t b = va & ~(span_of(3) - 1);
		if (b >= v->start && b + span_of(3) <= v->end) {
			uint64_t pa = pt_entry_pa(k, mm, va, 3, false, &err);
			if (pa == 0 || phys_read64(&k->pm, pa) == 0)
				return 3;
		}
	}
	if (v->flags & (MAPF_HUGE | MAPF_GIANT)) {
		uint64_t b = va & ~(span_of(2) - 1);
		if (b >= v->start && b + span_of(2) <= v->end) {
			uint64_t pa = pt_entry_pa(k, mm, va, 2, false, &err);
			if (pa == 0 || phys_read64(&k->pm, pa) == 0)
				return 2;
		}
	}
	return 1;
}

/* Maps one page at va (do_anonymous_page / populate).  0, or -1 (memory). */
int map_new_page(kernel *k, mm_struct *mm, const vm_area *v, uint64_t va, bool dirty,
                 unsigned *level_out)
{
	unsigned level = leaf_level_for(k, mm, v, va);
	int err = 0;
	uint64_t pa = pt_entry_pa(k, mm, va, level, true, &err);
	uint64_t pfn;
	if (!pa || phys_alloc(&k->pm, 9 * (level - 1), &pfn))
		return -1;
	pt_write(k, mm, pa, make_leaf(pfn, v->prot, level, true, dirty), level);
	if (level_out)
		*level_out = level;
	return 0;
}

/* ---- the mm system calls ---- */

int os_mmap(kernel *k, unsigned cpu, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags)
{
	kcpu *c = &k->cpu[cpu];
	mm_struct *mm = c->curr->mm;
	uint64_t end = addr + ((len + 0xfff) & ~0xfffull);
	if (end > user_va_limit(k->levels) || end < addr)
		return os_fail(k, 2, "mapping 0x%llx+0x%llx is outside the user half of %u-level paging",
		               (unsigned long long)addr, (unsigned long long)len, k->levels);
	c->clock += k->cfg->v[K_COST_MM_OP];
	if (unmap_range(k, c, mm, addr, end, true))   /* MAP_FIXED replaces */
		return -1;
	vm_area v = { addr, end, prot, flags };
	vma_insert(mm, v);
	if (!(flags & MAPF_POPULATE) || prot == 0)
		return 0;
	const vm_area *vp = find_vma(mm, addr);
	for (uint64_t va = addr; va < end;) {
		unsigned level;
		if (map_new_page(k, mm, vp, va, (prot & PROT_W_) != 0, &level))
			return os_fail(k, 0, "out of simulated physical memory (mem.size)");
		c->clock += k->cfg->v[K_COST_PTE];
		va = (va & ~(span_of(level) - 1)) + span_of(level);
	}
	return 0;
}

int os_munmap(kernel *k, unsigned cpu, uint64_t addr, uint64_t len)
{
	kcpu *c = &k->cpu[cpu];
	uint64_t end = addr + ((len + 0xfff) & ~0xfffull);
	if (end > user_va_limit(k->levels) || end < addr)
		return os_fail(k, 2, "range 0x%llx+0x%llx is outside the user half",
		               (unsigned long long)addr, (unsigned long long)len);
	c->clock += k->cfg->v[K_COST_MM_OP];
	return unmap_range(k, c, c->curr->mm, addr, end, true);
}

struct change {
	uint64_t lo, hi;
	uint32_t shifts;
	uint64_t pages;
};

/* change_protection for one leaf; a flush is needed only where rights
 * were removed (x86 pte_needs_flush). */
static void change_leaf(kernel *k, mm_struct *mm, uint64_t pa, uint64_t ent, unsigned level,
                        uint64_t lo, uint64_t hi, void *ctx)
{
	struct change *ch = ctx;
	const vm_area *v = find_vma(mm, lo);
	uint32_t prot = v ? v->prot : 0;
	uint64_t pfn = (ent & PTE_ADDR) >> 12;
	uint64_t keep = ent & (PTE_A | PTE_D | PTE_PS | PTE_ADDR);
	uint64_t n;
	if (prot == 0) {
		n = keep | PTE_G;  /* PROT_NONE: not present, frame kept */
	} else {
		bool exclusive = (v->flags & MAPF_SHARED) || phys_refcount(&k->pm, pfn) <= 1;
		n = keep | PTE_P | PTE_US | ((prot & PROT_W_) && exclusive ? PTE_RW : 0) |
		    ((prot & PROT_X_) ? 0 : PTE_XD);
	}
	if (n == ent)
		return;
	pt_write(k, mm, pa, n, level);
	ch->pages += (hi - lo) >> 12;
	bool removed = ((ent & PTE_P) && !(n & PTE_P)) || ((ent & PTE_RW) && !(n & PTE_RW)) ||
	               (!(ent & PTE_XD) && (n & PTE_XD));
	if (removed && (ent & PTE_P)) {
		ch->lo = lo < ch->lo ? lo : ch->lo;
		ch->hi = hi > ch->hi ? hi : ch->hi;
		ch->shifts |= 1u << level;
	}
}

int os_mprotect(kernel *k, unsigned cpu, uint64_t addr, uint64_t len, uint32_t prot)
{
	kcpu *c = &k->cpu[cpu];
	mm_struct *mm = c->curr->mm;
	uint64_t end = addr + ((len + 0xfff) & ~0xfffull);
	if (end > user_va_limit(k->levels) || end < addr)
		return os_fail(k, 2, "range 0x%llx+0x%llx is outside the user half",
		               (unsigned long long)addr, (unsigned long long)len);
	c->clock += k->cfg->v[K_COST_MM_OP];
	vma_split_at(mm, addr);
	vma_split_at(mm, end);
	for (size_t i = vma_lower(mm, addr); i < mm->nvma && mm->vma[i].start < end; i++)
		mm->vma[i].prot = prot;
	struct change ch = { .lo = UINT64_MAX };
	struct range_visit visit = { change_leaf, NULL, &ch };
	if (walk_range(k, mm, mm->pgd, k->levels, 0, addr, end, &visit))
		return os_fail(k, 0, "out of simulated physical memory (mem.size)");
	c->clock += (uint64_t)k->cfg->v[K_COST_PTE] * ch.pages;
	if (ch.hi) {
		unsigned stride = ch.shifts == (1u << 2) ? 21 : ch.shifts == (1u << 3) ? 30 : 12;
		flush_tlb_mm_range(k, c, mm, ch.lo, ch.hi, stride, false);
	}
	return 0;
}

/* ---- fork ---- */

/* copy_page_range for one table: private writable pages become COW
 * (read-only in both), every copied leaf takes a frame reference. */
static int copy_level(kernel *k, mm_struct *old, mm_struct *mm, uint64_t table_pfn,
                      unsigned level, uint64_t base, uint64_t *copied)
{
	uint64_t span = span_of(level);
	for (unsigned i = 0; i < 512; i++) {
		uint64_t lo = base + i * span;
		if (level == k->levels && i >= 256)
			break;   /* the kernel half is shared, not copied */
		uint64_t pa = (table_pfn << 12) + 8ull * i;
		uint64_t ent = phys_read64(&k->pm, pa);
		bool leaf = level == 1 || (level <= 3 && (ent & PTE_PS));
		if (!(ent & PTE_P) && !(leaf && (ent & PTE_G)))
			continue;
		if (!leaf) {
			if (copy_level(k, old, mm, (ent & PTE_ADDR) >> 12, level - 1, lo, copied))
				return -1;
			continue;
		}
		const vm_area *v = find_vma(old, lo);
		if (v && !(v->flags & MAPF_SHARED) && (ent & PTE_RW)) {
			ent &= ~PTE_RW;
			pt_write(k, old, pa, ent, level);
		}
		int err = 0;
		uint64_t cpa = pt_entry_pa(k, mm, lo, level, true, &err);
		if (!cpa)
			return -1;
		pt_write(k, mm, cpa, ent, level);
		uint64_t pfn = (ent & PTE_ADDR) >> 12;
		phys_set_refcount(&k->pm, pfn, (uint16_t)(phys_refcount(&k->pm, pfn) + 1));
		(*copied)++;
	}
	return 0;
}

/* dup_mmap: VMAs and page tables, then flush_tlb_mm(oldmm) because the
 * parent's writable pages just became read-only. */
int dup_mmap(kernel *k, kcpu *c, mm_struct *old, mm_struct *mm)
{
	vma_reserve(mm, old->nvma);
	if (old->nvma)
		memcpy(mm->vma, old->vma, old->nvma * sizeof *old->vma);
	mm->nvma = old->nvma;
	uint64_t copied = 0;
	if (copy_level(k, old, mm, old->pgd, k->levels, 0, &copied))
		return os_fail(k, 0, "out of simulated physical memory (mem.size)");
	c->clock += 2 * copied * k->cfg->v[K_COST_PTE];
	flush_tlb_mm_range(k, c, old, 0, TLB_FLUSH_ALL, 12, false);
	return 0;
}
