/* hw/tlb.c - set-associative PCID/G-tagged array; rules in tlb.h. */
#include "tlb.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static unsigned next_pow2(unsigned n)
{
	unsigned p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

int tlb_init(tlb *t, const char *name, unsigned entries, unsigned ways,
             enum tlb_policy policy, uint64_t shifts)
{
	memset(t, 0, sizeof *t);
	t->name = name;
	t->policy = policy;
	t->shifts = shifts;
	if (entries == 0)
		return 0;
	if (ways == 0 || entries % ways != 0)
		return -1;
	t->sets = entries / ways;
	t->ways = ways;
	t->pow2 = (t->sets & (t->sets - 1)) == 0;
	t->set_mask = t->pow2 ? t->sets - 1 : 0;
	t->tree_leaves = next_pow2(ways < 2 ? 2 : ways);
	t->entries = calloc((size_t)entries, sizeof *t->entries);
	t->repl = calloc((size_t)t->sets * (policy == TLB_LRU ? ways : t->tree_leaves), 1);
	if (!t->entries || !t->repl)
		abort();
	if (policy == TLB_LRU)
		for (unsigned s = 0; s < t->sets; s++)
			for (unsigned w = 0; w < ways; w++)
				t->repl[s * ways + w] = (uint8_t)w;
	return 0;
}

void tlb_free(tlb *t)
{
	free(t->entries);
	free(t->repl);
	t->entries = NULL;
	t->repl = NULL;
	t->last = NULL;
	t->sets = 0;
}

static void notify(tlb *t, tlb_op *op)
{
	if (t->hook)
		t->hook(t->hook_ctx, t, op);
}

/* Branch-free LRU aging (ages are unpredictable, so branches would miss). */
static inline __attribute__((always_inline)) void lru_touch(uint8_t *age, unsigned n, unsigned way)
{
	uint8_t mine = age[way];
	for (unsigned w = 0; w < n; w++)
		age[w] = (uint8_t)(age[w] + (age[w] < mine));
	age[way] = 0;
}

static inline __attribute__((always_inline)) void touch(tlb *t, unsigned set, unsigned way)
{
	t->last = &t->entries[(size_t)set * t->ways + way];
	if (t->policy == TLB_LRU) {
		uint8_t *age = &t->repl[set * t->ways];
		if (t->ways == 4)   /* the L1 arrays: a constant trip count */
			lru_touch(age, 4, way);
		else
			lru_touch(age, t->ways, way);
		return;
	}
	uint8_t *bit = &t->repl[set * t->tree_leaves];
	unsigned node = 1, lo = 0, span = t->tree_leaves;
	while (span > 1) {
		span >>= 1;
		bool left = way < lo + span;
		bit[node] = left ? 1 : 0;   /* point away from the touched way */
		node = 2 * node + (left ? 0 : 1);
		if (!left)
			lo += span;
	}
}

void tlb_touch(tlb *t, unsigned set, unsigned way)
{
	touch(t, set, way);
}

unsigned tlb_victim(const tlb *t, unsigned set)
{
	if (t->policy == TLB_LRU) {
		const uint8_t *age = &t->repl[set * t->ways];
		for (unsigned w = 0; w < t->ways; w++)
			if (age[w] == t->ways - 1)
				return w;
		return 0; /* unreachable: ages are a permutation */
	}
	const uint8_t *bit = &t->repl[set * t->tree_leaves];
	unsigned node = 1, lo = 0, span = t->tree_leaves;
	while (span > 1) {
		span >>= 1;
		bool right = bit[node] != 0;
		if (right && lo + span >= t->ways)
			right = false;  /* the right subtree holds no real way */
		node = 2 * node + (right ? 1 : 0);
		if (right)
			lo += span;
	}
	return lo;
}

/* The lookup compares the eight bytes from pcid to pad as one word. */
_Static_assert(offsetof(tlb_entry, valid) == offsetof(tlb_entry, pcid) + 2 &&
               offsetof(tlb_entry, global) == offsetof(tlb_entry, pcid) + 3 &&
               offsetof(tlb_entry, shift) == offsetof(tlb_entry, pcid) + 6 &&
               sizeof(tlb_entry) == offsetof(tlb_entry, pcid) + 8,
               "tlb_entry's flag bytes moved: update the masks below");
#define W_PCID   0xffffull
#define W_VALID  (0xffull << 16)
#define W_SHIFT  (0xffull << 48)

/* Which ways of the row hit (bit per way), computed without branches:
 * which way hits is as unpredictable as the trace.  A hit needs the vpn,
 * valid = 1, the shift and the pcid to match, the pcid bits ignored for
 * a global entry when pge (valid and global are 0 or 1: fill and the
 * invalidations only ever store those). */
static inline __attribute__((always_inline)) unsigned row_hits(const tlb_entry *row, unsigned n,
                                                                uint64_t vpn, unsigned shift,
                                                                uint16_t pcid, bool pge)
{
	uint64_t want = pcid | 1ull << 16 | (uint64_t)shift << 48;
	unsigned hits = 0;
	for (unsigned w = 0; w < n; w++) {
		uint64_t word;
		memcpy(&word, &row[w].pcid, sizeof word);
		uint64_t skip_pcid = ((word >> 24) & (uint64_t)pge) * W_PCID;  /* global and pge */
		uint64_t diff = (word ^ want) & ((W_PCID & ~skip_pcid) | W_VALID | W_SHIFT);
		hits |= (unsigned)((diff == 0) & (row[w].vpn == vpn)) << w;
	}
	return hits;
}

tlb_entry *tlb_lookup_slow(tlb *t, uint64_t vpn, unsigned shift, uint16_t pcid, bool pge,
                           bool write)
{
	tlb_entry *hit = NULL;
	unsigned set = 0, way = 0;
	if (t->sets) {
		set = tlb_set_of(t, vpn);
		tlb_entry *row = &t->entries[(size_t)set * t->ways];
		/* at most one way hits (tlb.h) */
		unsigned n = t->ways, found = n;
		if (n == 4 || n <= 32) {
			unsigned hits = n == 4 ? row_hits(row, 4, vpn, shift, pcid, pge)
			                       : row_hits(row, n, vpn, shift, pcid, pge);
			found = hits ? (unsigned)__builtin_ctz(hits) : n;
		} else {
			for (unsigned w = 0; w < n && found == n; w += 32) {
				unsigned hits = row_hits(row + w, n - w < 32 ? n - w : 32, vpn, shift,
				                         pcid, pge);
				found = hits ? w + (unsigned)__builtin_ctz(hits) : n;
			}
		}
		if (found < n) {
			way = found;
			hit = &row[way];
			touch(t, set, way);
		}
	}
	if (t->hook) {
		tlb_op op = { .kind = TLB_OP_LOOKUP, .vpn = vpn, .shift = (uint8_t)shift,
		              .pcid = pcid, .pge = pge, .write = write,
		              .way = hit ? (int)way : -1, .set = (int)set };
		notify(t, &op);
	}
	return hit;
}

tlb_entry *tlb_fill(tlb *t, const tlb_entry *n)
{
	if (!t->sets)
		return NULL;
	unsigned set = tlb_set_of(t, n->vpn);
	tlb_entry *row = &t->entries[(size_t)set * t->ways];
	int chosen = -1, invalid = -1;
	for (unsigned w = 0; w < t->ways; w++) {
		tlb_entry *e = &row[w];
		if (!e->valid) {
			if (invalid < 0)
				invalid = (int)w;
			continue;
		}
		if (e->vpn == n->vpn && e->shift == n->shift &&
		    (e->pcid == n->pcid || e->global || n->global)) {
			if (chosen < 0)
				chosen = (int)w;
			else
				e->valid = 0;
		}
	}
	if (chosen < 0)
		chosen = invalid >= 0 ? invalid : (int)tlb_victim(t, set);
	row[chosen] = *n;
	row[chosen].valid = 1;
	row[chosen].global = n->global != 0;   /* 0 or 1, as row_hits assumes */
	touch(t, set, (unsigned)chosen);
	if (t->hook) {
		tlb_op op = { .kind = TLB_OP_FILL, .fill = &row[chosen], .way = chosen,
		              .set = (int)set, .vpn = n->vpn, .shift = n->shift,
		              .pcid = n->pcid };
		notify(t, &op);
	}
	return &row[chosen];
}

/* Applies pred to every valid entry; the invalidations below are all this. */
#define FOR_EACH_VALID(t, e)                                                   \
	for (tlb_entry *e = (t)->entries,                                          \
	               *e##_end = (t)->entries + (size_t)(t)->sets * (t)->ways;    \
	     e < e##_end; e++)                                                     \
		if (e->valid)

void tlb_flush_pcid(tlb *t, uint16_t pcid)
{
	FOR_EACH_VALID(t, e)
		if (e->pcid == pcid && !e->global)
			e->valid = 0;
	tlb_op op = { .kind = TLB_OP_FLUSH_PCID, .pcid = pcid };
	notify(t, &op);
}

/* One page: for each page size the array holds, the one set it can be in. */
static void invalidate_page(tlb *t, uint64_t va, uint16_t pcid, bool globals_too)
{
	if (!t->sets)
		return;
	for (uint64_t left = t->shifts; left; left &= left - 1) {
		unsigned shift = (unsigned)__builtin_ctzll(left);
		uint64_t vpn = va >> shift;
		tlb_entry *e = &t->entries[(size_t)tlb_set_of(t, vpn) * t->ways];
		for (unsigned w = 0; w < t->ways; w++, e++) {
			if (!e->valid || e->vpn != vpn || e->shift != shift)
				continue;
			if (e->global ? globals_too : e->pcid == pcid)
				e->valid = 0;
		}
	}
}

void tlb_invlpg(tlb *t, uint64_t va, uint16_t pcid)
{
	invalidate_page(t, va, pcid, true);  /* SDM 4.10.4.1: globals for the page too */
	tlb_op op = { .kind = TLB_OP_INVLPG, .va = va, .pcid = pcid };
	notify(t, &op);
}

void tlb_invpcid_addr(tlb *t, uint64_t va, uint16_t pcid)
{
	invalidate_page(t, va, pcid, false); /* SDM INVPCID type 0: not globals */
	tlb_op op = { .kind = TLB_OP_INVPCID_ADDR, .va = va, .pcid = pcid };
	notify(t, &op);
}

void tlb_flush_all(tlb *t)
{
	FOR_EACH_VALID(t, e)
		e->valid = 0;
	tlb_op op = { .kind = TLB_OP_FLUSH_ALL };
	notify(t, &op);
}

void tlb_flush_nonglobal(tlb *t)
{
	FOR_EACH_VALID(t, e)
		if (!e->global)
			e->valid = 0;
	tlb_op op = { .kind = TLB_OP_FLUSH_NONGLOBAL };
	notify(t, &op);
}

unsigned tlb_count_valid(const tlb *t)
{
	unsigned n = 0;
	for (size_t i = 0; i < (size_t)t->sets * t->ways; i++)
		n += t->entries[i].valid;
	return n;
}
