/* hw/mmu.h - the MMU of one CPU: control registers, TLB hierarchy,
 * paging-structure caches, page walker, data-cache path.
 *
 * Knows nothing of tasks.  The kernel layer drives it only through the
 * architectural operations below (write_cr3, write_cr4, invlpg, invpcid)
 * and asks it to translate the trace's accesses.  Each operation returns
 * the cycles it costs and counts itself into the CPU's statistics.
 *
 * Invalidation follows docs/semantics.md section 1.5 exactly (the model
 * never invalidates more than the table requires).
 */
#ifndef MMUSIM_HW_MMU_H
#define MMUSIM_HW_MMU_H

#include <stdint.h>
#include <stdbool.h>

#include "base/config.h"
#include "base/phys.h"
#include "base/stats.h"
#include "hw/cache.h"
#include "hw/paging.h"
#include "hw/tlb.h"

enum access_kind { ACC_READ = 0, ACC_WRITE = 1, ACC_EXEC = 2 };

/* The #PF error code (SDM 4.7): P (a protection violation, not a missing
 * page), W, U (a user-mode access), I (an instruction fetch). */
static inline uint32_t pf_error_code(bool present, enum access_kind kind, bool user)
{
	return (present ? PF_P : 0) | (kind == ACC_WRITE ? PF_W : 0) | (user ? PF_U : 0) |
	       (kind == ACC_EXEC ? PF_I : 0);
}

/* The permission rule (SDM 4.6), written once as two sets of rights in
 * one form: U, W, and "not XD" in the place of PERM_XD.
 *   perm_needs: user mode needs U; a write needs W in either mode
 *   (CR0.WP = 1, as Linux runs); a fetch needs XD clear (EFER.NXE = 1).
 *   SMEP and SMAP are off.
 *   perm_grants: what combined rights `perm` (PERM_*) give.
 * An access is refused when it needs a right not granted (perm_denied:
 * the walker's leaf and a TLB hit); the memo keeps an entry's grants and
 * the checker compares grants with the tables'. */
static inline unsigned perm_needs(enum access_kind kind, bool user)
{
	return (user ? PERM_U : 0) | (kind == ACC_WRITE ? PERM_W : 0) | (kind == ACC_EXEC ? PERM_XD : 0);
}
static inline unsigned perm_grants(uint8_t perm)
{
	return (perm ^ PERM_XD) & (PERM_U | PERM_W | PERM_XD);
}
static inline bool perm_denied(uint8_t perm, enum access_kind kind, bool user)
{
	/* perm_needs(kind, user) & ~perm_grants(perm), spelt out: the
	 * walker's leaf and the TLB hit take this form's branches for fewer
	 * instructions (test_mmu holds the two forms equal) */
	return (user && !(perm & PERM_U)) || (kind == ACC_WRITE && !(perm & PERM_W)) ||
	       (kind == ACC_EXEC && (perm & PERM_XD));
}

enum xlate_fault { XF_NONE = 0, XF_PF = 1, XF_GP = 2 };
enum xlate_level { XL_L1 = 0, XL_STLB = 1, XL_WALK = 2 };

#define WALK_MAX_STEPS 12   /* 5 levels: a PSC step, 5 reads, 5 A/D writes */
typedef struct walk_step {
	uint64_t cycle;          /* when the step completed */
	uint64_t pte_pa;         /* physical address of the entry (0 for a PSC step) */
	uint8_t level;           /* 1..5 */
	uint8_t src;             /* enum mem_source */
	uint8_t write;           /* an A/D update */
} walk_step;

typedef struct xlate_result {
	enum xlate_fault fault;
	enum xlate_level level;  /* where it was found */
	bool walked;             /* a walk ran (miss or D-assist) */
	bool d_assist;
	uint32_t pf_error;       /* #PF error code */
	unsigned nsteps;
	unsigned page_shift;
	uint64_t pa;
	uint64_t start, end;     /* cycles: translation window */
	uint64_t walk_start, walk_end;
	walk_step steps[WALK_MAX_STEPS];
} xlate_result;

/* The walker's port to the paging structures (hw/walker.c).  Without one
 * (mmu.pt_port NULL: every mode of mmusim) a walk reads and writes the
 * entries in the machine's physical memory, machine_shared.pm.  With one,
 * every paging-structure access of a walk goes through it instead, a
 * D-assist's walk included: read64 is each entry read and what it returns
 * is the entry the walker uses; write64 is each A/D update (the entry as
 * read, with A, or A and D, set).  The timing stays the C model's: the
 * cache path gives each access its latency before the port is called, and
 * the access carries it (issue, done); what the port does takes no model
 * time.  peek64 is the checker's read (mmu_probe): untimed, without side
 * effects, not a walk access.  sc/mmu_tlm.h installs a port that sends
 * each access on its walk socket. */
typedef struct pt_access {
	uint64_t pa;              /* the entry's physical address, 8-byte aligned */
	uint64_t issue, done;     /* cycles: the access starts when the walk's
	                           * previous step ended and completes at done
	                           * (walk_step.cycle of its step) */
	uint8_t level;            /* 1 (PTE) to 5 (PML5E) */
	uint8_t src;              /* enum mem_source: where the cache model found it */
	bool write;               /* an A/D update */
} pt_access;

typedef struct pt_port {
	uint64_t (*read64)(void *ctx, const pt_access *a);
	void (*write64)(void *ctx, const pt_access *a, uint64_t value);
	uint64_t (*peek64)(void *ctx, uint64_t pa);
	void *ctx;
} pt_port;

/* Shared between the CPUs of one machine. */
typedef struct machine_shared {
	phys_mem *pm;
	cache_level llc;
	/* bumped on every page-table write by the kernel and every CR3 write:
	 * a TLB entry verified at the current epoch needs no new check
	 * (mmu_tables_written, mmu_write_cr3) */
	uint64_t check_epoch;
	/* check_epoch + 1 at the last write of a table entry above the leaf
	 * level (a pointer to a table, or a huge leaf): the checker's
	 * knowledge of where an entry's leaf is (tlb_entry.leaf) is only as
	 * old as this (hw/mmu.c, check_hit) */
	uint64_t path_floor;
	/* every CPU's MMU, for the broadcasts (INVLPGB); set by the machine's
	 * builder, NULL in a one-MMU test */
	struct mmu **cpus;
	unsigned ncpus;
	bool skip_broadcast;      /* test.skip_broadcast: INVLPGB reaches its issuer only */
} machine_shared;

/* Psc array index by level: psc[level - 2] for levels 2..5. */
enum { PSC_PD = 0, PSC_PDPT = 1, PSC_PML4 = 2, PSC_PML5 = 3, PSC_COUNT = 4 };

/* What the last translation of one kind (data, fetch) ended on: the L1
 * entry e of array t, for the 4 KiB page `page`.  While nothing has
 * changed any L1 array or CR3/CR4 since (gen == mmu.l1_gen) and e is
 * still the entry its array touched last, a lookup of that page would
 * search the L1 arrays in order, miss the ones before t as it did then,
 * and hit e with no change to any replacement state (e is already the
 * most recent of its set).  mmu_memo_hit relies on this.  What it
 * answers with is e's, taken when the memo is made: an entry changes only
 * through a fill, which bumps l1_gen (its check_epoch excepted, read from
 * e itself). */
typedef struct l1_memo {
	uint64_t page;            /* va >> 12 */
	uint64_t gen;
	const tlb_entry *e;
	const tlb *t;
	uint64_t *hits;           /* t's hits in the statistics (cpu_stats.l1d_hits[size]) */
	uint64_t pa;              /* the physical address of the page's first byte */
	uint8_t have;             /* perm_grants of e, less W while D is clear */
	uint8_t shift;            /* e's page shift */
} l1_memo;

typedef struct mmu {
	unsigned id;
	machine_shared *sh;
	cpu_stats *st;
	latency_hist *walk_hist;
	uint64_t cr3, cr4;
	unsigned levels;
	bool pwc_on;
	tlb l1d[3];              /* 4K, 2M, 1G */
	tlb l1i[2];              /* 4K, 2M */
	tlb stlb;                /* 4K + 2M */
	tlb psc[PSC_COUNT];
	cache_level l1, l2;
	cache_path path;
	uint64_t l1_gen;          /* bumped by every L1 fill, invalidation, CR3/CR4 write */
	/* as machine_shared.path_floor, for this CPU (mmu_path_known): at
	 * its CR4 writes; root_floor at its CR3 writes (global entries,
	 * found under any PCID's root); pcid_bind[p], the root CR3 last gave
	 * PCID p and its floor, raised when that root is another one */
	uint64_t path_floor, root_floor;
	struct pcid_binding { uint64_t root, floor; } *pcid_bind;   /* [CR3_PCID_MASK + 1] */
	l1_memo memo[2];          /* [exec] */
	bool memo_off;            /* test.slow_paths */
	/* flush IPIs on their way to this CPU (set by the kernel layer): until
	 * they are handled, a hit on an entry they will drop is the window
	 * Linux allows (it frees pages only after the flush, tlb_finish_mmu),
	 * not a stale hit */
	unsigned flush_in_flight;
	uint64_t walker_free[64];
	unsigned walkers;
	/* timing, from the configuration */
	unsigned lat_l1tlb, lat_stlb, lat_pwc, cost_ad, cost_cr3, cost_cr4;
	unsigned cost_invlpg, cost_invpcid;
	unsigned cost_invlpgb, cost_invlpgb_latency, cost_invlpgb_per_cpu, cost_invlpgb_per_page;
	unsigned cost_tlbsync;
	/* when the INVLPGBs this CPU issued have all completed everywhere
	 * (0: none outstanding); TLBSYNC waits for it */
	uint64_t invlpgb_done;
	/* where walks read and write the paging structures (pt_port above);
	 * NULL from mmu_init: machine_shared.pm */
	const pt_port *pt_port;
} mmu;

/* INVLPGB's operands (AMD APM Vol.3, "INVLPGB: Broadcast Invalidation of
 * TLB Entries"): rAX holds the address and the valid bits, EDX the PCID
 * and the ASID, ECX the count and the stride. */
typedef struct invlpgb_args {
	uint64_t va;              /* rAX[63:12] (4 KiB aligned; 2 MiB with stride_2m) */
	bool va_valid;            /* rAX[0]: else every address */
	bool pcid_valid;          /* rAX[1]: else every PCID */
	bool asid_valid;          /* rAX[2]: else every ASID */
	bool include_global;      /* rAX[3]: global entries too */
	bool final_only;          /* rAX[4]: only final translations, not the PSCs */
	uint16_t pcid;            /* EDX[27:16] */
	uint16_t asid;            /* EDX[15:0]: the SVM guest ASID, 0 is the host */
	uint16_t count;           /* ECX[15:0]: pages after the first (va_valid only) */
	bool stride_2m;           /* ECX[31]: pages 2 MiB apart, else 4 KiB */
} invlpgb_args;

/* Builds the MMU of CPU id from the configuration.  0 or -1 with message. */
int mmu_init(mmu *m, unsigned id, const config *cfg, machine_shared *sh,
             cpu_stats *st, latency_hist *hist, char *err, size_t errlen);
void mmu_free(mmu *m);

/* The kernel (or a test) wrote the paging-structure entry of `level`
 * (1 the PTE, up to the top level) in physical memory: every TLB entry
 * must be checked again, and, for a level above 1, the checker forgets
 * where the entries' leaves are (hw/mmu.c, check_hit). */
static inline void mmu_tables_written(machine_shared *sh, unsigned level)
{
	sh->check_epoch++;
	if (level > 1)
		sh->path_floor = sh->check_epoch + 1;
}
/* The kernel cleared a frame to make it a table (whatever it was before,
 * a table on someone's way included): as a write above level 1.  What it
 * writes into the new table before linking it, or before a CR3 names it,
 * needs nothing more (no access runs in between). */
static inline void mmu_table_allocated(machine_shared *sh)
{
	mmu_tables_written(sh, 2);
}

/* Whether the entries above the leaf on the way a probe of TLB or PSC
 * entry e's page takes from CR3 are what they were when e was last
 * verified (its check_epoch): neither the tables above level 1 nor the
 * root e is found under have changed since (hw/mmu.c, check_hit). */
static inline bool mmu_path_known(const mmu *m, const tlb_entry *e)
{
	uint64_t c = e->check_epoch;
	uint64_t f = e->global ? m->root_floor : m->pcid_bind[e->pcid & CR3_PCID_MASK].floor;
	return c >= f && c >= m->path_floor && c >= m->sh->path_floor;
}

static inline uint64_t mmu_cr3(const mmu *m)
{
	return m->cr3;
}

static inline uint16_t mmu_pcid(const mmu *m)
{
	return (m->cr4 & CR4_PCIDE) ? (uint16_t)(m->cr3 & CR3_PCID_MASK) : 0;
}

/* Architectural operations; each returns its cost in cycles. */
unsigned mmu_write_cr3(mmu *m, uint64_t value);       /* bit 63 = NOFLUSH */
unsigned mmu_write_cr4(mmu *m, uint64_t value);
unsigned mmu_invlpg(mmu *m, uint64_t va);
unsigned mmu_invpcid(mmu *m, unsigned type, uint16_t pcid, uint64_t va);
/* INVLPGB issued by this CPU at cycle `now`: invalidates the matching
 * TLB entries (any page size holding an address of the range) and, unless
 * final_only, the paging-structure-cache entries those addresses use, on
 * every CPU of the machine (sh->cpus), the issuer included.  The model
 * applies it everywhere at once, one legal order of the asynchronous
 * broadcast; its timing is that it completes cost.invlpgb.latency +
 * per_cpu * CPUs + per_page * pages after issue, which only TLBSYNC
 * waits for.  Every TLB entry the model makes is the host's (ASID 0), so
 * asid_valid with a guest ASID matches nothing.  Returns the issuer's
 * cost (cost.invlpgb). */
unsigned mmu_invlpgb(mmu *m, const invlpgb_args *a, uint64_t now);
/* TLBSYNC at `now`: waits until every INVLPGB this CPU issued has
 * completed on every CPU; returns the cycles it takes (cost.tlbsync plus
 * the wait). */
unsigned mmu_tlbsync(mmu *m, uint64_t now);
/* Not an instruction of this CPU: the hypervisor's flush of the vCPU's
 * TLB when it enters it again (KVM's kvm_vcpu_flush_tlb_guest): every
 * entry, globals too, and the paging-structure caches. */
void mmu_host_flush(mmu *m);

/* The full path of a translation (hw/mmu.c): lookup of the hierarchy,
 * hit handling, refill from the walk.  mmu_translate below is the front
 * door; call this only to bypass the memo (tests). */
void mmu_translate_full(mmu *m, uint64_t va, enum access_kind kind, bool user,
                        uint64_t start, xlate_result *r);

/* Speed device (hw/mmu.c's map): the memo.  True, with r filled as
 * mmu_translate_full would fill it, when the access is to the page the
 * last translation of its kind (data or fetch) ended on (l1_memo), in an
 * L1 DTLB or ITLB array of any page size, the access is allowed, a write
 * finds D set and the checker verified the entry this epoch: the full
 * path would then change nothing but the L1 counters, which this counts.
 * Otherwise false, having changed nothing.  A memo is only ever made for
 * a canonical va. */
static inline __attribute__((always_inline)) bool mmu_memo_hit(mmu *m, uint64_t va, enum access_kind kind, bool user,
                                uint64_t start, xlate_result *r)
{
	bool exec = kind == ACC_EXEC;
	const l1_memo *f = &m->memo[exec];
	const tlb_entry *e = f->e;
	if (f->page != va >> 12)
		return false;
	/* the rest almost always holds: one branch for all of it (a branch
	 * per condition would mispredict on the mix of reads and writes).
	 * The rights the access needs against what the entry gives. */
	if ((f->gen != m->l1_gen) | (e != f->t->last) | (e->check_epoch != m->sh->check_epoch + 1) |
	    ((perm_needs(kind, user) & ~(unsigned)f->have) != 0))
		return false;
	(*f->hits)++;   /* an L1 lookup and hit (the lookups are hits + misses) */
	r->fault = XF_NONE;
	r->level = XL_L1;
	r->walked = r->d_assist = false;
	r->nsteps = 0;
	r->pf_error = 0;
	r->start = start;
	r->end = start + m->lat_l1tlb;
	r->page_shift = f->shift;
	r->pa = f->pa + (va & 0xfff);
	return true;
}

/* The front door: translates va for an access starting at cycle `start`
 * (the memo, else the full path).  On a #PF the entries the address
 * would use are invalidated (SDM 4.10.4.3). */
static inline __attribute__((always_inline)) void mmu_translate(mmu *m, uint64_t va, enum access_kind kind, bool user,
                                 uint64_t start, xlate_result *r)
{
	if (!mmu_memo_hit(m, va, kind, user, start, r))
		mmu_translate_full(m, va, kind, user, start, r);
}

/* Untimed, side-effect-free walk of the current CR3 (the checker and the
 * tests), reading the entries where the walks do: physical memory, or the
 * port's peek64.  Returns true and the leaf's pfn/shift/perm when present. */
bool mmu_probe(const mmu *m, uint64_t va, uint64_t *pfn, unsigned *shift,
               uint8_t *perm);
/* mmu_probe that also says where it found the leaf (*leaf: the leaf
 * entry's physical address, 8-byte aligned, with the rights of the
 * levels above it, PERM_*, in its low 3 bits; 0 without a leaf). */
bool mmu_probe_leaf(const mmu *m, uint64_t va, uint64_t *pfn, unsigned *shift,
                    uint8_t *perm, uint64_t *leaf);
/* Speed device of the checker (hw/mmu.c, check_hit): mmu_probe's answer
 * for a page of size 1 << shift whose leaf a probe found at `leaf`, read
 * from that entry alone, valid while the entries above it are as they
 * were (path_floor).  1 and the leaf's pfn and rights, 0 when the entry
 * is not present (mmu_probe false), -1 when it is no leaf of that size
 * any more (a probe from the top must tell). */
int mmu_probe_from_leaf(const mmu *m, uint64_t leaf, unsigned shift, uint64_t *pfn,
                        uint8_t *perm);

/* Attaches a shadow to L1 DTLB array i (0 4K, 1 2M, 2 1G) that sees every
 * operation on it (the co-simulated RTL), or detaches it (hook NULL).  A
 * shadowed array is never remembered by the memo, so the shadow sees
 * every lookup.  Returns the array (its name and geometry). */
static inline const tlb *mmu_shadow_l1d(mmu *m, unsigned i, tlb_op_hook hook, void *ctx)
{
	tlb_set_hook(&m->l1d[i], hook, ctx);
	m->l1_gen++;   /* a memo made before must not outlive the shadow */
	return &m->l1d[i];
}

/* The same for L1 ITLB array i (0 4K, 1 2M). */
static inline const tlb *mmu_shadow_l1i(mmu *m, unsigned i, tlb_op_hook hook, void *ctx)
{
	tlb_set_hook(&m->l1i[i], hook, ctx);
	m->l1_gen++;
	return &m->l1i[i];
}

/* The same for paging-structure cache i (PSC_PD .. PSC_PML5); an absent
 * one (pwc=off, PML5 under 4-level paging, 0 entries) gets no shadow. */
static inline const tlb *mmu_shadow_psc(mmu *m, unsigned i, tlb_op_hook hook, void *ctx)
{
	if (tlb_present(&m->psc[i]))
		tlb_set_hook(&m->psc[i], hook, ctx);
	return &m->psc[i];
}

/* Sends this MMU's paging-structure accesses through `port` (its three
 * callbacks set; it must outlive the MMU's use of it), or back to
 * machine_shared.pm (NULL). */
static inline void mmu_set_pt_port(mmu *m, const pt_port *port)
{
	m->pt_port = port;
}

/* Data access to a physical address through this CPU's caches. */
static inline unsigned mmu_data_access(mmu *m, uint64_t pa)
{
	enum mem_source src;
	return cache_access(&m->path, pa, &src);
}

#endif
