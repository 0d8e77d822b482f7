/* libFuzzer target: the binary trace format .mmtb (base/mmtb.h), read by
 * base/trace.c and written by base/mmtb.c.
 *
 * An input that starts with the .mmtb magic number is read as it is;
 * any other is read twice: as the records of a .mmtb (after a header of
 * two CPUs made here, so that the mutator works on records, not on the
 * magic number), and as a text trace packed into a .mmtb in memory, the
 * round trip.  Checks:
 *  - the binary reader in place and through a pipe (its buffered path)
 *    agree record for record and on the message, and the engine runs on
 *    the records without a crash and without a stale TLB hit;
 *  - packing a text trace fails exactly when reading it does, with the
 *    reader's message; a packed trace reads back as the same records
 *    (every field, lines and columns included) and gives the engine the
 *    same status, message and statistics as the text. */
#include "fuzz_read.h"
#include "fuzz_run.h"

#include "base/mmtb.h"

static void read_binary(const uint8_t *data, size_t size, const config *cfg)
{
	static struct outcome in_place, streamed;
	trace_reader *r = trace_open_mem("fuzz", (const char *)data, size);
	read_all(r, &in_place);
	trace_close(r);
	int fd;
	r = open_piped(data, size, &fd);
	if (r) {
		read_all(r, &streamed);
		trace_close(r);
		close(fd);
		/* a .mmtb that names no original takes its own path in messages */
		if (!same_outcome(&in_place, &streamed, false))
			abort();
	}
	static struct fuzz_run run;
	fuzz_run(&run, cfg, cfg, "fuzz", data, size, FUZZ_FAST);
	fuzz_no_stale_hits(&run, cfg);
	fuzz_run_free(&run);
}

static void round_trip(const uint8_t *data, size_t size, const config *cfg)
{
	static struct outcome text, packed;
	trace_reader *r = trace_open_mem("fuzz", (const char *)data, size);
	read_all(r, &text);
	trace_close(r);
	char *bin = NULL, err[640] = "";
	size_t len = 0;
	FILE *f = open_memstream(&bin, &len);
	if (!f)
		abort();
	r = trace_open_mem("fuzz", (const char *)data, size);
	enum failure rc = mmtb_pack_reader(r, f, err, sizeof err);
	trace_close(r);
	if (fclose(f))
		abort();
	if ((rc != 0) != (text.rc != 0) || (rc && (rc != FAIL_TRACE || strcmp(err, text.err)))) {
		fprintf(stderr, "fuzz: packing gave %d (%s), reading %d (%s)\n", (int)rc, err, text.rc, text.err);
		abort();
	}
	if (rc == 0) {
		r = trace_open_mem("packed", bin, len);
		read_all(r, &packed);
		trace_close(r);
		if (!same_outcome(&text, &packed, true)) {
			fprintf(stderr, "fuzz: the packed trace reads as %d, %llu records (%s), the text as %d, %llu (%s)\n",
			        packed.rc, (unsigned long long)packed.records, packed.err, text.rc,
			        (unsigned long long)text.records, text.err);
			abort();
		}
		static struct fuzz_run a, b;
		fuzz_run(&a, cfg, cfg, "fuzz", data, size, FUZZ_FAST);
		fuzz_run(&b, cfg, cfg, "packed", bin, len, FUZZ_FAST);
		fuzz_same(&a, &b, "the text and its .mmtb");
		fuzz_no_stale_hits(&a, cfg);
		fuzz_run_free(&a);
		fuzz_run_free(&b);
	}
	free(bin);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static config cfg;
	static int ready;
	if (!ready) {
		fuzz_config(&cfg, "skylake", (const char *const[]){ "mem.size=256m", "cache.llc.size=1m", NULL });
		ready = 1;
	}
	if (size >= MMTB_MAGIC_LEN && !memcmp(data, MMTB_MAGIC, MMTB_MAGIC_LEN)) {
		read_binary(data, size, &cfg);
		return 0;
	}
	/* header: magic, version 1, 2 CPUs, no name */
	static uint8_t bin[16 + 65536];
	if (size <= sizeof bin - 16) {
		memcpy(bin, MMTB_MAGIC, MMTB_MAGIC_LEN);
		memcpy(bin + 8, "\1\0\2\0\0\0\0\0", 8);
		memcpy(bin + 16, data, size);
		read_binary(bin, size + 16, &cfg);
	}
	round_trip(data, size, &cfg);
	return 0;
}
