/* sim/engine.h - the simulation engine: reads records, applies the
 * ordering rule of docs/trace-format.md to per-CPU clocks, dispatches to the kernel
 * layer and owns the statistics.  Observers (os_observer) see every event
 * with its cycle; the SystemC layer drives the engine through sim_step.
 */
#ifndef MMUSIM_SIM_ENGINE_H
#define MMUSIM_SIM_ENGINE_H

#include <signal.h>

#include "base/config.h"
#include "base/failure.h"
#include "base/stats.h"
#include "base/trace.h"
#include "os/os.h"

typedef struct sim {
	config cfg;
	trace_reader *reader;
	unsigned ncpus;
	kernel k;
	sim_stats st;
	bool kernel_up;
	bool reported;            /* sim_finish took the end-of-trace reports */
	uint64_t last_start;      /* start cycle of the previous record */
	trace_record rec;         /* the record being processed */
	/* Access lines read ahead in a batch (trace_next_accesses): reading
	 * many in one loop and then running them keeps each loop's code and
	 * branches together.  Nothing but the reader's position changes. */
	trace_access batch[256];
	unsigned batch_len, batch_next;
	/* Fast mode: read the trace on a thread of its own (sim/stage.h).
	 * Set by the caller before sim_run_fast; changes no result. */
	bool parse_thread;
	struct parse_stage *stage;
	/* The region of interest (roi.warmup_records, roi begin, roi end):
	 * the counts are zeroed as it begins and saved as it ends
	 * (stats_reset_counters); roi_warmup is the record count at which it
	 * begins, while that is still to come. */
	uint64_t roi_warmup;
	uint64_t roi_begin;        /* records run before it began */
	uint64_t *roi_clock;       /* [ncpus]: the clocks as it began */
	bool roi_begun, roi_marked, roi_ended;
	uint64_t roi_begin_line;
	sim_stats roi_saved;       /* the counts as it ended */
	/* Per-task counts (stats_task): each CPU's row (SIZE_MAX: none yet)
	 * and its counts when they were last taken. */
	struct task_acct { size_t row; task_counts base; } *acct;
	/* Progress (the command line's): called now and then, about every
	 * 16,000 records, with the records run so far; NULL: never. */
	void (*progress)(void *ctx, uint64_t records);
	void *progress_ctx;
	unsigned progress_tick;
	/* The CPU of the record sim_step just ran (UINT_MAX: a declaration);
	 * its line is rec.line, its start last_start (the SystemC layer's
	 * line signal). */
	unsigned step_cpu;
	enum failure failure;      /* of the failed step, with err */
	char err[640];
} sim;

/* Opens the trace and boots the machine.  Returns FAIL_NONE or the
 * failure with s->err ("FILE:LINE:COL: error: ..." for trace errors). */
enum failure sim_open(sim *s, const config *cfg, const char *trace_path);
enum failure sim_open_mem(sim *s, const config *cfg, const char *name, const char *buf, size_t len);
/* The same over a reader the caller opened (the sim closes it). */
enum failure sim_open_reader(sim *s, const config *cfg, trace_reader *reader);
void sim_set_observer(sim *s, const os_observer *obs);
/* One record: 1 done, 0 end of trace, -1 error (s->failure, s->err). */
int sim_step(sim *s);
/* Runs to the end; returns FAIL_NONE or the failure (s->err). */
enum failure sim_run(sim *s);
/* The same, faster, for fast mode (no observer needs each record's
 * steps): runs of access lines in a tight loop.  Returns 0 early when
 * *interrupted is set (checked between runs of up to 256 records). */
enum failure sim_run_fast(sim *s, volatile sig_atomic_t *interrupted);
/* What the SystemC layer reads of one CPU: its clock, its CR3, its MMU. */
static inline uint64_t sim_cpu_clock(const sim *s, unsigned cpu)
{
	return os_cpu_clock(os_cpu_const(&s->k, cpu));
}
static inline uint64_t sim_cpu_cr3(const sim *s, unsigned cpu)
{
	return mmu_cr3(os_cpu_mmu_const(os_cpu_const(&s->k, cpu)));
}
static inline mmu *sim_cpu_mmu(sim *s, unsigned cpu)
{
	return os_cpu_mmu(os_cpu(&s->k, cpu));
}
/* Records run so far, the warm-up's too. */
static inline uint64_t sim_records_run(const sim *s) { return s->roi_begin + s->st.records; }
/* Finalizes statistics (per-CPU cycles, complete). */
void sim_finish(sim *s);
void sim_close(sim *s);

#endif
