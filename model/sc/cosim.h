// sc/cosim.h - the Verilated RTL L1 DTLB beside the C arrays (--mode cosim).
#ifndef MMUSIM_SC_COSIM_H
#define MMUSIM_SC_COSIM_H

#include <cstdint>
#include <memory>
#include <vector>

extern "C" {
#include "sim/engine.h"
}

class VerilatedContext;

namespace mmusim_sc {

class cosim {
public:
	explicit cosim(sim *s);
	~cosim();
	// Hooks a Verilated twin to every CPU's L1 DTLB arrays; false (s->err
	// set) for a geometry without a built RTL model.
	bool attach();
	bool failed() const { return failed_; }
	uint64_t operations() const { return ops_; }

private:
	struct shadow;
	static void on_op(void *ctx, const tlb *t, const tlb_op *op);
	tlb *array_of(unsigned cpu, const char *name);
	sim *s_;
	std::unique_ptr<VerilatedContext> ctx_;
	std::vector<std::unique_ptr<shadow>> shadows_;
	bool failed_ = false;
	uint64_t ops_ = 0;
	uint64_t inject_at_ = 0;
};

} // namespace mmusim_sc

#endif
