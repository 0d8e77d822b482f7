/* hw/mmu.c - control registers, invalidation and the TLB side of
 * translation.  The walk itself is in walker.c.
 *
 * The path of one access, from the trace line to the walk:
 *
 *   base/trace.c      the line is read and checked (an access record)
 *   sim/engine.c      run_access: the record starts by the ordering rule
 *                     (start_record), then os_access
 *   os/os.h           os_access: the common case (same mode, a user task,
 *                     one page) calls os_translate; anything else goes to
 *                     os_access_general (os/kernel.c: mode change, kernel
 *                     entry/exit, one os_translate per page touched)
 *   os/os.h           os_translate: mmu_translate, then the data access;
 *                     with an observer or a fault, os_translate_rest
 *                     (os/kernel.c): on #PF handle_mm_fault (os/fault.c)
 *                     fixes the tables and the access is tried again
 *   hw/mmu.h          mmu_translate, the one front door: the memo
 *                     (mmu_memo_hit, a speed device), else the full path
 *   hw/mmu.c          mmu_translate_full, in three parts:
 *                     lookup    canonical check (#GP), the L1 arrays of the
 *                               access's kind (lookup_l1), then the STLB,
 *                               whose hit fills the L1
 *                     hit       perm_denied -> #PF from the entry;
 *                               a write to a clean entry walks to set D
 *                               (D-assist); check_hit (the checker);
 *                               remember (the memo)
 *                     refill    timed_walk -> walk (hw/walker.c), then the
 *                               entry is filled into the STLB and the L1
 *   hw/walker.c       walk: PSC start, one loop over the levels, the leaf's
 *                     rights, A and D; every entry read through the data
 *                     caches (hw/cache.c: cache_access, the rules of
 *                     lookup, fill and LRU in cache_probe), its value from
 *                     physical memory or, when set, the MMU's
 *                     paging-structure port (pt_port, hw/mmu.h; the TLM
 *                     MMU's walk socket)
 *
 * The speed devices beside that path: the memo (l1_memo, hw/mmu.h: the
 * page of the last translation of its kind, still the most recent entry
 * of its array), the TLB arrays' key mirrors and fixed-way code
 * (hw/tlb_fast.c, chosen by tlb_fast_serves) and the caches' SIMD probes
 * (hw/cache_fast.c, chosen once by cache_fast_init).  test.slow_paths=on turns the memo off;
 * testbench/scenarios/fast_paths.py holds both to the same statistics. */
#include "hw/mmu.h"
#include "hw/walker.h"
#include "hw/cache_fast.h"

#include "base/output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int init_tlb(tlb *t, const char *name, const config *cfg, enum cfg_key ek,
                    enum cfg_key wk, uint64_t shifts, char *err, size_t errlen)
{
	unsigned entries = (unsigned)cfg->v[ek];
	unsigned ways = wk == K_COUNT ? entries : (unsigned)cfg->v[wk];
	if (tlb_init(t, name, entries, ways, (enum tlb_policy)cfg->v[K_REPLACEMENT], shifts)) {
		snprintf(err, errlen, "impossible geometry for %s", config_key_name(ek));
		return -1;
	}
	return 0;
}

int mmu_init(mmu *m, unsigned id, const config *cfg, machine_shared *sh,
             cpu_stats *st, latency_hist *hist, char *err, size_t errlen)
{
	memset(m, 0, sizeof *m);
	m->id = id;
	m->sh = sh;
	m->st = st;
	m->walk_hist = hist;
	m->levels = (unsigned)cfg->v[K_PAGING_LEVELS];
	m->pwc_on = cfg->v[K_PWC] != 0;
	m->walkers = (unsigned)cfg->v[K_WALKERS];
	m->lat_l1tlb = (unsigned)cfg->v[K_LAT_L1TLB];
	m->lat_stlb = (unsigned)cfg->v[K_LAT_STLB];
	m->lat_pwc = m->pwc_on ? (unsigned)cfg->v[K_LAT_PWC] : 0;
	m->cost_ad = (unsigned)cfg->v[K_COST_AD_WRITE];
	m->cost_cr3 = (unsigned)cfg->v[K_COST_CR3];
	m->cost_cr4 = (unsigned)cfg->v[K_COST_CR4];
	m->cost_invlpg = (unsigned)cfg->v[K_COST_INVLPG];
	m->cost_invpcid = (unsigned)cfg->v[K_COST_INVPCID];
	m->cost_invlpgb = (unsigned)cfg->v[K_COST_INVLPGB];
	m->cost_invlpgb_latency = (unsigned)cfg->v[K_COST_INVLPGB_LATENCY];
	m->cost_invlpgb_per_cpu = (unsigned)cfg->v[K_COST_INVLPGB_PER_CPU];
	m->cost_invlpgb_per_page = (unsigned)cfg->v[K_COST_INVLPGB_PER_PAGE];
	m->cost_tlbsync = (unsigned)cfg->v[K_COST_TLBSYNC];
	const uint64_t s4k = 1ull << 12, s2m = 1ull << 21, s1g = 1ull << 30;
	if (init_tlb(&m->l1d[0], "l1d.4k", cfg, K_L1D4K_ENTRIES, K_L1D4K_WAYS, s4k, err, errlen) ||
	    init_tlb(&m->l1d[1], "l1d.2m", cfg, K_L1D2M_ENTRIES, K_L1D2M_WAYS, s2m, err, errlen) ||
	    init_tlb(&m->l1d[2], "l1d.1g", cfg, K_L1D1G_ENTRIES, K_L1D1G_WAYS, s1g, err, errlen) ||
	    init_tlb(&m->l1i[0], "l1i.4k", cfg, K_L1I4K_ENTRIES, K_L1I4K_WAYS, s4k, err, errlen) ||
	    init_tlb(&m->l1i[1], "l1i.2m", cfg, K_L1I2M_ENTRIES, K_L1I2M_WAYS, s2m, err, errlen) ||
	    init_tlb(&m->stlb, "stlb", cfg, K_STLB_ENTRIES, K_STLB_WAYS, s4k | s2m, err, errlen))
		return -1;
	/* each L1 array is one page size: its hits count by that size */
	for (int i = 0; i < 3; i++)
		m->l1d[i].hits = &m->st->l1d_hits[i];
	for (int i = 0; i < 2; i++)
		m->l1i[i].hits = &m->st->l1i_hits[i];
	if (m->pwc_on) {
		if (init_tlb(&m->psc[PSC_PD], "psc.pd", cfg, K_PWC_PD_ENTRIES, K_PWC_PD_WAYS, 1ull << 21, err, errlen) ||
		    init_tlb(&m->psc[PSC_PDPT], "psc.pdpt", cfg, K_PWC_PDPT_ENTRIES, K_COUNT, 1ull << 30, err, errlen) ||
		    init_tlb(&m->psc[PSC_PML4], "psc.pml4", cfg, K_PWC_PML4_ENTRIES, K_COUNT, 1ull << 39, err, errlen))
			return -1;
		if (m->levels == 5 &&
		    init_tlb(&m->psc[PSC_PML5], "psc.pml5", cfg, K_PWC_PML5_ENTRIES, K_COUNT, 1ull << 48, err, errlen))
			return -1;
	}
	if (cache_init(&m->l1, cfg->v[K_L1D_SIZE], (unsigned)cfg->v[K_L1D_WAYS], (unsigned)cfg->v[K_LAT_L1D], cfg->v[K_MEM_SIZE]) ||
	    cache_init(&m->l2, cfg->v[K_L2_SIZE], (unsigned)cfg->v[K_L2_WAYS], (unsigned)cfg->v[K_LAT_L2], cfg->v[K_MEM_SIZE])) {
		snprintf(err, errlen, "impossible cache geometry");
		return -1;
	}
	m->path.l1 = &m->l1;
	m->path.l2 = &m->l2;
	m->path.llc = &sh->llc;
	m->path.dram_latency = (unsigned)cfg->v[K_LAT_DRAM];
	cache_fast_path(&m->path);
	m->cr4 = (cfg->v[K_PGE] ? CR4_PGE : 0) | (cfg->v[K_PCID] ? CR4_PCIDE : 0) |
	         (m->levels == 5 ? CR4_LA57 : 0);
	m->memo[0].page = m->memo[1].page = UINT64_MAX;   /* no page: va >> 12 < 2^52 */
	m->memo_off = cfg->v[K_TEST_SLOW_PATHS] != 0;
	m->pcid_bind = malloc((CR3_PCID_MASK + 1) * sizeof *m->pcid_bind);
	if (!m->pcid_bind)
		output_out_of_memory();
	for (unsigned p = 0; p <= CR3_PCID_MASK; p++)
		m->pcid_bind[p] = (struct pcid_binding){ UINT64_MAX, 0 };   /* no root: PTE_ADDR's are aligned */
	return 0;
}

void mmu_free(mmu *m)
{
	for (int i = 0; i < 3; i++)
		tlb_free(&m->l1d[i]);
	for (int i = 0; i < 2; i++)
		tlb_free(&m->l1i[i]);
	tlb_free(&m->stlb);
	for (int i = 0; i < PSC_COUNT; i++)
		tlb_free(&m->psc[i]);
	cache_free(&m->l1);
	cache_free(&m->l2);
	free(m->pcid_bind);
	m->pcid_bind = NULL;
}

/* Every translation array of this CPU, for the invalidations below. */
#define N_TLBS 6
static tlb *tlb_at(mmu *m, int i)
{
	return i < 3 ? &m->l1d[i] : i < 5 ? &m->l1i[i - 3] : &m->stlb;
}

static void psc_flush_pcid(mmu *m, uint16_t pcid)
{
	for (int i = 0; i < PSC_COUNT; i++)
		if (tlb_present(&m->psc[i]))
			tlb_flush_pcid(&m->psc[i], pcid);
}

static void psc_flush_all(mmu *m)
{
	for (int i = 0; i < PSC_COUNT; i++)
		if (tlb_present(&m->psc[i]))
			tlb_flush_all(&m->psc[i]);
}

static void flush_everything(mmu *m)
{
	for (int i = 0; i < N_TLBS; i++)
		if (tlb_present(tlb_at(m, i)))
			tlb_flush_all(tlb_at(m, i));
	psc_flush_all(m);
}

void mmu_host_flush(mmu *m)
{
	m->l1_gen++;
	flush_everything(m);
}

/* MOV to CR3 (SDM 4.10.4.1).  PCIDE=0: all non-global entries (all of
 * PCID 0) and the PSCs go.  PCIDE=1: bit 63 set keeps everything;
 * clear flushes the new PCID's non-global entries and its PSC entries. */
unsigned mmu_write_cr3(mmu *m, uint64_t value)
{
	bool noflush = (value & CR3_NOFLUSH) != 0;
	bool pcide = (m->cr4 & CR4_PCIDE) != 0;
	m->cr3 = value & ~CR3_NOFLUSH;   /* bit 63 is never stored */
	m->l1_gen++;
	m->st->cr3_writes++;
	m->sh->check_epoch++;
	/* check_hit: global entries are found under any root; a PCID's own
	 * under the root it was last given, and this may be another */
	uint64_t now = m->sh->check_epoch + 1, root = m->cr3 & PTE_ADDR;
	struct pcid_binding *b = &m->pcid_bind[mmu_pcid(m)];
	m->root_floor = now;
	if (b->root != root)
		*b = (struct pcid_binding){ root, now };
	if (pcide && noflush) {
		m->st->cr3_noflush++;
		return m->cost_cr3;
	}
	uint16_t pcid = mmu_pcid(m);
	for (int i = 0; i < N_TLBS; i++)
		if (tlb_present(tlb_at(m, i)))
			tlb_flush_pcid(tlb_at(m, i), pcid);
	psc_flush_pcid(m, pcid);
	m->st->full_flushes++;
	return m->cost_cr3;
}

/* MOV to CR4: changing PGE, or clearing PCIDE, flushes everything,
 * globals included, for every PCID (SDM 4.10.4.1). */
unsigned mmu_write_cr4(mmu *m, uint64_t value)
{
	uint64_t old = m->cr4;
	m->cr4 = value;
	m->l1_gen++;
	m->sh->check_epoch++;   /* check_hit: PCIDE may change what a PCID is */
	m->path_floor = m->sh->check_epoch + 1;
	if (((old ^ value) & CR4_PGE) || ((old & CR4_PCIDE) && !(value & CR4_PCIDE))) {
		flush_everything(m);
		m->sh->check_epoch++;
	}
	return m->cost_cr4;
}

/* INVLPG: the page for the current PCID plus global entries for the page
 * in every PCID; all PSC entries of the current PCID (SDM 4.10.4.1). */
unsigned mmu_invlpg(mmu *m, uint64_t va)
{
	uint16_t pcid = mmu_pcid(m);
	m->l1_gen++;
	for (int i = 0; i < N_TLBS; i++)
		if (tlb_present(tlb_at(m, i)))
			tlb_invlpg(tlb_at(m, i), va, pcid);
	psc_flush_pcid(m, pcid);
	m->st->invlpg++;
	return m->cost_invlpg;
}

/* INVPCID types 0-3 (SDM Vol.2 INVPCID; PSC per docs/semantics.md 1.5). */
unsigned mmu_invpcid(mmu *m, unsigned type, uint16_t pcid, uint64_t va)
{
	m->l1_gen++;
	switch (type) {
	case 0:  /* individual address: that page, that PCID, not globals */
		for (int i = 0; i < N_TLBS; i++)
			if (tlb_present(tlb_at(m, i)))
				tlb_invpcid_addr(tlb_at(m, i), va, pcid);
		psc_flush_pcid(m, pcid);
		break;
	case 1:  /* single context: non-global entries of that PCID */
		for (int i = 0; i < N_TLBS; i++)
			if (tlb_present(tlb_at(m, i)))
				tlb_flush_pcid(tlb_at(m, i), pcid);
		psc_flush_pcid(m, pcid);
		m->st->full_flushes++;
		break;
	case 2:  /* all contexts, globals too */
		flush_everything(m);
		break;
	default: /* 3: all contexts but globals */
		for (int i = 0; i < N_TLBS; i++)
			if (tlb_present(tlb_at(m, i)))
				tlb_flush_nonglobal(tlb_at(m, i));
		psc_flush_all(m);
		break;
	}
	m->st->invpcid[type & 3]++;
	return m->cost_invpcid;
}

/* One CPU's share of an INVLPGB (AMD APM Vol.3 INVLPGB): for each
 * address, the TLB entries holding it in the PCID (or every PCID),
 * globals only with include_global; the PSC entries the address would use
 * (never global) unless final_only.  Without an address, every entry. */
static void invlpgb_local(mmu *m, const invlpgb_args *a)
{
	m->l1_gen++;
	if (!a->va_valid) {
		for (int i = 0; i < N_TLBS; i++)
			if (tlb_present(tlb_at(m, i)))
				tlb_invlpgb_all(tlb_at(m, i), a->pcid_valid, a->pcid, a->include_global);
		if (!a->final_only)
			for (int i = 0; i < PSC_COUNT; i++)
				if (tlb_present(&m->psc[i]))
					tlb_invlpgb_all(&m->psc[i], a->pcid_valid, a->pcid, false);
		return;
	}
	uint64_t step = a->stride_2m ? 1ull << 21 : 1ull << 12;
	for (uint64_t n = 0; n <= a->count; n++) {
		uint64_t va = a->va + n * step;
		for (int i = 0; i < N_TLBS; i++)
			if (tlb_present(tlb_at(m, i)))
				tlb_invlpgb_page(tlb_at(m, i), va, a->pcid_valid, a->pcid, a->include_global);
		if (!a->final_only)
			for (int i = 0; i < PSC_COUNT; i++)
				if (tlb_present(&m->psc[i]))
					tlb_invlpgb_page(&m->psc[i], va, a->pcid_valid, a->pcid, false);
	}
}

unsigned mmu_invlpgb(mmu *m, const invlpgb_args *a, uint64_t now)
{
	bool matches = !a->asid_valid || a->asid == 0;
	unsigned n = m->sh->cpus ? m->sh->ncpus : 1;
	if (matches) {
		if (!m->sh->cpus || m->sh->skip_broadcast)
			invlpgb_local(m, a);
		else
			for (unsigned i = 0; i < n; i++)
				invlpgb_local(m->sh->cpus[i], a);
	}
	uint64_t pages = a->va_valid ? (uint64_t)a->count + 1 : 0;
	uint64_t done = now + m->cost_invlpgb + m->cost_invlpgb_latency +
	                (uint64_t)m->cost_invlpgb_per_cpu * n + (uint64_t)m->cost_invlpgb_per_page * pages;
	if (done > m->invlpgb_done)
		m->invlpgb_done = done;
	m->st->invlpgb++;
	m->st->invlpgb_pages += pages;
	m->st->broadcast_cycles += m->cost_invlpgb;
	return m->cost_invlpgb;
}

unsigned mmu_tlbsync(mmu *m, uint64_t now)
{
	uint64_t end = now + m->cost_tlbsync;
	if (m->invlpgb_done > end)
		end = m->invlpgb_done;
	m->invlpgb_done = 0;
	m->st->tlbsync++;
	m->st->broadcast_cycles += end - now;
	return (unsigned)(end - now);
}

/* A #PF invalidates the TLB entries for the faulting page (current PCID
 * and global) and the PSC entries the address would use, current PCID
 * (SDM 4.10.4.1, "page faults"). */
static void fault_invalidate(mmu *m, uint64_t va)
{
	uint16_t pcid = mmu_pcid(m);
	m->l1_gen++;
	for (int i = 0; i < N_TLBS; i++)
		if (tlb_present(tlb_at(m, i)))
			tlb_invlpg(tlb_at(m, i), va, pcid);
	for (int i = 0; i < PSC_COUNT; i++)
		if (tlb_present(&m->psc[i]))
			tlb_invpcid_addr(&m->psc[i], va, pcid);
}

/* Ends a translation with a #PF at cycle `end`. */
static void page_fault(mmu *m, uint64_t va, xlate_result *r, uint32_t error, uint64_t end)
{
	fault_invalidate(m, va);
	r->fault = XF_PF;
	r->pf_error = error;
	r->end = end;
}

/* The checker: is a hit entry still what the page tables say?  Verified
 * entries carry the epoch they were checked at, so a stable phase costs
 * one compare per hit.
 *
 * Speed device: where the last probe of an entry found its leaf
 * (tlb_entry.leaf, with the rights of the levels above), so that the next
 * probe reads that one entry instead of walking from CR3 again.  Why the
 * answer is the one mmu_probe would give: a probe's answer is a function
 * of the entries it reads, and it reads the same entries as long as its
 * root and every entry above the leaf on its way are unchanged.
 *   - The root: a non-global entry hits only under its own PCID, whose
 *     root is the one CR3 last gave it; mmu_write_cr3 raises that PCID's
 *     floor (pcid_bind) when the root differs from the one before.  A
 *     global entry hits under any root: every CR3 write raises
 *     root_floor.  A CR4 write raises path_floor (PCIDE may change what
 *     a PCID is).
 *   - The entries above the leaf: the kernel writes a table entry
 *     through mmu_tables_written, which raises machine_shared.path_floor
 *     for a write above level 1, and makes a frame a table through
 *     mmu_table_allocated, which raises it too (os/pgtable.c); what it
 *     writes into a new table before linking it (os/mm.c: pgd_alloc's
 *     kernel half, a split huge page's PTEs) is written before any access
 *     can read it.  A write at level 1 is one in a PTE table, which no
 *     way takes as a pointer: a frame is a table at one level from its
 *     allocation to its next one.  A table freed is cleared only after a
 *     write above level 1 unlinked it (os/mm.c, zap_table), a pgd not at
 *     all.  The walker's A/D updates change no bit a probe
 *     reads.
 * Every floor is raised to check_epoch + 1 just after check_epoch moved,
 * so an entry verified at check_epoch c (c is check_epoch + 1 then) has c
 * at or above a floor exactly when that floor has not risen since
 * (mmu_path_known).  Then entry.leaf, found by that verification's probe
 * (or by the walk that filled the entry, when the walk started from CR3
 * or from a PSC entry so stamped itself, hw/walker.c) or kept by a check
 * like this one, is still the leaf the probe reaches, and
 * mmu_probe_from_leaf reads it as mmu_probe would, handing back to the
 * full probe when the entry is no leaf of that size any more.  The stale
 * decision below is the same code on the same values either way.  Kept
 * only for a leaf of the entry's own size (a 2 MiB entry verified against
 * a 4 KiB leaf has a leaf per 4 KiB page); off with test.slow_paths
 * (fast_paths.py holds both to the same statistics, checker_catches_*
 * included; test_mmu's checker_reads_the_leaf_again the device alone). */
static bool check_hit(mmu *m, tlb_entry *e, uint64_t va)
{
	uint64_t epoch = m->sh->check_epoch + 1;
	if (e->check_epoch == epoch)
		return true;
	uint64_t pfn, leaf = e->leaf;
	unsigned shift = e->shift;
	uint8_t perm;
	int found = -1;
	if (leaf && mmu_path_known(m, e))
		found = mmu_probe_from_leaf(m, leaf, shift, &pfn, &perm);
	if (found < 0) {
		found = mmu_probe_leaf(m, va, &pfn, &shift, &perm, &leaf);
		if (shift != e->shift || m->memo_off)
			leaf = 0;
	}
	bool stale = !found;
	if (!stale) {
		/* same 4 KiB frame for va, and no right the tables no longer grant */
		uint64_t want = (pfn << 12) + (va & ((1ull << shift) - 1) & ~0xfffull);
		uint64_t have = (e->pfn << 12) + (va & ((1ull << e->shift) - 1) & ~0xfffull);
		stale = want != have || (perm_grants(e->perm) & ~perm_grants(perm)) != 0;
	}
	if (stale && !m->flush_in_flight)
		m->st->stale_hits++;
	else if (!stale) {
		e->check_epoch = epoch;
		e->leaf = leaf;
	}
	return !stale;
}

/* The memo (mmu_memo_hit): the translation of va to pa ended on e, the
 * entry array t touched last (none without an L1 entry, or with a shadow
 * that must see every lookup). */
static inline __attribute__((always_inline)) void remember(mmu *m, bool exec, uint64_t va,
                                                           uint64_t pa, const tlb *t,
                                                           const tlb_entry *e)
{
	if (!t || !e || t->hook || m->memo_off)
		return;
	l1_memo *f = &m->memo[exec];
	f->page = va >> 12;
	f->gen = m->l1_gen;
	f->e = e;
	f->t = t;
	f->hits = t->hits;
	f->pa = pa & ~0xfffull;
	/* W only once D is set (a write to a clean entry is a D-assist) */
	f->have = (uint8_t)(perm_grants(e->perm) & ~(e->dirty ? 0u : (unsigned)PERM_W));
	f->shift = e->shift;
}

/* Runs a walk on the earliest free walker, no earlier than `ready`. */
static bool timed_walk(mmu *m, uint64_t va, enum access_kind kind, bool user,
                       uint64_t ready, xlate_result *r, walk_out *w)
{
	unsigned best = 0;
	for (unsigned i = 1; i < m->walkers; i++)
		if (m->walker_free[i] < m->walker_free[best])
			best = i;
	uint64_t start = ready > m->walker_free[best] ? ready : m->walker_free[best];
	bool ok = walk(m, va, kind, user, start, w, r);
	m->walker_free[best] = w->end;
	r->walked = true;
	r->walk_start = start;
	r->walk_end = w->end;
	m->st->walks++;
	m->st->walk_cycles += w->end - start;
	hist_add(m->walk_hist, w->end - start);
	return ok;
}

static tlb_entry *lookup_l1(tlb *arr, int n, uint64_t va, uint16_t pcid, bool pge, bool write,
                            tlb **found_in)
{
	for (int i = 0; i < n; i++) {
		tlb *t = &arr[i];
		if (!t->sets)
			continue;
		unsigned shift = i == 0 ? 12 : i == 1 ? 21 : 30;
		tlb_entry *e = tlb_lookup(t, va >> shift, shift, pcid, pge, write);
		if (e) {
			*found_in = t;
			return e;
		}
	}
	return NULL;
}

/* The entry again with D set, written through the array like any fill (a
 * shadow such as the co-simulated RTL sees it): it co-matches only itself,
 * so it lands in its own way, and touching the most recent way is a no-op. */
static tlb_entry *set_dirty(tlb *t, const tlb_entry *e)
{
	tlb_entry d = *e;
	d.dirty = 1;
	return tlb_fill(t, &d);   /* the caller bumps l1_gen */
}

static tlb *l1_for(mmu *m, bool exec, unsigned shift)
{
	int i = shift == 12 ? 0 : shift == 21 ? 1 : 2;
	if (exec)
		return i < 2 ? &m->l1i[i] : NULL;
	return &m->l1d[i];
}

/* What the lookup found: entry e of array in; for an STLB hit also the
 * copy it filled into the L1 (copy in copy_in, none for a 1 GiB fetch or
 * an absent array); t, the cycle the lookup ends. */
typedef struct lookup_out {
	tlb *in, *copy_in;
	tlb_entry *e, *copy;
	uint64_t t;
} lookup_out;

/* Lookup of the hierarchy: the L1 arrays of the access's kind, then the
 * STLB, whose hit fills the L1 (docs/trace-format.md, "What uses the
 * TLBs").  Counts the lookups; true on a hit, with r->level. */
static bool lookup(mmu *m, uint64_t va, bool exec, bool write, uint16_t pcid, bool pge,
                   uint64_t start, xlate_result *r, lookup_out *h)
{
	tlb_counts *l1c = exec ? &m->st->l1i : &m->st->l1d;
	h->t = start + m->lat_l1tlb;
	h->in = h->copy_in = NULL;
	h->copy = NULL;
	h->e = lookup_l1(exec ? m->l1i : m->l1d, exec ? 2 : 3, va, pcid, pge, write, &h->in);
	if (h->e) {
		(*h->in->hits)++;   /* the L1 lookups are hits + misses (base/stats.h) */
		r->level = XL_L1;
		return true;
	}
	l1c->misses++;
	r->level = XL_WALK;
	if (!m->stlb.sets)
		return false;
	m->st->stlb.lookups++;
	h->t += m->lat_stlb;
	h->e = tlb_lookup(&m->stlb, va >> 12, 12, pcid, pge, write);
	if (!h->e)
		h->e = tlb_lookup(&m->stlb, va >> 21, 21, pcid, pge, write);
	if (!h->e) {
		m->st->stlb.misses++;
		return false;
	}
	m->st->stlb.hits++;
	m->st->stlb_hits[h->e->shift == 21 ? PS_2M : PS_4K]++;
	r->level = XL_STLB;
	h->in = &m->stlb;
	h->copy_in = l1_for(m, exec, h->e->shift);
	if (h->copy_in) {
		h->copy = tlb_fill(h->copy_in, h->e);
		m->l1_gen++;
	}
	return true;
}

/* Hit handling: the entry's rights (#PF from the entry), a write to a
 * clean entry walks to set D (D-assist), the checker, the memo. */
static void hit(mmu *m, uint64_t va, enum access_kind kind, bool user, xlate_result *r,
                lookup_out *h)
{
	tlb_entry *e = h->e, *copy = h->copy;
	uint64_t t = h->t;
	if (perm_denied(e->perm, kind, user)) {
		page_fault(m, va, r, pf_error_code(true, kind, user), t);
		return;
	}
	if (kind == ACC_WRITE && !e->dirty) {
		/* D-assist: the hit stands, the hardware walks to set D. */
		walk_out w;
		r->d_assist = true;
		if (!timed_walk(m, va, kind, user, t, r, &w)) {
			page_fault(m, va, r, w.pf_error, w.end);
			return;
		}
		t = w.end;
		e = set_dirty(h->in, e);   /* walks never touch the TLB arrays: e still stands */
		if (copy)
			copy = set_dirty(h->copy_in, copy);
		m->l1_gen++;
	}
	/* the L1 copy is the same entry: verified with it */
	if (check_hit(m, e, va) && copy) {
		copy->check_epoch = e->check_epoch;
		copy->leaf = e->leaf;
	}
	r->page_shift = e->shift;
	r->pa = (e->pfn << 12) + (va & ((1ull << e->shift) - 1));
	r->end = t;
	bool exec = kind == ACC_EXEC;
	if (r->level == XL_L1)
		remember(m, exec, va, r->pa, h->in, e);
	else
		remember(m, exec, va, r->pa, h->copy_in, copy);
}

/* Refill from the walk: the walk's entry goes into the STLB and the L1
 * (and the memo), or the walk's #PF ends the translation. */
static void refill(mmu *m, uint64_t va, enum access_kind kind, bool user, uint16_t pcid,
                   uint64_t t, xlate_result *r)
{
	walk_out w;
	if (!timed_walk(m, va, kind, user, t, r, &w)) {
		page_fault(m, va, r, w.pf_error, w.end);
		return;
	}
	/* the entry is what the tables say now: the checker has nothing to
	 * verify until they change (check_epoch) */
	m->st->walk_fills[w.shift == 12 ? PS_4K : w.shift == 21 ? PS_2M : PS_1G]++;
	tlb_entry n = { .vpn = va >> w.shift, .pfn = w.pfn, .pcid = pcid,
	                .global = w.global, .perm = w.perm, .dirty = w.dirty,
	                .shift = (uint8_t)w.shift, .check_epoch = m->sh->check_epoch + 1,
	                .leaf = w.leaf };
	if (tlb_holds(&m->stlb, w.shift))
		tlb_fill(&m->stlb, &n);
	r->page_shift = w.shift;
	r->pa = (w.pfn << 12) + (va & ((1ull << w.shift) - 1));
	r->end = w.end;
	bool exec = kind == ACC_EXEC;
	tlb *l1 = l1_for(m, exec, w.shift);
	if (l1 && l1->sets) {
		tlb_entry *filled = tlb_fill(l1, &n);
		m->l1_gen++;
		remember(m, exec, va, r->pa, l1, filled);
	}
}

void mmu_translate_full(mmu *m, uint64_t va, enum access_kind kind, bool user,
                        uint64_t start, xlate_result *r)
{
	r->fault = XF_NONE;
	r->walked = r->d_assist = false;
	r->nsteps = 0;
	r->start = start;
	r->pf_error = 0;
	if (!va_canonical(va, m->levels)) {
		r->fault = XF_GP;       /* SDM 3.3.7.1: #GP, not a page fault */
		r->level = XL_WALK;
		r->end = start;
		return;
	}
	uint16_t pcid = mmu_pcid(m);
	bool pge = (m->cr4 & CR4_PGE) != 0;
	lookup_out h;
	if (lookup(m, va, kind == ACC_EXEC, kind == ACC_WRITE, pcid, pge, start, r, &h))
		hit(m, va, kind, user, r, &h);
	else
		refill(m, va, kind, user, pcid, h.t, r);
}
