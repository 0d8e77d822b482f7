/* Unit tests of hw/tlb.c: lookup matching, fill conflicts, LRU and
 * tree-PLRU victims, each invalidation kind on a raw array. */
#include "check.h"
#include "hw/tlb.h"

static tlb_entry entry(uint64_t vpn, uint16_t pcid, bool global)
{
	return (tlb_entry){ .vpn = vpn, .pfn = vpn + 0x1000, .pcid = pcid, .global = global,
	                    .perm = PERM_W | PERM_U, .shift = 12 };
}

static void lookup_matches_pcid_or_global_with_pge(void)
{
	tlb t;
	tlb_init(&t, "t", 8, 2, TLB_LRU, 1ull << 12);
	tlb_entry a = entry(5, 1, false), g = entry(6, 1, true);
	tlb_fill(&t, &a);
	tlb_fill(&t, &g);
	CHECK(tlb_lookup(&t, 5, 12, 1, true, false) != NULL);
	CHECK(tlb_lookup(&t, 5, 12, 2, true, false) == NULL);   /* other PCID */
	CHECK(tlb_lookup(&t, 6, 12, 2, true, false) != NULL);   /* global, PGE on */
	CHECK(tlb_lookup(&t, 6, 12, 2, false, false) == NULL);  /* global ignored, PGE off */
	CHECK(tlb_lookup(&t, 6, 21, 1, true, false) == NULL);   /* other page size */
	tlb_free(&t);
}

static void fill_replaces_conflicting_entries(void)
{
	tlb t;
	tlb_init(&t, "t", 4, 4, TLB_LRU, 1ull << 12);
	tlb_entry a = entry(9, 1, false), b = entry(9, 2, false), g = entry(9, 3, true);
	tlb_fill(&t, &a);
	tlb_fill(&t, &b);
	CHECK_EQ(tlb_count_valid(&t), 2);          /* same VPN, other PCIDs: both stay */
	tlb_fill(&t, &g);                          /* a global conflicts with both */
	CHECK_EQ(tlb_count_valid(&t), 1);
	CHECK(t.entries[0].valid && t.entries[0].global);  /* lowest conflicting way reused */
	tlb_entry again = entry(9, 1, false);
	tlb_fill(&t, &again);                      /* conflicts with the global */
	CHECK_EQ(tlb_count_valid(&t), 1);
	CHECK(!t.entries[0].global && t.entries[0].pcid == 1);
	tlb_free(&t);
}

/* LRU: 4 ways of one set filled 0..3, touch 0, then the victim is 1
 * (ages after the fills: way3=0, way2=1, way1=2, way0=3; touching way 0
 * makes way 1 the oldest). */
static void lru_victim_is_least_recent(void)
{
	tlb t;
	tlb_init(&t, "t", 4, 4, TLB_LRU, 1ull << 12);
	for (uint64_t v = 0; v < 4; v++) {
		tlb_entry e = entry(v, 1, false);
		tlb_fill(&t, &e);
	}
	CHECK_EQ(tlb_victim(&t, 0), 0);
	CHECK(tlb_lookup(&t, 0, 12, 1, true, false) != NULL);
	CHECK_EQ(tlb_victim(&t, 0), 1);
	tlb_entry e = entry(7, 1, false);
	tlb_fill(&t, &e);                          /* evicts way 1 (vpn 1) */
	CHECK(tlb_lookup(&t, 1, 12, 1, true, false) == NULL);
	CHECK(t.entries[1].vpn == 7);
	tlb_free(&t);
}

/* Tree-PLRU over 4 ways: fills of ways 0,1,2,3 leave root=0 (last touch
 * was in the right half, so point left), node2 = 0 (way 1 touched last on
 * the left: point to way 0).  Victim = way 0. */
static void plru_victim_follows_the_tree(void)
{
	tlb t;
	tlb_init(&t, "t", 4, 4, TLB_PLRU, 1ull << 12);
	for (uint64_t v = 0; v < 4; v++) {
		tlb_entry e = entry(v, 1, false);
		tlb_fill(&t, &e);
	}
	CHECK_EQ(tlb_victim(&t, 0), 0);
	tlb_lookup(&t, 0, 12, 1, true, false);     /* root -> right, node3 unchanged (way 3 last: ->2) */
	CHECK_EQ(tlb_victim(&t, 0), 2);
	tlb_free(&t);
	/* 3 ways: leaf 3 does not exist and is never chosen */
	tlb_init(&t, "t", 3, 3, TLB_PLRU, 1ull << 12);
	for (uint64_t v = 0; v < 3; v++) {
		tlb_entry e = entry(v, 1, false);
		tlb_fill(&t, &e);
	}
	for (int i = 0; i < 6; i++) {
		unsigned v = tlb_victim(&t, 0);
		CHECK(v < 3);
		tlb_touch(&t, 0, v);
	}
	tlb_free(&t);
}

static void set_index_is_vpn_mod_sets(void)
{
	tlb t;
	tlb_init(&t, "t", 12, 2, TLB_LRU, 1ull << 12);   /* 6 sets: not a power of two */
	tlb_entry e = entry(13, 1, false);                /* 13 mod 6 = 1 */
	tlb_fill(&t, &e);
	CHECK(t.entries[1 * 2 + 0].valid && t.entries[1 * 2].vpn == 13);
	tlb_free(&t);
	CHECK_EQ(tlb_init(&t, "bad", 10, 4, TLB_LRU, 1ull << 12), (uint64_t)-1);
}

static void invalidations_remove_exactly_their_entries(void)
{
	tlb t;
	tlb_init(&t, "t", 16, 16, TLB_LRU, 1ull << 12);
	tlb_entry set[] = { entry(1, 1, false), entry(2, 1, false), entry(1, 2, false),
	                    entry(3, 2, true) };
	for (unsigned i = 0; i < 4; i++)
		tlb_fill(&t, &set[i]);
	tlb_invpcid_addr(&t, 1ull << 12, 1);       /* vpn 1, PCID 1 only */
	CHECK_EQ(tlb_count_valid(&t), 3);
	tlb_invpcid_addr(&t, 3ull << 12, 2);       /* a global: stays */
	CHECK_EQ(tlb_count_valid(&t), 3);
	tlb_invlpg(&t, 3ull << 12, 1);             /* INVLPG drops the global */
	CHECK_EQ(tlb_count_valid(&t), 2);
	tlb_flush_pcid(&t, 2);
	CHECK_EQ(tlb_count_valid(&t), 1);
	CHECK(tlb_lookup(&t, 2, 12, 1, true, false) != NULL);
	tlb_flush_all(&t);
	CHECK_EQ(tlb_count_valid(&t), 0);
	tlb_free(&t);
}

/* The entry a lookup must find, by reading every entry of the array. */
static const tlb_entry *ref_find(const tlb *t, uint64_t vpn, unsigned shift, uint16_t pcid, bool pge)
{
	const tlb_entry *found = NULL;
	for (size_t i = 0; i < (size_t)t->sets * t->ways; i++) {
		const tlb_entry *e = &t->entries[i];
		if (e->valid && e->vpn == vpn && e->shift == shift && (e->pcid == pcid || (e->global && pge)))
			found = e;
	}
	return found;
}

/* xorshift64: below n */
static unsigned rng(uint64_t *x, unsigned n)
{
	*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
	return (unsigned)(*x % n);
}

/* A random operation's operands: a page of either size among span
 * pages, in either half of the address space, one of three PCIDs. */
typedef struct rand_op {
	unsigned shift, kind;     /* kind: 0..63, what to do with it */
	uint64_t vpn;
	uint16_t pcid;
	bool pge;
} rand_op;

static rand_op random_op(uint64_t *x, unsigned span)
{
	rand_op o;
	o.shift = rng(x, 4) ? 12 : 21;
	o.vpn = rng(x, span);
	if (rng(x, 4) == 0)
		o.vpn |= 0xffff800000000000ull >> o.shift;   /* the kernel half */
	o.pcid = (uint16_t)rng(x, 3);
	o.pge = rng(x, 4) != 0;
	o.kind = rng(x, 64);
	return o;
}

/* The lookup searches keys kept beside the entries (SSE2 rows padded to
 * four ways, a plain loop beyond 32 ways).  After every one of 40000
 * random fills, lookups and invalidations of each kind, on geometries
 * with 1, 3, 4, 12 and 40 ways, both page sizes and both policies, and
 * addresses in both halves, a lookup finds exactly the entry a scan of
 * the entries finds. */
static void lookups_agree_with_a_scan(void)
{
	static const unsigned geo[][2] = { { 8, 1 }, { 12, 3 }, { 16, 4 }, { 48, 12 }, { 80, 40 } };
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (unsigned g = 0; g < 5; g++) {
		for (int policy = TLB_LRU; policy <= TLB_PLRU; policy++) {
			tlb t;
			CHECK_EQ(tlb_init(&t, "t", geo[g][0], geo[g][1], (enum tlb_policy)policy,
			                  1ull << 12 | 1ull << 21), 0);
			unsigned mismatches = 0, hits = 0;
			for (int i = 0; i < 40000; i++) {
				rand_op r = random_op(&x, 2 * geo[g][0]);
				unsigned shift = r.shift;
				uint64_t vpn = r.vpn;
				uint16_t pcid = r.pcid;
				bool pge = r.pge;
				switch (r.kind) {   /* invalidations rare enough for hits */
				case 0: tlb_flush_pcid(&t, pcid); break;
				case 1: tlb_invlpg(&t, vpn << shift, pcid); break;
				case 2: tlb_invpcid_addr(&t, vpn << shift, pcid); break;
				case 3: if (rng(&x, 8) == 0) tlb_flush_all(&t); break;
				case 4: tlb_flush_nonglobal(&t); break;
				case 5: case 6: case 7: case 8: case 9: case 10: case 11: case 12:
				case 13: case 14: case 15: case 16: case 17: case 18: case 19: case 20: {
					tlb_entry n = entry(vpn, pcid, rng(&x, 6) == 0);
					n.shift = (uint8_t)shift;
					tlb_fill(&t, &n);
					break;
				}
				default: {
					const tlb_entry *want = ref_find(&t, vpn, shift, pcid, pge);
					mismatches += tlb_lookup(&t, vpn, shift, pcid, pge, false) != want;
					hits += want != NULL;
				}
				}
			}
			CHECK_EQ(mismatches, 0);
			CHECK(hits > 500);
			tlb_free(&t);
		}
	}
}

/* The speed devices (tlb_fast.c) against the plain rules (tlb.c, an
 * array with tlb.fast = TLB_FAST_NONE) on the same operations: the code
 * for 4, 8, 12 and 16 LRU ways, and the keyed search of other geometries
 * (PLRU, sets not a power of two, 2, 6, 32, 40 and 64 ways), and the
 * keyed page invalidation and PCID flush of all of them.  After each
 * of 30000 random lookups, fills (conflicting ones too) and invalidations
 * of every kind, the same result, and the same entries, keys, owners,
 * replacement state, entry touched last and counts of valid entries by
 * page shift (which let a lookup of a shift held by none skip the search). */
static bool same_state(const tlb *a, const tlb *b)
{
	size_t n = (size_t)a->sets * a->ways;
	for (size_t i = 0; i < n; i++) {
		const tlb_entry *x = &a->entries[i], *y = &b->entries[i];
		if (x->valid != y->valid || (x->valid && (x->vpn != y->vpn || x->pcid != y->pcid ||
		    x->global != y->global || x->shift != y->shift || x->pfn != y->pfn)))
			return false;
	}
	size_t keys = (size_t)a->sets * a->stride;
	size_t repl = (size_t)a->sets * (a->policy == TLB_LRU ? a->ways : a->tree_leaves);
	for (size_t i = 0; i < keys; i++)   /* an invalid entry's owner is not kept */
		if (a->key[i] != b->key[i] || (a->key[i] && a->owner[i] != b->owner[i]))
			return false;
	/* the held counts: the valid entries of each shift, in both */
	uint32_t held[64] = { 0 };
	for (size_t i = 0; i < n; i++)
		if (a->entries[i].valid)
			held[a->entries[i].shift & 63]++;
	if (memcmp(held, a->held, sizeof held) || memcmp(held, b->held, sizeof held))
		return false;
	return memcmp(a->repl, b->repl, repl) == 0 &&
	       (a->last ? a->last - a->entries : -1) == (b->last ? b->last - b->entries : -1);
}

static void fast_code_agrees_with_plain_rules(void)
{
	static const struct { unsigned entries, ways, policy, fast; } geo[] = {
		{ 4, 4, TLB_LRU, 1 }, { 64, 4, TLB_LRU, 1 }, { 32, 8, TLB_LRU, 2 }, { 48, 12, TLB_LRU, 3 },
		{ 1536, 12, TLB_LRU, 3 }, { 64, 16, TLB_LRU, 4 }, { 2, 2, TLB_LRU, TLB_FAST_KEYED },
		{ 64, 4, TLB_PLRU, TLB_FAST_KEYED }, { 48, 4, TLB_LRU, TLB_FAST_KEYED },
		{ 36, 6, TLB_PLRU, TLB_FAST_KEYED }, { 128, 32, TLB_LRU, TLB_FAST_KEYED },
		{ 64, 64, TLB_LRU, TLB_FAST_KEYED }, { 80, 40, TLB_PLRU, TLB_FAST_KEYED } };
	uint64_t x = 0x2545f4914f6cdd1dull;
	for (unsigned g = 0; g < sizeof geo / sizeof geo[0]; g++) {
		tlb fast, plain;
		enum tlb_policy policy = (enum tlb_policy)geo[g].policy;
		CHECK_EQ(tlb_init(&fast, "f", geo[g].entries, geo[g].ways, policy, 1ull << 12 | 1ull << 21), 0);
		CHECK_EQ(tlb_init(&plain, "p", geo[g].entries, geo[g].ways, policy, 1ull << 12 | 1ull << 21), 0);
		CHECK_EQ(fast.fast, geo[g].fast);
		plain.fast = TLB_FAST_NONE;
		unsigned differ = 0, hits = 0;
		for (int i = 0; i < 30000 && !differ; i++) {
			rand_op r = random_op(&x, geo[g].entries < 128 ? 3 * geo[g].entries : 384);
			unsigned shift = r.shift, op = r.kind;
			uint64_t vpn = r.vpn, va = vpn << shift;
			uint16_t pcid = r.pcid;
			bool pge = r.pge, globals = rng(&x, 2), pcid_valid = rng(&x, 2);
			if (op == 0) {
				tlb_flush_pcid(&fast, pcid), tlb_flush_pcid(&plain, pcid);
			} else if (op == 1) {
				tlb_invlpg(&fast, va, pcid), tlb_invlpg(&plain, va, pcid);
			} else if (op == 2 && rng(&x, 8) == 0) {   /* the whole array rarely */
				tlb_flush_nonglobal(&fast), tlb_flush_nonglobal(&plain);
			} else if (op == 3) {
				tlb_invpcid_addr(&fast, va, pcid), tlb_invpcid_addr(&plain, va, pcid);
			} else if (op == 4 && rng(&x, 8) == 0) {
				tlb_flush_all(&fast), tlb_flush_all(&plain);
			} else if (op == 5) {
				tlb_invlpgb_page(&fast, va, pcid_valid, pcid, globals);
				tlb_invlpgb_page(&plain, va, pcid_valid, pcid, globals);
			} else if (op == 6 && rng(&x, 8) == 0) {
				tlb_invlpgb_all(&fast, pcid_valid, pcid, globals);
				tlb_invlpgb_all(&plain, pcid_valid, pcid, globals);
			} else if (op < 26) {
				tlb_entry n = entry(vpn, pcid, rng(&x, 5) == 0);
				n.shift = (uint8_t)shift;
				n.pfn = rng(&x, 1000);
				tlb_entry *a = tlb_fill(&fast, &n), *b = tlb_fill(&plain, &n);
				differ += a - fast.entries != b - plain.entries;
			} else {
				tlb_entry *a = tlb_lookup(&fast, vpn, shift, pcid, pge, false);
				tlb_entry *b = tlb_lookup(&plain, vpn, shift, pcid, pge, false);
				differ += (a ? a - fast.entries : -1) != (b ? b - plain.entries : -1);
				hits += a != NULL;
			}
			differ += !same_state(&fast, &plain);
		}
		CHECK_EQ(differ, 0);
		CHECK(hits > 300);
		tlb_free(&fast);
		tlb_free(&plain);
	}
}

/* A shadow (the co-simulation's RTL) sees every operation: while one is
 * attached the plain rules serve the array, even a lookup of a page size
 * it holds none of or of the entry touched last; detached, the devices
 * serve it again. */
static unsigned shadow_ops;
static void count_op(void *ctx, const tlb *t, const tlb_op *op)
{
	(void)ctx, (void)t, (void)op;
	shadow_ops++;
}

static void shadow_sees_every_operation(void)
{
	tlb t;
	CHECK_EQ(tlb_init(&t, "s", 64, 4, TLB_LRU, 1ull << 12 | 1ull << 21), 0);
	unsigned code = t.fast;
	CHECK(code != TLB_FAST_NONE);
	tlb_entry n = entry(5, 1, false);
	tlb_set_hook(&t, count_op, NULL);
	CHECK_EQ(t.fast, TLB_FAST_NONE);
	CHECK(tlb_fill(&t, &n) != NULL);
	CHECK(tlb_lookup(&t, 5, 12, 1, true, false) != NULL);   /* the entry touched last */
	CHECK(tlb_lookup(&t, 0, 21, 1, true, false) == NULL);   /* no 2 MiB entry held */
	tlb_flush_pcid(&t, 1);
	CHECK_EQ(shadow_ops, 4);
	tlb_set_hook(&t, NULL, NULL);
	CHECK_EQ(t.fast, code);
	CHECK(tlb_fill(&t, &n) != NULL);
	CHECK(tlb_lookup(&t, 5, 12, 1, true, false) != NULL);
	CHECK_EQ(shadow_ops, 4);
	tlb_free(&t);
}

int main(void)
{
	RUN(lookup_matches_pcid_or_global_with_pge);
	RUN(fill_replaces_conflicting_entries);
	RUN(lru_victim_is_least_recent);
	RUN(plru_victim_follows_the_tree);
	RUN(set_index_is_vpn_mod_sets);
	RUN(invalidations_remove_exactly_their_entries);
	RUN(lookups_agree_with_a_scan);
	RUN(fast_code_agrees_with_plain_rules);
	RUN(shadow_sees_every_operation);
	return check_report();
}
