/* os/mm.c - mm_struct lifetime and the page-table work of mmap, munmap,
 * mprotect, madvise, mremap, fork (dup_mmap), exit (exit_mmap) and the
 * state declarations (vma, present).
 *
 * Lifetime follows kernel/fork.c: mm_users counts tasks using the mm;
 * when it reaches 0 the user mappings and page tables are torn down and
 * the users' collective mm_count reference is dropped.  The struct (and
 * its pgd) goes when mm_count reaches 0, which a CPU lazily holding the mm
 * can delay.
 *
 * Unmapping and changes of rights gather what they cleared the way
 * Linux's mmu_gather does (include/asm-generic/tlb.h, mm/mmu_gather.c,
 * v6.18) and flush at the end, as x86's tlb_flush (arch/x86/include/asm/
 * tlb.h) does: one flush_tlb_mm_range over the gathered range, all VMAs
 * of the call merged (CONFIG_MMU_GATHER_MERGE_VMAS), with freed_tables
 * when a page table went.  A zap flushes earlier, and the flush resets
 * the range, where Linux's zap_pte_range does: after a dirty shmem or
 * file page (its rmap removal is delayed until the flush) and when the
 * gather's page batches are full.
 */
#include "os/os.h"
#include "base/output.h"
#include "base/trace.h"

#include <stdlib.h>
#include <string.h>

static uint64_t span_of(unsigned level) { return 1ull << level_shift(level); }

/* ---- accounting (docs/model.md, "Accounting") ---- */

static uint64_t pages_of_level(unsigned level) { return 1ull << (9 * (level - 1)); }

/* mm_counter / mm_counter_file (include/linux/mm.h): the zero page is
 * not counted (vm_normal_page: special); a page of a huge or giant VMA
 * is hugetlb's (hugetlb_count_add, HugetlbPages, not RSS); a page-cache
 * page is MM_FILEPAGES; other pages of a shared mapping are shmem's
 * (MM_SHMEMPAGES); the rest is anonymous. */
int mm_counter_of(uint32_t vma_flags, uint64_t pte)
{
	if (pte & PTE_SPECIAL)
		return -1;
	if (vma_flags & (MAPF_HUGE | MAPF_GIANT))
		return MM_HUGETLB;
	if (pte & PTE_FILEPAGE)
		return MM_FILEPAGES;
	return (vma_flags & MAPF_SHARED) ? MM_SHMEMPAGES : MM_ANONPAGES;
}

/* add_mm_counter (include/linux/mm.h), and hugetlb_count_add */
void add_mm_counter(mm_struct *mm, int member, int64_t pages)
{
	if (member == MM_HUGETLB)
		mm->hugetlb_usage += pages;
	else if (member >= 0)
		mm->rss_stat[member] += pages;
}

/* A leaf of `level` mapping `pte` in a VMA with vma_flags came (sign 1)
 * or went (-1). */
static void account_leaf(mm_struct *mm, uint32_t vma_flags, uint64_t pte, unsigned level, int sign)
{
	add_mm_counter(mm, mm_counter_of(vma_flags, pte), sign * (int64_t)pages_of_level(level));
}

static uint64_t get_mm_rss(const mm_struct *mm)
{
	return (uint64_t)(mm->rss_stat[MM_FILEPAGES] + mm->rss_stat[MM_ANONPAGES] +
	                  mm->rss_stat[MM_SHMEMPAGES]);
}

/* update_hiwater_rss (include/linux/mm.h): before RSS is lowered. */
static void update_hiwater_rss(mm_struct *mm)
{
	uint64_t rss = get_mm_rss(mm);
	if (mm->hiwater_rss < rss)
		mm->hiwater_rss = rss;
}

/* mm_inc_nr_ptes / mm_inc_nr_pmds / mm_inc_nr_puds (include/linux/mm.h)
 * and their mm_dec_ twins: each page-table page below the PGD counts
 * PTRS_PER_xxx * 8 bytes in pgtables_bytes, but a P4D table (5-level
 * paging) is not counted, and neither is the PGD (pgd_alloc).  `level`
 * is the table's: 1 a PTE table, 2 a PMD table, 3 a PUD table. */
void mm_account_table(kernel *k, mm_struct *mm, unsigned level, int sign)
{
	(void)k;
	if (mm && !mm->is_init && level >= 1 && level <= 3)
		mm->pgtables_bytes += sign * 512 * 8;
}

/* ---- mm lifetime ---- */

/* mm_alloc + init_new_context.  c is the CPU doing it (NULL for the
 * processes a trace declares, which existed before it began). */
mm_struct *mm_alloc(kernel *k, kcpu *c)
{
	mm_struct *mm = calloc(1, sizeof *mm);
	if (!mm)
		output_out_of_memory();
	mm->ctx_id = k->next_ctx_id++;
	mm->mm_users = 1;
	mm->mm_count = 1;
	/* init_new_context: next_trim_cpumask = jiffies + HZ; a declared
	 * process is older than the trace, its second long gone */
	mm->next_trim_cpumask = c ? os_jiffies(k, c) + (int64_t)k->hz : -1;
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
	mm_free_global_asid(k, mm);   /* destroy_context */
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
	vma_drop_all(k, mm);
	free(mm->vma);
	free(mm);
}

/* ---- frames ---- */

/* Drops a leaf's reference on its frame; the zero page is never
 * counted (vm_normal_page: it is special). */
void put_frame(kernel *k, uint64_t pte, unsigned level)
{
	if (pte & PTE_SPECIAL)
		return;
	uint64_t pfn = (pte & PTE_ADDR) >> 12;
	uint16_t n = phys_refcount(&k->pm, pfn);
	if (n > 1)
		phys_set_refcount(&k->pm, pfn, (uint16_t)(n - 1));
	else
		phys_release(&k->pm, pfn, 9 * (level - 1));
}

static void get_frame(kernel *k, uint64_t pte)
{
	if (pte & PTE_SPECIAL)
		return;
	uint64_t pfn = (pte & PTE_ADDR) >> 12;
	phys_set_refcount(&k->pm, pfn, (uint16_t)(phys_refcount(&k->pm, pfn) + 1));
}

/* free_pte_range / free_pmd_range / free_pud_range: the table and the
 * tables below it go (mm_dec_nr_ptes and the like). */
static void free_table_tree(kernel *k, mm_struct *mm, uint64_t table_pfn, unsigned level)
{
	if (level > 1)
		for (unsigned i = 0; i < 512; i++) {
			uint64_t e = phys_read64(&k->pm, (table_pfn << 12) + 8ull * i);
			if ((e & PTE_P) && !pte_is_leaf(e, level))
				free_table_tree(k, mm, (e & PTE_ADDR) >> 12, level - 1);
		}
	phys_clear_frame(&k->pm, table_pfn);
	phys_release(&k->pm, table_pfn, 0);
	mm_account_table(k, mm, level, -1);
}

/* split_huge_pmd/pud: a huge leaf becomes a table of 512 smaller leaves
 * mapping the same frames.  Returns false when memory is exhausted. */
static bool split_leaf(kernel *k, mm_struct *mm, uint64_t pa, unsigned level)
{
	uint64_t e = phys_read64(&k->pm, pa);
	uint64_t table = pt_alloc_table(k);
	if (!table)
		return false;
	mm_account_table(k, mm, level - 1, 1);
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

/* ---- walking a range of the page tables ---- */

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
		bool leaf = pte_is_leaf(ent, level);
		if (!(ent & PTE_P) && !(leaf && (ent & PTE_PROTNONE)))
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

static int walk_user_range(kernel *k, mm_struct *mm, uint64_t s, uint64_t e,
                           const struct range_visit *v)
{
	return walk_range(k, mm, mm->pgd, k->levels, 0, s, e, v);
}

/* ---- mmu_gather (include/asm-generic/tlb.h, mm/mmu_gather.c) ---- */

/* A VMA as unmap_vmas zaps it: its part of the range, and whether its
 * pages are page-cache pages.  Every page of a shared mapping (shmem or
 * a file) is; a private mapping's pages are anonymous (folio_test_anon)
 * but for the file pages it maps read-only (PTE_FILEPAGE). */
struct zap_vma {
	uint64_t start, end;
	bool shared;
	uint32_t flags;           /* the VMA's MAPF_*, for its counters */
};

/* The batches that hold the zapped pages until the flush frees them
 * (mm/mmu_gather.c, v6.18): the on-stack local batch of
 * MMU_GATHER_BUNDLE (8) entries, then pages of MAX_GATHER_BATCH
 * ((4096 - 16) / 8 = 510) entries, at most MAX_GATHER_BATCH_COUNT
 * (10000 / 510 = 19) of them.  __tlb_remove_folio_pages_size adds a
 * small page's entry and moves to the next batch once the active one
 * holds max - 1: after 7 entries, then every 509. */
#define GATHER_LOCAL_ENTRIES 7u
#define GATHER_BATCH_ENTRIES 509u
#define GATHER_BATCH_COUNT 19u

struct mmu_gather {
	kernel *k;
	kcpu *c;
	mm_struct *mm;            /* tlb->mm */
	uint64_t start, end;      /* __tlb_adjust_range; start > end: empty */
	/* cleared_ptes, _pmds, _puds, _p4ds: [1] .. [4], by the level of
	 * the entry that was cleared */
	bool cleared[6];
	bool freed_tables;
	bool fullmm;              /* tlb_gather_mmu_fullmm: exit_mmap */
	uint64_t pages;           /* 4 KiB pages whose entries were written, for the cost */
	uint64_t charged;         /* of those, the pages already charged (cost.pte) */
	/* the zap (zap_pte_range, mm/memory.c) */
	uint64_t entries;         /* page entries in the batches, freed by the next tlb_flush_mmu */
	unsigned batch_count;     /* batch pages allocated; kept until tlb_finish_mmu */
	bool delayed_rmap;        /* tlb_delay_rmap: an rmap removal waits for the flush */
	bool force_flush;         /* zap_pte_range's force_flush, for the table being zapped */
	const struct zap_vma *force_vma;   /* the VMA whose zap_pte_range set it */
	const struct zap_vma *vmas;        /* the VMAs being zapped, in address order */
	size_t nvmas, cur;
	/* free_pgtables: the tables freed, gathered apart while the walk
	 * frees them, and added to the gather when the zap is over, as
	 * free_pgtables runs after unmap_vmas */
	struct {
		uint64_t start, end;
		bool cleared[6];
		bool any;
	} tables;
};

/* __tlb_reset_range */
static void tlb_reset_range(struct mmu_gather *g)
{
	g->start = UINT64_MAX;
	g->end = 0;
	memset(g->cleared, 0, sizeof g->cleared);
	g->freed_tables = false;
}

static void tlb_gather_mmu(struct mmu_gather *g, kernel *k, kcpu *c, mm_struct *mm, bool fullmm)
{
	memset(g, 0, sizeof *g);
	g->k = k;
	g->c = c;
	g->mm = mm;
	g->fullmm = fullmm;
	tlb_reset_range(g);
	g->tables.start = UINT64_MAX;
}

static void tlb_adjust_range(struct mmu_gather *g, uint64_t addr, uint64_t size)
{
	if (addr < g->start)
		g->start = addr;
	if (addr + size > g->end)
		g->end = addr + size;
}

/* tlb_remove_tlb_entry / tlb_remove_pmd_tlb_entry / ..._pud_...: a leaf
 * of `level` covering [lo, hi) was cleared or changed. */
static void tlb_flush_leaf(struct mmu_gather *g, uint64_t lo, uint64_t hi, unsigned level)
{
	tlb_adjust_range(g, lo, hi - lo);
	g->cleared[level] = true;
}

/* pte_free_tlb / pmd_free_tlb / pud_free_tlb / p4d_free_tlb: the table
 * below the entry at `level` (whose span starts at base) was freed: the
 * range widens to one page at that base, and the entry's level counts
 * as cleared (tlb_flush_pmd_range for a PTE table, and so on).  Held in
 * g->tables until tlb_free_pgtables_done. */
static void tlb_free_table(struct mmu_gather *g, uint64_t base, unsigned level)
{
	if (base < g->tables.start)
		g->tables.start = base;
	if (base + PAGE_SIZE > g->tables.end)
		g->tables.end = base + PAGE_SIZE;
	if (level <= 4)
		g->tables.cleared[level] = true;
	g->tables.any = true;
}

/* free_pgtables is over: its pte_free_tlb and the like join the gather. */
static void tlb_free_pgtables_done(struct mmu_gather *g)
{
	if (!g->tables.any)
		return;
	tlb_adjust_range(g, g->tables.start, g->tables.end - g->tables.start);
	for (unsigned level = 1; level <= 4; level++)
		g->cleared[level] |= g->tables.cleared[level];
	g->freed_tables = true;
	memset(&g->tables, 0, sizeof g->tables);
	g->tables.start = UINT64_MAX;
}

/* tlb_get_unmap_shift */
static unsigned tlb_get_unmap_shift(const struct mmu_gather *g)
{
	for (unsigned level = 1; level <= 4; level++)
		if (g->cleared[level])
			return level_shift(level);
	return 12;
}

/* tlb_flush_mmu_tlbonly: nothing unless something was cleared or a
 * table freed; else x86's tlb_flush (arch/x86/include/asm/tlb.h), one
 * flush_tlb_mm_range over the gathered range (all of it for fullmm)
 * with freed_tables, and __tlb_reset_range.  A range reset by an
 * earlier flush and then given only a freed table is one page at the
 * table's base with the table's stride (PMD_SHIFT for a PTE table):
 * flush_tlb_func counts (end - start) >> stride_shift = 0 pages for it,
 * though its loop flushes that one address. */
static void tlb_flush_mmu_tlbonly(struct mmu_gather *g)
{
	bool cleared = false;
	for (unsigned level = 1; level <= 4; level++)
		cleared |= g->cleared[level];
	if (!cleared && !g->freed_tables)
		return;
	uint64_t start = g->start, end = g->end;
	if (g->fullmm)
		start = 0, end = TLB_FLUSH_ALL;
	flush_tlb_mm_range(g->k, g->c, g->mm, start, end, tlb_get_unmap_shift(g), g->freed_tables);
	tlb_reset_range(g);
}

/* tlb_flush_mmu: the flush, then tlb_flush_mmu_free frees the batched
 * pages (the batch pages stay allocated for reuse). */
static void tlb_flush_mmu(struct mmu_gather *g)
{
	tlb_flush_mmu_tlbonly(g);
	g->entries = 0;
}

/* tlb_finish_mmu: the last flush.  (Its mm_tlb_flush_nested case, another
 * gather of the mm under way at once, cannot happen here: each record
 * runs whole.) */
static void tlb_finish_mmu(struct mmu_gather *g)
{
	tlb_flush_mmu(g);
}

/* cost.pte for the pages zapped since the last charge (before a flush
 * in the middle of a zap, so that it happens when Linux's would). */
static void tlb_charge(struct mmu_gather *g)
{
	g->c->clock += os_cycles_times(g->pages - g->charged, g->k->cfg->v[K_COST_PTE]);
	g->charged = g->pages;
}

/* What the call charges at its end: the rest, at least one PTE's worth. */
static void tlb_charge_rest(struct mmu_gather *g)
{
	if (g->pages == 0)
		g->c->clock += g->k->cfg->v[K_COST_PTE];
	else
		tlb_charge(g);
}

/* __tlb_remove_folio_pages_size for one page entry: true when the batch
 * is full and the caller must flush.  Moving on from a batch fails when
 * a delayed rmap is pending and the active batch is not the local one
 * (tlb_next_batch: "Limit batching if we have delayed rmaps pending"),
 * or when MAX_GATHER_BATCH_COUNT batches are in use (the GFP_NOWAIT
 * allocation of a new batch page is taken to succeed). */
static bool tlb_batch_add(struct mmu_gather *g)
{
	uint64_t n = ++g->entries;
	if (n < GATHER_LOCAL_ENTRIES || (n - GATHER_LOCAL_ENTRIES) % GATHER_BATCH_ENTRIES)
		return false;
	uint64_t active = (n - GATHER_LOCAL_ENTRIES) / GATHER_BATCH_ENTRIES;   /* 0: local */
	if (g->delayed_rmap && active > 0)
		return true;
	if (active + 1 > g->batch_count) {
		if (g->batch_count == GATHER_BATCH_COUNT)
			return true;
		g->batch_count++;
	}
	return false;
}

/* ---- unmapping (unmap_vmas + free_pgtables) ---- */

/* The VMAs of [s, e), clipped to it (*out: malloc'd, or NULL). */
static size_t zap_vmas_of(const mm_struct *mm, uint64_t s, uint64_t e, struct zap_vma **out)
{
	size_t i = vma_lower(mm, s), n = 0;
	*out = NULL;
	if (i >= mm->nvma || mm->vma[i].start >= e)
		return 0;
	struct zap_vma *zv = malloc((mm->nvma - i) * sizeof *zv);
	if (!zv)
		output_out_of_memory();
	for (; i < mm->nvma && mm->vma[i].start < e; i++) {
		const vm_area *v = &mm->vma[i];
		zv[n].start = v->start > s ? v->start : s;
		zv[n].end = v->end < e ? v->end : e;
		zv[n].shared = (v->flags & MAPF_SHARED) != 0;
		zv[n].flags = v->flags;
		n++;
	}
	*out = zv;
	return n;
}

static void zap_set_vmas(struct mmu_gather *g, const struct zap_vma *zv, size_t n)
{
	g->vmas = zv;
	g->nvmas = n;
	g->cur = 0;
}

/* The zapped VMA holding va (leaves come in address order). */
static const struct zap_vma *zap_vma_at(struct mmu_gather *g, uint64_t va)
{
	while (g->cur < g->nvmas && g->vmas[g->cur].end <= va)
		g->cur++;
	return g->cur < g->nvmas && g->vmas[g->cur].start <= va ? &g->vmas[g->cur] : NULL;
}

/* The end of a zap_pte_range (mm/memory.c, v6.18) that set force_flush:
 * "Do the actual TLB flush before dropping ptl": tlb_flush_mmu_tlbonly
 * (which resets the range) and tlb_flush_rmaps under the PTE lock, then
 * tlb_flush_mmu frees the batched pages. */
static void zap_pte_range_flush(struct mmu_gather *g)
{
	tlb_charge(g);
	tlb_flush_mmu_tlbonly(g);
	g->delayed_rmap = false;   /* tlb_flush_rmaps */
	tlb_flush_mmu(g);
	g->force_flush = false;
	g->force_vma = NULL;
}

/* zap_present_ptes / zap_present_folio_ptes for one present (or
 * PROT_NONE) leaf; zap_huge_pmd or __unmap_hugepage_range for a huge one.
 * The entry goes and joins the gathered range (tlb_remove_tlb_entry).
 * A page with a struct page (not the zero page: vm_normal_page) goes
 * into the batch.  A dirty PTE of a page that is not anonymous (shmem
 * or a file's page cache) gets its rmap removal delayed until the TLB is
 * flushed (tlb_delay_rmap; Linus's "mm: delay page_remove_rmap() until
 * after the TLB has been flushed", v6.2): force_flush, so this
 * zap_pte_range flushes before it drops the PTE lock, whatever else is
 * left to unmap.  Huge leaves never delay.  A full batch flushes too: a
 * PTE (force_break, zap_pte_range then goes on after the flush) or a
 * huge leaf (tlb_remove_page_size -> tlb_flush_mmu). */
static void zap_leaf(kernel *k, mm_struct *mm, uint64_t pa, uint64_t ent, unsigned level,
                     uint64_t lo, uint64_t hi, void *ctx)
{
	struct mmu_gather *g = ctx;
	const struct zap_vma *v = zap_vma_at(g, lo);
	if (g->force_flush && v != g->force_vma)
		zap_pte_range_flush(g);   /* that VMA's zap_pte_range of this table ended */
	pt_write(k, mm, pa, 0, level);
	put_frame(k, ent, level);
	account_leaf(mm, v ? v->flags : 0, ent, level, -1);   /* zap_present_folio_ptes: rss[mm_counter(folio)]-- */
	tlb_flush_leaf(g, lo, hi, level);   /* pte_present(): PROT_NONE too */
	g->pages += (hi - lo) >> 12;
	if (ent & PTE_SPECIAL)
		return;
	if (level == 1 && (ent & PTE_D) && ((ent & PTE_FILEPAGE) || (v && v->shared))) {
		g->delayed_rmap = true;
		g->force_flush = true;
		g->force_vma = v;
	}
	if (tlb_batch_add(g)) {
		if (level == 1) {
			g->force_vma = v;
			zap_pte_range_flush(g);
		} else {
			tlb_charge(g);
			tlb_flush_mmu(g);
		}
	}
}

/* After each lower table of the zap walk: the end of zap_pte_range for
 * a PTE table. */
static void zap_table_end(kernel *k, mm_struct *mm, uint64_t pa, uint64_t ent, unsigned level,
                          uint64_t lo, uint64_t hi, void *ctx)
{
	struct mmu_gather *g = ctx;
	(void)k, (void)mm, (void)pa, (void)ent, (void)lo, (void)hi;
	if (level == 2 && g->force_flush)
		zap_pte_range_flush(g);
}

/* free_pgtables: a table whose span no VMA covers any more goes. */
static void zap_table(kernel *k, mm_struct *mm, uint64_t pa, uint64_t ent, unsigned level,
                      uint64_t lo, uint64_t hi, void *ctx)
{
	struct mmu_gather *g = ctx;
	zap_table_end(k, mm, pa, ent, level, lo, hi, ctx);
	if (vma_overlaps(mm, lo, hi))
		return;
	pt_write(k, mm, pa, 0, level);
	free_table_tree(k, mm, (ent & PTE_ADDR) >> 12, level - 1);
	tlb_free_table(g, lo, level);
}

/* do_vmi_munmap -> vms_clear_ptes: the VMAs of [s, e) go; in one
 * gather, unmap_vmas zaps their pages VMA by VMA (a zap_pte_range that
 * met a dirty shared page flushes at its end), free_pgtables frees the
 * tables no VMA needs any more, and tlb_finish_mmu flushes what is left.
 * 0, or -1 (memory). */
static int unmap_range(kernel *k, kcpu *c, mm_struct *mm, uint64_t s, uint64_t e)
{
	struct zap_vma *zv;
	size_t n = zap_vmas_of(mm, s, e, &zv);
	if (n)
		update_hiwater_rss(mm);   /* vms_clear_ptes */
	vma_remove_range(k, mm, s, e);
	struct mmu_gather g;
	tlb_gather_mmu(&g, k, c, mm, false);
	zap_set_vmas(&g, zv, n);
	struct range_visit v = { zap_leaf, zap_table, &g };
	int err = walk_user_range(k, mm, s, e, &v);
	free(zv);
	if (err)
		return os_fail(k, 0, "out of simulated physical memory (mem.size)");
	tlb_free_pgtables_done(&g);
	tlb_charge_rest(&g);
	tlb_finish_mmu(&g);
	return 0;
}

/* exit_mmap: no VMAs, no flush; otherwise everything goes in one
 * fullmm gather, flushed if a page was mapped or a table freed (with
 * freed tables this reaches lazy CPUs too, which switch to init_mm).  A
 * dirty shared page flushes the whole mm in the middle, as in munmap. */
static void exit_mmap(kernel *k, kcpu *c, mm_struct *mm)
{
	mm->users_gone = true;
	if (mm->nvma == 0)
		return;
	struct zap_vma *zv;
	size_t n = zap_vmas_of(mm, 0, user_va_limit(k->levels), &zv);
	vma_drop_all(k, mm);
	struct mmu_gather g;
	tlb_gather_mmu(&g, k, c, mm, true);
	zap_set_vmas(&g, zv, n);
	struct range_visit v = { zap_leaf, zap_table, &g };
	walk_user_range(k, mm, 0, user_va_limit(k->levels), &v);
	free(zv);
	tlb_free_pgtables_done(&g);
	tlb_charge_rest(&g);
	tlb_finish_mmu(&g);
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
static unsigned leaf_level_for(kernel *k, mm_struct *mm, const vm_area *v, uint64_t va)
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

/* The leaf for a new page of `kind` (mk_pte with vm_page_prot, then
 * maybe_mkwrite and pte_mkdirty for a write):
 * - PAGE_ANON: a new anonymous page, exclusive to this mm (do_anonymous_page,
 *   do_cow_fault): writable if the VMA is, dirty when written;
 * - PAGE_ZERO: the shared zero page, read-only (a read of private
 *   anonymous memory maps it; a write copies it);
 * - PAGE_FILE: a page-cache page: read-only in a private mapping (a
 *   write copies it), writable once written in a shared one;
 * - PAGE_SHARED_ANON: shared anonymous memory (shmem), writable if the
 *   VMA is. */
static uint64_t new_leaf(uint64_t pfn, const vm_area *v, unsigned level, enum page_kind kind,
                         bool write)
{
	bool shared = (v->flags & MAPF_SHARED) != 0;
	switch (kind) {
	case PAGE_ANON:
		return make_leaf(pfn, v->prot, level, true, write) | PTE_A | PTE_EXCL;
	case PAGE_ZERO:
		return make_leaf(pfn, v->prot, level, false, false) | PTE_A | PTE_SPECIAL;
	case PAGE_FILE:
		return make_leaf(pfn, v->prot, level, shared && write, write) | PTE_A | PTE_FILEPAGE;
	case PAGE_SHARED_ANON:
		return make_leaf(pfn, v->prot, level, true, write) | PTE_A;
	}
	return 0;
}

/* Whether a huge page of `level` can be mapped at base in v: aligned,
 * inside the VMA, the VMA's flags allowing it, and nothing mapped there
 * yet (leaf_level_for's rule for one level). */
static bool huge_fits(kernel *k, mm_struct *mm, const vm_area *v, uint64_t base, unsigned level)
{
	uint32_t flags = level == 3 ? MAPF_GIANT : MAPF_HUGE | MAPF_GIANT;
	if (!(v->flags & flags) || (base & (span_of(level) - 1)) || base < v->start ||
	    base + span_of(level) > v->end)
		return false;
	int err = 0;
	uint64_t pa = pt_entry_pa(k, mm, base, level, false, &err);
	return pa == 0 || phys_read64(&k->pm, pa) == 0;
}

/* The page-cache page of a named file that v maps at va: the file's
 * page at that offset, read in (a new frame) if no process has used it
 * yet.  The model takes every page of a file to be readable. */
static shmem_page *named_file_page(kernel *k, const vm_area *v, uint64_t va)
{
	uint64_t index = v->pgoff + ((va - v->start) >> 12);
	shmem_page *p = shmem_find(v->shm, index);
	return p ? p : shmem_add(k, v->shm, index, 1);
}

/* The object's page that a fault of shared anonymous memory maps at va
 * (shmem_fault -> shmem_get_folio_gfp: the page in the object's page
 * cache, or a new one added to it), with the level to map it at.  An
 * existing huge page is mapped whole where it fits at its own alignment
 * (as in the mapping that first faulted it, or a fork's copy of it);
 * where it does not (a misaligned mremap, a split VMA's edge) the
 * object's page is split first, as split_leaf splits a mapping.  A new
 * page is as large as leaf_level_for allows and the object has nothing
 * else in its span. */
static shmem_page *shmem_fault_page(kernel *k, mm_struct *mm, const vm_area *v, uint64_t va)
{
	shmem_obj *o = v->shm;
	uint64_t index = v->pgoff + ((va - v->start) >> 12);
	shmem_page *p = shmem_find(o, index);
	if (p) {
		while (p->level > 1 && !huge_fits(k, mm, v, va - ((index - p->index) << 12), p->level))
			p = shmem_split(k, o, p, index);
		return p;
	}
	unsigned level = leaf_level_for(k, mm, v, va);
	uint64_t base_index = index;
	for (; level > 1; level--) {
		uint64_t base = va & ~(span_of(level) - 1);
		base_index = v->pgoff + ((base - v->start) >> 12);
		if (shmem_range_empty(o, base_index, base_index + (span_of(level) >> 12)))
			break;
	}
	return shmem_add(k, o, level > 1 ? base_index : index, level);
}

int map_new_page(kernel *k, mm_struct *mm, vm_area *v, uint64_t va, enum page_kind kind,
                 bool write, unsigned *level_out)
{
	shmem_page *page = NULL;
	unsigned level;
	if (kind == PAGE_SHARED_ANON && v->shm && !(v->flags & MAPF_FILE)) {
		if (!(page = shmem_fault_page(k, mm, v, va)))
			return -1;
		level = page->level;
	} else if (kind == PAGE_FILE && v->shm) {
		/* a named file: its page-cache page (filemap_fault), 4 KiB */
		if (!(page = named_file_page(k, v, va)))
			return -1;
		level = 1;
	} else {
		level = kind == PAGE_ZERO ? 1 : leaf_level_for(k, mm, v, va);
	}
	int err = 0;
	uint64_t pa = pt_entry_pa(k, mm, va, level, true, &err);
	uint64_t pfn;
	if (!pa)
		return -1;
	if (page) {
		pfn = page->pfn;
		get_frame(k, pfn << 12);   /* the mapping's reference; the object keeps its own */
	} else if (kind == PAGE_ZERO) {
		pfn = k->zero_pfn;
	} else if (phys_alloc(&k->pm, 9 * (level - 1), &pfn)) {
		return -1;
	}
	uint64_t leaf = new_leaf(pfn, v, level, kind, write);
	pt_write(k, mm, pa, leaf, level);
	/* do_anonymous_page, do_cow_fault, finish_fault -> set_pte_range:
	 * add_mm_counter by mm_counter(folio); the zero page counts nothing */
	account_leaf(mm, v->flags, leaf, level, 1);
	if (kind == PAGE_ANON)
		anon_vma_prepare(k, v);
	if (level_out)
		*level_out = level;
	return 0;
}

/* do_fault_around (mm/memory.c, v6.18): a read fault on a VMA whose
 * vm_ops have map_pages -- a file's, or shared anonymous memory's
 * (shmem_anon_vm_ops: filemap_map_pages) -- maps the not-present pages
 * of a fault_around_bytes (64 KiB) window: from the window's aligned
 * start, or the VMA's or the page table's start if later, 16 pages on,
 * clipped to the VMA and the page table.  filemap_map_pages maps the
 * pages that are in the page cache: for a file the model takes them all
 * to be; for shmem they are the object's 4 KiB pages (a page no mapping
 * has faulted yet is not there, and shmem_fault then allocates it). */
int fault_around(kernel *k, mm_struct *mm, vm_area *v, uint64_t va)
{
	const uint64_t window = 16 * PAGE_SIZE;
	uint64_t table_lo = va & ~(span_of(2) - 1), table_hi = table_lo + span_of(2);
	uint64_t lo = va & ~(window - 1);
	if (lo < v->start)
		lo = v->start;
	if (lo < table_lo)
		lo = table_lo;
	uint64_t hi = lo + window;
	if (hi > v->end)
		hi = v->end;
	if (hi > table_hi)
		hi = table_hi;
	int mapped = 0, err = 0;
	for (uint64_t a = lo; a < hi; a += PAGE_SIZE) {
		uint64_t pa = pt_entry_pa(k, mm, a, 1, true, &err);
		uint64_t pfn;
		if (!pa)
			return err ? -1 : mapped;   /* a huge leaf above: nothing to map */
		if (phys_read64(&k->pm, pa) != 0)
			continue;
		uint64_t leaf;
		if (v->shm && !(v->flags & MAPF_FILE)) {
			const shmem_page *p = shmem_find(v->shm, v->pgoff + ((a - v->start) >> 12));
			if (!p || p->level != 1)
				continue;
			pfn = p->pfn;
			get_frame(k, pfn << 12);
			leaf = new_leaf(pfn, v, 1, PAGE_SHARED_ANON, false);
		} else if (v->shm) {
			const shmem_page *p = named_file_page(k, v, a);
			if (!p)
				return -1;
			pfn = p->pfn;
			get_frame(k, pfn << 12);
			leaf = new_leaf(pfn, v, 1, PAGE_FILE, false);
		} else {
			if (phys_alloc(&k->pm, 0, &pfn))
				return -1;
			leaf = new_leaf(pfn, v, 1, PAGE_FILE, false);
		}
		pt_write(k, mm, pa, leaf, 1);
		account_leaf(mm, v->flags, leaf, 1, 1);   /* filemap_map_pages: add_mm_counter */
		mapped++;
	}
	return mapped;
}

/* ---- the mm system calls ---- */

/* A new VMA as mmap makes it (__mmap_region): private anonymous memory
 * has vm_pgoff = addr >> PAGE_SHIFT; a shared anonymous mapping gets a
 * shmem object of its own, mapped from offset 0 (shmem_zero_setup); a
 * named file maps its page cache from OFF; an unnamed file is a file
 * of its own. */
static vm_area new_vma(kernel *k, uint64_t addr, uint64_t end, uint32_t prot, uint32_t flags,
                       const char *file, uint64_t off)
{
	vm_area v = { addr, end, prot, flags & ~MAPF_POPULATE, 0, addr >> 12, NULL, 0 };
	if (flags & MAPF_FILE) {
		v.pgoff = off >> 12;
		if (file && file[0])
			v.shm = os_named_file(k, file);
		else
			v.file_id = k->next_file_id++;
	} else if (flags & MAPF_SHARED) {
		v.pgoff = 0;
		v.shm = shmem_new();
	}
	return v;
}

shmem_obj *os_named_file(kernel *k, const char *name)
{
	for (size_t i = 0; i < k->nfiles; i++)
		if (!strcmp(k->files[i].name, name))
			return k->files[i].pages;
	if (k->nfiles == k->capfiles) {
		k->capfiles = k->capfiles ? 2 * k->capfiles : 8;
		k->files = realloc(k->files, k->capfiles * sizeof *k->files);
		if (!k->files)
			output_out_of_memory();
	}
	struct named_file *f = &k->files[k->nfiles++];
	size_t len = strlen(name) + 1;
	f->name = malloc(len);
	if (!f->name)
		output_out_of_memory();
	memcpy(f->name, name, len);
	f->pages = shmem_new();
	shmem_get(f->pages);   /* the inode's: the page cache stays */
	return f->pages;
}

static int check_range(kernel *k, uint64_t addr, uint64_t end, unsigned field)
{
	if (end > user_va_limit(k->levels) || end < addr)
		return os_fail(k, (int)field, "range 0x%llx-0x%llx is outside the user half of %u-level paging",
		               (unsigned long long)addr, (unsigned long long)end, k->levels);
	return 0;
}

/* The kind of page populate (or a read fault) installs in v. */
static enum page_kind read_kind(const vm_area *v)
{
	if (v->flags & MAPF_FILE)
		return PAGE_FILE;
	if (v->flags & MAPF_SHARED)
		return PAGE_SHARED_ANON;
	return (v->flags & (MAPF_HUGE | MAPF_GIANT)) ? PAGE_ANON : PAGE_ZERO;
}

/* populate_vma_page_range: writable private mappings are populated by
 * write faults (breaking COW), everything else by read faults. */
static int populate(kernel *k, kcpu *c, mm_struct *mm, uint64_t addr, uint64_t end)
{
	vm_area *v = find_vma_mut(mm, addr);
	bool write = (v->prot & PROT_W_) && !(v->flags & MAPF_SHARED);
	enum page_kind kind = write ? PAGE_ANON : read_kind(v);
	for (uint64_t va = addr; va < end;) {
		unsigned level;
		if (map_new_page(k, mm, v, va, kind, write, &level))
			return os_fail(k, 0, "out of simulated physical memory (mem.size)");
		c->clock += k->cfg->v[K_COST_PTE];
		va = (va & ~(span_of(level) - 1)) + span_of(level);
	}
	return 0;
}

int os_mmap(kernel *k, unsigned cpu, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
            const char *file, uint64_t file_off)
{
	kcpu *c = &k->cpu[cpu];
	mm_struct *mm = c->curr->mm;
	uint64_t end = addr + ((len + 0xfff) & ~0xfffull);
	if (check_range(k, addr, end, 2))
		return -1;
	c->clock += k->cfg->v[K_COST_MM_OP];
	if (unmap_range(k, c, mm, addr, end))   /* MAP_FIXED replaces */
		return -1;
	vma_insert(mm, new_vma(k, addr, end, prot, flags, file, file_off));
	vma_merge_at(k, mm, vma_lower(mm, addr));   /* vma_merge_new_range */
	if (!(flags & MAPF_POPULATE) || prot == 0)
		return 0;
	return populate(k, c, mm, addr, end);
}

int os_munmap(kernel *k, unsigned cpu, uint64_t addr, uint64_t len)
{
	kcpu *c = &k->cpu[cpu];
	uint64_t end = addr + ((len + 0xfff) & ~0xfffull);
	if (check_range(k, addr, end, 2))
		return -1;
	c->clock += k->cfg->v[K_COST_MM_OP];
	return unmap_range(k, c, c->curr->mm, addr, end);
}

/* x86 pte_needs_flush / pte_flags_need_flush (asm/tlbflush.h, v6.18):
 * never for an entry that was not present; for a present one, when P or
 * D was cleared or RW, US or NX changed either way. */
static bool pte_needs_flush(uint64_t old, uint64_t new)
{
	if (!(old & PTE_P))
		return false;
	if ((old & PTE_ADDR) != (new & PTE_ADDR))
		return true;
	uint64_t diff = old ^ new;
	if (diff & old & (PTE_P | PTE_D))
		return true;
	return (diff & (PTE_RW | PTE_US | PTE_PWT | PTE_PCD | PTE_PS | PTE_G | PTE_XD)) != 0;
}

/* Whether mprotect to a writable `v` maps the leaf `ent` writable at once
 * (mm/mprotect.c, v6.18).  pte_modify gives it vm_page_prot, writable
 * only for a shared mapping without write-notify; where vm_page_prot is
 * read-only, mprotect_fixup sets MM_CP_TRY_CHANGE_WRITABLE
 * (vma_wants_manual_pte_write_upgrade) and can_change_pte_writable
 * decides page by page:
 * - private: only an exclusive anonymous page (PageAnonExclusive,
 *   can_change_private_pte_writable), never one shared by COW, the zero
 *   page or a page-cache page: their write faults copy;
 * - shared file (page cache): vma_wants_writenotify (mm/vma.c) is true,
 *   the file system having a page_mkwrite or dirty accounting
 *   (vma_fs_can_writeback), so vm_page_prot is read-only and
 *   can_change_shared_pte_writable returns pte_dirty(pte): a dirty page
 *   (already notified) is writable again, a clean one stays read-only
 *   and its first write takes the write-notify fault (do_wp_page ->
 *   wp_page_shared, faults.wp_shared);
 * - shared anonymous (shmem): no page_mkwrite and no writeback
 *   (vma_fs_can_writeback is false for shmem's noop backing device), so
 *   no write-notify: vm_page_prot is writable and every page is. */
static bool mprotect_writable(const vm_area *v, uint64_t ent)
{
	if (!(v->prot & PROT_W_))
		return false;
	if (!(v->flags & MAPF_SHARED))
		return (ent & PTE_EXCL) != 0;
	if (v->flags & MAPF_FILE)
		return (ent & PTE_D) != 0;
	return true;
}

/* change_protection for one leaf (mm/mprotect.c change_pte_range,
 * v6.18): pte_modify to the VMA's new rights, writable where
 * mprotect_writable says so.  PROT_NONE keeps the frame in a non-present
 * leaf.  pte_needs_flush decides the flush. */
static void change_leaf(kernel *k, mm_struct *mm, uint64_t pa, uint64_t ent, unsigned level,
                        uint64_t lo, uint64_t hi, void *ctx)
{
	struct mmu_gather *g = ctx;
	const vm_area *v = find_vma(mm, lo);
	uint32_t prot = v ? v->prot : 0;
	uint64_t keep = ent & (PTE_A | PTE_D | PTE_PS | PTE_ADDR | PTE_SPECIAL | PTE_FILEPAGE | PTE_EXCL);
	uint64_t n;
	if (prot == 0) {
		n = keep | PTE_PROTNONE;
	} else {
		bool writable = mprotect_writable(v, ent);
		n = keep | PTE_P | PTE_US | (writable ? PTE_RW : 0) | ((prot & PROT_X_) ? 0 : PTE_XD);
	}
	if (n == ent)
		return;
	pt_write(k, mm, pa, n, level);
	g->pages += (hi - lo) >> 12;
	if (pte_needs_flush(ent, n))
		tlb_flush_leaf(g, lo, hi, level);
}

/* do_mprotect_pkey: each VMA of the range gets the new rights
 * (mprotect_fixup does nothing to a VMA that already has them); one
 * gathered flush for all of them. */
int os_mprotect(kernel *k, unsigned cpu, uint64_t addr, uint64_t len, uint32_t prot)
{
	kcpu *c = &k->cpu[cpu];
	mm_struct *mm = c->curr->mm;
	uint64_t end = addr + ((len + 0xfff) & ~0xfffull);
	if (check_range(k, addr, end, 2))
		return -1;
	c->clock += k->cfg->v[K_COST_MM_OP];
	/* the model splits at both ends whatever the rights; Linux splits
	 * only a VMA whose rights change (mprotect_fixup: newflags ==
	 * oldflags returns at once), so a split of a VMA that keeps them is
	 * undone below */
	const vm_area *at = find_vma(mm, addr), *last = end > addr ? find_vma(mm, end - 1) : NULL;
	bool split_lo = at && at->start < addr && at->prot == prot;
	bool split_hi = last && last->end > end && last->prot == prot;
	vma_split_at(mm, addr);
	vma_split_at(mm, end);
	struct mmu_gather g;
	tlb_gather_mmu(&g, k, c, mm, false);
	struct range_visit visit = { change_leaf, NULL, &g };
	for (size_t i = vma_lower(mm, addr); i < mm->nvma && mm->vma[i].start < end; i++) {
		vm_area *v = &mm->vma[i];
		if (v->prot == prot)
			continue;
		/* mprotect_fixup: vm_stat_account(oldflags, -n), (newflags, n) */
		vm_stat_account(mm, v, -(int64_t)((v->end - v->start) >> 12));
		v->prot = prot;
		vm_stat_account(mm, v, (int64_t)((v->end - v->start) >> 12));
		v->flags |= MAPF_CHANGED_;
		if (walk_user_range(k, mm, v->start, v->end, &visit))
			return os_fail(k, 0, "out of simulated physical memory (mem.size)");
	}
	c->clock += os_cycles_times(g.pages, k->cfg->v[K_COST_PTE]);
	tlb_finish_mmu(&g);
	vma_merge_changed(k, mm, addr, end, split_lo, split_hi);
	return 0;
}

/* MADV_DONTNEED (zap_page_range_single_batched -> unmap_single_vma) is
 * zap_leaf and zap_table_end VMA by VMA: the pages go as in munmap (a
 * dirty shared page flushes at the end of its zap_pte_range), the VMA
 * and the page tables stay. */

/* MADV_FREE (madvise_free_pte_range, mm/madvise.c v6.18): a present
 * anonymous page stays mapped; if its PTE is young or dirty it is made
 * old and clean (clear_young_dirty_ptes) and gathered for the flush
 * (tlb_remove_tlb_entries).  An old, clean PTE -- one no access has used
 * since the last MADV_FREE -- is left alone and not flushed.  The A and
 * D bits are the page tables' own: the walker sets them on the trace's
 * accesses (docs/model.md, "Hardware" and "Linux").  The zero page is
 * skipped (vm_normal_folio: special), and so is a page-cache page. */
static void free_leaf(kernel *k, mm_struct *mm, uint64_t pa, uint64_t ent, unsigned level,
                      uint64_t lo, uint64_t hi, void *ctx)
{
	struct mmu_gather *g = ctx;
	if (!(ent & PTE_P) || (ent & (PTE_SPECIAL | PTE_FILEPAGE)))
		return;
	if (!(ent & (PTE_A | PTE_D)))
		return;
	pt_write(k, mm, pa, ent & ~(PTE_A | PTE_D), level);
	g->pages += (hi - lo) >> 12;
	tlb_flush_leaf(g, lo, hi, level);
}

int os_madvise(kernel *k, unsigned cpu, uint64_t addr, uint64_t len, unsigned advice)
{
	kcpu *c = &k->cpu[cpu];
	mm_struct *mm = c->curr->mm;
	uint64_t end = addr + ((len + 0xfff) & ~0xfffull);
	if (check_range(k, addr, end, 2))
		return -1;
	c->clock += k->cfg->v[K_COST_MM_OP];
	struct mmu_gather g;
	tlb_gather_mmu(&g, k, c, mm, false);
	struct range_visit visit = advice == MADV_FREE_ ? (struct range_visit){ free_leaf, NULL, &g }
	                                                : (struct range_visit){ zap_leaf, zap_table_end, &g };
	for (size_t i = vma_lower(mm, addr); i < mm->nvma && mm->vma[i].start < end; i++) {
		const vm_area *v = &mm->vma[i];
		/* MADV_FREE works on private anonymous memory only */
		if (advice == MADV_FREE_ && (v->flags & (MAPF_FILE | MAPF_SHARED)))
			continue;
		uint64_t s = v->start > addr ? v->start : addr, e = v->end < end ? v->end : end;
		struct zap_vma zv = { s, e, (v->flags & MAPF_SHARED) != 0, v->flags };
		/* zap_page_range_single_batched, madvise_free_single_vma */
		update_hiwater_rss(mm);
		zap_set_vmas(&g, &zv, 1);
		int err = walk_user_range(k, mm, s, e, &visit);
		zap_set_vmas(&g, NULL, 0);
		if (err)
			return os_fail(k, 0, "out of simulated physical memory (mem.size)");
	}
	tlb_charge_rest(&g);
	tlb_finish_mmu(&g);
	return 0;
}

/* ---- mremap ---- */

struct move {
	mm_struct *mm;
	uint64_t delta;           /* new - old */
	uint64_t extent_lo, extent_hi;   /* present PTEs moved in the current PMD extent */
	kcpu *c;
	int err;
};

static void move_leaf(kernel *k, mm_struct *mm, uint64_t pa, uint64_t ent, unsigned level,
                      uint64_t lo, uint64_t hi, void *ctx)
{
	struct move *m = ctx;
	int err = 0;
	uint64_t dst = pt_entry_pa(k, mm, lo + m->delta, level, true, &err);
	if (!dst) {
		m->err = -1;
		return;
	}
	pt_write(k, mm, pa, 0, level);
	pt_write(k, mm, dst, ent, level);
	if (ent & PTE_P) {
		/* move_ptes: "If we are remapping a valid PTE, make sure to
		 * flush TLB before we drop the PTL" */
		if (lo < m->extent_lo)
			m->extent_lo = lo;
		if (hi > m->extent_hi)
			m->extent_hi = hi;
	}
}

/* move_page_tables: the leaves move extent by extent (one PMD's span at
 * a time); each extent that had a present PTE is flushed with
 * flush_tlb_range over the extent, as move_ptes does. */
static int move_pages(kernel *k, kcpu *c, mm_struct *mm, uint64_t old, uint64_t len, uint64_t new)
{
	/* a huge page moves whole only to an address aligned like it
	 * (move_huge_pmd); anywhere else it is split first */
	for (uint64_t a = old; a < old + len; a += PAGE_SIZE) {
		unsigned level;
		uint64_t pa;
		while ((pa = pt_find_leaf(k, mm, a, &level)) && level > 1 &&
		       ((new - old) & (span_of(level) - 1)))
			if (!split_leaf(k, mm, pa, level))
				return os_fail(k, 0, "out of simulated physical memory (mem.size)");
	}
	struct move m = { mm, new - old, UINT64_MAX, 0, c, 0 };
	struct range_visit v = { move_leaf, NULL, &m };
	for (uint64_t a = old; a < old + len;) {
		/* get_extent (mm/mremap.c): up to the next PMD boundary of the
		 * old address or of the new one, whichever comes first */
		uint64_t pmd = span_of(2), na = a + (new - old);
		uint64_t e = a + (pmd - (a & (pmd - 1)));
		if (a + (pmd - (na & (pmd - 1))) < e)
			e = a + (pmd - (na & (pmd - 1)));
		if (e > old + len)
			e = old + len;
		m.extent_lo = UINT64_MAX, m.extent_hi = 0;
		if (walk_user_range(k, mm, a, e, &v) || m.err)
			return os_fail(k, 0, "out of simulated physical memory (mem.size)");
		if (m.extent_hi)
			flush_tlb_range(k, c, mm, a, e);
		c->clock += k->cfg->v[K_COST_PTE];
		a = e;
	}
	return 0;
}

/* mremap(OLD, OLDLEN, NEWLEN, ..., NEW) as it happened: NEW == OLD
 * resizes in place (a shrink unmaps the tail, a growth extends the VMA);
 * otherwise the pages move to NEW (whatever was mapped there is
 * unmapped first, as MREMAP_FIXED does) and OLD is unmapped. */
int os_mremap(kernel *k, unsigned cpu, uint64_t old, uint64_t old_len, uint64_t new_addr,
              uint64_t new_len)
{
	kcpu *c = &k->cpu[cpu];
	mm_struct *mm = c->curr->mm;
	old_len = (old_len + 0xfff) & ~0xfffull;
	new_len = (new_len + 0xfff) & ~0xfffull;
	if (check_range(k, old, old + old_len, 2) || check_range(k, new_addr, new_addr + new_len, 4))
		return -1;
	c->clock += k->cfg->v[K_COST_MM_OP];
	const vm_area *src = find_vma(mm, old);
	if (!src)
		return os_fail(k, 2, "mremap of 0x%llx: no mapping there", (unsigned long long)old);
	vm_area tmpl = *src;
	if (new_addr == old) {
		if (new_len < old_len)
			return unmap_range(k, c, mm, old + new_len, old + old_len);
		if (new_len > old_len) {
			if (vma_overlaps(mm, old + old_len, old + new_len))
				return os_fail(k, 5, "mremap grows 0x%llx over another mapping",
				               (unsigned long long)old);
			tmpl.pgoff += (old + old_len - tmpl.start) >> 12;
			tmpl.start = old + old_len;
			tmpl.end = old + new_len;
			vma_insert(mm, tmpl);   /* vma_expand: one VMA, when it can be */
			vma_merge_at(k, mm, vma_lower(mm, tmpl.start));
		}
		return 0;
	}
	if (new_addr < old + old_len && old < new_addr + new_len)
		return os_fail(k, 4, "mremap: the new range overlaps the old one");
	if (unmap_range(k, c, mm, new_addr, new_addr + new_len))
		return -1;
	uint64_t moved = new_len < old_len ? new_len : old_len;
	/* the VMAs of the moved part follow it, each with its own rights */
	size_t n0 = mm->nvma;
	vm_area *copy = malloc((n0 ? n0 : 1) * sizeof *copy);
	if (!copy)
		output_out_of_memory();
	size_t n = 0;
	for (size_t i = vma_lower(mm, old); i < mm->nvma && mm->vma[i].start < old + moved; i++) {
		vm_area v = mm->vma[i];
		if (v.start < old) {
			v.pgoff += (old - v.start) >> 12;   /* copy_vma's pgoff */
			v.start = old;
		}
		if (v.end > old + moved)
			v.end = old + moved;
		v.start += new_addr - old;
		v.end += new_addr - old;
		copy[n++] = v;
	}
	if (move_pages(k, c, mm, old, moved, new_addr)) {
		free(copy);
		return -1;
	}
	/* copy_vma: each moved VMA merges with its new neighbours where it
	 * can (vma_merge_new_range); move_vma accounts it (vm_stat_account) */
	for (size_t i = 0; i < n; i++) {
		vma_insert(mm, copy[i]);
		vma_merge_at(k, mm, vma_lower(mm, copy[i].start));
	}
	free(copy);
	if (new_len > moved) {
		tmpl.pgoff += (old + moved - tmpl.start) >> 12;
		tmpl.start = new_addr + moved;
		tmpl.end = new_addr + new_len;
		vma_insert(mm, tmpl);
		vma_merge_at(k, mm, vma_lower(mm, tmpl.start));
	}
	/* move_vma: "Restore hiwater_vm: we don't want to count the
	 * temporary double mapping" */
	uint64_t hiwater_vm = mm->hiwater_vm;
	int rc = unmap_range(k, c, mm, old, old + old_len);
	mm->hiwater_vm = hiwater_vm;
	return rc;
}

/* ---- exec's stack ---- */

/* setup_arg_pages (fs/exec.c, v6.18): exec wrote the arguments and the
 * environment (ARGPAGES pages, faulted in by get_user_pages: no #PF) below
 * STACK_TOP_MAX; relocate_vma_down moves them to the stack's randomized
 * top (move_page_tables, a flush per extent that had a page) and frees
 * the tables left behind in one gather (a flush with freed tables); the
 * stack VMA then grows by stack_expand, 128 KiB. */
int setup_arg_pages(kernel *k, kcpu *c, mm_struct *mm, uint64_t stack, unsigned argpages)
{
	uint64_t top_max = user_va_limit(k->levels) - PAGE_SIZE;   /* TASK_SIZE_MAX */
	uint64_t len = (uint64_t)argpages * PAGE_SIZE, expand = 128 << 10;
	if (stack > top_max || stack < len + expand + PAGE_SIZE)
		return os_fail(k, 3, "STACK 0x%llx is outside the user half of %u-level paging",
		               (unsigned long long)stack, k->levels);
	if (vma_overlaps(mm, stack - len - expand, stack))
		return os_fail(k, 3, "STACK 0x%llx: the stack overlaps a mapping", (unsigned long long)stack);
	/* the stack VMA: VM_GROWSDOWN (VM_STACK), counted in stack_vm */
	vm_area tmp = { top_max - len, top_max, PROT_R_ | PROT_W_, MAPF_STACK, 0, (top_max - len) >> 12,
	                NULL, 0 };
	vma_insert(mm, tmp);
	vm_area *v = find_vma_mut(mm, top_max - len);
	for (uint64_t va = top_max - len; va < top_max; va += PAGE_SIZE)
		if (map_new_page(k, mm, v, va, PAGE_ANON, true, NULL))
			return os_fail(k, 0, "out of simulated physical memory (mem.size)");
	uint64_t anon = v->anon_vma;
	c->clock += os_cycles_times(argpages, k->cfg->v[K_COST_PTE]);
	if (stack != top_max) {
		if (stack > top_max - len)
			return os_fail(k, 3, "STACK 0x%llx overlaps the arguments' pages", (unsigned long long)stack);
		if (move_pages(k, c, mm, top_max - len, len, stack - len))
			return -1;
		vma_remove_range(k, mm, top_max - len, top_max);
		vm_area moved = { stack - len, stack, PROT_R_ | PROT_W_, MAPF_STACK, anon, (stack - len) >> 12,
		                  NULL, 0 };
		vma_insert(mm, moved);
		struct mmu_gather g;
		tlb_gather_mmu(&g, k, c, mm, false);
		struct range_visit free_only = { zap_leaf, zap_table, &g };
		if (walk_user_range(k, mm, top_max - len, top_max, &free_only))
			return os_fail(k, 0, "out of simulated physical memory (mem.size)");
		tlb_free_pgtables_done(&g);
		tlb_finish_mmu(&g);
	}
	vma_remove_range(k, mm, stack - len, stack);
	vm_area stack_vma = { stack - len - expand, stack, PROT_R_ | PROT_W_, MAPF_STACK, anon,
	                      (stack - len - expand) >> 12, NULL, 0 };
	vma_insert(mm, stack_vma);
	/* mm->start_stack = bprm->p: here the lowest argument page */
	mm->start_stack = stack - len;
	return 0;
}

/* ---- fork ---- */

struct copy {
	mm_struct *old, *mm;
	const vm_area *v;
	uint64_t copied;
	int err;
};

/* copy_present_ptes (mm/memory.c, v6.18) for one leaf: a private
 * writable page becomes read-only in both mms (COW); an anonymous page
 * is no longer exclusive (folio_try_dup_anon_rmap_ptes); the child's
 * entry is old, and clean in a shared mapping. */
static void copy_leaf(kernel *k, mm_struct *old, uint64_t pa, uint64_t ent, unsigned level,
                      uint64_t lo, uint64_t hi, void *ctx)
{
	struct copy *cp = ctx;
	(void)hi;
	bool shared = (cp->v->flags & MAPF_SHARED) != 0;
	if (!shared && (ent & (PTE_RW | PTE_EXCL))) {
		ent &= ~(PTE_RW | PTE_EXCL);
		pt_write(k, old, pa, ent, level);
	}
	uint64_t child = ent & ~PTE_A;
	if (shared)
		child &= ~PTE_D;
	int err = 0;
	uint64_t cpa = pt_entry_pa(k, cp->mm, lo, level, true, &err);
	if (!cpa) {
		cp->err = -1;
		return;
	}
	pt_write(k, cp->mm, cpa, child, level);
	get_frame(k, ent);
	account_leaf(cp->mm, cp->v->flags, child, level, 1);   /* copy_present_ptes: rss[mm_counter(folio)]++ */
	cp->copied++;
}

/* dup_mmap: the VMAs; the page tables of those holding anonymous pages
 * (vma_needs_copy: a file or shared mapping without any is refilled by
 * faults); then flush_tlb_mm(oldmm), whatever was copied. */
int dup_mmap(kernel *k, kcpu *c, mm_struct *old, mm_struct *mm)
{
	vma_reserve(mm, old->nvma);
	if (old->nvma)
		memcpy(mm->vma, old->vma, old->nvma * sizeof *old->vma);
	mm->nvma = old->nvma;
	for (size_t i = 0; i < mm->nvma; i++)
		shmem_get(mm->vma[i].shm);   /* the child's VMA shares the file */
	/* dup_mm copies the struct (layout fields, brk); dup_mmap the VMA
	 * counters; the RSS counters grow as the tables are copied */
	mm->total_vm = old->total_vm;
	mm->data_vm = old->data_vm;
	mm->exec_vm = old->exec_vm;
	mm->stack_vm = old->stack_vm;
	mm->start_code = old->start_code, mm->end_code = old->end_code;
	mm->start_data = old->start_data, mm->end_data = old->end_data;
	mm->start_brk = old->start_brk, mm->brk = old->brk, mm->brk_known = old->brk_known;
	mm->start_stack = old->start_stack, mm->mmap_base = old->mmap_base;
	struct copy cp = { old, mm, NULL, 0, 0 };
	struct range_visit v = { copy_leaf, NULL, &cp };
	for (size_t i = 0; i < old->nvma; i++) {
		cp.v = &old->vma[i];
		if (!cp.v->anon_vma)
			continue;
		if (walk_user_range(k, old, cp.v->start, cp.v->end, &v) || cp.err)
			return os_fail(k, 0, "out of simulated physical memory (mem.size)");
	}
	c->clock += os_cycles_times(2 * cp.copied, k->cfg->v[K_COST_PTE]);
	flush_tlb_mm(k, c, old);
	/* dup_mm: "mm->hiwater_rss = get_mm_rss(mm); mm->hiwater_vm = mm->total_vm" */
	mm->hiwater_rss = get_mm_rss(mm);
	mm->hiwater_vm = mm->total_vm;
	return 0;
}

/* ---- state declarations ---- */

static task *declared_user_task(kernel *k, uint32_t pid)
{
	task *t = os_task(k, pid);
	if (!t || t->state == TS_DEAD) {
		os_fail(k, 2, "PID %u is not a live declared task", pid);
		return NULL;
	}
	if (t->kind != TASK_USER || !t->mm) {
		os_fail(k, 2, "PID %u is a kernel thread: it has no address space", pid);
		return NULL;
	}
	return t;
}

int os_declare_vma(kernel *k, uint32_t pid, uint64_t addr, uint64_t len, uint32_t prot,
                   uint32_t flags, const char *file, uint64_t file_off)
{
	task *t = declared_user_task(k, pid);
	if (!t)
		return -1;
	uint64_t end = addr + ((len + 0xfff) & ~0xfffull);
	if (check_range(k, addr, end, 3))
		return -1;
	if (flags & MAPF_POPULATE)
		return os_fail(k, 6, "'populate' means nothing in a vma declaration");
	if (vma_overlaps(t->mm, addr, end))
		return os_fail(k, 3, "vma 0x%llx-0x%llx overlaps a mapping PID %u already has",
		               (unsigned long long)addr, (unsigned long long)end, pid);
	/* as /proc/PID/maps lists it: no merge with a declared neighbour */
	vma_insert(t->mm, new_vma(k, addr, end, prot, flags, file, file_off));
	return 0;
}

/* Since v6.14 switch_mm_irqs_off leaves a CPU in prev's mm_cpumask; it
 * leaves only when a flush IPI finds it running another mm
 * (flush_tlb_func: TLB_REMOTE_WRONG_CPU) or the once-a-second trim does.
 * So a process that ran before the trace may have CPUs in its mask that
 * the trace never shows running it.  v6.13 cleared the bit at every
 * switch away: there the declaration changes nothing. */
int os_declare_cpumask(kernel *k, uint32_t pid, unsigned cpu)
{
	task *t = declared_user_task(k, pid);
	if (!t)
		return -1;
	if (k->version >= KERNEL_6_14 || t->mm == k->cpu[cpu].tlbstate.loaded_mm)
		cpumask_set(t->mm, cpu);
	return 0;
}

int os_declare_next_trim(kernel *k, uint32_t pid, uint64_t ns)
{
	task *t = declared_user_task(k, pid);
	if (!t)
		return -1;
	t->mm->next_trim_cpumask = (int64_t)(os_ns_to_cycles(k, ns) / k->cycles_per_jiffy);
	return 0;
}

/* present: pages that were mapped when the trace began, without faults,
 * costs or statistics.  anon: this mm's own anonymous page (writable if
 * the VMA is); cow: an anonymous page shared with an address space the
 * trace does not show (a write copies it); file: a page-cache page. */
int os_declare_present(kernel *k, uint32_t pid, uint64_t addr, uint64_t len, unsigned kind)
{
	task *t = declared_user_task(k, pid);
	if (!t)
		return -1;
	mm_struct *mm = t->mm;
	uint64_t end = addr + ((len + 0xfff) & ~0xfffull);
	if (check_range(k, addr, end, 3))
		return -1;
	for (uint64_t va = addr; va < end; va += PAGE_SIZE) {
		vm_area *v = find_vma_mut(mm, va);
		if (!v)
			return os_fail(k, 3, "present page 0x%llx of PID %u is outside its mappings",
			               (unsigned long long)va, pid);
		unsigned level;
		if (pt_find_leaf(k, mm, va, &level))
			return os_fail(k, 3, "page 0x%llx of PID %u is already present",
			               (unsigned long long)va, pid);
		int err = 0;
		uint64_t pa = pt_entry_pa(k, mm, va, 1, true, &err);
		uint64_t pfn;
		if (!pa)
			return os_fail(k, 0, "out of simulated physical memory (mem.size)");
		uint64_t e;
		if (kind == PRESENT_FILE && v->shm && (v->flags & MAPF_FILE)) {
			/* a named file: its page-cache page at this offset */
			shmem_page *p = named_file_page(k, v, va);
			if (!p)
				return os_fail(k, 0, "out of simulated physical memory (mem.size)");
			get_frame(k, p->pfn << 12);
			e = new_leaf(p->pfn, v, 1, PAGE_FILE, false);
			pt_write(k, mm, pa, e, 1);
			account_leaf(mm, v->flags, e, 1, 1);
			continue;
		}
		if (kind == PRESENT_ANON && v->shm && !(v->flags & MAPF_FILE)) {
			/* shared anonymous memory: the object's page at this offset */
			uint64_t index = v->pgoff + ((va - v->start) >> 12);
			shmem_page *p = shmem_find(v->shm, index);
			while (p && p->level > 1)
				p = shmem_split(k, v->shm, p, index);
			if (!p && !(p = shmem_add(k, v->shm, index, 1)))
				return os_fail(k, 0, "out of simulated physical memory (mem.size)");
			get_frame(k, p->pfn << 12);
			e = new_leaf(p->pfn, v, 1, PAGE_SHARED_ANON, (v->prot & PROT_W_) != 0);
			pt_write(k, mm, pa, e, 1);
			account_leaf(mm, v->flags, e, 1, 1);
			continue;
		}
		if (phys_alloc(&k->pm, 0, &pfn))
			return os_fail(k, 0, "out of simulated physical memory (mem.size)");
		if (kind == PRESENT_FILE) {
			e = new_leaf(pfn, v, 1, PAGE_FILE, false);
		} else if (kind == PRESENT_COW) {
			e = new_leaf(pfn, v, 1, PAGE_ANON, false) & ~(PTE_RW | PTE_EXCL);
			phys_set_refcount(&k->pm, pfn, 2);   /* the sharer the trace does not show */
			anon_vma_prepare(k, v);
		} else {
			bool shared = (v->flags & MAPF_SHARED) != 0;
			e = new_leaf(pfn, v, 1, shared ? PAGE_SHARED_ANON : PAGE_ANON, (v->prot & PROT_W_) != 0);
			if (!shared)
				anon_vma_prepare(k, v);
		}
		pt_write(k, mm, pa, e, 1);
		account_leaf(mm, v->flags, e, 1, 1);
	}
	return 0;
}

/* ---- brk, the layout and the reports ---- */

static uint64_t page_align(uint64_t a)
{
	return (a + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

/* SYSCALL_DEFINE1(brk) (mm/mmap.c, v6.18) as it succeeded: the heap
 * ends at brk now.  A shrink unmaps [PAGE_ALIGN(brk), PAGE_ALIGN(old
 * brk)) as munmap does (do_vmi_align_munmap); a growth maps the pages
 * above the old end (do_brk_flags): the heap VMA below grows when it
 * ends there and can merge (vma_expand), else a new VMA; total_vm and
 * data_vm grow by the pages.  Without a layout, the mm's first brk
 * only tells where the heap starts (start_brk = brk), as glibc's
 * brk(0) does. */
int os_brk(kernel *k, unsigned cpu, uint64_t brk)
{
	kcpu *c = &k->cpu[cpu];
	mm_struct *mm = c->curr->mm;
	if (brk > user_va_limit(k->levels) - PAGE_SIZE)
		return os_fail(k, 2, "brk 0x%llx is outside the user half of %u-level paging",
		               (unsigned long long)brk, k->levels);
	c->clock += k->cfg->v[K_COST_MM_OP];
	if (!mm->brk_known) {
		mm->start_brk = mm->brk = brk;
		mm->brk_known = true;
		return 0;
	}
	if (brk < mm->start_brk)
		return os_fail(k, 2, "brk 0x%llx is below the heap's start 0x%llx (start_brk)",
		               (unsigned long long)brk, (unsigned long long)mm->start_brk);
	uint64_t newbrk = page_align(brk), oldbrk = page_align(mm->brk);
	if (newbrk == oldbrk) {
		mm->brk = brk;
		return 0;
	}
	if (brk <= mm->brk) {
		mm->brk = brk;
		return unmap_range(k, c, mm, newbrk, oldbrk);
	}
	if (vma_overlaps(mm, oldbrk, newbrk))
		return os_fail(k, 2, "brk 0x%llx grows the heap over a mapping", (unsigned long long)brk);
	vm_area heap = { oldbrk, newbrk, PROT_R_ | PROT_W_, 0, 0, oldbrk >> 12, NULL, 0 };
	vma_insert(mm, heap);
	vma_expand_prev(k, mm, vma_lower(mm, oldbrk), mm->start_brk);
	mm->brk = brk;
	return 0;
}

int os_declare_layout(kernel *k, uint32_t pid, const uint64_t *v, unsigned n)
{
	task *t = declared_user_task(k, pid);
	if (!t)
		return -1;
	mm_struct *mm = t->mm;
	mm->start_code = v[0], mm->end_code = v[1];
	mm->start_data = v[2], mm->end_data = v[3];
	mm->start_brk = v[4], mm->brk = v[5];
	mm->start_stack = v[6];
	mm->mmap_base = n > 7 ? v[7] : 0;
	mm->brk_known = true;
	return 0;
}

void os_report_mm(kernel *k, const mm_struct *mm, unsigned at)
{
	mm_report *r = stats_add_report(k->st);
	r->pid = mm->owner_pid;
	memcpy(r->comm, mm->owner_comm, sizeof r->comm);
	r->mm_id = mm->ctx_id;
	r->at = at;
	uint64_t anon = (uint64_t)mm->rss_stat[MM_ANONPAGES], file = (uint64_t)mm->rss_stat[MM_FILEPAGES];
	uint64_t shmem = (uint64_t)mm->rss_stat[MM_SHMEMPAGES], rss = anon + file + shmem;
	/* task_mem (fs/proc/task_mmu.c): pages in KiB; VmExe is the code's
	 * span up to exec_vm, VmLib the rest of exec_vm */
	r->vm_size = mm->total_vm * 4;
	r->vm_peak = (mm->hiwater_vm > mm->total_vm ? mm->hiwater_vm : mm->total_vm) * 4;
	r->vm_rss = rss * 4;
	r->vm_hwm = (mm->hiwater_rss > rss ? mm->hiwater_rss : rss) * 4;
	r->rss_anon = anon * 4, r->rss_file = file * 4, r->rss_shmem = shmem * 4;
	r->vm_data = mm->data_vm * 4;
	r->vm_stk = mm->stack_vm * 4;
	uint64_t text = page_align(mm->end_code) - (mm->start_code & ~(PAGE_SIZE - 1));
	if (text > mm->exec_vm << 12)
		text = mm->exec_vm << 12;
	r->vm_exe = text >> 10;
	r->vm_lib = ((mm->exec_vm << 12) - text) >> 10;
	r->vm_pte = (uint64_t)mm->pgtables_bytes >> 10;
	r->hugetlb = (uint64_t)mm->hugetlb_usage * 4;
	r->map_count = mm->nvma;
	r->start_code = mm->start_code, r->end_code = mm->end_code;
	r->start_data = mm->start_data, r->end_data = mm->end_data;
	r->start_brk = mm->start_brk, r->brk = mm->brk;
	r->start_stack = mm->start_stack, r->mmap_base = mm->mmap_base;
}

static int by_ctx_id(const void *a, const void *b)
{
	uint64_t x = (*(mm_struct *const *)a)->ctx_id, y = (*(mm_struct *const *)b)->ctx_id;
	return x < y ? -1 : x > y;
}

void os_report_live(kernel *k)
{
	size_t n = 0;
	for (mm_struct *mm = k->all_mm; mm; mm = mm->all_next)
		n += !mm->users_gone && !mm->is_init;
	mm_struct **live = malloc((n ? n : 1) * sizeof *live);
	if (!live)
		output_out_of_memory();
	n = 0;
	for (mm_struct *mm = k->all_mm; mm; mm = mm->all_next)
		if (!mm->users_gone && !mm->is_init)
			live[n++] = mm;
	qsort(live, n, sizeof *live, by_ctx_id);
	for (size_t i = 0; i < n; i++)
		os_report_mm(k, live[i], MMR_END);
	free(live);
	uint64_t pages = 0;
	for (size_t i = 0; i < k->nfiles; i++) {
		const shmem_obj *o = k->files[i].pages;
		for (size_t j = 0; j < o->npage; j++)
			pages += pages_of_level(o->page[j].level);
	}
	k->st->page_cache_pages = pages;
}
