// sc/replay.cpp - see replay.h.
#include "sc/replay.h"

#include <climits>
#include <cstdint>
#include <string>

namespace mmusim_sc {

using sc_core::sc_time;

machine::machine(sc_core::sc_module_name name, sim *s, const mode_options *mo,
                 std::vector<std::unique_ptr<wave_sink>> sinks)
	: sc_core::sc_module(name), s_(s), mo_(mo), last_level_(s->ncpus, 0),
	  cycle_value_(sc_time(1, sc_core::SC_NS).value())
{
	for (unsigned i = 0; i < s->ncpus; i++)
		cpus.emplace_back(new cpu_mmu(("cpu" + std::to_string(i)).c_str()));
	os_observer obs = {};
	obs.ctx = this;
	obs.translation = on_translation;
	obs.cr3_write = on_cr3;
	obs.ipi_send = on_ipi_send;
	obs.ipi = on_ipi;
	obs.shootdown_begin = on_shootdown_begin;
	obs.shootdown_end = on_shootdown_end;
	obs.fault = on_fault;
	obs.context = on_context;
	sim_set_observer(s, &obs);
	// what the machine holds after boot (not reported as events)
	for (unsigned i = 0; i < s->ncpus; i++) {
		cpus[i]->cr3.write(sim_cpu_cr3(s, i));
		cpus[i]->pcid.write((uint32_t)(sim_cpu_cr3(s, i) & CR3_PCID_MASK));
	}

	SC_METHOD(drive);
	if (!sinks.empty()) {
		win_.from = mo->vcd_from;
		win_.to = mo->vcd_to ? mo->vcd_to : UINT64_MAX;
		from_line_ = mo->vcd_from_line;
		to_line_ = mo->vcd_to_line;
		if (from_line_)
			win_.from = UINT64_MAX;   // until the from-line's record starts
		if (to_line_)
			win_.to = 0;              // grows with the records up to the to-line
		std::vector<trace_var> vars;
		for (auto &c : cpus)
			c->collect(vars);
		ipi.collect(vars);
		memory.collect(vars);
		waves_.reset(new wave_writer("waves", std::move(vars), std::move(sinks), win_));
		SC_METHOD(tick_clock);
	}
}

// ---- a window by trace lines ----
//
// A record that runs on a CPU (every record but a declaration) occupies
// that CPU's cycles from its start (sim.last_start) to the clock it
// leaves behind, the last of them clock - 1, or its start if it took no
// time.  The window opens at the start of the first record on or after
// the from-line and closes at the last cycle of any record from there
// to the to-line.  The ordering rule (records start in file order) makes
// this safe to learn as the records run: the replay applies an event
// only when its cycle is before the latest record's start, so the window
// is known, or still beyond that cycle, whenever a cycle is written.
void machine::note_record(unsigned cpu)
{
	uint64_t line = s_->rec.line, start = s_->last_start, end = sim_cpu_clock(s_, cpu);
	if (!first_line_)
		first_line_ = line;
	last_line_ = line;
	if (!waves_)
		return;
	if (from_line_ && !from_seen_ && line >= from_line_) {
		from_seen_ = true;
		win_.from = start;
		window_opens_.notify(sc_core::SC_ZERO_TIME);
	}
	if (to_line_ && (!from_line_ || from_seen_) && line <= to_line_) {
		uint64_t last = end > start ? end - 1 : start;
		if (!to_seen_ || last > win_.to)
			win_.to = last;
		to_seen_ = true;
	}
}

bool machine::window_found(char *err, size_t errlen) const
{
	typedef unsigned long long ull;
	if (!waves_ || (!from_line_ && !to_line_))
		return true;
	if (!first_line_) {
		std::snprintf(err, errlen, "--vcd-%s line:%llu: the trace has no record that runs on a CPU",
		              from_line_ ? "from" : "to", (ull)(from_line_ ? from_line_ : to_line_));
		return false;
	}
	if (from_line_ && !from_seen_) {
		std::snprintf(err, errlen, "--vcd-from line:%llu is past the trace's last record (line %llu)",
		              (ull)from_line_, (ull)last_line_);
		return false;
	}
	if (to_line_ && to_line_ > last_line_) {
		std::snprintf(err, errlen, "--vcd-to line:%llu is past the trace's last record (line %llu)",
		              (ull)to_line_, (ull)last_line_);
		return false;
	}
	if (to_line_ && !to_seen_) {
		if (from_line_)
			std::snprintf(err, errlen, "lines %llu to %llu hold no record that runs on a CPU"
			              " (--vcd-from line:%llu --vcd-to line:%llu)", (ull)from_line_,
			              (ull)to_line_, (ull)from_line_, (ull)to_line_);
		else
			std::snprintf(err, errlen, "--vcd-to line:%llu is before the trace's first record (line %llu)",
			              (ull)to_line_, (ull)first_line_);
		return false;
	}
	return true;
}

// ---- the engine's events, queued with their cycles ----

void machine::push(uint64_t cycle, ev type, unsigned cpu, uint64_t a, uint32_t b, uint8_t flag)
{
	q_.push(cycle, type, cpu, a, b, flag);
}

// A lookup or a dropped access counts as the statistics do (a TLB hit
// or a miss, by its final attempt): flag bits 4 and 5 of its event.
enum : uint8_t { COUNTED_HIT = 16, COUNTED_MISS = 32 };
static inline uint8_t counted(unsigned level)
{
	return level != XL_WALK ? COUNTED_HIT : COUNTED_MISS;
}

void machine::on_translation(void *ctx, unsigned cpu, uint64_t va, enum access_kind kind,
                             bool user, const xlate_result *r)
{
	(void)user;   // the mode is on user_mode, from the context events
	machine *m = static_cast<machine *>(ctx);
	m->last_level_[cpu] = (uint8_t)r->level;
	uint8_t flag = (uint8_t)(kind | r->level << 2);
	// counted by the final attempt: a hit or miss unless it faults
	if (r->fault == XF_NONE)
		flag |= counted(r->level);
	m->push(r->start, ev::lookup, cpu, va, 0, flag);
	if (r->walked) {
		m->push(r->walk_start, ev::walk_begin, cpu);
		uint64_t from = r->walk_start;
		for (unsigned i = 0; i < r->nsteps; i++) {
			const walk_step &st = r->steps[i];
			m->push(from, ev::walk_step, cpu, st.pte_pa, st.level,
			        (uint8_t)(st.src | st.write << 3));
			m->push(st.cycle, ev::step_done, cpu, st.pte_pa);
			from = st.cycle;
		}
		m->push(r->walk_end, ev::walk_end, cpu);
	}
	// an L1 hit takes 0 cycles (hidden behind the L1D access): keep
	// lookup_valid high for one cycle so the waves show it
	m->push(r->end > r->start ? r->end : r->start + 1, ev::lookup_end, cpu);
}

void machine::on_cr3(void *ctx, unsigned cpu, uint64_t cycle, uint64_t value)
{
	static_cast<machine *>(ctx)->push(cycle, ev::cr3, cpu, value);
}

// An IPI is reported when it is sent and again when it is handled (the
// engine handles it when it arrives, records later).
void machine::on_ipi_send(void *ctx, unsigned from, unsigned to, uint64_t sent)
{
	machine *m = static_cast<machine *>(ctx);
	m->push(sent, ev::ipi_send, from, 0, to);
	m->push(sent + 1, ev::ipi_send_end, from);
}

void machine::on_ipi(void *ctx, unsigned from, unsigned to, uint64_t handled, uint64_t acked)
{
	machine *m = static_cast<machine *>(ctx);
	m->push(handled, ev::ipi_handle, to, 0, from);
	m->push(acked, ev::ipi_ack, to);
}

void machine::on_shootdown_begin(void *ctx, unsigned cpu, uint64_t begin)
{
	static_cast<machine *>(ctx)->push(begin, ev::shootdown_begin, cpu);
}

void machine::on_shootdown_end(void *ctx, unsigned cpu, uint64_t end)
{
	static_cast<machine *>(ctx)->push(end, ev::shootdown_end, cpu);
}

void machine::on_fault(void *ctx, unsigned cpu, uint64_t cycle, uint64_t va, uint32_t error,
                       bool segv)
{
	machine *m = static_cast<machine *>(ctx);
	uint8_t flag = segv;
	if (segv)   // the access is dropped: counted by this last attempt
		flag |= counted(m->last_level_[cpu]);
	m->push(cycle, ev::fault, cpu, va, error, flag);
	m->push(cycle + 1, ev::fault_end, cpu);
}

void machine::on_context(void *ctx, unsigned cpu, uint64_t cycle, uint32_t pid, bool user_mode)
{
	static_cast<machine *>(ctx)->push(cycle, ev::context, cpu, 0, pid, user_mode);
}

// ---- replay ----

// Steps the engine until the earliest pending event is final: every event
// of a later record has a cycle >= last_start (the start of the record
// just run), so an event before it can no longer be overtaken.
void machine::refill()
{
	while (!eof_ && (q_.empty() || q_.top().cycle >= s_->last_start)) {
		if (mo_->interrupted && *mo_->interrupted) {
			eof_ = true;
			break;
		}
		int got = sim_step(s_);
		if (got > 0 && s_->step_cpu != UINT_MAX) {
			push(s_->last_start, ev::line, s_->step_cpu, s_->rec.line);
			note_record(s_->step_cpu);
		}
		if (got > 0 && s_->failure == FAIL_CHECK) {
			got = -1;   /* a co-simulation mismatch: the first one stops the run */
		}
		if (got <= 0) {
			eof_ = true;
			if (got < 0) {
				rc_ = s_->failure;
				done_ = true;
			}
		}
	}
}

void machine::drive()
{
	if (s_->failure == FAIL_CHECK) {   /* a co-simulation mismatch: stop replaying */
		rc_ = FAIL_CHECK;
		done_ = true;
		return;
	}
	while (!q_.empty() && q_.top().cycle <= now_) {
		apply(q_.top());
		q_.pop();
	}
	if (!done_)
		refill();
	if (done_ || q_.empty()) {
		done_ = true;
		for (unsigned i = 0; i < s_->ncpus; i++)   // the run ends with its latest clock
			if (sim_cpu_clock(s_, i) > end_cycle_)
				end_cycle_ = sim_cpu_clock(s_, i);
		return;   // no next_trigger: the method never runs again
	}
	uint64_t next = q_.top().cycle;
	if (next < now_) {   // the ordering rule was broken: never replay out of order
		std::snprintf(s_->err, sizeof s_->err,
		              "event at cycle %llu after cycle %llu was replayed",
		              (unsigned long long)next, (unsigned long long)now_);
		rc_ = s_->failure = FAIL_INTERNAL;
		done_ = true;
		return;
	}
	next_trigger(cycles(next - now_));
	now_ = next;
}

template <class T> static inline void bump(sc_core::sc_signal<uint64_t> &sig, T &n)
{
	sig.write(++n);
}

static inline void count(cpu_mmu &c, uint8_t flag)
{
	if (flag & COUNTED_HIT)
		bump(c.hits, c.n_hits);
	if (flag & COUNTED_MISS)
		bump(c.misses, c.n_misses);
}

void machine::apply(const event &e)
{
	cpu_mmu &c = *cpus[e.cpu];
	switch (e.type) {
	case ev::line:
		c.line.write(e.a);
		break;
	case ev::context:
		c.pid.write(e.b);
		c.user_mode.write(e.flag != 0);
		break;
	case ev::cr3:
		c.cr3.write(e.a);
		c.pcid.write((uint32_t)(e.a & 0xfff));
		break;
	case ev::lookup: {
		unsigned level = e.flag >> 2 & 3;
		c.lookup_valid.write(true);
		c.lookup_va.write(e.a);
		c.lookup_kind.write(e.flag & 3);
		c.l1_hit.write(level == XL_L1);
		c.stlb_hit.write(level == XL_STLB);
		count(c, e.flag);
		break;
	}
	case ev::lookup_end:
		c.lookup_valid.write(false);
		break;
	case ev::walk_begin:
		c.walk_active.write(true);
		bump(c.walks, c.n_walks);
		break;
	case ev::walk_step:
		c.walk_level.write(e.b);
		c.walk_pte_pa.write(e.a);
		if (e.a) {
			bool write = e.flag >> 3 & 1;
			memory.outstanding++;
			memory.req_valid.write(true);
			memory.req_addr.write(e.a);
			memory.req_write.write(write);
			memory.req_cpu.write(e.cpu);
			memory.req_src.write(e.flag & 7);
			if (write)
				bump(memory.writes, memory.n_writes);
			else
				bump(memory.reads, memory.n_reads);
		}
		break;
	case ev::step_done:
		if (e.a && --memory.outstanding == 0)
			memory.req_valid.write(false);
		break;
	case ev::walk_end:
		c.walk_active.write(false);
		c.walk_level.write(0);
		break;
	case ev::fault:
		c.page_fault.write(true);
		c.fault_va.write(e.a);
		bump(c.faults, c.n_faults);
		count(c, e.flag);
		break;
	case ev::fault_end:
		c.page_fault.write(false);
		break;
	case ev::ipi_send:
		c.ipi_sent.write(true);
		ipi.in_flight.write(++ipi.n_in_flight);
		ipi.last_from.write(e.cpu);
		ipi.last_to.write(e.b);
		bump(ipi.sent, ipi.n_sent);
		break;
	case ev::ipi_send_end:
		c.ipi_sent.write(false);
		break;
	case ev::ipi_handle:
		c.ipis_in++;
		c.ipi_received.write(true);
		break;
	case ev::ipi_ack:
		if (--c.ipis_in == 0)
			c.ipi_received.write(false);
		ipi.in_flight.write(--ipi.n_in_flight);
		break;
	case ev::shootdown_begin:
		c.shootdown.write(true);
		break;
	case ev::shootdown_end:
		c.shootdown.write(false);
		break;
	}
}

// The clock of every CPU, toggled at half cycles, but only while the
// waves' window is open: outside it nothing observes a clock, so none runs.
void machine::tick_clock()
{
	uint64_t half = cycle_value_ / 2;
	uint64_t now = sc_core::sc_time_stamp().value();
	uint64_t cycle = now / cycle_value_;
	if (cycle < win_.from) {
		if (win_.from == UINT64_MAX)   // a from-line not reached yet
			next_trigger(window_opens_);
		else
			next_trigger(cycles(win_.from) - sc_core::sc_time_stamp());
		return;
	}
	if ((done_ && cycle >= end_cycle_) || cycle > win_.to)
		return;
	clk_ = now % cycle_value_ == 0;   // high in the first half of a cycle
	for (auto &c : cpus)
		c->clk.write(clk_);
	next_trigger(sc_time::from_value(half));
}

} // namespace mmusim_sc
