/* sc/rtl_abi.h - the C interface of a Verilated RTL model built at run
 * time (sc/rtl_cache.cpp) and loaded with dlopen: rtl_shim.cpp, compiled
 * with Verilator's C++ output of rtl/tlb_array.sv into one shared object,
 * exports mmusim_rtl_tlb_array(), which describes the model and gives
 * functions to make, evaluate and free instances.  Plain C types only: the
 * object carries its own copy of Verilator's runtime, hidden, and shares
 * nothing else with mmusim.  Any change here changes MMUSIM_RTL_ABI (and,
 * as this file is part of the cache key, every model is built again). */
#ifndef MMUSIM_SC_RTL_ABI_H
#define MMUSIM_SC_RTL_ABI_H

#include <stdint.h>

#define MMUSIM_RTL_ABI 1

/* One evaluation's inputs and outputs, the ports of tlb_array by name
 * (without _i/_o; rst_n is rst_ni). */
struct mmusim_rtl_tlb_io {
	/* inputs */
	uint64_t lookup_vpn, fill_vpn, fill_pfn, inv_vpn;
	uint32_t lookup_pcid, fill_pcid, inv_pcid, dbg_set, dbg_way;
	uint8_t clk, rst_n, lookup_valid, lookup_pge, lookup_write;
	uint8_t fill_valid, fill_global, fill_perm, fill_dirty, inv_valid, inv_op;
	/* outputs, as they are after the evaluation */
	uint64_t hit_pfn, dbg_vpn, dbg_pfn;
	uint32_t hit_way, fill_way, dbg_pcid, dbg_victim;
	uint8_t hit, hit_perm, hit_dirty, needs_walk, multi_hit, touch_ready, fill_ready;
	uint8_t dbg_valid, dbg_global, dbg_perm, dbg_dirty;
};

struct mmusim_rtl_tlb_array {
	uint32_t abi;        /* MMUSIM_RTL_ABI */
	uint32_t io_size;    /* sizeof(struct mmusim_rtl_tlb_io) */
	/* the parameters it was Verilated with */
	uint32_t sets, ways, vpn_w, repl;
	void *(*create)(void);
	/* applies io's inputs, evaluates, writes io's outputs */
	void (*eval)(void *model, struct mmusim_rtl_tlb_io *io);
	void (*destroy)(void *model);
};

#define MMUSIM_RTL_ENTRY "mmusim_rtl_tlb_array"
typedef const struct mmusim_rtl_tlb_array *(*mmusim_rtl_entry)(void);

#endif
