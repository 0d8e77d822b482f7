/* base/stats.h - statistics (docs/trace-format.md, "Statistics") and the JSON writer.
 *
 * Hardware and kernel layers count into per-CPU structs; machine-wide
 * paths of the JSON are sums over CPUs plus the machine-wide counters
 * below.  All counts are integers; rates and means are derived at output.
 */
#ifndef MMUSIM_BASE_STATS_H
#define MMUSIM_BASE_STATS_H

#include <stdint.h>
#include <stdio.h>
#include <stdbool.h>
#include "config.h"

typedef struct tlb_counts {
	uint64_t lookups, hits, misses;
} tlb_counts;

/* Walk latency: exact counts below HIST_EXACT cycles, log2 buckets above. */
#define HIST_EXACT 8192
typedef struct latency_hist {
	uint64_t exact[HIST_EXACT];
	uint64_t log2[64];      /* [b]: latencies in [2^b, 2^(b+1)) at or above HIST_EXACT */
	uint64_t count, sum, max;
} latency_hist;

/* tlb:tlb_flush reasons (Linux include/linux/mm_types.h enum tlb_flush_reason) */
enum flush_reason {
	FLUSH_ON_TASK_SWITCH, FLUSH_REMOTE_SHOOTDOWN, FLUSH_LOCAL_SHOOTDOWN,
	FLUSH_LOCAL_MM_SHOOTDOWN, FLUSH_REMOTE_SEND_IPI, FLUSH_REMOTE_WRONG_CPU,
	FLUSH_REASONS
};

/* Page sizes, for the counts by size: 4 KiB, 2 MiB, 1 GiB. */
enum { PS_4K, PS_2M, PS_1G, PAGE_SIZES };

typedef struct cpu_stats {
	uint64_t cycles;          /* the CPU's clock at the end */
	uint64_t accesses, tlb_hits, tlb_misses;
	/* lookups, hits and misses; the L1 arrays' are counted as misses and
	 * as hits by size alone (l1d_hits, l1i_hits: each array holds one
	 * size), their hits and lookups summed at output; the STLB's hits in
	 * both */
	tlb_counts l1d, l1i, stlb;
	uint64_t l1d_hits[PAGE_SIZES], l1i_hits[PAGE_SIZES], stlb_hits[PAGE_SIZES];
	uint64_t walk_fills[PAGE_SIZES];  /* TLB misses whose walk found a page of that size */
	uint64_t walks, walk_cycles, walk_mem_refs, pwc_hits;
	uint64_t cr3_writes, cr3_noflush;
	uint64_t invlpg, invpcid[4], full_flushes;
	uint64_t invlpgb, tlbsync;   /* broadcasts issued by this CPU, and its TLBSYNCs */
	uint64_t invlpgb_pages;      /* pages its ranged INVLPGBs named */
	uint64_t broadcast_cycles;   /* its cycles in INVLPGB and TLBSYNC */
	uint64_t switches, to_kthread, lazy_kept;
	uint64_t kernel_entries;
	uint64_t ipis_received;
	uint64_t stale_hits;
	uint64_t faults_demand, faults_cow, faults_segv, faults_gp;
	uint64_t faults_wp_shared;   /* write to a read-only page of a shared mapping (write-notify) */
	uint64_t faults_spurious;    /* the tables already allowed the access */
	uint64_t faults_pf;          /* every #PF a trace access took, whatever came of it */
	uint64_t faults_pf_kernel;   /* those taken by kernel-mode accesses (k*) */
} cpu_stats;

/* What /proc/PID/status shows of an mm (fs/proc/task_mmu.c task_mem,
 * v6.18), taken when its last user releases it (exit, or the exec that
 * replaced it) or at the end of the trace. Sizes in KiB. */
enum { MMR_EXIT, MMR_EXEC, MMR_END };
typedef struct mm_report {
	uint32_t pid;
	char comm[16];
	uint64_t mm_id;           /* the mm's ctx_id */
	unsigned at;              /* MMR_* */
	uint64_t vm_peak, vm_size, vm_hwm, vm_rss, rss_anon, rss_file, rss_shmem;
	uint64_t vm_data, vm_stk, vm_exe, vm_lib, vm_pte, hugetlb;
	uint64_t map_count;
	uint64_t start_code, end_code, start_data, end_data, start_brk, brk, start_stack, mmap_base;
} mm_report;

/* What one task did while it ran (sim/engine.c): its CPU's counts from
 * when it was switched in (or exec'd) to when it was switched out (or
 * exec'd, or the run ended), by PID and COMM; an exec starts a new row. */
typedef struct task_counts {
	uint32_t pid;
	char comm[16];
	uint64_t runs;            /* times it was switched in (or began: boot, exec) */
	uint64_t cycles;          /* its CPU's cycles while it ran */
	uint64_t accesses, tlb_misses, l1d_misses, l1i_misses, stlb_misses;
	uint64_t walks, walk_cycles, page_faults;
} task_counts;

typedef struct sim_stats {
	unsigned ncpus;
	cpu_stats *cpu;
	latency_hist walk_latency;
	uint64_t shootdowns_initiated, shootdown_ipis, lazy_skipped;
	uint64_t pv_skipped;      /* targets not interrupted: their vCPU was preempted (kvm.pv_tlb_flush) */
	uint64_t host_flushes;    /* the host's flushes of such vCPUs when they ran again */
	uint64_t shootdown_pages, shootdown_cycles;
	uint64_t flush_reason[FLUSH_REASONS];
	/* the tracepoint's pages field per reason: -1 (TLB_FLUSH_ALL), 0, or
	 * N > 0 (that many pages or strides; their sum in range_pages) */
	uint64_t flush_full[FLUSH_REASONS], flush_none[FLUSH_REASONS];
	uint64_t flush_range[FLUSH_REASONS], flush_range_pages[FLUSH_REASONS];
	/* events of switches the trace marks untraced (not in the above) */
	uint64_t flush_untraced[FLUSH_REASONS];
	/* of the counted ones, those made inside a flush IPI's handler, by
	 * pages field as flush_full/none/range */
	uint64_t flush_in_ipi_full[FLUSH_REASONS], flush_in_ipi_none[FLUSH_REASONS];
	uint64_t flush_in_ipi_range[FLUSH_REASONS];
	uint64_t switches_untraced;
	/* global ASIDs (Linux 6.15+ with INVLPGB): handed out, freed at
	 * __mmdrop, resets of the pool when allocation wrapped, and mms whose
	 * transition to their global ASID ended (finish_asid_transition) */
	uint64_t global_asids_allocated, global_asids_freed, global_asids_resets;
	uint64_t global_asids_transitions;
	/* kernel-address flushes (flush_tlb_kernel_range, flush_tlb_all):
	 * by range (and their pages), full, and the IPIs they sent without
	 * INVLPGB (also in shootdown_ipis) */
	uint64_t kernel_flush_range, kernel_flush_pages, kernel_flush_full, kernel_flush_ipis;
	uint64_t mm_created, mm_freed, mm_free_deferred;
	uint64_t records;
	bool complete;
	/* per-process reports, in the order they were taken; the end-of-trace
	 * ones by mm id */
	mm_report *reports;
	size_t nreports, capreports;
	uint64_t page_cache_pages;   /* named files' page-cache pages at the end */
	/* per task, in the order they first ran; rows stay, their counts are
	 * counts (stats_reset_counters zeroes them) */
	task_counts *tasks;
	size_t ntasks, captasks;
	bool summary_tasks;          /* --summary tasks: the human summary's table */
	bool summary_mm;             /* --summary mm: the human summary's table */
	/* the region of interest: records roi_begin + 1 .. roi_end of the
	 * trace are what the counts count (0 .. records without one) */
	uint64_t roi_begin, roi_end;
	bool roi;                    /* a warm-up or a marker set them */
	/* what made these statistics, a JSON object (base/provenance.h) the
	 * writer puts after "mode"; NULL: none.  Freed by stats_free. */
	char *provenance;
	/* --mode cosim (sc/cosim.cpp), set after the run when `on`: the
	 * operations run on the RTL twins of the L1 DTLB and ITLB arrays and of
	 * the paging-structure caches with their
	 * answers compared, over the whole run (a warm-up included), and the
	 * mismatches (0 or 1: the first stops the run); the JSON's "cosim",
	 * after "provenance".  Kept by stats_reset_counters. */
	struct { bool on; uint64_t compared_l1d, compared_l1i, compared_psc, mismatches; } cosim;
} sim_stats;

int stats_init(sim_stats *s, unsigned ncpus);
void stats_free(sim_stats *s);
/* The region of interest (sim/engine.c).  stats_reset_counters zeroes
 * every count as it begins; what is not a count stays (ncpus, the
 * per-process reports, summary_mm, provenance, complete), and so do the
 * checker's stale hits, which count the whole run.  stats_save_counters
 * copies the counts into *saved (its CPU array made on first use) as it
 * ends; stats_restore_counters puts them back at the end of the run,
 * stale hits apart. */
void stats_reset_counters(sim_stats *s);
void stats_save_counters(sim_stats *saved, const sim_stats *s);
void stats_restore_counters(sim_stats *s, const sim_stats *saved);
mm_report *stats_add_report(sim_stats *s);
/* The row of (pid, comm), made at the end if new. */
task_counts *stats_task(sim_stats *s, uint32_t pid, const char *comm);
void hist_add(latency_hist *h, uint64_t v);
/* Smallest v with at least q (0..1] of the samples <= v. */
uint64_t hist_quantile(const latency_hist *h, double q);

/* The L1 arrays' hits (the sum of their counts by size) and lookups
 * (hits plus misses) into c's l1d and l1i: they are counted only so on
 * the hit path.  stats_total does it for the sums. */
void stats_sum_l1(cpu_stats *c);
/* Machine-wide sums over CPUs. */
void stats_total(const sim_stats *s, cpu_stats *total);

/* The JSON document (the CLI writes it through base/output.h). */
void stats_print_json(const sim_stats *s, const config *cfg, const char *mode, FILE *out);
/* Human summary. */
void stats_print_summary(const sim_stats *s, FILE *out);

#endif
