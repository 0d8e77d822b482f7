/* testbench/lib/test_lib.c - libmmusim's interface (include/mmusim/mmusim.h)
 * as a program linked against the shared library uses it: statuses and
 * messages, a file, a buffer and a stream giving the same statistics,
 * the stat paths, an interrupted run, a checker violation.
 *   test_lib SOURCE_DIR */
#define _POSIX_C_SOURCE 200809L   /* strdup */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mmusim/mmusim.h"

static const char *src;

/* Six records: proc, switch, mmap, three one-page accesses. */
static const char small[] =
	"mmtrace 1\ncpus 1\nproc 1 a\n0 switch 1\n0 mmap 0x10000 0x2000 rw-\n"
	"0 r 0x10000 8\n0 r 0x10008 8\n0 w 0x11000 8\n";

static double stat(mmusim *m, const char *path)
{
	double v = -1;
	int rc = mmusim_stat(m, path, &v);
	if (rc)
		fprintf(stderr, "stat %s: %s\n", path, mmusim_error(m));
	return v;
}

static void test_configuration(void)
{
	mmusim *m;
	CHECK_EQ(mmusim_open(&m, "pentium"), MMUSIM_USAGE);
	CHECK(strstr(mmusim_error(m), "unknown preset 'pentium'") != NULL);
	CHECK_STR(mmusim_get(m, "tlb.stlb.entries"), "1536");   /* usable: skylake */
	mmusim_close(m);
	CHECK_EQ(mmusim_open(&m, "zen2"), MMUSIM_OK);
	CHECK_STR(mmusim_error(m), "");
	CHECK_STR(mmusim_get(m, "tlb.stlb.entries"), "2048");
	CHECK(mmusim_get(m, "no.such.key") == NULL);
	CHECK_EQ(mmusim_set(m, "no.such.key", "1"), MMUSIM_USAGE);
	CHECK(strstr(mmusim_error(m), "unknown configuration key 'no.such.key'") != NULL);
	CHECK_EQ(mmusim_set(m, "pcid", "maybe"), MMUSIM_USAGE);
	CHECK_EQ(mmusim_set(m, "pcid=off", "on"), MMUSIM_USAGE);
	CHECK_EQ(mmusim_set(m, "pcid", "off"), MMUSIM_OK);
	CHECK_STR(mmusim_get(m, "pcid"), "off");
	CHECK_EQ(mmusim_set_line(m, "mem.size=1g"), MMUSIM_OK);
	CHECK_STR(mmusim_get(m, "mem.size"), "1073741824");
	CHECK_EQ(mmusim_config_file(m, "/nonexistent/mmusim.cfg"), MMUSIM_NOINPUT);   /* unreadable: as the command, 66 */
	/* a geometry no TLB can have is refused when the run starts */
	CHECK_EQ(mmusim_set(m, "tlb.l1d.4k.ways", "5"), MMUSIM_OK);
	CHECK_EQ(mmusim_run_buffer(m, "small", small, strlen(small)), MMUSIM_USAGE);
	CHECK(mmusim_stats_json(m) == NULL);
	mmusim_close(m);
}

struct chunks { const char *p; size_t left, step; int calls, fail_at; mmusim *interrupt; };

static long read_chunks(void *user, char *buf, size_t cap)
{
	struct chunks *c = user;
	if (++c->calls == c->fail_at)
		return -1;
	if (c->interrupt && c->calls == 70)   /* in the reader's second 256 KiB block */
		mmusim_interrupt(c->interrupt);
	size_t n = c->left < c->step ? c->left : c->step;
	if (n > cap)
		n = cap;
	memcpy(buf, c->p, n);
	c->p += n;
	c->left -= n;
	return (long)n;
}

static void test_runs(void)
{
	mmusim *m;
	CHECK_EQ(mmusim_open(&m, NULL), MMUSIM_OK);
	CHECK(mmusim_stats_json(m) == NULL);
	double v;
	CHECK_EQ(mmusim_stat(m, "records", &v), MMUSIM_USAGE);   /* no run yet */

	CHECK_EQ(mmusim_run_buffer(m, "small", small, strlen(small)), MMUSIM_OK);
	char *from_buffer = strdup(mmusim_stats_json(m));
	CHECK(strstr(from_buffer, "\"schema\": \"mmusim-stats/1\"") != NULL);
	CHECK(strstr(from_buffer, "\"mode\": \"fast\"") != NULL);
	CHECK_EQ(stat(m, "records"), 6);
	CHECK_EQ(stat(m, "accesses"), 3);
	CHECK_EQ(stat(m, "cpus.0.accesses"), 3);
	CHECK_EQ(stat(m, "complete"), 1);
	CHECK_EQ(stat(m, "config.pcid"), 1);
	CHECK_EQ(stat(m, "config.tlb.l1d.4k.entries"), 64);
	/* what made them: the version, no command line, the preset, the
	 * trace's name, size and SHA-256 (sha256sum of the text above) */
	char want[512];
	snprintf(want, sizeof want, "  \"provenance\": {\"version\": \"%s\", \"command\": null, "
	         "\"preset\": \"skylake\", \"trace\": {\"path\": \"small\", \"size\": %u, \"sha256\": "
	         "\"b9cc1e6ee879a53f70da0f94b7925dc6816fe145911920b9b40682d09f769190\"}},\n",
	         mmusim_version(), (unsigned)strlen(small));
	CHECK(strstr(from_buffer, want) != NULL);
	CHECK_EQ(stat(m, "provenance.trace.size"), strlen(small));
	CHECK_EQ(mmusim_stat(m, "tlb", &v), MMUSIM_USAGE);        /* an object */
	CHECK_EQ(mmusim_stat(m, "cpus.1.accesses", &v), MMUSIM_USAGE);  /* one CPU */
	CHECK_EQ(mmusim_stat(m, "tlb.nope", &v), MMUSIM_USAGE);
	CHECK(strstr(mmusim_error(m), "'tlb.nope'") != NULL);

	/* the same records a byte at a time, then in 5-byte pieces */
	for (size_t step = 1; step <= 5; step += 4) {
		struct chunks c = { small, strlen(small), step, 0, 0, NULL };
		CHECK_EQ(mmusim_run_stream(m, "small", read_chunks, &c), MMUSIM_OK);
		CHECK(mmusim_stats_json(m) && !strcmp(mmusim_stats_json(m), from_buffer));
	}
	/* a stream's own failure */
	struct chunks c = { small, strlen(small), 4, 0, 3, NULL };
	CHECK_EQ(mmusim_run_stream(m, "small", read_chunks, &c), MMUSIM_NOINPUT);
	CHECK_STR(mmusim_error(m), "small: read error in the record stream");
	CHECK(mmusim_stats_json(m) == NULL);

	/* a bad trace: the command's message, no statistics */
	static const char bad[] = "mmtrace 1\ncpus 1\n0 r 0x1\n";
	CHECK_EQ(mmusim_run_buffer(m, "bad", bad, strlen(bad)), MMUSIM_DATAERR);
	CHECK(!strncmp(mmusim_error(m), "bad:3:3: error: the idle task 0", 31));
	CHECK(mmusim_stats_json(m) == NULL);
	CHECK_EQ(mmusim_run_file(m, "/nonexistent/t.trace"), MMUSIM_NOINPUT);
	CHECK(strstr(mmusim_error(m), "cannot read /nonexistent/t.trace") != NULL);

	/* a file gives what the buffer gave */
	char path[4096];
	snprintf(path, sizeof path, "%s/traces/mixed-4cpu.trace", src);
	CHECK_EQ(mmusim_run_file(m, path), MMUSIM_OK);
	CHECK_EQ(stat(m, "records"), 100106);   /* README's example report */
	CHECK_EQ(stat(m, "tlb.hits"), 91969);
	CHECK_EQ(stat(m, "cpus.3.id"), 3);
	free(from_buffer);
	mmusim_close(m);
}

/* 20000 accesses (480 KiB), read 4 KiB at a time; interrupted while the
 * reader fills its second block, so the run stops after the first. */
static void test_interrupt(void)
{
	size_t cap = 64 + 20000 * 32;
	char *text = malloc(cap);
	size_t n = (size_t)snprintf(text, cap, "mmtrace 1\ncpus 1\nkthread 1 k\n0 switch 1\n");
	for (int i = 0; i < 20000; i++)
		n += (size_t)snprintf(text + n, cap - n, "0 kr 0xffff8880%08x\n", 0x1000 * (i % 64));
	mmusim *m;
	mmusim_open(&m, NULL);
	struct chunks c = { text, n, 4096, 0, 0, m };
	CHECK_EQ(mmusim_run_stream(m, "long", read_chunks, &c), MMUSIM_INTERRUPTED);
	CHECK(mmusim_stats_json(m) != NULL);
	CHECK_EQ(stat(m, "complete"), 0);
	double records = stat(m, "records");
	CHECK(records > 0 && records < 20002);
	/* the request is cleared by the next run */
	struct chunks again = { text, n, 4096, 0, 0, NULL };
	CHECK_EQ(mmusim_run_stream(m, "long", read_chunks, &again), MMUSIM_OK);
	CHECK_EQ(stat(m, "records"), 20002);
	CHECK_EQ(stat(m, "complete"), 1);
	mmusim_close(m);
	free(text);
}

/* A checker violation: statistics kept, status 1. */
static void test_checker(void)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/testbench/scenarios/checker_catches_skipped_shootdown.trace", src);
	mmusim *m;
	mmusim_open(&m, NULL);
	CHECK_EQ(mmusim_set(m, "test.skip_shootdowns", "on"), MMUSIM_OK);
	CHECK_EQ(mmusim_run_file(m, path), MMUSIM_CHECK);
	CHECK(strstr(mmusim_error(m), "checker violation") != NULL);
	CHECK(stat(m, "check.stale_hits") > 0);
	mmusim_close(m);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_lib SOURCE_DIR\n");
		return 2;
	}
	src = argv[1];
	CHECK(strlen(mmusim_version()) > 0);
	RUN(test_configuration);
	RUN(test_runs);
	RUN(test_interrupt);
	RUN(test_checker);
	return check_report();
}
