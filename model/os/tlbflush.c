/* os/tlbflush.c - arch/x86/mm/tlb.c: switch_mm_irqs_off with the ASID
 * allocator, lazy TLB, PTI's CR3 pairs, and the shootdown protocol
 * (flush_tlb_mm_range -> flush_tlb_func on every CPU that needs it).
 *
 * Why generations: every flush request bumps mm->tlb_gen; each CPU records
 * in ctxs[asid].tlb_gen how far its TLB has caught up.  A CPU that missed
 * flushes while running something else (or while lazy) finds out by
 * comparing the two when it switches back, and flushes then, instead of
 * being interrupted for every change.
 */
#include "os/os.h"
#include "base/output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cpumask_set(mm_struct *mm, unsigned cpu) { mm->cpumask[cpu / 64] |= 1ull << (cpu % 64); }
void cpumask_clear(mm_struct *mm, unsigned cpu) { mm->cpumask[cpu / 64] &= ~(1ull << (cpu % 64)); }
bool cpumask_test(const mm_struct *mm, unsigned cpu) { return mm->cpumask[cpu / 64] >> (cpu % 64) & 1; }

static uint16_t kern_pcid(const kernel *k, uint16_t asid) { return k->pcid ? (uint16_t)(asid + 1) : 0; }
/* PTI: the user half runs with bit 11 set (X86_CR3_PTI_PCID_USER_BIT) */
static uint16_t user_pcid(const kernel *k, uint16_t asid)
{
	return k->pcid ? (uint16_t)((asid + 1) | 0x800) : 0;
}

void os_write_cr3(kernel *k, kcpu *c, uint64_t value)
{
	if (k->obs.cr3_write)
		k->obs.cr3_write(k->obs.ctx, c->id, c->clock, value);
	c->clock += mmu_write_cr3(&c->hw, value);
}

static void invalidate_user_asid(kernel *k, kcpu *c, uint16_t asid)
{
	if (k->pti)
		c->tlbstate.user_pcid_flush_mask[asid / 64] |= 1ull << (asid % 64);
}

/* SWITCH_TO_KERNEL_CR3: the kernel pgd and PCID, never flushing. */
void kernel_entry(kernel *k, kcpu *c)
{
	c->clock += k->cfg->v[K_COST_ENTRY];
	k->st->cpu[c->id].kernel_entries++;
	if (!k->pti || !c->tlbstate.loaded_mm)
		return;
	uint16_t asid = c->tlbstate.loaded_mm_asid;
	uint64_t cr3 = (c->tlbstate.loaded_mm->pgd << 12) | kern_pcid(k, asid);
	os_write_cr3(k, c, cr3 | (k->pcid ? CR3_NOFLUSH : 0));
}

/* SWITCH_TO_USER_CR3: the user pgd and PCID; flush it if a user-PCID
 * flush was deferred (user_pcid_flush_mask), otherwise NOFLUSH. */
void kernel_exit(kernel *k, kcpu *c)
{
	c->clock += k->cfg->v[K_COST_EXIT];
	mm_struct *mm = c->tlbstate.loaded_mm;
	if (!k->pti || !mm || mm->is_init)
		return;
	uint16_t asid = c->tlbstate.loaded_mm_asid;
	uint64_t *mask = &c->tlbstate.user_pcid_flush_mask[asid / 64];
	bool flush = (*mask >> (asid % 64)) & 1;
	*mask &= ~(1ull << (asid % 64));
	uint64_t cr3 = (mm->user_pgd << 12) | user_pcid(k, asid);
	os_write_cr3(k, c, cr3 | (k->pcid && !flush ? CR3_NOFLUSH : 0));
}

/* asm/tlbflush.h (v6.15+): an mm's global ASID, 0 without one or
 * without INVLPGB; ASIDs from TLB_NR_DYN_ASIDS up are global. */
static uint16_t mm_global_asid(const kernel *k, const mm_struct *mm)
{
	return k->invlpgb && mm ? mm->global_asid : 0;
}
static bool is_global_asid(const kernel *k, uint16_t asid) { return asid >= k->asids; }
static bool mm_in_asid_transition(const kernel *k, const mm_struct *mm)
{
	return k->invlpgb && mm && mm->asid_transition;
}
/* mm_needs_global_asid: the mm has a global ASID this CPU is not on yet. */
static bool mm_needs_global_asid(const kernel *k, const mm_struct *mm, uint16_t asid)
{
	uint16_t global_asid = mm_global_asid(k, mm);
	return global_asid && asid != global_asid;
}

/* clear_asid_other (PTI): every other dynamic ASID's next use flushes. */
static void clear_asid_other(kernel *k, kcpu *c)
{
	cpu_tlbstate *ts = &c->tlbstate;
	for (uint16_t asid = 0; asid < k->asids; asid++)
		if (asid != ts->loaded_mm_asid)
			ts->ctxs[asid].ctx_id = 0;   /* "the next time we go to switch to this asid, we do a flush" */
	ts->invalidate_other = false;
}

/* choose_new_asid: reuse the slot that already holds this mm's ctx_id
 * (flushing only if its generation is stale), else take next_asid
 * round-robin over the dynamic ASIDs, which always needs a flush. */
static void choose_new_asid(kernel *k, kcpu *c, mm_struct *next, uint64_t next_tlb_gen,
                            uint16_t *new_asid, bool *need_flush)
{
	cpu_tlbstate *ts = &c->tlbstate;
	if (!k->pcid) {
		*new_asid = 0;
		*need_flush = true;
		return;
	}
	/* v6.15+: "Global ASIDs are always up to date" (INVLPGB keeps them) */
	uint16_t global_asid = mm_global_asid(k, next);
	if (global_asid) {
		*new_asid = global_asid;
		*need_flush = false;
		return;
	}
	if (ts->invalidate_other)
		clear_asid_other(k, c);
	for (uint16_t asid = 0; asid < k->asids; asid++) {
		if (ts->ctxs[asid].ctx_id != next->ctx_id)
			continue;
		*new_asid = asid;
		*need_flush = ts->ctxs[asid].tlb_gen < next_tlb_gen;
		return;
	}
	*new_asid = ts->next_asid++;
	if (*new_asid >= k->asids) {
		*new_asid = 0;
		ts->next_asid = 1;
	}
	*need_flush = true;
}

/* load_new_mm_cr3: bit 63 set unless a flush is needed; under PTI a flush
 * of the kernel PCID also marks the user PCID for flushing at exit. */
static void load_new_mm_cr3(kernel *k, kcpu *c, mm_struct *mm, uint16_t asid, bool need_flush)
{
	if (need_flush)
		invalidate_user_asid(k, c, asid);
	uint64_t cr3 = (mm->pgd << 12) | kern_pcid(k, asid);
	if (!need_flush && k->pcid)
		cr3 |= CR3_NOFLUSH;
	os_write_cr3(k, c, cr3);
}

void trace_tlb_flush(kernel *k, kcpu *c, enum flush_reason reason, uint64_t pages)
{
	sim_stats *st = k->st;
	if (k->cfg->v[K_TEST_TRACE_FLUSHES])
		fprintf(stderr, "tlb_flush %llu %u %d %lld %u%s\n",
		        (unsigned long long)(c->clock * 1000 / k->cfg->v[K_CLOCK_MHZ]), c->id, (int)reason,
		        pages == TLB_FLUSH_ALL ? -1ll : (long long)pages, c->curr->pid,
		        k->untraced ? " untraced" : "");
	if (k->untraced) {
		st->flush_untraced[reason]++;
		return;
	}
	st->flush_reason[reason]++;
	if (pages == TLB_FLUSH_ALL) {
		st->flush_full[reason]++;
		st->flush_in_ipi_full[reason] += k->in_ipi;
	} else if (pages == 0) {
		st->flush_none[reason]++;
		st->flush_in_ipi_none[reason] += k->in_ipi;
	} else {
		st->flush_range[reason]++;
		st->flush_range_pages[reason] += pages;
		st->flush_in_ipi_range[reason] += k->in_ipi;
	}
}

int64_t os_jiffies(const kernel *k, const kcpu *c)
{
	return (int64_t)(c->clock / k->cycles_per_jiffy);
}

/* switch_mm_irqs_off (v6.18): to the mm already loaded, nothing unless
 * the CPU was lazy and missed a flush; to another mm, this CPU joins
 * next's mm_cpumask (v6.14+ no longer leaves prev's: the mask is trimmed
 * lazily, see should_flush_tlb) and choose_new_asid decides the flush.
 * Every CR3 load is traced as "flush on task switch", pages -1 when it
 * flushes and 0 when it does not. */
void switch_mm_irqs_off(kernel *k, kcpu *c, mm_struct *next)
{
	cpu_tlbstate *ts = &c->tlbstate;
	mm_struct *prev = ts->loaded_mm;
	bool was_lazy = ts->is_lazy;
	uint16_t new_asid;
	bool need_flush;
	ts->is_lazy = false;
	if (prev == next) {
		/* v6.15+: the mm is moving to a global ASID; reload with it */
		if (mm_needs_global_asid(k, next, ts->loaded_mm_asid)) {
			choose_new_asid(k, c, next, next->tlb_gen, &new_asid, &need_flush);
			goto reload_tlb;
		}
		/* "Broadcast TLB invalidation keeps this ASID up to date" */
		if (is_global_asid(k, ts->loaded_mm_asid))
			return;
		/* Same mm: nothing, unless we were lazy and missed a flush. */
		if (!was_lazy)
			return;
		uint64_t next_tlb_gen = next->tlb_gen;
		if (ts->ctxs[ts->loaded_mm_asid].tlb_gen == next_tlb_gen)
			return;
		new_asid = ts->loaded_mm_asid;
		need_flush = true;
	} else {
		/* v6.13 and earlier: "Stop remote flushes for the previous mm" */
		if ((k->version <= KERNEL_6_13 || k->cpumask_trim) && prev && !prev->is_init)
			cpumask_clear(prev, c->id);
		if (!next->is_init)
			cpumask_set(next, c->id);
		choose_new_asid(k, c, next, next->tlb_gen, &new_asid, &need_flush);
	}
reload_tlb:
	if (need_flush) {
		ts->ctxs[new_asid].ctx_id = next->ctx_id;
		ts->ctxs[new_asid].tlb_gen = next->tlb_gen;
	}
	load_new_mm_cr3(k, c, next, new_asid, need_flush);
	trace_tlb_flush(k, c, FLUSH_ON_TASK_SWITCH, need_flush ? TLB_FLUSH_ALL : 0);
	ts->loaded_mm = next;
	ts->loaded_mm_asid = new_asid;
}

/* enter_lazy_tlb: keep the user mm loaded; nothing for init_mm. */
void enter_lazy_tlb(kernel *k, kcpu *c)
{
	if (c->tlbstate.loaded_mm == &k->init_mm)
		return;
	c->tlbstate.is_lazy = true;
}

/* flush_tlb_one_user: INVLPG in the kernel PCID; under PTI the user PCID
 * too, with INVPCID type 0 when PCIDs are on, else deferred to exit. */
static void flush_tlb_one_user(kernel *k, kcpu *c, uint64_t addr)
{
	c->clock += mmu_invlpg(&c->hw, addr);
	if (!k->pti)
		return;
	uint16_t asid = c->tlbstate.loaded_mm_asid;
	if (k->pcid)
		c->clock += mmu_invpcid(&c->hw, 0, user_pcid(k, asid), addr);
	else
		invalidate_user_asid(k, c, asid);
}

/* flush_tlb_local: CR3 rewritten without NOFLUSH (the kernel PCID); the
 * user PCID's flush is deferred to the next exit. */
static void flush_tlb_local(kernel *k, kcpu *c)
{
	invalidate_user_asid(k, c, c->tlbstate.loaded_mm_asid);
	os_write_cr3(k, c, c->hw.cr3);
}

/* flush_tlb_func (v6.18), on the initiator (local) or an IPI target. */
void flush_tlb_func(kernel *k, kcpu *c, const flush_info *f)
{
	cpu_tlbstate *ts = &c->tlbstate;
	mm_struct *loaded_mm = ts->loaded_mm;
	bool local = c->id == f->initiating_cpu;
	if (f->mm && f->mm != loaded_mm) {
		/* "The CPU was left in the mm_cpumask of the target mm. Clear it." */
		cpumask_clear(f->mm, c->id);
		trace_tlb_flush(k, c, FLUSH_REMOTE_WRONG_CPU, 0);
		return;
	}
	if (loaded_mm == &k->init_mm)
		return;
	uint16_t asid = ts->loaded_mm_asid;
	/* v6.15+: "Reload the ASID if transitioning into or out of a global
	 * ASID"; "Broadcast ASIDs are always kept up to date with INVLPGB"
	 * (neither traced but by the switch's own tracepoint) */
	if (f->had_global_asid && mm_needs_global_asid(k, loaded_mm, asid)) {
		switch_mm_irqs_off(k, c, loaded_mm);
		asid = ts->loaded_mm_asid;
	}
	if (is_global_asid(k, asid))
		return;
	if (ts->is_lazy) {
		/* Page tables were freed under a lazy CPU: leave the mm now
		 * (traced by switch_mm_irqs_off as a task switch). */
		switch_mm_irqs_off(k, c, &k->init_mm);
		return;
	}
	uint64_t local_gen = ts->ctxs[asid].tlb_gen;
	if (f->new_tlb_gen <= local_gen)
		return;   /* already up to date with this request: not traced */
	uint64_t mm_gen = loaded_mm->tlb_gen;
	enum flush_reason reason = !local ? FLUSH_REMOTE_SHOOTDOWN
	                           : f->mm ? FLUSH_LOCAL_MM_SHOOTDOWN : FLUSH_LOCAL_SHOOTDOWN;
	if (local_gen == mm_gen) {
		trace_tlb_flush(k, c, reason, 0);   /* a concurrent flush caught us up */
		return;
	}
	uint64_t nr;
	if (f->end != TLB_FLUSH_ALL && f->new_tlb_gen == local_gen + 1 && f->new_tlb_gen == mm_gen) {
		/* exactly one generation behind and a range: INVLPG per stride */
		nr = (f->end - f->start) >> f->stride_shift;
		for (uint64_t a = f->start; a < f->end; a += 1ull << f->stride_shift)
			flush_tlb_one_user(k, c, a);
		k->st->shootdown_pages += (f->end - f->start) >> 12;
	} else {
		nr = TLB_FLUSH_ALL;
		flush_tlb_local(k, c);
	}
	ts->ctxs[asid].tlb_gen = mm_gen;
	trace_tlb_flush(k, c, reason, nr);
}

static void kernel_flush_func(kernel *k, kcpu *c, const flush_info *f);

/* The flush IPI f reaches CPU r at `arrival`: interrupt entry (a CR3
 * write under PTI if it was in user mode), the handler, exit; the
 * initiator sees the acknowledgement ipi.ack later. */
static void handle_flush_ipi(kernel *k, kcpu *r, const flush_info *f, uint64_t arrival)
{
	kcpu *from = &k->cpu[f->initiating_cpu];
	if (r->clock < arrival)
		r->clock = arrival;
	uint64_t handled = r->clock;
	k->st->cpu[r->id].ipis_received++;
	bool was_user = r->user_mode;
	if (was_user)
		kernel_entry(k, r);
	r->clock += k->cfg->v[K_IPI_HANDLER];
	k->in_ipi = true;
	if (f->kernel)
		kernel_flush_func(k, r, f);
	else
		flush_tlb_func(k, r, f);
	k->in_ipi = false;
	if (was_user)
		kernel_exit(k, r);
	uint64_t acked = r->clock + k->cfg->v[K_IPI_ACK];
	if (k->cfg->v[K_TEST_TRACE_FLUSHES])
		fprintf(stderr, "ipi_handled %llu %u from %u acked %llu\n",
		        (unsigned long long)(handled * 1000 / k->cfg->v[K_CLOCK_MHZ]), r->id, from->id,
		        (unsigned long long)(acked * 1000 / k->cfg->v[K_CLOCK_MHZ]));
	if (k->obs.ipi)
		k->obs.ipi(k->obs.ctx, from->id, r->id, handled, acked);
	if (acked > from->ack_at)
		from->ack_at = acked;
	/* The initiator's wait ends with its last acknowledgement (or with
	 * the record it sent them in, if that ran longer): reported now, in
	 * time order with the records around it, not when its next record
	 * charges the wait (os_wait_acks), which may come after later
	 * records of other CPUs. */
	if (--from->outstanding == 0 && k->obs.shootdown_end)
		k->obs.shootdown_end(k->obs.ctx, from->id,
		                     from->ack_at > from->clock ? from->ack_at : from->clock);
}

static void recompute_next_arrival(kernel *k)
{
	k->next_arrival = UINT64_MAX;
	for (unsigned i = 0; i < k->ncpus; i++)
		for (size_t j = 0; j < k->cpu[i].ninbox; j++)
			if (k->cpu[i].inbox[j].arrival < k->next_arrival)
				k->next_arrival = k->cpu[i].inbox[j].arrival;
}

static void send_flush_ipi(kernel *k, kcpu *from, kcpu *r, const flush_info *f, uint64_t sent)
{
	if (r->ninbox == r->capinbox) {
		r->capinbox = r->capinbox ? 2 * r->capinbox : 4;
		r->inbox = realloc(r->inbox, r->capinbox * sizeof *r->inbox);
		if (!r->inbox)
			output_out_of_memory();
	}
	pending_ipi *p = &r->inbox[r->ninbox++];
	p->arrival = sent + k->cfg->v[K_IPI_LATENCY];
	p->seq = k->ipi_seq++;
	p->f = *f;
	mmgrab(f->mm);   /* the request outlives nothing it names */
	if (p->arrival < k->next_arrival)
		k->next_arrival = p->arrival;
	from->outstanding++;
	r->hw.flush_in_flight++;
	if (k->cfg->v[K_TEST_TRACE_FLUSHES])
		fprintf(stderr, "ipi_sent %llu %u to %u arrival %llu\n",
		        (unsigned long long)(from->clock * 1000 / k->cfg->v[K_CLOCK_MHZ]), from->id, r->id,
		        (unsigned long long)(p->arrival * 1000 / k->cfg->v[K_CLOCK_MHZ]));
	if (k->obs.ipi_send)
		k->obs.ipi_send(k->obs.ctx, from->id, r->id, sent);
}

/* The pending IPI due first (arrival, then the order sent), or false. */
static bool first_due(const kernel *k, uint64_t t, unsigned *cpu, size_t *index)
{
	bool found = false;
	uint64_t best_arrival = 0, best_seq = 0;
	for (unsigned i = 0; i < k->ncpus; i++)
		for (size_t j = 0; j < k->cpu[i].ninbox; j++) {
			const pending_ipi *p = &k->cpu[i].inbox[j];
			if (p->arrival > t)
				continue;
			if (!found || p->arrival < best_arrival ||
			    (p->arrival == best_arrival && p->seq < best_seq)) {
				found = true;
				best_arrival = p->arrival, best_seq = p->seq;
				*cpu = i, *index = j;
			}
		}
	return found;
}

void os_deliver_ipis(kernel *k, uint64_t t)
{
	unsigned cpu;
	size_t j;
	while (first_due(k, t, &cpu, &j)) {
		kcpu *r = &k->cpu[cpu];
		pending_ipi p = r->inbox[j];
		memmove(&r->inbox[j], &r->inbox[j + 1], (r->ninbox - j - 1) * sizeof r->inbox[0]);
		r->ninbox--;
		r->hw.flush_in_flight--;
		handle_flush_ipi(k, r, &p.f, p.arrival);
		mmdrop(k, p.f.mm, false);
	}
	recompute_next_arrival(k);
}

/* The initiator waits until every IPI it sent is acknowledged
 * (smp_call_function_many_cond waits for each csd). */
void os_wait_acks(kernel *k, kcpu *c)
{
	uint64_t latest = 0;
	for (unsigned i = 0; i < k->ncpus; i++)
		for (size_t j = 0; j < k->cpu[i].ninbox; j++)
			if (k->cpu[i].inbox[j].f.initiating_cpu == c->id && k->cpu[i].inbox[j].arrival > latest)
				latest = k->cpu[i].inbox[j].arrival;
	if (c->outstanding)
		os_deliver_ipis(k, latest);
	if (c->ack_at > c->clock) {
		k->st->shootdown_cycles += c->ack_at - c->clock;
		c->clock = c->ack_at;
	}
	c->ack_at = 0;
}

void os_settle(kernel *k)
{
	os_deliver_ipis(k, UINT64_MAX);
	for (unsigned i = 0; i < k->ncpus; i++)
		if (k->cpu[i].ack_at)
			os_wait_acks(k, &k->cpu[i]);
}

/* A vCPU the host descheduled (steal time's KVM_VCPU_PREEMPTED). */
void os_vcpu_preempted(kernel *k, unsigned cpu)
{
	k->cpu[cpu].vcpu_preempted = true;
}

/* The vCPU runs again: record_steal_time sees KVM_VCPU_FLUSH_TLB and
 * flushes its whole TLB (kvm_vcpu_flush_tlb_guest) before it enters the
 * guest.  The guest's own state (cpu_tlbstate, mm_cpumask) is untouched:
 * no handler ran. */
void os_vcpu_resume(kernel *k, kcpu *c)
{
	c->vcpu_preempted = false;
	if (c->host_flush_pending) {
		c->host_flush_pending = false;
		mmu_host_flush(&c->hw);
		k->st->host_flushes++;
	}
}

/* should_flush_tlb (v6.14+): not a lazy CPU ("Lazy TLB will get flushed
 * at the next context switch"), and either the target mm is loaded or
 * this flush trims the mask.  v6.13 asked only whether it was lazy
 * (tlb_is_not_lazy), its masks holding only CPUs with the mm loaded. */
bool should_flush_tlb(const kernel *k, const kcpu *r, const flush_info *f)
{
	if (r->tlbstate.is_lazy)
		return false;
	if (!f->mm || k->version <= KERNEL_6_13)
		return true;
	return r->tlbstate.loaded_mm == f->mm || f->trim_cpumask;
}

/* should_trim_cpumask: at most once a second (HZ jiffies) per mm. */
static bool should_trim_cpumask(kernel *k, kcpu *c, mm_struct *mm)
{
	int64_t now = os_jiffies(k, c);
	if (now > mm->next_trim_cpumask) {   /* time_after(jiffies, next_trim_cpumask) */
		mm->next_trim_cpumask = now + (int64_t)k->hz;
		return true;
	}
	return false;
}

/* native_flush_tlb_multi: traced as "remote IPI send" before deciding
 * whom to interrupt; with freed_tables every CPU of the mask runs the
 * flush (on_each_cpu_mask), lazy ones too, else only those
 * should_flush_tlb picks (on_each_cpu_cond_mask), the initiator
 * included.  IPIs go out first; the initiator flushes, then waits. */
static void native_flush_tlb_multi(kernel *k, kcpu *c, const flush_info *f)
{
	mm_struct *mm = f->mm;
	/* v6.15+: an mm in ASID transition interrupts every CPU of the mask,
	 * as freed page tables do (on_each_cpu_mask) */
	bool every = f->freed_tables || mm_in_asid_transition(k, mm);
	trace_tlb_flush(k, c, FLUSH_REMOTE_SEND_IPI,
	                f->end == TLB_FLUSH_ALL ? TLB_FLUSH_ALL : (f->end - f->start) >> 12);
	k->st->shootdowns_initiated++;
	bool sent = false;
	uint64_t t_send = c->clock;
	for (unsigned i = 0; i < k->ncpus; i++) {
		kcpu *r = &k->cpu[i];
		if (i == c->id || !cpumask_test(mm, i))
			continue;
		if (r->vcpu_preempted && k->cfg->v[K_PV_TLB_FLUSH]) {
			/* kvm_flush_tlb_multi: a preempted vCPU leaves the mask
			 * passed on, marked KVM_VCPU_FLUSH_TLB for the host */
			r->host_flush_pending = true;
			k->st->pv_skipped++;
			continue;
		}
		if (!every && !should_flush_tlb(k, r, f)) {
			if (r->tlbstate.is_lazy)
				k->st->lazy_skipped++;
			continue;
		}
		if (k->skip_shootdowns)
			continue;   /* test-only breakage: the checker must notice */
		k->st->shootdown_ipis++;
		if (!sent && k->obs.shootdown_begin)
			k->obs.shootdown_begin(k->obs.ctx, c->id, c->clock);
		sent = true;
		send_flush_ipi(k, c, r, f, t_send);
		c->clock += k->cfg->v[K_IPI_SEND];
	}
	if (cpumask_test(mm, c->id) && (every || should_flush_tlb(k, c, f)))
		flush_tlb_func(k, c, f);
}

/* ---- global ASIDs and broadcast flushes (v6.15+, INVLPGB) ---- */

static bool asid_bit(const uint64_t *map, unsigned a) { return map[a / 64] >> (a % 64) & 1; }

/* INVLPGB and TLBSYNC on CPU c, with their cycles. */
static void invlpgb(kcpu *c, const invlpgb_args *a)
{
	c->clock += mmu_invlpgb(&c->hw, a, c->clock);
}
static void tlbsync(kcpu *c)
{
	c->clock += mmu_tlbsync(&c->hw, c->clock);
}

/* reset_global_asid_space: one broadcast of every non-global entry
 * (invlpgb_flush_all_nonglobals: nothing valid, then TLBSYNC) makes the
 * freed global ASIDs safe to hand out again; the search restarts at
 * TLB_NR_DYN_ASIDS. */
static void reset_global_asid_space(kernel *k, kcpu *c)
{
	invlpgb_args all = { 0 };
	invlpgb(c, &all);
	tlbsync(c);
	for (unsigned i = 0; i < 4096 / 64; i++) {
		k->global_asid_used[i] &= ~k->global_asid_freed[i];
		k->global_asid_freed[i] = 0;
	}
	k->last_global_asid = (uint16_t)k->asids;
	k->st->global_asids_resets++;
}

/* allocate_global_asid: next fit from the last one handed out; at the
 * edge of the space, the reset first.  0: none (Linux warns; so does the
 * search running off the end, which the model also treats as none). */
static uint16_t allocate_global_asid(kernel *k, kcpu *c)
{
	if (k->last_global_asid >= k->max_asid - 1)
		reset_global_asid_space(k, c);
	unsigned asid = k->last_global_asid;
	while (asid < k->max_asid && asid_bit(k->global_asid_used, asid))
		asid++;                          /* find_next_zero_bit */
	if (asid >= k->max_asid)
		return 0;
	k->global_asid_used[asid / 64] |= 1ull << (asid % 64);
	k->last_global_asid = (uint16_t)asid;
	k->global_asid_available--;
	return (uint16_t)asid;
}

/* use_global_asid: unless the mm has one or none is left;
 * mm_assign_global_asid starts its transition. */
static void use_global_asid(kernel *k, kcpu *c, mm_struct *mm)
{
	if (mm->global_asid || !k->global_asid_available)
		return;
	uint16_t asid = allocate_global_asid(k, c);
	if (!asid)
		return;
	mm->global_asid = asid;
	mm->asid_transition = true;
	k->st->global_asids_allocated++;
}

void mm_free_global_asid(kernel *k, mm_struct *mm)
{
	if (!mm_global_asid(k, mm))
		return;
	/* "The global ASID can be re-used only after flush at wrap-around." */
	k->global_asid_freed[mm->global_asid / 64] |= 1ull << (mm->global_asid % 64);
	mm->global_asid = 0;
	k->global_asid_available++;
	k->st->global_asids_freed++;
}

/* mm_active_cpus_exceeds: more than `threshold` CPUs have the mm loaded
 * and are not lazy (the mask's weight first, the cheap test). */
static bool mm_active_cpus_exceeds(const kernel *k, const mm_struct *mm, unsigned threshold)
{
	unsigned weight = 0, count = 0;
	for (unsigned i = 0; i < OS_MAX_CPUS / 64; i++)
		weight += (unsigned)__builtin_popcountll(mm->cpumask[i]);
	if (weight <= threshold)
		return false;
	for (unsigned i = 0; i < k->ncpus; i++)
		if (cpumask_test(mm, i) && k->cpu[i].tlbstate.loaded_mm == mm &&
		    !k->cpu[i].tlbstate.is_lazy && ++count > threshold)
			return true;
	return false;
}

/* consider_global_asid: after an IPI flush, about one in 32 ("Check
 * every once in a while": the flushing task's PID against jiffies, both
 * mod 32), an mm active on 4 or more CPUs gets a global ASID. */
static void consider_global_asid(kernel *k, kcpu *c, mm_struct *mm)
{
	if (!k->invlpgb)
		return;
	if ((c->curr->pid & 0x1f) != ((uint64_t)os_jiffies(k, c) & 0x1f))
		return;
	if (mm_active_cpus_exceeds(k, mm, 3))
		use_global_asid(k, c, mm);
}

/* finish_asid_transition: while a CPU still runs the mm on a dynamic
 * ASID, the flush goes to the whole mask by IPI too (the IPI moves the
 * stragglers over, flush_tlb_func); once none does, the transition ends. */
static void finish_asid_transition(kernel *k, kcpu *c, const flush_info *f)
{
	mm_struct *mm = f->mm;
	if (!mm_in_asid_transition(k, mm))
		return;
	for (unsigned i = 0; i < k->ncpus; i++) {
		if (!cpumask_test(mm, i) || k->cpu[i].tlbstate.loaded_mm != mm)
			continue;
		if (k->cpu[i].tlbstate.loaded_mm_asid != mm->global_asid) {
			native_flush_tlb_multi(k, c, f);
			return;
		}
	}
	mm->asid_transition = false;
	k->st->global_asids_transitions++;
}

/* broadcast_tlb_flush: INVLPGB for the mm's kernel PCID (and its PTI
 * user PCID): the whole PCID for a full flush, else the range in chunks
 * of at most invlpgb_count_max strides (a stride above 2 MiB, one
 * address per INVLPGB); then the transition's IPIs if any, then one
 * TLBSYNC.  No tracepoint. */
static void broadcast_tlb_flush(kernel *k, kcpu *c, const flush_info *f)
{
	uint16_t asid = mm_global_asid(k, f->mm);
	bool pmd = f->stride_shift == 21;
	if (f->end == TLB_FLUSH_ALL) {
		invlpgb_args a = { .pcid_valid = true, .pcid = kern_pcid(k, asid) };
		invlpgb(c, &a);
		if (k->pti) {
			a.pcid = user_pcid(k, asid);
			invlpgb(c, &a);
		}
	} else {
		uint64_t addr = f->start;
		do {
			uint64_t nr = 1;
			if (f->stride_shift <= 21) {
				nr = (f->end - addr) >> f->stride_shift;
				nr = nr < 1 ? 1 : nr > k->invlpgb_count_max ? k->invlpgb_count_max : nr;
			}
			invlpgb_args a = { .va = addr, .va_valid = true, .pcid_valid = true,
			                   .pcid = kern_pcid(k, asid), .count = (uint16_t)(nr - 1),
			                   .stride_2m = pmd };
			invlpgb(c, &a);
			if (k->pti) {
				a.pcid = user_pcid(k, asid);
				invlpgb(c, &a);
			}
			addr += nr << f->stride_shift;
		} while (addr < f->end);
	}
	finish_asid_transition(k, c, f);
	tlbsync(c);
}

/* flush_tlb_mm_range (v6.18): bump tlb_gen; more strides than the
 * ceiling is a full flush (init_flush_tlb_info); an mm with a global ASID
 * is flushed by broadcast; another CPU in the mask takes
 * native_flush_tlb_multi (then consider_global_asid), else the local CPU
 * flushes if it has the mm loaded. */
void flush_tlb_mm_range(kernel *k, kcpu *c, mm_struct *mm, uint64_t start, uint64_t end,
                        unsigned stride_shift, bool freed_tables)
{
	if (end != TLB_FLUSH_ALL && ((end - start) >> stride_shift) > k->flush_ceiling) {
		start = 0;
		end = TLB_FLUSH_ALL;
	}
	flush_info f = { mm, start, end, stride_shift, ++mm->tlb_gen, freed_tables, false, c->id,
	                 mm_global_asid(k, mm) != 0, KFLUSH_NONE };
	if (f.had_global_asid) {
		broadcast_tlb_flush(k, c, &f);
		return;
	}
	bool others = false;
	for (unsigned i = 0; i < k->ncpus && !others; i++)
		others = i != c->id && cpumask_test(mm, i);
	if (others) {
		if (k->version >= KERNEL_6_14)
			f.trim_cpumask = should_trim_cpumask(k, c, mm);
		native_flush_tlb_multi(k, c, &f);
		consider_global_asid(k, c, mm);
	} else if (mm == c->tlbstate.loaded_mm) {
		flush_tlb_func(k, c, &f);
	}
}

void flush_tlb_mm(kernel *k, kcpu *c, mm_struct *mm)
{
	flush_tlb_mm_range(k, c, mm, 0, TLB_FLUSH_ALL, 0, true);
}

void flush_tlb_range(kernel *k, kcpu *c, mm_struct *mm, uint64_t start, uint64_t end)
{
	flush_tlb_mm_range(k, c, mm, start, end, 12, k->version > KERNEL_6_14);
}

/* A huge leaf is flushed by its own stride (flush_tlb_range of a
 * hugetlb VMA uses huge_page_shift). */
void flush_tlb_page(kernel *k, kcpu *c, mm_struct *mm, uint64_t addr, unsigned level)
{
	unsigned shift = level_shift(level);
	uint64_t base = addr & ~((1ull << shift) - 1);
	flush_tlb_mm_range(k, c, mm, base, base + (1ull << shift), shift, false);
}

/* ---- kernel-address flushes (v6.18 flush_tlb_kernel_range, flush_tlb_all) ---- */

/* flush_tlb_one_kernel: flush_tlb_one_user (INVLPG, and the PTI user
 * PCID); without PTI kernel mappings are global and INVLPG drops a
 * global entry from every PCID (SDM 4.10.4.1).  Under PTI they are not
 * global, so the other ASIDs are flushed when next used
 * (cpu_tlbstate.invalidate_other). */
static void flush_tlb_one_kernel(kernel *k, kcpu *c, uint64_t addr)
{
	flush_tlb_one_user(k, c, addr);
	if (k->pti)
		c->tlbstate.invalidate_other = true;
}

/* __flush_tlb_all: with PGE, __flush_tlb_global, which is INVPCID type 2
 * (native_flush_tlb_global on a CPU with X86_FEATURE_INVPCID, as every
 * machine of the model has; without it, a toggle of CR4.PGE), globals and
 * every PCID; without PGE Linux has no PCIDs (setup_pcid) and
 * flush_tlb_local flushes everything non-global.  pge=off with pcid=on,
 * which Linux never runs, takes INVPCID type 2 too (one CR3 write would
 * leave the other PCIDs' kernel entries). */
static void flush_tlb_all_local(kernel *k, kcpu *c)
{
	if (k->pge || k->pcid)
		c->clock += mmu_invpcid(&c->hw, 2, 0, 0);
	else
		flush_tlb_local(k, c);
}

/* do_kernel_range_flush (an INVLPG per page) or do_flush_tlb_all, on the
 * initiator or in the IPI; no tlb:tlb_flush tracepoint fires in either. */
static void kernel_flush_func(kernel *k, kcpu *c, const flush_info *f)
{
	if (f->kernel == KFLUSH_FULL) {
		flush_tlb_all_local(k, c);
		return;
	}
	for (uint64_t a = f->start; a < f->end; a += 4096)
		flush_tlb_one_kernel(k, c, a);
}

/* on_each_cpu(func, info, 1): an IPI to every other online CPU, lazy and
 * idle ones too (no mm_cpumask, no should_flush_tlb, no paravirt flush:
 * smp_call_function_many_cond with SCF_RUN_LOCAL), then the function
 * here, then the wait for every acknowledgement (os_wait_acks). */
static void on_each_cpu_flush(kernel *k, kcpu *c, const flush_info *f)
{
	bool sent = false;
	uint64_t t_send = c->clock;
	for (unsigned i = 0; i < k->ncpus; i++) {
		if (i == c->id || k->skip_shootdowns)
			continue;
		k->st->shootdown_ipis++;
		k->st->kernel_flush_ipis++;
		if (!sent && k->obs.shootdown_begin)
			k->obs.shootdown_begin(k->obs.ctx, c->id, c->clock);
		sent = true;
		send_flush_ipi(k, c, &k->cpu[i], f, t_send);
		c->clock += k->cfg->v[K_IPI_SEND];
	}
	kernel_flush_func(k, c, f);
}

/* kernel_tlb_flush_all: invlpgb_flush_all (one INVLPGB of every address
 * and PCID, globals included, then TLBSYNC), else the IPIs. */
static void kernel_tlb_flush_all(kernel *k, kcpu *c)
{
	k->st->kernel_flush_full++;
	if (k->invlpgb) {
		invlpgb_args a = { .include_global = true };
		invlpgb(c, &a);
		tlbsync(c);
		return;
	}
	flush_info f = { .mm = &k->init_mm, .start = 0, .end = TLB_FLUSH_ALL, .stride_shift = 12,
	                 .initiating_cpu = c->id, .kernel = KFLUSH_FULL };
	on_each_cpu_flush(k, c, &f);
}

/* kernel_tlb_flush_range: invlpgb_kernel_range_flush (INVLPGBs of every
 * PCID with include-global, invlpgb_count_max pages each, then one
 * TLBSYNC), else on_each_cpu(do_kernel_range_flush). */
static void kernel_tlb_flush_range(kernel *k, kcpu *c, uint64_t start, uint64_t end)
{
	k->st->kernel_flush_range++;
	k->st->kernel_flush_pages += (end - start) >> 12;
	if (k->invlpgb) {
		for (uint64_t addr = start, nr; addr < end; addr += nr << 12) {
			nr = (end - addr) >> 12;
			nr = nr < 1 ? 1 : nr > k->invlpgb_count_max ? k->invlpgb_count_max : nr;
			invlpgb_args a = { .va = addr, .va_valid = true, .include_global = true,
			                   .count = (uint16_t)(nr - 1) };
			invlpgb(c, &a);
		}
		tlbsync(c);
		return;
	}
	flush_info f = { .mm = &k->init_mm, .start = start, .end = end, .stride_shift = 12,
	                 .initiating_cpu = c->id, .kernel = KFLUSH_RANGE };
	on_each_cpu_flush(k, c, &f);
}

/* flush_tlb_kernel_range (v6.18): get_flush_tlb_info turns more pages
 * than tlb_single_page_flush_ceiling into a full flush. */
void flush_tlb_kernel_range(kernel *k, kcpu *c, uint64_t start, uint64_t end)
{
	if (((end - start) >> 12) > k->flush_ceiling)
		kernel_tlb_flush_all(k, c);
	else
		kernel_tlb_flush_range(k, c, start, end);
}

/* flush_tlb_all (v6.18): invlpgb_flush_all, else on_each_cpu(do_flush_tlb_all). */
void flush_tlb_all(kernel *k, kcpu *c)
{
	kernel_tlb_flush_all(k, c);
}
