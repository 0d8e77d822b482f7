// sc/cosim.h - the RTL L1 DTLB (Verilator's SystemC output) beside the C
// arrays (--mode cosim).
#ifndef MMUSIM_SC_COSIM_H
#define MMUSIM_SC_COSIM_H

#include <cstdint>
#include <memory>
#include <vector>

extern "C" {
#include "sim/engine.h"
}

namespace mmusim_sc {

class cosim {
public:
	struct array_base;   // one RTL array module (cosim.cpp)
	explicit cosim(sim *s);
	~cosim();
	// Builds an RTL module for every CPU's L1 DTLB arrays and hooks it to
	// the C array; false (s->err set) for a geometry without a built model.
	// Call before sc_start (the modules are part of the design).
	bool attach();
	bool failed() const { return failed_; }
	uint64_t operations() const { return ops_; }
	// The first mismatch: the report, exit status 1.
	void report(const array_base &a, enum tlb_op_kind kind, uint64_t cycle, uint64_t line,
	            const char *what);

private:
	static void on_op(void *ctx, const tlb *t, const tlb_op *op);
	sim *s_;
	std::vector<std::unique_ptr<array_base>> arrays_;
	bool failed_ = false;
	uint64_t ops_ = 0;
	uint64_t inject_at_ = 0;
};

} // namespace mmusim_sc

#endif
