/* sim/stage.h - the parse stage: the trace reader on a thread of its own,
 * handing what it reads to the engine through a bounded queue of chunks
 * (fast mode, sim_run_fast, when s->parse_thread is set).
 *
 * A chunk is what one turn of the single-threaded loop reads: up to 256
 * access lines (trace_next_accesses), or when there are none, the one
 * record, end or error trace_next gave.  The engine runs
 * the chunks in order exactly as it would have run its own reads, so the
 * statistics, errors and exit statuses are the same: a reader error is
 * reported only after every record before it ran, and an engine error
 * stops the run before the reader's later records matter.  Memory stays
 * bounded: STAGE_CHUNKS chunks, whatever the trace's length.
 */
#ifndef MMUSIM_SIM_STAGE_H
#define MMUSIM_SIM_STAGE_H

#include "base/trace.h"

#define STAGE_BATCH 256
#define STAGE_CHUNKS 16

enum stage_tail { TAIL_NONE, TAIL_RECORD, TAIL_END, TAIL_ERROR };

typedef struct stage_chunk {
	unsigned n;                   /* accesses in acc[] */
	enum stage_tail tail;         /* after them */
	trace_record rec;             /* TAIL_RECORD */
	trace_access acc[STAGE_BATCH];
} stage_chunk;

typedef struct parse_stage parse_stage;

/* Starts the thread reading r (its header already read); NULL when no
 * thread could be made (the caller reads r itself). */
parse_stage *stage_start(trace_reader *r);
/* The next chunk, in order (waits for it); the previous one is given back. */
const stage_chunk *stage_next(parse_stage *p);
/* The reader's message for TAIL_ERROR. */
const char *stage_error(const parse_stage *p);
/* Stops the thread (wherever it is) and frees the stage. */
void stage_stop(parse_stage *p);

/* Whether the host has two or more online cores. */
bool stage_worthwhile(void);

#endif
