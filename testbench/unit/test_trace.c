/* Unit tests of base/trace.c: every record kind with its fields and
 * columns, numbers, comments, CRLF, and the fast path agreeing with the
 * general tokenizer. */
#include "check.h"
#include "base/trace.h"

#include <stdlib.h>

static char err[640];

/* Reads the header and the first record of text; returns trace_next's result. */
static int first(const char *text, trace_record *rec)
{
	trace_reader *r = trace_open_mem("t", text, strlen(text));
	unsigned cpus;
	int rc = trace_read_header(r, &cpus, err, sizeof err);
	if (rc == 0)
		rc = trace_next(r, rec, err, sizeof err);
	trace_close(r);
	return rc;
}

#define HDR "mmtrace 1\ncpus 4\n"

static void accesses_parse_fields_and_columns(void)
{
	trace_record rec;
	CHECK_EQ(first(HDR "3 w 0x7f00001234a0 8\n", &rec), 1);
	CHECK_EQ(rec.op, REC_W);
	CHECK_EQ(rec.cpu, 3);
	CHECK_EQ(rec.addr, 0x7f00001234a0ull);
	CHECK_EQ(rec.size, 8);
	CHECK_EQ(rec.line, 3);
	CHECK_EQ(rec.col[1], 3);
	CHECK_EQ(rec.col[2], 5);
	CHECK_EQ(rec.col[3], 20);
	CHECK_EQ(first(HDR "0 kx 4096\n", &rec), 1);
	CHECK_EQ(rec.op, REC_KX);
	CHECK_EQ(rec.addr, 4096);
	CHECK_EQ(rec.size, 1);
	CHECK_EQ(first(HDR "1\tr\t0xFFFFFFFFFFFFFFFF   4096 # comment\r\n", &rec), 1);
	CHECK_EQ(rec.addr, UINT64_MAX);
	CHECK_EQ(rec.size, 4096);
}

static void every_record_kind(void)
{
	trace_record rec;
	CHECK_EQ(first(HDR "proc 42 my-app.1\n", &rec), 1);
	CHECK_EQ(rec.op, REC_PROC);
	CHECK_EQ(rec.pid, 42);
	CHECK_STR(rec.comm, "my-app.1");
	CHECK_EQ(rec.col[2], 6);   /* declarations: col[2] is the PID */
	CHECK_EQ(first(HDR "kthread 7 kworker/0:1\n", &rec), 1);
	CHECK_EQ(rec.op, REC_KTHREAD);
	CHECK_EQ(first(HDR "2 switch 0\n", &rec), 1);
	CHECK_EQ(rec.op, REC_SWITCH);
	CHECK_EQ(rec.pid, 0);
	CHECK_EQ(first(HDR "0 mmap 0x10000000 0x3000 rw- huge populate\n", &rec), 1);
	CHECK_EQ(rec.op, REC_MMAP);
	CHECK_EQ(rec.size, 0x3000);
	CHECK_EQ(rec.prot, PROT_R_ | PROT_W_);
	CHECK_EQ(rec.flags, MAPF_HUGE | MAPF_POPULATE);
	CHECK_EQ(first(HDR "0 mprotect 0x1000 1 --x\n", &rec), 1);
	CHECK_EQ(rec.prot, PROT_X_);
	CHECK_EQ(first(HDR "0 munmap 0x1000 5000\n", &rec), 1);
	CHECK_EQ(rec.op, REC_MUNMAP);
	CHECK_EQ(first(HDR "0 tick 18446744073709551615\n", &rec), 1);
	CHECK_EQ(rec.size, UINT64_MAX);
	CHECK_EQ(first(HDR "0 exec sh\n", &rec), 1);
	CHECK_STR(rec.comm, "sh");
	const char *ops[] = { "syscall", "exit" };
	enum rec_op want[] = { REC_SYSCALL, REC_EXIT };
	for (int i = 0; i < 2; i++) {
		char text[64];
		snprintf(text, sizeof text, HDR "0 %s\n", ops[i]);
		CHECK_EQ(first(text, &rec), 1);
		CHECK_EQ(rec.op, want[i]);
	}
	CHECK_EQ(first(HDR "0 vfork 9\n", &rec), 1);
	CHECK_EQ(rec.op, REC_VFORK);
	CHECK_EQ(rec.pid, 9);
}

static void errors_name_line_and_column(void)
{
	trace_record rec;
	CHECK_EQ(first(HDR "\n# c\n0 r 0x10 0\n", &rec), -1);
	CHECK_STR(err, "t:5:10: error: SIZE 0 out of range (1..4096)");
	CHECK_EQ(first(HDR "4 r 0x10\n", &rec), -1);
	CHECK_STR(err, "t:3:1: error: CPU 4 out of range (the trace has 4 CPUs: 0..3)");
	CHECK_EQ(first(HDR "0 r 18446744073709551616\n", &rec), -1);
	CHECK(strstr(err, "t:3:5: error:") && strstr(err, "does not fit in 64 bits"));
	CHECK_EQ(first("mmtrace 1\n", &rec), -1);
	CHECK_STR(err, "t:1:1: error: missing 'cpus N' after the header");
	CHECK_EQ(first(HDR "0 r\n", &rec), -1);
	CHECK(strstr(err, "t:3:4: error: missing argument"));
}

/* The fast path must accept exactly what the general path accepts, with
 * the same values: the same record with an extra space (general path
 * only) must parse identically. */
static void fast_path_agrees_with_general_path(void)
{
	srand(7);
	static const char *ops[] = { "r", "w", "x", "kr", "kw", "kx" };
	for (int i = 0; i < 2000; i++) {
		unsigned cpu = (unsigned)rand() % 4;
		uint64_t addr = ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 11) ^ (uint64_t)rand();
		unsigned size = 1 + (unsigned)rand() % 4096;
		const char *op = ops[rand() % 6];
		char a[128], b[160];
		bool hex = rand() & 1, with_size = rand() & 1;
		if (hex)
			snprintf(a, sizeof a, HDR "%u %s 0x%llx", cpu, op, (unsigned long long)addr);
		else
			snprintf(a, sizeof a, HDR "%u %s %llu", cpu, op, (unsigned long long)addr);
		if (with_size)
			snprintf(a + strlen(a), sizeof a - strlen(a), " %u", size);
		snprintf(b, sizeof b, "%s  \n", a);   /* trailing spaces: general path */
		strcat(a, "\n");
		trace_record ra, rb;
		int ka = first(a, &ra), kb = first(b, &rb);
		CHECK_EQ(ka, kb);
		CHECK_EQ(ra.op, rb.op);
		CHECK_EQ(ra.cpu, rb.cpu);
		CHECK_EQ(ra.addr, rb.addr);
		CHECK_EQ(ra.size, rb.size);
		CHECK_EQ(ra.col[2], rb.col[2]);
		if (check_failures)
			break;
	}
}

static void streams_beyond_one_block(void)
{
	/* 3 MiB of records: more than the 1 MiB buffer, lines straddling it */
	size_t n = 150000, cap = n * 24 + 64;
	char *text = malloc(cap), *p = text;
	p += sprintf(p, HDR);
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%zu r 0x%zx %zu\n", i % 4, i * 4096 + 17, 1 + i % 64);
	trace_reader *r = trace_open_mem("t", text, (size_t)(p - text));
	unsigned cpus;
	trace_record rec;
	CHECK_EQ(trace_read_header(r, &cpus, err, sizeof err), 0);
	size_t count = 0, bad = 0;
	while (trace_next(r, &rec, err, sizeof err) > 0) {
		bad += rec.addr != count * 4096 + 17 || rec.size != 1 + count % 64;
		count++;
	}
	CHECK_EQ(count, n);
	CHECK_EQ(bad, 0);
	trace_close(r);
	free(text);
}

int main(void)
{
	RUN(accesses_parse_fields_and_columns);
	RUN(every_record_kind);
	RUN(errors_name_line_and_column);
	RUN(fast_path_agrees_with_general_path);
	RUN(streams_beyond_one_block);
	return check_report();
}
