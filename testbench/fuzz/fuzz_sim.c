/* libFuzzer target: the whole engine (reader, kernel layer, hardware,
 * the checker, the statistics) on arbitrary traces, on one of a few small
 * machines picked by a hash of the input (Intel, AMD with INVLPGB, PTI
 * with 5-level paging on Linux 6.13, KVM paravirtual flushes without
 * PCIDs on 6.14, a tiny global-ASID pool).  Semantic nonsense must end in
 * a trace error, never in a crash or an abort.  Beyond that, each input
 * runs three ways that must give the same status, message and statistics
 * byte for byte: record by record (sim_step, as the SystemC layer drives
 * it), in fast mode's loops (sim_run) and with every translation on the
 * full path (test.slow_paths); and the checker must count no stale TLB
 * hit (docs/model.md, "The checker"): the kernel layer is correct. */
#include "fuzz_run.h"

#define SMALL "mem.size=256m", "cache.llc.size=1m"
static const char *const machine_sets[][10] = {
	{ "skylake", SMALL, NULL },
	{ "zen3", SMALL, NULL },
	{ "skylake", SMALL, "pti=on", "paging_levels=5", "tlb.replacement=plru", "kernel=6.13", "lazy_tlb=off", NULL },
	{ "skylake", SMALL, "pcid=off", "kvm.pv_tlb_flush=on", "kernel=6.14", "machine.cpus=4", NULL },
	{ "zen4", SMALL, "test.max_asid=8", "pge=off", NULL },
};
#define MACHINES (sizeof machine_sets / sizeof machine_sets[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static config cfg[MACHINES], slow[MACHINES];
	static int ready;
	if (!ready) {
		for (unsigned m = 0; m < MACHINES; m++) {
			fuzz_config(&cfg[m], machine_sets[m][0], machine_sets[m] + 1);
			slow[m] = cfg[m];
			slow[m].v[K_TEST_SLOW_PATHS] = 1;
		}
		ready = 1;
	}
	unsigned m = fuzz_hash(data, size) % MACHINES;
	static struct fuzz_run steps, fast, full;
	fuzz_run(&steps, &cfg[m], &cfg[m], "fuzz", data, size, FUZZ_STEPS);
	fuzz_run(&fast, &cfg[m], &cfg[m], "fuzz", data, size, FUZZ_FAST);
	fuzz_same(&steps, &fast, "sim_step and sim_run");
	fuzz_run(&full, &slow[m], &cfg[m], "fuzz", data, size, FUZZ_FAST);
	fuzz_same(&fast, &full, "the fast paths and test.slow_paths");
	fuzz_no_stale_hits(&fast, &cfg[m]);
	fuzz_run_free(&steps);
	fuzz_run_free(&fast);
	fuzz_run_free(&full);
	return 0;
}
