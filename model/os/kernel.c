/* os/kernel.c - boot, accesses (with the fault/retry loop), syscalls and
 * the user/kernel mode changes that PTI turns into CR3 writes. */
#include "os/os.h"
#include "base/output.h"
#include "base/trace.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int os_fail(kernel *k, int field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(k->err, sizeof k->err, fmt, ap);
	va_end(ap);
	k->err_field = field;
	return -1;
}

/* The kernel half of swapper_pg_dir: the direct map in 1 GiB pages over
 * all of physical memory (NX) and the kernel image in 2 MiB pages, global
 * unless PTI is on or PGE off (docs/semantics.md 2.1). */
static int map_kernel_half(kernel *k)
{
	mm_struct *mm = &k->init_mm;
	uint64_t g = (k->pge && !k->pti) ? PTE_G : 0;
	uint64_t base = PTE_P | PTE_RW | PTE_A | PTE_D | PTE_PS | g;
	int err = 0;
	for (uint64_t pa = 0; pa < k->pm.size; pa += 1ull << 30) {
		uint64_t e = pt_entry_pa(k, mm, KERNEL_DIRECT_MAP + pa, 3, true, &err);
		if (!e)
			return -1;
		phys_write64(&k->pm, e, pa | base | PTE_XD);
	}
	for (uint64_t off = 0; off < KERNEL_IMAGE_SIZE; off += 2ull << 20) {
		uint64_t e = pt_entry_pa(k, mm, KERNEL_IMAGE + off, 2, true, &err);
		if (!e)
			return -1;
		phys_write64(&k->pm, e, (PHYS_KERNEL_BASE + off) | base);
	}
	return 0;
}

static int boot_cpu(kernel *k, unsigned id, char *err, size_t errlen)
{
	kcpu *c = &k->cpu[id];
	c->id = id;
	if (mmu_init(&c->hw, id, k->cfg, &k->sh, &k->st->cpu[id], &k->st->walk_latency, err, errlen))
		return -1;
	cpu_tlbstate *ts = &c->tlbstate;
	ts->ctxs = calloc(k->asids, sizeof *ts->ctxs);
	ts->user_pcid_flush_mask = calloc(4096 / 64, sizeof *ts->user_pcid_flush_mask);   /* global ASIDs too */
	if (!ts->ctxs || !ts->user_pcid_flush_mask)
		output_out_of_memory();
	/* as after boot: init_mm in ASID slot 0, next_asid 1; not counted */
	ts->loaded_mm = &k->init_mm;
	ts->loaded_mm_asid = 0;
	ts->next_asid = 1;
	ts->ctxs[0].ctx_id = k->init_mm.ctx_id;
	ts->ctxs[0].tlb_gen = k->init_mm.tlb_gen;
	c->hw.cr3 = (k->init_mm.pgd << 12) | (k->pcid ? 1 : 0);
	c->idle.pid = 0;
	snprintf(c->idle.comm, sizeof c->idle.comm, "swapper/%u", id & 0xffff);
	c->idle.kind = TASK_IDLE;
	c->idle.state = TS_RUNNING;
	c->idle.cpu = (int)id;
	c->idle.active_mm = &k->init_mm;
	c->curr = &c->idle;
	return 0;
}

int os_init(kernel *k, const config *cfg, unsigned ncpus, sim_stats *st)
{
	memset(k, 0, sizeof *k);
	k->cfg = cfg;
	k->ncpus = ncpus;
	k->st = st;
	k->levels = (unsigned)cfg->v[K_PAGING_LEVELS];
	k->pcid = cfg->v[K_PCID] != 0;
	k->pti = cfg->v[K_PTI] != 0;
	k->pge = cfg->v[K_PGE] != 0;
	k->lazy_tlb = cfg->v[K_LAZY_TLB] != 0;
	k->cpumask_trim = cfg->v[K_CPUMASK_TRIM] != 0;
	k->version = (unsigned)cfg->v[K_KERNEL];
	k->hz = cfg->v[K_KERNEL_HZ];
	k->cycles_per_jiffy = cfg->v[K_CLOCK_MHZ] * 1000000 / k->hz;
	if (k->cycles_per_jiffy == 0)
		k->cycles_per_jiffy = 1;
	/* empty_zero_page lives in the kernel image (.bss..page_aligned,
	 * arch/x86/kernel/head_64.S): a frame of the reserved image area */
	k->zero_pfn = (PHYS_KERNEL_BASE + (48ull << 20)) >> 12;
	k->next_arrival = UINT64_MAX;
	k->next_anon_vma = k->next_file_id = 1;
	k->skip_shootdowns = cfg->v[K_TEST_SKIP_SHOOTDOWN] != 0;
	k->asids = k->pcid ? (unsigned)cfg->v[K_ASIDS] : 1;
	k->flush_ceiling = (unsigned)cfg->v[K_FLUSH_CEILING];
	/* Linux clears nothing for INVLPGB without PCID, but choose_new_asid
	 * consults global ASIDs only with X86_FEATURE_PCID: the model uses
	 * broadcasts only with PCIDs (docs/model.md). */
	k->invlpgb = cfg->v[K_INVLPGB] && k->pcid;
	k->invlpgb_count_max = (unsigned)cfg->v[K_INVLPGB_COUNT_MAX];
	/* MAX_ASID_AVAILABLE = 2^(12 - PTI's bit) - 2; the search starts at
	 * the edge, so the first allocation resets the space (allocate_global_asid) */
	k->max_asid = cfg->v[K_TEST_MAX_ASID] ? (uint16_t)cfg->v[K_TEST_MAX_ASID]
	              : cfg->v[K_PTI_BUILT_IN] ? 2046 : 4094;
	k->last_global_asid = k->max_asid;
	k->global_asid_available = (int)k->max_asid - (int)k->asids - 1;
	if (phys_init(&k->pm, cfg->v[K_MEM_SIZE]))
		return os_fail(k, -1, "bad mem.size");
	k->sh.pm = &k->pm;
	if (cache_init(&k->sh.llc, cfg->v[K_LLC_SIZE], (unsigned)cfg->v[K_LLC_WAYS],
	               (unsigned)cfg->v[K_LAT_LLC], cfg->v[K_MEM_SIZE]))
		return os_fail(k, -1, "impossible LLC geometry");
	k->pids = calloc(PID_CHUNKS, sizeof *k->pids);
	k->cpu = calloc(ncpus, sizeof *k->cpu);
	if (!k->pids || !k->cpu)
		output_out_of_memory();
	k->init_mm.is_init = true;
	k->init_mm.ctx_id = 1;
	k->init_mm.mm_users = k->init_mm.mm_count = 1;
	k->next_ctx_id = 2;
	k->init_mm.pgd = pt_alloc_table(k);
	if (!k->init_mm.pgd || map_kernel_half(k))
		return os_fail(k, -1, "cannot map the kernel half");
	for (unsigned i = 0; i < ncpus; i++) {
		char err[200];
		if (boot_cpu(k, i, err, sizeof err))
			return os_fail(k, -1, "%s", err);
	}
	/* the machine's MMUs, for the broadcasts of INVLPGB */
	k->sh.cpus = calloc(ncpus, sizeof *k->sh.cpus);
	if (!k->sh.cpus)
		output_out_of_memory();
	for (unsigned i = 0; i < ncpus; i++)
		k->sh.cpus[i] = &k->cpu[i].hw;
	k->sh.ncpus = ncpus;
	k->sh.skip_broadcast = cfg->v[K_TEST_SKIP_BROADCAST] != 0;
	return 0;
}

void os_free(kernel *k)
{
	/* the chunks made are few and usually first (PIDs are small): stop
	 * at the last one rather than read all PID_CHUNKS pointers */
	for (size_t c = 0, freed = 0; k->pids && c < PID_CHUNKS && freed < k->pid_chunks_made; c++) {
		if (!k->pids[c])
			continue;
		freed++;
		for (size_t i = 0; i < 1u << PID_CHUNK_BITS; i++)
			free(k->pids[c]->task[i]);
		free(k->pids[c]);
	}
	for (unsigned i = 0; k->cpu && i < k->ncpus; i++) {
		mmu_free(&k->cpu[i].hw);
		free(k->cpu[i].inbox);
		free(k->cpu[i].tlbstate.ctxs);
		free(k->cpu[i].tlbstate.user_pcid_flush_mask);
	}
	while (k->all_mm)
		mm_unlink_free(k, k->all_mm);
	for (size_t i = 0; i < k->nfiles; i++) {
		shmem_put(k, k->files[i].pages);
		free(k->files[i].name);
	}
	free(k->files);
	free(k->pids);
	free(k->cpu);
	cache_free(&k->sh.llc);
	free(k->sh.cpus);
	phys_free(&k->pm);
}

static void set_mode(kernel *k, kcpu *c, bool user)
{
	if (c->user_mode == user)
		return;
	if (user)
		kernel_exit(k, c);
	else
		kernel_entry(k, c);
	c->user_mode = user;
	if (k->obs.context)
		k->obs.context(k->obs.ctx, c->id, c->clock, c->curr->pid, user);
}

int os_check_not_pending_switch(kernel *k, unsigned cpu)
{
	if (k->cpu[cpu].must_switch)
		return os_fail(k, 1, "after exit, vfork or a preempted exec the next record on CPU %u must be a switch", cpu);
	return 0;
}

int os_check_user_op(kernel *k, unsigned cpu)
{
	task *t = k->cpu[cpu].curr;
	if (t->kind != TASK_USER)
		return os_fail(k, 1, "%s %u (%s) is a kernel thread: it can only do k*, tick and switch",
		               t->kind == TASK_IDLE ? "the idle task" : "task", t->pid, t->comm);
	return 0;
}

/* The observer sees every attempt; a fault is handled (or the access
 * dropped, SIGSEGV) and the access tried again. */
uint64_t os_translate_rest(kernel *k, kcpu *c, uint64_t va, enum access_kind kind, bool user,
                           xlate_result *r)
{
	cpu_stats *cs = &k->st->cpu[c->id];
	cs->accesses++;
	for (int attempt = 0;; attempt++) {
		if (attempt)
			mmu_translate(&c->hw, va, kind, user, c->clock, r);
		if (k->obs.translation)
			k->obs.translation(k->obs.ctx, c->id, va, kind, user, r);
		bool hit = r->level != XL_WALK;
		if (r->fault == XF_NONE) {
			if (hit)
				cs->tlb_hits++;
			else
				cs->tlb_misses++;
			return r->end + mmu_data_access(&c->hw, r->pa);
		}
		if (c->clock < r->end)
			c->clock = r->end;
		int fixed = 0;
		if (r->fault == XF_PF) {
			cs->faults_pf++;
			cs->faults_pf_kernel += !user;
			if (user)
				kernel_entry(k, c);   /* the exception enters the kernel */
			fixed = handle_mm_fault(k, c, va, kind);
			if (user)
				kernel_exit(k, c);
		} else {
			cs->faults_gp++;
		}
		if (k->obs.fault)
			k->obs.fault(k->obs.ctx, c->id, r->end, va, r->pf_error, fixed == 0);
		if (fixed < 0) {
			os_fail(k, 0, "out of simulated physical memory (mem.size)");
			return 0;
		}
		if (fixed == 0) {
			cs->faults_segv++;   /* SIGSEGV: the access is dropped */
			if (hit)
				cs->tlb_hits++;
			else
				cs->tlb_misses++;
			return c->clock;
		}
		if (attempt == 8) {
			os_fail(k, -1, "internal error: access to 0x%llx still faults after 8 retries",
			        (unsigned long long)va);
			return 0;
		}
	}
}

int os_access_general(kernel *k, unsigned cpu, uint64_t va, uint64_t size,
                      enum access_kind kind, bool user)
{
	kcpu *c = &k->cpu[cpu];
	task *t = c->curr;
	if (user) {
		if (os_check_user_op(k, cpu))
			return -1;
	} else if (t->kind != TASK_USER && va < user_va_limit(k->levels)) {
		return os_fail(k, 2, "kernel thread %u (%s) touches user address 0x%llx", t->pid,
		               t->comm, (unsigned long long)va);
	}
	set_mode(k, c, user);
	uint64_t start = c->clock;
	uint64_t last = va + (size ? size - 1 : 0);
	uint64_t end = os_translate(k, c, va, kind, user, start);
	if (!end)
		return -1;
	if ((last >> 12) != (va >> 12) && last > va) {
		/* a page-crossing access is two translations, issued together */
		uint64_t end2 = os_translate(k, c, last & ~0xfffull, kind, user, start);
		if (!end2)
			return -1;
		if (end2 > end)
			end = end2;
	}
	if (c->clock < end)
		c->clock = end;
	return 0;
}

uint64_t os_ns_to_cycles(const kernel *k, uint64_t ns)
{
	unsigned __int128 c = (unsigned __int128)ns * k->cfg->v[K_CLOCK_MHZ] / 1000;
	return c > UINT64_MAX ? UINT64_MAX : (uint64_t)c;
}

/* A syscall record: from user mode into the kernel and back. */
int os_syscall(kernel *k, unsigned cpu)
{
	kcpu *c = &k->cpu[cpu];
	set_mode(k, c, true);
	set_mode(k, c, false);
	c->clock += k->cfg->v[K_COST_SYSCALL_BODY];
	set_mode(k, c, true);
	return 0;
}

/* mm operations run in the kernel: enter it if the task is in user mode. */
void os_enter_kernel(kernel *k, unsigned cpu)
{
	set_mode(k, &k->cpu[cpu], false);
}

int os_tick(kernel *k, unsigned cpu, uint64_t cycles)
{
	/* simulated time stays below OS_CLOCK_LIMIT (os.h) */
	kcpu *c = &k->cpu[cpu];
	if (cycles > OS_CLOCK_LIMIT - 1 - c->clock)
		return os_fail(k, 2, "tick %llu takes CPU %u's clock past the simulated time limit of 2^62 cycles",
		               (unsigned long long)cycles, cpu);
	c->clock += cycles;
	return 0;
}
