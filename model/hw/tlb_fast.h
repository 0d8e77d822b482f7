/* hw/tlb_fast.h - the speed devices of hw/tlb.c, beside its rules.
 *
 * tlb.c writes the rules of tlb.h plainly, over the entries.  What makes
 * them fast lives here and in tlb_fast.c, and decides nothing: the
 * search keys mirrored beside the entries (for SSE2 rows), the code for
 * LRU arrays of 4, 8, 12 or 16 ways with a constant way count, the keyed
 * search and fill of any other array, and `last`, the entry touched
 * last (a repeated hit on it changes no replacement state, so the keyed
 * search, the long one, returns it without searching; the memo of
 * hw/mmu.h asks it too), and the count of valid
 * entries of each page shift (a lookup of a shift the array holds none
 * of misses without a search: the STLB's 2 MiB half and the L1 DTLB's
 * 2 MiB and 1 GiB arrays, empty in most runs).  The one selection point is
 * tlb_fast_serves, at the top of tlb_lookup_slow and tlb_fill: with a
 * shadow (the co-simulation), an absent array or a vpn the keys cannot
 * hold, the plain rules run (and at the top of invalidate_page and
 * tlb_flush_pcid, which search the keys too).  testbench/hw/test_tlb.c holds
 * both to the same answers and the same state on random operations.
 * Included by tlb.h. */
#ifndef MMUSIM_HW_TLB_FAST_H
#define MMUSIM_HW_TLB_FAST_H

#include <stddef.h>

/* tlb.fast: which code serves the array */
enum {
	TLB_FAST_NONE = 0,        /* the plain rules of tlb.c (an absent array; tests) */
	/* 1..4: LRU, sets a power of two, ways = 4 * code */
	TLB_FAST_KEYED = 5        /* any other geometry: search (SSE2 rows up to 32 ways) and
	                           * fill on the keys */
};

/* Allocates the mirrors and chooses t->fast; tlb_init calls it. */
void tlb_fast_init(tlb *t);
/* Chooses t->fast again: TLB_FAST_NONE for an absent array or one with
 * a shadow (tlb_set_hook calls it), else the code for its geometry. */
void tlb_fast_select(tlb *t);
void tlb_fast_free(tlb *t);

/* The search keys (tlb.h): what a fast lookup compares. */
static inline uint64_t tlb_key_of(uint64_t vpn, unsigned shift)
{
	return vpn << 7 | 1u << 6 | (shift & 63);   /* never 0 */
}

/* The selection point: whether the devices serve a lookup or fill of
 * vpn (an array with a shadow has t->fast TLB_FAST_NONE, tlb_fast_select).
 * Keys hold the whole vpn below 2^57 (any VA >> 12 is); a wider one
 * (only a unit test could make it) takes the plain rules. */
static inline bool tlb_fast_serves(const tlb *t, uint64_t vpn)
{
	return t->fast != TLB_FAST_NONE && vpn >> 57 == 0;
}

/* What the rules tell the devices: entry (set, way) was written,
 * invalidated or touched.  A key's low 6 bits are the shift of the entry
 * it was made from, which the held counts follow. */
static inline void tlb_fast_written(tlb *t, unsigned set, unsigned way)
{
	const tlb_entry *e = &t->entries[(size_t)set * t->ways + way];
	size_t k = (size_t)set * t->stride + way;
	if (t->key[k])
		t->held[t->key[k] & 63]--;
	t->key[k] = e->valid ? tlb_key_of(e->vpn, e->shift) : 0;
	t->owner[k] = e->pcid | (e->global ? OWNER_GLOBAL : 0);
	if (e->valid)
		t->held[e->shift & 63]++;
}
static inline void tlb_fast_killed(tlb *t, unsigned set, unsigned way)
{
	size_t k = (size_t)set * t->stride + way;
	if (t->key[k])
		t->held[t->key[k] & 63]--;
	t->key[k] = 0;
}
static inline void tlb_fast_touched(tlb *t, unsigned set, unsigned way)
{
	t->last = &t->entries[(size_t)set * t->ways + way];
}

/* The lookup and fill of an array tlb_fast_serves, with the rules' answers. */
tlb_entry *tlb_fast_lookup(tlb *t, uint64_t vpn, unsigned shift, uint16_t pcid, bool pge);
tlb_entry *tlb_fast_fill(tlb *t, const tlb_entry *n);
/* Two invalidations of tlb.c (a #PF's and INVLPG's page, a CR3 write's
 * PCID) found on the keys and owners: the same entries killed. */
void tlb_fast_invalidate_page(tlb *t, uint64_t va, uint16_t pcid, bool globals_too);
void tlb_fast_flush_pcid(tlb *t, uint16_t pcid);

/* tlb.h's lookup: a shift the array holds no entry of misses without a
 * search (a miss changes nothing). */
static inline tlb_entry *tlb_lookup(tlb *t, uint64_t vpn, unsigned shift, uint16_t pcid,
                                    bool pge, bool write)
{
	if (!t->held[shift & 63] && tlb_fast_serves(t, vpn))
		return NULL;
	return tlb_lookup_slow(t, vpn, shift, pcid, pge, write);
}

#endif
