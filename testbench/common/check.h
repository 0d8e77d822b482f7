/* testbench/common/check.h - a tiny assertion kit: every failure prints
 * where and what, and the test exits non-zero at the end. */
#ifndef MMUSIM_TEST_CHECK_H
#define MMUSIM_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond) do { check_count++; if (!(cond)) { check_failures++; \
	fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)

#define CHECK_EQ(a, b) do { uint64_t va_ = (uint64_t)(a), vb_ = (uint64_t)(b); check_count++; \
	if (va_ != vb_) { check_failures++; fprintf(stderr, "%s:%d: %s == %" PRIu64 ", expected %s == %" PRIu64 "\n", \
	__FILE__, __LINE__, #a, va_, #b, vb_); } } while (0)

#define CHECK_STR(a, b) do { const char *sa_ = (a), *sb_ = (b); check_count++; \
	if (strcmp(sa_, sb_)) { check_failures++; fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", \
	__FILE__, __LINE__, #a, sa_, sb_); } } while (0)

#define RUN(test) do { int before_ = check_failures; test(); \
	printf("%s %s\n", check_failures == before_ ? "ok  " : "FAIL", #test); } while (0)

static inline int check_report(void)
{
	printf("%d checks, %d failed\n", check_count, check_failures);
	return check_failures ? 1 : 0;
}

#endif
