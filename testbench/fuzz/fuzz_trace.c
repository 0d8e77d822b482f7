/* libFuzzer target: the trace reader alone, header and records until the
 * end or the first error.  Any crash, hang, leak or sanitizer report is a
 * bug: bad input must only ever produce an error message. */
#include <stdint.h>
#include <string.h>

#include "base/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	trace_reader *r = trace_open_mem("fuzz", (const char *)data, size);
	char err[640];
	unsigned cpus;
	trace_record rec;
	if (trace_read_header(r, &cpus, err, sizeof err) == 0)
		while (trace_next(r, &rec, err, sizeof err) > 0)
			;
	trace_close(r);
	return 0;
}
