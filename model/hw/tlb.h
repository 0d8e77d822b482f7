/* hw/tlb.h - one set-associative translation array, tagged by PCID and G.
 *
 * The same array serves every TLB (L1 DTLB per page size, L1 ITLB, the
 * STLB that mixes 4 KiB and 2 MiB entries) and every paging-structure
 * cache (where "vpn" is the VA prefix a PSC entry is keyed by and G is
 * never set).  It knows nothing of walks, tasks or timing.
 *
 * The rules below are the specification that rtl/tlb_array.sv reproduces
 * bit for bit (the co-simulation compares them every cycle):
 *
 *  Set index     set = vpn mod sets, vpn = VA >> page_shift (docs/trace-format.md, "Configuration keys").
 *  Lookup        an entry hits if valid, same page shift, same vpn, and
 *                (entry.pcid == pcid or (entry.global and pge)).  SDM 4.10.2.4.
 *                At most one entry hits (invariant kept by fill).  A hit
 *                touches the replacement state of its way.
 *  Fill          every valid entry of the set with the same shift and vpn
 *                whose pcid equals the new one, or that is global, or when
 *                the new entry is global, "conflicts".  The fill writes the
 *                lowest-index conflicting way and invalidates the other
 *                conflicting ways; with no conflict it writes the
 *                lowest-index invalid way; with none invalid, the policy's
 *                victim.  The written way is touched.
 *  Invalidate    never touches the replacement state.
 *  LRU           per set an age per way, a permutation of 0..ways-1 (0 is
 *                most recent); reset age[w] = w.  touch(w): every way younger
 *                than w ages by one, w becomes 0.  Victim: the way of age
 *                ways-1.
 *  Tree-PLRU     per set a binary tree over P = next power of two >= ways
 *                leaves, nodes heap-numbered 1..P-1, one bit each, reset 0.
 *                touch(w): on the path from the root to leaf w every node
 *                points away from w (bit = 1 if w is in its left half).
 *                Victim: follow the bits from the root (0 = left), but never
 *                into a subtree whose leaves are all >= ways.
 *
 * hw/tlb.c writes these rules plainly over the entries, the twin a reader
 * compares with the RTL; hw/tlb_fast.h and tlb_fast.c hold the speed
 * devices beside them, chosen at one point and held to the same answers
 * by a unit test.
 */
#ifndef MMUSIM_HW_TLB_H
#define MMUSIM_HW_TLB_H

#include <stdint.h>
#include <stdbool.h>

enum tlb_policy { TLB_LRU = 0, TLB_PLRU = 1 };

#define OWNER_GLOBAL 0x10000u

/* Combined permissions of a translation (SDM 4.6: AND of R/W and U/S over
 * all levels, OR of XD). */
enum { PERM_W = 1, PERM_U = 2, PERM_XD = 4 };

typedef struct tlb_entry {
	uint64_t vpn;         /* VA >> shift */
	uint64_t pfn;         /* PA >> 12 of the page (or of the next table, PSC) */
	uint64_t check_epoch; /* last epoch the checker verified this entry at */
	uint64_t leaf;        /* the checker's: where its last probe found the leaf
	                       * (hw/mmu.c, check_hit), 0 when unknown */
	uint16_t pcid;
	uint8_t valid;
	uint8_t global;
	uint8_t perm;         /* PERM_* */
	uint8_t dirty;        /* D of the leaf when filled (TLBs only) */
	uint8_t shift;        /* page shift: 12, 21, 30 (PSC: 21, 30, 39, 48) */
	uint8_t pad;
} tlb_entry;

/* Operations as seen by a shadow (the co-simulation's RTL). */
enum tlb_op_kind {
	TLB_OP_LOOKUP,
	TLB_OP_FILL,
	TLB_OP_FLUSH_PCID,        /* non-global entries of one PCID (MOV CR3, INVPCID 1) */
	TLB_OP_INVLPG,            /* one page: that PCID + globals (INVLPG) */
	TLB_OP_INVPCID_ADDR,      /* one page, that PCID, non-global (INVPCID 0) */
	TLB_OP_FLUSH_ALL,         /* everything, globals too (CR4, INVPCID 2) */
	TLB_OP_FLUSH_NONGLOBAL,   /* everything but globals (INVPCID 3) */
};

/* The RTL's invalidation code for an invalidation kind (rtl/tlb_pkg.sv,
 * inv_op_e, the input inv_op_i of rtl/tlb_array.sv): the kinds in this
 * order after LOOKUP and FILL, from 0.  The one definition on the C side;
 * testbench/unit/test_written_once.py holds the RTL's to it. */
#define TLB_INV_CODE(kind) ((unsigned)(kind) - (unsigned)TLB_OP_FLUSH_PCID)

struct tlb;
typedef struct tlb_op {
	enum tlb_op_kind kind;
	uint64_t va;              /* INVLPG / INVPCID_ADDR: the address */
	uint64_t vpn;             /* LOOKUP */
	uint8_t shift;            /* LOOKUP */
	uint16_t pcid;
	bool pge;
	bool write;               /* LOOKUP: a write (needs_walk if !dirty) */
	const tlb_entry *fill;    /* FILL: the new entry */
	int way;                  /* result: hit or written way (-1: miss) */
	int set;
} tlb_op;

typedef void (*tlb_op_hook)(void *ctx, const struct tlb *t, const tlb_op *op);

typedef struct tlb {
	const char *name;
	unsigned sets, ways;
	uint64_t set_mask;        /* sets - 1 when sets is a power of two */
	bool pow2;                /* sets is a power of two (1 included) */
	unsigned tree_leaves;     /* PLRU: next power of two >= ways */
	enum tlb_policy policy;
	uint64_t shifts;          /* bit s set: holds entries of page shift s */
	tlb_entry *entries;       /* sets * ways */
	uint8_t *repl;            /* LRU: ages, sets*ways; PLRU: bits, sets*tree_leaves */
	tlb_op_hook hook;         /* optional shadow, called after each op (tlb_set_hook) */
	void *hook_ctx;
	uint64_t *hits;           /* an L1 array's hit count in the statistics (set by the MMU), or NULL */
	/* Speed devices (hw/tlb_fast.h, tlb_fast.c), which decide nothing:
	 * the rules above (tlb.c) tell them of every write and touch. */
	tlb_entry *last;          /* the entry touched last: the most recent of its set */
	/* search keys beside the entries, rows of `stride` (ways rounded up
	 * to 4) for SSE2: key = vpn << 7 | 64 | shift, 0 when invalid; owner =
	 * pcid | OWNER_GLOBAL when global */
	uint64_t *key;
	uint32_t *owner;
	unsigned stride;
	unsigned fast;            /* tlb_fast.c's code for this array: TLB_FAST_* */
	uint32_t held[64];        /* valid entries by page shift: a lookup of a shift
	                           * the array holds none of is skipped */
} tlb;

/* entries == 0 makes an absent array (every lookup misses, fills drop).
 * Returns 0, or -1 when the geometry is impossible (ways 0 or not dividing
 * entries); the caller names the key. */
int tlb_init(tlb *t, const char *name, unsigned entries, unsigned ways,
             enum tlb_policy policy, uint64_t shifts);
void tlb_free(tlb *t);
/* Attaches a shadow that sees every operation (hook NULL: detaches it);
 * while one is attached the plain rules serve the array. */
void tlb_set_hook(tlb *t, tlb_op_hook hook, void *ctx);
static inline bool tlb_present(const tlb *t) { return t->sets != 0; }
static inline bool tlb_holds(const tlb *t, unsigned shift)
{
	return t->sets != 0 && (t->shifts >> shift & 1u);
}

static inline unsigned tlb_set_of(const tlb *t, uint64_t vpn)
{
	return t->pow2 ? (unsigned)(vpn & t->set_mask) : (unsigned)(vpn % t->sets);
}

/* Returns the hit entry (touching its way) or NULL: tlb_lookup, inline in
 * hw/tlb_fast.h, skips the search of a page size the array holds none of,
 * else calls tlb_lookup_slow. */
tlb_entry *tlb_lookup_slow(tlb *t, uint64_t vpn, unsigned shift, uint16_t pcid,
                           bool pge, bool write);
/* Inserts e (e->valid is forced to 1); returns the written entry or NULL
 * for an absent array. */
tlb_entry *tlb_fill(tlb *t, const tlb_entry *e);

void tlb_flush_pcid(tlb *t, uint16_t pcid);
void tlb_invlpg(tlb *t, uint64_t va, uint16_t pcid);
void tlb_invpcid_addr(tlb *t, uint64_t va, uint16_t pcid);
void tlb_flush_all(tlb *t);
void tlb_flush_nonglobal(tlb *t);
/* INVLPGB's effect on one array (AMD APM Vol.3, INVLPGB): the page of va
 * (every page size the array holds), in pcid or, without pcid_valid, in
 * every PCID; global entries only with globals.  A shadow sees the same
 * change as the existing operations above (INVLPG, INVPCID 0). */
void tlb_invlpgb_page(tlb *t, uint64_t va, bool pcid_valid, uint16_t pcid, bool globals);
/* The same without an address: every page (FLUSH_PCID, FLUSH_ALL,
 * FLUSH_NONGLOBAL, or a flush of one PCID plus every global entry). */
void tlb_invlpgb_all(tlb *t, bool pcid_valid, uint16_t pcid, bool globals);

/* Replacement state helpers, exposed for unit tests and the co-simulation. */
void tlb_touch(tlb *t, unsigned set, unsigned way);
/* LRU touch(w) on one set's ages (the rule above), without branches:
 * ages are unpredictable, so branches would miss. */
static inline __attribute__((always_inline)) void tlb_lru_touch(uint8_t *age, unsigned ways,
                                                                 unsigned way)
{
	uint8_t mine = age[way];
	for (unsigned w = 0; w < ways; w++)
		age[w] = (uint8_t)(age[w] + (age[w] < mine));
	age[way] = 0;
}
unsigned tlb_victim(const tlb *t, unsigned set);
unsigned tlb_count_valid(const tlb *t);

#include "hw/tlb_fast.h"

#endif
