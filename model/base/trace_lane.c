/* base/trace_lane.c - the trace reader's fast lane (base/trace_lane.h):
 * canonical access lines parsed with SSE2, the LF and the spaces of a
 * line's first 32 bytes as bit masks, the hex digits 16 at a time. */
#include "base/trace_lane.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#ifdef __SSE2__
/* The hex digits at h, 16 bytes read: returns their count n (16 when all
 * 16 bytes are digits) and, for n >= 1, the value of the first n. */
static inline unsigned hex16(const char *h, uint64_t *value)
{
	__m128i v = _mm_loadu_si128((const __m128i *)h);
	__m128i lo = _mm_or_si128(v, _mm_set1_epi8(0x20));
	/* signed compares: bytes of 0x80 and above are negative, never digits */
	__m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
	                              _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
	__m128i alpha = _mm_and_si128(_mm_cmpgt_epi8(lo, _mm_set1_epi8('a' - 1)),
	                              _mm_cmplt_epi8(lo, _mm_set1_epi8('f' + 1)));
	__m128i is_hex = _mm_or_si128(digit, alpha);
	unsigned n = (unsigned)__builtin_ctz(~(unsigned)_mm_movemask_epi8(is_hex));
	/* digit values: the low four bits, plus 9 for a letter (bit 6 set);
	 * other bytes 0, so every byte stays below 16 */
	__m128i letter = _mm_and_si128(_mm_srli_epi16(v, 6), _mm_set1_epi8(1));
	__m128i nib = _mm_add_epi8(_mm_and_si128(v, _mm_set1_epi8(0x0f)),
	                           _mm_add_epi8(letter, _mm_slli_epi16(letter, 3)));
	nib = _mm_and_si128(nib, is_hex);
	/* pairs of digits into bytes (the first digit high), eight bytes in
	 * text order; byte-swapped, the first digit is the top nibble */
	__m128i pairs = _mm_or_si128(_mm_and_si128(_mm_slli_epi16(nib, 4), _mm_set1_epi16(0xf0)),
	                             _mm_srli_epi16(nib, 8));
	uint64_t all = (uint64_t)_mm_cvtsi128_si64(_mm_packus_epi16(pairs, pairs));
	*value = n ? __builtin_bswap64(all) >> (4 * (16 - n)) : 0;
	return n;
}

/* REC_R, REC_W, REC_X by their letter; the k* kinds follow each by 3 */
static const uint8_t access_op[256] = { ['r'] = REC_R, ['w'] = REC_W, ['x'] = REC_X };
_Static_assert(REC_KR == REC_R + 3 && REC_KW == REC_W + 3 && REC_KX == REC_X + 3,
               "kernel accesses follow user accesses by 3");

static inline unsigned byte_mask32(__m128i lo, __m128i hi, char c)
{
	__m128i k = _mm_set1_epi8(c);
	return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(lo, k)) |
	       (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(hi, k)) << 16;
}

/* The canonical access line again ("C OP 0xHEX [SIZE]" and its LF, CPU of
 * one or two digits, single spaces) with SSE2: the LF and the spaces of
 * the first 32 bytes as bit masks place every field, and the hex digits
 * are converted 16 at a time.  Needs WIDE_NEED readable bytes from s.
 * Returns the line's length without the LF, or -1 to let the rules
 * decide.  a->line is the caller's. */
long trace_lane_access(unsigned cpus, const char *s, trace_access *a)
{
	__m128i lo = _mm_loadu_si128((const __m128i *)s), hi = _mm_loadu_si128((const __m128i *)(s + 16));
	unsigned nl = byte_mask32(lo, hi, '\n'), sp = byte_mask32(lo, hi, ' ');
	if (!nl)
		return -1;
	unsigned len = (unsigned)__builtin_ctz(nl);
	sp &= (1u << len) - 1;
	/* two or three spaces: after the CPU, the operation, the address */
	if (!sp)
		return -1;
	unsigned p1 = (unsigned)__builtin_ctz(sp);
	sp &= sp - 1;
	if (!sp)
		return -1;
	unsigned p2 = (unsigned)__builtin_ctz(sp);
	sp &= sp - 1;
	unsigned p3 = sp ? (unsigned)__builtin_ctz(sp) : len;
	if (sp & (sp - 1))
		return -1;
	/* CPU: one digit, or two without a leading zero */
	unsigned cpu = (unsigned)(unsigned char)s[0] - '0', c1 = (unsigned)(unsigned char)s[1] - '0';
	if (p1 == 2 && c1 <= 9 && cpu - 1 <= 8)
		cpu = cpu * 10 + c1;
	else if (p1 != 1 || cpu > 9)
		return -1;
	if (cpu >= cpus)
		return -1;
	/* r w x, or k before one */
	unsigned oplen = p2 - p1 - 1, kernel = oplen == 2;
	unsigned o = access_op[(unsigned char)s[p2 - 1]];
	if (!o || oplen - 1 > 1 || (kernel && s[p1 + 1] != 'k'))
		return -1;
	/* 0x and 1..16 hex digits up to the next space or the LF */
	unsigned n = p3 - p2 - 3;
	if (s[p2 + 1] != '0' || s[p2 + 2] != 'x' || n - 1 > 15 || hex16(s + p2 + 3, &a->addr) != n)
		return -1;
	unsigned size = 1;
	if (p3 < len) {
		/* SIZE: 1..4096, digits without a leading zero */
		unsigned nd = len - p3 - 1;
		const char *z = s + p3 + 1;
		if (nd - 1 > 3 || (unsigned)(z[0] - '1') > 8)
			return -1;
		size = 0;
		for (unsigned i = 0; i < nd; i++) {
			unsigned d = (unsigned)(unsigned char)z[i] - '0';
			if (d > 9)
				return -1;
			size = size * 10 + d;
		}
		if (size > 4096)
			return -1;
	}
	a->op = (uint8_t)(o + 3 * kernel);
	a->cpu = (uint16_t)cpu;
	a->size = size;
	a->col_op = (uint8_t)(p1 + 2);
	a->col_addr = (uint8_t)(p2 + 2);
	a->col_size = (uint8_t)(p3 + 2 - (p3 == len));
	a->col_end = (uint8_t)(len + 1);
	return len;
}
#else
long trace_lane_access(unsigned cpus, const char *s, trace_access *a)
{
	(void)cpus, (void)s, (void)a;
	return -1;   /* the rules read every line */
}
#endif
