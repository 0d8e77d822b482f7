// sc/cosim.h - the RTL L1 DTLB (Verilated models of rtl/tlb_array.sv,
// sc/rtl_cache.h) beside the C arrays (--mode cosim).
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
	struct array_base;   // one RTL array (cosim.cpp)
	explicit cosim(sim *s);
	~cosim();
	// Makes an RTL model for every CPU's L1 DTLB arrays (from the model
	// cache, built there first if need be) and hooks it to the C array;
	// false (s->err and s->failure set) when it cannot.  Call before the run.
	bool attach();
	bool failed() const { return failed_; }
	// Operations run on the RTL arrays and their answers compared.
	uint64_t compared() const { return compared_; }
	// The first mismatch: the report, exit status 1.
	void report(const array_base &a, enum tlb_op_kind kind, uint64_t cycle, uint64_t line,
	            const char *what);

private:
	static void on_op(void *ctx, const tlb *t, const tlb_op *op);
	sim *s_;
	std::vector<std::unique_ptr<array_base>> arrays_;
	bool failed_ = false;
	uint64_t ops_ = 0, compared_ = 0;
	uint64_t inject_at_ = 0;
};

} // namespace mmusim_sc

#endif
