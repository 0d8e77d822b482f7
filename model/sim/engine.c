/* sim/engine.c - record dispatch and the ordering rule. */
#include "sim/engine.h"
#include "sim/stage.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/output.h"

static enum failure boot(sim *s, const config *cfg)
{
	s->cfg = *cfg;
	unsigned cpus;
	if (trace_read_header(s->reader, &cpus, s->err, sizeof s->err))
		return s->failure = trace_io_error(s->reader) ? FAIL_INPUT : FAIL_TRACE;
	/* machine.cpus: a bigger machine than the trace names, its other
	 * CPUs idle (docs/trace-format.md) */
	if (cfg->v[K_MACHINE_CPUS] && cfg->v[K_MACHINE_CPUS] < cpus) {
		snprintf(s->err, sizeof s->err, "machine.cpus=%u is fewer than the trace's %u CPUs",
		         (unsigned)cfg->v[K_MACHINE_CPUS], cpus);
		return s->failure = FAIL_USAGE;
	}
	if (cfg->v[K_MACHINE_CPUS] > cpus)
		cpus = (unsigned)cfg->v[K_MACHINE_CPUS];
	s->ncpus = cpus;
	if (stats_init(&s->st, cpus))
		return s->failure = FAIL_INTERNAL;
	s->roi_clock = calloc(cpus, sizeof *s->roi_clock);
	if (!s->roi_clock)
		output_out_of_memory();
	s->acct = calloc(cpus, sizeof *s->acct);
	if (!s->acct)
		output_out_of_memory();
	for (unsigned i = 0; i < cpus; i++)
		s->acct[i].row = SIZE_MAX;
	s->roi_warmup = cfg->v[K_ROI_WARMUP];
	s->roi_begun = s->roi_warmup == 0;   /* without a warm-up it begins with the trace */
	if (os_init(&s->k, &s->cfg, cpus, &s->st)) {
		snprintf(s->err, sizeof s->err, "%s", s->k.err);
		s->kernel_up = true;
		return s->failure = FAIL_INTERNAL;
	}
	s->kernel_up = true;
	return FAIL_NONE;
}

enum failure sim_open(sim *s, const config *cfg, const char *trace_path)
{
	memset(s, 0, sizeof *s);
	s->reader = trace_open(trace_path, s->err, sizeof s->err);
	if (!s->reader)
		return s->failure = FAIL_INPUT;
	return boot(s, cfg);
}

enum failure sim_open_reader(sim *s, const config *cfg, trace_reader *reader)
{
	memset(s, 0, sizeof *s);
	s->reader = reader;
	return boot(s, cfg);
}

enum failure sim_open_mem(sim *s, const config *cfg, const char *name, const char *buf, size_t len)
{
	memset(s, 0, sizeof *s);
	s->reader = trace_open_mem(name, buf, len);
	if (!s->reader)
		return s->failure = FAIL_INTERNAL;
	return boot(s, cfg);
}

void sim_set_observer(sim *s, const os_observer *obs)
{
	os_set_observer(&s->k, obs);
}

static int fail_record(sim *s)
{
	kernel *k = &s->k;
	if (k->err_field < 0) {
		snprintf(s->err, sizeof s->err, "%s:%llu: internal error: %s", trace_name(s->reader),
		         (unsigned long long)s->rec.line, k->err);
		s->failure = FAIL_INTERNAL;
		return -1;
	}
	unsigned field = (unsigned)k->err_field < 8 ? (unsigned)k->err_field : 0;
	trace_format_error(s->reader, s->rec.line, s->rec.col[field], s->err, sizeof s->err, "%s", k->err);
	s->failure = FAIL_TRACE;
	return -1;
}

/* The kind of an access record (REC_R..REC_KX), by arithmetic: it is on
 * every access's path (a division by 3 was measurably slow there). */
static inline enum access_kind kind_of(enum rec_op op)
{
	_Static_assert(ACC_READ == 0 && ACC_WRITE == 1 && ACC_EXEC == 2 && REC_W == REC_R + 1 &&
	               REC_X == REC_R + 2 && REC_KR == REC_R + 3, "r w x, then kr kw kx");
	return (enum access_kind)(op - (op <= REC_X ? REC_R : REC_KR));
}

/* Runs one CPU record; 0 or -1 (k->err). */
static int dispatch(sim *s, const trace_record *r)
{
	kernel *k = &s->k;
	unsigned cpu = r->cpu;
	if (r->op == REC_SWITCH)
		return os_switch(k, cpu, r->pid, (r->flags & SWITCH_UNTRACED) != 0);
	if (r->op == REC_PREEMPTED) {
		os_vcpu_preempted(k, cpu);   /* whatever the CPU runs or owes */
		return 0;
	}
	if (os_check_not_pending_switch(k, cpu))
		return -1;
	switch (r->op) {
	case REC_R: case REC_W: case REC_X:
		return os_access(k, cpu, r->addr, r->size, kind_of(r->op), true);
	case REC_KR: case REC_KW: case REC_KX:
		return os_access(k, cpu, r->addr, r->size, kind_of(r->op), false);
	case REC_TICK:
		return os_tick(k, cpu, r->size);
	case REC_VMAP:
		return os_vmap(k, cpu, r->addr, r->size, r->prot);
	case REC_VUNMAP:
		return os_vunmap(k, cpu, r->addr, r->size);
	case REC_KFLUSH:
		return os_kflush(k, cpu, r->addr, r->size, (r->flags & KFLUSH_ALL) != 0);
	default:
		break;
	}
	/* everything else is a system call of a user task */
	if (os_check_user_op(k, cpu))
		return -1;
	if (r->op == REC_SYSCALL)
		return os_syscall(k, cpu);
	os_enter_kernel(k, cpu);
	switch (r->op) {
	case REC_MMAP:     return os_mmap(k, cpu, r->addr, r->size, r->prot, r->flags, r->file,
	                              r->file_off);
	case REC_BRK:      return os_brk(k, cpu, r->addr);
	case REC_MUNMAP:   return os_munmap(k, cpu, r->addr, r->size);
	case REC_MPROTECT: return os_mprotect(k, cpu, r->addr, r->size, r->prot);
	case REC_MADVISE:  return os_madvise(k, cpu, r->addr, r->size, r->flags);
	case REC_MREMAP:   return os_mremap(k, cpu, r->addr, r->size, r->addr2, r->size2);
	case REC_FORK:     return os_fork(k, cpu, r->pid, false);
	case REC_VFORK:    return os_fork(k, cpu, r->pid, true);
	case REC_CLONE:    return os_clone(k, cpu, r->pid);
	case REC_EXEC:     return os_exec(k, cpu, r->comm, r->addr, (unsigned)r->size,
	                               (r->flags & EXEC_PREEMPTED) != 0);
	case REC_EXIT:     return os_exit(k, cpu);
	default:
		return os_fail(k, -1, "unhandled record kind %d", (int)r->op);
	}
}

/* Ordering (docs/trace-format.md, "The ordering rule"): a record starts no earlier than the previous
 * record of the file started (*last_start), nor before its CPU finished;
 * the flush IPIs due by then are handled first, and a CPU waiting for
 * acknowledgements gets them (os_before_record). */
static inline void start_record(kernel *k, kcpu *c, uint64_t *last_start, bool timed,
                                uint64_t at_least)
{
	uint64_t clock = os_cpu_clock(c);
	uint64_t start = clock > *last_start ? clock : *last_start;
	if (start < at_least)
		start = at_least;
	if (os_before_record_needed(k, c)) {
		os_before_record(k, c, start, timed);
		if (os_cpu_clock(c) > start)
			start = os_cpu_clock(c);   /* it waited for acknowledgements */
	}
	os_cpu_start_at(c, start);
	*last_start = start;
}

/* The record about to run starts at or past the time limit (os.h). */
static int clock_overflow(sim *s, unsigned cpu)
{
	uint64_t clock = os_cpu_clock(os_cpu_const(&s->k, cpu));
	os_fail(&s->k, 0, "CPU %u's clock has reached the simulated time limit of 2^62 cycles"
	        " (%llu cycles at this record)", cpu, (unsigned long long)clock);
	return fail_record(s);
}

/* A record with @TIME starts no earlier than that time either
 * (docs/trace-format.md): the ordering rule still holds, so the SystemC
 * replay sees records start in file order. */
static void start_timed_record(sim *s, kcpu *c, uint64_t time_ns)
{
	start_record(&s->k, c, &s->last_start, true, os_ns_to_cycles(&s->k, time_ns));
}

/* ---- per-task counts (docs/trace-format.md, "tasks") ----
 * Each CPU's counts go to the task it runs: taken at every switch and
 * exec and at the end, so the hot path counts nothing more. */

static task_counts cpu_counts(const sim *s, unsigned cpu)
{
	const cpu_stats *c = &s->st.cpu[cpu];
	return (task_counts){ .cycles = os_cpu_clock(os_cpu_const(&s->k, cpu)), .accesses = c->accesses,
	                      .tlb_misses = c->tlb_misses, .l1d_misses = c->l1d.misses,
	                      .l1i_misses = c->l1i.misses, .stlb_misses = c->stlb.misses,
	                      .walks = c->walks, .walk_cycles = c->walk_cycles, .page_faults = c->faults_pf };
}

/* The row of the task CPU cpu runs now; a new run of it unless it is the
 * row the CPU had. */
static void acct_start(sim *s, unsigned cpu)
{
	struct task_acct *a = &s->acct[cpu];
	const kcpu *c = os_cpu_const(&s->k, cpu);
	size_t row = (size_t)(stats_task(&s->st, os_cpu_task_pid(c), os_cpu_task_comm(c)) - s->st.tasks);
	if (row != a->row)
		s->st.tasks[row].runs++;
	a->row = row;
}

/* CPU cpu's counts since they were last taken go to its row. */
static void acct_take(sim *s, unsigned cpu)
{
	struct task_acct *a = &s->acct[cpu];
	if (a->row == SIZE_MAX)
		acct_start(s, cpu);
	task_counts now = cpu_counts(s, cpu), *t = &s->st.tasks[a->row];
	t->cycles += now.cycles - a->base.cycles;
	t->accesses += now.accesses - a->base.accesses;
	t->tlb_misses += now.tlb_misses - a->base.tlb_misses;
	t->l1d_misses += now.l1d_misses - a->base.l1d_misses;
	t->l1i_misses += now.l1i_misses - a->base.l1i_misses;
	t->stlb_misses += now.stlb_misses - a->base.stlb_misses;
	t->walks += now.walks - a->base.walks;
	t->walk_cycles += now.walk_cycles - a->base.walk_cycles;
	t->page_faults += now.page_faults - a->base.page_faults;
	a->base = now;
}

static void acct_take_all(sim *s)
{
	for (unsigned i = 0; i < s->ncpus; i++)
		acct_take(s, i);
}

/* ---- the region of interest (docs/trace-format.md, "roi") ----
 * It begins after roi.warmup_records records or at `roi begin`, the later
 * of the two, and ends at `roi end` or with the trace; the counts count
 * only what happens inside it (the state warms up before it), but for
 * the checker's stale hits, which count the whole run. */

/* It begins (again): every count from zero, the clocks noted. */
static void roi_begin(sim *s)
{
	s->roi_begin += s->st.records;
	acct_take_all(s);
	stats_reset_counters(&s->st);
	for (unsigned i = 0; i < s->ncpus; i++) {
		s->acct[i].base = cpu_counts(s, i);   /* the counts are zero, the clock goes on */
		s->st.tasks[s->acct[i].row].runs = 1;   /* running as it begins */
		s->roi_clock[i] = os_cpu_clock(os_cpu_const(&s->k, i));
	}
	s->roi_begun = true;
}

/* The warm-up is over: the region begins. */
static void warmup_ends(sim *s)
{
	s->roi_warmup = 0;
	roi_begin(s);
}

/* The record just run was the last of the warm-up. */
static inline int after_record(sim *s, int rc)
{
	if (s->roi_warmup && rc > 0 && sim_records_run(s) == s->roi_warmup)
		warmup_ends(s);
	return rc;
}

/* Each CPU's cycles inside the region: its clock now less its clock then. */
static void roi_cycles(sim *s)
{
	for (unsigned i = 0; i < s->ncpus; i++)
		s->st.cpu[i].cycles = os_cpu_clock(os_cpu_const(&s->k, i)) - s->roi_clock[i];
}

/* It ends at the marker just counted (which stays outside it): the counts
 * are saved for the end of the run. */
static void roi_end(sim *s)
{
	s->st.records--;
	roi_cycles(s);
	acct_take_all(s);
	stats_save_counters(&s->roi_saved, &s->st);
	s->st.records++;
	s->roi_ended = true;
}

/* roi begin | roi end: one region per trace. */
static int roi_marker(sim *s, const trace_record *r)
{
	kernel *k = &s->k;
	if (s->roi_ended)
		return os_fail(k, 2, "the region of interest has ended already (one per trace)");
	if (r->flags == ROI_BEGIN) {
		if (s->roi_marked)
			return os_fail(k, 2, "the region of interest began at line %llu already (one per trace)",
			               (unsigned long long)s->roi_begin_line);
		s->roi_marked = true;
		s->roi_begin_line = r->line;
		roi_begin(s);
		return 0;
	}
	if (!s->roi_begun || s->roi_warmup)
		return os_fail(k, 2, "'roi end' before the region of interest began (roi.warmup_records=%llu;"
		               " %llu records have run)", (unsigned long long)s->roi_warmup,
		               (unsigned long long)sim_records_run(s));
	roi_end(s);
	return 0;
}

/* The declarations: a task, or state of one at this point of the trace;
 * and the markers of the region of interest. */
static int declare(sim *s, const trace_record *r)
{
	kernel *k = &s->k;
	switch (r->op) {
	case REC_ROI:     return roi_marker(s, r);
	case REC_PROC:    return os_declare(k, r->pid, r->comm, false);
	case REC_KTHREAD: return os_declare(k, r->pid, r->comm, true);
	case REC_THREAD:  return os_declare_thread(k, r->pid, r->tgid, r->comm);
	case REC_VMA:     return os_declare_vma(k, r->pid, r->addr, r->size, r->prot, r->flags, r->file,
	                                        r->file_off);
	case REC_LAYOUT:  return os_declare_layout(k, r->pid, r->layout, r->nlayout);
	case REC_PRESENT: return os_declare_present(k, r->pid, r->addr, r->size, r->flags);
	case REC_CPUMASK: return os_declare_cpumask(k, r->pid, r->cpu);
	case REC_NEXT_TRIM: return os_declare_next_trim(k, r->pid, r->time_ns);
	default:          return os_fail(k, -1, "unhandled declaration %d", (int)r->op);
	}
}

/* The access record a failed on: reports its error (or, when its CPU
 * owes a switch, the one dispatch gives). */
static void fail_access(sim *s, const trace_access *a)
{
	trace_access_record(a, &s->rec);
	if (os_cpu_owes_switch(os_cpu(&s->k, a->cpu)))
		dispatch(s, &s->rec);   /* fails: the switch it owes */
	fail_record(s);
}

/* An access line read by trace_next_accesses, without building a record
 * (one is built only to report an error): 0, or -1 with the error. */
static inline __attribute__((always_inline)) int run_access(sim *s, const trace_access *a, uint64_t *last_start)
{
	kcpu *c = os_cpu(&s->k, a->cpu);
	start_record(&s->k, c, last_start, false, 0);
	enum rec_op op = (enum rec_op)a->op;
	if (!os_cpu_owes_switch(c) && os_cpu_clock(c) < OS_CLOCK_LIMIT &&
	    !os_access(&s->k, a->cpu, a->addr, a->size, kind_of(op), op <= REC_X))
		return 0;
	if (os_cpu_clock(c) >= OS_CLOCK_LIMIT && !os_cpu_owes_switch(c)) {
		trace_access_record(a, &s->rec);
		return clock_overflow(s, a->cpu);
	}
	fail_access(s, a);
	return -1;
}

static int run_next(sim *s, int got);

/* Progress now and then: every 64 runs of accesses, every 16384 steps. */
static inline void tick(sim *s, unsigned every)
{
	if (s->progress && !(++s->progress_tick & (every - 1)))
		s->progress(s->progress_ctx, sim_records_run(s));
}

int sim_step(sim *s)
{
	tick(s, 16384);
	if (s->batch_next == s->batch_len) {
		s->batch_next = 0;
		s->batch_len = trace_next_accesses(s->reader, s->batch, sizeof s->batch / sizeof s->batch[0]);
	}
	if (s->batch_next < s->batch_len) {
		const trace_access *a = &s->batch[s->batch_next++];
		s->st.records++;
		s->rec.line = a->line;
		s->step_cpu = a->cpu;
		return after_record(s, run_access(s, a, &s->last_start) ? -1 : 1);
	}
	return run_next(s, trace_next(s->reader, &s->rec, s->err, sizeof s->err));
}

/* What trace_next gave (got) in s->rec: runs the record; as sim_step. */
static int run_next(sim *s, int got)
{
	trace_record *r = &s->rec;
	if (got < 0) {
		s->failure = trace_io_error(s->reader) ? FAIL_INPUT : FAIL_TRACE;
		return -1;
	}
	if (got == 0) {
		os_settle(&s->k);   /* the IPIs still on their way */
		for (unsigned i = 0; i < s->ncpus; i++)
			if (os_cpu_clock(os_cpu_const(&s->k, i)) >= OS_CLOCK_LIMIT) {
				snprintf(s->err, sizeof s->err, "%s: error: CPU %u's clock has passed the simulated"
				         " time limit of 2^62 cycles by the end of the trace", trace_name(s->reader), i);
				s->failure = FAIL_TRACE;
				return -1;
			}
		return 0;
	}
	s->st.records++;
	if (rec_is_declaration(r->op)) {
		s->step_cpu = UINT_MAX;
		return after_record(s, declare(s, r) ? fail_record(s) : 1);
	}
	s->step_cpu = r->cpu;
	kcpu *c = os_cpu(&s->k, r->cpu);
	if (r->timed)
		start_timed_record(s, c, r->time_ns);
	else
		start_record(&s->k, c, &s->last_start, false, 0);
	if (os_cpu_clock(c) >= OS_CLOCK_LIMIT)
		return clock_overflow(s, r->cpu);
	/* the task a switch or an exec ends has its counts */
	bool new_task = r->op == REC_SWITCH || r->op == REC_EXEC;
	if (new_task)
		acct_take(s, r->cpu);
	if (dispatch(s, r))
		return fail_record(s);
	if (new_task)
		acct_start(s, r->cpu);
	return after_record(s, 1);
}

/* A run of accesses, the ordering rule's state in registers: 0, or -1
 * with the error of the one that failed. */
static int run_access_loop(sim *s, const trace_access *batch, unsigned n)
{
	uint64_t last_start = s->last_start;
	for (unsigned i = 0; i < n; i++) {
		if (run_access(s, &batch[i], &last_start)) {
			s->last_start = last_start;
			s->st.records += i + 1;
			return -1;
		}
	}
	s->last_start = last_start;
	s->st.records += n;
	return 0;
}

/* The same, the region of interest begun where the warm-up ends. */
static __attribute__((noinline)) int run_accesses(sim *s, const trace_access *batch, unsigned n)
{
	if (s->roi_warmup && sim_records_run(s) + n >= s->roi_warmup) {
		unsigned warm = (unsigned)(s->roi_warmup - sim_records_run(s));
		if (run_access_loop(s, batch, warm))
			return -1;
		warmup_ends(s);
		batch += warm;
		n -= warm;
	}
	return run_access_loop(s, batch, n);
}

/* sim_run_fast with the reader on its own thread: each chunk is what one
 * turn of the loop below would have read itself. */
static enum failure run_staged(sim *s, volatile sig_atomic_t *interrupted)
{
	for (;;) {
		if (interrupted && *interrupted)
			return FAIL_NONE;
		const stage_chunk *c = stage_next(s->stage);
		if (run_accesses(s, c->acc, c->n))
			return s->failure;
		tick(s, 64);
		if (c->tail == TAIL_NONE)
			continue;
		if (c->tail == TAIL_ERROR)
			snprintf(s->err, sizeof s->err, "%s", stage_error(s->stage));
		else
			s->rec = c->rec;
		int rc = run_next(s, c->tail == TAIL_RECORD ? 1 : c->tail == TAIL_END ? 0 : -1);
		if (rc <= 0)
			return rc < 0 ? s->failure : FAIL_NONE;
	}
}

enum failure sim_run_fast(sim *s, volatile sig_atomic_t *interrupted)
{
	/* what sim_step read ahead is run first, by it */
	while (s->batch_next < s->batch_len) {
		int rc = sim_step(s);
		if (rc < 0)
			return s->failure;
	}
	if (s->parse_thread && !s->stage && (s->stage = stage_start(s->reader)))
		return run_staged(s, interrupted);
	trace_access *batch = s->batch;
	for (;;) {
		if (interrupted && *interrupted)
			return FAIL_NONE;
		unsigned n = trace_next_accesses(s->reader, batch, sizeof s->batch / sizeof s->batch[0]);
		if (n == 0) {
			int rc = sim_step(s);   /* anything else, the end, or an error */
			if (rc <= 0)
				return rc < 0 ? s->failure : FAIL_NONE;
			continue;
		}
		if (run_accesses(s, batch, n))
			return s->failure;
		tick(s, 64);
	}
}

enum failure sim_run(sim *s)
{
	return sim_run_fast(s, NULL);
}

void sim_finish(sim *s)
{
	if (s->roi_warmup)
		warmup_ends(s);   /* the trace ended in its warm-up: the region is empty */
	if (s->roi_ended) {
		stats_restore_counters(&s->st, &s->roi_saved);
	} else {
		roi_cycles(s);
		acct_take_all(s);
	}
	s->st.roi_begin = s->roi_begin;
	s->st.roi_end = s->roi_begin + s->st.records;
	s->st.roi = s->cfg.v[K_ROI_WARMUP] || s->roi_marked || s->roi_ended;
	if (s->kernel_up && !s->reported) {
		os_report_live(&s->k);   /* the mms still in use, as /proc shows them now */
		s->reported = true;
	}
	s->st.complete = true;
}

void sim_close(sim *s)
{
	stage_stop(s->stage);   /* before the reader it reads goes */
	s->stage = NULL;
	if (s->kernel_up)
		os_free(&s->k);
	stats_free(&s->st);
	free(s->roi_saved.cpu);
	s->roi_saved.cpu = NULL;
	free(s->roi_clock);
	s->roi_clock = NULL;
	free(s->roi_saved.tasks);
	s->roi_saved.tasks = NULL;
	free(s->acct);
	s->acct = NULL;
	if (s->reader)
		trace_close(s->reader);
	s->reader = NULL;
}
