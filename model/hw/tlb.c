/* hw/tlb.c - set-associative PCID/G-tagged array; rules in tlb.h. */
#include "tlb.h"
#include "base/output.h"

#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

static unsigned next_pow2(unsigned n)
{
	unsigned p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

/* Which code of lookup_lru/fill_lru serves t, by its way count: 0 for the general code. */
static unsigned fast_kind(const tlb *t)
{
	if (t->policy != TLB_LRU || !t->pow2 || t->ways % 4 || t->ways > 16)
		return 0;
	return t->ways / 4;
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
	t->stride = (ways + 3) & ~3u;
	size_t keys = (size_t)t->sets * t->stride;
	t->key = aligned_alloc(16, keys * sizeof *t->key);
	t->owner = aligned_alloc(16, keys * sizeof *t->owner);
	if (!t->entries || !t->repl || !t->key || !t->owner)
		output_out_of_memory();
	memset(t->key, 0, keys * sizeof *t->key);      /* 0: no entry */
	memset(t->owner, 0, keys * sizeof *t->owner);
	if (policy == TLB_LRU)
		for (unsigned s = 0; s < t->sets; s++)
			for (unsigned w = 0; w < ways; w++)
				t->repl[s * ways + w] = (uint8_t)w;
	t->fast = fast_kind(t);
	return 0;
}

void tlb_free(tlb *t)
{
	free(t->entries);
	free(t->repl);
	free(t->key);
	free(t->owner);
	t->entries = NULL;
	t->repl = NULL;
	t->key = NULL;
	t->owner = NULL;
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

/* The search keys (tlb.h): what a lookup compares, kept beside each
 * entry by every write below. */
static inline uint64_t key_of(uint64_t vpn, unsigned shift)
{
	return vpn << 7 | 1u << 6 | (shift & 63);   /* never 0 */
}

/* Keys hold the whole vpn below 2^57 (any VA >> 12 is); a wider one
 * (only a unit test could make it) takes the plain searches. */
static inline bool keyed(uint64_t vpn)
{
	return vpn >> 57 == 0;
}

static void sync(tlb *t, unsigned set, unsigned way)
{
	const tlb_entry *e = &t->entries[(size_t)set * t->ways + way];
	size_t k = (size_t)set * t->stride + way;
	t->key[k] = e->valid ? key_of(e->vpn, e->shift) : 0;
	t->owner[k] = e->pcid | (e->global ? OWNER_GLOBAL : 0);
}

static void kill(tlb *t, unsigned set, unsigned way)
{
	t->entries[(size_t)set * t->ways + way].valid = 0;
	t->key[(size_t)set * t->stride + way] = 0;
}

/* Bit w set where way w of the row may hit: its key matches and it
 * belongs to pcid or is global under pge.  Rows are padded to whole
 * groups of four ways with key 0, which never matches. */
static inline __attribute__((always_inline)) unsigned row_hits_n(const tlb *t, unsigned set,
                                                                  uint64_t key, uint16_t pcid,
                                                                  bool pge, unsigned stride)
{
	const uint64_t *k = &t->key[(size_t)set * stride];
	const uint32_t *o = &t->owner[(size_t)set * stride];
	uint32_t gmin = pge ? OWNER_GLOBAL : UINT32_MAX;   /* owner >= gmin: global */
	unsigned hits = 0;
#ifdef __SSE2__
	const __m128i kk = _mm_set1_epi64x((long long)key), pp = _mm_set1_epi32(pcid);
	const __m128i gg = _mm_set1_epi32((int)(gmin - 1));  /* owners < 2^31: signed compare */
	const __m128i low = _mm_set1_epi32(OWNER_GLOBAL - 1);
	for (unsigned g = 0; g < stride; g += 4) {
		__m128i e0 = _mm_cmpeq_epi32(_mm_load_si128((const __m128i *)(k + g)), kk);
		__m128i e1 = _mm_cmpeq_epi32(_mm_load_si128((const __m128i *)(k + g + 2)), kk);
		/* a 64-bit lane is equal when both its halves are */
		e0 = _mm_and_si128(e0, _mm_shuffle_epi32(e0, _MM_SHUFFLE(2, 3, 0, 1)));
		e1 = _mm_and_si128(e1, _mm_shuffle_epi32(e1, _MM_SHUFFLE(2, 3, 0, 1)));
		unsigned kb = (unsigned)(_mm_movemask_pd(_mm_castsi128_pd(e0)) |
		                         _mm_movemask_pd(_mm_castsi128_pd(e1)) << 2);
		__m128i ow = _mm_load_si128((const __m128i *)(o + g));
		__m128i om = _mm_or_si128(_mm_cmpeq_epi32(_mm_and_si128(ow, low), pp),
		                          pge ? _mm_cmpgt_epi32(ow, gg) : _mm_setzero_si128());
		hits |= (kb & (unsigned)_mm_movemask_ps(_mm_castsi128_ps(om))) << g;
	}
#else
	for (unsigned w = 0; w < t->ways; w++)
		hits |= (unsigned)((k[w] == key) & (((o[w] & (OWNER_GLOBAL - 1)) == pcid) | (o[w] >= gmin))) << w;
#endif
	return hits;
}

static unsigned row_hits(const tlb *t, unsigned set, uint64_t key, uint16_t pcid, bool pge)
{
	return row_hits_n(t, set, key, pcid, pge, t->stride);
}

/* Bit w set where way w of the row holds key (any owner). */
static inline __attribute__((always_inline)) unsigned key_mask(const uint64_t *k, uint64_t key,
                                                                unsigned ways)
{
	unsigned m = 0;
	for (unsigned w = 0; w < ways; w++)
		m |= (unsigned)(k[w] == key) << w;
	return m;
}

/* The common geometries (4, 8, 12 or 16 ways, LRU, sets a power of two,
 * no shadow) searched and filled with their way count a constant: no
 * loop to mispredict, hit and victim chosen without branches.  Same
 * rules as the general code below (tlb.h); the unit tests run both. */
static inline __attribute__((always_inline)) tlb_entry *lookup_lru(tlb *t, uint64_t vpn,
                                                                    unsigned shift, uint16_t pcid,
                                                                    bool pge, unsigned ways)
{
	unsigned set = (unsigned)(vpn & t->set_mask);
	unsigned hits = row_hits_n(t, set, key_of(vpn, shift), pcid, pge, ways);
	if (!hits)
		return NULL;
	unsigned way = (unsigned)__builtin_ctz(hits);
	tlb_entry *e = &t->entries[(size_t)set * ways + way];
	t->last = e;
	lru_touch(&t->repl[set * ways], ways, way);
	return e;
}

static inline __attribute__((always_inline)) tlb_entry *fill_lru(tlb *t, const tlb_entry *n,
                                                                  unsigned ways)
{
	unsigned set = (unsigned)(n->vpn & t->set_mask);
	uint64_t *k = &t->key[(size_t)set * ways];
	const uint32_t *o = &t->owner[(size_t)set * ways];
	uint8_t *age = &t->repl[set * ways];
	unsigned same = key_mask(k, key_of(n->vpn, n->shift), ways), empty = key_mask(k, 0, ways);
	unsigned mine = 0, oldest = 0;
	for (unsigned w = 0; w < ways; w++) {
		mine |= (unsigned)(((o[w] & (OWNER_GLOBAL - 1)) == n->pcid) | ((o[w] & OWNER_GLOBAL) != 0)) << w;
		oldest |= (unsigned)(age[w] == ways - 1) << w;
	}
	unsigned conflict = same & (n->global ? ~0u : mine);
	/* the first conflicting way, else the first empty one, else the victim */
	unsigned pick = conflict ? conflict : empty ? empty : oldest;
	unsigned way = (unsigned)__builtin_ctz(pick);
	for (unsigned more = conflict & (conflict - 1); more; more &= more - 1)
		kill(t, set, (unsigned)__builtin_ctz(more));
	tlb_entry *e = &t->entries[(size_t)set * ways + way];
	*e = *n;
	e->valid = 1;
	sync(t, set, way);
	t->last = e;
	lru_touch(age, ways, way);
	return e;
}

/* The plain search, for arrays wider than 32 ways. */
static unsigned find_slow(const tlb *t, unsigned set, uint64_t vpn, unsigned shift, uint16_t pcid,
                          bool pge)
{
	const tlb_entry *row = &t->entries[(size_t)set * t->ways];
	for (unsigned w = 0; w < t->ways; w++)
		if (row[w].valid && row[w].vpn == vpn && row[w].shift == shift &&
		    (row[w].pcid == pcid || (row[w].global && pge)))
			return w;
	return t->ways;
}

tlb_entry *tlb_lookup_slow(tlb *t, uint64_t vpn, unsigned shift, uint16_t pcid, bool pge,
                           bool write)
{
	if (!t->hook && keyed(vpn)) {
		switch (t->fast) {
		case 1: return lookup_lru(t, vpn, shift, pcid, pge, 4);
		case 2: return lookup_lru(t, vpn, shift, pcid, pge, 8);
		case 3: return lookup_lru(t, vpn, shift, pcid, pge, 12);
		case 4: return lookup_lru(t, vpn, shift, pcid, pge, 16);
		default: break;
		}
	}
	tlb_entry *hit = NULL;
	unsigned set = 0, way = 0;
	if (t->sets) {
		set = tlb_set_of(t, vpn);
		unsigned found = t->ways;
		if (t->ways <= 32 && keyed(vpn)) {
			/* at most one way hits (tlb.h) */
			unsigned hits = row_hits(t, set, key_of(vpn, shift), pcid, pge);
			found = hits ? (unsigned)__builtin_ctz(hits) : t->ways;
		} else {
			found = find_slow(t, set, vpn, shift, pcid, pge);
		}
		if (found < t->ways) {
			way = found;
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

tlb_entry *tlb_fill(tlb *t, const tlb_entry *n)
{
	if (!t->hook && keyed(n->vpn)) {
		switch (t->fast) {
		case 1: return fill_lru(t, n, 4);
		case 2: return fill_lru(t, n, 8);
		case 3: return fill_lru(t, n, 12);
		case 4: return fill_lru(t, n, 16);
		default: break;
		}
	}
	if (!t->sets)
		return NULL;
	unsigned set = tlb_set_of(t, n->vpn);
	tlb_entry *row = &t->entries[(size_t)set * t->ways];
	/* decided on the keys (a key is 0 exactly when its entry is invalid):
	 * the 32-byte entries of a wide set span several host cache lines */
	const uint64_t *k = &t->key[(size_t)set * t->stride];
	const uint32_t *o = &t->owner[(size_t)set * t->stride];
	bool by_key = keyed(n->vpn);
	uint64_t want = key_of(n->vpn, n->shift);
	int chosen = -1, invalid = -1;
	for (unsigned w = 0; w < t->ways; w++) {
		if (!k[w]) {
			if (invalid < 0)
				invalid = (int)w;
			continue;
		}
		bool same = by_key ? k[w] == want : row[w].vpn == n->vpn && row[w].shift == n->shift;
		if (same && ((o[w] & (OWNER_GLOBAL - 1)) == n->pcid || (o[w] & OWNER_GLOBAL) ||
		             n->global)) {
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
	sync(t, set, (unsigned)chosen);
	touch(t, set, (unsigned)chosen);
	if (t->hook) {
		tlb_op op = { .kind = TLB_OP_FILL, .fill = &row[chosen], .way = chosen,
		              .set = (int)set, .vpn = n->vpn, .shift = n->shift,
		              .pcid = n->pcid };
		notify(t, &op);
	}
	return &row[chosen];
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
	FOR_EACH_VALID(t, set, way, e)
		if (e->pcid == pcid && !e->global)
			kill(t, set, way);
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
	FOR_EACH_VALID(t, set, way, e)
		kill(t, set, way);
	tlb_op op = { .kind = TLB_OP_FLUSH_ALL };
	notify(t, &op);
}

void tlb_flush_nonglobal(tlb *t)
{
	FOR_EACH_VALID(t, set, way, e)
		if (!e->global)
			kill(t, set, way);
	tlb_op op = { .kind = TLB_OP_FLUSH_NONGLOBAL };
	notify(t, &op);
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
