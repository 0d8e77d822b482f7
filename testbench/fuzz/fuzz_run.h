/* fuzz_run.h - one run of the whole engine for the libFuzzer targets
 * (fuzz_sim, fuzz_mmtb, fuzz_config): its exit status, its message and,
 * when it ran to the end, its statistics as JSON, so that two ways of
 * running the same trace can be compared byte for byte. */
#ifndef MMUSIM_FUZZ_RUN_H
#define MMUSIM_FUZZ_RUN_H

/* open_memstream: POSIX beyond C11 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine.h"

struct fuzz_run {
	enum failure rc;        /* FAIL_NONE or the run's failure */
	char err[640];
	char *json;             /* statistics when rc == 0 (malloc'd), else NULL */
	size_t json_len;
	uint64_t stale_hits;
};

enum fuzz_how { FUZZ_STEPS, FUZZ_FAST };

/* Runs the trace in buf under cfg, record by record (sim_step, as the
 * SystemC layer does) or in fast mode's loops (sim_run); the JSON is
 * printed with json_cfg (so runs under configurations that must not
 * change a result print the same config block). */
static inline void fuzz_run(struct fuzz_run *out, const config *cfg, const config *json_cfg,
                            const char *name, const void *buf, size_t len, enum fuzz_how how)
{
	static sim s;
	memset(out, 0, sizeof *out);
	out->rc = sim_open_mem(&s, cfg, name, (const char *)buf, len);
	if (out->rc == 0) {
		if (how == FUZZ_FAST)
			out->rc = sim_run(&s);
		else {
			int got;
			while ((got = sim_step(&s)) > 0)
				;
			out->rc = got < 0 ? s.failure : FAIL_NONE;
		}
	}
	if (out->rc == 0) {
		sim_finish(&s);
		cpu_stats total;
		stats_total(&s.st, &total);
		out->stale_hits = total.stale_hits;
		FILE *f = open_memstream(&out->json, &out->json_len);
		if (!f)
			abort();
		stats_print_json(&s.st, json_cfg, "fast", f);
		if (fclose(f))
			abort();
	}
	snprintf(out->err, sizeof out->err, "%s", s.err);
	sim_close(&s);
}

/* Two runs that must agree: the same status, message and statistics. */
static inline void fuzz_same(const struct fuzz_run *a, const struct fuzz_run *b, const char *what)
{
	if (a->rc != b->rc || strcmp(a->err, b->err) || !a->json != !b->json ||
	    (a->json && (a->json_len != b->json_len || memcmp(a->json, b->json, a->json_len)))) {
		fprintf(stderr, "fuzz: %s disagree:\n  rc %d, %s\n  rc %d, %s\n%s\n---\n%s\n", what,
		        (int)a->rc, a->err, (int)b->rc, b->err, a->json ? a->json : "", b->json ? b->json : "");
		abort();
	}
}

/* The checker (docs/model.md): with no test.skip_* key, a TLB hit on a
 * translation the page tables no longer hold is a bug of the model. */
static inline void fuzz_no_stale_hits(const struct fuzz_run *r, const config *cfg)
{
	if (r->stale_hits && !cfg->v[K_TEST_SKIP_SHOOTDOWN] && !cfg->v[K_TEST_SKIP_BROADCAST]) {
		fprintf(stderr, "fuzz: %llu stale TLB hits (checker violation) with a correct kernel\n",
		        (unsigned long long)r->stale_hits);
		abort();
	}
}

static inline void fuzz_run_free(struct fuzz_run *r)
{
	free(r->json);
	r->json = NULL;
}

static inline void fuzz_config(config *c, const char *preset, const char *const *sets)
{
	char err[256];
	if (config_preset(c, preset, err, sizeof err))
		abort();
	for (; *sets; sets++)
		if (config_set(c, *sets, err, sizeof err)) {
			fprintf(stderr, "fuzz: %s\n", err);
			abort();
		}
	if (config_validate(c, err, sizeof err)) {
		fprintf(stderr, "fuzz: %s\n", err);
		abort();
	}
}

/* FNV-1a: picks a machine for an input, the same one every time. */
static inline uint32_t fuzz_hash(const uint8_t *data, size_t size)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	return h;
}

#endif
