/* base/trace_lane.h - the trace reader's fast lane, a speed device beside
 * the rules of base/trace.c: one canonical access line ("C OP 0xHEX
 * [SIZE]" and its LF, a CPU of one or two digits, single spaces, SIZE
 * without leading zeros) read in one pass.  It accepts only lines the
 * rules read the same way, with the same columns; anything else it
 * declines, and the rules read it (the fuzzer checks both agree,
 * trace_bytewise_only). */
#ifndef MMUSIM_BASE_TRACE_LANE_H
#define MMUSIM_BASE_TRACE_LANE_H

#include "base/trace.h"

#define TRACE_LANE_NEED 32   /* bytes the lane may read from the line's start */

/* The access line at s (TRACE_LANE_NEED readable bytes) of a trace of
 * cpus CPUs into *a (all but a->line): its length without the LF, or -1. */
long trace_lane_access(unsigned cpus, const char *s, trace_access *a);

#endif
