/* libFuzzer target: the trace reader alone, header and records until the
 * end or the first error.  Any crash, hang, leak or sanitizer report is a
 * bug: bad input must only ever produce an error message.
 *
 * Each input is read three times, in place (as a caller's buffer is), in
 * place with only the byte-wise access parser, and streamed through a
 * pipe (as files and stdin are), and all must agree record for record
 * and on the final message: the paths split and parse lines separately. */
#include "fuzz_read.h"
#include "base/zsource.h"

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
	if (!same_outcome(&in_place, &bytewise, true))
		abort();
	int fd;
	r = open_piped(data, size, &fd);
	if (!r)
		return 0;
	read_all(r, &streamed);
	trace_close(r);
	close(fd);
	/* the messages differ only in the file name before the first ':';
	 * a memory buffer is read as it is, so a compressed input (its magic
	 * number first) agrees only with the stream's decoded reading, which
	 * must merely end, read or refused (fuzz_read's sanitizers watch it) */
	if (zs_detect(data, size) == ZS_NONE && !same_outcome(&in_place, &streamed, false))
		abort();
	return 0;
}
