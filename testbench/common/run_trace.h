/* testbench/common/run_trace.h - unit tests that drive the engine over an
 * in-memory trace and look at the model's state between records. */
#ifndef MMUSIM_TEST_RUN_TRACE_H
#define MMUSIM_TEST_RUN_TRACE_H

#include "sim/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Opens TEXT on the skylake preset plus one KEY=VALUE (or NULL); exit 2
 * if it cannot. */
static inline void open_trace_with(sim *s, const char *text, const char *set)
{
	config cfg;
	char err[200] = "";
	if (config_preset(&cfg, "skylake", err, sizeof err) ||
	    (set && config_set(&cfg, set, err, sizeof err)) ||
	    sim_open_mem(s, &cfg, "t", text, strlen(text))) {
		fprintf(stderr, "cannot open: %s %s\n", err, s->err);
		exit(2);
	}
}

static inline void open_trace(sim *s, const char *text) { open_trace_with(s, text, NULL); }

/* Runs records until `records` have been read (0: to the end); exit 2
 * on an error. */
static inline void run_to(sim *s, uint64_t records)
{
	while (!records || s->st.records < records) {
		int rc = sim_step(s);
		if (rc < 0) {
			fprintf(stderr, "%s\n", s->err);
			exit(2);
		}
		if (rc == 0)
			break;
	}
}

#endif
