/* cli/main.c - the mmusim command line (docs/trace-format.md, "The command line").
 *
 * Only this file decides exit statuses: 0 success, 64 usage or
 * configuration, 65 bad trace, 66 unreadable input, 1 checker violation
 * or co-simulation mismatch, 70 internal error.
 */
#define _POSIX_C_SOURCE 200809L   /* fcntl, open */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/config.h"
#include "base/provenance.h"
#include "base/mmtb.h"
#include "base/output.h"
#include "base/stats.h"
#include "cli/progress.h"
#include "sim/engine.h"
#include "sim/modes.h"
#include "sim/stage.h"
#ifdef MMUSIM_HAVE_SC
#include "sc/sc_run.h"
#endif

/* The exit statuses (docs/trace-format.md, "The command line"). */
enum {
	EXIT_OK = 0, EXIT_CHECK = 1, EXIT_USAGE = 64, EXIT_DATAERR = 65,
	EXIT_NOINPUT = 66, EXIT_SOFTWARE = 70, EXIT_INTERRUPTED = 130
};

/* The status of what the layers below report. */
static int exit_status(enum failure f)
{
	switch (f) {
	case FAIL_NONE:     return EXIT_OK;
	case FAIL_CHECK:    return EXIT_CHECK;
	case FAIL_USAGE:    return EXIT_USAGE;
	case FAIL_TRACE:    return EXIT_DATAERR;
	case FAIL_INPUT:    return EXIT_NOINPUT;
	case FAIL_INTERNAL: break;
	}
	return EXIT_SOFTWARE;
}

static const char usage[] =
	"usage: mmusim [OPTIONS] TRACE        (TRACE may be '-' for standard input)\n"
	"  --mode fast|systemc|cosim   default fast; cosim = SystemC with the Verilated RTL L1 TLBs, PSCs\n"
	"                              (models built on first use into $MMUSIM_RTL_CACHE, else\n"
	"                              $XDG_CACHE_HOME/mmusim/rtl or ~/.cache/mmusim/rtl: verilator\n"
	"                              and a C++ compiler then needed)\n"
	"  --preset NAME               machine defaults: skylake (default), zen2, zen3, zen4, zen5\n"
	"  --set KEY=VALUE             override one configuration key (repeatable)\n"
	"  --config FILE               KEY=VALUE lines, '#' comments; applied before --set\n"
	"  --stats-json FILE           write statistics as JSON (atomically: temp + rename; - for stdout)\n"
	"  --vcd FILE                  waveform as VCD text (systemc and cosim modes)\n"
	"  --fst FILE                  the same waveform as FST, GTKWave's compressed form (with or\n"
	"                              without --vcd)\n"
	"  --vcd-from CYCLE|line:N     the waves' first cycle (default 0), or the cycle the record on\n"
	"                              trace line N starts (the next record if N holds none)\n"
	"  --vcd-to CYCLE|line:N       the waves' last cycle (default: the end), or the last cycle of\n"
	"                              the records up to line N (both cycles or both lines)\n"
	"  --warmup-records N          the first N records warm the machine up and count in no statistic\n"
	"                              (--set roi.warmup_records=N; also the trace's roi begin/end)\n"
	"  --progress[=on|json|off]    a progress line on standard error (default: on a terminal);\n"
	"                              json: an object a line, for tools\n"
	"  --quiet                     no human summary on standard output\n"
	"  --summary mm|tasks|mm,tasks the human summary adds a ps-like table of the address spaces (mm)\n"
	"                              or of what each task did while it ran (tasks)\n"
	"  --threads 1|2               fast mode: 2 reads the trace on a thread of its own (the default\n"
	"                              for a text trace on a machine with two or more cores)\n"
	"  --parse-only                read and validate the trace, simulate nothing (benchmark baseline)\n"
	"  --pack OUT.mmtb             write the trace in the binary form (docs/trace-format.md), simulate nothing\n"
	"  --list-config               every key with its default, unit, meaning and source\n"
	"                              (with --preset NAME: that preset's values and their sources)\n"
	"  --version, --help\n"
	"exit status: 0 ok, 1 checker violation or co-simulation mismatch, 64 usage/configuration,\n"
	"65 bad trace, 66 unreadable input or unwritable output, 70 internal error, 130 interrupted\n";

static volatile sig_atomic_t interrupted;   /* set by base/output.c's handlers */

/* Whether msg is located: "FILE:LINE[:COL]: ..." (a trace error, a read
 * error in a trace, an engine's internal error), or "FILE: error: byte
 * N: ..." (a damaged .mmtb, docs/trace-format.md). */
static bool located(const char *msg)
{
	const char *sep = strstr(msg, ": ");
	if (!sep)
		return false;
	if (!strncmp(sep, ": error: byte ", 14) && sep[14] >= '0' && sep[14] <= '9')
		return true;
	const char *p = sep;
	int fields = 0;
	while (fields < 2) {
		const char *d = p;
		while (d > msg && d[-1] >= '0' && d[-1] <= '9')
			d--;
		if (d == p || d == msg || d[-1] != ':')
			break;
		fields++;
		p = d - 1;
	}
	return fields > 0;
}

/* Every message mmusim gives on standard error goes out here, with the
 * status this file alone decides.  Messages from the layers below carry
 * no program name: report gives "mmusim: error: " (status 70: "mmusim:
 * internal error: "; status 1, a co-simulation mismatch or checker
 * violation: "mmusim: ") and the message.  Out of host memory, base/output.c
 * writes the message set_out_of_memory made in this form. */
#define MESSAGE "mmusim: %s%s\n"
static int report(int status, const char *msg)
{
	fprintf(stderr, MESSAGE, status == EXIT_CHECK ? "" :
	        status == EXIT_SOFTWARE ? "internal error: " : "error: ", msg);
	return status;
}

/* Out of host memory: status 70, with the message of status 64. */
static void set_out_of_memory(void)
{
	static char msg[64];
	snprintf(msg, sizeof msg, MESSAGE, "error: ", "out of host memory");
	output_on_out_of_memory(msg, EXIT_SOFTWARE);
}

/* The same for what a run (the reader, the engine, model/sc) says: a
 * located message goes out as it is. */
static int report_run(int status, const char *msg)
{
	if (located(msg)) {
		fprintf(stderr, "%s\n", msg);
		return status;
	}
	return report(status, msg);
}

static int fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return report(status, msg);
}

static int usage_error(const char *fmt, const char *arg)
{
	char msg[900];
	snprintf(msg, sizeof msg, fmt, arg);
	return fail(EXIT_USAGE, "%s\n(try mmusim --help)", msg);
}

/* The mode dispatch: fast mode is the C engine's own loop; systemc and
 * cosim run it inside model/sc's machine, linked in when SystemC was
 * found (MMUSIM_HAVE_SC; cosim also needs Verilator, MMUSIM_HAVE_COSIM). */
static enum failure run_mode(sim *s, enum sim_mode mode, const mode_options *mo)
{
	if (mode == MODE_FAST)
		return sim_run_fast(s, mo->interrupted);
#ifdef MMUSIM_HAVE_SC
	return mmusim_sc_run(s, mode, mo);
#else
	snprintf(s->err, sizeof s->err, "--mode %s is not available: this build has no SystemC layer",
	         sim_mode_name(mode));
	return FAIL_USAGE;
#endif
}

struct options {
	const char *mode, *preset, *config_file, *stats_json, *trace, *pack, *fst;
	const char *sets[256];
	int nsets;
	char warmup_set[64];   /* --warmup-records N as its --set */
	bool quiet, parse_only, summary_mm, summary_tasks, list_config;
	enum progress_mode progress;   /* --progress[=on|json|off]; AUTO: on a terminal */
	int threads;   /* 0: the default */
	mode_options mo;
};

/* --vcd-from/--vcd-to VALUE: a cycle number (C syntax: 5000, 0x1388), or
 * line:N, a trace line (decimal, from 1; docs/waves.md).  0, or the
 * usage error reported. */
static int parse_window(const char *opt, const char *v, mode_options *mo)
{
	bool from = opt[6] == 'f';
	char *end;
	if (!strncmp(v, "line:", 5)) {
		const char *n = v + 5;
		errno = 0;
		unsigned long long line = strtoull(n, &end, 10);
		if (!*n || strspn(n, "0123456789") != strlen(n) || errno == ERANGE) {
			fail(EXIT_USAGE, "%s takes line:N with N a trace line number, not '%s'\n(try mmusim --help)",
			     opt, v);
			return -1;
		}
		if (line == 0) {
			fail(EXIT_USAGE, "%s %s: trace lines count from 1\n(try mmusim --help)", opt, v);
			return -1;
		}
		*(from ? &mo->vcd_from_line : &mo->vcd_to_line) = line;
		*(from ? &mo->vcd_from : &mo->vcd_to) = 0;
		return 0;
	}
	errno = 0;
	unsigned long long c = strtoull(v, &end, 0);
	if (*end || v[0] == '-' || !v[0] || errno == ERANGE) {
		fail(EXIT_USAGE, "%s takes a cycle number or line:N, not '%s'\n(try mmusim --help)", opt, v);
		return -1;
	}
	*(from ? &mo->vcd_from : &mo->vcd_to) = c;
	*(from ? &mo->vcd_from_line : &mo->vcd_to_line) = 0;
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			return -1;
		} else if (!strcmp(a, "--version")) {
			printf("mmusim %s\n", mmusim_build_version);
			return -1;
		} else if (!strcmp(a, "--list-config")) {
			o->list_config = true;   /* after every option: --preset may follow */
			continue;
		} else if (!strcmp(a, "--progress") || !strncmp(a, "--progress=", 11)) {
			if (progress_parse(a[10] ? a + 11 : "on", &o->progress))
				return usage_error("unknown --progress '%s' (on, json or off)", a + 11);
			continue;
		} else if (!strcmp(a, "--quiet")) {
			o->quiet = true;
			continue;
		} else if (!strcmp(a, "--parse-only")) {
			o->parse_only = true;
			continue;
		} else if (!strcmp(a, "--summary")) {
			if (i + 1 >= argc)
				return usage_error("%s needs a value", a);
			/* mm, tasks, or both: "mm,tasks" or --summary twice */
			const char *w = argv[++i];
			for (;;) {
				size_t n = strcspn(w, ",");
				if (n == 2 && !strncmp(w, "mm", 2))
					o->summary_mm = true;
				else if (n == 5 && !strncmp(w, "tasks", 5))
					o->summary_tasks = true;
				else
					return usage_error("unknown summary '%s' (mm, tasks, or mm,tasks)", argv[i]);
				if (!w[n])
					break;
				w += n + 1;
			}
			continue;
		} else if (!strcmp(a, "--mode")) {
			slot = &o->mode;
		} else if (!strcmp(a, "--preset")) {
			slot = &o->preset;
		} else if (!strcmp(a, "--config")) {
			slot = &o->config_file;
		} else if (!strcmp(a, "--pack")) {
			slot = &o->pack;
		} else if (!strcmp(a, "--stats-json")) {
			slot = &o->stats_json;
		} else if (!strcmp(a, "--vcd")) {
			slot = &o->mo.vcd_path;
		} else if (!strcmp(a, "--fst")) {
			slot = &o->fst;
		} else if (!strcmp(a, "--vcd-from") || !strcmp(a, "--vcd-to")) {
			if (i + 1 >= argc)
				return usage_error("%s needs a value", a);
			if (parse_window(a, argv[++i], &o->mo))
				return EXIT_USAGE;
			continue;
		} else if (!strcmp(a, "--threads")) {
			if (i + 1 >= argc)
				return usage_error("%s needs a value", a);
			if (strcmp(argv[i + 1], "1") && strcmp(argv[i + 1], "2"))
				return usage_error("--threads takes 1 or 2, not '%s'", argv[i + 1]);
			o->threads = argv[++i][0] - '0';
			continue;
		} else if (!strcmp(a, "--warmup-records")) {
			if (i + 1 >= argc)
				return usage_error("%s needs a value", a);
			const char *n = argv[++i];
			if (!*n || strspn(n, "0123456789") != strlen(n) || strlen(n) > 20)
				return usage_error("--warmup-records takes a record count, not '%s'", n);
			if (o->nsets == 256)
				return usage_error("too many --set options%s", "");
			snprintf(o->warmup_set, sizeof o->warmup_set, "roi.warmup_records=%s", n);
			o->sets[o->nsets++] = o->warmup_set;
			continue;
		} else if (!strcmp(a, "--set")) {
			if (i + 1 >= argc)
				return usage_error("%s needs a value", a);
			if (o->nsets == 256)
				return usage_error("too many --set options%s", "");
			o->sets[o->nsets++] = argv[++i];
			continue;
		} else if (a[0] == '-' && a[1] != 0) {
			return usage_error("unknown option '%s'", a);
		} else {
			if (o->trace)
				return usage_error("more than one trace given ('%s')", a);
			o->trace = a;
			continue;
		}
		if (i + 1 >= argc)
			return usage_error("%s needs a value", a);
		*slot = argv[++i];
	}
	if (o->list_config) {
		char err[256];
		if (config_list(stdout, o->preset, err, sizeof err))
			return report(EXIT_USAGE, err);
		return -1;   /* done: main flushes standard output */
	}
	if (!o->trace)
		return usage_error("no trace given%s", "");
	return 0;
}

static int build_config(const struct options *o, config *cfg)
{
	char err[512];
	int rc = config_preset(cfg, o->preset ? o->preset : "skylake", err, sizeof err);
	if (rc == 0 && o->config_file)
		rc = config_load(cfg, o->config_file, err, sizeof err);
	if (rc)
		return report(rc == -2 ? EXIT_NOINPUT : EXIT_USAGE, err);   /* -2: the file cannot be read */
	for (int i = 0; i < o->nsets; i++)
		if (config_set(cfg, o->sets[i], err, sizeof err))
			return report(EXIT_USAGE, err);
	if (config_validate(cfg, err, sizeof err))
		return report(EXIT_USAGE, err);
	return 0;
}

static int stdout_done(void);

static int parse_only(const char *path)
{
	char err[640];
	trace_reader *r = trace_open(path, err, sizeof err);
	if (!r)
		return report(EXIT_NOINPUT, err);
	unsigned cpus;
	trace_record rec;
	int rc = trace_read_header(r, &cpus, err, sizeof err);
	unsigned long long n = 0;
	while (rc == 0 && (rc = trace_next(r, &rec, err, sizeof err)) > 0)
		n++, rc = 0;
	int io = trace_io_error(r);
	trace_close(r);
	if (rc < 0)
		return report_run(io ? EXIT_NOINPUT : EXIT_DATAERR, err);
	printf("mmusim: %llu records parsed\n", n);
	return stdout_done();
}

/* A closed standard descriptor is taken by /dev/null opened read-only,
 * so that no file the run opens becomes "standard input" or "standard
 * output" by accident: reading a closed stdin is refused (stdin_closed),
 * writing a closed stdout fails and is reported. */
static bool stdin_closed;
static void hold_standard_fds(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
			if (fd == 0)
				stdin_closed = true;
			if (open("/dev/null", O_RDONLY) != fd)
				_exit(EXIT_SOFTWARE);
		}
}

/* After output to stdout that ends the program (--help, --list-config). */
static int stdout_done(void)
{
	char err[256];
	if (output_check_stdout(err, sizeof err))
		return report(EXIT_NOINPUT, err);
	return 0;
}

static output *stats_out, *vcd_out, *fst_out;

static int fail_run(int rc)
{
	output_abandon(stats_out);
	output_abandon(vcd_out);
	output_abandon(fst_out);
	stats_out = vcd_out = fst_out = NULL;
	return rc;
}

int main(int argc, char **argv)
{
	hold_standard_fds();
	set_out_of_memory();
	struct options o = { 0 };
	int rc = parse_args(argc, argv, &o);
	if (rc)
		return rc < 0 ? stdout_done() : rc;
	enum sim_mode mode = MODE_FAST;
	if (o.mode && sim_mode_parse(o.mode, &mode))
		return usage_error("unknown mode '%s' (fast, systemc or cosim)", o.mode);
	if (o.mo.vcd_path && mode == MODE_FAST)
		return usage_error("--vcd needs --mode systemc or cosim%s", "");
	if (o.fst && mode == MODE_FAST)
		return usage_error("--fst needs --mode systemc or cosim%s", "");
#if defined(MMUSIM_HAVE_SC) && !defined(MMUSIM_HAVE_FST)   /* without SystemC: run_mode says so */
	if (o.fst && mode != MODE_FAST)
		return usage_error("--fst is not available: this build has no FST writer"
		                   " (Verilator's fstapi, found when mmusim is configured)%s", "");
#endif
	if (o.fst && !strcmp(o.fst, "-"))
		return usage_error("--fst cannot write standard output ('-'): the FST writer seeks in its file%s", "");
	/* a window is given in cycles or in trace lines, not half of each */
	if ((o.mo.vcd_from_line && o.mo.vcd_to) || (o.mo.vcd_to_line && o.mo.vcd_from))
		return usage_error("--vcd-from and --vcd-to take both cycles or both line:N%s", "");
	config cfg;
	if ((rc = build_config(&o, &cfg)))
		return rc;
	if (!strcmp(o.trace, "-") && stdin_closed)
		return fail(EXIT_NOINPUT, "cannot read standard input: %s", strerror(EBADF));
	/* the outputs are checked and their temp files made before the run */
	output_signals(&interrupted, EXIT_INTERRUPTED);
	char err[640];
	const char *inputs[] = { o.trace, o.config_file, NULL };
	if ((o.stats_json && !(stats_out = output_open(o.stats_json, inputs, err, sizeof err))) ||
	    (o.mo.vcd_path && !(vcd_out = output_open(o.mo.vcd_path, inputs, err, sizeof err))) ||
	    (o.fst && !(fst_out = output_open(o.fst, inputs, err, sizeof err))))
		return fail_run(report(EXIT_NOINPUT, err));
	if (vcd_out)
		o.mo.vcd_file = output_stream(vcd_out);
	if (fst_out) {   /* the FST writer opens the temp file by name and keeps NAME.hier beside it */
		output_side_file(fst_out, ".hier");
		o.mo.fst_path = o.fst;
		o.mo.fst_file = output_temp_path(fst_out);
	}
	if (stats_out && output_stream(stats_out) == stdout)
		o.quiet = true;   /* standard output holds the JSON alone */
	if (o.parse_only)
		return fail_run(parse_only(o.trace));
	if (o.pack) {
		if ((rc = exit_status(mmtb_pack(o.pack, o.trace, err, sizeof err))))
			report_run(rc, err);
		return fail_run(rc);
	}
	static sim s;
	rc = exit_status(sim_open(&s, &cfg, o.trace));
	if (rc) {
		report_run(rc, s.err);
		sim_close(&s);
		return fail_run(rc);
	}
	o.mo.interrupted = &interrupted;
	/* the parse stage: by default for text, which costs more to read
	 * than the binary form's hand-over would save */
	s.parse_thread = o.threads ? o.threads == 2 : !trace_is_binary(s.reader) && stage_worthwhile();
	/* the trace hashed on a thread of its own while it runs */
	static provenance prov;
	if (o.stats_json)
		prov_start_file(&prov, o.trace, &interrupted);
	static progress prog;
	progress_start(&prog, o.progress, s.reader);
	if (prog.mode != PROGRESS_OFF) {
		s.progress = progress_update;
		s.progress_ctx = &prog;
	}
	rc = exit_status(run_mode(&s, mode, &o.mo));
	progress_end(&prog, sim_records_run(&s), rc == 0 || rc == EXIT_CHECK);
	if (rc != 0 && rc != EXIT_CHECK) {
		if (o.stats_json)
			free(prov_finish(&prov, argc, argv, ""));
		report_run(rc, s.err);
		sim_close(&s);
		return fail_run(rc);
	}
	sim_finish(&s);
	if (cfg.v[K_ROI_WARMUP] > s.st.roi_begin)
		fprintf(stderr, "mmusim: warning: the trace ended in its warm-up (roi.warmup_records=%llu, %llu records):"
		        " the statistics count nothing\n", (unsigned long long)cfg.v[K_ROI_WARMUP],
		        (unsigned long long)s.st.roi_begin);
	if (o.stats_json)
		s.st.provenance = prov_finish(&prov, argc, argv, o.preset ? o.preset : "skylake");
	if (interrupted || rc == EXIT_CHECK)   /* interrupted, or stopped by a co-simulation mismatch */
		s.st.complete = false;
	if (vcd_out && output_commit(vcd_out, err, sizeof err)) {
		vcd_out = NULL;
		report(EXIT_NOINPUT, err);
		sim_close(&s);
		return fail_run(EXIT_NOINPUT);
	}
	vcd_out = NULL;
	if (fst_out && output_reopen(fst_out, err, sizeof err)) {
		report(EXIT_NOINPUT, err);
		sim_close(&s);
		return fail_run(EXIT_NOINPUT);
	}
	if (fst_out && output_commit(fst_out, err, sizeof err)) {
		fst_out = NULL;
		report(EXIT_NOINPUT, err);
		sim_close(&s);
		return fail_run(EXIT_NOINPUT);
	}
	fst_out = NULL;
	s.st.summary_mm = o.summary_mm;
	s.st.summary_tasks = o.summary_tasks;
	if (stats_out) {
		stats_print_json(&s.st, &cfg, sim_mode_name(mode), output_stream(stats_out));
		int bad = output_commit(stats_out, err, sizeof err);
		stats_out = NULL;
		if (bad) {
			report(EXIT_NOINPUT, err);
			sim_close(&s);
			return EXIT_NOINPUT;
		}
	}
	if (!o.quiet) {
		stats_print_summary(&s.st, stdout);
		if (output_check_stdout(err, sizeof err)) {
			report(EXIT_NOINPUT, err);
			sim_close(&s);
			return EXIT_NOINPUT;
		}
	}
	cpu_stats total;
	stats_total(&s.st, &total);
	if (rc == EXIT_CHECK)
		report_run(rc, s.err);
	else if (total.stale_hits)
		rc = fail(EXIT_CHECK, "checker violation: %llu TLB hits on translations the page tables no longer hold",
		          (unsigned long long)total.stale_hits);
	sim_close(&s);
	return interrupted ? EXIT_INTERRUPTED : rc;
}
