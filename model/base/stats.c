/* base/stats.c - counters, the latency histogram, the JSON writer and the
 * human summary.  JSON paths follow docs/trace-format.md, "Statistics". */
#include "base/stats.h"
#include "base/output.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int stats_init(sim_stats *s, unsigned ncpus)
{
	memset(s, 0, sizeof *s);
	s->ncpus = ncpus;
	s->cpu = calloc(ncpus, sizeof *s->cpu);
	if (!s->cpu)
		output_out_of_memory();
	return 0;
}

void stats_free(sim_stats *s)
{
	free(s->cpu);
	s->cpu = NULL;
	free(s->reports);
	s->reports = NULL;
	s->nreports = s->capreports = 0;
	free(s->tasks);
	s->tasks = NULL;
	s->ntasks = s->captasks = 0;
	free(s->provenance);
	s->provenance = NULL;
}

/* Element n of the array *p of *cap elements of size bytes, the array
 * doubled first when n is past its end. */
static void *grow(void **p, size_t *cap, size_t n, size_t size)
{
	if (n >= *cap) {
		*cap = *cap ? 2 * *cap : 16;
		*p = realloc(*p, *cap * size);
		if (!*p)
			output_out_of_memory();
	}
	return (char *)*p + n * size;
}

/* The counts of s only: the struct without what stats_reset_counters
 * keeps, and each CPU's counts without its stale hits. */
static void copy_counts(sim_stats *to, const sim_stats *from)
{
	sim_stats keep = *to;
	cpu_stats *cpus = to->cpu;
	*to = *from;
	to->cpu = cpus;
	to->ncpus = keep.ncpus;
	to->reports = keep.reports;
	to->nreports = keep.nreports;
	to->capreports = keep.capreports;
	to->summary_mm = keep.summary_mm;
	to->summary_tasks = keep.summary_tasks;
	to->tasks = keep.tasks;
	to->ntasks = keep.ntasks;
	to->captasks = keep.captasks;
	to->provenance = keep.provenance;
	to->cosim = keep.cosim;
	to->complete = keep.complete;
	for (unsigned i = 0; i < to->ncpus; i++) {
		uint64_t stale = cpus[i].stale_hits;
		cpus[i] = from->cpu[i];
		cpus[i].stale_hits = stale;
	}
}

void stats_reset_counters(sim_stats *s)
{
	sim_stats zero = { .ncpus = s->ncpus };
	cpu_stats *cpus = calloc(s->ncpus, sizeof *cpus);
	if (!cpus)
		output_out_of_memory();
	zero.cpu = cpus;
	copy_counts(s, &zero);
	free(cpus);
	for (size_t i = 0; i < s->ntasks; i++) {
		task_counts *t = &s->tasks[i], row = { .pid = t->pid };
		memcpy(row.comm, t->comm, sizeof row.comm);
		*t = row;
	}
}

/* to's rows become a copy of from's. */
static void copy_tasks(sim_stats *to, const sim_stats *from)
{
	if (to->captasks < from->ntasks) {
		to->captasks = from->ntasks;
		to->tasks = realloc(to->tasks, to->captasks * sizeof *to->tasks);
		if (!to->tasks)
			output_out_of_memory();
	}
	if (from->ntasks)
		memcpy(to->tasks, from->tasks, from->ntasks * sizeof *to->tasks);
	to->ntasks = from->ntasks;
}

void stats_save_counters(sim_stats *saved, const sim_stats *s)
{
	if (!saved->cpu) {
		memset(saved, 0, sizeof *saved);
		saved->ncpus = s->ncpus;
		saved->cpu = calloc(s->ncpus, sizeof *saved->cpu);
		if (!saved->cpu)
			output_out_of_memory();
	}
	copy_counts(saved, s);
	copy_tasks(saved, s);
}

void stats_restore_counters(sim_stats *s, const sim_stats *saved)
{
	copy_counts(s, saved);
	copy_tasks(s, saved);
}

task_counts *stats_task(sim_stats *s, uint32_t pid, const char *comm)
{
	for (size_t i = s->ntasks; i-- > 0;)
		if (s->tasks[i].pid == pid && !strcmp(s->tasks[i].comm, comm))
			return &s->tasks[i];
	task_counts *t = grow((void **)&s->tasks, &s->captasks, s->ntasks++, sizeof *s->tasks);
	*t = (task_counts){ .pid = pid };
	snprintf(t->comm, sizeof t->comm, "%s", comm);
	return t;
}

mm_report *stats_add_report(sim_stats *s)
{
	mm_report *r = grow((void **)&s->reports, &s->capreports, s->nreports++, sizeof *s->reports);
	memset(r, 0, sizeof *r);
	return r;
}

void hist_add(latency_hist *h, uint64_t v)
{
	if (v < HIST_EXACT) {
		h->exact[v]++;
	} else {
		unsigned b = 63 - (unsigned)__builtin_clzll(v);
		h->log2[b]++;
	}
	h->count++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

uint64_t hist_quantile(const latency_hist *h, double q)
{
	if (h->count == 0)
		return 0;
	uint64_t need = (uint64_t)(q * (double)h->count);
	if (need < 1)
		need = 1;
	if ((double)need < q * (double)h->count)
		need++;
	uint64_t seen = 0;
	for (uint64_t v = 0; v < HIST_EXACT; v++) {
		seen += h->exact[v];
		if (seen >= need)
			return v;
	}
	for (unsigned b = 0; b < 64; b++) {
		seen += h->log2[b];
		if (seen >= need) {
			/* upper bound of the bucket, capped by the maximum seen */
			uint64_t hi = b == 63 ? UINT64_MAX : (2ull << b) - 1;
			return hi < h->max ? hi : h->max;
		}
	}
	return h->max;
}

/* The L1 arrays' hits, counted by size only, and their lookups, hits
 * plus misses (cpu_stats). */
void stats_sum_l1(cpu_stats *c)
{
	c->l1d.hits = c->l1i.hits = 0;
	for (int z = 0; z < PAGE_SIZES; z++) {
		c->l1d.hits += c->l1d_hits[z];
		c->l1i.hits += c->l1i_hits[z];
	}
	c->l1d.lookups = c->l1d.hits + c->l1d.misses;
	c->l1i.lookups = c->l1i.hits + c->l1i.misses;
}

void stats_total(const sim_stats *s, cpu_stats *t)
{
	memset(t, 0, sizeof *t);
	/* cpu_stats is all uint64_t (and tlb_counts of uint64_t): sum field-wise */
	for (unsigned c = 0; c < s->ncpus; c++) {
		const uint64_t *src = (const uint64_t *)&s->cpu[c];
		uint64_t *dst = (uint64_t *)t;
		for (size_t i = 0; i < sizeof *t / sizeof(uint64_t); i++)
			dst[i] += src[i];
	}
	t->cycles = 0;
	for (unsigned c = 0; c < s->ncpus; c++)
		if (s->cpu[c].cycles > t->cycles)
			t->cycles = s->cpu[c].cycles;
	stats_sum_l1(t);
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

/* Misses per thousand accesses. */
static double mpki(uint64_t misses, uint64_t accesses)
{
	return accesses ? 1000.0 * (double)misses / (double)accesses : 0.0;
}

static void tlb_json(FILE *f, const char *name, const tlb_counts *c, uint64_t accesses, const char *sep)
{
	fprintf(f, "\"%s\": {\"lookups\": %" PRIu64 ", \"hits\": %" PRIu64 ", \"misses\": %" PRIu64
	        ", \"mpki\": %.6f}%s", name, c->lookups, c->hits, c->misses, mpki(c->misses, accesses), sep);
}

static const char *const reason_names[FLUSH_REASONS] = {
	"task_switch", "remote_shootdown", "local_shootdown", "local_mm_shootdown",
	"remote_send_ipi", "remote_wrong_cpu",
};

static void hist_json(FILE *f, const latency_hist *h)
{
	fprintf(f, "\"latency\": {\"mean\": %.6f, \"p50\": %" PRIu64 ", \"p90\": %" PRIu64
	        ", \"p99\": %" PRIu64 ", \"max\": %" PRIu64 ", \"hist\": [",
	        ratio(h->sum, h->count), hist_quantile(h, 0.5), hist_quantile(h, 0.9),
	        hist_quantile(h, 0.99), h->max);
	/* power-of-two buckets [lo, hi): [0,1), [1,2), [2,4), ... up to the max */
	const char *sep = "";
	for (unsigned b = 0; b < 65; b++) {
		uint64_t lo = b == 0 ? 0 : 1ull << (b - 1);
		uint64_t hi = b == 0 ? 1 : (b == 64 ? UINT64_MAX : 1ull << b);
		if (h->count == 0 || lo > h->max)
			break;
		uint64_t n = 0;
		for (uint64_t v = lo; v < hi && v < HIST_EXACT; v++)
			n += h->exact[v];
		if (hi > HIST_EXACT && b >= 1)
			n += h->log2[b - 1];
		fprintf(f, "%s[%" PRIu64 ", %" PRIu64 ", %" PRIu64 "]", sep, lo, hi, n);
		sep = ", ";
	}
	fprintf(f, "]}");
}

static void cpu_json(FILE *f, unsigned id, const cpu_stats *counted)
{
	cpu_stats copy = *counted, *c = &copy;
	stats_sum_l1(c);
	fprintf(f, "{\"id\": %u, \"cycles\": %" PRIu64 ", \"accesses\": %" PRIu64
	        ", \"tlb\": {\"hits\": %" PRIu64 ", \"misses\": %" PRIu64 ", \"hit_rate\": %.6f, \"mpki\": %.6f, ",
	        id, c->cycles, c->accesses, c->tlb_hits, c->tlb_misses,
	        ratio(c->tlb_hits, c->tlb_hits + c->tlb_misses), mpki(c->tlb_misses, c->accesses));
	tlb_json(f, "l1d", &c->l1d, c->accesses, ", ");
	tlb_json(f, "l1i", &c->l1i, c->accesses, ", ");
	tlb_json(f, "stlb", &c->stlb, c->accesses, "}, ");
	fprintf(f, "\"walks\": {\"count\": %" PRIu64 ", \"cycles\": %" PRIu64 ", \"mem_refs\": %" PRIu64
	        ", \"pwc_hits\": %" PRIu64 "}, ", c->walks, c->walk_cycles, c->walk_mem_refs, c->pwc_hits);
	fprintf(f, "\"cr3\": {\"writes\": %" PRIu64 ", \"noflush\": %" PRIu64 "}, ", c->cr3_writes, c->cr3_noflush);
	fprintf(f, "\"switches\": %" PRIu64 ", \"ipis_received\": %" PRIu64 ", \"kernel_entries\": %" PRIu64
	        ", \"faults\": {\"demand\": %" PRIu64 ", \"cow\": %" PRIu64 ", \"segv\": %" PRIu64 "}}",
	        c->switches, c->ipis_received, c->kernel_entries, c->faults_demand, c->faults_cow,
	        c->faults_segv);
}

static const char *const report_at[] = { "exit", "exec", "end" };

/* The per-process reports and the machine-wide sums over the mms in use
 * at the end (docs/model.md, "Accounting"). */
static void tasks_json(FILE *f, const sim_stats *s)
{
	fprintf(f, "  \"tasks\": [");
	for (size_t i = 0; i < s->ntasks; i++) {
		const task_counts *t = &s->tasks[i];
		fprintf(f, "%s\n    {\"pid\": %u, \"comm\": \"%s\", \"runs\": %" PRIu64 ", \"cycles\": %" PRIu64
		        ", \"accesses\": %" PRIu64 ", \"tlb_misses\": %" PRIu64 ", \"mpki\": %.6f, \"l1d_misses\": %" PRIu64
		        ", \"l1i_misses\": %" PRIu64 ", \"stlb_misses\": %" PRIu64 ", \"walks\": %" PRIu64
		        ", \"walk_cycles\": %" PRIu64 ", \"page_faults\": %" PRIu64 "}", i ? "," : "", t->pid, t->comm,
		        t->runs, t->cycles, t->accesses, t->tlb_misses, mpki(t->tlb_misses, t->accesses), t->l1d_misses,
		        t->l1i_misses, t->stlb_misses, t->walks, t->walk_cycles, t->page_faults);
	}
	fprintf(f, "%s],\n", s->ntasks ? "\n  " : "");
}

static void processes_json(FILE *f, const sim_stats *s)
{
	fprintf(f, "  \"processes\": [");
	mm_report sum = { 0 };
	uint64_t live = 0, gone = 0;
	for (size_t i = 0; i < s->nreports; i++) {
		const mm_report *r = &s->reports[i];
		fprintf(f, "%s\n    {\"pid\": %u, \"comm\": \"%s\", \"mm\": %" PRIu64 ", \"at\": \"%s\", "
		        "\"vm_peak_kb\": %" PRIu64 ", \"vm_size_kb\": %" PRIu64 ", \"vm_hwm_kb\": %" PRIu64
		        ", \"vm_rss_kb\": %" PRIu64 ", \"rss_anon_kb\": %" PRIu64 ", \"rss_file_kb\": %" PRIu64
		        ", \"rss_shmem_kb\": %" PRIu64 ", \"vm_data_kb\": %" PRIu64 ", \"vm_stk_kb\": %" PRIu64
		        ", \"vm_exe_kb\": %" PRIu64 ", \"vm_lib_kb\": %" PRIu64 ", \"vm_pte_kb\": %" PRIu64
		        ", \"hugetlb_kb\": %" PRIu64 ", \"map_count\": %" PRIu64 ", \"start_code\": %" PRIu64
		        ", \"end_code\": %" PRIu64 ", \"start_data\": %" PRIu64 ", \"end_data\": %" PRIu64
		        ", \"start_brk\": %" PRIu64 ", \"brk\": %" PRIu64 ", \"start_stack\": %" PRIu64
		        ", \"mmap_base\": %" PRIu64 "}",
		        i ? "," : "", r->pid, r->comm, r->mm_id, report_at[r->at], r->vm_peak, r->vm_size,
		        r->vm_hwm, r->vm_rss, r->rss_anon, r->rss_file, r->rss_shmem, r->vm_data, r->vm_stk,
		        r->vm_exe, r->vm_lib, r->vm_pte, r->hugetlb, r->map_count, r->start_code, r->end_code,
		        r->start_data, r->end_data, r->start_brk, r->brk, r->start_stack, r->mmap_base);
		if (r->at != MMR_END) {
			gone++;
			continue;
		}
		live++;
		sum.vm_size += r->vm_size, sum.vm_rss += r->vm_rss, sum.rss_anon += r->rss_anon;
		sum.rss_file += r->rss_file, sum.rss_shmem += r->rss_shmem, sum.vm_pte += r->vm_pte;
		sum.hugetlb += r->hugetlb, sum.map_count += r->map_count;
	}
	fprintf(f, "%s],\n", s->nreports ? "\n  " : "");
	fprintf(f, "  \"address_space\": {\"live\": %" PRIu64 ", \"released\": %" PRIu64
	        ", \"vm_size_kb\": %" PRIu64 ", \"vm_rss_kb\": %" PRIu64 ", \"rss_anon_kb\": %" PRIu64
	        ", \"rss_file_kb\": %" PRIu64 ", \"rss_shmem_kb\": %" PRIu64 ", \"vm_pte_kb\": %" PRIu64
	        ", \"hugetlb_kb\": %" PRIu64 ", \"map_count\": %" PRIu64 ", \"page_cache_kb\": %" PRIu64 "},\n",
	        live, gone, sum.vm_size, sum.vm_rss, sum.rss_anon, sum.rss_file, sum.rss_shmem, sum.vm_pte,
	        sum.hugetlb, sum.map_count, s->page_cache_pages * 4);
}

void stats_print_json(const sim_stats *s, const config *cfg, const char *mode, FILE *f)
{
	cpu_stats t;
	stats_total(s, &t);
	fprintf(f, "{\n  \"schema\": \"mmusim-stats/1\",\n  \"complete\": %s,\n  \"mode\": \"%s\",\n",
	        s->complete ? "true" : "false", mode);
	if (s->provenance)   /* one line: comparisons of runs leave it out */
		fprintf(f, "  \"provenance\": %s,\n", s->provenance);
	if (s->cosim.on)   /* one line too: comparisons with fast mode leave it out */
		fprintf(f, "  \"cosim\": {\"compared\": {\"l1d\": %" PRIu64 ", \"l1i\": %" PRIu64 ", \"psc\": %" PRIu64
		        "}, \"mismatches\": %" PRIu64 "},\n", s->cosim.compared_l1d, s->cosim.compared_l1i,
		        s->cosim.compared_psc, s->cosim.mismatches);
	fprintf(f, "  \"config\": {");
	const char *sep = "";
	for (int k = 0; k < K_COUNT; k++) {
		if (config_hidden((enum cfg_key)k) && !cfg->v[k])
			continue;
		char buf[64];
		config_format(cfg, (enum cfg_key)k, buf, sizeof buf);
		bool quoted = strcmp(buf, "on") == 0 || strcmp(buf, "off") == 0 ||
		              strcmp(buf, "lru") == 0 || strcmp(buf, "plru") == 0;
		fprintf(f, "%s\"%s\": %s%s%s", sep, config_key_name((enum cfg_key)k), quoted ? "\"" : "",
		        buf, quoted ? "\"" : "");
		sep = ", ";
	}
	fprintf(f, "},\n");
	fprintf(f, "  \"cycles\": %" PRIu64 ",\n  \"records\": %" PRIu64 ",\n", t.cycles, s->records);
	fprintf(f, "  \"roi\": {\"begin_record\": %" PRIu64 ", \"end_record\": %" PRIu64 "},\n", s->roi_begin,
	        s->roi_end);
	fprintf(f, "  \"accesses\": %" PRIu64 ",\n", t.accesses);
	fprintf(f, "  \"tlb\": {\"hits\": %" PRIu64 ", \"misses\": %" PRIu64 ", \"hit_rate\": %.6f, \"mpki\": %.6f, ",
	        t.tlb_hits, t.tlb_misses, ratio(t.tlb_hits, t.tlb_hits + t.tlb_misses), mpki(t.tlb_misses, t.accesses));
	tlb_json(f, "l1d", &t.l1d, t.accesses, ", ");
	tlb_json(f, "l1i", &t.l1i, t.accesses, ", ");
	tlb_json(f, "stlb", &t.stlb, t.accesses, ", ");
	fprintf(f, "\"by_page_size\": {");
	static const char *const sizes[PAGE_SIZES] = { "4k", "2m", "1g" };
	for (int z = 0; z < PAGE_SIZES; z++)
		fprintf(f, "%s\"%s\": {\"l1d_hits\": %" PRIu64 ", \"l1i_hits\": %" PRIu64 ", \"stlb_hits\": %" PRIu64
		        ", \"misses\": %" PRIu64 "}", z ? ", " : "", sizes[z], t.l1d_hits[z], t.l1i_hits[z],
		        t.stlb_hits[z], t.walk_fills[z]);
	fprintf(f, "}},\n");
	fprintf(f, "  \"walks\": {\"count\": %" PRIu64 ", \"cycles\": %" PRIu64 ", ", t.walks, t.walk_cycles);
	hist_json(f, &s->walk_latency);
	fprintf(f, ", \"mem_refs\": %" PRIu64 ", \"pwc_hits\": %" PRIu64 "},\n", t.walk_mem_refs, t.pwc_hits);
	fprintf(f, "  \"cr3\": {\"writes\": %" PRIu64 ", \"noflush\": %" PRIu64 "},\n", t.cr3_writes, t.cr3_noflush);
	fprintf(f, "  \"flushes\": {\"invlpg\": %" PRIu64 ", \"invpcid\": {\"0\": %" PRIu64 ", \"1\": %" PRIu64
	        ", \"2\": %" PRIu64 ", \"3\": %" PRIu64 "}, \"full\": %" PRIu64 ", \"host\": %" PRIu64 "},\n",
	        t.invlpg, t.invpcid[0], t.invpcid[1], t.invpcid[2], t.invpcid[3], t.full_flushes,
	        s->host_flushes);
	fprintf(f, "  \"tlb_flush\": {");
	for (int r = 0; r < FLUSH_REASONS; r++)
		fprintf(f, "%s\"%s\": %" PRIu64, r ? ", " : "", reason_names[r], s->flush_reason[r]);
	fprintf(f, "},\n");
	fprintf(f, "  \"tlb_flush_pages\": {");
	for (int r = 0; r < FLUSH_REASONS; r++)
		fprintf(f, "%s\"%s\": {\"full\": %" PRIu64 ", \"none\": %" PRIu64 ", \"range\": %" PRIu64
		        ", \"range_pages\": %" PRIu64 "}", r ? ", " : "", reason_names[r], s->flush_full[r],
		        s->flush_none[r], s->flush_range[r], s->flush_range_pages[r]);
	fprintf(f, "},\n");
	fprintf(f, "  \"tlb_flush_in_ipi\": {");
	for (int r = 0; r < FLUSH_REASONS; r++)
		fprintf(f, "%s\"%s\": {\"full\": %" PRIu64 ", \"none\": %" PRIu64 ", \"range\": %" PRIu64 "}",
		        r ? ", " : "", reason_names[r], s->flush_in_ipi_full[r], s->flush_in_ipi_none[r],
		        s->flush_in_ipi_range[r]);
	fprintf(f, "},\n");
	fprintf(f, "  \"tlb_flush_untraced\": {");
	for (int r = 0; r < FLUSH_REASONS; r++)
		fprintf(f, "%s\"%s\": %" PRIu64, r ? ", " : "", reason_names[r], s->flush_untraced[r]);
	fprintf(f, "},\n");
	fprintf(f, "  \"shootdowns\": {\"initiated\": %" PRIu64 ", \"ipis\": %" PRIu64 ", \"lazy_skipped\": %" PRIu64
	        ", \"pv_skipped\": %" PRIu64 ", \"pages\": %" PRIu64 ", \"cycles\": %" PRIu64 "},\n",
	        s->shootdowns_initiated, s->shootdown_ipis, s->lazy_skipped, s->pv_skipped, s->shootdown_pages,
	        s->shootdown_cycles);
	fprintf(f, "  \"broadcast\": {\"invlpgb\": %" PRIu64 ", \"tlbsync\": %" PRIu64 ", \"pages\": %" PRIu64
	        ", \"cycles\": %" PRIu64 "},\n", t.invlpgb, t.tlbsync, t.invlpgb_pages, t.broadcast_cycles);
	fprintf(f, "  \"global_asids\": {\"allocated\": %" PRIu64 ", \"freed\": %" PRIu64 ", \"resets\": %" PRIu64
	        ", \"transitions\": %" PRIu64 "},\n", s->global_asids_allocated, s->global_asids_freed,
	        s->global_asids_resets, s->global_asids_transitions);
	fprintf(f, "  \"kernel_flushes\": {\"range\": %" PRIu64 ", \"pages\": %" PRIu64 ", \"full\": %" PRIu64
	        ", \"ipis\": %" PRIu64 "},\n", s->kernel_flush_range, s->kernel_flush_pages,
	        s->kernel_flush_full, s->kernel_flush_ipis);
	fprintf(f, "  \"faults\": {\"demand\": %" PRIu64 ", \"cow\": %" PRIu64 ", \"segv\": %" PRIu64
	        ", \"gp\": %" PRIu64 ", \"wp_shared\": %" PRIu64 ", \"spurious\": %" PRIu64
	        ", \"total\": %" PRIu64 ", \"kernel\": %" PRIu64 "},\n", t.faults_demand, t.faults_cow,
	        t.faults_segv, t.faults_gp, t.faults_wp_shared, t.faults_spurious, t.faults_pf,
	        t.faults_pf_kernel);
	fprintf(f, "  \"switches\": {\"total\": %" PRIu64 ", \"to_kthread\": %" PRIu64 ", \"lazy_kept\": %" PRIu64
	        ", \"untraced\": %" PRIu64 "},\n", t.switches, t.to_kthread, t.lazy_kept, s->switches_untraced);
	fprintf(f, "  \"kernel_entries\": %" PRIu64 ",\n", t.kernel_entries);
	fprintf(f, "  \"mm\": {\"created\": %" PRIu64 ", \"freed\": %" PRIu64 ", \"free_deferred\": %" PRIu64 "},\n",
	        s->mm_created, s->mm_freed, s->mm_free_deferred);
	processes_json(f, s);
	tasks_json(f, s);
	fprintf(f, "  \"check\": {\"stale_hits\": %" PRIu64 "},\n", t.stale_hits);
	fprintf(f, "  \"cpus\": [\n");
	for (unsigned c = 0; c < s->ncpus; c++) {
		fprintf(f, "    ");
		cpu_json(f, c, &s->cpu[c]);
		fprintf(f, "%s\n", c + 1 < s->ncpus ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
}

/* --summary tasks: a row per task and COMM, the most cycles first, at
 * most 20 (the JSON has them all). */
static void tasks_summary(const sim_stats *s, FILE *f)
{
	size_t n = s->ntasks, *order = malloc((n ? n : 1) * sizeof *order);
	if (!order)
		output_out_of_memory();
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = 1; i < n; i++)   /* insertion sort: stable, by cycles down */
		for (size_t j = i; j > 0 && s->tasks[order[j]].cycles > s->tasks[order[j - 1]].cycles; j--) {
			size_t x = order[j];
			order[j] = order[j - 1];
			order[j - 1] = x;
		}
	fprintf(f, "  tasks (the most cycles first)\n");
	fprintf(f, "  %7s %-15s %6s %12s %10s %9s %8s %9s %9s %7s\n", "PID", "COMM", "RUNS", "CYCLES",
	        "ACCESSES", "MISSES", "MPKI", "WALKS", "WALK_CYC", "FAULTS");
	for (size_t k = 0; k < n && k < 20; k++) {
		const task_counts *t = &s->tasks[order[k]];
		fprintf(f, "  %7u %-15s %6" PRIu64 " %12" PRIu64 " %10" PRIu64 " %9" PRIu64 " %8.2f %9" PRIu64
		        " %9" PRIu64 " %7" PRIu64 "\n", t->pid, t->comm, t->runs, t->cycles, t->accesses, t->tlb_misses,
		        mpki(t->tlb_misses, t->accesses), t->walks, t->walk_cycles, t->page_faults);
	}
	if (n > 20)
		fprintf(f, "  ... %zu more in the JSON (tasks)\n", n - 20);
	free(order);
}

void stats_print_summary(const sim_stats *s, FILE *f)
{
	cpu_stats t;
	stats_total(s, &t);
	fprintf(f, "mmusim: %u CPUs, %" PRIu64 " records, %" PRIu64 " cycles\n", s->ncpus, s->records, t.cycles);
	if (s->roi)
		fprintf(f, "  region of interest: records %" PRIu64 "..%" PRIu64 " (%" PRIu64 " before it warmed up)\n",
		        s->roi_begin + 1, s->roi_end, s->roi_begin);
	fprintf(f, "  translations  %12" PRIu64 "   TLB hit rate %.4f (%" PRIu64 " hits, %" PRIu64 " misses)\n",
	        t.accesses, ratio(t.tlb_hits, t.tlb_hits + t.tlb_misses), t.tlb_hits, t.tlb_misses);
	fprintf(f, "  L1 DTLB       %12" PRIu64 " lookups, hit rate %.4f\n", t.l1d.lookups, ratio(t.l1d.hits, t.l1d.lookups));
	fprintf(f, "  L1 ITLB       %12" PRIu64 " lookups, hit rate %.4f\n", t.l1i.lookups, ratio(t.l1i.hits, t.l1i.lookups));
	fprintf(f, "  STLB          %12" PRIu64 " lookups, hit rate %.4f\n", t.stlb.lookups, ratio(t.stlb.hits, t.stlb.lookups));
	fprintf(f, "  page walks    %12" PRIu64 "   mean %.1f cycles, p50 %" PRIu64 ", p99 %" PRIu64
	        ", max %" PRIu64 "; %" PRIu64 " PTE reads, %" PRIu64 " PSC hits\n",
	        t.walks, ratio(s->walk_latency.sum, s->walk_latency.count), hist_quantile(&s->walk_latency, 0.5),
	        hist_quantile(&s->walk_latency, 0.99), s->walk_latency.max, t.walk_mem_refs, t.pwc_hits);
	fprintf(f, "  CR3 writes    %12" PRIu64 "   (%" PRIu64 " NOFLUSH); full flushes %" PRIu64
	        ", INVLPG %" PRIu64 ", INVPCID %" PRIu64 "\n", t.cr3_writes, t.cr3_noflush, t.full_flushes,
	        t.invlpg, t.invpcid[0] + t.invpcid[1] + t.invpcid[2] + t.invpcid[3]);
	fprintf(f, "  switches      %12" PRIu64 "   (%" PRIu64 " to kernel threads, %" PRIu64 " kept the user mm lazily)\n",
	        t.switches, t.to_kthread, t.lazy_kept);
	fprintf(f, "  shootdowns    %12" PRIu64 "   %" PRIu64 " IPIs, %" PRIu64 " lazy CPUs skipped, %" PRIu64
	        " pages, %" PRIu64 " cycles waiting\n", s->shootdowns_initiated, s->shootdown_ipis,
	        s->lazy_skipped, s->shootdown_pages, s->shootdown_cycles);
	if (t.invlpgb || s->global_asids_allocated)
		fprintf(f, "  broadcasts    %12" PRIu64 "   INVLPGB, %" PRIu64 " TLBSYNC, %" PRIu64 " pages, %" PRIu64
		        " cycles; %" PRIu64 " global ASIDs (%" PRIu64 " freed, %" PRIu64 " resets)\n", t.invlpgb,
		        t.tlbsync, t.invlpgb_pages, t.broadcast_cycles, s->global_asids_allocated,
		        s->global_asids_freed, s->global_asids_resets);
	fprintf(f, "  faults        %12" PRIu64 " demand, %" PRIu64 " COW, %" PRIu64 " SIGSEGV\n",
	        t.faults_demand, t.faults_cow, t.faults_segv);
	fprintf(f, "  mm            %12" PRIu64 " created, %" PRIu64 " freed (%" PRIu64 " deferred by lazy CPUs)\n",
	        s->mm_created, s->mm_freed, s->mm_free_deferred);
	fprintf(f, "  checker       %12" PRIu64 " stale TLB hits\n", t.stale_hits);
	if (s->summary_tasks)
		tasks_summary(s, f);
	if (!s->summary_mm)
		return;
	/* --summary mm: as ps -o pid,comm,vsz,rss and top's SHR (RssFile +
	 * RssShmem) show it, with the rest of /proc/PID/status */
	fprintf(f, "  address spaces (KiB; AT: exit, exec = released then, end = in use at the end)\n");
	fprintf(f, "  %7s %-15s %5s %-4s %9s %9s %9s %9s %9s %6s %6s %5s\n", "PID", "COMM", "MM", "AT",
	        "VSZ", "RSS", "ANON", "SHR", "HWM", "PTE", "STK", "MAPS");
	for (size_t i = 0; i < s->nreports; i++) {
		const mm_report *r = &s->reports[i];
		fprintf(f, "  %7u %-15s %5" PRIu64 " %-4s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64
		        " %9" PRIu64 " %6" PRIu64 " %6" PRIu64 " %5" PRIu64 "\n", r->pid, r->comm, r->mm_id,
		        report_at[r->at], r->vm_size, r->vm_rss, r->rss_anon, r->rss_file + r->rss_shmem,
		        r->vm_hwm, r->vm_pte, r->vm_stk, r->map_count);
	}
}
