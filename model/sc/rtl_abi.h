/* sc/rtl_abi.h - the C interface of a Verilated RTL model built at run
 * time (sc/rtl_cache.cpp) and loaded with dlopen: a shim compiled with
 * Verilator's C++ output into one shared object exports one entry point,
 * which describes the model and gives functions to make, evaluate and
 * free instances: rtl_shim.cpp with rtl/tlb_array.sv exports
 * mmusim_rtl_tlb_array(), rtl_psc_shim.cpp with rtl/tlb_psc.sv
 * mmusim_rtl_tlb_psc().  Plain C types only: the object carries its own
 * copy of Verilator's runtime, hidden, and shares nothing else with
 * mmusim.  Any change here changes MMUSIM_RTL_ABI (and, as this file is
 * part of the cache key, every model is built again). */
#ifndef MMUSIM_SC_RTL_ABI_H
#define MMUSIM_SC_RTL_ABI_H

#include <stdint.h>

#define MMUSIM_RTL_ABI 2

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

/* The same for tlb_psc, one paging-structure cache level. */
struct mmusim_rtl_psc_io {
	/* inputs */
	uint64_t lookup_key, fill_key, fill_pfn, inv_key;
	uint32_t lookup_pcid, fill_pcid, inv_pcid, dbg_set, dbg_way;
	uint8_t clk, rst_n, lookup_valid, fill_valid, fill_perm, inv_valid, inv_op;
	/* outputs, as they are after the evaluation */
	uint64_t hit_pfn, dbg_key, dbg_pfn;
	uint32_t hit_way, fill_way, dbg_pcid, dbg_victim;
	uint8_t hit, hit_perm, multi_hit, touch_ready, fill_ready, dbg_valid, dbg_perm;
};

struct mmusim_rtl_tlb_psc {
	uint32_t abi;        /* MMUSIM_RTL_ABI */
	uint32_t io_size;    /* sizeof(struct mmusim_rtl_psc_io) */
	/* the parameters it was Verilated with */
	uint32_t sets, ways, key_shift, key_w, repl;
	void *(*create)(void);
	void (*eval)(void *model, struct mmusim_rtl_psc_io *io);
	void (*destroy)(void *model);
};

#define MMUSIM_RTL_PSC_ENTRY "mmusim_rtl_tlb_psc"
typedef const struct mmusim_rtl_tlb_psc *(*mmusim_rtl_psc_entry)(void);

#endif
