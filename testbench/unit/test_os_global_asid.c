/* Unit tests of the global ASID space (os/tlbflush.c, following v6.18
 * arch/x86/mm/tlb.c): its size with and without PTI built in, where the
 * search starts, and that a scenario's ASID is the one the kernel state
 * says. */
#include "check.h"
#include "run_trace.h"

static sim s;

static void boot(const char *const *sets)
{
	config cfg;
	char err[200] = "";
	config_preset(&cfg, "skylake", err, sizeof err);
	for (; sets && *sets; sets++)
		if (config_set(&cfg, *sets, err, sizeof err))
			exit(2);
	if (sim_open_mem(&s, &cfg, "t", "mmtrace 1\ncpus 1\n", 17))
		exit(2);
}

/* MAX_ASID_AVAILABLE = 2^11 - 2 = 2046 with PTI built in (bit 11 is the
 * user PCID bit), 2^12 - 2 = 4094 without; global_asid_available =
 * MAX_ASID_AVAILABLE - TLB_NR_DYN_ASIDS (6) - 1: 2039 and 4087; the
 * next-fit search starts at MAX_ASID_AVAILABLE, so the first allocation
 * resets. */
static void pool_sizes(void)
{
	const char *on[] = { "invlpgb=on", NULL };
	boot(on);
	CHECK_EQ(s.k.max_asid, 2046);
	CHECK_EQ(s.k.global_asid_available, 2039);
	CHECK_EQ(s.k.last_global_asid, 2046);
	CHECK(s.k.invlpgb);
	sim_close(&s);
	const char *off[] = { "invlpgb=on", "kernel.pti_built_in=off", NULL };
	boot(off);
	CHECK_EQ(s.k.max_asid, 4094);
	CHECK_EQ(s.k.global_asid_available, 4087);
	sim_close(&s);
	const char *nopcid[] = { "invlpgb=on", "pcid=off", NULL };
	boot(nopcid);
	CHECK(!s.k.invlpgb);   /* no global ASIDs without PCIDs */
	sim_close(&s);
}

/* Four threads on four CPUs, PID 32 flushing at jiffies 0: ASID 6, kernel
 * PCID 7, on every CPU after the transition. */
static void every_cpu_runs_the_global_pcid(void)
{
	static const char text[] =
		"mmtrace 1\ncpus 4\nproc 32 app\n"
		"0 switch 32\n0 mmap 0x10000000 0x4000 rw- populate\n"
		"0 clone 33\n0 clone 34\n0 clone 35\n"
		"1 switch 33\n2 switch 34\n3 switch 35\n"
		"0 munmap 0x10000000 0x1000\n"        /* record 11: the ASID */
		"0 munmap 0x10001000 0x1000\n"        /* 12: the transition's IPIs */
		"0 r 0x10002000\n";
	config cfg;
	char err[200] = "";
	config_preset(&cfg, "skylake", err, sizeof err);
	config_set(&cfg, "invlpgb=on", err, sizeof err);
	if (sim_open_mem(&s, &cfg, "t", text, sizeof text - 1))
		exit(2);
	run_to(&s, 11);
	mm_struct *mm = os_task(&s.k, 32)->mm;
	CHECK_EQ(mm->global_asid, 6);
	CHECK(mm->asid_transition);
	CHECK_EQ(s.k.global_asid_available, 2038);
	run_to(&s, 0);
	for (unsigned c = 0; c < 4; c++) {
		CHECK_EQ(s.k.cpu[c].tlbstate.loaded_mm_asid, 6);
		CHECK_EQ(s.k.cpu[c].hw.cr3 & 0xfff, 7);
	}
	sim_close(&s);
}

int main(void)
{
	(void)open_trace;
	RUN(pool_sizes);
	RUN(every_cpu_runs_the_global_pcid);
	return check_report();
}
