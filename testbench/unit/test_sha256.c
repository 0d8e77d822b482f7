/* testbench/unit/test_sha256.c - base/sha256.c against the examples of
 * FIPS 180-4 (NIST's "SHA256.pdf" example values), with the CPU's SHA
 * instructions and with the portable rounds, fed whole and in pieces of
 * every size that crosses a block boundary differently. */
#include <stdlib.h>

#include "check.h"
#include "base/sha256.h"

static void digest(const char *data, size_t len, size_t piece, char hex[65])
{
	sha256_ctx c;
	sha256_init(&c);
	for (size_t i = 0; i < len; i += piece)
		sha256_update(&c, data + i, len - i < piece ? len - i : piece);
	sha256_final_hex(&c, hex);
}

static void test_fips_examples(void)
{
	static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char *million = malloc(1000000);
	memset(million, 'a', 1000000);
	for (int cpu = 0; cpu <= 1; cpu++) {
		sha256_use_cpu(cpu);
		for (size_t piece = 1; piece <= 130; piece += piece < 70 ? 1 : 60) {
			char hex[65];
			digest("", 0, piece, hex);
			CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
			digest("abc", 3, piece, hex);
			CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
			digest(two_blocks, sizeof two_blocks - 1, piece, hex);
			CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
		}
		char hex[65];
		digest(million, 1000000, 1000000, hex);
		CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
		digest(million, 1000000, 4097, hex);
		CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	}
	sha256_use_cpu(1);
	free(million);
}

int main(void)
{
	RUN(test_fips_examples);
	return check_report();
}
