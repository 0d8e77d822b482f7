// sc/replay.h - the SystemC machine of systemc mode and its replay driver.
//
// The driver is one SC_METHOD.  Each activation (1) replays every event of
// the current cycle as signal writes, (2) steps the C engine (sim_step)
// until the earliest pending event is final, i.e. earlier than
// sim.last_start, and (3) re-arms itself with next_trigger() for exactly
// that event's cycle.  SystemC time therefore jumps from event to event:
// nothing runs on cycles where nothing happens, and no clock is toggled
// unless a VCD window asks for one.
//
// Timing style: 1 cycle = 1 ns of SystemC time; every signal changes at
// the cycle the C model gave its event (see docs/waves.md).
#ifndef MMUSIM_SC_REPLAY_H
#define MMUSIM_SC_REPLAY_H

#include <cstdio>
#include <memory>
#include <vector>

#include "sc/event_queue.h"
#include "sc/modules.h"
#include "sc/wave_writer.h"

extern "C" {
#include "sim/engine.h"
#include "sim/modes.h"
}

namespace mmusim_sc {

class machine : public sc_core::sc_module {
public:
	SC_HAS_PROCESS(machine);
	// sinks: the waves' back ends (none: no waves).
	machine(sc_core::sc_module_name name, sim *s, const mode_options *mo,
	        std::vector<std::unique_ptr<wave_sink>> sinks);

	// After sc_start(): FAIL_NONE or the run's failure (with s->err).
	enum failure result() const { return rc_; }
	// The closing time stamps, the sinks closed: false, with err, if
	// one could not write all of its file.
	bool finish_waves(std::string &err) { return !waves_ || waves_->finish(err); }
	// After a whole run: false, with err, when a window's trace line
	// was never reached (docs/waves.md, "A window by trace lines").
	bool window_found(char *err, size_t errlen) const;

	std::vector<std::unique_ptr<cpu_mmu>> cpus;
	ipi_interconnect ipi{"ipi"};
	pt_memory memory{"memory"};

private:
	void drive();
	void refill();
	void apply(const event &e);
	void tick_clock();
	void note_record(unsigned cpu);
	sc_core::sc_time cycles(uint64_t n) const
	{
		return sc_core::sc_time::from_value(n * cycle_value_);
	}

	// os_observer callbacks (ctx = this)
	static void on_translation(void *ctx, unsigned cpu, uint64_t va, enum access_kind kind,
	                           bool user, const xlate_result *r);
	static void on_cr3(void *ctx, unsigned cpu, uint64_t cycle, uint64_t value);
	static void on_ipi_send(void *ctx, unsigned from, unsigned to, uint64_t sent);
	static void on_ipi(void *ctx, unsigned from, unsigned to, uint64_t handled, uint64_t acked);
	static void on_shootdown_begin(void *ctx, unsigned cpu, uint64_t begin);
	static void on_shootdown_end(void *ctx, unsigned cpu, uint64_t end);
	static void on_fault(void *ctx, unsigned cpu, uint64_t cycle, uint64_t va, uint32_t error,
	                     bool segv);
	static void on_context(void *ctx, unsigned cpu, uint64_t cycle, uint32_t pid,
	                       bool user_mode);
	void push(uint64_t cycle, ev type, unsigned cpu, uint64_t a = 0, uint32_t b = 0,
	          uint8_t flag = 0);

	sim *s_;
	const mode_options *mo_;
	event_queue q_;
	std::vector<uint8_t> last_level_;   // per CPU: level of its latest translation
	uint64_t cycle_value_;              // one cycle in SystemC time units
	uint64_t now_ = 0;                  // the cycle SystemC time stands at
	bool eof_ = false, done_ = false;
	enum failure rc_ = FAIL_NONE;
	std::unique_ptr<wave_writer> waves_;
	wave_window win_;
	// a window by trace lines (0: by cycles): found yet?
	uint64_t from_line_ = 0, to_line_ = 0;
	bool from_seen_ = false, to_seen_ = false;
	uint64_t first_line_ = 0, last_line_ = 0;   // of the records that ran on a CPU
	sc_core::sc_event window_opens_;            // the from-line's record has started
	bool clk_ = false;
	uint64_t end_cycle_ = 0;            // the latest CPU clock, once done
};

} // namespace mmusim_sc

#endif
