/* cli/progress.h - the progress line of a run on standard error
 * (docs/trace-format.md, "The command line"): records done, bytes of the
 * trace read and the percent of its size when it is a regular file, the
 * rate and the time left; at most four times a second.  Human: rewritten
 * in place on a terminal, a line each otherwise; JSON: an object a line,
 * one as the run starts and one with "done": true as it ends. */
#ifndef MMUSIM_CLI_PROGRESS_H
#define MMUSIM_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/trace.h"

enum progress_mode { PROGRESS_AUTO, PROGRESS_OFF, PROGRESS_ON, PROGRESS_JSON };

typedef struct progress {
	enum progress_mode mode;  /* AUTO resolved: OFF, ON or JSON */
	bool tty;                 /* standard error is a terminal */
	bool sized;               /* the trace is a regular file of `size` bytes */
	uint64_t size;
	const trace_reader *r;
	double t0, last;          /* monotonic seconds: start, last line */
	bool shown;               /* a human line is on the terminal */
} progress;

/* mode from --progress[=on|json|off]: 0, or -1 for a value it does not know. */
int progress_parse(const char *value, enum progress_mode *mode);
void progress_start(progress *p, enum progress_mode mode, const trace_reader *r);
/* The engine's callback (sim.progress): a line if a quarter second passed. */
void progress_update(void *ctx, uint64_t records);
/* The run ended (done) or stopped: the last JSON object, or the human line
 * taken off the terminal (a last line when it is not one). */
void progress_end(progress *p, uint64_t records, bool done);

#endif
