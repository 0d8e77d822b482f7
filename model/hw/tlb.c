/* hw/tlb.c - set-associative PCID/G-tagged array: the rules of tlb.h,
 * plainly, over the entries (the twin of rtl/tlb_array.sv).  The speed
 * devices beside them are in tlb_fast.c, chosen at one point
 * (tlb_fast_serves); they decide nothing, and every write here tells
 * them (tlb_fast_written, tlb_fast_killed, tlb_fast_touched). */
#include "tlb.h"
#include "base/output.h"

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
		output_out_of_memory();
	if (policy == TLB_LRU)   /* reset: age[w] = w */
		for (unsigned s = 0; s < t->sets; s++)
			for (unsigned w = 0; w < ways; w++)
				t->repl[s * ways + w] = (uint8_t)w;
	tlb_fast_init(t);
	return 0;
}

void tlb_set_hook(tlb *t, tlb_op_hook hook, void *ctx)
{
	t->hook = hook;
	t->hook_ctx = ctx;
	tlb_fast_select(t);
}

void tlb_free(tlb *t)
{
	tlb_fast_free(t);
	free(t->entries);
	free(t->repl);
	t->entries = NULL;
	t->repl = NULL;
	t->sets = 0;
}

/* Tells the shadow, if any; the invalidations build their op only when
 * there is one (if (t->hook) notify(...)): most calls have none. */
static void notify(tlb *t, tlb_op *op)
{
	if (t->hook)
		t->hook(t->hook_ctx, t, op);
}

static inline void touch(tlb *t, unsigned set, unsigned way)
{
	if (t->policy == TLB_LRU) {
		tlb_lru_touch(&t->repl[set * t->ways], t->ways, way);
	} else {
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
	tlb_fast_touched(t, set, way);
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

static void kill(tlb *t, unsigned set, unsigned way)
{
	t->entries[(size_t)set * t->ways + way].valid = 0;
	tlb_fast_killed(t, set, way);
}

/* Lookup: the way of the set that hits, or ways (at most one hits). */
static unsigned find(const tlb *t, unsigned set, uint64_t vpn, unsigned shift, uint16_t pcid,
                     bool pge)
{
	const tlb_entry *row = &t->entries[(size_t)set * t->ways];
	for (unsigned w = 0; w < t->ways; w++)
		if (row[w].valid && row[w].vpn == vpn && row[w].shift == shift &&
		    (row[w].pcid == pcid || (row[w].global && pge)))
			return w;
	return t->ways;
}

static __attribute__((noinline)) tlb_entry *lookup(tlb *t, uint64_t vpn, unsigned shift,
                                                    uint16_t pcid, bool pge, bool write)
{
	tlb_entry *hit = NULL;
	unsigned set = 0, way = 0;
	if (t->sets) {
		set = tlb_set_of(t, vpn);
		way = find(t, set, vpn, shift, pcid, pge);
		if (way < t->ways) {
			hit = &t->entries[(size_t)set * t->ways + way];
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

tlb_entry *tlb_lookup_slow(tlb *t, uint64_t vpn, unsigned shift, uint16_t pcid, bool pge,
                           bool write)
{
	if (tlb_fast_serves(t, vpn))
		return tlb_fast_lookup(t, vpn, shift, pcid, pge);
	return lookup(t, vpn, shift, pcid, pge, write);
}

static __attribute__((noinline)) tlb_entry *fill(tlb *t, const tlb_entry *n)
{
	if (!t->sets)
		return NULL;
	unsigned set = tlb_set_of(t, n->vpn);
	tlb_entry *row = &t->entries[(size_t)set * t->ways];
	int chosen = -1, invalid = -1;
	for (unsigned w = 0; w < t->ways; w++) {
		if (!row[w].valid) {
			if (invalid < 0)
				invalid = (int)w;
			continue;
		}
		if (row[w].vpn == n->vpn && row[w].shift == n->shift &&
		    (row[w].pcid == n->pcid || row[w].global || n->global)) {   /* a conflict */
			if (chosen < 0)
				chosen = (int)w;
			else
				kill(t, set, w);
		}
	}
	if (chosen < 0)
		chosen = invalid >= 0 ? invalid : (int)tlb_victim(t, set);
	row[chosen] = *n;
	row[chosen].valid = 1;
	tlb_fast_written(t, set, (unsigned)chosen);
	touch(t, set, (unsigned)chosen);
	if (t->hook) {
		tlb_op op = { .kind = TLB_OP_FILL, .fill = &row[chosen], .way = chosen,
		              .set = (int)set, .vpn = n->vpn, .shift = n->shift,
		              .pcid = n->pcid };
		notify(t, &op);
	}
	return &row[chosen];
}
tlb_entry *tlb_fill(tlb *t, const tlb_entry *n)
{
	if (tlb_fast_serves(t, n->vpn))
		return tlb_fast_fill(t, n);
	return fill(t, n);
}

/* Visits every valid entry as e at (set, way); the invalidations below
 * are all this. */
#define FOR_EACH_VALID(t, set, way, e)                                         \
	for (unsigned set = 0; set < (t)->sets; set++)                             \
		for (unsigned way = 0; way < (t)->ways; way++)                         \
			for (tlb_entry *e = &(t)->entries[(size_t)set * (t)->ways + way];  \
			     e && e->valid; e = NULL)

void tlb_flush_pcid(tlb *t, uint16_t pcid)
{
	if (tlb_fast_serves(t, 0))
		tlb_fast_flush_pcid(t, pcid);
	else
		FOR_EACH_VALID(t, set, way, e)
			if (e->pcid == pcid && !e->global)
				kill(t, set, way);
	if (t->hook)
		notify(t, &(tlb_op){ .kind = TLB_OP_FLUSH_PCID, .pcid = pcid });
}

/* One page: for each page size the array holds, the one set it can be in. */
static void invalidate_page(tlb *t, uint64_t va, uint16_t pcid, bool globals_too)
{
	if (!t->sets)
		return;
	if (tlb_fast_serves(t, va >> 12)) {
		tlb_fast_invalidate_page(t, va, pcid, globals_too);
		return;
	}
	for (uint64_t left = t->shifts; left; left &= left - 1) {
		unsigned shift = (unsigned)__builtin_ctzll(left);
		uint64_t vpn = va >> shift;
		unsigned set = tlb_set_of(t, vpn);
		tlb_entry *e = &t->entries[(size_t)set * t->ways];
		for (unsigned w = 0; w < t->ways; w++, e++) {
			if (!e->valid || e->vpn != vpn || e->shift != shift)
				continue;
			if (e->global ? globals_too : e->pcid == pcid)
				kill(t, set, w);
		}
	}
}

void tlb_invlpg(tlb *t, uint64_t va, uint16_t pcid)
{
	invalidate_page(t, va, pcid, true);  /* SDM 4.10.4.1: globals for the page too */
	if (t->hook)
		notify(t, &(tlb_op){ .kind = TLB_OP_INVLPG, .va = va, .pcid = pcid });
}

void tlb_invpcid_addr(tlb *t, uint64_t va, uint16_t pcid)
{
	invalidate_page(t, va, pcid, false); /* SDM INVPCID type 0: not globals */
	if (t->hook)
		notify(t, &(tlb_op){ .kind = TLB_OP_INVPCID_ADDR, .va = va, .pcid = pcid });
}

void tlb_flush_all(tlb *t)
{
	FOR_EACH_VALID(t, set, way, e)
		kill(t, set, way);
	if (t->hook)
		notify(t, &(tlb_op){ .kind = TLB_OP_FLUSH_ALL });
}

void tlb_flush_nonglobal(tlb *t)
{
	FOR_EACH_VALID(t, set, way, e)
		if (!e->global)
			kill(t, set, way);
	if (t->hook)
		notify(t, &(tlb_op){ .kind = TLB_OP_FLUSH_NONGLOBAL });
}

void tlb_invlpgb_page(tlb *t, uint64_t va, bool pcid_valid, uint16_t pcid, bool globals)
{
	if (pcid_valid) {
		/* one PCID: INVLPG when globals go too, else INVPCID type 0 */
		if (globals)
			tlb_invlpg(t, va, pcid);
		else
			tlb_invpcid_addr(t, va, pcid);
		return;
	}
	if (!t->sets)
		return;
	/* every PCID: the shadow is told one INVPCID 0 per PCID that lost an
	 * entry, and (globals) one INVLPG, whose PCID no longer holds the page */
	uint64_t seen[4096 / 64] = { 0 };
	bool any = false;
	for (uint64_t left = t->shifts; left; left &= left - 1) {
		unsigned shift = (unsigned)__builtin_ctzll(left);
		uint64_t vpn = va >> shift;
		unsigned set = tlb_set_of(t, vpn);
		tlb_entry *e = &t->entries[(size_t)set * t->ways];
		for (unsigned w = 0; w < t->ways; w++, e++) {
			if (!e->valid || e->vpn != vpn || e->shift != shift || (e->global && !globals))
				continue;
			if (!e->global) {
				seen[(e->pcid & 0xfff) / 64] |= 1ull << (e->pcid % 64);
				any = true;
			}
			kill(t, set, w);
		}
	}
	if (!t->hook)
		return;
	for (unsigned p = 0; any && p < 4096; p++)
		if (seen[p / 64] >> (p % 64) & 1) {
			tlb_op op = { .kind = TLB_OP_INVPCID_ADDR, .va = va, .pcid = (uint16_t)p };
			notify(t, &op);
		}
	if (globals) {
		tlb_op op = { .kind = TLB_OP_INVLPG, .va = va, .pcid = 0 };
		notify(t, &op);
	}
}

void tlb_invlpgb_all(tlb *t, bool pcid_valid, uint16_t pcid, bool globals)
{
	if (!pcid_valid) {
		if (globals)
			tlb_flush_all(t);
		else
			tlb_flush_nonglobal(t);
		return;
	}
	tlb_flush_pcid(t, pcid);
	if (!globals)
		return;
	/* and every global entry: the shadow sees an INVLPG of its page */
	FOR_EACH_VALID(t, set, way, e)
		if (e->global) {
			uint64_t page = e->vpn << e->shift;
			kill(t, set, way);
			tlb_op op = { .kind = TLB_OP_INVLPG, .va = page, .pcid = pcid };
			notify(t, &op);
		}
}

unsigned tlb_count_valid(const tlb *t)
{
	unsigned n = 0;
	for (size_t i = 0; i < (size_t)t->sets * t->ways; i++)
		n += t->entries[i].valid;
	return n;
}
