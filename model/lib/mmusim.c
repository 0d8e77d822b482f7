/* lib/mmusim.c - libmmusim: the public interface (include/mmusim/mmusim.h)
 * over the engine the mmusim command runs.
 *
 * Nothing here models anything: a handle holds a configuration made by
 * base/config.c, a run is sim_open_reader + sim_run_fast + sim_finish as in
 * cli/main.c, and the statistics are the text stats_print_json writes for
 * --stats-json.  A record stream is a stdio stream over the caller's read
 * function (fopencookie), read by the one trace reader.
 */
#define _GNU_SOURCE   /* fopencookie, open_memstream */
#include "mmusim/mmusim.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "base/output.h"
#include "base/provenance.h"
#include "base/stats.h"
#include "base/trace.h"
#include "sim/engine.h"


/* The library's status of what the engine reports (the command's exit
 * status of the same meaning, as include/mmusim/mmusim.h promises). */
static int lib_status(enum failure f)
{
	switch (f) {
	case FAIL_NONE:     return MMUSIM_OK;
	case FAIL_CHECK:    return MMUSIM_CHECK;
	case FAIL_USAGE:    return MMUSIM_USAGE;
	case FAIL_TRACE:    return MMUSIM_DATAERR;
	case FAIL_INPUT:    return MMUSIM_NOINPUT;
	case FAIL_INTERNAL: break;
	}
	return MMUSIM_SOFTWARE;
}

struct mmusim {
	config cfg;
	volatile sig_atomic_t interrupted;
	char preset[32];
	provenance prov;          /* of the run in progress */
	char *json;               /* the last run's statistics, or NULL */
	size_t json_len;
	char value[64];           /* mmusim_get's answer */
	char err[640];
};

const char *mmusim_version(void)
{
	return mmusim_build_version;
}

static int fail(mmusim *m, int status, const char *fmt, const char *arg)
{
	snprintf(m->err, sizeof m->err, fmt, arg);
	return status;
}

static int ok(mmusim *m)
{
	m->err[0] = 0;
	return MMUSIM_OK;
}

int mmusim_open(mmusim **out, const char *preset)
{
	mmusim *m = calloc(1, sizeof *m);
	*out = m;
	if (!m)
		return MMUSIM_SOFTWARE;
	/* the model out of host memory ends the process, as the command */
	output_on_out_of_memory("libmmusim: out of host memory\n", MMUSIM_SOFTWARE);
	/* the defaults first, so a handle is usable even after a bad preset */
	config_preset(&m->cfg, "skylake", m->err, sizeof m->err);
	snprintf(m->preset, sizeof m->preset, "skylake");
	if (preset && config_preset(&m->cfg, preset, m->err, sizeof m->err)) {
		config_preset(&m->cfg, "skylake", m->value, sizeof m->value);
		return MMUSIM_USAGE;
	}
	if (preset)
		snprintf(m->preset, sizeof m->preset, "%s", preset);
	return ok(m);
}

void mmusim_close(mmusim *m)
{
	if (!m)
		return;
	free(m->json);
	free(m);
}

int mmusim_set_line(mmusim *m, const char *assignment)
{
	return config_set(&m->cfg, assignment, m->err, sizeof m->err) ? MMUSIM_USAGE : ok(m);
}

int mmusim_set(mmusim *m, const char *key, const char *value)
{
	size_t n = strlen(key) + strlen(value) + 2;
	char *a = malloc(n);
	if (!a)
		return fail(m, MMUSIM_SOFTWARE, "out of memory%s", "");
	snprintf(a, n, "%s=%s", key, value);
	if (strchr(key, '=') || !*key) {
		free(a);
		return fail(m, MMUSIM_USAGE, "unknown configuration key '%s' (see --list-config)", key);
	}
	int rc = mmusim_set_line(m, a);
	free(a);
	return rc;
}

int mmusim_config_file(mmusim *m, const char *path)
{
	int rc = config_load(&m->cfg, path, m->err, sizeof m->err);
	return rc == -2 ? MMUSIM_NOINPUT : rc ? MMUSIM_USAGE : ok(m);   /* -2: cannot be read */
}

const char *mmusim_get(mmusim *m, const char *key)
{
	for (int k = 0; k < K_COUNT; k++)
		if (!strcmp(config_key_name((enum cfg_key)k), key)) {
			config_format(&m->cfg, (enum cfg_key)k, m->value, sizeof m->value);
			return m->value;
		}
	return NULL;
}

void mmusim_interrupt(mmusim *m)
{
	m->interrupted = 1;
}

static void drop_stats(mmusim *m)
{
	free(m->json);
	m->json = NULL;
	m->json_len = 0;
}

/* Before a run: the previous statistics and interrupt request go. */
static void begin(mmusim *m)
{
	drop_stats(m);
	m->interrupted = 0;
}

/* The run of cli/main.c in fast mode, over a reader already opened, with
 * m->prov started for its trace. */
static int run(mmusim *m, trace_reader *reader, const bool *read_failed)
{
	static const char noinput[] = "%s: read error in the record stream";
	bool bad_config = config_validate(&m->cfg, m->err, sizeof m->err) != 0;
	sim *s = bad_config ? NULL : calloc(1, sizeof *s);
	if (!s) {
		free(prov_finish(&m->prov, 0, NULL, m->preset));
		trace_close(reader);
		return bad_config ? MMUSIM_USAGE : fail(m, MMUSIM_SOFTWARE, "out of memory%s", "");
	}
	char name[256];
	snprintf(name, sizeof name, "%s", trace_name(reader));
	enum failure f = sim_open_reader(s, &m->cfg, reader);
	if (!f)
		f = sim_run_fast(s, &m->interrupted);
	int rc = lib_status(f);
	char *prov = prov_finish(&m->prov, 0, NULL, m->preset);
	if (read_failed && *read_failed) {
		rc = fail(m, MMUSIM_NOINPUT, noinput, name);
		free(prov);
	} else if (rc) {
		snprintf(m->err, sizeof m->err, "%s", s->err);
		free(prov);
	} else {
		sim_finish(s);
		s->st.provenance = prov;
		if (m->interrupted) {
			s->st.complete = false;
			rc = MMUSIM_INTERRUPTED;
			snprintf(m->err, sizeof m->err, "%s: interrupted", name);
		}
		FILE *f = open_memstream(&m->json, &m->json_len);
		if (!f) {
			rc = fail(m, MMUSIM_SOFTWARE, "out of memory%s", "");
		} else {
			stats_print_json(&s->st, &m->cfg, "fast", f);
			if (fclose(f)) {
				drop_stats(m);
				rc = fail(m, MMUSIM_SOFTWARE, "out of memory%s", "");
			}
		}
		cpu_stats total;
		stats_total(&s->st, &total);
		if (!rc && total.stale_hits) {
			snprintf(m->err, sizeof m->err,
			         "checker violation: %llu TLB hits on translations the page tables no longer hold",
			         (unsigned long long)total.stale_hits);
			rc = MMUSIM_CHECK;
		}
		if (!rc)
			m->err[0] = 0;
	}
	sim_close(s);
	free(s);
	return rc;
}

int mmusim_run_file(mmusim *m, const char *path)
{
	begin(m);
	trace_reader *r = trace_open(path, m->err, sizeof m->err);
	if (!r)
		return MMUSIM_NOINPUT;
	prov_start_file(&m->prov, path, &m->interrupted);
	return run(m, r, NULL);
}

int mmusim_run_buffer(mmusim *m, const char *name, const char *text, size_t len)
{
	begin(m);
	name = name ? name : "<buffer>";
	prov_start_fed(&m->prov, name);
	prov_feed(&m->prov, text, len);
	return run(m, trace_open_mem(name, text, len), NULL);
}

struct stream {
	mmusim_read_fn read;
	void *user;
	bool failed;
	provenance *prov;         /* hashes what passes */
};

static ssize_t stream_read(void *cookie, char *buf, size_t cap)
{
	struct stream *st = cookie;
	if (st->failed)
		return -1;
	long n = st->read(st->user, buf, cap);
	if (n < 0 || (size_t)n > cap) {
		st->failed = true;
		return -1;
	}
	prov_feed(st->prov, buf, (size_t)n);
	return n;
}

int mmusim_run_stream(mmusim *m, const char *name, mmusim_read_fn read, void *user)
{
	begin(m);
	name = name ? name : "<stream>";
	struct stream st = { read, user, false, &m->prov };
	cookie_io_functions_t io = { .read = stream_read };
	FILE *f = fopencookie(&st, "r", io);
	if (!f)
		return fail(m, MMUSIM_SOFTWARE, "out of memory%s", "");
	prov_start_fed(&m->prov, name);
	return run(m, trace_open_stream(f, name), &st.failed);
}

const char *mmusim_stats_json(mmusim *m)
{
	return m->json;
}

const char *mmusim_error(const mmusim *m)
{
	return m->err;
}

/* --- mmusim_stat: one number of our own JSON by its dotted path --------- */

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

/* Past the string at p (its opening quote), escapes and all. */
static const char *skip_string(const char *p)
{
	for (p++; *p && *p != '"'; p++)
		if (*p == '\\' && p[1])
			p++;
	return *p ? p + 1 : NULL;
}

/* Past one JSON value (the writer's output). */
static const char *skip_value(const char *p)
{
	p = skip_ws(p);
	if (*p == '"')
		return skip_string(p);
	if (*p == '{' || *p == '[') {
		int depth = 0;
		for (; *p; p++) {
			if (*p == '"') {
				if (!(p = skip_string(p)))
					return NULL;
				p--;
			} else if (*p == '{' || *p == '[') {
				depth++;
			} else if ((*p == '}' || *p == ']') && --depth == 0) {
				return p + 1;
			}
		}
		return NULL;
	}
	while (*p && *p != ',' && *p != '}' && *p != ']')
		p++;
	return p;
}

/* The value of member (object) or element (array) seg of the value at p. */
static const char *member(const char *p, const char *seg, size_t len)
{
	p = skip_ws(p);
	if (*p == '[') {
		char *end;
		unsigned long i = strtoul(seg, &end, 10);
		if (end != seg + len || !len)
			return NULL;
		p = skip_ws(p + 1);
		for (unsigned long n = 0; *p && *p != ']'; n++) {
			if (n == i)
				return p;
			if (!(p = skip_value(p)))
				return NULL;
			p = skip_ws(p);
			if (*p == ',')
				p = skip_ws(p + 1);
		}
		return NULL;
	}
	if (*p != '{')
		return NULL;
	p = skip_ws(p + 1);
	while (*p == '"') {
		const char *k = p + 1, *e = strchr(k, '"');
		if (!e)
			return NULL;
		p = skip_ws(e + 1);
		if (*p != ':')
			return NULL;
		p = skip_ws(p + 1);
		if ((size_t)(e - k) == len && !memcmp(k, seg, len))
			return p;
		if (!(p = skip_value(p)))
			return NULL;
		p = skip_ws(p);
		if (*p == ',')
			p = skip_ws(p + 1);
	}
	return NULL;
}

int mmusim_stat(mmusim *m, const char *path, double *value)
{
	if (!m->json)
		return fail(m, MMUSIM_USAGE, "no statistics: no run has completed%s", "");
	const char *p = m->json;
	/* config keys hold dots of their own ("tlb.l1d.4k.entries") */
	if (!strncmp(path, "config.", 7)) {
		p = member(p, "config", 6);
		if (p)
			p = member(p, path + 7, strlen(path + 7));
	} else {
		for (const char *seg = path; p;) {
			const char *dot = strchr(seg, '.');
			size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
			p = member(p, seg, len);
			if (!dot)
				break;
			seg = dot + 1;
		}
	}
	if (p) {
		p = skip_ws(p);
		if (!strncmp(p, "true", 4) || !strncmp(p, "false", 5)) {
			*value = *p == 't';
			return ok(m);
		}
		if (*p == '"' && (!strncmp(p, "\"on\"", 4) || !strncmp(p, "\"off\"", 5))) {
			*value = p[2] == 'n';
			return ok(m);
		}
		char *end;
		double v = strtod(p, &end);
		if (end != p && (*end == ',' || *end == '}' || *end == ']' || *end == '\n' || *end == ' ')) {
			*value = v;
			return ok(m);
		}
	}
	return fail(m, MMUSIM_USAGE, "'%s' names no number of the statistics", path);
}
