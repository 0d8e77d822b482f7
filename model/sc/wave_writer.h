// sc/wave_writer.h - writes the machine's signals as waves, inside a
// window: one writer that knows which signals exist and when they change,
// and the back ends that put them in a file (VCD text, FST).
//
// SystemC's own sc_trace files record from the moment they are opened to
// the end of the run; a huge trace would give a huge file.  The writer is
// an SC_METHOD sensitive to every traced signal's value_changed_event: it
// ignores changes outside the window's [from, to] cycles, gives every
// value when the window opens and then only the changes, so a file grows
// with the window, not with the trace.  Every back end gets the same
// calls in the same order, so a VCD and an FST of one run hold the same
// signals, times and values.
//
// Time: the timescale is 100 ps and one cycle is 1 ns (10 units), so the
// clock, driven in the window only, can fall at half cycles.
#ifndef MMUSIM_SC_WAVE_WRITER_H
#define MMUSIM_SC_WAVE_WRITER_H

#include <cstdio>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sc/modules.h"

namespace mmusim_sc {

static const uint64_t units_per_cycle = 10;   // timescale 100 ps, 1 cycle = 1 ns

// The window in cycles, both inclusive.  A window given by trace lines is
// learnt as the records run (replay.cpp): from stays UINT64_MAX until the
// from-line's record starts, and to grows with each record up to the
// to-line; neither ever changes for a cycle already replayed.
struct wave_window {
	uint64_t from = 0, to = UINT64_MAX;
};

// A back end: declarations once, then, in time order, the window's first
// values (dump), time stamps and changes, and the closing time stamp.
class wave_sink {
public:
	virtual ~wave_sink() = default;
	virtual void header(const std::vector<trace_var> &vars) = 0;
	virtual void dump_begin(uint64_t units) = 0;   // every value follows
	virtual void dump_end() = 0;
	virtual void time(uint64_t units) = 0;
	virtual void value(size_t i, uint64_t v) = 0;
	virtual void finish(uint64_t units) = 0;       // the closing time stamp
	// After finish (or with nothing in the window): the file complete?
	// false with err when it is not.  The VCD's FILE is checked when the
	// caller commits it.
	virtual bool close(std::string &err) { (void)err; return true; }
};

// VCD text onto a FILE the caller opened (and commits).
std::unique_ptr<wave_sink> vcd_sink(FILE *out);
// FST through GTKWave's fstapi, which opens PATH itself (fst_sink.cpp;
// MMUSIM_HAVE_FST); NULL with err set if it cannot.
std::unique_ptr<wave_sink> fst_sink(const char *path, std::string &err);

class wave_writer : public sc_core::sc_module {
public:
	SC_HAS_PROCESS(wave_writer);
	wave_writer(sc_core::sc_module_name name, std::vector<trace_var> vars,
	            std::vector<std::unique_ptr<wave_sink>> sinks, const wave_window &window);
	// Writes the closing time stamp and closes the sinks: false, with
	// err, if one could not write all of its file.
	bool finish(std::string &err);

private:
	void on_change();

	std::vector<trace_var> vars_;
	std::vector<uint64_t> last_;
	std::vector<std::unique_ptr<wave_sink>> sinks_;
	const wave_window &window_;
	bool dumped_ = false;
	uint64_t last_units_ = 0;
};

} // namespace mmusim_sc

#endif
