/* os/sched.c - tasks and the scheduler's switch (kernel/sched/core.c
 * context_switch), fork/vfork/clone (kernel/fork.c), exec (fs/exec.c
 * exec_mmap) and exit (kernel/exit.c exit_mm). */
#include "os/os.h"
#include "base/output.h"
#include "base/trace.h"

#include <stdlib.h>
#include <string.h>

/* The process an mm's reports name: the task it was made for. */
static void mm_set_owner(mm_struct *mm, const task *t)
{
	mm->owner_pid = t->pid;
	memcpy(mm->owner_comm, t->comm, sizeof mm->owner_comm);
}

/* mmput that will tear the mm down: its report first (what /proc
 * showed last, before exit_mmap). */
static void mmput_reported(kernel *k, kcpu *c, mm_struct *mm, unsigned at)
{
	if (!mm->is_init && mm->mm_users == 1)
		os_report_mm(k, mm, at);
	mmput(k, c, mm);
}

static task *find_task(kernel *k, kcpu *c, uint32_t pid)
{
	return pid == 0 ? &c->idle : os_task(k, pid);
}

static task *new_task(kernel *k, uint32_t pid, const char *comm, enum task_kind kind)
{
	pid_chunk **ch = &k->pids[pid_chunk_index(pid)];
	unsigned i = pid_slot(pid);
	if (!*ch) {
		if (!(*ch = calloc(1, sizeof **ch)))
			output_out_of_memory();
		k->pid_chunks_made++;
	}
	task *t = calloc(1, sizeof *t);
	if (!t)
		output_out_of_memory();
	t->pid = pid;
	snprintf(t->comm, sizeof t->comm, "%s", comm);
	t->kind = kind;
	t->state = TS_RUNNABLE;
	t->cpu = -1;
	(*ch)->task[i] = t;
	(*ch)->used[i / 8] |= (uint8_t)(1u << (i % 8));
	return t;
}

static bool pid_used(const kernel *k, uint32_t pid)
{
	const pid_chunk *ch = k->pids[pid_chunk_index(pid)];
	unsigned i = pid_slot(pid);
	return ch && (ch->used[i / 8] >> (i % 8)) & 1;
}

int os_declare(kernel *k, uint32_t pid, const char *comm, bool kthread)
{
	if (pid_used(k, pid))
		return os_fail(k, 2, "PID already used: %u", pid);
	task *t = new_task(k, pid, comm, kthread ? TASK_KTHREAD : TASK_USER);
	if (!kthread) {
		t->mm = t->active_mm = mm_alloc(k, NULL);
		if (!t->mm)
			return os_fail(k, 0, "out of simulated physical memory (mem.size)");
		mm_set_owner(t->mm, t);
	}
	return 0;
}

/* context_switch(): a kernel thread borrows prev's active_mm (lazy TLB);
 * a user task gets switch_mm_irqs_off; a borrowed reference is dropped
 * when the borrower switches out to a user task. */
static int do_switch(kernel *k, unsigned cpu, uint32_t pid);

static int exec_finish(kernel *k, kcpu *c, task *t);

/* A switch to the task already running is no switch at all (schedule()
 * picks prev again: context_switch is not called): it counts in neither
 * switches.total nor switches.untraced. */
int os_switch(kernel *k, unsigned cpu, uint32_t pid, bool untraced)
{
	uint32_t prev = k->cpu[cpu].curr->pid;   /* prev may be freed by the switch */
	k->untraced = untraced;
	int rc = do_switch(k, cpu, pid);
	k->untraced = false;
	if (rc == 0 && untraced && k->cpu[cpu].curr->pid != prev)
		k->st->switches_untraced++;
	if (rc == 0 && k->cpu[cpu].curr->exec_old)
		rc = exec_finish(k, &k->cpu[cpu], k->cpu[cpu].curr);
	return rc;
}

static int do_switch(kernel *k, unsigned cpu, uint32_t pid)
{
	kcpu *c = &k->cpu[cpu];
	if (pid != 0 && (pid > TRACE_MAX_PID || !pid_used(k, pid)))
		return os_fail(k, 2, "unknown PID %u", pid);
	task *next = find_task(k, c, pid);
	if (!next || next->state == TS_DEAD)
		return os_fail(k, 2, "task %u has exited", pid);
	task *prev = c->curr;
	if (next->state == TS_VFORK_BLOCKED)
		return os_fail(k, 2, "task %u is blocked in vfork until its child execs or exits", pid);
	if (next == prev) {
		c->must_switch = false;
		return 0;   /* no-op, not counted */
	}
	if (next->state == TS_RUNNING)
		return os_fail(k, 2, "task %u is already running on CPU %d", pid, next->cpu);
	cpu_stats *cs = &k->st->cpu[cpu];
	cs->switches++;
	c->clock += k->cfg->v[K_COST_SWITCH];
	if (c->user_mode)
		kernel_entry(k, c);   /* scheduling happens in the kernel: a timer
		                       * interrupt or syscall entered it first */
	c->user_mode = false;
	if (!next->mm) {
		cs->to_kthread++;
		if (k->lazy_tlb) {
			next->active_mm = prev->active_mm;
			if (prev->mm)
				mmgrab(prev->active_mm);
			prev->active_mm = prev->mm;   /* a kernel thread hands its reference on */
			if (c->tlbstate.loaded_mm != &k->init_mm)
				cs->lazy_kept++;
			enter_lazy_tlb(k, c);
		} else {
			/* ablation: very old kernels without lazy TLB load init_mm */
			switch_mm_irqs_off(k, c, &k->init_mm);
			if (!prev->mm && prev->active_mm)
				mmdrop(k, prev->active_mm, prev->kind != TASK_USER);
			prev->active_mm = prev->mm;
			next->active_mm = &k->init_mm;
		}
	} else {
		switch_mm_irqs_off(k, c, next->mm);
		if (!prev->mm && prev->active_mm) {
			/* finish_task_switch: drop what the kernel thread (or the
			 * exited task) held */
			mmdrop(k, prev->active_mm, prev->kind != TASK_USER);
		}
		prev->active_mm = prev->mm;
	}
	if (prev->state == TS_RUNNING)
		prev->state = TS_RUNNABLE;
	prev->cpu = -1;
	if (prev->state == TS_DEAD && prev->kind == TASK_USER) {
		k->pids[pid_chunk_index(prev->pid)]->task[pid_slot(prev->pid)] = NULL;
		free(prev);
	}
	next->state = TS_RUNNING;
	next->cpu = (int)cpu;
	c->curr = next;
	c->must_switch = false;
	if (k->obs.context)
		k->obs.context(k->obs.ctx, cpu, c->clock, pid, false);
	return 0;
}

static int new_child(kernel *k, kcpu *c, uint32_t child, task **out)
{
	if (child > TRACE_MAX_PID || pid_used(k, child))
		return os_fail(k, 2, "PID already used: %u", child);
	*out = new_task(k, child, c->curr->comm, TASK_USER);
	c->clock += k->cfg->v[K_COST_MM_OP];
	return 0;
}

int os_fork(kernel *k, unsigned cpu, uint32_t child, bool vfork)
{
	kcpu *c = &k->cpu[cpu];
	task *parent = c->curr, *t = NULL;
	if (new_child(k, c, child, &t))
		return -1;
	if (vfork) {
		/* CLONE_VM | CLONE_VFORK: share the mm; the parent waits */
		t->mm = t->active_mm = parent->mm;
		parent->mm->mm_users++;
		t->vfork_parent = parent;
		parent->state = TS_VFORK_BLOCKED;
		c->must_switch = true;
		return 0;
	}
	mm_struct *mm = mm_alloc(k, c);
	if (!mm)
		return os_fail(k, 0, "out of simulated physical memory (mem.size)");
	t->mm = t->active_mm = mm;
	mm_set_owner(mm, t);
	return dup_mmap(k, c, parent->mm, mm);
}

/* thread PID TGID COMM: a thread of the process TGID belongs to, as if
 * cloned before the trace began (no record, no cost). */
int os_declare_thread(kernel *k, uint32_t pid, uint32_t tgid, const char *comm)
{
	if (pid_used(k, pid))
		return os_fail(k, 2, "PID already used: %u", pid);
	task *leader = os_task(k, tgid);
	if (!leader || leader->state == TS_DEAD)
		return os_fail(k, 3, "TGID %u is not a live declared task", tgid);
	if (leader->kind != TASK_USER || !leader->mm)
		return os_fail(k, 3, "TGID %u is a kernel thread: it has no address space to share", tgid);
	task *t = new_task(k, pid, comm, TASK_USER);
	t->mm = t->active_mm = leader->mm;
	t->mm->mm_users++;
	return 0;
}

int os_clone(kernel *k, unsigned cpu, uint32_t child)
{
	kcpu *c = &k->cpu[cpu];
	task *t = NULL;
	if (new_child(k, c, child, &t))
		return -1;
	t->mm = t->active_mm = c->curr->mm;
	t->mm->mm_users++;
	return 0;
}

static void release_vfork_parent(task *t)
{
	if (t->vfork_parent) {
		t->vfork_parent->state = TS_RUNNABLE;
		t->vfork_parent = NULL;
	}
}

/* exec_mmap (fs/exec.c, v6.18): the task gets a fresh mm, loaded at
 * once (activate_mm, under task_lock); the old one is released with
 * mmput; then, given a STACK, the stack is built (setup_arg_pages).
 * task_unlock is a preemption point between the two: a task preempted
 * there (the kernel traces its CR3 load with need-resched set, then its
 * switch out) is switched out holding the old mm, and mmput runs on
 * whichever CPU it next runs on (exec_finish). */
int os_exec(kernel *k, unsigned cpu, const char *comm, uint64_t stack, unsigned argpages,
            bool preempted)
{
	kcpu *c = &k->cpu[cpu];
	task *t = c->curr;
	mm_struct *old = t->mm, *mm = mm_alloc(k, c);
	if (!mm)
		return os_fail(k, 0, "out of simulated physical memory (mem.size)");
	c->clock += k->cfg->v[K_COST_MM_OP];
	snprintf(t->comm, sizeof t->comm, "%s", comm);
	t->mm = t->active_mm = mm;
	mm_set_owner(mm, t);
	switch_mm_irqs_off(k, c, mm);
	release_vfork_parent(t);
	t->exec_old = old;
	t->exec_stack = stack;
	t->exec_argpages = argpages;
	if (preempted) {
		c->must_switch = true;
		return 0;
	}
	return exec_finish(k, c, t);
}

static int exec_finish(kernel *k, kcpu *c, task *t)
{
	mm_struct *old = t->exec_old;
	t->exec_old = NULL;
	mmput_reported(k, c, old, MMR_EXEC);
	return t->exec_stack ? setup_arg_pages(k, c, t->mm, t->exec_stack, t->exec_argpages) : 0;
}

/* exit_mm: the task keeps its mm as active_mm (mmgrab) and the CPU goes
 * lazy; mmput may tear the address space down.  The next record on this
 * CPU must switch away, dropping that reference. */
int os_exit(kernel *k, unsigned cpu)
{
	kcpu *c = &k->cpu[cpu];
	task *t = c->curr;
	mm_struct *mm = t->mm;
	c->clock += k->cfg->v[K_COST_MM_OP];
	mmgrab(mm);
	t->mm = NULL;
	t->active_mm = mm;
	enter_lazy_tlb(k, c);
	release_vfork_parent(t);
	mmput_reported(k, c, mm, MMR_EXIT);
	t->state = TS_DEAD;
	c->must_switch = true;
	return 0;
}
