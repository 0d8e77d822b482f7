/* libFuzzer target: the configuration as users give it (--preset,
 * --config FILE, --set KEY=VALUE), through the real parser and checks
 * (base/config.c), then a short run of the whole engine on that machine.
 *
 * An input is up to four sections, separated by lines "%%":
 *   1. the preset's name (empty: skylake),
 *   2. the text of a --config file (read from a pipe, as the CLI reads
 *      any FILE),
 *   3. --set assignments, one a line, applied after the file,
 *   4. a trace (missing: a built-in one of two CPUs that maps, faults,
 *      forks, clones, shoots down, switches and exits).
 * Bad values must end in an error message, never a crash (cache sizes of
 * 1..63 bytes once divided by zero).  A configuration that passes
 * config_validate must also: print and parse back to itself key by key
 * (config_format, config_set), list (--list-config), and run the trace
 * record by record, in fast mode and on the full path with the same
 * status, message and statistics, without a stale TLB hit unless a
 * test.skip_* key broke the kernel on purpose.  Machines too big to run
 * quickly (more than 8 CPUs, TLB arrays of more than 65536 entries,
 * caches over 16 MiB, memory over 1 GiB) are parsed and checked but not
 * run. */
#include "fuzz_run.h"

#include <unistd.h>

static const char builtin_trace[] =
	"mmtrace 1\ncpus 2\nproc 1 app\nkthread 9 kworker\n0 switch 1\n"
	"0 mmap 0x10000000 0x40000 rw- populate\n0 mmap 0x40000000 0x400000 rw- huge\n"
	"0 w 0x10000000\n0 r 0x40100000\n0 x 0x10001000\n0 r 0x10000000\n0 clone 2\n1 switch 2\n"
	"1 w 0x10002000 8\n1 r 0x40200000\n1 r 0x10000000\n0 fork 3\n0 w 0x10000000\n"
	"1 mprotect 0x10000000 0x2000 r--\n0 r 0x10000000\n1 switch 9\n0 munmap 0x10000000 0x30000\n"
	"0 switch 3\n0 w 0x10000000\n0 r 0x10000000\n0 kr 0xffffffff81000000\n0 syscall\n0 exit\n"
	"0 switch 1\n0 tick 3\n1 switch 2\n1 r 0x40000000\n1 r 0x40000000\n";

/* The next section of [*p, end): its length; *p moves past it and its
 * "%%" line (to end when it is the last). */
static size_t section(const char **p, const char *end, bool *found)
{
	const char *s = *p;
	for (const char *q = s; q < end; q++)
		if ((q == s || q[-1] == '\n') && end - q >= 2 && q[0] == '%' && q[1] == '%' &&
		    (end - q == 2 || q[2] == '\n')) {
			*p = end - q == 2 ? end : q + 3;
			*found = true;
			return (size_t)(q - s);
		}
	*p = end;
	*found = s < end;
	return (size_t)(end - s);
}

static bool too_big(const config *c)
{
	static const enum cfg_key entries[] = {
		K_L1D4K_ENTRIES, K_L1D2M_ENTRIES, K_L1D1G_ENTRIES, K_L1I4K_ENTRIES, K_L1I2M_ENTRIES,
		K_STLB_ENTRIES, K_PWC_PD_ENTRIES,
	};
	for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++)
		if (c->v[entries[i]] > 65536)
			return true;
	return c->v[K_MACHINE_CPUS] > 8 || c->v[K_L1D_SIZE] > (16u << 20) || c->v[K_L2_SIZE] > (16u << 20) ||
	       c->v[K_LLC_SIZE] > (16u << 20) || c->v[K_MEM_SIZE] > (1u << 30);
}

/* config_format's text of every key parses back to the same value. */
static void round_trip(const config *c)
{
	config back;
	char err[512], buf[64], set[192];
	if (config_preset(&back, "skylake", err, sizeof err))
		abort();
	for (int k = 0; k < K_COUNT; k++) {
		config_format(c, (enum cfg_key)k, buf, sizeof buf);
		snprintf(set, sizeof set, "%s=%s", config_key_name((enum cfg_key)k), buf);
		if (config_set(&back, set, err, sizeof err)) {
			fprintf(stderr, "fuzz: %s does not parse back: %s\n", set, err);
			abort();
		}
	}
	if (memcmp(back.v, c->v, sizeof back.v) || config_validate(&back, err, sizeof err)) {
		fprintf(stderr, "fuzz: the configuration does not print and parse back to itself\n");
		abort();
	}
}

/* config_load over a pipe holding text: its status, -2 when the pipe
 * could not be made (input too long for it). */
static int load_piped(config *c, const char *text, size_t len, char *err, size_t errlen)
{
	int fds[2];
	if (len > 60000 || pipe(fds))
		return -3;
	if (len && write(fds[1], text, len) != (ssize_t)len)
		abort();
	close(fds[1]);
	char path[32];
	snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
	int rc = config_load(c, path, err, errlen);
	close(fds[0]);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	const char *p = (const char *)data, *end = p + size;
	bool found;
	char preset[64] = "skylake", err[1024];
	const char *s = p;
	size_t n = section(&p, end, &found);
	if (n) {
		size_t k = n < sizeof preset - 1 ? n : sizeof preset - 1;
		memcpy(preset, s, k);
		preset[k] = 0;
		preset[strcspn(preset, "\n")] = 0;   /* NUL bytes end it, as in argv */
	}
	static config cfg;
	if (config_preset(&cfg, preset, err, sizeof err)) {
		if (!err[0])
			abort();
		return 0;
	}
	if (config_list(devnull, preset, err, sizeof err))
		abort();
	s = p;
	n = section(&p, end, &found);
	if (found && load_piped(&cfg, s, n, err, sizeof err) < -2)
		return 0;
	/* an error or not, the sets go on (--config's error stops the CLI
	 * first, but the parser must stand any state) */
	s = p;
	n = section(&p, end, &found);
	for (const char *line = s, *stop = s + n; line < stop;) {
		const char *nl = memchr(line, '\n', (size_t)(stop - line));
		size_t len = (size_t)((nl ? nl : stop) - line);
		char set[4200];
		if (len < sizeof set) {
			memcpy(set, line, len);
			set[len] = 0;
			if (config_set(&cfg, set, err, sizeof err) && !err[0])
				abort();
		}
		line += len + 1;
	}
	if (config_validate(&cfg, err, sizeof err)) {
		if (!err[0])
			abort();
		return 0;
	}
	round_trip(&cfg);
	if (too_big(&cfg))
		return 0;
	cfg.v[K_TEST_TRACE_FLUSHES] = 0;   /* a debugging print to stderr, no result */
	s = p;
	n = section(&p, end, &found);
	const char *trace = found ? s : builtin_trace;
	size_t len = found ? n : sizeof builtin_trace - 1;
	static config slow;
	slow = cfg;
	slow.v[K_TEST_SLOW_PATHS] = 1;
	static struct fuzz_run steps, fast, full;
	fuzz_run(&steps, &cfg, &cfg, "fuzz", trace, len, FUZZ_STEPS);
	fuzz_run(&fast, &cfg, &cfg, "fuzz", trace, len, FUZZ_FAST);
	fuzz_same(&steps, &fast, "sim_step and sim_run");
	fuzz_run(&full, &slow, &cfg, "fuzz", trace, len, FUZZ_FAST);
	fuzz_same(&fast, &full, "the fast paths and test.slow_paths");
	fuzz_no_stale_hits(&fast, &cfg);
	fuzz_run_free(&steps);
	fuzz_run_free(&fast);
	fuzz_run_free(&full);
	return 0;
}
