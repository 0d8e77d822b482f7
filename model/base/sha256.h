/* base/sha256.h - SHA-256 (FIPS 180-4), for the statistics' provenance:
 * the SHA-NI instructions where the CPU has them (about 1.5 GB/s), the
 * portable rounds elsewhere. */
#ifndef MMUSIM_BASE_SHA256_H
#define MMUSIM_BASE_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct sha256_ctx {
	uint32_t h[8];
	uint64_t bytes;
	uint8_t block[64];
	unsigned fill;
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t len);
/* The digest as 64 lowercase hex digits and a NUL. */
void sha256_final_hex(sha256_ctx *c, char hex[65]);
/* Tests: 0 forces the portable rounds, 1 the CPU's when it has them. */
void sha256_use_cpu(int on);

#endif
