/* base/mmtb.c - writing the binary trace format (base/mmtb.h) and
 * mmusim --pack.  Reading it is the trace reader's (base/trace.c). */
/* mkstemp, fileno, fsync: POSIX beyond C11 */
#define _DEFAULT_SOURCE
#include "base/mmtb.h"
#include "base/output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void put16(unsigned char *p, unsigned v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static void put32(unsigned char *p, uint32_t v) { put16(p, v & 0xffff); put16(p + 2, v >> 16); }
static void put64(unsigned char *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

static unsigned utoa(char *buf, uint64_t v)
{
	char tmp[24];
	unsigned n = 0;
	do
		tmp[n++] = (char)('0' + v % 10);
	while (v /= 10);
	for (unsigned i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

bool mmtb_canonical_access(const trace_record *rec, const char *line, size_t len,
                           unsigned *addr_len, bool *has_size)
{
	if (rec->op < REC_R || rec->op > REC_KX || rec->timed || !line)
		return false;
	char want[32];
	unsigned n = utoa(want, rec->cpu);
	want[n++] = ' ';
	const char *op = rec_op_name(rec->op);
	size_t oplen = strlen(op);
	memcpy(want + n, op, oplen);
	n += (unsigned)oplen;
	want[n++] = ' ';
	if (len <= n || memcmp(line, want, n) != 0)
		return false;
	const char *a = line + n, *end = line + len, *p = a;
	/* the reader took ADDR as a number: letters and digits, no # or tab */
	while (p < end && *p != ' ') {
		unsigned c = (unsigned char)*p++;
		if (!((c - '0' < 10) || ((c | 0x20) - 'a' < 26)))
			return false;
	}
	/* ADDR right after the one space: "0 r  1" has two, and its text
	 * stays text (an empty ADDR is a damaged record to the reader) */
	if (p == a || p - a > MMTB_MAX_ADDR_LEN)
		return false;
	*addr_len = (unsigned)(p - a);
	*has_size = p < end;
	if (!*has_size)
		return rec->size == 1;
	char size[8];
	unsigned sn = utoa(size, rec->size);
	return (size_t)(end - p) == sn + 1 && memcmp(p + 1, size, sn) == 0;
}

static void put_skip(mmtb_writer *w, uint64_t line, unsigned char *skip_field)
{
	/* lines between the last record and this one; long runs go in blank records */
	uint64_t skip = line - w->line - 1;
	while (skip > 0xffff) {
		uint64_t k = skip - 0xffff > UINT32_MAX ? UINT32_MAX : skip - 0xffff;
		unsigned char b[8] = { MMTB_BLANK };
		put32(b + 4, (uint32_t)k);
		fwrite(b, 1, sizeof b, w->f);
		skip -= k;
	}
	put16(skip_field, (unsigned)skip);
	w->line = line;
	w->records++;
}

void mmtb_begin(mmtb_writer *w, FILE *f, unsigned cpus, const char *name)
{
	w->f = f;
	w->line = 0;
	w->records = 0;
	size_t n = strlen(name);
	if (n > 255)
		n = 255;
	unsigned char h[16 + 256 + 8] = { 0 };
	memcpy(h, MMTB_MAGIC, MMTB_MAGIC_LEN);
	put16(h + 8, MMTB_VERSION);
	put16(h + 10, cpus);
	put16(h + 12, (unsigned)n);
	memcpy(h + 16, name, n);
	fwrite(h, 1, (16 + n + 7) & ~(size_t)7, f);
}

void mmtb_access(mmtb_writer *w, uint64_t line, enum rec_op op, unsigned cpu, uint64_t addr,
                 unsigned size, unsigned addr_len, bool has_size)
{
	unsigned char b[16] = { (unsigned char)(op - REC_R + 1), (unsigned char)cpu,
	                        (unsigned char)(addr_len | (has_size ? MMTB_HAS_SIZE : 0)) };
	put_skip(w, line, b + 6);
	put16(b + 4, size);
	put64(b + 8, addr);
	fwrite(b, 1, sizeof b, w->f);
}

void mmtb_text(mmtb_writer *w, uint64_t line, const char *text, size_t len)
{
	unsigned char b[8] = { MMTB_TEXT };
	static const unsigned char zeros[8];
	put_skip(w, line, b + 6);
	put16(b + 4, (unsigned)len);
	fwrite(b, 1, sizeof b, w->f);
	fwrite(text, 1, len, w->f);
	fwrite(zeros, 1, (8 - len % 8) % 8, w->f);
}

void mmtb_end(mmtb_writer *w)
{
	unsigned char b[16] = { MMTB_END };
	put64(b + 8, w->records);
	fwrite(b, 1, sizeof b, w->f);
}

/* Reads all of r into w: 0, or -1 with the reader's message in err. */
static int pack_records(trace_reader *r, mmtb_writer *w, char *err, size_t errlen)
{
	static trace_access batch[256];
	trace_record rec;
	for (;;) {
		unsigned n = trace_next_accesses(r, batch, 256);
		for (unsigned i = 0; i < n; i++) {
			const trace_access *a = &batch[i];
			unsigned col[4];
			trace_access_columns(a, col);
			bool has_size = col[2] != col[3];
			unsigned addr_len = (has_size ? col[2] - 1u : col[3]) - col[1];
			mmtb_access(w, a->line, (enum rec_op)a->op, a->cpu, a->addr, a->size, addr_len, has_size);
		}
		if (n)
			continue;
		int got = trace_next(r, &rec, err, errlen);
		if (got <= 0)
			return got;
		size_t len;
		const char *line = trace_last_line(r, &len);
		unsigned addr_len;
		bool has_size;
		if (mmtb_canonical_access(&rec, line, len, &addr_len, &has_size))
			mmtb_access(w, rec.line, rec.op, rec.cpu, rec.addr, (unsigned)rec.size, addr_len, has_size);
		else if (line)
			mmtb_text(w, rec.line, line, len);
		else {
			snprintf(err, errlen, "%s:%llu: internal error: a record without its text",
			         trace_name(r), (unsigned long long)rec.line);
			return -2;
		}
	}
}

enum failure mmtb_pack_reader(trace_reader *r, FILE *f, char *err, size_t errlen)
{
	unsigned cpus;
	int rc = trace_read_header(r, &cpus, err, errlen);
	mmtb_writer w;
	if (rc == 0) {
		mmtb_begin(&w, f, cpus, trace_name(r));
		rc = pack_records(r, &w, err, errlen);
	}
	if (rc)
		return rc == -2 ? FAIL_INTERNAL : trace_io_error(r) ? FAIL_INPUT : FAIL_TRACE;
	mmtb_end(&w);
	return FAIL_NONE;
}

enum failure mmtb_pack(const char *out, const char *in, char *err, size_t errlen)
{
	/* the output is checked (not the input, not a device) and its temp
	 * file made before anything is read (base/output.h) */
	char msg[640];
	const char *inputs[] = { in, NULL };
	output *o = output_open(out, inputs, msg, sizeof msg);
	if (!o) {
		snprintf(err, errlen, "%s", msg);
		return FAIL_INPUT;
	}
	trace_reader *r = trace_open(in, msg, sizeof msg);
	if (!r) {
		output_abandon(o);
		snprintf(err, errlen, "%s", msg);
		return FAIL_INPUT;
	}
	enum failure rc = mmtb_pack_reader(r, output_stream(o), err, errlen);
	trace_close(r);
	if (rc) {
		output_abandon(o);
		return rc;
	}
	if (output_commit(o, msg, sizeof msg)) {
		snprintf(err, errlen, "%s", msg);
		return FAIL_INPUT;
	}
	return FAIL_NONE;
}
