/* fuzz_read.h - reading a whole trace for the libFuzzer targets: the
 * header and every record, summed up in a digest (every field of every
 * record), so that two ways of reading one trace can be compared. */
#ifndef MMUSIM_FUZZ_READ_H
#define MMUSIM_FUZZ_READ_H

/* pipe, close, /dev/fd: POSIX beyond C11 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/trace.h"

struct outcome {
	int rc;
	uint64_t records, digest;
	char err[640];
};

static inline void read_all(trace_reader *r, struct outcome *o)
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
static inline trace_reader *open_piped(const uint8_t *data, size_t size, int *fd)
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

/* Whether two readings of one trace agree: status, records, digest and
 * message, the message after the file name (the part before the first
 * ':') when names differ. */
static inline bool same_outcome(const struct outcome *a, const struct outcome *b, bool same_name)
{
	const char *x = same_name ? a->err : strchr(a->err, ':'), *y = same_name ? b->err : strchr(b->err, ':');
	return a->rc == b->rc && a->records == b->records && a->digest == b->digest && !x == !y &&
	       (!x || !strcmp(x, y));
}

#endif
