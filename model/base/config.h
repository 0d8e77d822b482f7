/* base/config.h - configuration keys: one table, every key with its
 * default, unit, meaning and the source of its number (--list-config).
 *
 * Keys are read as cfg->v[K_...].  Presets overlay the defaults; --config
 * files and --set then override single keys.  Errors are returned as
 * messages naming the key; the CLI turns them into exit status 64.
 */
#ifndef MMUSIM_BASE_CONFIG_H
#define MMUSIM_BASE_CONFIG_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum cfg_type { CFG_BOOL, CFG_UINT, CFG_BYTES, CFG_REPL, CFG_KERNEL };

/* kernel= versions whose TLB policies the model follows (value: major*100+minor) */
enum { KERNEL_6_13 = 613, KERNEL_6_14 = 614, KERNEL_6_18 = 618 };

/* X(id, name, type, default, unit, meaning, source) */
#define CONFIG_KEYS(X) \
X(MACHINE_CPUS, "machine.cpus", CFG_UINT, "0", "CPUs", "CPUs of the machine: 0, as the trace's cpus line says; more than it, the rest idle all along (at least the trace's)", "extension: a trace of few CPUs on a bigger machine; a broadcast's cost grows with every CPU (cost.invlpgb.per_cpu)") \
X(PCID, "pcid", CFG_BOOL, "on", "", "CR4.PCIDE and Linux's use of dynamic ASIDs", "Linux arch/x86/mm/tlb.c") \
X(ASIDS, "asids", CFG_UINT, "6", "", "dynamic ASIDs per CPU (TLB_NR_DYN_ASIDS)", "Linux arch/x86/include/asm/tlbflush.h: TLB_NR_DYN_ASIDS = 6") \
X(PGE, "pge", CFG_BOOL, "on", "", "CR4.PGE: kernel mappings are global", "SDM Vol.3A 4.10.2.4") \
X(PTI, "pti", CFG_BOOL, "off", "", "page-table isolation: user/kernel PCID pairs, CR3 writes on kernel entry/exit", "Linux Documentation/arch/x86/pti.rst") \
X(LAZY_TLB, "lazy_tlb", CFG_BOOL, "on", "", "kernel threads borrow active_mm; off: they switch to init_mm", "Linux Documentation/mm/active_mm.rst") \
X(PAGING_LEVELS, "paging_levels", CFG_UINT, "4", "", "4 or 5 (CR4.LA57)", "SDM Vol.3A 4.5") \
X(FLUSH_CEILING, "flush_ceiling", CFG_UINT, "33", "pages", "pages above which a range flush becomes a full flush", "Linux arch/x86/mm/tlb.c: tlb_single_page_flush_ceiling = 33") \
X(REPLACEMENT, "tlb.replacement", CFG_REPL, "lru", "", "lru or plru, for every TLB and PSC", "the mmtrace 1 interface, docs/trace-format.md") \
X(L1D4K_ENTRIES, "tlb.l1d.4k.entries", CFG_UINT, "64", "entries", "L1 DTLB, 4 KiB pages (0: absent)", "Intel Optimization Reference Manual, Skylake client: DTLB 4K 64 entries 4-way") \
X(L1D4K_WAYS, "tlb.l1d.4k.ways", CFG_UINT, "4", "ways", "L1 DTLB 4 KiB associativity", "Intel Optimization Reference Manual, Skylake client") \
X(L1D2M_ENTRIES, "tlb.l1d.2m.entries", CFG_UINT, "32", "entries", "L1 DTLB, 2 MiB pages (0: absent)", "Intel Optimization Reference Manual, Skylake client: DTLB 2M 32 entries 4-way") \
X(L1D2M_WAYS, "tlb.l1d.2m.ways", CFG_UINT, "4", "ways", "L1 DTLB 2 MiB associativity", "Intel Optimization Reference Manual, Skylake client") \
X(L1D1G_ENTRIES, "tlb.l1d.1g.entries", CFG_UINT, "4", "entries", "L1 DTLB, 1 GiB pages (0: absent)", "Intel Optimization Reference Manual, Skylake client: DTLB 1G 4 entries") \
X(L1D1G_WAYS, "tlb.l1d.1g.ways", CFG_UINT, "4", "ways", "L1 DTLB 1 GiB associativity", "Intel Optimization Reference Manual, Skylake client") \
X(L1I4K_ENTRIES, "tlb.l1i.4k.entries", CFG_UINT, "128", "entries", "L1 ITLB, 4 KiB pages (0: absent)", "Intel Optimization Reference Manual, Skylake client: ITLB 4K 128 entries 8-way") \
X(L1I4K_WAYS, "tlb.l1i.4k.ways", CFG_UINT, "8", "ways", "L1 ITLB 4 KiB associativity", "Intel Optimization Reference Manual, Skylake client") \
X(L1I2M_ENTRIES, "tlb.l1i.2m.entries", CFG_UINT, "8", "entries", "L1 ITLB, 2 MiB pages (0: absent; extension key)", "Intel Optimization Reference Manual, Skylake client: ITLB 2M/4M 8 entries per thread, fully associative") \
X(L1I2M_WAYS, "tlb.l1i.2m.ways", CFG_UINT, "8", "ways", "L1 ITLB 2 MiB associativity", "Intel Optimization Reference Manual, Skylake client") \
X(STLB_ENTRIES, "tlb.stlb.entries", CFG_UINT, "1536", "entries", "shared L2 TLB for 4 KiB and 2 MiB pages (0: absent)", "Intel Optimization Reference Manual, Skylake client: STLB 1536 entries 12-way") \
X(STLB_WAYS, "tlb.stlb.ways", CFG_UINT, "12", "ways", "STLB associativity", "Intel Optimization Reference Manual, Skylake client") \
X(PWC, "pwc", CFG_BOOL, "on", "", "paging-structure caches", "SDM Vol.3A 4.10.3") \
X(PWC_PML5_ENTRIES, "pwc.pml5.entries", CFG_UINT, "2", "entries", "PML5E cache (LA57 only)", "assumed equal to the PML4E cache; no public measurement") \
X(PWC_PML4_ENTRIES, "pwc.pml4.entries", CFG_UINT, "2", "entries", "PML4E cache, fully associative", "van Schaik et al., Reverse Engineering Hardware Page Table Caches Using Side-Channel Attacks on the MMU, 2017 (Intel: small PML4E cache)") \
X(PWC_PDPT_ENTRIES, "pwc.pdpt.entries", CFG_UINT, "4", "entries", "PDPTE cache, fully associative", "van Schaik et al. 2017 (Intel: 4-entry PDPTE cache)") \
X(PWC_PD_ENTRIES, "pwc.pd.entries", CFG_UINT, "32", "entries", "PDE cache", "van Schaik et al. 2017 (Intel: 32-entry PDE cache)") \
X(PWC_PD_WAYS, "pwc.pd.ways", CFG_UINT, "4", "ways", "PDE cache associativity", "assumption: 4-way like the L1 DTLB; no public measurement") \
X(WALKERS, "walkers", CFG_UINT, "2", "walks", "page walks in flight per CPU", "Intel Optimization Reference Manual: Skylake has two page walkers") \
X(MEM_SIZE, "mem.size", CFG_BYTES, "16g", "bytes", "simulated physical memory", "the mmtrace 1 interface, docs/trace-format.md") \
X(LAT_L1TLB, "lat.l1tlb", CFG_UINT, "0", "cycles", "L1 TLB hit: hidden behind the VIPT L1D access", "Intel Optimization Reference Manual: DTLB lookup in parallel with the L1D tag check") \
X(LAT_STLB, "lat.stlb", CFG_UINT, "9", "cycles", "extra cycles of an STLB hit", "7-cpu.com Intel Skylake: STLB hit 9 cycles; docs/semantics.md 1.6: 9-12") \
X(LAT_PWC, "lat.pwc", CFG_UINT, "1", "cycles", "PSC probe at the start of a walk", "assumption: small CAM probed in one cycle") \
X(LAT_L1D, "cache.l1d.latency", CFG_UINT, "4", "cycles", "L1D hit (PTE or data)", "7-cpu.com Intel Skylake: L1 4 cycles") \
X(L1D_SIZE, "cache.l1d.size", CFG_BYTES, "32k", "bytes", "L1D per CPU (0: absent)", "Intel Optimization Reference Manual, Skylake: 32 KiB 8-way") \
X(L1D_WAYS, "cache.l1d.ways", CFG_UINT, "8", "ways", "L1D associativity", "Intel Optimization Reference Manual, Skylake") \
X(LAT_L2, "cache.l2.latency", CFG_UINT, "12", "cycles", "L2 hit", "7-cpu.com Intel Skylake: L2 12 cycles") \
X(L2_SIZE, "cache.l2.size", CFG_BYTES, "256k", "bytes", "L2 per CPU (0: absent)", "Intel Optimization Reference Manual, Skylake client: 256 KiB 4-way") \
X(L2_WAYS, "cache.l2.ways", CFG_UINT, "4", "ways", "L2 associativity", "Intel Optimization Reference Manual, Skylake client") \
X(LAT_LLC, "cache.llc.latency", CFG_UINT, "42", "cycles", "LLC hit", "7-cpu.com Intel Skylake i7-6700: L3 42 cycles") \
X(LLC_SIZE, "cache.llc.size", CFG_BYTES, "8m", "bytes", "LLC shared by all CPUs (0: absent)", "Intel i7-6700 (Skylake): 8 MiB 16-way") \
X(LLC_WAYS, "cache.llc.ways", CFG_UINT, "16", "ways", "LLC associativity", "Intel i7-6700 (Skylake)") \
X(LAT_DRAM, "mem.latency", CFG_UINT, "250", "cycles", "DRAM access", "7-cpu.com Intel Skylake: 42 cycles + 51 ns, about 250 cycles at 4 GHz") \
X(COST_AD_WRITE, "cost.ad_write", CFG_UINT, "20", "cycles", "walker's locked write of an A or D bit", "Agner Fog, instruction tables, Skylake: locked read-modify-write about 18 cycles") \
X(COST_CR3, "cost.cr3_write", CFG_UINT, "200", "cycles", "MOV to CR3 (before any refill)", "Linux commit e7b52ffd45a6 (Alex Shi, 2012): INVLPG execution time can compete with a CR3 rewrite, both taken as about 100 ns; 200 cycles chosen") \
X(COST_INVLPG, "cost.invlpg", CFG_UINT, "150", "cycles", "INVLPG of one page", "Linux commit e7b52ffd45a6 (Alex Shi, 2012): INVLPG assumed to cost about 100 ns, comparable to a CR3 rewrite") \
X(COST_INVPCID, "cost.invpcid", CFG_UINT, "250", "cycles", "INVPCID", "Linux commit 6cff64b86aaa (Dave Hansen, 2017): INVPCID is slow, slower than INVLPG; 250 cycles chosen") \
X(COST_CR4, "cost.cr4_write", CFG_UINT, "300", "cycles", "MOV to CR4", "assumption: serializing, more than a CR3 write") \
X(COST_ENTRY, "cost.kernel_entry", CFG_UINT, "50", "cycles", "kernel entry (syscall, interrupt, fault) without PTI", "assumption: SYSCALL and SYSRET about 100 cycles per round trip on Skylake, without PTI") \
X(COST_EXIT, "cost.kernel_exit", CFG_UINT, "50", "cycles", "kernel exit without PTI", "as cost.kernel_entry") \
X(COST_FAULT, "cost.fault", CFG_UINT, "1000", "cycles", "page-fault handling in the kernel (demand or COW, excluding the copy)", "assumption: a minor fault costs a few hundred ns (lmbench lat_pagefault order of magnitude)") \
X(COST_COPY_PAGE, "cost.copy_page", CFG_UINT, "1000", "cycles", "copying one 4 KiB page (COW break)", "4 KiB at about 4 bytes/cycle from L2/LLC") \
X(COST_SWITCH, "cost.switch", CFG_UINT, "1000", "cycles", "scheduler switch path, excluding switch_mm", "assumption: about 0.25-0.5 us of scheduler work (lmbench lat_ctx order of magnitude)") \
X(COST_PTE, "cost.pte_update", CFG_UINT, "10", "cycles", "kernel update of one page-table entry (fork copy, unmap, mprotect)", "assumption: a cached store plus bookkeeping") \
X(COST_SYSCALL_BODY, "cost.syscall", CFG_UINT, "100", "cycles", "work inside a syscall record", "assumption") \
X(COST_MM_OP, "cost.mm_op", CFG_UINT, "500", "cycles", "fixed cost of mmap, munmap, mprotect, fork, clone, exec, exit", "assumption: VMA bookkeeping") \
X(IPI_LATENCY, "ipi.latency", CFG_UINT, "1000", "cycles", "IPI delivery to the handler of the target CPU", "Amit, Optimizing the TLB Shootdown Algorithm with Page Access Tracking, USENIX ATC 2017: shootdowns cost several microseconds") \
X(IPI_SEND, "ipi.send", CFG_UINT, "200", "cycles", "the initiator's cost of sending one flush IPI, before its own flush", "assumption: a write to the x2APIC ICR, a few hundred cycles on bare metal; in a VM a VM exit, microseconds (validate-kernel measures it from a capture)") \
X(IPI_HANDLER, "ipi.handler", CFG_UINT, "200", "cycles", "flush IPI handler overhead, excluding the flush", "Amit 2017, as ipi.latency") \
X(IPI_ACK, "ipi.ack", CFG_UINT, "100", "cycles", "acknowledgement seen by the initiator", "assumption: one cache-line transfer between cores") \
X(INVLPGB, "invlpgb", CFG_BOOL, "off", "", "AMD broadcast TLB invalidation (X86_FEATURE_INVLPGB, Zen 3+; Linux 6.15+): global ASIDs, INVLPGB and TLBSYNC instead of flush IPIs; needs kernel=6.18 and pcid=on", "AMD APM Vol.3 (24594) INVLPGB, TLBSYNC; Linux v6.18 arch/x86/mm/tlb.c broadcast_tlb_flush") \
X(INVLPGB_COUNT_MAX, "invlpgb.count_max", CFG_UINT, "8", "pages", "most pages one INVLPGB invalidates (Linux invlpgb_count_max = CPUID 0x80000008 EDX[15:0] + 1)", "Linux v6.18 arch/x86/kernel/cpu/amd.c: invlpgb_count_max = CPUID Fn8000_0008 EDX[15:0] + 1; an EPYC 7713 (Zen 3) reports EDX = 0x00010007, 8 pages (libcpuid tests/amd/zen3/epyc-milan.test)") \
X(PTI_BUILT_IN, "kernel.pti_built_in", CFG_BOOL, "on", "", "CONFIG_MITIGATION_PAGE_TABLE_ISOLATION: PTI takes PCID bit 11, leaving 2039 global ASIDs instead of 4087 (whether or not pti is on)", "Linux v6.18 arch/x86/mm/tlb.c: MAX_ASID_AVAILABLE, global_asid_available; Debian's x86-64 kernels build PTI in") \
X(COST_INVLPGB, "cost.invlpgb", CFG_UINT, "100", "cycles", "the issuing CPU's cost of one INVLPGB (it does not wait for the other CPUs)", "assumption, range 50-300: of the order of a local INVLPG (cost.invlpg); AMD publishes no INVLPGB latency") \
X(COST_INVLPGB_LATENCY, "cost.invlpgb.latency", CFG_UINT, "600", "cycles", "an INVLPGB's broadcast round trip over the data fabric before it completes everywhere, without the per-CPU part", "assumption, range 300-2000: about a cross-CCD cache-line transfer (0.1-0.5 us); nothing published") \
X(COST_INVLPGB_PER_CPU, "cost.invlpgb.per_cpu", CFG_UINT, "16", "cycles", "what each CPU of the machine adds to an INVLPGB's completion (every core's TLB is probed and acknowledges): the broadcast's growth with the CPU count", "assumption, range 4-64: the fabric serialises acknowledgements; nothing published") \
X(COST_INVLPGB_PER_PAGE, "cost.invlpgb.per_page", CFG_UINT, "4", "cycles", "what each page of a ranged INVLPGB adds to its completion", "assumption, range 1-20: one TLB probe per page at each core") \
X(COST_TLBSYNC, "cost.tlbsync", CFG_UINT, "50", "cycles", "TLBSYNC itself, besides waiting for this CPU's INVLPGBs to complete", "assumption, range 20-200: a serialising instruction") \
X(CPUMASK_TRIM, "cpumask_trim", CFG_BOOL, "off", "", "on: leave mm_cpumask at every switch, as kernel=6.13 does, whatever kernel says", "Linux v6.13 arch/x86/mm/tlb.c switch_mm_irqs_off: cpumask_clear_cpu(cpu, mm_cpumask(prev))") \
X(KERNEL, "kernel", CFG_KERNEL, "6.18", "", "Linux version whose TLB policies are followed: 6.13, 6.14 or 6.18 (docs/model.md)", "Linux v6.13, v6.14, v6.18 arch/x86/mm/tlb.c and asm/tlbflush.h") \
X(PV_TLB_FLUSH, "kvm.pv_tlb_flush", CFG_BOOL, "off", "", "on: a KVM guest with paravirtual TLB flushes: a flush skips the vCPUs the host has preempted (record preempted); the host flushes their TLBs when they run again", "Linux v6.18 arch/x86/kernel/kvm.c kvm_flush_tlb_multi (KVM_VCPU_PREEMPTED, KVM_VCPU_FLUSH_TLB); arch/x86/kvm/x86.c record_steal_time -> kvm_vcpu_flush_tlb_guest") \
X(KERNEL_HZ, "kernel.hz", CFG_UINT, "250", "Hz", "CONFIG_HZ: jiffies per second (mm_cpumask trimming runs at most once a second per mm)", "Debian's x86-64 kernels and the v6.18 development machines: CONFIG_HZ_250") \
X(CLOCK_MHZ, "clock.mhz", CFG_UINT, "4000", "MHz", "core clock: converts @TIME stamps (ns) and kernel timers to cycles", "7-cpu.com Skylake figures (mem.latency) are measured at 4 GHz") \
X(ROI_WARMUP, "roi.warmup_records", CFG_UINT, "0", "records", "records run before the region of interest begins (--warmup-records): they warm the TLBs, caches and kernel state, and no statistic counts them but check.stale_hits; a trace's roi begin later begins it again there", "extension, as ChampSim's warm-up instructions; also the trace's roi begin and roi end (docs/trace-format.md)") \
X(TEST_SKIP_SHOOTDOWN, "test.skip_shootdowns", CFG_BOOL, "off", "", "TEST ONLY: never send flush IPIs (breaks correctness on purpose)", "hidden; used to prove the stale-hit checker works") \
X(TEST_SKIP_BROADCAST, "test.skip_broadcast", CFG_BOOL, "off", "", "TEST ONLY: an INVLPGB invalidates on its issuing CPU alone (breaks correctness on purpose)", "hidden; proves the checker sees a missing broadcast") \
X(TEST_MAX_ASID, "test.max_asid", CFG_UINT, "0", "", "TEST ONLY: MAX_ASID_AVAILABLE, the end of the global ASID space (0: Linux's 2046 or 4094)", "hidden; makes pool exhaustion and the wrap-around reset testable with a few processes") \
X(TEST_SLOW_PATHS, "test.slow_paths", CFG_BOOL, "off", "", "TEST ONLY: every translation takes the full path (no L1 memo)", "hidden; the fast paths must give identical statistics") \
X(TEST_TRACE_FLUSHES, "test.trace_flushes", CFG_BOOL, "off", "", "DEBUG: print every tlb:tlb_flush event (time in ns, CPU, reason, pages) to stderr", "hidden; lines up the model's flushes with a capture's")

enum cfg_key {
#define CFG_ENUM(id, ...) K_##id,
	CONFIG_KEYS(CFG_ENUM)
#undef CFG_ENUM
	K_COUNT
};

typedef struct config {
	uint64_t v[K_COUNT];
} config;

/* Defaults of a preset ("skylake" is the default machine). 0 or -1. */
int config_preset(config *c, const char *preset, char *err, size_t errlen);
/* One KEY=VALUE. */
int config_set(config *c, const char *assignment, char *err, size_t errlen);
/* A file of KEY=VALUE lines with '#' comments: 0, -1 a bad line, -2 the
 * file cannot be opened or read (a directory, an I/O error). */
int config_load(config *c, const char *path, char *err, size_t errlen);
/* Cross-key checks (geometry, ranges). */
int config_validate(const config *c, char *err, size_t errlen);

const char *config_key_name(enum cfg_key k);
/* Value as text ("on", "lru", "16g" as bytes, ...). */
void config_format(const config *c, enum cfg_key k, char *buf, size_t len);
/* Every key (hidden ones aside) with its default and source, or with
 * preset NAME's value and the source of that value.  0 or -1 (unknown
 * preset). */
int config_list(FILE *out, const char *preset, char *err, size_t errlen);
bool config_hidden(enum cfg_key k);
const char *const *config_presets(void);

#endif
