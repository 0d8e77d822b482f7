/* Unit tests of the MMU of one CPU (hw/mmu.c, hw/walker.c): the walk,
 * the PSCs, A/D updates, faults, and one test per row of the invalidation
 * table of docs/semantics.md section 1.5, asserting exactly which TLB
 * and PSC entries survive. */
#include "check.h"
#include "hw/mmu.h"
#include "page_tables.h"

#include <stdlib.h>

static phys_mem pm;
static machine_shared sh;
static cpu_stats st;
static latency_hist hist;
static mmu m;
static uint64_t pgd;

static uint64_t alloc_table(void) { return pt_alloc_table(&pm); }

/* Maps va -> pfn with a leaf at `level` (1: 4K, 2: 2M, 3: 1G). */
static void map(uint64_t va, uint64_t pfn, uint64_t flags, unsigned level)
{
	pt_map(&pm, pgd, m.levels, va, pfn, flags, level);
}

static uint64_t leaf(uint64_t va)
{
	uint64_t table = pgd << 12;
	for (unsigned l = m.levels;; l--) {
		uint64_t e = phys_read64(&pm, table + 8ull * pt_index(va, l));
		if (l == 1 || (e & PTE_PS))
			return e;
		table = e & PTE_ADDR;
	}
}

static void setup_with(const char *assign)
{
	config cfg;
	char err[256];
	config_preset(&cfg, "skylake", err, sizeof err);
	config_set(&cfg, "mem.size=1g", err, sizeof err);
	if (assign)
		config_set(&cfg, assign, err, sizeof err);
	mmu_free(&m);
	cache_free(&sh.llc);
	phys_free(&pm);
	phys_init(&pm, cfg.v[K_MEM_SIZE]);
	sh = (machine_shared){ .pm = &pm };
	cache_init(&sh.llc, cfg.v[K_LLC_SIZE], (unsigned)cfg.v[K_LLC_WAYS], (unsigned)cfg.v[K_LAT_LLC], cfg.v[K_MEM_SIZE]);
	memset(&st, 0, sizeof st);
	memset(&hist, 0, sizeof hist);
	if (mmu_init(&m, 0, &cfg, &sh, &st, &hist, err, sizeof err))
		abort();
	pgd = alloc_table();
	m.cr3 = (pgd << 12) | 1;   /* PCID 1 */
}

static void setup(void) { setup_with(NULL); }

#define U  (PTE_US | PTE_RW)
#define VA(n) (0x400000ull + ((uint64_t)(n) << 12))
#define KVA 0xffff888000000000ull

static xlate_result go(uint64_t va, enum access_kind kind, bool user)
{
	xlate_result r;
	mmu_translate(&m, va, kind, user, 1000, &r);
	return r;
}

/* Fills: user pages VA(0), VA(1) in PCID 1 and PCID 2, a global kernel
 * page in PCID 1.  Leaves CR3 at PCID 1. */
static void fill_two_pcids(void)
{
	map(VA(0), 0x100, U, 1);
	map(VA(1), 0x101, U, 1);
	map(KVA, 0, PTE_RW | PTE_G, 3);
	go(VA(0), ACC_READ, true);
	go(VA(1), ACC_READ, true);
	go(KVA, ACC_READ, false);
	mmu_write_cr3(&m, (pgd << 12) | 2 | CR3_NOFLUSH);
	go(VA(0), ACC_READ, true);
	go(VA(1), ACC_READ, true);
	mmu_write_cr3(&m, (pgd << 12) | 1 | CR3_NOFLUSH);
}

/* entries for page `va` in the L1 DTLB 4K or 1G array for pcid (or global) */
static bool cached(uint64_t va, uint16_t pcid, bool global)
{
	for (int a = 0; a < 3; a++) {
		tlb *t = &m.l1d[a];
		for (unsigned i = 0; i < t->sets * t->ways; i++) {
			tlb_entry *e = &t->entries[i];
			if (e->valid && e->vpn == va >> e->shift && e->global == global &&
			    (global || e->pcid == pcid))
				return true;
		}
	}
	return false;
}

static unsigned psc_entries(uint16_t pcid)
{
	unsigned n = 0;
	for (int p = 0; p < PSC_COUNT; p++)
		for (unsigned i = 0; i < m.psc[p].sets * m.psc[p].ways; i++)
			n += m.psc[p].entries[i].valid && m.psc[p].entries[i].pcid == pcid;
	return n;
}

/* A cold 4-level walk reads 4 entries; the next page of the same 2 MiB
 * region starts at the PDE cache and reads 1. */
static void walk_reads_each_level_then_psc_skips(void)
{
	setup();
	map(VA(0), 0x100, U, 1);
	map(VA(1), 0x101, U, 1);
	xlate_result r = go(VA(0) + 0x123, ACC_READ, true);
	CHECK_EQ(r.fault, XF_NONE);
	CHECK_EQ(r.level, XL_WALK);
	CHECK_EQ(r.pa, (0x100ull << 12) + 0x123);
	CHECK_EQ(st.walks, 1);
	CHECK_EQ(st.walk_mem_refs, 4);
	CHECK_EQ(st.pwc_hits, 0);
	r = go(VA(1), ACC_READ, true);
	CHECK_EQ(st.walks, 2);
	CHECK_EQ(st.walk_mem_refs, 5);
	CHECK_EQ(st.pwc_hits, 1);
	r = go(VA(0), ACC_READ, true);
	CHECK_EQ(r.level, XL_L1);
	CHECK_EQ(st.walks, 2);
	stats_sum_l1(&st);
	CHECK_EQ(st.l1d.hits, 1);
	CHECK_EQ(st.l1d_hits[PS_4K], 1);
	CHECK_EQ(st.l1d.misses, 2);
	CHECK_EQ(st.stlb.misses, 2);
}

/* Cold walk cost: lat_pwc + 4 DRAM reads (cold caches) + the A write of
 * the leaf (the test's upper levels have A clear too: 3 more A writes):
 * 1 + 4*250 + 4*20 = 1081 cycles. */
static void walk_latency_counts_dram_reads_and_a_writes(void)
{
	setup();
	map(VA(0), 0x100, U, 1);
	xlate_result r = go(VA(0), ACC_READ, true);
	CHECK_EQ(r.walk_end - r.walk_start, 1 + 4 * 250 + 4 * 20);
	CHECK_EQ(hist.count, 1);
	CHECK_EQ(hist.max, 1081);
}

static void a_and_d_bits_are_set_by_the_walker(void)
{
	setup();
	map(VA(0), 0x100, U, 1);
	go(VA(0), ACC_READ, true);
	CHECK(leaf(VA(0)) & PTE_A);
	CHECK(!(leaf(VA(0)) & PTE_D));
	/* a write hitting the clean entry is a hit, plus a D-assist walk */
	xlate_result r = go(VA(0), ACC_WRITE, true);
	CHECK_EQ(r.fault, XF_NONE);
	CHECK_EQ(r.level, XL_L1);
	CHECK(r.d_assist);
	CHECK_EQ(st.walks, 2);
	CHECK(leaf(VA(0)) & PTE_D);
	r = go(VA(0), ACC_WRITE, true);
	CHECK(!r.d_assist);
	CHECK_EQ(st.walks, 2);
}

static void faults_carry_the_sdm_error_code(void)
{
	setup();
	map(VA(0), 0x100, PTE_US, 1);              /* read-only user */
	map(VA(1), 0x101, PTE_RW, 1);              /* supervisor */
	map(VA(2), 0x102, U | PTE_XD, 1);          /* no execute */
	xlate_result r = go(VA(0), ACC_WRITE, true);
	CHECK_EQ(r.fault, XF_PF);
	CHECK_EQ(r.pf_error, PF_P | PF_W | PF_U);
	r = go(VA(1), ACC_READ, true);
	CHECK_EQ(r.pf_error, PF_P | PF_U);
	r = go(VA(1), ACC_READ, false);            /* supervisor may read it */
	CHECK_EQ(r.fault, XF_NONE);
	r = go(VA(2), ACC_EXEC, true);
	CHECK_EQ(r.pf_error, PF_P | PF_U | PF_I);
	r = go(VA(9), ACC_WRITE, true);            /* not present */
	CHECK_EQ(r.pf_error, PF_W | PF_U);
	r = go(0x0000800000000000ull, ACC_READ, true);
	CHECK_EQ(r.fault, XF_GP);
	/* a fault from a TLB entry invalidates it: the retry walks */
	go(VA(0), ACC_READ, true);
	uint64_t walks = st.walks;
	r = go(VA(0), ACC_WRITE, true);
	CHECK_EQ(r.fault, XF_PF);
	CHECK_EQ(st.walks, walks);                 /* faulted on the TLB entry */
	CHECK(!cached(VA(0), 1, false));
}

static void huge_pages_fill_their_arrays(void)
{
	setup();
	map(0x40000000ull, 0x200, U, 2);           /* 2 MiB */
	map(KVA, 0, PTE_RW | PTE_G, 3);            /* 1 GiB */
	xlate_result r = go(0x40000000ull + 0x12345, ACC_READ, true);
	CHECK_EQ(r.page_shift, 21);
	CHECK_EQ(r.pa, (0x200ull << 12) + 0x12345);
	CHECK_EQ(tlb_count_valid(&m.l1d[1]), 1);
	CHECK_EQ(tlb_count_valid(&m.stlb), 1);
	r = go(KVA + 0x3000, ACC_READ, false);
	CHECK_EQ(r.page_shift, 30);
	CHECK_EQ(tlb_count_valid(&m.l1d[2]), 1);
	CHECK_EQ(tlb_count_valid(&m.stlb), 1);     /* the STLB holds no 1G pages */
	r = go(KVA + 0x5000, ACC_READ, false);
	CHECK_EQ(r.level, XL_L1);
}

static void five_level_walk_reads_five_entries(void)
{
	setup_with("paging_levels=5");
	uint64_t va = 0x00ff000000001000ull;       /* needs LA57 */
	map(va, 0x100, U, 1);
	xlate_result r = go(va, ACC_READ, true);
	CHECK_EQ(r.fault, XF_NONE);
	CHECK_EQ(st.walk_mem_refs, 5);
	CHECK_EQ(go(0x0100000000000000ull, ACC_READ, true).fault, XF_GP);
}

/* Row 1: MOV CR3 with PCIDE=0: all non-global entries and all PSC go. */
static void cr3_write_without_pcide_flushes_nonglobal(void)
{
	setup_with("pcid=off");
	m.cr3 = pgd << 12;
	map(VA(0), 0x100, U, 1);
	map(KVA, 0, PTE_RW | PTE_G, 3);
	go(VA(0), ACC_READ, true);
	go(KVA, ACC_READ, false);
	CHECK(psc_entries(0) > 0);
	mmu_write_cr3(&m, pgd << 12);
	CHECK(!cached(VA(0), 0, false));
	CHECK(cached(KVA, 0, true));
	CHECK_EQ(psc_entries(0), 0);
	CHECK_EQ(st.cr3_writes, 1);
	CHECK_EQ(st.full_flushes, 1);
}

/* Row 2: PCIDE=1, bit 63 clear: non-global entries of the new PCID and
 * its PSC entries go; other PCIDs and globals stay. */
static void cr3_write_flushes_only_the_new_pcid(void)
{
	setup();
	fill_two_pcids();
	unsigned psc1 = psc_entries(1);
	mmu_write_cr3(&m, (pgd << 12) | 2);
	CHECK(!cached(VA(0), 2, false));
	CHECK(!cached(VA(1), 2, false));
	CHECK(cached(VA(0), 1, false));
	CHECK(cached(VA(1), 1, false));
	CHECK(cached(KVA, 1, true));
	CHECK_EQ(psc_entries(2), 0);
	CHECK_EQ(psc_entries(1), psc1);
	CHECK_EQ(st.cr3_noflush, 2);
	CHECK_EQ(st.full_flushes, 1);
}

/* Row 3: PCIDE=1, bit 63 set: nothing is invalidated. */
static void cr3_noflush_keeps_everything(void)
{
	setup();
	fill_two_pcids();
	unsigned before = tlb_count_valid(&m.l1d[0]) + tlb_count_valid(&m.l1d[2]);
	unsigned psc = psc_entries(1) + psc_entries(2);
	mmu_write_cr3(&m, (pgd << 12) | 2 | CR3_NOFLUSH);
	CHECK_EQ(tlb_count_valid(&m.l1d[0]) + tlb_count_valid(&m.l1d[2]), before);
	CHECK_EQ(psc_entries(1) + psc_entries(2), psc);
	CHECK_EQ(before, 5);
	CHECK_EQ(m.cr3 & CR3_NOFLUSH, 0);          /* bit 63 is never stored */
	CHECK_EQ(m.cr3 & CR3_PCID_MASK, 2);
}

/* Row 4: MOV CR4 changing PGE, or clearing PCIDE: everything goes. */
static void cr4_change_flushes_everything(void)
{
	setup();
	fill_two_pcids();
	mmu_write_cr4(&m, m.cr4 & ~CR4_PGE);
	CHECK_EQ(tlb_count_valid(&m.l1d[0]) + tlb_count_valid(&m.l1d[2]) + tlb_count_valid(&m.stlb), 0);
	CHECK_EQ(psc_entries(1) + psc_entries(2), 0);
	setup();
	fill_two_pcids();
	mmu_write_cr4(&m, m.cr4 & ~CR4_PCIDE);
	CHECK(!cached(KVA, 1, true));
	CHECK_EQ(tlb_count_valid(&m.stlb), 0);
	setup();
	fill_two_pcids();
	mmu_write_cr4(&m, m.cr4);                  /* no change: nothing */
	CHECK(cached(KVA, 1, true));
}

/* Row 5: INVLPG: that page for the current PCID plus globals for that
 * page; every PSC entry of the current PCID. */
static void invlpg_drops_page_current_pcid_and_globals(void)
{
	setup();
	fill_two_pcids();
	unsigned psc2 = psc_entries(2);
	mmu_invlpg(&m, VA(0));
	CHECK(!cached(VA(0), 1, false));
	CHECK(cached(VA(0), 2, false));            /* other PCID keeps it */
	CHECK(cached(VA(1), 1, false));            /* other page stays */
	CHECK_EQ(psc_entries(1), 0);
	CHECK_EQ(psc_entries(2), psc2);
	mmu_invlpg(&m, KVA);
	CHECK(!cached(KVA, 1, true));              /* globals for the page go */
	CHECK_EQ(st.invlpg, 2);
}

/* Row 6: INVPCID type 0: that page, that PCID, non-global; model: the
 * PSC entries of that PCID. */
static void invpcid_0_drops_one_page_of_one_pcid(void)
{
	setup();
	fill_two_pcids();
	unsigned psc1 = psc_entries(1);
	mmu_invpcid(&m, 0, 2, VA(0));
	CHECK(!cached(VA(0), 2, false));
	CHECK(cached(VA(0), 1, false));
	CHECK(cached(VA(1), 2, false));
	CHECK_EQ(psc_entries(2), 0);
	CHECK_EQ(psc_entries(1), psc1);
	mmu_invpcid(&m, 0, 1, KVA);
	CHECK(cached(KVA, 1, true));               /* globals stay */
	CHECK_EQ(st.invpcid[0], 2);
}

/* Row 7: INVPCID type 1: all non-global entries of that PCID. */
static void invpcid_1_drops_one_pcid(void)
{
	setup();
	fill_two_pcids();
	mmu_invpcid(&m, 1, 1, 0);
	CHECK(!cached(VA(0), 1, false));
	CHECK(!cached(VA(1), 1, false));
	CHECK(cached(VA(0), 2, false));
	CHECK(cached(KVA, 1, true));
	CHECK_EQ(psc_entries(1), 0);
	CHECK(psc_entries(2) > 0);
}

/* Row 8: INVPCID type 2: everything, globals too. */
static void invpcid_2_drops_everything(void)
{
	setup();
	fill_two_pcids();
	mmu_invpcid(&m, 2, 0, 0);
	CHECK_EQ(tlb_count_valid(&m.l1d[0]) + tlb_count_valid(&m.l1d[2]) + tlb_count_valid(&m.stlb), 0);
	CHECK_EQ(psc_entries(1) + psc_entries(2), 0);
}

/* Row 9: INVPCID type 3: everything but globals; all PSC entries. */
static void invpcid_3_keeps_only_globals(void)
{
	setup();
	fill_two_pcids();
	mmu_invpcid(&m, 3, 0, 0);
	CHECK_EQ(tlb_count_valid(&m.l1d[0]), 0);
	CHECK(cached(KVA, 1, true));
	CHECK_EQ(psc_entries(1) + psc_entries(2), 0);
	CHECK_EQ(st.invpcid[3], 1);
}

/* The checker: a hit on an entry whose PTE changed without a flush. */
static void checker_counts_stale_hits(void)
{
	setup();
	map(VA(0), 0x100, U, 1);
	go(VA(0), ACC_READ, true);
	go(VA(0), ACC_READ, true);
	CHECK_EQ(st.stale_hits, 0);
	map(VA(0), 0x999, U, 1);                   /* remap, "forget" the flush */
	mmu_tables_written(&sh, 1);
	go(VA(0), ACC_READ, true);
	CHECK_EQ(st.stale_hits, 1);
}

/* The physical address of va's entry at `level` under root table `root`. */
static uint64_t slot_pa(uint64_t root, uint64_t va, unsigned level)
{
	uint64_t table = root << 12;
	for (unsigned l = m.levels; l > level; l--)
		table = phys_read64(&pm, table + 8ull * pt_index(va, l)) & PTE_ADDR;
	return table + 8ull * pt_index(va, level);
}

/* The checker's speed device (check_hit: the leaf a probe found last
 * time, read alone while nothing above it changed).  A leaf write: it
 * reads the leaf again and sees the change.  A write above the leaf (a
 * new PTE table holding the same mapping, the old one left saying
 * otherwise) and a CR3 write giving the entry's PCID another root (the
 * same mapping again, the old leaf changed after): a probe from CR3,
 * which finds nothing stale where the old leaf would. */
static void checker_reads_the_leaf_again(void)
{
	setup();
	map(VA(0), 0x100, U, 1);
	go(VA(0), ACC_READ, true);                  /* a walk from CR3: the leaf is known */
	map(VA(0), 0x999, U, 1);
	mmu_tables_written(&sh, 1);
	go(VA(0), ACC_READ, true);
	CHECK_EQ(st.stale_hits, 1);
	map(VA(0), 0x100, U, 1);
	mmu_tables_written(&sh, 1);
	go(VA(0), ACC_READ, true);
	CHECK_EQ(st.stale_hits, 1);
	uint64_t pte = leaf(VA(0)), old_pte = slot_pa(pgd, VA(0), 1), pt2 = alloc_table();
	phys_write64(&pm, (pt2 << 12) + (old_pte & 0xfff), pte);
	phys_write64(&pm, old_pte, (0x999ull << 12) | PTE_P | U);
	phys_write64(&pm, slot_pa(pgd, VA(0), 2), (pt2 << 12) | PTE_P | PTE_RW | PTE_US);
	mmu_tables_written(&sh, 2);
	go(VA(0), ACC_READ, true);
	CHECK_EQ(st.stale_hits, 1);
	uint64_t pgd2 = alloc_table();
	pt_map(&pm, pgd2, m.levels, VA(0), 0x100, U, 1);
	mmu_write_cr3(&m, (pgd2 << 12) | 1 | CR3_NOFLUSH);
	phys_write64(&pm, slot_pa(pgd, VA(0), 1), (0x999ull << 12) | PTE_P | U);
	mmu_tables_written(&sh, 1);
	go(VA(0), ACC_READ, true);
	CHECK(cached(VA(0), 1, false));
	CHECK_EQ(st.stale_hits, 1);
	CHECK_EQ(st.walks, 1);                       /* hits all along */
}

/* The memo of mmu_translate's front door (mmu_memo_hit): pa and end when
 * it answers. */
static bool memo(uint64_t va, enum access_kind kind, bool user, uint64_t start, uint64_t *pa,
                 uint64_t *end)
{
	xlate_result r;
	if (!mmu_memo_hit(&m, va, kind, user, start, &r))
		return false;
	*pa = r.pa;
	*end = r.end;
	return true;
}

/* The memo (mmu_memo_hit): after a translation it answers for the
 * same 4 KiB page, of any page size, counting an L1 hit and nothing else;
 * it refuses what the full path would treat differently (a write to a
 * clean entry, a right the entry lacks, another page) and anything after
 * an invalidation or CR3 write, even one that leaves the page tables as
 * they were. */
static void memo_answers_only_while_nothing_changed(void)
{
	setup();
	map(VA(0), 0x100, U, 1);
	map(0x40000000ull, 0x200, U, 2);
	uint64_t pa, end;
	CHECK(!memo(VA(0), ACC_READ, true, 0, &pa, &end));   /* no memo yet */
	go(VA(0) + 8, ACC_READ, true);                                         /* a walk */
	stats_sum_l1(&st);
	uint64_t lookups = st.l1d.lookups, hits = st.l1d.hits, walks = st.walks;
	CHECK(memo(VA(0) + 0x10, ACC_READ, true, 50, &pa, &end));
	CHECK_EQ(pa, (0x100ull << 12) + 0x10);
	CHECK_EQ(end, 50 + m.lat_l1tlb);
	stats_sum_l1(&st);
	CHECK_EQ(st.l1d.lookups, lookups + 1);
	CHECK_EQ(st.l1d.hits, hits + 1);
	CHECK_EQ(st.walks, walks);
	CHECK(!memo(VA(1), ACC_READ, true, 0, &pa, &end));   /* another page */
	CHECK(!memo(VA(0), ACC_WRITE, true, 0, &pa, &end));  /* D clear: assist */
	CHECK(!memo(VA(0), ACC_EXEC, true, 0, &pa, &end));   /* fetches: ITLB */
	go(VA(0), ACC_WRITE, true);                                            /* D-assist */
	CHECK(memo(VA(0), ACC_WRITE, true, 0, &pa, &end));
	/* a 2 MiB page, through the 4K array's miss */
	go(0x40000000ull + 0x5000, ACC_READ, true);
	CHECK(memo(0x40000000ull + 0x5008, ACC_READ, true, 0, &pa, &end));
	CHECK_EQ(pa, (0x200ull << 12) + 0x5008);
	CHECK(!memo(0x40000000ull + 0x6000, ACC_READ, true, 0, &pa, &end));
	/* invalidations and CR3 writes end it, page tables unchanged */
	mmu_invlpg(&m, 0x40000000ull);
	CHECK(!memo(0x40000000ull + 0x5008, ACC_READ, true, 0, &pa, &end));
	CHECK_EQ(go(0x40000000ull + 0x5008, ACC_READ, true).level, XL_WALK);
	CHECK(memo(0x40000000ull + 0x5008, ACC_READ, true, 0, &pa, &end));
	mmu_invpcid(&m, 0, 7, VA(9));              /* another PCID, another page */
	CHECK(!memo(0x40000000ull + 0x5008, ACC_READ, true, 0, &pa, &end));
	go(0x40000000ull + 0x5008, ACC_READ, true);
	mmu_write_cr3(&m, (pgd << 12) | 1 | CR3_NOFLUSH);
	CHECK(!memo(0x40000000ull + 0x5008, ACC_READ, true, 0, &pa, &end));
	/* the next translation of the kind takes the memo over */
	go(VA(0), ACC_READ, true);
	go(0x40000000ull + 0x5008, ACC_READ, true);
	CHECK(memo(0x40000000ull + 0x5008, ACC_READ, true, 0, &pa, &end));
	go(VA(0), ACC_READ, true);
	CHECK(!memo(0x40000000ull + 0x5008, ACC_READ, true, 0, &pa, &end));
	CHECK_EQ(st.stale_hits, 0);
}

/* The front door's two ways give one result: where the memo answers, the
 * full path (an L1 hit that changes no replacement state) fills the same
 * fields and counts the same L1 hit. */
static void memo_gives_what_the_full_path_gives(void)
{
	setup();
	map(0x40000000ull, 0x200, U, 2);
	go(0x40000000ull + 0x5000, ACC_WRITE, true);   /* walk, then D-assist: D set */
	go(0x40000000ull + 0x5000, ACC_WRITE, true);
	for (int kind = ACC_READ; kind <= ACC_WRITE; kind++) {
		xlate_result a, b;
		stats_sum_l1(&st);
		uint64_t lookups = st.l1d.lookups, hits = st.l1d.hits, big = st.l1d_hits[PS_2M];
		CHECK(mmu_memo_hit(&m, 0x40000000ull + 0x5ab8, (enum access_kind)kind, true, 77, &a));
		stats_sum_l1(&st);
		CHECK_EQ(st.l1d.lookups, lookups + 1);
		CHECK_EQ(st.l1d.hits, hits + 1);
		CHECK_EQ(st.l1d_hits[PS_2M], big + 1);   /* a 2 MiB page: its array's count */
		mmu_translate_full(&m, 0x40000000ull + 0x5ab8, (enum access_kind)kind, true, 77, &b);
		stats_sum_l1(&st);
		CHECK_EQ(st.l1d_hits[PS_2M], big + 2);
		CHECK_EQ(st.l1d.lookups, lookups + 2);
		CHECK_EQ(st.l1d.hits, hits + 2);
		CHECK_EQ(a.fault, b.fault);
		CHECK_EQ(a.level, b.level);
		CHECK_EQ(a.walked, b.walked);
		CHECK_EQ(a.d_assist, b.d_assist);
		CHECK_EQ(a.pf_error, b.pf_error);
		CHECK_EQ(a.nsteps, b.nsteps);
		CHECK_EQ(a.page_shift, b.page_shift);
		CHECK_EQ(a.pa, b.pa);
		CHECK_EQ(a.pa, (0x200ull << 12) + 0x5ab8);
		CHECK_EQ(a.start, b.start);
		CHECK_EQ(a.end, b.end);
		CHECK_EQ(a.end, 77 + m.lat_l1tlb);
		CHECK(mmu_memo_hit(&m, 0x40000000ull + 0x5ab8, (enum access_kind)kind, true, 77, &a));
	}
}

/* The permission rule has one definition as sets of rights (perm_needs,
 * perm_grants) and perm_denied spells it out in branches: the two agree
 * on every combination of rights, kind and mode, and by hand on the SDM
 * 4.6 cases. */
static void permission_rule_has_one_meaning(void)
{
	for (unsigned perm = 0; perm < 8; perm++)
		for (int kind = ACC_READ; kind <= ACC_EXEC; kind++)
			for (int user = 0; user < 2; user++)
				CHECK_EQ(perm_denied((uint8_t)perm, (enum access_kind)kind, user),
				         (perm_needs((enum access_kind)kind, user) & ~perm_grants((uint8_t)perm)) != 0);
	CHECK(perm_denied(0, ACC_READ, true));                      /* user needs U */
	CHECK(!perm_denied(0, ACC_READ, false));                    /* supervisor reads anything */
	CHECK(perm_denied(PERM_U, ACC_WRITE, false));               /* WP=1: W even for the kernel */
	CHECK(perm_denied(PERM_U | PERM_W | PERM_XD, ACC_EXEC, true)); /* NX */
	CHECK(!perm_denied(PERM_U | PERM_W, ACC_EXEC, true));
	CHECK_EQ(perm_grants(PERM_XD), 0u);                          /* XD clear is a right */
	CHECK_EQ(perm_grants(PERM_U | PERM_W), (unsigned)(PERM_U | PERM_W | PERM_XD));
}

int main(void)
{
	RUN(walk_reads_each_level_then_psc_skips);
	RUN(walk_latency_counts_dram_reads_and_a_writes);
	RUN(a_and_d_bits_are_set_by_the_walker);
	RUN(faults_carry_the_sdm_error_code);
	RUN(huge_pages_fill_their_arrays);
	RUN(five_level_walk_reads_five_entries);
	RUN(cr3_write_without_pcide_flushes_nonglobal);
	RUN(cr3_write_flushes_only_the_new_pcid);
	RUN(cr3_noflush_keeps_everything);
	RUN(cr4_change_flushes_everything);
	RUN(invlpg_drops_page_current_pcid_and_globals);
	RUN(invpcid_0_drops_one_page_of_one_pcid);
	RUN(invpcid_1_drops_one_pcid);
	RUN(invpcid_2_drops_everything);
	RUN(invpcid_3_keeps_only_globals);
	RUN(checker_counts_stale_hits);
	RUN(checker_reads_the_leaf_again);
	RUN(memo_answers_only_while_nothing_changed);
	RUN(memo_gives_what_the_full_path_gives);
	RUN(permission_rule_has_one_meaning);
	mmu_free(&m);
	cache_free(&sh.llc);
	phys_free(&pm);
	return check_report();
}
