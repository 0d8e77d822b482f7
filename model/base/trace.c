/* base/trace.c - streaming reader of mmtrace v1.
 *
 * Files, pipes and standard input alike are read in 256 KiB blocks into
 * one buffer, which stays in the host's L2 cache; a buffer given by the
 * caller (trace_open_mem) is parsed in place.  Reading a block costs a
 * copy from the page cache, about 2 ns per line, where mapping the file
 * cost 7 ns per line in page faults.  Lines are never modified: fields
 * are (pointer, length) pairs, tokenised by hand and numbers parsed
 * without the C library.  This file holds the rules: one tokenizer and
 * one parser per record kind, byte by byte.  The one speed device, the
 * fast lane for canonical access lines ("3 r 0x7f00001234a0 8", SSE2), is
 * base/trace_lane.c, chosen in one place (trace_next_accesses), and
 * accepts nothing the rules would read differently; a line it declines
 * takes the rules.  The binary form (base/mmtb.h) is decoded at the end
 * of this file.  Every error names the line and the column of the
 * offending field.
 */
#define _POSIX_C_SOURCE 200809L   /* fileno, fstat */
#include "base/trace.h"
#include "base/mmtb.h"
#include "base/output.h"
#include "base/trace_lane.h"
#include "base/zsource.h"

#include <stdatomic.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK (1u << 18)
#define MAX_FIELDS 16

struct trace_reader {
	FILE *f;
	bool own;
	const char *mem;          /* the caller's buffer, parsed in place */
	size_t mem_len;
	char *buf;                /* BLOCK + TRACE_MAX_LINE + 1 */
	unsigned wide_need;       /* TRACE_LANE_NEED, or more than any input: tests */
	size_t pos, end;
	bool eof;
	int io_errno;             /* a read failed: the trace cannot be read to its end */
	char io_msg[160];         /* what failed, when not strerror(io_errno): the decompressor */
	/* a compressed input (base/zsource.h): told by the first block's
	 * magic number; then r->eof is the decoded text's end, raw_eof the
	 * file's */
	bool probed, raw_eof;
	zsource *z;
	_Atomic uint64_t raw_bytes;  /* bytes read from the file or stream (read by other threads: progress) */
	uint64_t line;
	unsigned cpus;
	char name[256];
	/* the binary form (base/mmtb.h): records read, bytes dropped from the
	 * buffer's front (for the byte offsets of its errors), the file's own
	 * name */
	bool bin;
	uint64_t bin_records, dropped;
	char file[256];
	/* the text of the last record trace_next returned (trace_last_line) */
	const char *last_line;
	size_t last_len;
	/* the current line's fields */
	const char *field[MAX_FIELDS];
	uint32_t flen[MAX_FIELDS], fcol[MAX_FIELDS];
	unsigned nfields;
};

static const char *const op_names[REC_OP_COUNT] = {
	[REC_NONE] = "?", [REC_PROC] = "proc", [REC_KTHREAD] = "kthread",
	[REC_SWITCH] = "switch", [REC_R] = "r", [REC_W] = "w", [REC_X] = "x",
	[REC_KR] = "kr", [REC_KW] = "kw", [REC_KX] = "kx", [REC_SYSCALL] = "syscall",
	[REC_TICK] = "tick", [REC_MMAP] = "mmap", [REC_MUNMAP] = "munmap",
	[REC_MPROTECT] = "mprotect", [REC_FORK] = "fork", [REC_VFORK] = "vfork",
	[REC_CLONE] = "clone", [REC_EXEC] = "exec", [REC_EXIT] = "exit",
	[REC_MADVISE] = "madvise", [REC_MREMAP] = "mremap", [REC_PREEMPTED] = "preempted", [REC_BRK] = "brk", [REC_THREAD] = "thread",
	[REC_VMA] = "vma", [REC_PRESENT] = "present", [REC_CPUMASK] = "cpumask", [REC_NEXT_TRIM] = "next_trim",
	[REC_LAYOUT] = "layout", [REC_VMAP] = "vmap", [REC_VUNMAP] = "vunmap", [REC_KFLUSH] = "kflush",
	[REC_ROI] = "roi",
};

const char *rec_op_name(enum rec_op op)
{
	return op < REC_OP_COUNT ? op_names[op] : "?";
}

const char *trace_name(const trace_reader *r) { return r->name; }
int trace_io_error(const trace_reader *r) { return r->io_errno; }
uint64_t trace_bytes_read(const trace_reader *r)
{
	return atomic_load_explicit(&r->raw_bytes, memory_order_relaxed);
}
bool trace_file_size(const trace_reader *r, uint64_t *size)
{
	struct stat st;
	if (!r->f || fileno(r->f) < 0 || fstat(fileno(r->f), &st) || !S_ISREG(st.st_mode))
		return false;
	*size = (uint64_t)st.st_size;
	return true;
}

/* STREAM: a reader of a file or pipe, which reads blocks into its buffer;
 * an in-memory reader parses its bytes in place and needs none. */
static trace_reader *alloc_reader(const char *name, bool stream)
{
	trace_reader *r = calloc(1, sizeof *r);
	if (!r)
		output_out_of_memory();
	if (stream && !(r->buf = malloc(BLOCK + TRACE_MAX_LINE + 2)))
		output_out_of_memory();
	snprintf(r->name, sizeof r->name, "%s", name);
	snprintf(r->file, sizeof r->file, "%s", name);
	r->wide_need = TRACE_LANE_NEED;
	return r;
}

trace_reader *trace_open(const char *path, char *err, size_t errlen)
{
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	int e = f ? 0 : errno;
	struct stat st;
	if (f && fstat(fileno(f), &st) != 0)
		e = errno;        /* a closed standard input: EBADF */
	else if (f && S_ISDIR(st.st_mode))
		e = EISDIR;       /* fopen opens a directory; only reading it fails */
	if (e) {
		snprintf(err, errlen, "cannot read %s: %s", is_stdin ? "standard input" : path, strerror(e));
		if (f && !is_stdin)
			fclose(f);
		return NULL;
	}
	trace_reader *r = alloc_reader(strcmp(path, "-") == 0 ? "<stdin>" : path, true);
	r->f = f;
	r->own = f != stdin;
	/* blocks are read straight into buf (refill): stdio's own buffer
	 * would be a second copy */
	setvbuf(f, NULL, _IONBF, 0);
	return r;
}

trace_reader *trace_open_stream(FILE *f, const char *name)
{
	trace_reader *r = alloc_reader(name, true);
	r->f = f;
	r->own = true;
	return r;
}

trace_reader *trace_open_mem(const char *name, const char *buf, size_t len)
{
	trace_reader *r = alloc_reader(name, false);
	r->mem = buf;
	r->mem_len = len;
	return r;
}

void trace_close(trace_reader *r)
{
	if (!r)
		return;
	if (r->own)
		fclose(r->f);
	zs_free(r->z);
	free(r->buf);
	free(r);
}

void trace_format_error(const trace_reader *r, uint64_t line, uint32_t col,
                        char *err, size_t errlen, const char *fmt, ...)
{
	int n = snprintf(err, errlen, "%s:%llu:%u: error: ", r->name, (unsigned long long)line,
	                 col ? col : 1);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

#define FAIL(col, ...) \
	(trace_format_error(r, r->line, (col), err, errlen, __VA_ARGS__), -1)

/* Reads up to room bytes of the file or stream at dst, until room is
 * full or the end: their count.  A read error is not the end of the
 * trace (the whole lines before it still count, next_line reports it):
 * it sets io_errno; either sets *ended. */
static size_t raw_read(trace_reader *r, unsigned char *dst, size_t room, bool *ended)
{
	size_t n = 0;
	if (fileno(r->f) < 0) {   /* a stream without a descriptor (trace_open_stream) */
		errno = 0;
		n = fread(dst, 1, room, r->f);
		if (ferror(r->f))
			r->io_errno = errno ? errno : EIO;
		if (n < room)
			*ended = true;
		r->raw_bytes += n;
		return n;
	}
	/* read(2) itself, as fread would */
	while (n < room) {
		ssize_t got = read(fileno(r->f), dst + n, room - n);
		if (got > 0) {
			n += (size_t)got;
		} else if (got == 0 || errno != EINTR) {
			*ended = true;
			if (got < 0)
				r->io_errno = errno;
			break;
		}
	}
	r->raw_bytes += n;
	return n;
}

/* A failure of the input that is not a read(2) error: exit status 66 like
 * one (docs/trace-format.md, "Compressed traces"). */
static void input_failed(trace_reader *r, const char *msg)
{
	r->io_errno = EIO;
	snprintf(r->io_msg, sizeof r->io_msg, "%s", msg);
	r->eof = true;
}

/* What went wrong with the input, for messages. */
static const char *io_text(const trace_reader *r, char *buf, size_t len)
{
	if (r->io_msg[0])
		return r->io_msg;
	snprintf(buf, len, "read error: %s", strerror(r->io_errno));
	return buf;
}

/* Decodes up to room bytes of a compressed input at dst. */
static size_t decoded_read(trace_reader *r, char *dst, size_t room)
{
	size_t n = 0;
	char msg[160];
	while (n < room && !r->eof) {
		if (zs_in_empty(r->z) && !r->raw_eof) {
			size_t space;
			unsigned char *in = zs_in_space(r->z, &space);
			zs_in_commit(r->z, raw_read(r, in, space, &r->raw_eof));
		}
		/* after a read error, the text decoded from what came before it
		 * still counts; the error is not the end of the compressed data */
		if (r->io_errno && zs_in_empty(r->z)) {
			r->eof = true;
			break;
		}
		size_t got;
		int rc = zs_decode(r->z, dst + n, room - n, &got, r->raw_eof && !r->io_errno, msg,
		                   sizeof msg);
		n += got;
		if (rc < 0)
			input_failed(r, msg);
		else if (rc > 0)
			r->eof = true;
		else if (got == 0 && r->io_errno)
			r->eof = true;
	}
	return n;
}

/* The first block: a compressed input's magic number starts its decoder,
 * which takes the block as its first input. */
static void probe(trace_reader *r)
{
	r->probed = true;
	enum zs_format f = zs_detect((const unsigned char *)r->buf, r->end);
	if (f == ZS_NONE)
		return;
	char msg[160];
	if (!zs_supported(f)) {
		snprintf(msg, sizeof msg, "the trace is %s-compressed, and this mmusim was built without "
		         "%s support (decompress it first, or rebuild with the library: scripts/setup)",
		         zs_format_name(f), zs_format_name(f));
		r->end = 0;
		input_failed(r, msg);
		return;
	}
	r->z = zs_new(f, BLOCK + TRACE_MAX_LINE + 1);
	if (!r->z)
		output_out_of_memory();
	size_t space;
	unsigned char *in = zs_in_space(r->z, &space);
	memcpy(in, r->buf, r->end);
	zs_in_commit(r->z, r->end);
	r->raw_eof = r->eof;
	r->eof = false;
	r->end = decoded_read(r, r->buf, BLOCK + TRACE_MAX_LINE + 1);
}

/* Refills the buffer, keeping the unread tail.  Returns bytes added. */
static size_t refill(trace_reader *r)
{
	if (r->eof)
		return 0;
	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->end - r->pos);
		r->dropped += r->pos;
		r->end -= r->pos;
		r->pos = 0;
	}
	size_t room = BLOCK + TRACE_MAX_LINE + 1 - r->end;
	if (r->z) {
		size_t n = decoded_read(r, r->buf + r->end, room);
		r->end += n;
		return n;
	}
	size_t before = r->end;
	r->end += raw_read(r, (unsigned char *)r->buf + r->end, room, &r->eof);
	if (!r->probed)
		probe(r);
	return r->end > before ? r->end - before : 0;
}

/* Takes the line at start (avail bytes, the LF at nl or none). */
static int take_line(trace_reader *r, const char *start, size_t avail, const char *nl,
                     const char **line, size_t *len, char *err, size_t errlen)
{
	size_t n = nl ? (size_t)(nl - start) : avail;
	r->line++;
	r->pos += n + (nl ? 1 : 0);
	/* the CR of a CRLF is not part of the line: the limit is the same for both */
	if (n && start[n - 1] == '\r')
		n--;
	if (n > TRACE_MAX_LINE)
		return FAIL(TRACE_MAX_LINE + 1, "line longer than %u characters", TRACE_MAX_LINE);
	*line = r->last_line = start;
	*len = r->last_len = n;
	return 1;
}

/* Next line (without its LF, nor a CR before it): 1, 0 at the end, -1. */
static int next_line(trace_reader *r, const char **line, size_t *len, char *err, size_t errlen)
{
	if (r->mem) {
		if (r->pos >= r->mem_len)
			return 0;
		const char *start = r->mem + r->pos;
		size_t avail = r->mem_len - r->pos;
		return take_line(r, start, avail, memchr(start, '\n', avail), line, len, err, errlen);
	}
	for (;;) {
		const char *start = r->buf + r->pos;
		size_t avail = r->end - r->pos;
		const char *nl = memchr(start, '\n', avail);
		if (!nl && r->io_errno) {
			char buf[96];
			trace_format_error(r, r->line + 1, 1, err, errlen, "%s", io_text(r, buf, sizeof buf));
			return -1;
		}
		if (nl || (r->eof && avail))
			return take_line(r, start, avail, nl, line, len, err, errlen);
		if (r->eof)
			return 0;
		/* a full-length line may still wait for the LF after its CR */
		if (avail > TRACE_MAX_LINE + 1) {
			r->line++;
			return FAIL(TRACE_MAX_LINE + 1, "line longer than %u characters", TRACE_MAX_LINE);
		}
		refill(r);
	}
}

/* Splits a line into fields; stops at '#'.  Rejects control and
 * non-ASCII bytes (a CR is allowed only before the LF). */
static int split(trace_reader *r, const char *s, size_t len, char *err, size_t errlen)
{
	r->nfields = 0;
	size_t i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\t') {
			i++;
			continue;
		}
		if (c == '#')
			break;
		size_t j = i;
		while (j < len) {
			c = (unsigned char)s[j];
			if (c == ' ' || c == '\t' || c == '#')
				break;
			if (c < 0x20 || c >= 0x7f)
				return FAIL((uint32_t)j + 1, c == 0 ? "NUL byte in the trace (is it a text file?)"
				                                    : "character 0x%02x is not printable ASCII", c);
			j++;
		}
		if (r->nfields == MAX_FIELDS)
			return FAIL((uint32_t)i + 1, "too many fields");
		r->field[r->nfields] = s + i;
		r->flen[r->nfields] = (uint32_t)(j - i);
		r->fcol[r->nfields] = (uint32_t)i + 1;
		r->nfields++;
		i = j;
	}
	/* control characters inside a comment are errors too */
	for (; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c >= 0x7f)
			return FAIL((uint32_t)i + 1, c == 0 ? "NUL byte in the trace (is it a text file?)"
			                                    : "character 0x%02x is not printable ASCII", c);
	}
	return 0;
}

static bool field_is(const trace_reader *r, unsigned i, const char *word)
{
	size_t n = strlen(word);
	return r->flen[i] == n && memcmp(r->field[i], word, n) == 0;
}

/* Decimal or 0x hex, unsigned, at most 64 bits.  A bad character is
 * reported before an overflow, at its own column; leading zeros are
 * fine however many (the value must fit, not the spelling). */
static int number(trace_reader *r, unsigned i, const char *what, uint64_t *out,
                  char *err, size_t errlen)
{
	const char *s = r->field[i];
	uint32_t n = r->flen[i];
	uint64_t v = 0;
	bool overflow = false;
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		for (uint32_t k = 2; k < n; k++) {
			unsigned c = (unsigned char)s[k], d;
			if (c - '0' < 10)
				d = c - '0';
			else if ((c | 0x20) - 'a' < 6)
				d = (c | 0x20) - 'a' + 10;
			else
				return FAIL(r->fcol[i] + k, "bad hexadecimal %s '%.*s'", what, (int)n, s);
			overflow |= v >> 60 != 0;
			v = v << 4 | d;
		}
	} else {
		for (uint32_t k = 0; k < n; k++) {
			unsigned d = (unsigned char)s[k] - '0';
			if (d > 9)
				return FAIL(r->fcol[i] + k, "expected %s as a decimal or 0x hexadecimal number, "
				            "got '%.*s'", what, (int)n, s);
			overflow |= v > (UINT64_MAX - d) / 10;
			v = v * 10 + d;
		}
	}
	if (overflow)
		return FAIL(r->fcol[i], "%s '%.*s' does not fit in 64 bits", what, (int)n, s);
	*out = v;
	return 0;
}

static int comm(trace_reader *r, unsigned i, char *out, char *err, size_t errlen)
{
	uint32_t n = r->flen[i];
	if (n > TRACE_COMM_MAX)
		return FAIL(r->fcol[i], "name '%.*s' is longer than %u characters", (int)n, r->field[i],
		            TRACE_COMM_MAX);
	for (uint32_t k = 0; k < n; k++) {
		char c = r->field[i][k];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		          c == '_' || c == '.' || c == '/' || c == ':' || c == '-';
		if (!ok)
			return FAIL(r->fcol[i] + k, "character '%c' not allowed in a name "
			            "(A-Z a-z 0-9 _ . / : -)", c);
	}
	memcpy(out, r->field[i], n);
	out[n] = 0;
	return 0;
}

static int pid_field(trace_reader *r, unsigned i, bool zero_ok, uint32_t *pid,
                     char *err, size_t errlen)
{
	uint64_t v;
	if (number(r, i, "PID", &v, err, errlen))
		return -1;
	if ((v == 0 && !zero_ok) || v > TRACE_MAX_PID)
		return FAIL(r->fcol[i], "PID %llu out of range (%u..%u)", (unsigned long long)v,
		            zero_ok ? 0u : 1u, TRACE_MAX_PID);
	*pid = (uint32_t)v;
	return 0;
}

static int prot_field(trace_reader *r, unsigned i, uint32_t *prot, char *err, size_t errlen)
{
	const char *s = r->field[i];
	if (r->flen[i] != 3 || (s[0] != 'r' && s[0] != '-') || (s[1] != 'w' && s[1] != '-') ||
	    (s[2] != 'x' && s[2] != '-'))
		return FAIL(r->fcol[i], "bad PROT '%.*s' (three characters: r or -, w or -, x or -)",
		            (int)r->flen[i], s);
	*prot = (s[0] == 'r' ? PROT_R_ : 0) | (s[1] == 'w' ? PROT_W_ : 0) | (s[2] == 'x' ? PROT_X_ : 0);
	return 0;
}

/* ADDR LEN at fields i, i + 1: page-aligned, LEN >= 1, no wrap. */
static int range_at(trace_reader *r, unsigned i, const char *an, const char *ln, uint64_t *addr,
                    uint64_t *len, char *err, size_t errlen)
{
	if (number(r, i, an, addr, err, errlen) || number(r, i + 1, ln, len, err, errlen))
		return -1;
	if (*addr & 0xfff)
		return FAIL(r->fcol[i], "%s 0x%llx is not page-aligned", an, (unsigned long long)*addr);
	if (*len == 0)
		return FAIL(r->fcol[i + 1], "%s must be at least 1", ln);
	if (*len > UINT64_MAX - 0xfff || *addr + ((*len + 0xfff) & ~0xfffull) < *addr)
		return FAIL(r->fcol[i + 1], "%s + %s goes beyond the 64-bit address space", an, ln);
	return 0;
}

static int range_fields(trace_reader *r, trace_record *rec, char *err, size_t errlen)
{
	return range_at(r, 2, "ADDR", "LEN", &rec->addr, &rec->size, err, errlen);
}

/* One of the words of names[] at field i: its index in values[]. */
static int word_field(trace_reader *r, unsigned i, const char *what, const char *const *names,
                      const uint32_t *values, unsigned n, uint32_t *out, char *err, size_t errlen)
{
	for (unsigned k = 0; k < n; k++)
		if (field_is(r, i, names[k])) {
			*out = values[k];
			return 0;
		}
	char list[96] = "";
	for (unsigned k = 0; k < n; k++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
		         k == 0 ? "" : k + 1 == n ? " or " : ", ", names[k]);
	return FAIL(r->fcol[i], "unknown %s '%.*s' (%s)", what, (int)r->flen[i], r->field[i], list);
}

/* Whether field i begins with prefix (and has more after it). */
static bool field_has_prefix(const trace_reader *r, unsigned i, const char *prefix)
{
	size_t n = strlen(prefix);
	return r->flen[i] > n && memcmp(r->field[i], prefix, n) == 0;
}

/* The FLAGs of mmap and vma.  file=NAME (a named file, which implies
 * file) and offset=OFF (its byte offset, page-aligned; only with
 * file=NAME) fill rec->file and rec->file_off. */
static int mmap_flags(trace_reader *r, unsigned from, trace_record *rec, char *err, size_t errlen)
{
	static const struct { const char *name; uint32_t bit; } known[] = {
		{ "shared", MAPF_SHARED }, { "huge", MAPF_HUGE }, { "giant", MAPF_GIANT },
		{ "populate", MAPF_POPULATE }, { "file", MAPF_FILE }, { "stack", MAPF_STACK },
		{ "special", MAPF_SPECIAL },
	};
	uint32_t *flags = &rec->flags;
	bool named = false, offset = false;
	unsigned off_field = 0;
	*flags = 0;
	rec->file[0] = 0;
	rec->file_off = 0;
	for (unsigned i = from; i < r->nfields; i++) {
		uint32_t bit = 0;
		if (field_has_prefix(r, i, "file=")) {
			if (named || (*flags & MAPF_FILE))
				return FAIL(r->fcol[i], "mmap FLAG 'file' given twice");
			uint32_t n = r->flen[i] - 5;
			const char *name = r->field[i] + 5;
			if (n > TRACE_FILE_MAX)
				return FAIL(r->fcol[i] + 5, "file name longer than %u characters", TRACE_FILE_MAX);
			for (uint32_t k = 0; k < n; k++)
				if ((unsigned char)name[k] <= ' ' || (unsigned char)name[k] >= 127)
					return FAIL(r->fcol[i] + 5 + k, "character 0x%02x not allowed in a file name "
					            "(printable ASCII, no space)", (unsigned char)name[k]);
			memcpy(rec->file, name, n);
			rec->file[n] = 0;
			named = true;
			*flags |= MAPF_FILE;
			continue;
		}
		if (field_has_prefix(r, i, "offset=")) {
			if (offset)
				return FAIL(r->fcol[i], "mmap FLAG 'offset' given twice");
			const char *p = r->field[i] + 7;
			uint32_t n = r->flen[i] - 7;
			/* a number field of its own, for number()'s checks and columns */
			const char *sf = r->field[i];
			uint32_t sl = r->flen[i], sc = r->fcol[i];
			r->field[i] = p, r->flen[i] = n, r->fcol[i] = sc + 7;
			int bad = number(r, i, "OFFSET", &rec->file_off, err, errlen);
			r->field[i] = sf, r->flen[i] = sl, r->fcol[i] = sc;
			if (bad)
				return -1;
			if (rec->file_off & 0xfff)
				return FAIL(r->fcol[i] + 7, "OFFSET 0x%llx is not page-aligned",
				            (unsigned long long)rec->file_off);
			offset = true;
			off_field = i;
			continue;
		}
		for (unsigned k = 0; k < sizeof known / sizeof known[0]; k++)
			if (field_is(r, i, known[k].name))
				bit = known[k].bit;
		if (!bit)
			return FAIL(r->fcol[i], "unknown mmap FLAG '%.*s' (shared, huge, giant, populate, file, "
			            "file=NAME, offset=OFF, stack or special)", (int)r->flen[i], r->field[i]);
		if ((*flags & bit) || (bit == MAPF_FILE && named))
			return FAIL(r->fcol[i], "mmap FLAG '%.*s' given twice", (int)r->flen[i], r->field[i]);
		*flags |= bit;
	}
	if (offset && !named)
		return FAIL(r->fcol[off_field], "offset=OFF needs file=NAME");
	return 0;
}

struct op_syntax {
	const char *name;
	enum rec_op op;
	unsigned min, max;        /* argument counts */
	const char *args;         /* for messages */
};

static const struct op_syntax cpu_ops[] = {
	{ "r", REC_R, 1, 2, "ADDR [SIZE]" }, { "w", REC_W, 1, 2, "ADDR [SIZE]" },
	{ "x", REC_X, 1, 2, "ADDR [SIZE]" }, { "kr", REC_KR, 1, 2, "ADDR [SIZE]" },
	{ "kw", REC_KW, 1, 2, "ADDR [SIZE]" }, { "kx", REC_KX, 1, 2, "ADDR [SIZE]" },
	{ "switch", REC_SWITCH, 1, 2, "PID [untraced]" }, { "syscall", REC_SYSCALL, 0, 0, "" },
	{ "tick", REC_TICK, 1, 1, "CYCLES" },
	{ "mmap", REC_MMAP, 3, 3 + 7, "ADDR LEN PROT [FLAG...]" },
	{ "munmap", REC_MUNMAP, 2, 2, "ADDR LEN" }, { "mprotect", REC_MPROTECT, 3, 3, "ADDR LEN PROT" },
	{ "fork", REC_FORK, 1, 1, "CHILD" }, { "vfork", REC_VFORK, 1, 1, "CHILD" },
	{ "clone", REC_CLONE, 1, 1, "CHILD" }, { "exec", REC_EXEC, 1, 4, "COMM [STACK [ARGPAGES]] [preempted]" },
	{ "exit", REC_EXIT, 0, 0, "" },
	{ "madvise", REC_MADVISE, 3, 3, "ADDR LEN ADVICE" },
	{ "mremap", REC_MREMAP, 4, 4, "OLD OLDLEN NEW NEWLEN" },
	{ "preempted", REC_PREEMPTED, 0, 0, "" },
	{ "brk", REC_BRK, 1, 1, "ADDR" },
	{ "vmap", REC_VMAP, 3, 3, "ADDR LEN PROT" }, { "vunmap", REC_VUNMAP, 2, 2, "ADDR LEN" },
	{ "kflush", REC_KFLUSH, 1, 2, "ADDR LEN | all" },
};

static const struct op_syntax *find_op(const trace_reader *r, unsigned i)
{
	/* the accesses first: they are nearly every record */
	for (size_t k = 0; k < sizeof cpu_ops / sizeof cpu_ops[0]; k++)
		if (field_is(r, i, cpu_ops[k].name))
			return &cpu_ops[k];
	return NULL;
}

/* Field i as a CPU of the trace (0..cpus-1). */
static int cpu_field(trace_reader *r, unsigned i, uint32_t *out, char *err, size_t errlen)
{
	uint64_t cpu;
	if (number(r, i, "CPU", &cpu, err, errlen))
		return -1;
	if (cpu >= r->cpus)
		return FAIL(r->fcol[i], "CPU %llu out of range (the trace has %u CPUs: 0..%u)",
		            (unsigned long long)cpu, r->cpus, r->cpus - 1);
	*out = (uint32_t)cpu;
	return 0;
}

static int parse_cpu_record(trace_reader *r, trace_record *rec, char *err, size_t errlen)
{
	if (cpu_field(r, 0, &rec->cpu, err, errlen))
		return -1;
	if (r->nfields < 2)
		return FAIL(r->fcol[0] + r->flen[0], "missing operation after CPU %u", rec->cpu);
	const struct op_syntax *op = find_op(r, 1);
	if (!op)
		return FAIL(r->fcol[1], "unknown operation '%.*s'", (int)r->flen[1], r->field[1]);
	unsigned nargs = r->nfields - 2;
	if (nargs < op->min)
		return FAIL(r->fcol[r->nfields - 1] + r->flen[r->nfields - 1],
		            "missing argument: '%s' takes %s", op->name, op->args);
	if (nargs > op->max)
		return FAIL(r->fcol[2 + op->max], "unexpected field '%.*s': '%s' takes %s",
		            (int)r->flen[2 + op->max], r->field[2 + op->max], op->name,
		            op->args[0] ? op->args : "no arguments");
	rec->op = op->op;
	switch (op->op) {
	case REC_R: case REC_W: case REC_X: case REC_KR: case REC_KW: case REC_KX:
		if (number(r, 2, "ADDR", &rec->addr, err, errlen))
			return -1;
		rec->size = 1;
		if (nargs == 2) {
			if (number(r, 3, "SIZE", &rec->size, err, errlen))
				return -1;
			if (rec->size < 1 || rec->size > 4096)
				return FAIL(r->fcol[3], "SIZE %llu out of range (1..4096)", (unsigned long long)rec->size);
		}
		return 0;
	case REC_SWITCH:
		if (nargs == 2 && !field_is(r, 3, "untraced"))
			return FAIL(r->fcol[3], "unexpected field '%.*s': 'switch' takes PID [untraced]",
			            (int)r->flen[3], r->field[3]);
		rec->flags = nargs == 2 ? SWITCH_UNTRACED : 0;
		return pid_field(r, 2, true, &rec->pid, err, errlen);
	case REC_FORK: case REC_VFORK: case REC_CLONE:
		return pid_field(r, 2, false, &rec->pid, err, errlen);
	case REC_TICK:
		return number(r, 2, "CYCLES", &rec->size, err, errlen);
	case REC_EXEC:
		rec->addr = 0;   /* no STACK: an empty address space */
		rec->size = 1;
		rec->flags = 0;
		if (nargs >= 2 && field_is(r, 1 + nargs, "preempted")) {
			rec->flags = EXEC_PREEMPTED;
			nargs--;
		} else if (nargs == 4) {
			return FAIL(r->fcol[5], "unexpected field '%.*s': 'exec' takes %s",
			            (int)r->flen[5], r->field[5], "COMM [STACK [ARGPAGES]] [preempted]");
		}
		if (comm(r, 2, rec->comm, err, errlen))
			return -1;
		if (nargs >= 2) {
			if (number(r, 3, "STACK", &rec->addr, err, errlen))
				return -1;
			if (rec->addr == 0 || rec->addr & 0xfff)
				return FAIL(r->fcol[3], "STACK 0x%llx is not a page-aligned address above 0",
				            (unsigned long long)rec->addr);
		}
		if (nargs == 3) {
			if (number(r, 4, "ARGPAGES", &rec->size, err, errlen))
				return -1;
			if (rec->size < 1 || rec->size > 512)
				return FAIL(r->fcol[4], "ARGPAGES %llu out of range (1..512)",
				            (unsigned long long)rec->size);
		}
		return 0;
	case REC_MMAP:
		if (range_fields(r, rec, err, errlen) || prot_field(r, 4, &rec->prot, err, errlen))
			return -1;
		return mmap_flags(r, 5, rec, err, errlen);
	case REC_BRK:
		return number(r, 2, "ADDR", &rec->addr, err, errlen);
	case REC_MUNMAP:
		return range_fields(r, rec, err, errlen);
	case REC_MPROTECT:
		if (range_fields(r, rec, err, errlen))
			return -1;
		return prot_field(r, 4, &rec->prot, err, errlen);
	case REC_MADVISE: {
		static const char *const names[] = { "dontneed", "free" };
		static const uint32_t values[] = { MADV_DONTNEED_, MADV_FREE_ };
		if (range_fields(r, rec, err, errlen))
			return -1;
		return word_field(r, 4, "madvise ADVICE", names, values, 2, &rec->flags, err, errlen);
	}
	case REC_MREMAP:
		if (range_at(r, 2, "OLD", "OLDLEN", &rec->addr, &rec->size, err, errlen))
			return -1;
		return range_at(r, 4, "NEW", "NEWLEN", &rec->addr2, &rec->size2, err, errlen);
	case REC_VMAP:
		if (range_fields(r, rec, err, errlen) || prot_field(r, 4, &rec->prot, err, errlen))
			return -1;
		if (!(rec->prot & PROT_R_))
			return FAIL(r->fcol[4], "vmap PROT must grant r (a kernel page is always readable)");
		return 0;
	case REC_VUNMAP:
		return range_fields(r, rec, err, errlen);
	case REC_KFLUSH:
		rec->flags = 0;
		if (nargs == 1) {
			if (!field_is(r, 2, "all"))
				return FAIL(r->fcol[2], "expected 'all' or ADDR LEN: 'kflush' takes ADDR LEN | all");
			rec->flags = KFLUSH_ALL;
			rec->addr = rec->size = 0;
			return 0;
		}
		if (field_is(r, 2, "all"))
			return FAIL(r->fcol[3], "unexpected field after 'all': 'kflush' takes ADDR LEN | all");
		return range_fields(r, rec, err, errlen);
	default:
		return 0;
	}
}

static const struct op_syntax declarations[] = {
	{ "proc", REC_PROC, 2, 2, "PID COMM" }, { "kthread", REC_KTHREAD, 2, 2, "PID COMM" },
	{ "thread", REC_THREAD, 3, 3, "PID TGID COMM" },
	{ "vma", REC_VMA, 4, 4 + 7, "PID ADDR LEN PROT [FLAG...]" },
	{ "present", REC_PRESENT, 4, 4, "PID ADDR LEN KIND" },
	{ "cpumask", REC_CPUMASK, 2, 2, "PID CPU" }, { "next_trim", REC_NEXT_TRIM, 2, 2, "PID NS" },
	{ "layout", REC_LAYOUT, 1 + LAYOUT_MIN, 1 + LAYOUT_MAX,
	  "PID START_CODE END_CODE START_DATA END_DATA START_BRK BRK START_STACK [MMAP_BASE]" },
	{ "roi", REC_ROI, 1, 1, "begin | end" },
};

/* A declaration: fields[0] is the keyword, fields[1] the PID. */
static int parse_declaration(trace_reader *r, trace_record *rec, char *err, size_t errlen)
{
	const struct op_syntax *d = NULL;
	for (size_t k = 0; k < sizeof declarations / sizeof declarations[0]; k++)
		if (field_is(r, 0, declarations[k].name))
			d = &declarations[k];
	if (!d) {
		if (field_is(r, 0, "mmtrace") || field_is(r, 0, "cpus"))
			return FAIL(r->fcol[0], "'%.*s' may only appear in the header", (int)r->flen[0], r->field[0]);
		return FAIL(r->fcol[0], "unknown record '%.*s' (expected a CPU number, @TIME, proc, kthread, "
		            "thread, vma, present, cpumask, next_trim, layout or roi)", (int)r->flen[0], r->field[0]);
	}
	unsigned nargs = r->nfields - 1;
	if (nargs < d->min)
		return FAIL(r->fcol[r->nfields - 1] + r->flen[r->nfields - 1],
		            "missing argument: '%s' takes %s", d->name, d->args);
	if (nargs > d->max)
		return FAIL(r->fcol[1 + d->max], "unexpected field '%.*s': '%s' takes %s",
		            (int)r->flen[1 + d->max], r->field[1 + d->max], d->name, d->args);
	rec->op = d->op;
	rec->col[0] = r->fcol[0];
	if (d->op == REC_ROI) {
		static const char *const names[] = { "begin", "end" };
		static const uint32_t values[] = { ROI_BEGIN, ROI_END };
		return word_field(r, 1, "roi marker", names, values, 2, &rec->flags, err, errlen);
	}
	if (pid_field(r, 1, false, &rec->pid, err, errlen))
		return -1;
	switch (d->op) {
	case REC_THREAD:
		return pid_field(r, 2, false, &rec->tgid, err, errlen) || comm(r, 3, rec->comm, err, errlen)
		       ? -1 : 0;
	case REC_VMA:
		if (range_fields(r, rec, err, errlen) || prot_field(r, 4, &rec->prot, err, errlen))
			return -1;
		return mmap_flags(r, 5, rec, err, errlen);
	case REC_LAYOUT: {
		static const char *const names[LAYOUT_MAX] = {
			"START_CODE", "END_CODE", "START_DATA", "END_DATA", "START_BRK", "BRK",
			"START_STACK", "MMAP_BASE",
		};
		rec->nlayout = nargs - 1;
		for (unsigned i = 0; i < rec->nlayout; i++)
			if (number(r, 2 + i, names[i], &rec->layout[i], err, errlen))
				return -1;
		if (rec->layout[1] < rec->layout[0])
			return FAIL(r->fcol[3], "END_CODE is below START_CODE");
		if (rec->layout[3] < rec->layout[2])
			return FAIL(r->fcol[5], "END_DATA is below START_DATA");
		if (rec->layout[5] < rec->layout[4])
			return FAIL(r->fcol[7], "BRK is below START_BRK");
		return 0;
	}
	case REC_PRESENT: {
		static const char *const names[] = { "anon", "cow", "file" };
		static const uint32_t values[] = { PRESENT_ANON, PRESENT_COW, PRESENT_FILE };
		if (range_fields(r, rec, err, errlen))
			return -1;
		return word_field(r, 4, "present KIND", names, values, 3, &rec->flags, err, errlen);
	}
	case REC_CPUMASK:
		return cpu_field(r, 2, &rec->cpu, err, errlen);
	case REC_NEXT_TRIM:
		return number(r, 2, "NS", &rec->time_ns, err, errlen);
	default:
		return comm(r, 2, rec->comm, err, errlen);
	}
}

/* "@TIME" before a CPU record: parses it and drops it from the fields. */
static int time_prefix(trace_reader *r, trace_record *rec, char *err, size_t errlen)
{
	rec->timed = r->field[0][0] == '@';
	if (!rec->timed)
		return 0;
	if (r->flen[0] == 1)
		return FAIL(r->fcol[0], "expected a time in nanoseconds after '@'");
	r->field[0]++, r->flen[0]--, r->fcol[0]++;
	if (number(r, 0, "TIME", &rec->time_ns, err, errlen))
		return -1;
	if (r->nfields == 1)
		return FAIL(r->fcol[0] + r->flen[0], "missing CPU record after the time stamp");
	r->nfields--;
	memmove(r->field, r->field + 1, r->nfields * sizeof r->field[0]);
	memmove(r->flen, r->flen + 1, r->nfields * sizeof r->flen[0]);
	memmove(r->fcol, r->fcol + 1, r->nfields * sizeof r->fcol[0]);
	if ((unsigned)(r->field[0][0] - '0') >= 10)
		return FAIL(r->fcol[0], "a time stamp may only prefix a CPU record, not '%.*s'",
		            (int)r->flen[0], r->field[0]);
	return 0;
}

/* The next non-empty line, split into fields: 1, 0 at the end, -1. */
static int next_fields(trace_reader *r, char *err, size_t errlen)
{
	const char *line;
	size_t len;
	int got;
	while ((got = next_line(r, &line, &len, err, errlen)) > 0) {
		if (split(r, line, len, err, errlen))
			return -1;
		if (r->nfields)
			return 1;
	}
	return got;
}

static int bin_header(trace_reader *r, unsigned *cpus, char *err, size_t errlen);
static size_t bin_avail(trace_reader *r, size_t need, const unsigned char **p);

int trace_read_header(trace_reader *r, unsigned *cpus, char *err, size_t errlen)
{
	const unsigned char *head;
	if (bin_avail(r, MMTB_MAGIC_LEN, &head) >= MMTB_MAGIC_LEN && !memcmp(head, MMTB_MAGIC, MMTB_MAGIC_LEN))
		return bin_header(r, cpus, err, errlen);
	int got = next_fields(r, err, errlen);
	if (got < 0)
		return -1;
	if (got == 0) {
		r->line += r->line == 0;   /* a zero-byte file still has a line 1 to point at */
		return FAIL(1, "empty trace: expected the header 'mmtrace 1'");
	}
	if (!field_is(r, 0, "mmtrace"))
		return FAIL(r->fcol[0], "expected the header 'mmtrace 1', got '%.*s'", (int)r->flen[0], r->field[0]);
	if (r->nfields != 2)
		return FAIL(r->nfields < 2 ? r->fcol[0] + r->flen[0] : r->fcol[2],
		            "the header is exactly 'mmtrace 1'");
	uint64_t v;
	if (number(r, 1, "version", &v, err, errlen))
		return -1;
	if (v != 1)
		return FAIL(r->fcol[1], "unsupported trace version %llu (this reader knows mmtrace 1)",
		            (unsigned long long)v);
	got = next_fields(r, err, errlen);
	if (got < 0)
		return -1;
	if (got == 0)
		return FAIL(1, "missing 'cpus N' after the header");
	if (!field_is(r, 0, "cpus"))
		return FAIL(r->fcol[0], "expected 'cpus N' as the second record, got '%.*s'", (int)r->flen[0],
		            r->field[0]);
	if (r->nfields != 2)
		return FAIL(r->nfields < 2 ? r->fcol[0] + r->flen[0] : r->fcol[2], "expected 'cpus N'");
	if (number(r, 1, "cpus", &v, err, errlen))
		return -1;
	if (v < 1 || v > TRACE_MAX_CPUS)
		return FAIL(r->fcol[1], "cpus %llu out of range (1..%u)", (unsigned long long)v, TRACE_MAX_CPUS);
	r->cpus = (unsigned)v;
	*cpus = r->cpus;
	return 0;
}


static inline unsigned digits(unsigned v)
{
	return v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : 4;
}

/* The columns of a .mmtb access (col_op == 0): those of its canonical
 * line "CPU OP ADDR[ SIZE]" (OP is one letter, or two for kr kw kx). */
static void mmtb_columns(const trace_access *a, unsigned col[4])
{
	bool has_size = a->mmtb_len & MMTB_HAS_SIZE;
	unsigned alen = a->mmtb_len & ~MMTB_HAS_SIZE;
	col[0] = 2 + digits(a->cpu);
	col[1] = col[0] + 1 + (a->op >= REC_KR) + 1;
	col[2] = col[1] + alen + has_size;
	col[3] = col[2] + (has_size ? digits(a->size) : 0);
}

void trace_access_columns(const trace_access *a, unsigned col[4])
{
	if (a->col_op == 0) {
		mmtb_columns(a, col);
		return;
	}
	col[0] = a->col_op;
	col[1] = a->col_addr;
	col[2] = a->col_size;
	col[3] = a->col_end;
}

void trace_access_record(const trace_access *a, trace_record *rec)
{
	unsigned col[4];
	trace_access_columns(a, col);
	rec->op = (enum rec_op)a->op;
	rec->cpu = a->cpu;
	rec->addr = a->addr;
	rec->size = a->size;
	rec->prot = rec->flags = 0;
	rec->timed = false;
	rec->line = a->line;
	rec->col[0] = 1;
	rec->col[1] = col[0];
	rec->col[2] = col[1];
	rec->col[3] = col[2];
	for (unsigned i = 4; i < 8; i++)
		rec->col[i] = col[3];
}

static unsigned bin_next_accesses(trace_reader *r, trace_access *a, unsigned max);
static int bin_next(trace_reader *r, trace_record *rec, char *err, size_t errlen);

unsigned trace_next_accesses(trace_reader *r, trace_access *a, unsigned max)
{
	if (r->bin)
		return bin_next_accesses(r, a, max);
	if (!r->mem && r->end - r->pos < TRACE_MAX_LINE)
		refill(r);   /* moves at most a line's worth of unread text */
	const char *base = r->mem ? r->mem : r->buf;
	size_t pos = r->pos, end = r->mem ? r->mem_len : r->end;
	if (end - pos < r->wide_need)
		return 0;
	/* the position and line in registers: one line's parse does not wait
	 * for the previous one's store */
	size_t last = end - r->wide_need;
	uint64_t line = r->line;
	unsigned n = 0;
	while (n < max && pos <= last) {
		long len = trace_lane_access(r->cpus, base + pos, &a[n]);
		if (len < 0)
			break;
		a[n++].line = ++line;
		pos += (size_t)len + 1;
	}
	r->pos = pos;
	r->line = line;
	return n;
}

static int parse_fields(trace_reader *r, trace_record *rec, char *err, size_t errlen);

int trace_next(trace_reader *r, trace_record *rec, char *err, size_t errlen)
{
	const char *line;
	size_t len;
	int got;
	trace_access a;
	if (r->bin)
		return bin_next(r, rec, err, errlen);
	if (trace_next_accesses(r, &a, 1)) {
		trace_access_record(&a, rec);
		/* the lane took the line that ends before the read position */
		r->last_line = (r->mem ? r->mem : r->buf) + r->pos - a.col_end;
		r->last_len = a.col_end - 1u;
		return 1;
	}
	/* the rules, byte by byte */
	while ((got = next_line(r, &line, &len, err, errlen)) > 0) {
		if (split(r, line, len, err, errlen))
			return -1;
		if (r->nfields)
			break;
	}
	if (got <= 0)
		return got;
	return parse_fields(r, rec, err, errlen);
}

/* The record of the line split into r->field[] (at least one field). */
static int parse_fields(trace_reader *r, trace_record *rec, char *err, size_t errlen)
{
	rec->op = REC_NONE;
	rec->prot = rec->flags = 0;
	rec->line = r->line;
	if (time_prefix(r, rec, err, errlen))
		return -1;
	for (unsigned i = 0; i < 8; i++)
		rec->col[i] = i < r->nfields ? r->fcol[i] : r->fcol[r->nfields - 1] + r->flen[r->nfields - 1];
	unsigned char c = (unsigned char)r->field[0][0];
	int rc = c - '0' < 10 ? parse_cpu_record(r, rec, err, errlen) : parse_declaration(r, rec, err, errlen);
	if (rc == 0 && rec_is_declaration(rec->op)) {
		/* declarations: col[1] is the keyword too, col[2..] the arguments */
		for (unsigned i = 7; i >= 2; i--)
			rec->col[i] = rec->col[i - 1];
		rec->col[1] = rec->col[0];
	}
	return rc < 0 ? -1 : 1;
}


void trace_bytewise_only(trace_reader *r)
{
	r->wide_need = UINT32_MAX;
}

bool trace_is_binary(const trace_reader *r) { return r->bin; }

const char *trace_last_line(const trace_reader *r, size_t *len)
{
	*len = r->last_len;
	return r->last_line;
}

/* ---- the binary form (base/mmtb.h) ---- */

/* The bytes at the read position, at least need of them unless the input
 * ends first: their count. */
static size_t bin_avail(trace_reader *r, size_t need, const unsigned char **p)
{
	if (r->mem) {
		*p = (const unsigned char *)r->mem + r->pos;
		return r->mem_len - r->pos;
	}
	while (r->end - r->pos < need && refill(r))
		;
	*p = (const unsigned char *)r->buf + r->pos;
	return r->end - r->pos;
}

/* A damaged .mmtb: "FILE: error: byte N: MESSAGE", N the offset of the
 * record at fault (it has no lines to point at). */
__attribute__((format(printf, 4, 5)))
static int bin_fail(const trace_reader *r, char *err, size_t errlen, const char *fmt, ...)
{
	int n = snprintf(err, errlen, "%s: error: byte %llu: ", r->file,
	                 (unsigned long long)(r->dropped + r->pos));
	if (n < 0 || (size_t)n >= errlen)
		return -1;
	if (r->io_errno) {   /* the input ended in a read error, not in what it holds */
		char buf[96];
		snprintf(err + n, errlen - (size_t)n, "%s", io_text(r, buf, sizeof buf));
		return -1;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int bin_header(trace_reader *r, unsigned *cpus, char *err, size_t errlen)
{
	const unsigned char *p;
	if (bin_avail(r, 16, &p) < 16)
		return bin_fail(r, err, errlen, "the .mmtb header is cut short");
	unsigned version = mmtb_le16(p + 8), c = mmtb_le16(p + 10), nl = mmtb_le16(p + 12);
	if (version != MMTB_VERSION)
		return bin_fail(r, err, errlen, "unsupported .mmtb version %u (this reader knows %u)", version,
		                MMTB_VERSION);
	if (c < 1 || c > TRACE_MAX_CPUS)
		return bin_fail(r, err, errlen, "cpus %u out of range (1..%u)", c, TRACE_MAX_CPUS);
	if (nl > 255 || mmtb_le16(p + 14))
		return bin_fail(r, err, errlen, "a damaged .mmtb header");
	size_t len = (16 + nl + 7) & ~(size_t)7;
	if (bin_avail(r, len, &p) < len)
		return bin_fail(r, err, errlen, "the .mmtb header is cut short");
	for (size_t i = 16; i < len; i++)
		if (i < 16 + nl ? p[i] < 0x20 || p[i] >= 0x7f : p[i] != 0)
			return bin_fail(r, err, errlen, "a damaged .mmtb header");
	if (nl)
		snprintf(r->name, sizeof r->name, "%.*s", (int)nl, (const char *)p + 16);
	r->pos += len;
	r->bin = true;
	r->cpus = c;
	*cpus = c;
	return 0;
}

/* Access records in a row, decoded where they lie; stops before anything
 * else, a damaged access record included (bin_next reports it). */
static unsigned bin_next_accesses(trace_reader *r, trace_access *a, unsigned max)
{
	const unsigned char *p;
	size_t avail = bin_avail(r, (size_t)max * 16, &p) / 16;
	unsigned count = avail < max ? (unsigned)avail : max, n = 0;
	uint64_t line = r->line;
	for (; n < count; n++, p += 16) {
		unsigned kind = p[0] - 1u, cpu = p[1], alen = p[2] & ~MMTB_HAS_SIZE, size = mmtb_le16(p + 4);
		bool has_size = p[2] & MMTB_HAS_SIZE;
		if (kind >= 6 || cpu >= r->cpus || alen - 1u >= MMTB_MAX_ADDR_LEN || p[3] || size - 1u >= 4096 ||
		    (!has_size && size != 1))
			break;
		trace_access *x = &a[n];
		x->addr = mmtb_le64(p + 8);
		x->size = size;
		x->cpu = (uint16_t)cpu;
		x->op = (uint8_t)(REC_R + kind);
		x->line = line += mmtb_le16(p + 6) + 1u;
		x->col_op = 0;        /* the columns when asked for: mmtb_columns */
		x->mmtb_len = p[2];
	}
	r->pos += (size_t)n * 16;
	r->line = line;
	r->bin_records += n;
	return n;
}

static int bin_next(trace_reader *r, trace_record *rec, char *err, size_t errlen)
{
	for (;;) {
		trace_access a;
		if (bin_next_accesses(r, &a, 1)) {
			trace_access_record(&a, rec);
			r->last_line = NULL;
			return 1;
		}
		const unsigned char *p;
		size_t avail = bin_avail(r, 16, &p);
		if (avail == 0)
			return bin_fail(r, err, errlen, "the .mmtb ends without its end record (cut short?)");
		unsigned kind = p[0];
		if (kind - 1u < 6)
			return bin_fail(r, err, errlen, avail < 16 ? "an access record cut short"
			                                            : "a damaged access record");
		if (avail < 8)
			return bin_fail(r, err, errlen, "a record cut short");
		if (kind == MMTB_BLANK) {
			if (p[1] | p[2] | p[3])
				return bin_fail(r, err, errlen, "a damaged blank record");
			r->line += mmtb_le32(p + 4);
			r->pos += 8;
			continue;
		}
		if (kind == MMTB_END) {
			if (avail < 16)
				return bin_fail(r, err, errlen, "the end record is cut short");
			for (unsigned i = 1; i < 8; i++)
				if (p[i])
					return bin_fail(r, err, errlen, "a damaged end record");
			uint64_t count = mmtb_le64(p + 8);
			if (count != r->bin_records)
				return bin_fail(r, err, errlen, "the end record counts %llu records, the file holds %llu",
				                (unsigned long long)count, (unsigned long long)r->bin_records);
			r->pos += 16;
			if (bin_avail(r, 1, &p))
				return bin_fail(r, err, errlen, "data after the end record");
			return 0;
		}
		if (kind != MMTB_TEXT)
			return bin_fail(r, err, errlen, "unknown record kind 0x%02x", kind);
		size_t len = mmtb_le16(p + 4), need = 8 + ((len + 7) & ~(size_t)7);
		if (p[1] | p[2] | p[3] || len < 1 || len > TRACE_MAX_LINE)
			return bin_fail(r, err, errlen, "a damaged text record");
		if (bin_avail(r, need, &p) < need)
			return bin_fail(r, err, errlen, "a text record cut short");
		for (size_t i = 8 + len; i < need; i++)
			if (p[i])
				return bin_fail(r, err, errlen, "a damaged text record");
		r->line += mmtb_le16(p + 6) + 1u;
		r->pos += need;
		r->bin_records++;
		const char *text = (const char *)p + 8;
		r->last_line = text;
		r->last_len = len;
		if (split(r, text, len, err, errlen))
			return -1;
		if (r->nfields)
			return parse_fields(r, rec, err, errlen);
	}
}
