// sc/vcd_writer.h - writes the machine's signals to a VCD, inside a window.
//
// SystemC's own sc_trace files record from the moment they are opened to
// the end of the run; a huge trace would give a huge file.  This writer is
// an SC_METHOD sensitive to every traced signal's value_changed_event: it
// ignores changes outside [from, to] cycles, dumps every value when the
// window opens ($dumpvars) and then only the changes, so the file grows
// with the window, not with the trace.
//
// Time: the timescale is 100 ps and one cycle is 1 ns (10 units), so the
// clock, driven in the window only, can fall at half cycles.
#ifndef MMUSIM_SC_VCD_WRITER_H
#define MMUSIM_SC_VCD_WRITER_H

#include <cstdio>
#include <cstdint>
#include <vector>

#include "sc/modules.h"

namespace mmusim_sc {

class vcd_writer : public sc_core::sc_module {
public:
	SC_HAS_PROCESS(vcd_writer);
	// to: last cycle written (inclusive)
	vcd_writer(sc_core::sc_module_name name, std::vector<trace_var> vars, FILE *out,
	           uint64_t from, uint64_t to);
	// Writes the closing timestamp; the caller closes the file.
	void finish();

private:
	void on_change();
	void header();
	void put_value(size_t i, uint64_t v);

	std::vector<trace_var> vars_;
	std::vector<uint64_t> last_;
	std::vector<std::string> ids_;
	FILE *out_;
	uint64_t from_, to_;
	bool dumped_ = false;
	uint64_t last_units_ = 0;
};

} // namespace mmusim_sc

#endif
