// sc/cosim.h - the RTL L1 DTLB and ITLB and the PSCs (Verilated models of
// rtl/tlb_array.sv and rtl/tlb_psc.sv,
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
	// The compared structures (cosim.compared.l1d, .l1i, .psc).
	enum { l1d, l1i, psc, structures };
	explicit cosim(sim *s);
	~cosim();
	// Makes an RTL model for every CPU's L1 DTLB and ITLB arrays and PSCs (from the model
	// cache, built there first if need be) and hooks it to the C array;
	// false (s->err and s->failure set) when it cannot.  Call before the run.
	bool attach();
	bool failed() const { return failed_; }
	// Operations run on the RTL arrays of a structure (l1d, l1i, psc) and
	// their answers compared.
	uint64_t compared(unsigned which) const { return compared_[which]; }
	// The first mismatch: the report, exit status 1.
	void report(const array_base &a, enum tlb_op_kind kind, uint64_t cycle, uint64_t line,
	            const char *what);

private:
	static void on_op(void *ctx, const tlb *t, const tlb_op *op);
	static void on_psc_op(void *ctx, const tlb *t, const tlb_op *op);
	void finish_op(array_base &a, const tlb_op *op, uint64_t rtl_vpn, char *buf, size_t len,
	               const char *c_side);
	sim *s_;
	std::vector<std::unique_ptr<array_base>> arrays_;
	bool failed_ = false;
	bool parse_inject();
	bool injects(const array_base &a) const;
	uint64_t ops_ = 0, compared_[structures] = {};
	uint64_t inject_at_ = 0;
	unsigned inject_into_ = l1d;
};

} // namespace mmusim_sc

#endif
