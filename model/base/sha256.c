/* base/sha256.c - SHA-256 as FIPS 180-4 section 6.2 defines it.  The
 * portable rounds follow the standard's text; the SHA-NI path computes the
 * same rounds four at a time (SHA256RNDS2 does two, on the state split as
 * ABEF and CDGH) and the message schedule four words at a time
 * (SHA256MSG1, SHA256MSG2), Intel SDM Vol. 2 "SHA Extensions". */
#include "base/sha256.h"

#include <string.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_SHA_NI 1
#endif

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror(uint32_t x, unsigned n) { return x >> n | x << (32 - n); }

static void blocks_portable(uint32_t h[8], const uint8_t *p, size_t n)
{
	for (; n--; p += 64) {
		uint32_t w[64];
		for (int t = 0; t < 16; t++)
			w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 |
			       (uint32_t)p[4 * t + 2] << 8 | p[4 * t + 3];
		for (int t = 16; t < 64; t++) {
			uint32_t s0 = ror(w[t - 15], 7) ^ ror(w[t - 15], 18) ^ (w[t - 15] >> 3);
			uint32_t s1 = ror(w[t - 2], 17) ^ ror(w[t - 2], 19) ^ (w[t - 2] >> 10);
			w[t] = w[t - 16] + s0 + w[t - 7] + s1;
		}
		uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
		for (int t = 0; t < 64; t++) {
			uint32_t t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t];
			uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
			hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
		}
		h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
	}
}

#ifdef HAVE_SHA_NI
__attribute__((target("sha,sse4.1")))
static void blocks_sha_ni(uint32_t h[8], const uint8_t *p, size_t n)
{
	/* bytes of each 32-bit word reversed: the message is big-endian */
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bull, 0x0405060700010203ull);
	/* the state as the instructions hold it: ABEF and CDGH */
	__m128i dcba = _mm_loadu_si128((const __m128i *)&h[0]);
	__m128i hgfe = _mm_loadu_si128((const __m128i *)&h[4]);
	__m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
	__m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
	__m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
	__m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);
	for (; n--; p += 64) {
		__m128i abef0 = abef, cdgh0 = cdgh, w[4];
		for (int i = 0; i < 16; i++) {
			__m128i g;
			if (i < 4) {
				g = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), bswap);
			} else {
				/* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], four at a time */
				g = _mm_sha256msg1_epu32(w[i & 3], w[(i + 1) & 3]);
				g = _mm_add_epi32(g, _mm_alignr_epi8(w[(i + 3) & 3], w[(i + 2) & 3], 4));
				g = _mm_sha256msg2_epu32(g, w[(i + 3) & 3]);
			}
			w[i & 3] = g;
			__m128i wk = _mm_add_epi32(g, _mm_loadu_si128((const __m128i *)&K[4 * i]));
			cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
			abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E));
		}
		abef = _mm_add_epi32(abef, abef0);
		cdgh = _mm_add_epi32(cdgh, cdgh0);
	}
	__m128i feba = _mm_shuffle_epi32(abef, 0x1B);
	__m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
	_mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(feba, dchg, 0xF0));
	_mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(dchg, feba, 8));
}
#endif

static int use_cpu = 1;
void sha256_use_cpu(int on) { use_cpu = on; }

#ifdef HAVE_SHA_NI
/* CPUID.(EAX=7,ECX=0):EBX.SHA[bit 29] and CPUID.1:ECX.SSE4_1[bit 19]
 * (SDM Vol. 2A, CPUID); asked directly, as both GCC and Clang allow. */
static int cpu_has_sha(void)
{
	static int known = -1;
	if (known < 0) {
		unsigned a, b, c, d;
		known = __get_cpuid(1, &a, &b, &c, &d) && (c >> 19 & 1) &&
		        __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b >> 29 & 1);
	}
	return known;
}
#endif

static void blocks(uint32_t h[8], const uint8_t *p, size_t n)
{
#ifdef HAVE_SHA_NI
	if (use_cpu && cpu_has_sha()) {
		blocks_sha_ni(h, p, n);
		return;
	}
#endif
	blocks_portable(h, p, n);
}

void sha256_init(sha256_ctx *c)
{
	static const uint32_t h0[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	memcpy(c->h, h0, sizeof h0);
	c->bytes = 0;
	c->fill = 0;
}

void sha256_update(sha256_ctx *c, const void *data, size_t len)
{
	const uint8_t *p = data;
	c->bytes += len;
	if (c->fill) {
		size_t take = 64 - c->fill < len ? 64 - c->fill : len;
		memcpy(c->block + c->fill, p, take);
		c->fill += (unsigned)take;
		p += take;
		len -= take;
		if (c->fill < 64)
			return;
		blocks(c->h, c->block, 1);
		c->fill = 0;
	}
	if (len >= 64) {
		blocks(c->h, p, len / 64);
		p += len / 64 * 64;
		len %= 64;
	}
	memcpy(c->block, p, len);
	c->fill = (unsigned)len;
}

void sha256_final_hex(sha256_ctx *c, char hex[65])
{
	uint64_t bits = c->bytes * 8;
	uint8_t pad[72] = { 0x80 };
	size_t n = (c->fill < 56 ? 56 : 120) - c->fill;
	for (int i = 0; i < 8; i++)
		pad[n + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_update(c, pad, n + 8);
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		uint8_t b = (uint8_t)(c->h[i / 4] >> (24 - 8 * (i % 4)));
		hex[2 * i] = digits[b >> 4];
		hex[2 * i + 1] = digits[b & 15];
	}
	hex[64] = 0;
}
