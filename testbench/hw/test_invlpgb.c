/* Unit tests of INVLPGB and TLBSYNC (hw/mmu.c, hw/tlb.c) on a machine of
 * three MMUs sharing one set of page tables: each operand of the AMD APM's
 * INVLPGB (VA and its valid bit, PCID and its valid bit, ASID,
 * include-global, final-translation-only, the page count and the 2 MiB
 * stride), asserting which TLB and PSC entries survive on every CPU, and
 * the timing of INVLPGB and TLBSYNC, which grows with the CPU count. */
#include "check.h"
#include "hw/mmu.h"
#include "page_tables.h"

#include <stdlib.h>

#define NCPU 3
static phys_mem pm;
static machine_shared sh;
static cpu_stats st[NCPU];
static latency_hist hist;
static mmu m[NCPU];
static mmu *cpus[NCPU];
static uint64_t pgd;

static uint64_t alloc_table(void) { return pt_alloc_table(&pm); }

/* Maps va -> pfn with a leaf at `level` (1: 4K, 2: 2M, 3: 1G). */
static void map(uint64_t va, uint64_t pfn, uint64_t flags, unsigned level)
{
	pt_map(&pm, pgd, 4, va, pfn, flags, level);
}

static void setup(void)
{
	config cfg;
	char err[256];
	config_preset(&cfg, "skylake", err, sizeof err);
	config_set(&cfg, "mem.size=1g", err, sizeof err);
	for (int i = 0; i < NCPU; i++)
		mmu_free(&m[i]);
	cache_free(&sh.llc);
	phys_free(&pm);
	phys_init(&pm, cfg.v[K_MEM_SIZE]);
	sh = (machine_shared){ .pm = &pm, .cpus = cpus, .ncpus = NCPU };
	cache_init(&sh.llc, cfg.v[K_LLC_SIZE], (unsigned)cfg.v[K_LLC_WAYS], (unsigned)cfg.v[K_LAT_LLC], cfg.v[K_MEM_SIZE]);
	memset(st, 0, sizeof st);
	for (int i = 0; i < NCPU; i++) {
		if (mmu_init(&m[i], (unsigned)i, &cfg, &sh, &st[i], &hist, err, sizeof err))
			abort();
		cpus[i] = &m[i];
	}
	pgd = alloc_table();
}

#define U  (PTE_US | PTE_RW)
#define VA(n) (0x400000ull + ((uint64_t)(n) << 12))
#define KVA 0xffff888000000000ull
#define HUGE 0x40000000ull   /* a 2 MiB page at 1 GiB */

static void go(int cpu, uint64_t va, bool user)
{
	xlate_result r;
	mmu_translate(&m[cpu], va, ACC_READ, user, 1000, &r);
}

/* On every CPU: user pages VA(0..3) and the 2 MiB pages HUGE, HUGE+2M in
 * PCID 1 and PCID 2, and a global kernel page.  CR3 left at PCID 1. */
static void fill(void)
{
	for (int n = 0; n < 4; n++)
		map(VA(n), 0x100 + (uint64_t)n, U, 1);
	map(HUGE, 0x200, U, 2);
	map(HUGE + (2u << 20), 0x400, U, 2);
	map(KVA, 0, PTE_RW | PTE_G, 3);
	for (int c = 0; c < NCPU; c++) {
		for (uint16_t pcid = 2; pcid >= 1; pcid--) {
			m[c].cr3 = (pgd << 12) | pcid;
			for (int n = 0; n < 4; n++)
				go(c, VA(n), true);
			go(c, HUGE, true);
			go(c, HUGE + (2u << 20), true);
		}
		go(c, KVA, false);
	}
}

/* Whether CPU c holds page va (any L1 DTLB or STLB array) for pcid, or as
 * a global entry. */
static bool cached(int c, uint64_t va, uint16_t pcid, bool global)
{
	tlb *arrays[4] = { &m[c].l1d[0], &m[c].l1d[1], &m[c].l1d[2], &m[c].stlb };
	for (int a = 0; a < 4; a++) {
		tlb *t = arrays[a];
		for (unsigned i = 0; i < t->sets * t->ways; i++) {
			tlb_entry *e = &t->entries[i];
			if (e->valid && e->vpn == va >> e->shift && e->global == global &&
			    (global || e->pcid == pcid))
				return true;
		}
	}
	return false;
}

static unsigned psc_entries(int c, uint16_t pcid)
{
	unsigned n = 0;
	for (int p = 0; p < PSC_COUNT; p++)
		for (unsigned i = 0; i < m[c].psc[p].sets * m[c].psc[p].ways; i++)
			n += m[c].psc[p].entries[i].valid && m[c].psc[p].entries[i].pcid == pcid;
	return n;
}

/* Linux's invlpgb_flush_user_nr_nosync(kern_pcid, addr, 2, false): VA and
 * PCID valid, count 1: pages VA(1), VA(2) of PCID 1 go on every CPU;
 * VA(0), VA(3), PCID 2 and the global page stay; PSC entries of PCID 1
 * for those addresses go (not final-only), PCID 2's stay. */
static void range_of_one_pcid_on_every_cpu(void)
{
	setup();
	fill();
	unsigned psc2 = psc_entries(0, 2);
	invlpgb_args a = { .va = VA(1), .va_valid = true, .pcid_valid = true, .pcid = 1, .count = 1 };
	mmu_invlpgb(&m[0], &a, 0);
	for (int c = 0; c < NCPU; c++) {
		CHECK(!cached(c, VA(1), 1, false));
		CHECK(!cached(c, VA(2), 1, false));
		CHECK(cached(c, VA(0), 1, false));
		CHECK(cached(c, VA(3), 1, false));
		CHECK(cached(c, VA(1), 2, false));
		CHECK(cached(c, VA(2), 2, false));
		CHECK(cached(c, KVA, 0, true));
		CHECK_EQ(psc_entries(c, 2), psc2);
	}
	/* the walk of VA(1) in PCID 1 uses a PDE, PDPTE and PML4E cache entry:
	 * all went, so CPU 1's PCID 1 holds the kernel page's ones at most */
	CHECK(psc_entries(1, 1) < psc2);
	CHECK_EQ(st[0].invlpgb, 1);
	CHECK_EQ(st[0].invlpgb_pages, 2);
	CHECK_EQ(st[1].invlpgb, 0);
}

/* final-translation-only keeps the PSCs. */
static void final_only_keeps_paging_structure_caches(void)
{
	setup();
	fill();
	unsigned before = psc_entries(2, 1);
	invlpgb_args a = { .va = VA(1), .va_valid = true, .pcid_valid = true, .pcid = 1,
	                   .final_only = true };
	mmu_invlpgb(&m[0], &a, 0);
	CHECK(!cached(2, VA(1), 1, false));
	CHECK_EQ(psc_entries(2, 1), before);
}

/* A global page goes only with include-global (Linux's
 * invlpgb_flush_addr_nosync: VA, no PCID, include-global: every PCID). */
static void globals_only_with_include_global(void)
{
	setup();
	fill();
	invlpgb_args a = { .va = KVA, .va_valid = true };
	mmu_invlpgb(&m[1], &a, 0);
	CHECK(cached(0, KVA, 0, true));
	a.include_global = true;
	a.va = VA(0);
	mmu_invlpgb(&m[1], &a, 0);
	for (int c = 0; c < NCPU; c++) {
		CHECK(!cached(c, VA(0), 1, false));   /* no PCID: every PCID */
		CHECK(!cached(c, VA(0), 2, false));
		CHECK(cached(c, VA(1), 2, false));
		CHECK(cached(c, KVA, 0, true));
	}
	a.va = KVA;
	mmu_invlpgb(&m[1], &a, 0);
	for (int c = 0; c < NCPU; c++)
		CHECK(!cached(c, KVA, 0, true));
}

/* The 2 MiB stride: count 1 from HUGE names HUGE and HUGE + 2 MiB. */
static void two_mib_stride(void)
{
	setup();
	fill();
	invlpgb_args a = { .va = HUGE, .va_valid = true, .pcid_valid = true, .pcid = 2, .count = 1,
	                   .stride_2m = true };
	mmu_invlpgb(&m[2], &a, 0);
	for (int c = 0; c < NCPU; c++) {
		CHECK(!cached(c, HUGE, 2, false));
		CHECK(!cached(c, HUGE + (2u << 20), 2, false));
		CHECK(cached(c, HUGE, 1, false));
	}
}

/* No VA: Linux's invlpgb_flush_single_pcid_nosync (PCID only),
 * invlpgb_flush_all_nonglobals (nothing valid) and invlpgb_flush_all
 * (include-global). */
static void whole_tlb_variants(void)
{
	setup();
	fill();
	invlpgb_args a = { .pcid_valid = true, .pcid = 2 };
	mmu_invlpgb(&m[0], &a, 0);
	for (int c = 0; c < NCPU; c++) {
		CHECK(!cached(c, VA(0), 2, false));
		CHECK(!cached(c, HUGE, 2, false));
		CHECK(cached(c, VA(0), 1, false));
		CHECK(cached(c, KVA, 0, true));
		CHECK_EQ(psc_entries(c, 2), 0);
	}
	a = (invlpgb_args){ .pcid_valid = true, .pcid = 1, .include_global = true };
	mmu_invlpgb(&m[0], &a, 0);
	CHECK(!cached(1, VA(3), 1, false));
	CHECK(!cached(1, KVA, 0, true));
	setup();
	fill();
	a = (invlpgb_args){ 0 };
	mmu_invlpgb(&m[0], &a, 0);
	for (int c = 0; c < NCPU; c++) {
		CHECK(!cached(c, VA(0), 1, false));
		CHECK(!cached(c, VA(0), 2, false));
		CHECK(cached(c, KVA, 0, true));
		CHECK_EQ(psc_entries(c, 1) + psc_entries(c, 2), 0);
	}
	a.include_global = true;
	mmu_invlpgb(&m[0], &a, 0);
	for (int c = 0; c < NCPU; c++)
		CHECK(!cached(c, KVA, 0, true));
}

/* A guest's ASID matches none of the host's entries; ASID 0 does. */
static void asid_selects_the_host(void)
{
	setup();
	fill();
	invlpgb_args a = { .va = VA(0), .va_valid = true, .asid_valid = true, .asid = 5, .include_global = true };
	mmu_invlpgb(&m[0], &a, 0);
	CHECK(cached(1, VA(0), 1, false));
	a.asid = 0;
	mmu_invlpgb(&m[0], &a, 0);
	CHECK(!cached(1, VA(0), 1, false));
}

/* Timing (skylake defaults): INVLPGB costs its issuer cost.invlpgb = 100
 * and completes 100 + latency 600 + 16 per CPU * 3 + 4 per page * 2 = 756
 * cycles after issue.  TLBSYNC 300 cycles after the issue waits until
 * 756: 456 cycles; a second TLBSYNC costs cost.tlbsync = 50 alone. */
static void tlbsync_waits_for_completion(void)
{
	setup();
	invlpgb_args a = { .va = VA(0), .va_valid = true, .pcid_valid = true, .pcid = 1, .count = 1 };
	CHECK_EQ(mmu_invlpgb(&m[0], &a, 1000), 100);
	CHECK_EQ(m[0].invlpgb_done, 1000 + 756);
	CHECK_EQ(mmu_tlbsync(&m[0], 1300), 456);
	CHECK_EQ(mmu_tlbsync(&m[0], 2000), 50);
	CHECK_EQ(st[0].tlbsync, 2);
	CHECK_EQ(st[0].broadcast_cycles, 100 + 456 + 50);
	/* the same on one CPU: 48 cycles sooner by two CPUs fewer */
	sh.ncpus = 1;
	mmu_invlpgb(&m[0], &a, 0);
	CHECK_EQ(m[0].invlpgb_done, 756 - 2 * 16);
}

/* test.skip_broadcast: only the issuer loses its entries. */
static void skip_broadcast_reaches_the_issuer_only(void)
{
	setup();
	fill();
	sh.skip_broadcast = true;
	invlpgb_args a = { .va = VA(0), .va_valid = true, .pcid_valid = true, .pcid = 1 };
	mmu_invlpgb(&m[1], &a, 0);
	CHECK(!cached(1, VA(0), 1, false));
	CHECK(cached(0, VA(0), 1, false));
	CHECK(cached(2, VA(0), 1, false));
}

int main(void)
{
	RUN(range_of_one_pcid_on_every_cpu);
	RUN(final_only_keeps_paging_structure_caches);
	RUN(globals_only_with_include_global);
	RUN(two_mib_stride);
	RUN(whole_tlb_variants);
	RUN(asid_selects_the_host);
	RUN(tlbsync_waits_for_completion);
	RUN(skip_broadcast_reaches_the_issuer_only);
	return check_report();
}
