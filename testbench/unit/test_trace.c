/* Unit tests of base/trace.c: every record kind with its fields and
 * columns, numbers, comments, CRLF, and the fast path agreeing with the
 * general tokenizer. */
/* fork, pipe, /dev/fd: the streamed (pipe) path is tested through POSIX */
#define _DEFAULT_SOURCE
#include "check.h"
#include "base/trace.h"
#include "base/mmtb.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static char err[640];

/* Reads the header and the first record of len bytes of text; returns
 * the header's error (-1) or trace_next's result. */
static int first_n(const char *text, size_t len, trace_record *rec)
{
	trace_reader *r = trace_open_mem("t", text, len);
	unsigned cpus;
	int rc = trace_read_header(r, &cpus, err, sizeof err);
	if (rc == 0)
		rc = trace_next(r, rec, err, sizeof err);
	trace_close(r);
	return rc;
}

static int first(const char *text, trace_record *rec)
{
	return first_n(text, strlen(text), rec);
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
	CHECK(!rec.timed);
}

/* The extensions: declarations of state, madvise, mremap, the file flag
 * and the @TIME prefix. */
static void extension_records(void)
{
	trace_record rec;
	CHECK_EQ(first(HDR "thread 43 42 worker\n", &rec), 1);
	CHECK_EQ(rec.op, REC_THREAD);
	CHECK_EQ(rec.pid, 43);
	CHECK_EQ(rec.tgid, 42);
	CHECK_STR(rec.comm, "worker");
	CHECK_EQ(rec.col[3], 11);   /* TGID */
	CHECK_EQ(first(HDR "vma 42 0x400000 0x2000 r-x file\n", &rec), 1);
	CHECK_EQ(rec.op, REC_VMA);
	CHECK_EQ(rec.pid, 42);
	CHECK_EQ(rec.addr, 0x400000);
	CHECK_EQ(rec.size, 0x2000);
	CHECK_EQ(rec.prot, PROT_R_ | PROT_X_);
	CHECK_EQ(rec.flags, MAPF_FILE);
	CHECK_EQ(rec.col[3], 8);    /* ADDR */
	CHECK_EQ(first(HDR "present 42 0x400000 0x1000 cow\n", &rec), 1);
	CHECK_EQ(rec.op, REC_PRESENT);
	CHECK_EQ(rec.flags, PRESENT_COW);
	CHECK_EQ(first(HDR "present 42 0x400000 1 file\n", &rec), 1);
	CHECK_EQ(rec.flags, PRESENT_FILE);
	CHECK_EQ(first(HDR "1 madvise 0x10000 0x3000 free\n", &rec), 1);
	CHECK_EQ(rec.op, REC_MADVISE);
	CHECK_EQ(rec.flags, MADV_FREE_);
	CHECK_EQ(first(HDR "1 madvise 0x10000 1 dontneed\n", &rec), 1);
	CHECK_EQ(rec.flags, MADV_DONTNEED_);
	CHECK_EQ(first(HDR "2 mremap 0x10000 0x1000 0x20000 0x3000\n", &rec), 1);
	CHECK_EQ(rec.op, REC_MREMAP);
	CHECK_EQ(rec.addr, 0x10000);
	CHECK_EQ(rec.size, 0x1000);
	CHECK_EQ(rec.addr2, 0x20000);
	CHECK_EQ(rec.size2, 0x3000);
	CHECK_EQ(first(HDR "1 vmap 0xffffc90000000000 0x3000 r-x\n", &rec), 1);
	CHECK_EQ(rec.op, REC_VMAP);
	CHECK_EQ(rec.addr, 0xffffc90000000000ull);
	CHECK_EQ(rec.size, 0x3000);
	CHECK_EQ(rec.prot, PROT_R_ | PROT_X_);
	CHECK_EQ(rec.col[4], 34);   /* PROT */
	CHECK_EQ(first(HDR "1 vunmap 0xffffc90000000000 0x3000\n", &rec), 1);
	CHECK_EQ(rec.op, REC_VUNMAP);
	CHECK_EQ(rec.size, 0x3000);
	CHECK_EQ(first(HDR "2 kflush 0xffffc90000000000 1\n", &rec), 1);
	CHECK_EQ(rec.op, REC_KFLUSH);
	CHECK_EQ(rec.flags, 0);
	CHECK_EQ(rec.size, 1);
	CHECK_EQ(first(HDR "roi begin\n", &rec), 1);
	CHECK_EQ(rec.op, REC_ROI);
	CHECK_EQ(rec.flags, ROI_BEGIN);
	CHECK_EQ(rec.col[2], 5);    /* the marker */
	CHECK_EQ(first(HDR "roi end\n", &rec), 1);
	CHECK_EQ(rec.flags, ROI_END);
	CHECK_EQ(first(HDR "2 kflush all\n", &rec), 1);
	CHECK_EQ(rec.op, REC_KFLUSH);
	CHECK_EQ(rec.flags, KFLUSH_ALL);
	CHECK_EQ(first(HDR "0 mmap 0x1000 1 r-- file shared populate huge giant\n", &rec), 1);
	CHECK_EQ(rec.flags, MAPF_FILE | MAPF_SHARED | MAPF_POPULATE | MAPF_HUGE | MAPF_GIANT);
	CHECK_EQ(first(HDR "@1234567 3 r 0x10 8\n", &rec), 1);
	CHECK(rec.timed);
	CHECK_EQ(rec.time_ns, 1234567);
	CHECK_EQ(rec.op, REC_R);
	CHECK_EQ(rec.cpu, 3);
	CHECK_EQ(rec.addr, 0x10);
	CHECK_EQ(rec.col[0], 10);   /* the CPU after the stamp */
	CHECK_EQ(rec.col[2], 14);
	CHECK_EQ(first(HDR "@0x10\t0 switch 5\n", &rec), 1);
	CHECK_EQ(rec.time_ns, 16);
	CHECK_EQ(rec.op, REC_SWITCH);
	CHECK_EQ(rec.flags, 0);
	CHECK_EQ(first(HDR "0 switch 5 untraced\n", &rec), 1);
	CHECK_EQ(rec.flags, SWITCH_UNTRACED);
	CHECK_EQ(first(HDR "0 exec sh\n", &rec), 1);
	CHECK_EQ(rec.addr, 0);
	CHECK_EQ(rec.size, 1);
	CHECK_EQ(first(HDR "0 exec sh 0x7ffd00000000 3\n", &rec), 1);
	CHECK_EQ(rec.addr, 0x7ffd00000000);
	CHECK_EQ(rec.size, 3);
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

/* Reads the header and the first record of text, with or without the
 * SSE2 parser; err receives the message. */
static int first_with(const char *text, bool wide, trace_record *rec, char *msg, size_t msglen)
{
	trace_reader *r = trace_open_mem("t", text, strlen(text));
	if (!wide)
		trace_bytewise_only(r);
	unsigned cpus;
	msg[0] = 0;
	int rc = trace_read_header(r, &cpus, msg, msglen);
	if (rc == 0)
		rc = trace_next(r, rec, msg, msglen);
	trace_close(r);
	return rc;
}

/* wide_access must accept exactly the lines fast_access accepts, with the
 * same record, and leave everything else to the same error: random
 * access lines, well-formed and not (hex of 0..18 digits in either case,
 * a stray character, one- to three-digit CPUs against cpus 12, sizes with
 * leading zeros or out of range, CR, a tab), each followed by enough text
 * for its 32-byte reads. */
static void wide_parser_agrees_with_bytewise(void)
{
	srand(11);
	static const char *ops[] = { "r", "w", "x", "kr", "kw", "kx", "k", "q", "rw" };
	static const char *ends[] = { "\n", "\n", "\n", "\r\n", "\t\n", " \n", "#\n", "x\n" };
	const char *digits = "0123456789abcdefABCDEF";
	unsigned accepted = 0;
	for (int i = 0; i < 20000 && !check_failures; i++) {
		char text[256], *p = text;
		p += sprintf(p, "mmtrace 1\ncpus 12\n");
		int cpu_kind = rand() % 8;
		if (cpu_kind == 0)
			p += sprintf(p, "0%u", (unsigned)rand() % 10);
		else if (cpu_kind == 1)
			p += sprintf(p, "%u", 10 + (unsigned)rand() % 150);
		else
			p += sprintf(p, "%u", (unsigned)rand() % 12);
		p += sprintf(p, " %s ", ops[rand() % 9]);
		if (rand() % 8)
			p += sprintf(p, "0x");
		unsigned ndig = (unsigned)rand() % 19;
		for (unsigned d = 0; d < ndig; d++)
			*p++ = digits[rand() % (rand() % 4 ? 16 : 22)];
		if (rand() % 16 == 0)
			*p++ = (char)("g: z"[rand() % 4]);
		int size_kind = rand() % 6;
		if (size_kind == 1)
			p += sprintf(p, " %u", 1 + (unsigned)rand() % 4096);
		else if (size_kind == 2)
			p += sprintf(p, " %u", (unsigned)rand() % 5000);
		else if (size_kind == 3)
			p += sprintf(p, " 0%u", (unsigned)rand() % 100);
		else if (size_kind == 4)
			p += sprintf(p, " %u", 1 + (unsigned)rand() % 9);
		p += sprintf(p, "%s", ends[rand() % 8]);
		sprintf(p, "0 r 0x1000 8\n0 r 0x2000 8\n0 r 0x3000 8\n");
		trace_record a = { 0 }, b = { 0 };
		char ma[640], mb[640];
		int ka = first_with(text, true, &a, ma, sizeof ma);
		int kb = first_with(text, false, &b, mb, sizeof mb);
		CHECK_EQ(ka, kb);
		CHECK(strcmp(ma, mb) == 0);
		if (ka == 1) {
			accepted++;
			CHECK_EQ(a.op, b.op);
			CHECK_EQ(a.cpu, b.cpu);
			CHECK_EQ(a.addr, b.addr);
			CHECK_EQ(a.size, b.size);
			CHECK_EQ(a.line, b.line);
			for (unsigned c = 0; c < 8; c++)
				CHECK_EQ(a.col[c], b.col[c]);
		}
		if (check_failures)
			fprintf(stderr, "line: %s", text + 18);
	}
	/* the generator is not all errors: most shapes are valid records */
	CHECK(accepted > 5000);
}

static void streams_beyond_one_block(void)
{
	/* 3 MiB of records: many 256 KiB blocks, lines straddling them */
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

/* Each bad record (line 3, after HDR) with its exact message. */
static void record_errors_exact(void)
{
	static const struct { const char *line, *msg; } cases[] = {
		{ "0 read 0x10", "t:3:3: error: unknown operation 'read'" },
		{ "0 r 0x10g", "t:3:9: error: bad hexadecimal ADDR '0x10g'" },
		{ "0 r -5", "t:3:5: error: expected ADDR as a decimal or 0x hexadecimal number, got '-5'" },
		{ "0 r +5", "t:3:5: error: expected ADDR as a decimal or 0x hexadecimal number, got '+5'" },
		{ "0 r 0x", "t:3:6: error: expected ADDR as a decimal or 0x hexadecimal number, got '0x'" },
		{ "0 r 12ab", "t:3:7: error: expected ADDR as a decimal or 0x hexadecimal number, got '12ab'" },
		{ "0 r 0x10000000000000000", "t:3:5: error: ADDR '0x10000000000000000' does not fit in 64 bits" },
		{ "0 r 18446744073709551616", "t:3:5: error: ADDR '18446744073709551616' does not fit in 64 bits" },
		{ "0 r 99999999999999999999z", "t:3:25: error: expected ADDR as a decimal or 0x hexadecimal "
		  "number, got '99999999999999999999z'" },
		{ "0 r 0x10 0", "t:3:10: error: SIZE 0 out of range (1..4096)" },
		{ "0 r 0x10 4097", "t:3:10: error: SIZE 4097 out of range (1..4096)" },
		{ "0 r 0x10 8 9", "t:3:12: error: unexpected field '9': 'r' takes ADDR [SIZE]" },
		{ "0 r", "t:3:4: error: missing argument: 'r' takes ADDR [SIZE]" },
		{ "0", "t:3:2: error: missing operation after CPU 0" },
		{ "4 r 0x10", "t:3:1: error: CPU 4 out of range (the trace has 4 CPUs: 0..3)" },
		{ "0x r 1", "t:3:2: error: expected CPU as a decimal or 0x hexadecimal number, got '0x'" },
		{ "0 munmap 0x1000", "t:3:16: error: missing argument: 'munmap' takes ADDR LEN" },
		{ "0 syscall now", "t:3:11: error: unexpected field 'now': 'syscall' takes no arguments" },
		{ "0 exit 1", "t:3:8: error: unexpected field '1': 'exit' takes no arguments" },
		{ "0 tick", "t:3:7: error: missing argument: 'tick' takes CYCLES" },
		{ "0 exec", "t:3:7: error: missing argument: 'exec' takes COMM [STACK [ARGPAGES]] [preempted]" },
		{ "0 exec a b", "t:3:10: error: expected STACK as a decimal or 0x hexadecimal number, got 'b'" },
		{ "0 exec a 0x1001", "t:3:10: error: STACK 0x1001 is not a page-aligned address above 0" },
		{ "0 exec a 0x1000 0", "t:3:17: error: ARGPAGES 0 out of range (1..512)" },
		{ "0 exec a 0x1000 1 2", "t:3:19: error: unexpected field '2': 'exec' takes COMM [STACK [ARGPAGES]] [preempted]" },
		{ "0 exec a 0x1000 1 preempted x", "t:3:29: error: unexpected field 'x': 'exec' takes COMM [STACK [ARGPAGES]] [preempted]" },
		{ "0 exec a preempted 1", "t:3:10: error: expected STACK as a decimal or 0x hexadecimal number, got 'preempted'" },
		{ "0 switch 1 lazily", "t:3:12: error: unexpected field 'lazily': 'switch' takes PID [untraced]" },
		{ "0 preempted 1", "t:3:13: error: unexpected field '1': 'preempted' takes no arguments" },
		{ "proc 1 a$b", "t:3:9: error: character '$' not allowed in a name (A-Z a-z 0-9 _ . / : -)" },
		{ "proc 1 abcdefghijklmnop", "t:3:8: error: name 'abcdefghijklmnop' is longer than 15 characters" },
		{ "proc 0 a", "t:3:6: error: PID 0 out of range (1..4194304)" },
		{ "proc 1", "t:3:7: error: missing argument: 'proc' takes PID COMM" },
		{ "kthread 2 a b", "t:3:13: error: unexpected field 'b': 'kthread' takes PID COMM" },
		{ "0 switch 4194305", "t:3:10: error: PID 4194305 out of range (0..4194304)" },
		{ "0 fork 0", "t:3:8: error: PID 0 out of range (1..4194304)" },
		{ "0 clone 4194305", "t:3:9: error: PID 4194305 out of range (1..4194304)" },
		{ "0 mmap 0x1000 0x1000 rwz", "t:3:22: error: bad PROT 'rwz' (three characters: r or -, w or -, "
		  "x or -)" },
		{ "0 mmap 0x1000 0x1000 wr-", "t:3:22: error: bad PROT 'wr-' (three characters: r or -, w or -, "
		  "x or -)" },
		{ "0 mprotect 0x1000 1 rw", "t:3:21: error: bad PROT 'rw' (three characters: r or -, w or -, "
		  "x or -)" },
		{ "0 mmap 0x1000 1 rw- huge huge", "t:3:26: error: mmap FLAG 'huge' given twice" },
		{ "0 mmap 0x1000 1 rw- hugetlb", "t:3:21: error: unknown mmap FLAG 'hugetlb' (shared, huge, "
		  "giant, populate, file, file=NAME, offset=OFF, stack or special)" },
		{ "0 mmap 0x1000 1 r-- file=a file", "t:3:28: error: mmap FLAG 'file' given twice" },
		{ "0 mmap 0x1000 1 r-- file=a file=b", "t:3:28: error: mmap FLAG 'file' given twice" },
		{ "0 mmap 0x1000 1 r-- offset=0x1000", "t:3:21: error: offset=OFF needs file=NAME" },
		{ "0 mmap 0x1000 1 r-- file=a offset=0x10", "t:3:35: error: OFFSET 0x10 is not page-aligned" },
		{ "0 mmap 0x1000 1 r-- file=a offset=zz", "t:3:35: error: expected OFFSET as a decimal or 0x "
		  "hexadecimal number, got 'zz'" },
		{ "0 brk", "t:3:6: error: missing argument: 'brk' takes ADDR" },
		{ "0 brk 0x1000 1", "t:3:14: error: unexpected field '1': 'brk' takes ADDR" },
		{ "layout 1 0 0 0 0 0 0", "t:3:21: error: missing argument: 'layout' takes PID START_CODE "
		  "END_CODE START_DATA END_DATA START_BRK BRK START_STACK [MMAP_BASE]" },
		{ "layout 1 0x2000 0x1000 0 0 0 0 0", "t:3:17: error: END_CODE is below START_CODE" },
		{ "layout 1 0 0 0 0 0x5000 0x4000 0", "t:3:25: error: BRK is below START_BRK" },
		{ "0 mmap 0x1000 1 rw- file file", "t:3:26: error: mmap FLAG 'file' given twice" },
		{ "0 mmap 0x1001 1 rw-", "t:3:8: error: ADDR 0x1001 is not page-aligned" },
		{ "0 mmap 0x1000 1", "t:3:16: error: missing argument: 'mmap' takes ADDR LEN PROT [FLAG...]" },
		{ "0 munmap 0x1000 0", "t:3:17: error: LEN must be at least 1" },
		{ "0 mprotect 0xfffffffffffff000 0x2000 r--", "t:3:31: error: ADDR + LEN goes beyond the 64-bit "
		  "address space" },
		{ "foo 1", "t:3:1: error: unknown record 'foo' (expected a CPU number, @TIME, proc, kthread, "
		  "thread, vma, present, cpumask, next_trim, layout or roi)" },
		{ "thread 2 1", "t:3:11: error: missing argument: 'thread' takes PID TGID COMM" },
		{ "thread 2 0 a", "t:3:10: error: PID 0 out of range (1..4194304)" },
		{ "vma 1 0x1000 0x1000", "t:3:20: error: missing argument: 'vma' takes PID ADDR LEN PROT [FLAG...]" },
		{ "vma 1 0x1001 1 r--", "t:3:7: error: ADDR 0x1001 is not page-aligned" },
		{ "vma 1 0x1000 1 r-- bogus", "t:3:20: error: unknown mmap FLAG 'bogus' (shared, huge, giant, "
		  "populate, file, file=NAME, offset=OFF, stack or special)" },
		{ "present 1 0x1000 1 dirty", "t:3:20: error: unknown present KIND 'dirty' (anon, cow or file)" },
		{ "present 1 0x1000 0 anon", "t:3:18: error: LEN must be at least 1" },
		{ "cpumask 1", "t:3:10: error: missing argument: 'cpumask' takes PID CPU" },
		{ "cpumask 1 4", "t:3:11: error: CPU 4 out of range (the trace has 4 CPUs: 0..3)" },
		{ "cpumask 1 0 1", "t:3:13: error: unexpected field '1': 'cpumask' takes PID CPU" },
		{ "next_trim 1 x", "t:3:13: error: expected NS as a decimal or 0x hexadecimal number, got 'x'" },
		{ "0 madvise 0x1000 1 cold", "t:3:20: error: unknown madvise ADVICE 'cold' (dontneed or free)" },
		{ "0 madvise 0x1000 1", "t:3:19: error: missing argument: 'madvise' takes ADDR LEN ADVICE" },
		{ "0 mremap 0x1000 1 0x2001 1", "t:3:19: error: NEW 0x2001 is not page-aligned" },
		{ "0 mremap 0x1000 1 0x2000 0", "t:3:26: error: NEWLEN must be at least 1" },
		{ "0 vmap 0xffffc90000000000 1 -w-", "t:3:29: error: vmap PROT must grant r (a kernel page is always readable)" },
		{ "0 vmap 0xffffc90000000000 1", "t:3:28: error: missing argument: 'vmap' takes ADDR LEN PROT" },
		{ "0 vunmap 0xffffc90000000001 1", "t:3:10: error: ADDR 0xffffc90000000001 is not page-aligned" },
		{ "0 kflush every", "t:3:10: error: expected 'all' or ADDR LEN: 'kflush' takes ADDR LEN | all" },
		{ "0 kflush all 1", "t:3:14: error: unexpected field after 'all': 'kflush' takes ADDR LEN | all" },
		{ "0 kflush", "t:3:9: error: missing argument: 'kflush' takes ADDR LEN | all" },
		{ "roi", "t:3:4: error: missing argument: 'roi' takes begin | end" },
		{ "roi begin now", "t:3:11: error: unexpected field 'now': 'roi' takes begin | end" },
		{ "roi middle", "t:3:5: error: unknown roi marker 'middle' (begin or end)" },
		{ "@", "t:3:1: error: expected a time in nanoseconds after '@'" },
		{ "@12x 0 r 1", "t:3:4: error: expected TIME as a decimal or 0x hexadecimal number, got '12x'" },
		{ "@12", "t:3:4: error: missing CPU record after the time stamp" },
		{ "@12 proc 1 a", "t:3:5: error: a time stamp may only prefix a CPU record, not 'proc'" },
		{ "@99999999999999999999 0 r 1", "t:3:2: error: TIME '99999999999999999999' does not fit in 64 bits" },
		{ "@5 9 r 1", "t:3:4: error: CPU 9 out of range (the trace has 4 CPUs: 0..3)" },
		{ "cpus 4", "t:3:1: error: 'cpus' may only appear in the header" },
		{ "mmtrace 1", "t:3:1: error: 'mmtrace' may only appear in the header" },
		{ "0 r 0x10\x01", "t:3:9: error: character 0x01 is not printable ASCII" },
		{ "0 r 0x10\r0", "t:3:9: error: character 0x0d is not printable ASCII" },
		{ "0 r 0x10 # caf\xc3\xa9", "t:3:15: error: character 0xc3 is not printable ASCII" },
		{ "0 r 0x10 # bell\x07", "t:3:16: error: character 0x07 is not printable ASCII" },
		{ "0 r \x7f", "t:3:5: error: character 0x7f is not printable ASCII" },
		{ "0 r 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1", "t:3:33: error: too many fields" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[256];
		snprintf(text, sizeof text, HDR "%s\n", cases[i].line);
		trace_record rec;
		err[0] = 0;
		CHECK_EQ(first(text, &rec), -1);
		CHECK_STR(err, cases[i].msg);
	}
}

static void header_errors_exact(void)
{
	static const struct { const char *text, *msg; } cases[] = {
		{ "", "t:1:1: error: empty trace: expected the header 'mmtrace 1'" },
		{ "# only a comment\n\n", "t:2:1: error: empty trace: expected the header 'mmtrace 1'" },
		{ "cpus 4\nmmtrace 1\n", "t:1:1: error: expected the header 'mmtrace 1', got 'cpus'" },
		{ "mmtrace 2\ncpus 1\n", "t:1:9: error: unsupported trace version 2 (this reader knows mmtrace 1)" },
		{ "mmtrace\ncpus 1\n", "t:1:8: error: the header is exactly 'mmtrace 1'" },
		{ "mmtrace 1 x\ncpus 1\n", "t:1:11: error: the header is exactly 'mmtrace 1'" },
		{ "mmtrace one\n", "t:1:9: error: expected version as a decimal or 0x hexadecimal number, got 'one'" },
		{ "mmtrace 1\n", "t:1:1: error: missing 'cpus N' after the header" },
		{ "mmtrace 1\n0 r 0x10\n", "t:2:1: error: expected 'cpus N' as the second record, got '0'" },
		{ "mmtrace 1\nproc 1 a\ncpus 1\n", "t:2:1: error: expected 'cpus N' as the second record, got 'proc'" },
		{ "mmtrace 1\ncpus\n", "t:2:5: error: expected 'cpus N'" },
		{ "mmtrace 1\ncpus 2 3\n", "t:2:8: error: expected 'cpus N'" },
		{ "mmtrace 1\ncpus 0\n", "t:2:6: error: cpus 0 out of range (1..256)" },
		{ "mmtrace 1\ncpus 257\n", "t:2:6: error: cpus 257 out of range (1..256)" },
		{ "mmtrace 1\n\n# c\ncpus 0x100000000000000000\n", "t:4:6: error: cpus '0x100000000000000000' does "
		  "not fit in 64 bits" },
		{ "\xef\xbb\xbfmmtrace 1\ncpus 1\n", "t:1:1: error: character 0xef is not printable ASCII" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		trace_record rec;
		err[0] = 0;
		CHECK_EQ(first(cases[i].text, &rec), -1);
		CHECK_STR(err, cases[i].msg);
	}
}

static void nul_byte_is_an_error(void)
{
	static const char text[] = HDR "0 r 0x1\0\n";
	trace_record rec;
	CHECK_EQ(first_n(text, sizeof text - 1, &rec), -1);
	CHECK_STR(err, "t:3:8: error: NUL byte in the trace (is it a text file?)");
	static const char in_comment[] = HDR "# \0\n";
	CHECK_EQ(first_n(in_comment, sizeof in_comment - 1, &rec), -1);
	CHECK_STR(err, "t:3:3: error: NUL byte in the trace (is it a text file?)");
}

/* Comments, blank lines, tabs, CRLF and a missing final newline, all at once. */
static void layout_is_free(void)
{
	const char *text = "# lead\r\n\r\nmmtrace 1 # v\r\n\tcpus\t2\r\n\r\n  # x\r\n"
	                   "1\tkw 0x20\t\t3#c\r\nproc 0x2A sh\n0 r 00017\r";
	trace_reader *r = trace_open_mem("t", text, strlen(text));
	unsigned cpus = 0;
	trace_record rec;
	CHECK_EQ(trace_read_header(r, &cpus, err, sizeof err), 0);
	CHECK_EQ(cpus, 2);
	CHECK_EQ(trace_next(r, &rec, err, sizeof err), 1);
	CHECK_EQ(rec.op, REC_KW);
	CHECK_EQ(rec.line, 7);
	CHECK_EQ(rec.cpu, 1);
	CHECK_EQ(rec.addr, 0x20);
	CHECK_EQ(rec.size, 3);
	CHECK_EQ(rec.col[0], 1);
	CHECK_EQ(rec.col[1], 3);
	CHECK_EQ(rec.col[2], 6);
	CHECK_EQ(rec.col[3], 12);
	CHECK_EQ(trace_next(r, &rec, err, sizeof err), 1);
	CHECK_EQ(rec.op, REC_PROC);
	CHECK_EQ(rec.pid, 42);
	CHECK_EQ(rec.line, 8);
	CHECK_EQ(trace_next(r, &rec, err, sizeof err), 1);
	CHECK_EQ(rec.op, REC_R);
	CHECK_EQ(rec.addr, 17);
	CHECK_EQ(rec.line, 9);
	CHECK_EQ(trace_next(r, &rec, err, sizeof err), 0);
	CHECK_EQ(trace_next(r, &rec, err, sizeof err), 0);
	trace_close(r);
}

static void numbers_at_the_limits(void)
{
	trace_record rec;
	CHECK_EQ(first(HDR "0 r 0x00000000000000000000001\n", &rec), 1);
	CHECK_EQ(rec.addr, 1);
	CHECK_EQ(first(HDR "0 r 0000000000000000000000018446744073709551615\n", &rec), 1);
	CHECK_EQ(rec.addr, UINT64_MAX);
	CHECK_EQ(first(HDR "0 r 0XaBcDeF 0x1000\n", &rec), 1);
	CHECK_EQ(rec.addr, 0xabcdef);
	CHECK_EQ(rec.size, 4096);
	CHECK_EQ(first(HDR "0 r 0 08\n", &rec), 1);
	CHECK_EQ(rec.size, 8);
	CHECK_EQ(first(HDR "0 tick 0\n", &rec), 1);
	CHECK_EQ(rec.size, 0);
	CHECK_EQ(first(HDR "0 switch 4194304\n", &rec), 1);
	CHECK_EQ(rec.pid, TRACE_MAX_PID);
	CHECK_EQ(first(HDR "0 mprotect 0xffffffffffffe000 0x1000 ---\n", &rec), 1);
	CHECK_EQ(rec.prot, 0);
	CHECK_EQ(first("mmtrace 1\ncpus 256\n255 x 1\n", &rec), 1);
	CHECK_EQ(rec.cpu, 255);
	CHECK_EQ(first("mmtrace 1\ncpus 256\n00255 x 1\n", &rec), 1);
	CHECK_EQ(rec.cpu, 255);
}

static void columns_of_every_field(void)
{
	trace_record rec;
	CHECK_EQ(first(HDR "0  mmap 0x1000 1 rw- shared giant\n", &rec), 1);
	CHECK_EQ(rec.flags, MAPF_SHARED | MAPF_GIANT);
	CHECK_EQ(rec.prot, PROT_R_ | PROT_W_);
	const uint32_t want[8] = { 1, 4, 9, 16, 18, 22, 29, 34 };
	for (int i = 0; i < 8; i++)
		CHECK_EQ(rec.col[i], want[i]);
	CHECK_EQ(first(HDR "  kthread 7 kworker/0:1\n", &rec), 1);
	CHECK_EQ(rec.col[0], 3);
	CHECK_EQ(rec.col[1], 3);
	CHECK_EQ(rec.col[2], 11);
	CHECK_EQ(rec.col[3], 13);
	CHECK_EQ(first(HDR "3 switch 12\n", &rec), 1);
	CHECK_EQ(rec.col[2], 10);
	CHECK_EQ(first(HDR "3 fork 12\n", &rec), 1);
	CHECK_EQ(rec.col[2], 8);
}

static void long_lines(void)
{
	/* exactly TRACE_MAX_LINE characters is fine, with LF or CRLF; one more is not */
	static char text[2 * TRACE_MAX_LINE];
	static const char *ends[] = { "\n", "\r\n" };
	trace_record rec;
	for (int e = 0; e < 2; e++) {
		for (int extra = 0; extra < 2; extra++) {
			int n = snprintf(text, sizeof text, HDR "#");
			memset(text + n, 'x', TRACE_MAX_LINE - 1 + extra);
			n += TRACE_MAX_LINE - 1 + extra;
			n += snprintf(text + n, sizeof text - (size_t)n, "%s0 r 1\n", ends[e]);
			CHECK_EQ(first_n(text, (size_t)n, &rec), extra ? -1 : 1);
			if (extra)
				CHECK_STR(err, "t:3:4097: error: line longer than 4096 characters");
			else
				CHECK_EQ(rec.line, 4);
		}
	}
}

static void names_and_messages(void)
{
	CHECK_STR(rec_op_name(REC_MPROTECT), "mprotect");
	CHECK_STR(rec_op_name(REC_KX), "kx");
	CHECK_STR(rec_op_name(REC_KTHREAD), "kthread");
	CHECK_STR(rec_op_name(REC_OP_COUNT), "?");
	trace_reader *r = trace_open_mem("dir/x.trace", "", 0);
	CHECK_STR(trace_name(r), "dir/x.trace");
	trace_format_error(r, 12, 7, err, sizeof err, "unknown PID %u", 42u);
	CHECK_STR(err, "dir/x.trace:12:7: error: unknown PID 42");
	char small[16];
	trace_format_error(r, 12, 7, small, sizeof small, "unknown PID %u", 42u);
	CHECK_STR(small, "dir/x.trace:12:");
	trace_close(r);
	CHECK(trace_open("/nonexistent/dir/x.trace", err, sizeof err) == NULL);
	CHECK_STR(err, "cannot read /nonexistent/dir/x.trace: No such file or directory");
}

/* The streamed path (stdin, pipes) reads 1 MiB blocks: a child writes
 * text into a pipe that the reader opens as /dev/fd/N. */
struct piped {
	trace_reader *r;
	int fd;
	pid_t child;
};

static struct piped open_piped(const char *text, size_t len)
{
	struct piped p = { NULL, -1, -1 };
	int fds[2];
	if (pipe(fds))
		abort();
	p.child = fork();
	if (p.child == 0) {
		close(fds[0]);
		for (size_t off = 0; off < len;) {
			ssize_t n = write(fds[1], text + off, len - off);
			if (n <= 0)
				_exit(1);
			off += (size_t)n;
		}
		_exit(0);
	}
	close(fds[1]);
	p.fd = fds[0];
	char path[32];
	snprintf(path, sizeof path, "/dev/fd/%d", p.fd);
	p.r = trace_open(path, err, sizeof err);
	CHECK(p.r != NULL);
	return p;
}

static void close_piped(struct piped *p)
{
	trace_close(p->r);
	close(p->fd);   /* a writer still blocked gets SIGPIPE */
	waitpid(p->child, NULL, 0);
}

/* Reads everything; returns the last result, a digest of the records and
 * the message without the file name (the two paths name the input apart). */
static int read_all(trace_reader *r, uint64_t *digest, char *msg, size_t msglen)
{
	unsigned cpus = 0;
	trace_record rec = { 0 };   /* an access leaves pid and comm as they were */
	int rc = trace_read_header(r, &cpus, err, sizeof err);
	*digest = cpus;
	if (rc == 0)
		while ((rc = trace_next(r, &rec, err, sizeof err)) > 0)
			*digest = (*digest * 31 + rec.op) * 1000003 ^ rec.addr ^ rec.size * 7 ^ rec.line << 40 ^
			          rec.pid ^ rec.cpu << 20 ^ rec.col[2] << 8;
	snprintf(msg, msglen, "%s", rc < 0 ? strchr(err, ':') : "");
	return rc;
}

static void stream_agrees_with_memory(const char *text, size_t len)
{
	uint64_t dm, dp;
	char mm[640], mp[640];
	trace_reader *m = trace_open_mem("t", text, len);
	int km = read_all(m, &dm, mm, sizeof mm);
	trace_close(m);
	struct piped p = open_piped(text, len);
	int kp = read_all(p.r, &dp, mp, sizeof mp);
	close_piped(&p);
	CHECK_EQ(km, kp);
	CHECK_EQ(dm, dp);
	CHECK_STR(mm, mp);
}

static void pipe_reads_like_memory(void)
{
	signal(SIGPIPE, SIG_IGN);
	stream_agrees_with_memory(HDR "0 r 1\n3 mmap 0x1000 1 r-x populate\n", 32);
	stream_agrees_with_memory(HDR "0 r 1 # no newline at the end", 45);
	stream_agrees_with_memory(HDR "0 r 1\n0 q 1\n", 23);
	/* 3 MiB, lines straddling the block boundaries; an error at the very end */
	size_t n = 150000, cap = n * 40 + 64;
	char *text = malloc(cap), *t = text;
	t += sprintf(t, HDR);
	for (size_t i = 0; i < n; i++)
		t += sprintf(t, i % 7 ? "%zu r 0x%zx %zu\n" : "%zu\tw  0x%zx %zu # c\r\n", i % 4,
		             i * 4096 + 17, 1 + i % 64);
	stream_agrees_with_memory(text, (size_t)(t - text));
	t += sprintf(t, "0 r 0x\n");
	stream_agrees_with_memory(text, (size_t)(t - text));
	/* a 1 MiB line straddling the first block: an error, not a crash */
	memset(text + 1000000, '#', 1 << 20);
	text[1000000 + (1 << 20)] = '\n';
	stream_agrees_with_memory(text, 1000001 + (1 << 20));
	free(text);
}

/* A .mmtb built with the writer: bytes in a malloc'd buffer. */
struct bin { char *buf; size_t len; FILE *f; mmtb_writer w; };

static void bin_start(struct bin *b, unsigned cpus, const char *name)
{
	b->f = open_memstream(&b->buf, &b->len);
	mmtb_begin(&b->w, b->f, cpus, name);
}

/* Reads the whole binary trace; returns the last result, the records in
 * recs[] (up to 8), their count in *n. */
static int bin_read(struct bin *b, trace_record *recs, unsigned *n)
{
	fclose(b->f);
	trace_reader *r = trace_open_mem("t.mmtb", b->buf, b->len);
	unsigned cpus;
	int rc = trace_read_header(r, &cpus, err, sizeof err);
	*n = 0;
	trace_record rec;
	while (rc == 0 && (rc = trace_next(r, &rec, err, sizeof err)) > 0) {
		if (*n < 8)
			recs[*n] = rec;
		(*n)++;
		rc = 0;
	}
	CHECK(trace_is_binary(r) || rc < 0);
	trace_close(r);
	free(b->buf);
	return rc;
}

/* mmusim --pack keeps a line as a 16-byte access record only when the
 * record's canonical text is the line; any other layout (two spaces, a
 * tab, a comment, a trailing space) stays text, so reading the .mmtb gives
 * the same records with the same columns.  "0 r  1" (ADDR after two
 * spaces) once packed as an access of an empty address, which the reader
 * then refused as damaged (found by scripts/fuzz --long, fuzz_mmtb). */
static void packing_keeps_odd_layouts_as_text(void)
{
	static const char text[] = "mmtrace 1\ncpus 2\nkthread 5 k\n0 switch 5\n"
	                           "0 r  1\n0 r 1\n0  r 1\n0 r 0x10  8\n0 r 1 \n0 r\t1\n"
	                           "0 r 0x10 8\n0 w 0x10#c\n1 kx 77 4096\n0 r 1  \n";
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	trace_reader *r = trace_open_mem("odd.trace", text, sizeof text - 1);
	CHECK_EQ(mmtb_pack_reader(r, f, err, sizeof err), FAIL_NONE);
	trace_close(r);
	fclose(f);
	trace_reader *t = trace_open_mem("odd.trace", text, sizeof text - 1);
	trace_reader *b = trace_open_mem("odd.mmtb", buf, len);
	unsigned cpus_t, cpus_b, n = 0;
	CHECK_EQ(trace_read_header(t, &cpus_t, err, sizeof err), 0);
	CHECK_EQ(trace_read_header(b, &cpus_b, err, sizeof err), 0);
	CHECK(trace_is_binary(b));
	trace_record rt, rb;
	int gt, gb;
	while ((gt = trace_next(t, &rt, err, sizeof err)) > 0) {
		gb = trace_next(b, &rb, err, sizeof err);
		CHECK_EQ(gb, 1);
		if (gb != 1)
			break;
		CHECK_EQ(rb.op, rt.op);
		CHECK_EQ(rb.line, rt.line);
		if (rt.op >= REC_R && rt.op <= REC_KX) {
			CHECK_EQ(rb.addr, rt.addr);
			CHECK_EQ(rb.size, rt.size);
		}
		for (unsigned c = 0; c < 5; c++)
			CHECK_EQ(rb.col[c], rt.col[c]);
		n++;
	}
	CHECK_EQ(gt, 0);
	CHECK_EQ(trace_next(b, &rb, err, sizeof err), 0);
	CHECK_EQ(n, 12);      /* kthread, switch and the ten accesses */
	trace_close(t);
	trace_close(b);
	free(buf);
}

/* A .mmtb access record carries no columns: the reader derives them from
 * the fields when asked (trace_access_columns, trace_access_record) as
 * the columns of the canonical line.  Every operation, CPU numbers of one
 * to three digits, SIZE absent, explicit 1 and of two to four digits,
 * ADDR in hex and decimal: the columns, through trace_next and through
 * the batch reader, are those of the text. */
static void packed_columns_are_the_texts(void)
{
	static const char *const ops[] = { "r", "w", "x", "kr", "kw", "kx" };
	static const char *const cpus[] = { "0", "9", "10", "99", "100", "255" };
	static const char *const tails[] = { "", " 1", " 8", " 10", " 999", " 4096" };
	char text[16384];
	size_t len = (size_t)snprintf(text, sizeof text, "mmtrace 1\ncpus 256\nkthread 5 k\n");
	for (unsigned c = 0; c < 6; c++)
		len += (size_t)snprintf(text + len, sizeof text - len, "%s switch 5\n", cpus[c]);
	unsigned accesses = 0;
	for (unsigned o = 0; o < 6; o++)
		for (unsigned c = 0; c < 6; c++)
			for (unsigned t = 0; t < 6; t++, accesses++)
				len += (size_t)snprintf(text + len, sizeof text - len, "%s %s %s%s\n", cpus[c], ops[o],
				                        (o + c + t) % 2 ? "0xffff888000001000" : "4096", tails[t]);
	CHECK(len < sizeof text - 1);
	char *buf;
	size_t blen;
	FILE *f = open_memstream(&buf, &blen);
	trace_reader *r = trace_open_mem("cols.trace", text, len);
	CHECK_EQ(mmtb_pack_reader(r, f, err, sizeof err), FAIL_NONE);
	trace_close(r);
	fclose(f);
	for (int batch = 0; batch < 2; batch++) {
		trace_reader *t = trace_open_mem("cols.trace", text, len);
		trace_reader *b = trace_open_mem("cols.mmtb", buf, blen);
		unsigned cpus_t, cpus_b, n = 0;
		CHECK_EQ(trace_read_header(t, &cpus_t, err, sizeof err), 0);
		CHECK_EQ(trace_read_header(b, &cpus_b, err, sizeof err), 0);
		trace_record rt, rb;
		while (trace_next(t, &rt, err, sizeof err) > 0) {
			if (rt.op < REC_R || rt.op > REC_KX) {
				CHECK_EQ(trace_next(b, &rb, err, sizeof err), 1);
				continue;
			}
			if (batch) {
				trace_access a;
				unsigned col[4];
				CHECK_EQ(trace_next_accesses(b, &a, 1), 1);
				trace_access_columns(&a, col);
				for (unsigned i = 0; i < 4; i++)
					CHECK_EQ(col[i], rt.col[i + 1]);
				trace_access_record(&a, &rb);
			} else
				CHECK_EQ(trace_next(b, &rb, err, sizeof err), 1);
			CHECK_EQ(rb.line, rt.line);
			CHECK_EQ(rb.size, rt.size);
			for (unsigned i = 0; i < 8; i++)
				CHECK_EQ(rb.col[i], rt.col[i]);
			n++;
		}
		CHECK_EQ(n, accesses);
		trace_close(t);
		trace_close(b);
	}
	free(buf);
}

static void binary_form_reads_back(void)
{
	struct bin b;
	trace_record recs[8];
	unsigned n;
	bin_start(&b, 2, "orig.trace");
	mmtb_access(&b.w, 3, REC_W, 1, 0x1000, 8, 6, true);        /* "1 w 0x1000 8" */
	mmtb_text(&b.w, 4, "proc 5 x # declared", 19);
	mmtb_access(&b.w, 70000, REC_KX, 0, 123, 1, 3, false);     /* "0 kx 123", a blank record first */
	mmtb_end(&b.w);
	CHECK_EQ(bin_read(&b, recs, &n), 0);
	CHECK_EQ(n, 3);
	CHECK_EQ(recs[0].op, REC_W);
	CHECK_EQ(recs[0].cpu, 1);
	CHECK_EQ(recs[0].addr, 0x1000);
	CHECK_EQ(recs[0].size, 8);
	CHECK_EQ(recs[0].line, 3);
	CHECK_EQ(recs[0].col[1], 3);
	CHECK_EQ(recs[0].col[2], 5);
	CHECK_EQ(recs[0].col[3], 12);
	CHECK_EQ(recs[0].col[4], 13);
	CHECK_EQ(recs[1].op, REC_PROC);
	CHECK_EQ(recs[1].pid, 5);
	CHECK_EQ(recs[1].line, 4);
	CHECK_EQ(recs[2].op, REC_KX);
	CHECK_EQ(recs[2].addr, 123);
	CHECK_EQ(recs[2].size, 1);
	CHECK_EQ(recs[2].line, 70000);
	CHECK_EQ(recs[2].col[2], 6);
	CHECK_EQ(recs[2].col[3], 9);
	/* a text record's error names the original's line and column */
	bin_start(&b, 2, "orig.trace");
	mmtb_text(&b.w, 9, "0 r 0xzz", 8);
	mmtb_end(&b.w);
	CHECK_EQ(bin_read(&b, recs, &n), -1);
	CHECK_STR(err, "orig.trace:9:7: error: bad hexadecimal ADDR '0xzz'");
	/* no name: messages name the .mmtb itself */
	bin_start(&b, 1, "");
	mmtb_text(&b.w, 3, "0 q", 3);
	mmtb_end(&b.w);
	CHECK_EQ(bin_read(&b, recs, &n), -1);
	CHECK_STR(err, "t.mmtb:3:3: error: unknown operation 'q'");
}

static void damaged_binary_form_is_refused(void)
{
	struct bin b;
	trace_record recs[8];
	unsigned n;
	/* cut short: no end record (header 24 bytes, one access record) */
	bin_start(&b, 1, "o");
	mmtb_access(&b.w, 3, REC_R, 0, 1, 1, 1, false);
	CHECK_EQ(bin_read(&b, recs, &n), -1);
	CHECK_EQ(n, 1);
	CHECK_STR(err, "t.mmtb: error: byte 40: the .mmtb ends without its end record (cut short?)");
	/* the end record's count */
	bin_start(&b, 1, "o");
	mmtb_access(&b.w, 3, REC_R, 0, 1, 1, 1, false);
	b.w.records = 5;
	mmtb_end(&b.w);
	CHECK_EQ(bin_read(&b, recs, &n), -1);
	CHECK_STR(err, "t.mmtb: error: byte 40: the end record counts 5 records, the file holds 1");
	/* bytes after the end */
	bin_start(&b, 1, "o");
	mmtb_end(&b.w);
	fputc(0, b.f);
	CHECK_EQ(bin_read(&b, recs, &n), -1);
	CHECK_STR(err, "t.mmtb: error: byte 40: data after the end record");
	/* an access on a CPU the trace does not have */
	bin_start(&b, 2, "o");
	mmtb_access(&b.w, 3, REC_R, 2, 1, 1, 1, false);
	mmtb_end(&b.w);
	CHECK_EQ(bin_read(&b, recs, &n), -1);
	CHECK_STR(err, "t.mmtb: error: byte 24: a damaged access record");
	/* SIZE 0 */
	bin_start(&b, 2, "o");
	mmtb_access(&b.w, 3, REC_R, 0, 1, 0, 1, true);
	mmtb_end(&b.w);
	CHECK_EQ(bin_read(&b, recs, &n), -1);
	CHECK_STR(err, "t.mmtb: error: byte 24: a damaged access record");
	/* an unknown kind of record */
	bin_start(&b, 1, "o");
	fputc(0x42, b.f);
	for (int i = 0; i < 15; i++)
		fputc(0, b.f);
	CHECK_EQ(bin_read(&b, recs, &n), -1);
	CHECK_STR(err, "t.mmtb: error: byte 24: unknown record kind 0x42");
	/* another version */
	bin_start(&b, 1, "o");
	mmtb_end(&b.w);
	fflush(b.f);
	b.buf[8] = 2;
	CHECK_EQ(bin_read(&b, recs, &n), -1);
	CHECK_STR(err, "t.mmtb: error: byte 0: unsupported .mmtb version 2 (this reader knows 1)");
	/* the header alone, cut short */
	bin_start(&b, 1, "o");
	fclose(b.f);
	b.len = 12;
	trace_reader *r = trace_open_mem("t.mmtb", b.buf, b.len);
	unsigned cpus;
	CHECK_EQ(trace_read_header(r, &cpus, err, sizeof err), -1);
	CHECK_STR(err, "t.mmtb: error: byte 0: the .mmtb header is cut short");
	trace_close(r);
	free(b.buf);
}

int main(void)
{
	RUN(accesses_parse_fields_and_columns);
	RUN(every_record_kind);
	RUN(extension_records);
	RUN(errors_name_line_and_column);
	RUN(fast_path_agrees_with_general_path);
	RUN(wide_parser_agrees_with_bytewise);
	RUN(streams_beyond_one_block);
	RUN(record_errors_exact);
	RUN(header_errors_exact);
	RUN(nul_byte_is_an_error);
	RUN(layout_is_free);
	RUN(numbers_at_the_limits);
	RUN(columns_of_every_field);
	RUN(long_lines);
	RUN(names_and_messages);
	RUN(pipe_reads_like_memory);
	RUN(binary_form_reads_back);
	RUN(packing_keeps_odd_layouts_as_text);
	RUN(packed_columns_are_the_texts);
	RUN(damaged_binary_form_is_refused);
	return check_report();
}
