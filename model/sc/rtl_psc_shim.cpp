// sc/rtl_psc_shim.cpp - never compiled into mmusim: sc/rtl_cache.cpp
// compiles it at run time with Verilator's C++ output of rtl/tlb_psc.sv
// (prefix Vtlb_psc) and the parameters as MMUSIM_RTL_SETS, _WAYS,
// _KEY_SHIFT, _KEY_W, _REPL, into the shared object mmusim loads (the
// interface: sc/rtl_abi.h, struct mmusim_rtl_tlb_psc).
#include "rtl_abi.h"
#include "Vtlb_psc.h"
#include "verilated.h"

namespace {

void *create() { return new Vtlb_psc; }

void eval(void *p, mmusim_rtl_psc_io *io)
{
	Vtlb_psc *t = static_cast<Vtlb_psc *>(p);
	t->clk_i = io->clk;
	t->rst_ni = io->rst_n;
	t->lookup_valid_i = io->lookup_valid;
	t->lookup_key_i = io->lookup_key;
	t->lookup_pcid_i = io->lookup_pcid;
	t->fill_valid_i = io->fill_valid;
	t->fill_key_i = io->fill_key;
	t->fill_pcid_i = io->fill_pcid;
	t->fill_perm_i = io->fill_perm;
	t->fill_pfn_i = io->fill_pfn;
	t->inv_valid_i = io->inv_valid;
	t->inv_op_i = io->inv_op;
	t->inv_pcid_i = io->inv_pcid;
	t->inv_key_i = io->inv_key;
	t->dbg_set_i = io->dbg_set;
	t->dbg_way_i = io->dbg_way;
	t->eval();
	io->hit = t->hit_o;
	io->hit_way = t->hit_way_o;
	io->hit_pfn = t->hit_pfn_o;
	io->hit_perm = t->hit_perm_o;
	io->multi_hit = t->multi_hit_o;
	io->touch_ready = t->touch_ready_o;
	io->fill_ready = t->fill_ready_o;
	io->fill_way = t->fill_way_o;
	io->dbg_valid = t->dbg_valid_o;
	io->dbg_key = t->dbg_key_o;
	io->dbg_pcid = t->dbg_pcid_o;
	io->dbg_perm = t->dbg_perm_o;
	io->dbg_pfn = t->dbg_pfn_o;
	io->dbg_victim = t->dbg_victim_o;
}

void destroy(void *p)
{
	Vtlb_psc *t = static_cast<Vtlb_psc *>(p);
	t->final();
	delete t;
}

const mmusim_rtl_tlb_psc model = {
	MMUSIM_RTL_ABI, sizeof(mmusim_rtl_psc_io),
	MMUSIM_RTL_SETS, MMUSIM_RTL_WAYS, MMUSIM_RTL_KEY_SHIFT, MMUSIM_RTL_KEY_W, MMUSIM_RTL_REPL,
	create, eval, destroy,
};

} // namespace

extern "C" __attribute__((visibility("default"))) const mmusim_rtl_tlb_psc *mmusim_rtl_tlb_psc()
{
	return &model;
}
