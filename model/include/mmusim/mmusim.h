/* mmusim/mmusim.h - the C interface of libmmusim.
 *
 * The library is the mmusim command's engine behind a small handle: a
 * configuration (a preset, then single keys or a KEY=VALUE file, exactly
 * as --preset, --config and --set), a run over an mmtrace (a file, a
 * buffer, or records pulled from a callback), and the statistics of the
 * last run as the mmusim-stats/1 JSON document that --stats-json writes,
 * or one number of it by its dotted path.  Runs are in fast mode; the
 * results are the command's, byte for byte but for the command line in
 * "provenance" (null here; the trace's path, size and SHA-256 are there).
 *
 * Every function that can fail returns the status the command would
 * exit with (MMUSIM_OK, MMUSIM_CHECK, MMUSIM_USAGE, ...); mmusim_error()
 * then says why, with "FILE:LINE:COL: error: ..." for a bad trace.  A
 * handle is used by one thread at a time; separate handles are
 * independent.
 *
 *   mmusim *m;
 *   if (mmusim_open(&m, "skylake") || mmusim_set(m, "pcid", "off") ||
 *       mmusim_run_file(m, "t.trace") > MMUSIM_CHECK)
 *           fprintf(stderr, "%s\n", mmusim_error(m));
 *   double rate;
 *   mmusim_stat(m, "tlb.hit_rate", &rate);
 *   mmusim_close(m);
 */
#ifndef MMUSIM_MMUSIM_H
#define MMUSIM_MMUSIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(MMUSIM_BUILDING_LIBRARY) && defined(__GNUC__)
#define MMUSIM_API __attribute__((visibility("default")))
#else
#define MMUSIM_API
#endif

/* The version of this interface: grows when functions are added. */
#define MMUSIM_API_VERSION 1

/* Statuses: the mmusim command's exit statuses. */
enum {
	MMUSIM_OK = 0,          /* ran to the end */
	MMUSIM_CHECK = 1,       /* ran to the end; the checker saw stale TLB hits */
	MMUSIM_USAGE = 64,      /* unknown preset or key, bad value, impossible geometry */
	MMUSIM_DATAERR = 65,    /* the trace is not a valid mmtrace */
	MMUSIM_NOINPUT = 66,    /* the trace or configuration file cannot be read */
	MMUSIM_SOFTWARE = 70,   /* internal error, or out of memory */
	MMUSIM_INTERRUPTED = 130 /* mmusim_interrupt() stopped the run */
};

typedef struct mmusim mmusim;

/* The library's version ("0.1.0-12-gabcdef", git describe at build time). */
MMUSIM_API const char *mmusim_version(void);

/* A new handle with a preset's configuration (NULL: "skylake").  *m is
 * set whatever the status (NULL only when out of memory); close it even
 * after an error. */
MMUSIM_API int mmusim_open(mmusim **m, const char *preset);
MMUSIM_API void mmusim_close(mmusim *m);

/* Configuration, as the command applies it: mmusim_set(m, "pcid", "off")
 * is --set pcid=off, mmusim_set_line(m, "pcid=off") the same from one
 * string, mmusim_config_file(m, path) is --config (MMUSIM_NOINPUT if the
 * file cannot be read, as the command).  Cross-key checks
 * (geometry) are made when a run starts. */
MMUSIM_API int mmusim_set(mmusim *m, const char *key, const char *value);
MMUSIM_API int mmusim_set_line(mmusim *m, const char *assignment);
MMUSIM_API int mmusim_config_file(mmusim *m, const char *path);
/* A key's value as --list-config and the statistics spell it ("on",
 * "64", "17179869184"); NULL for an unknown key.  Valid until the next
 * call on m. */
MMUSIM_API const char *mmusim_get(mmusim *m, const char *key);

/* Runs a whole trace on a freshly booted machine with the current
 * configuration.  The statistics of the run replace the previous run's;
 * they are kept when the status is MMUSIM_OK, MMUSIM_CHECK or
 * MMUSIM_INTERRUPTED ("complete": false), and cleared otherwise. */
MMUSIM_API int mmusim_run_file(mmusim *m, const char *path);   /* "-": standard input */
/* An mmtrace in memory; name is the FILE in error messages. */
MMUSIM_API int mmusim_run_buffer(mmusim *m, const char *name, const char *text, size_t len);

/* A record stream: the run pulls mmtrace text from read(user, buf, cap),
 * which returns the number of bytes it put in buf (any amount from 1 to
 * cap, cut anywhere, even inside a line), 0 at the end of the stream, or
 * -1 on an error of its own (the run then returns MMUSIM_NOINPUT).  The
 * records are simulated as they arrive, in constant memory; line numbers
 * in errors count the stream's lines from 1. */
typedef long (*mmusim_read_fn)(void *user, char *buf, size_t cap);
MMUSIM_API int mmusim_run_stream(mmusim *m, const char *name, mmusim_read_fn read, void *user);

/* Asks the run in progress on m to stop (async-signal-safe: a signal
 * handler may call it); the run returns MMUSIM_INTERRUPTED with the
 * statistics so far.  The request is cleared when a run starts. */
MMUSIM_API void mmusim_interrupt(mmusim *m);

/* The last run's statistics as the JSON document --stats-json writes
 * (schema mmusim-stats/1); NULL when there are none.  Valid until the
 * next run or mmusim_close. */
MMUSIM_API const char *mmusim_stats_json(mmusim *m);
/* One number of that document by its path: "tlb.hits", "walks.latency.p99",
 * "shootdowns.ipis", "cpus.1.tlb.misses", "config.asids"; true and false
 * read as 1 and 0.  0, or MMUSIM_USAGE for a path that names no number
 * (or when there are no statistics). */
MMUSIM_API int mmusim_stat(mmusim *m, const char *path, double *value);

/* The message of the last failure on m ("" when the last call succeeded). */
MMUSIM_API const char *mmusim_error(const mmusim *m);

#ifdef __cplusplus
}
#endif

#endif
