// sc/rtl_shim.cpp - never compiled into mmusim: sc/rtl_cache.cpp compiles
// it at run time with Verilator's C++ output of rtl/tlb_array.sv (prefix
// Vtlb_array) and the parameters as MMUSIM_RTL_SETS, _WAYS, _VPN_W, _REPL,
// into the shared object mmusim loads (the interface: sc/rtl_abi.h).
#include "rtl_abi.h"
#include "Vtlb_array.h"
#include "verilated.h"

namespace {

void *create() { return new Vtlb_array; }

void eval(void *p, mmusim_rtl_tlb_io *io)
{
	Vtlb_array *t = static_cast<Vtlb_array *>(p);
	t->clk_i = io->clk;
	t->rst_ni = io->rst_n;
	t->lookup_valid_i = io->lookup_valid;
	t->lookup_vpn_i = io->lookup_vpn;
	t->lookup_pcid_i = io->lookup_pcid;
	t->lookup_pge_i = io->lookup_pge;
	t->lookup_write_i = io->lookup_write;
	t->fill_valid_i = io->fill_valid;
	t->fill_vpn_i = io->fill_vpn;
	t->fill_pcid_i = io->fill_pcid;
	t->fill_global_i = io->fill_global;
	t->fill_perm_i = io->fill_perm;
	t->fill_dirty_i = io->fill_dirty;
	t->fill_pfn_i = io->fill_pfn;
	t->inv_valid_i = io->inv_valid;
	t->inv_op_i = io->inv_op;
	t->inv_pcid_i = io->inv_pcid;
	t->inv_vpn_i = io->inv_vpn;
	t->dbg_set_i = io->dbg_set;
	t->dbg_way_i = io->dbg_way;
	t->eval();
	io->hit = t->hit_o;
	io->hit_way = t->hit_way_o;
	io->hit_pfn = t->hit_pfn_o;
	io->hit_perm = t->hit_perm_o;
	io->hit_dirty = t->hit_dirty_o;
	io->needs_walk = t->needs_walk_o;
	io->multi_hit = t->multi_hit_o;
	io->touch_ready = t->touch_ready_o;
	io->fill_ready = t->fill_ready_o;
	io->fill_way = t->fill_way_o;
	io->dbg_valid = t->dbg_valid_o;
	io->dbg_vpn = t->dbg_vpn_o;
	io->dbg_pcid = t->dbg_pcid_o;
	io->dbg_global = t->dbg_global_o;
	io->dbg_perm = t->dbg_perm_o;
	io->dbg_dirty = t->dbg_dirty_o;
	io->dbg_pfn = t->dbg_pfn_o;
	io->dbg_victim = t->dbg_victim_o;
}

void destroy(void *p)
{
	Vtlb_array *t = static_cast<Vtlb_array *>(p);
	t->final();
	delete t;
}

const mmusim_rtl_tlb_array model = {
	MMUSIM_RTL_ABI, sizeof(mmusim_rtl_tlb_io),
	MMUSIM_RTL_SETS, MMUSIM_RTL_WAYS, MMUSIM_RTL_VPN_W, MMUSIM_RTL_REPL,
	create, eval, destroy,
};

} // namespace

extern "C" __attribute__((visibility("default"))) const mmusim_rtl_tlb_array *mmusim_rtl_tlb_array()
{
	return &model;
}
