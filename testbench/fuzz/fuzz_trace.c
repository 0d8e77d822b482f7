/* libFuzzer target: the trace reader alone, header and records until the
 * end or the first error.  Any crash, hang, leak or sanitizer report is a
 * bug: bad input must only ever produce an error message.
 *
 * Each input is read three times, in place (as a caller's buffer is), in
 * place with only the byte-wise access parser, and streamed through a
 * pipe (as files and stdin are), and all must agree record for record
 * and on the final message: the paths split and parse lines separately. */
/* pipe, close, /dev/fd: POSIX beyond C11 */
#define _DEFAULT_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/trace.h"

struct outcome {
	int rc;
	uint64_t records, digest;
	char err[640];
};

static void read_all(trace_reader *r, struct outcome *o)
{
	unsigned cpus = 0;
	trace_record rec = { 0 };   /* an access leaves pid and comm as they were */
	memset(o, 0, sizeof *o);
	o->rc = trace_read_header(r, &cpus, o->err, sizeof o->err);
	o->digest = cpus;
	if (o->rc == 0)
		while ((o->rc = trace_next(r, &rec, o->err, sizeof o->err)) > 0) {
			o->records++;
			o->digest = o->digest * 1000003 ^ rec.op ^ rec.cpu << 8 ^ rec.pid ^ rec.addr ^
			            rec.size * 31 ^ rec.prot << 12 ^ rec.flags << 16 ^ rec.line << 40;
			for (unsigned i = 0; i < 8; i++)
				o->digest = o->digest * 131 + rec.col[i];
			for (const char *c = rec.comm; *c; c++)
				o->digest = o->digest * 131 + (unsigned char)*c;
		}
}

/* The reader over a pipe holding data; NULL when it does not fit the pipe. */
static trace_reader *open_piped(const uint8_t *data, size_t size, int *fd)
{
	int fds[2];
	if (size > 60000 || pipe(fds))
		return NULL;
	if (size && write(fds[1], data, size) != (ssize_t)size)
		abort();
	close(fds[1]);
	char path[32], err[256];
	snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
	trace_reader *r = trace_open(path, err, sizeof err);
	if (!r)
		abort();
	*fd = fds[0];
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct outcome in_place, bytewise, streamed;
	trace_reader *r = trace_open_mem("fuzz", (const char *)data, size);
	read_all(r, &in_place);
	trace_close(r);
	r = trace_open_mem("fuzz", (const char *)data, size);
	trace_bytewise_only(r);
	read_all(r, &bytewise);
	trace_close(r);
	if (in_place.rc != bytewise.rc || in_place.records != bytewise.records ||
	    in_place.digest != bytewise.digest || strcmp(in_place.err, bytewise.err))
		abort();
	int fd;
	r = open_piped(data, size, &fd);
	if (!r)
		return 0;
	read_all(r, &streamed);
	trace_close(r);
	close(fd);
	/* the messages differ only in the file name before the first ':' */
	const char *a = strchr(in_place.err, ':'), *b = strchr(streamed.err, ':');
	if (in_place.rc != streamed.rc || in_place.records != streamed.records ||
	    in_place.digest != streamed.digest || (a && b && strcmp(a, b)) || !a != !b)
		abort();
	return 0;
}
