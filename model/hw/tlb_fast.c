/* hw/tlb_fast.c - the speed devices of the TLB arrays (tlb_fast.h): the
 * same answers as the rules of tlb.c, found on the keys mirrored beside
 * the entries, with SSE2 rows, and for the common LRU geometries with
 * their way count a constant (no loop to mispredict, hit and victim
 * chosen without branches). */
#include "tlb.h"
#include "base/output.h"

#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

void tlb_fast_init(tlb *t)
{
	t->stride = (t->ways + 3) & ~3u;
	size_t keys = (size_t)t->sets * t->stride;
	t->key = aligned_alloc(16, keys * sizeof *t->key);
	t->owner = aligned_alloc(16, keys * sizeof *t->owner);
	if (!t->key || !t->owner)
		output_out_of_memory();
	memset(t->key, 0, keys * sizeof *t->key);      /* 0: no entry */
	memset(t->owner, 0, keys * sizeof *t->owner);
	tlb_fast_select(t);
}

void tlb_fast_select(tlb *t)
{
	if (!t->sets || !t->key || t->hook)
		t->fast = TLB_FAST_NONE;
	else if (t->policy == TLB_LRU && t->pow2 && t->ways % 4 == 0 && t->ways <= 16)
		t->fast = t->ways / 4;
	else
		t->fast = TLB_FAST_KEYED;
}

void tlb_fast_free(tlb *t)
{
	free(t->key);
	free(t->owner);
	t->key = NULL;
	t->owner = NULL;
	t->last = NULL;
	t->fast = TLB_FAST_NONE;
}

/* Bit w set where way w of the row may hit: its key matches and it
 * belongs to pcid or is global under pge.  Rows are padded to whole
 * groups of four ways with key 0, which never matches. */
static inline __attribute__((always_inline)) unsigned row_hits(const tlb *t, unsigned set,
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

/* Bit 4w set where way w of a row of up to 16 ways holds key (any
 * owner): four keys compared in two vectors, packed into one mask. */
static inline __attribute__((always_inline)) uint64_t key_nibbles(const uint64_t *k, uint64_t key,
                                                                   unsigned ways)
{
	uint64_t m = 0;
#ifdef __SSE2__
	const __m128i kk = _mm_set1_epi64x((long long)key);
	for (unsigned g = 0; g < ways; g += 4) {
		__m128i e0 = _mm_cmpeq_epi32(_mm_load_si128((const __m128i *)(k + g)), kk);
		__m128i e1 = _mm_cmpeq_epi32(_mm_load_si128((const __m128i *)(k + g + 2)), kk);
		/* 16-bit lanes: low and high half of each key; 4 mask bits a key */
		m |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_packs_epi32(e0, e1)) << (4 * g);
	}
	return m & m >> 2 & 0x1111111111111111ull;   /* both halves equal */
#else
	for (unsigned w = 0; w < ways; w++)
		m |= (uint64_t)(k[w] == key) << (4 * w);
	return m;
#endif
}

/* key_nibbles for key and for 0 (the empty ways) at once, each key
 * loaded once: the fill's two questions. */
static inline __attribute__((always_inline)) uint64_t key_nibbles_and_empty(const uint64_t *k, uint64_t key,
                                                                             unsigned ways, uint64_t *empty)
{
	uint64_t m = 0, z = 0;
#ifdef __SSE2__
	const __m128i kk = _mm_set1_epi64x((long long)key), zero = _mm_setzero_si128();
	for (unsigned g = 0; g < ways; g += 4) {
		__m128i k0 = _mm_load_si128((const __m128i *)(k + g));
		__m128i k1 = _mm_load_si128((const __m128i *)(k + g + 2));
		m |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_packs_epi32(_mm_cmpeq_epi32(k0, kk),
		                                                           _mm_cmpeq_epi32(k1, kk))) << (4 * g);
		z |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_packs_epi32(_mm_cmpeq_epi32(k0, zero),
		                                                           _mm_cmpeq_epi32(k1, zero))) << (4 * g);
	}
	*empty = z & z >> 2 & 0x1111111111111111ull;
	return m & m >> 2 & 0x1111111111111111ull;   /* both halves equal */
#else
	for (unsigned w = 0; w < ways; w++) {
		m |= (uint64_t)(k[w] == key) << (4 * w);
		z |= (uint64_t)(k[w] == 0) << (4 * w);
	}
	*empty = z;
	return m;
#endif
}

/* Bits 4w..4w+3 set where way w of a row of up to 16 ways may hit: it
 * belongs to pcid, or is global under pge (key_nibbles' layout: the two
 * masks ANDed are the ways that hit). */
static inline __attribute__((always_inline)) uint64_t owner_nibbles(const uint32_t *o, uint16_t pcid,
                                                                     bool pge, unsigned ways)
{
	uint64_t m = 0;
#ifdef __SSE2__
	const __m128i pp = _mm_set1_epi32(pcid), low = _mm_set1_epi32(OWNER_GLOBAL - 1);
	const __m128i gg = _mm_set1_epi32(OWNER_GLOBAL - 1);   /* owners < 2^31: signed compare */
	for (unsigned g = 0; g < ways; g += 4) {
		__m128i ow = _mm_load_si128((const __m128i *)(o + g));
		__m128i om = _mm_cmpeq_epi32(_mm_and_si128(ow, low), pp);
		if (pge)
			om = _mm_or_si128(om, _mm_cmpgt_epi32(ow, gg));
		m |= (uint64_t)(unsigned)_mm_movemask_epi8(om) << (4 * g);
	}
#else
	for (unsigned w = 0; w < ways; w++)
		m |= (uint64_t)(((o[w] & (OWNER_GLOBAL - 1)) == pcid) | (pge && o[w] >= OWNER_GLOBAL)) * 15u << (4 * w);
#endif
	return m;
}

#ifdef __SSE2__
/* One set's LRU ages (4, 8, 12 or 16 bytes) in a vector, zeros beyond. */
static inline __attribute__((always_inline)) __m128i ages_load(const uint8_t *age, unsigned ways)
{
	uint32_t a, b, c, d;
	memcpy(&a, age, 4);
	if (ways == 4)
		return _mm_cvtsi32_si128((int)a);
	memcpy(&b, age + 4, 4);
	c = d = 0;
	if (ways >= 12)
		memcpy(&c, age + 8, 4);
	if (ways == 16)
		memcpy(&d, age + 12, 4);
	return _mm_setr_epi32((int)a, (int)b, (int)c, (int)d);
}

static inline __attribute__((always_inline)) void ages_store(uint8_t *age, __m128i v, unsigned ways)
{
	uint32_t x[4];
	_mm_storeu_si128((__m128i *)x, v);
	memcpy(age, x, ways);
}
#endif

/* tlb_lru_touch (tlb.h) on a set of 4, 8, 12 or 16 ways, in a vector. */
static inline __attribute__((always_inline)) void lru_touch(uint8_t *age, unsigned ways, unsigned way)
{
#ifdef __SSE2__
	__m128i a = ages_load(age, ways);
	__m128i younger = _mm_cmplt_epi8(a, _mm_set1_epi8((char)age[way]));   /* ages < 16 */
	ages_store(age, _mm_sub_epi8(a, younger), ways);   /* -(-1): one older */
	age[way] = 0;
#else
	tlb_lru_touch(age, ways, way);
#endif
}

/* Bit w set where way w of the set is the LRU victim (age ways - 1). */
static inline __attribute__((always_inline)) unsigned oldest_mask(const uint8_t *age, unsigned ways)
{
#ifdef __SSE2__
	__m128i a = ages_load(age, ways);   /* the zeros beyond never equal ways - 1 >= 3 */
	return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(a, _mm_set1_epi8((char)(ways - 1))));
#else
	unsigned m = 0;
	for (unsigned w = 0; w < ways; w++)
		m |= (unsigned)(age[w] == ways - 1) << w;
	return m;
#endif
}

/* The common geometries (4, 8, 12 or 16 ways, LRU, sets a power of two)
 * searched and filled with their way count a constant: no loop to
 * mispredict, hit and victim chosen without branches. */
static inline __attribute__((always_inline)) tlb_entry *lookup_lru(tlb *t, uint64_t vpn,
                                                                    unsigned shift, uint16_t pcid,
                                                                    bool pge, unsigned ways)
{
	unsigned set = (unsigned)(vpn & t->set_mask);
	/* the keys first (on a miss in an L1 they rarely match), then the
	 * owners of the row at once (in the STLB the same page of other
	 * PCIDs is common: processes of one layout), the lowest way that hits */
	uint64_t hits = key_nibbles(&t->key[(size_t)set * ways], tlb_key_of(vpn, shift), ways);
	if (!hits)
		return NULL;
	hits &= owner_nibbles(&t->owner[(size_t)set * ways], pcid, pge, ways);
	if (!hits)
		return NULL;
	unsigned way = (unsigned)__builtin_ctzll(hits) / 4;
	tlb_entry *e = &t->entries[(size_t)set * ways + way];
	t->last = e;   /* tlb_fast_touched */
	lru_touch(&t->repl[set * ways], ways, way);
	return e;
}

static inline __attribute__((always_inline)) tlb_entry *fill_lru(tlb *t, const tlb_entry *n,
                                                                  unsigned ways)
{
	unsigned set = (unsigned)(n->vpn & t->set_mask);
	uint64_t *k = &t->key[(size_t)set * ways];
	uint32_t *o = &t->owner[(size_t)set * ways];
	uint8_t *age = &t->repl[set * ways];
	uint64_t empty, same = key_nibbles_and_empty(k, tlb_key_of(n->vpn, n->shift), ways, &empty);
	/* conflicts: the page in n's PCID or global, or in any PCID when n
	 * is global (the owners looked at only when a key matches) */
	uint64_t conflict = same && !n->global ? same & owner_nibbles(o, n->pcid, true, ways) : same;
	/* the first conflicting way, else the first empty one, else the victim */
	unsigned way;
	if (conflict)
		way = (unsigned)__builtin_ctzll(conflict) / 4;
	else if (empty)
		way = (unsigned)__builtin_ctzll(empty) / 4;
	else
		way = (unsigned)__builtin_ctz(oldest_mask(age, ways));
	for (uint64_t more = conflict & (conflict - 1); more; more &= more - 1) {
		unsigned w = (unsigned)__builtin_ctzll(more) / 4;
		t->entries[(size_t)set * ways + w].valid = 0;
		tlb_fast_killed(t, set, w);
	}
	tlb_entry *e = &t->entries[(size_t)set * ways + way];
	*e = *n;
	e->valid = 1;
	/* tlb_fast_written, the row and way count at hand */
	if (k[way])
		t->held[k[way] & 63]--;
	k[way] = tlb_key_of(n->vpn, n->shift);
	o[way] = n->pcid | (n->global ? OWNER_GLOBAL : 0);
	t->held[n->shift & 63]++;
	t->last = e;   /* tlb_fast_touched */
	lru_touch(age, ways, way);
	return e;
}

/* tlb_lru_touch on a set of any way count: 16 ages at a time, then one
 * by one (ages compared unsigned: flipped top bits, signed compare). */
static void lru_touch_any(uint8_t *age, unsigned ways, unsigned way)
{
	uint8_t mine = age[way];
	unsigned w = 0;
#ifdef __SSE2__
	const __m128i flip = _mm_set1_epi8((char)0x80), m = _mm_set1_epi8((char)(mine ^ 0x80));
	for (; w + 16 <= ways; w += 16) {
		__m128i a = _mm_loadu_si128((const __m128i *)(age + w));
		__m128i younger = _mm_cmplt_epi8(_mm_xor_si128(a, flip), m);
		_mm_storeu_si128((__m128i *)(age + w), _mm_sub_epi8(a, younger));
	}
#endif
	for (; w < ways; w++)
		age[w] = (uint8_t)(age[w] + (age[w] < mine));
	age[way] = 0;
}

/* tlb_victim of an LRU set of any way count: the way of age ways - 1. */
static unsigned lru_oldest_any(const uint8_t *age, unsigned ways)
{
	unsigned w = 0;
#ifdef __SSE2__
	const __m128i old = _mm_set1_epi8((char)(ways - 1));
	for (; w + 16 <= ways; w += 16) {
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(age + w)), old));
		if (m)
			return w + (unsigned)__builtin_ctz(m);
	}
#endif
	for (; w < ways; w++)
		if (age[w] == ways - 1)
			return w;
	return 0;   /* unreachable: ages are a permutation */
}

/* tlb_touch of e at (set, way), its LRU case inline. */
static inline void touch(tlb *t, unsigned set, unsigned way, tlb_entry *e)
{
	if (t->policy != TLB_LRU) {
		tlb_touch(t, set, way);
		return;
	}
	t->last = e;   /* tlb_fast_touched */
	lru_touch_any(&t->repl[set * t->ways], t->ways, way);
}

/* Any other geometry: the search on the keys, in SSE2 rows up to 32
 * ways, else 16 keys at a time (the packed key mask) and the owner of
 * each way whose key matches. */
static tlb_entry *lookup_keyed(tlb *t, uint64_t vpn, unsigned shift, uint16_t pcid, bool pge)
{
	/* the entry touched last hits again without a search (touching the
	 * most recent way changes no replacement state): worth it where the
	 * search is long */
	tlb_entry *l = t->last;
	if (l && l->vpn == vpn && l->valid && l->shift == shift && (l->pcid == pcid || (l->global && pge)))
		return l;
	unsigned set = tlb_set_of(t, vpn), way;
	uint64_t key = tlb_key_of(vpn, shift);
	if (t->ways <= 32) {
		unsigned hits = row_hits(t, set, key, pcid, pge, t->stride);
		if (!hits)
			return NULL;
		way = (unsigned)__builtin_ctz(hits);
	} else {
		const uint64_t *k = &t->key[(size_t)set * t->stride];
		const uint32_t *o = &t->owner[(size_t)set * t->stride];
		for (unsigned g = 0; g < t->stride; g += 16) {   /* padding keys are 0: never key */
			unsigned n = t->stride - g < 16 ? t->stride - g : 16;
			for (uint64_t c = key_nibbles(k + g, key, n); c; c &= c - 1) {
				way = g + (unsigned)__builtin_ctzll(c) / 4;
				if ((o[way] & (OWNER_GLOBAL - 1)) == pcid || (pge && o[way] >= OWNER_GLOBAL))
					goto found;
			}
		}
		return NULL;
	}
found:;
	tlb_entry *e = &t->entries[(size_t)set * t->ways + way];
	touch(t, set, way, e);
	return e;
}

/* Any other geometry: the fill decided on the keys (a key is 0 exactly
 * when its entry is invalid; the 32-byte entries of a wide set span
 * several host cache lines). */
static tlb_entry *fill_keyed(tlb *t, const tlb_entry *n)
{
	unsigned set = tlb_set_of(t, n->vpn);
	uint64_t *k = &t->key[(size_t)set * t->stride];
	const uint32_t *o = &t->owner[(size_t)set * t->stride];
	uint64_t want = tlb_key_of(n->vpn, n->shift);
	int first = -1, empty = -1;
	if (t->ways <= 16) {   /* one key after another */
		for (unsigned w = 0; w < t->ways; w++) {
			if (k[w] != want) {
				if (!k[w] && empty < 0)
					empty = (int)w;
			} else if (n->global || (o[w] & OWNER_GLOBAL) || (o[w] & (OWNER_GLOBAL - 1)) == n->pcid) {
				if (first >= 0) {   /* a second conflict goes */
					t->entries[(size_t)set * t->ways + w].valid = 0;
					tlb_fast_killed(t, set, w);
				} else {
					first = (int)w;
				}
			}
		}
	} else for (unsigned g = 0; g < t->stride; g += 16) {   /* wide: 16 keys at a time */
		unsigned span = t->stride - g < 16 ? t->stride - g : 16;
		for (uint64_t c = key_nibbles(k + g, want, span); c; c &= c - 1) {
			unsigned w = g + (unsigned)__builtin_ctzll(c) / 4;
			if (!(n->global || (o[w] & OWNER_GLOBAL) || (o[w] & (OWNER_GLOBAL - 1)) == n->pcid))
				continue;
			if (first >= 0) {   /* a second conflict goes */
				t->entries[(size_t)set * t->ways + w].valid = 0;
				tlb_fast_killed(t, set, w);
			} else {
				first = (int)w;
			}
		}
		if (empty < 0 && first < 0) {   /* the first invalid way (padding keys follow the ways) */
			uint64_t z = key_nibbles(k + g, 0, span);
			unsigned w = g + (unsigned)__builtin_ctzll(z | 1ull << 63) / 4;
			if (z && w < t->ways)
				empty = (int)w;
		}
	}
	unsigned way = first >= 0 ? (unsigned)first : empty >= 0 ? (unsigned)empty
	             : t->policy == TLB_LRU ? lru_oldest_any(&t->repl[set * t->ways], t->ways)
	                                    : tlb_victim(t, set);
	tlb_entry *e = &t->entries[(size_t)set * t->ways + way];
	*e = *n;
	e->valid = 1;
	tlb_fast_written(t, set, way);
	touch(t, set, way, e);
	return e;
}

/* One function per way count, so that the dispatch below is a jump and
 * each keeps only its own registers. */
#define LRU_CODE(W)                                                                        \
	static __attribute__((noinline)) tlb_entry *lookup_lru##W(tlb *t, uint64_t vpn,        \
	                                                          unsigned shift, uint16_t pcid, \
	                                                          bool pge)                     \
	{                                                                                      \
		return lookup_lru(t, vpn, shift, pcid, pge, W);                                    \
	}                                                                                      \
	static __attribute__((noinline)) tlb_entry *fill_lru##W(tlb *t, const tlb_entry *n)    \
	{                                                                                      \
		return fill_lru(t, n, W);                                                          \
	}
LRU_CODE(4)
LRU_CODE(8)
LRU_CODE(12)
LRU_CODE(16)

tlb_entry *tlb_fast_lookup(tlb *t, uint64_t vpn, unsigned shift, uint16_t pcid, bool pge)
{
	switch (t->fast) {
	case 1: return lookup_lru4(t, vpn, shift, pcid, pge);
	case 2: return lookup_lru8(t, vpn, shift, pcid, pge);
	case 3: return lookup_lru12(t, vpn, shift, pcid, pge);
	case 4: return lookup_lru16(t, vpn, shift, pcid, pge);
	default: return lookup_keyed(t, vpn, shift, pcid, pge);
	}
}

tlb_entry *tlb_fast_fill(tlb *t, const tlb_entry *n)
{
	switch (t->fast) {
	case 1: return fill_lru4(t, n);
	case 2: return fill_lru8(t, n);
	case 3: return fill_lru12(t, n);
	case 4: return fill_lru16(t, n);
	default: return fill_keyed(t, n);
	}
}

/* The entry at (set, way) invalidated, as tlb.c's kill does. */
static inline void kill_entry(tlb *t, unsigned set, unsigned way)
{
	t->entries[(size_t)set * t->ways + way].valid = 0;
	tlb_fast_killed(t, set, way);
}

/* Whether the entry whose owner is o goes in a page's invalidation. */
static inline bool invalidated(uint32_t o, uint16_t pcid, bool globals_too)
{
	return (o & OWNER_GLOBAL) ? globals_too : o == pcid;
}

/* The ways of a row of 4, 8, 12 or 16 holding key, from the packed key
 * mask, lowest first as the rules go. */
static inline __attribute__((always_inline)) void invalidate_row(tlb *t, unsigned set, uint64_t key,
                                                                  uint16_t pcid, bool globals_too,
                                                                  unsigned ways)
{
	const uint32_t *o = &t->owner[(size_t)set * ways];
	for (uint64_t c = key_nibbles(&t->key[(size_t)set * ways], key, ways); c; c &= c - 1) {
		unsigned w = (unsigned)__builtin_ctzll(c) / 4;
		if (invalidated(o[w], pcid, globals_too))
			kill_entry(t, set, w);
	}
}

/* tlb.c's invalidate_page: for each page size the array holds entries
 * of, the one set the page can be in, searched on the keys. */
void tlb_fast_invalidate_page(tlb *t, uint64_t va, uint16_t pcid, bool globals_too)
{
	for (uint64_t left = t->shifts; left; left &= left - 1) {
		unsigned shift = (unsigned)__builtin_ctzll(left);
		if (!t->held[shift & 63])
			continue;
		uint64_t vpn = va >> shift, key = tlb_key_of(vpn, shift);
		unsigned set = tlb_set_of(t, vpn);
		switch (t->fast) {
		case 1: invalidate_row(t, set, key, pcid, globals_too, 4); continue;
		case 2: invalidate_row(t, set, key, pcid, globals_too, 8); continue;
		case 3: invalidate_row(t, set, key, pcid, globals_too, 12); continue;
		case 4: invalidate_row(t, set, key, pcid, globals_too, 16); continue;
		default: break;
		}
		const uint64_t *k = &t->key[(size_t)set * t->stride];
		const uint32_t *o = &t->owner[(size_t)set * t->stride];
		for (unsigned w = 0; w < t->ways; w++)
			if (k[w] == key && invalidated(o[w], pcid, globals_too))
				kill_entry(t, set, w);
	}
}

/* tlb_flush_pcid: the non-global entries of pcid, whose owner is pcid
 * itself (a global's has OWNER_GLOBAL set; an invalid slot's owner is
 * stale, so its key, 0, is looked at too). */
void tlb_fast_flush_pcid(tlb *t, uint16_t pcid)
{
	size_t n = (size_t)t->sets * t->stride;
	for (size_t i = 0; i < n; i += 4) {
		unsigned m;
#ifdef __SSE2__
		__m128i ow = _mm_load_si128((const __m128i *)(t->owner + i));
		m = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(ow, _mm_set1_epi32(pcid))));
#else
		m = 0;
		for (unsigned j = 0; j < 4; j++)
			m |= (unsigned)(t->owner[i + j] == pcid) << j;
#endif
		for (; m; m &= m - 1) {
			size_t slot = i + (unsigned)__builtin_ctz(m);
			unsigned set = (unsigned)(slot / t->stride), way = (unsigned)(slot % t->stride);
			if (t->key[slot] && way < t->ways)
				kill_entry(t, set, way);
		}
	}
}
