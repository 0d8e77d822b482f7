/* Unit tests of os/: the ASID choice of switch_mm_irqs_off, should_flush_tlb,
 * flush_tlb_func's generation rules and mm lifetimes (mm_users, mm_count),
 * each against Linux v6.18 arch/x86/mm/tlb.c and kernel/fork.c.  The
 * processes come from an in-memory trace; the tests then call the os/
 * functions on the kernel's state directly and check exact numbers.
 *
 * Boot state (os_init): every CPU has init_mm loaded in ASID slot 0 and
 * next_asid = 1; asids = 6 (TLB_NR_DYN_ASIDS); the PCID written is
 * ASID + 1. */
#include "check.h"
#include "run_trace.h"

#include "os/os.h"

static sim s;

static void open_with(const char *text, const char *set) { open_trace_with(&s, text, set); }

/* Eight processes on two CPUs, nothing run yet. */
static const char procs[] =
	"mmtrace 1\ncpus 2\n"
	"proc 1 a\nproc 2 b\nproc 3 c\nproc 4 d\nproc 5 e\nproc 6 f\nproc 7 g\nproc 8 h\n";

static mm_struct *mm_of(uint32_t pid) { return os_task(&s.k, pid)->mm; }
static kcpu *cpu(unsigned i) { return &s.k.cpu[i]; }
static uint64_t task_switch_full(void) { return s.st.flush_full[FLUSH_ON_TASK_SWITCH]; }
static uint64_t task_switch_none(void) { return s.st.flush_none[FLUSH_ON_TASK_SWITCH]; }

/* ---- choose_new_asid, through switch_mm_irqs_off ---- */

static void new_mms_take_asids_round_robin_from_one(void)
{
	open_with(procs, NULL);
	run_to(&s, 0);
	kcpu *c = cpu(0);
	/* a..e take ASIDs 1..5; f wraps to 0 (evicting init_mm's slot); g
	 * takes 1 again, evicting a: round robin, not LRU */
	const unsigned want[] = {0, 1, 2, 3, 4, 5, 0, 1};
	for (uint32_t pid = 1; pid <= 7; pid++) {
		switch_mm_irqs_off(&s.k, c, mm_of(pid));
		CHECK_EQ(c->tlbstate.loaded_mm_asid, want[pid]);
		CHECK_EQ(c->hw.cr3 & CR3_PCID_MASK, want[pid] + 1);
		CHECK_EQ(c->tlbstate.ctxs[want[pid]].ctx_id, mm_of(pid)->ctx_id);
	}
	CHECK_EQ(c->tlbstate.next_asid, 2);
	CHECK_EQ(task_switch_full(), 7);      /* every new ASID flushes */
	CHECK_EQ(s.st.cpu[0].cr3_writes, 7);
	CHECK_EQ(s.st.cpu[0].cr3_noflush, 0);
	/* a lost its slot to g: back to a takes ASID 2 (evicting b), flushing */
	switch_mm_irqs_off(&s.k, c, mm_of(1));
	CHECK_EQ(c->tlbstate.loaded_mm_asid, 2);
	CHECK_EQ(task_switch_full(), 8);
	sim_close(&s);
}

static void switch_back_reuses_the_asid_without_flush(void)
{
	open_with(procs, NULL);
	run_to(&s, 0);
	kcpu *c = cpu(0);
	switch_mm_irqs_off(&s.k, c, mm_of(1));   /* ASID 1, flush */
	switch_mm_irqs_off(&s.k, c, mm_of(2));   /* ASID 2, flush */
	switch_mm_irqs_off(&s.k, c, mm_of(1));   /* ctx_id found in slot 1, generation current */
	CHECK_EQ(c->tlbstate.loaded_mm_asid, 1);
	CHECK_EQ(task_switch_full(), 2);
	CHECK_EQ(task_switch_none(), 1);         /* traced with pages 0 */
	CHECK_EQ(s.st.cpu[0].cr3_writes, 3);
	CHECK_EQ(s.st.cpu[0].cr3_noflush, 1);    /* bit 63 set */
	CHECK_EQ(s.st.cpu[0].full_flushes, 2);
	sim_close(&s);
}

static void switch_back_after_a_missed_flush_flushes_its_asid(void)
{
	open_with(procs, NULL);
	run_to(&s, 0);
	kcpu *c = cpu(0);
	switch_mm_irqs_off(&s.k, c, mm_of(1));
	switch_mm_irqs_off(&s.k, c, mm_of(2));
	mm_of(1)->tlb_gen++;                     /* a flush request for a while it was away */
	switch_mm_irqs_off(&s.k, c, mm_of(1));
	CHECK_EQ(c->tlbstate.loaded_mm_asid, 1); /* the same slot, */
	CHECK_EQ(task_switch_full(), 3);         /* but flushed */
	CHECK_EQ(s.st.cpu[0].cr3_noflush, 0);
	CHECK_EQ(c->tlbstate.ctxs[1].tlb_gen, mm_of(1)->tlb_gen);
	sim_close(&s);
}

static void without_pcid_every_switch_flushes_asid_zero(void)
{
	open_with(procs, "pcid=off");
	run_to(&s, 0);
	kcpu *c = cpu(0);
	for (uint32_t pid = 1; pid <= 3; pid++) {
		switch_mm_irqs_off(&s.k, c, mm_of(pid));
		CHECK_EQ(c->tlbstate.loaded_mm_asid, 0);
		CHECK_EQ(c->hw.cr3 & CR3_PCID_MASK, 0);
	}
	switch_mm_irqs_off(&s.k, c, mm_of(1));
	CHECK_EQ(task_switch_full(), 4);
	CHECK_EQ(s.st.cpu[0].cr3_noflush, 0);
	sim_close(&s);
}

static void lazy_return_to_the_loaded_mm_writes_cr3_only_after_a_missed_flush(void)
{
	open_with(procs, NULL);
	run_to(&s, 0);
	kcpu *c = cpu(0);
	switch_mm_irqs_off(&s.k, c, mm_of(1));
	enter_lazy_tlb(&s.k, c);
	CHECK(c->tlbstate.is_lazy);
	switch_mm_irqs_off(&s.k, c, mm_of(1));   /* nothing missed: no CR3 write */
	CHECK(!c->tlbstate.is_lazy);
	CHECK_EQ(s.st.cpu[0].cr3_writes, 1);
	switch_mm_irqs_off(&s.k, c, mm_of(1));   /* not lazy, same mm: nothing */
	CHECK_EQ(s.st.cpu[0].cr3_writes, 1);
	enter_lazy_tlb(&s.k, c);
	mm_of(1)->tlb_gen++;
	switch_mm_irqs_off(&s.k, c, mm_of(1));   /* missed one: reload with a flush */
	CHECK_EQ(s.st.cpu[0].cr3_writes, 2);
	CHECK_EQ(c->tlbstate.loaded_mm_asid, 1);
	CHECK_EQ(task_switch_full(), 2);
	sim_close(&s);
}

/* ---- should_flush_tlb ---- */

static void should_flush_tlb_skips_lazy_and_other_mm_cpus_unless_trimming(void)
{
	open_with(procs, NULL);
	run_to(&s, 0);
	kcpu *r = cpu(1);
	flush_info f = { mm_of(1), 0x1000, 0x2000, 12, 1, false, false, 0, false, KFLUSH_NONE };
	switch_mm_irqs_off(&s.k, r, mm_of(1));
	CHECK(should_flush_tlb(&s.k, r, &f));    /* runs the mm */
	enter_lazy_tlb(&s.k, r);
	CHECK(!should_flush_tlb(&s.k, r, &f));   /* lazy: catches up at its next switch */
	f.trim_cpumask = true;
	CHECK(!should_flush_tlb(&s.k, r, &f));   /* lazy even when trimming */
	switch_mm_irqs_off(&s.k, r, mm_of(2));
	f.trim_cpumask = false;
	CHECK(!should_flush_tlb(&s.k, r, &f));   /* runs another mm */
	f.trim_cpumask = true;
	CHECK(should_flush_tlb(&s.k, r, &f));    /* ... but this flush trims the mask */
	f.trim_cpumask = false;
	f.mm = NULL;
	CHECK(should_flush_tlb(&s.k, r, &f));    /* a kernel flush goes to every non-lazy CPU */
	sim_close(&s);
}

static void should_flush_tlb_on_6_13_asks_only_whether_lazy(void)
{
	open_with(procs, "kernel=6.13");
	run_to(&s, 0);
	kcpu *r = cpu(1);
	flush_info f = { mm_of(1), 0x1000, 0x2000, 12, 1, false, false, 0, false, KFLUSH_NONE };
	switch_mm_irqs_off(&s.k, r, mm_of(2));
	CHECK(should_flush_tlb(&s.k, r, &f));    /* another mm, but not lazy */
	enter_lazy_tlb(&s.k, r);
	CHECK(!should_flush_tlb(&s.k, r, &f));
	sim_close(&s);
}

/* ---- flush_tlb_func's generation rules ---- */

/* CPU 1 runs a (ASID 1, generation g) and a's tlb_gen is bumped `behind`
 * times; returns a request from CPU 0 for [start, end) of generation gen. */
static flush_info behind_by(unsigned behind, uint64_t start, uint64_t end, uint64_t gen_back)
{
	switch_mm_irqs_off(&s.k, cpu(1), mm_of(1));
	mm_struct *a = mm_of(1);
	a->tlb_gen += behind;
	flush_info f = { a, start, end, 12, a->tlb_gen - gen_back, false, false, 0, false, KFLUSH_NONE };
	return f;
}

static void flush_one_generation_behind_invalidates_each_page(void)
{
	open_with(procs, NULL);
	run_to(&s, 0);
	flush_info f = behind_by(1, 0x10000000, 0x10003000, 0);
	uint64_t writes = s.st.cpu[1].cr3_writes;
	flush_tlb_func(&s.k, cpu(1), &f);
	CHECK_EQ(s.st.cpu[1].invlpg, 3);              /* one INVLPG per 4 KiB stride */
	CHECK_EQ(s.st.cpu[1].cr3_writes, writes);     /* no full flush */
	CHECK_EQ(s.st.flush_reason[FLUSH_REMOTE_SHOOTDOWN], 1);
	CHECK_EQ(s.st.flush_range[FLUSH_REMOTE_SHOOTDOWN], 1);
	CHECK_EQ(s.st.flush_range_pages[FLUSH_REMOTE_SHOOTDOWN], 3);
	CHECK_EQ(s.st.shootdown_pages, 3);
	CHECK_EQ(cpu(1)->tlbstate.ctxs[1].tlb_gen, mm_of(1)->tlb_gen);
	/* the same request again: already up to date, nothing, not traced */
	flush_tlb_func(&s.k, cpu(1), &f);
	CHECK_EQ(s.st.cpu[1].invlpg, 3);
	CHECK_EQ(s.st.flush_reason[FLUSH_REMOTE_SHOOTDOWN], 1);
	sim_close(&s);
}

static void flush_two_generations_behind_flushes_the_whole_asid(void)
{
	open_with(procs, NULL);
	run_to(&s, 0);
	flush_info f = behind_by(2, 0x10000000, 0x10003000, 0);
	uint64_t writes = s.st.cpu[1].cr3_writes, full = s.st.cpu[1].full_flushes;
	flush_tlb_func(&s.k, cpu(1), &f);
	CHECK_EQ(s.st.cpu[1].invlpg, 0);
	CHECK_EQ(s.st.cpu[1].cr3_writes, writes + 1);  /* CR3 rewritten without NOFLUSH */
	CHECK_EQ(s.st.cpu[1].full_flushes, full + 1);
	CHECK_EQ(s.st.flush_full[FLUSH_REMOTE_SHOOTDOWN], 1);   /* pages -1 */
	CHECK_EQ(s.st.shootdown_pages, 0);
	CHECK_EQ(cpu(1)->tlbstate.ctxs[1].tlb_gen, mm_of(1)->tlb_gen);
	sim_close(&s);
}

static void flush_of_an_older_request_with_a_newer_pending_flushes_all(void)
{
	open_with(procs, NULL);
	run_to(&s, 0);
	/* one behind the request, but the mm has moved on past it: the range
	 * would not cover the newer change, so the whole ASID goes */
	flush_info f = behind_by(2, 0x10000000, 0x10001000, 1);
	flush_tlb_func(&s.k, cpu(1), &f);
	CHECK_EQ(s.st.cpu[1].invlpg, 0);
	CHECK_EQ(s.st.flush_full[FLUSH_REMOTE_SHOOTDOWN], 1);
	sim_close(&s);
}

static void flush_on_the_initiator_is_a_local_mm_shootdown(void)
{
	open_with(procs, NULL);
	run_to(&s, 0);
	flush_info f = behind_by(1, 0x10000000, 0x10001000, 0);
	f.initiating_cpu = 1;
	flush_tlb_func(&s.k, cpu(1), &f);
	CHECK_EQ(s.st.flush_range[FLUSH_LOCAL_MM_SHOOTDOWN], 1);
	CHECK_EQ(s.st.flush_reason[FLUSH_REMOTE_SHOOTDOWN], 0);
	CHECK_EQ(s.st.cpu[1].invlpg, 1);
	sim_close(&s);
}

static void flush_for_an_mm_no_longer_loaded_leaves_its_cpumask(void)
{
	open_with(procs, NULL);
	run_to(&s, 0);
	flush_info f = behind_by(1, 0x10000000, 0x10001000, 0);
	switch_mm_irqs_off(&s.k, cpu(1), mm_of(2));   /* v6.18: stays in a's mask */
	CHECK(cpumask_test(mm_of(1), 1));
	flush_tlb_func(&s.k, cpu(1), &f);
	CHECK(!cpumask_test(mm_of(1), 1));
	CHECK_EQ(s.st.flush_none[FLUSH_REMOTE_WRONG_CPU], 1);   /* traced, pages 0 */
	CHECK_EQ(s.st.cpu[1].invlpg, 0);
	sim_close(&s);
}

static void flush_reaching_a_lazy_cpu_switches_it_to_init_mm(void)
{
	open_with(procs, NULL);
	run_to(&s, 0);
	flush_info f = behind_by(1, 0x10000000, 0x10001000, 0);
	f.freed_tables = true;
	enter_lazy_tlb(&s.k, cpu(1));
	uint64_t switches = task_switch_full();
	flush_tlb_func(&s.k, cpu(1), &f);
	CHECK(cpu(1)->tlbstate.loaded_mm == &s.k.init_mm);
	CHECK(!cpu(1)->tlbstate.is_lazy);
	CHECK_EQ(cpu(1)->tlbstate.loaded_mm_asid, 0);   /* init_mm's slot from boot, current */
	CHECK_EQ(task_switch_full(), switches);          /* ... so no flush: */
	CHECK_EQ(task_switch_none(), 1);                 /* a task switch with pages 0 */
	CHECK_EQ(s.st.flush_reason[FLUSH_REMOTE_SHOOTDOWN], 0);
	sim_close(&s);
}

/* ---- mm lifetimes, through the engine ---- */

/* Record numbers count every record after the header (declarations too). */
static const char lifetimes[] =
	"mmtrace 1\ncpus 2\nproc 1 app\nproc 4 other\nkthread 9 kworker\n"   /* 1-3 */
	"0 switch 1\n"                 /* 4 */
	"0 clone 2\n"                  /* 5: a thread: users 2 */
	"1 switch 2\n"                 /* 6 */
	"1 exit\n"                     /* 7: users 1 */
	"1 switch 9\n"                 /* 8: kworker takes the exited thread's reference over */
	"0 fork 3\n"                   /* 9: a new mm */
	"0 exit\n"                     /* 10: users 0: exit_mmap; count 2 (the exiting task, CPU 1) */
	"0 switch 3\n"                 /* 11: the exited task's reference dropped: count 1 */
	"1 switch 0\n"                 /* 12: the borrowed reference passes to idle */
	"1 switch 4\n";                /* 13: dropped: the struct goes */

static void mm_lives_until_the_last_lazy_borrower_leaves(void)
{
	open_with(lifetimes, NULL);
	run_to(&s, 4);
	mm_struct *mm = mm_of(1);
	CHECK_EQ(mm->mm_users, 1);
	CHECK_EQ(mm->mm_count, 1);
	run_to(&s, 5);
	CHECK(mm_of(2) == mm);
	CHECK_EQ(mm->mm_users, 2);
	CHECK_EQ(mm->mm_count, 1);     /* all users together hold one */
	run_to(&s, 7);
	CHECK_EQ(mm->mm_users, 1);
	run_to(&s, 8);
	CHECK(cpu(1)->tlbstate.loaded_mm == mm);
	CHECK(cpu(1)->tlbstate.is_lazy);
	CHECK_EQ(mm->mm_count, 2);     /* the users' one and kworker's active_mm */
	run_to(&s, 9);
	CHECK_EQ(s.st.mm_created, 3);  /* app, other, and fork's */
	CHECK_EQ(mm_of(3)->mm_users, 1);
	run_to(&s, 10);
	CHECK_EQ(mm->mm_users, 0);
	CHECK(mm->users_gone);         /* exit_mmap ran */
	/* exit_mm took a lazy reference for the exiting task (3), mmput's
	 * mmdrop gave the users' one back (2): it and CPU 1's kworker hold it */
	CHECK_EQ(mm->mm_count, 2);
	CHECK_EQ(s.st.mm_freed, 0);
	run_to(&s, 11);
	CHECK_EQ(mm->mm_count, 1);     /* CPU 1 alone keeps it... */
	run_to(&s, 12);
	CHECK_EQ(mm->mm_count, 1);     /* ... idle took kworker's reference over */
	CHECK_EQ(s.st.mm_freed, 0);
	run_to(&s, 0);
	CHECK_EQ(s.st.mm_freed, 1);
	CHECK_EQ(s.st.mm_free_deferred, 1);   /* freed by the lazy reference */
	sim_close(&s);
}

/* exec_mmap (fs/exec.c): the task's new mm is loaded at once and the
 * old one released with mmput.  Here a thread keeps the old mm alive; its
 * exit on the CPU (exit_mm: a reference for the exiting task, kept as
 * its active_mm, then mmput) tears the address space down but leaves the
 * struct to that reference, which the next switch drops
 * (finish_task_switch). */
static const char exec_lifetime[] =
	"mmtrace 1\ncpus 1\nproc 1 app\n"   /* 1 */
	"0 switch 1\n"                 /* 2 */
	"0 clone 2\n"                  /* 3: a thread: users 2 */
	"0 exec sh\n"                  /* 4: 1 on a new mm; the old one's users 1 */
	"0 switch 2\n"                 /* 5: the thread loads the old mm */
	"0 exit\n"                     /* 6: users 0: exit_mmap; count 1, the exiting task's */
	"0 switch 1\n";                /* 7: dropped: the struct goes */

static void exec_releases_the_old_mm_its_threads_still_hold(void)
{
	open_with(exec_lifetime, NULL);
	run_to(&s, 3);
	mm_struct *old = mm_of(1);
	CHECK(mm_of(2) == old);
	CHECK_EQ(old->mm_users, 2);
	CHECK_EQ(old->mm_count, 1);
	CHECK_EQ(s.st.mm_created, 1);
	run_to(&s, 4);
	mm_struct *fresh = mm_of(1);
	CHECK(fresh != old);
	CHECK(mm_of(2) == old);
	CHECK(cpu(0)->tlbstate.loaded_mm == fresh);   /* activate_mm: loaded at once */
	CHECK_EQ(s.st.mm_created, 2);
	CHECK_EQ(fresh->mm_users, 1);
	CHECK_EQ(fresh->mm_count, 1);
	CHECK_EQ(old->mm_users, 1);                   /* the thread's */
	CHECK_EQ(old->mm_count, 1);                   /* the users' one */
	CHECK(!old->users_gone);
	run_to(&s, 5);
	CHECK(cpu(0)->tlbstate.loaded_mm == old);
	CHECK_EQ(old->mm_count, 1);                   /* a user task's mm: no borrowed reference */
	run_to(&s, 6);
	CHECK_EQ(old->mm_users, 0);
	CHECK(old->users_gone);                       /* exit_mmap ran */
	CHECK_EQ(old->mm_count, 1);                   /* exit_mm's one (2), less mmput's mmdrop */
	CHECK(cpu(0)->tlbstate.loaded_mm == old);     /* still loaded */
	CHECK_EQ(s.st.mm_freed, 0);
	run_to(&s, 0);
	CHECK(cpu(0)->tlbstate.loaded_mm == fresh);
	CHECK_EQ(s.st.mm_freed, 1);
	/* the last reference was the exited task's own, not a kernel
	 * thread's borrowed one: not a deferred free (docs/model.md) */
	CHECK_EQ(s.st.mm_free_deferred, 0);
	CHECK_EQ(fresh->mm_users, 1);
	sim_close(&s);
}

int main(void)
{
	RUN(new_mms_take_asids_round_robin_from_one);
	RUN(switch_back_reuses_the_asid_without_flush);
	RUN(switch_back_after_a_missed_flush_flushes_its_asid);
	RUN(without_pcid_every_switch_flushes_asid_zero);
	RUN(lazy_return_to_the_loaded_mm_writes_cr3_only_after_a_missed_flush);
	RUN(should_flush_tlb_skips_lazy_and_other_mm_cpus_unless_trimming);
	RUN(should_flush_tlb_on_6_13_asks_only_whether_lazy);
	RUN(flush_one_generation_behind_invalidates_each_page);
	RUN(flush_two_generations_behind_flushes_the_whole_asid);
	RUN(flush_of_an_older_request_with_a_newer_pending_flushes_all);
	RUN(flush_on_the_initiator_is_a_local_mm_shootdown);
	RUN(flush_for_an_mm_no_longer_loaded_leaves_its_cpumask);
	RUN(flush_reaching_a_lazy_cpu_switches_it_to_init_mm);
	RUN(mm_lives_until_the_last_lazy_borrower_leaves);
	RUN(exec_releases_the_old_mm_its_threads_still_hold);
	return check_report();
}
