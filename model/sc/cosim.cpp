// sc/cosim.cpp - mmusim --mode cosim: the L1 DTLB arrays of every CPU also
// run in the RTL (rtl/tlb_array.sv, Verilator's SystemC output), as modules
// of the SystemC design.  Every operation the C array performs (lookup,
// fill, each invalidation) is queued with the C model's answers through the
// array's tlb_op_hook; a thread per array applies it to the RTL module
// through its ports, one clock cycle per operation (delta cycles at the
// current simulated time), and compares every answer (hit, way, PFN,
// rights, D, needs-walk, the way a fill writes).  The first mismatch stops
// the run with a report and exit status 1.  Timing and statistics still
// come from the C engine, so they equal fast mode's.
#include "sc/cosim.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <systemc>

#include "Vl1d4k_lru.h"
#include "Vl1d4k_plru.h"
#include "Vl1d2m_lru.h"
#include "Vl1d2m_plru.h"
#include "Vl1d1g_lru.h"
#include "Vl1d1g_plru.h"

namespace mmusim_sc {

namespace {

using sc_core::sc_signal;

const char *op_name(enum tlb_op_kind k)
{
	switch (k) {
	case TLB_OP_LOOKUP: return "lookup";
	case TLB_OP_FILL: return "fill";
	case TLB_OP_FLUSH_PCID: return "flush of one PCID";
	case TLB_OP_INVLPG: return "INVLPG";
	case TLB_OP_INVPCID_ADDR: return "INVPCID 0";
	case TLB_OP_FLUSH_ALL: return "flush of everything";
	default: return "flush of non-global entries";
	}
}

// One operation with the C model's answers, as the hook saw it.
struct pending {
	enum tlb_op_kind kind;
	uint64_t vpn;             // lookup, fill, page invalidations (RTL width)
	uint16_t pcid;
	bool pge, write, global, dirty;
	uint8_t perm;
	uint64_t pfn;
	int way;                  // lookup: -1 miss; fill: the way written
	uint64_t cycle, line;     // for the report
};

// The data type carried by a Verilated port (bool, uint32_t or uint64_t by width).
template <class Port> using port_t = typename std::decay_t<Port>::data_type;

} // namespace

struct cosim::array_base : sc_core::sc_module {
	explicit array_base(sc_core::sc_module_name n) : sc_module(n) {}
	virtual void push(const pending &p) = 0;
	cosim *owner = nullptr;
	unsigned cpu = 0;
	const char *array = "";
	unsigned shift = 12;
	uint64_t mask = 0;
};

namespace {

template <class Top> struct rtl_module : cosim::array_base {
	Top top;
#define PORT_SIGNAL(p) sc_signal<port_t<decltype(std::declval<Top &>().p)>> p
	PORT_SIGNAL(clk_i); PORT_SIGNAL(rst_ni);
	PORT_SIGNAL(lookup_valid_i); PORT_SIGNAL(lookup_vpn_i); PORT_SIGNAL(lookup_pcid_i);
	PORT_SIGNAL(lookup_pge_i); PORT_SIGNAL(lookup_write_i);
	PORT_SIGNAL(hit_o); PORT_SIGNAL(hit_way_o); PORT_SIGNAL(hit_pfn_o); PORT_SIGNAL(hit_perm_o);
	PORT_SIGNAL(hit_dirty_o); PORT_SIGNAL(needs_walk_o); PORT_SIGNAL(multi_hit_o);
	PORT_SIGNAL(touch_ready_o);
	PORT_SIGNAL(fill_valid_i); PORT_SIGNAL(fill_vpn_i); PORT_SIGNAL(fill_pcid_i);
	PORT_SIGNAL(fill_global_i); PORT_SIGNAL(fill_perm_i); PORT_SIGNAL(fill_dirty_i);
	PORT_SIGNAL(fill_pfn_i); PORT_SIGNAL(fill_ready_o); PORT_SIGNAL(fill_way_o);
	PORT_SIGNAL(inv_valid_i); PORT_SIGNAL(inv_op_i); PORT_SIGNAL(inv_pcid_i); PORT_SIGNAL(inv_vpn_i);
	PORT_SIGNAL(dbg_set_i); PORT_SIGNAL(dbg_way_i); PORT_SIGNAL(dbg_valid_o); PORT_SIGNAL(dbg_vpn_o);
	PORT_SIGNAL(dbg_pcid_o); PORT_SIGNAL(dbg_global_o); PORT_SIGNAL(dbg_perm_o);
	PORT_SIGNAL(dbg_dirty_o); PORT_SIGNAL(dbg_pfn_o); PORT_SIGNAL(dbg_victim_o);
#undef PORT_SIGNAL

	std::deque<pending> q;
	sc_core::sc_event work;

	SC_HAS_PROCESS(rtl_module);
	explicit rtl_module(sc_core::sc_module_name n) : array_base(n), top("rtl")
	{
#define BIND(p) top.p(p)
		BIND(clk_i); BIND(rst_ni);
		BIND(lookup_valid_i); BIND(lookup_vpn_i); BIND(lookup_pcid_i); BIND(lookup_pge_i);
		BIND(lookup_write_i); BIND(hit_o); BIND(hit_way_o); BIND(hit_pfn_o); BIND(hit_perm_o);
		BIND(hit_dirty_o); BIND(needs_walk_o); BIND(multi_hit_o); BIND(touch_ready_o);
		BIND(fill_valid_i); BIND(fill_vpn_i); BIND(fill_pcid_i); BIND(fill_global_i);
		BIND(fill_perm_i); BIND(fill_dirty_i); BIND(fill_pfn_i); BIND(fill_ready_o); BIND(fill_way_o);
		BIND(inv_valid_i); BIND(inv_op_i); BIND(inv_pcid_i); BIND(inv_vpn_i);
		BIND(dbg_set_i); BIND(dbg_way_i); BIND(dbg_valid_o); BIND(dbg_vpn_o); BIND(dbg_pcid_o);
		BIND(dbg_global_o); BIND(dbg_perm_o); BIND(dbg_dirty_o); BIND(dbg_pfn_o); BIND(dbg_victim_o);
#undef BIND
		SC_THREAD(run);
	}

	void push(const pending &p) override
	{
		q.push_back(p);
		work.notify(sc_core::SC_ZERO_TIME);
	}

	// Signal writes reach the RTL in the next delta cycle and its outputs
	// come back one later.
	void settle()
	{
		sc_core::wait(sc_core::SC_ZERO_TIME);
		sc_core::wait(sc_core::SC_ZERO_TIME);
	}
	void clock()
	{
		clk_i.write(true);
		settle();
		clk_i.write(false);
		settle();
	}

	void run()
	{
		// reset: a falling edge of rst_ni and a clock while it is low
		rst_ni.write(true);
		settle();
		rst_ni.write(false);
		settle();
		clock();
		rst_ni.write(true);
		settle();
		for (;;) {
			while (q.empty())
				sc_core::wait(work);
			pending p = q.front();
			q.pop_front();
			if (!owner->failed())
				apply(p);
		}
	}

	void apply(const pending &p)
	{
		lookup_valid_i.write(false);
		fill_valid_i.write(false);
		inv_valid_i.write(false);
		char buf[400];
		buf[0] = 0;
		switch (p.kind) {
		case TLB_OP_LOOKUP: {
			lookup_valid_i.write(true);
			lookup_vpn_i.write(p.vpn);
			lookup_pcid_i.write(p.pcid);
			lookup_pge_i.write(p.pge);
			lookup_write_i.write(p.write);
			settle();
			bool hit = p.way >= 0;
			bool same = hit_o.read() == hit && !multi_hit_o.read() &&
			            (!hit || ((int)hit_way_o.read() == p.way && hit_pfn_o.read() == p.pfn &&
			                      hit_perm_o.read() == p.perm && hit_dirty_o.read() == p.dirty &&
			                      needs_walk_o.read() == (p.write && !p.dirty)));
			if (!same)
				std::snprintf(buf, sizeof buf,
				              "lookup vpn 0x%" PRIx64 " pcid %u pge %d write %d: C hit %d way %d pfn 0x%" PRIx64
				              " perm %u dirty %d; RTL hit %d way %u pfn 0x%" PRIx64 " perm %u dirty %d multi-hit %d",
				              p.vpn, p.pcid, p.pge, p.write, hit, p.way, p.pfn, p.perm, p.dirty,
				              (int)hit_o.read(), (unsigned)hit_way_o.read(), (uint64_t)hit_pfn_o.read(),
				              (unsigned)hit_perm_o.read(), (int)hit_dirty_o.read(), (int)multi_hit_o.read());
			break;
		}
		case TLB_OP_FILL:
			fill_valid_i.write(true);
			fill_vpn_i.write(p.vpn);
			fill_pcid_i.write(p.pcid);
			fill_global_i.write(p.global);
			fill_perm_i.write(p.perm);
			fill_dirty_i.write(p.dirty);
			fill_pfn_i.write(p.pfn);
			settle();
			if ((int)fill_way_o.read() != p.way)
				std::snprintf(buf, sizeof buf, "fill vpn 0x%" PRIx64 " pcid %u global %d: C writes way %d, RTL way %u",
				              p.vpn, p.pcid, p.global, p.way, (unsigned)fill_way_o.read());
			break;
		default:
			inv_valid_i.write(true);
			inv_pcid_i.write(p.pcid);
			inv_vpn_i.write(p.vpn);
			inv_op_i.write(TLB_INV_CODE(p.kind));   // hw/tlb.h: the RTL's code
			settle();
			break;
		}
		if (buf[0])
			owner->report(*this, p.kind, p.cycle, p.line, buf);
		clock();   // the operation's state change
	}
};

} // namespace

cosim::cosim(sim *s) : s_(s)
{
	// Test only: MMUSIM_COSIM_INJECT=N gives the RTL a wrong PFN in the
	// first fill at or after operation N, to prove mismatches are caught.
	const char *inject = std::getenv("MMUSIM_COSIM_INJECT");
	inject_at_ = inject ? std::strtoull(inject, nullptr, 10) : 0;
}

cosim::~cosim()
{
	for (unsigned cpu = 0; cpu < s_->ncpus; cpu++)
		for (int i = 0; i < 3; i++)
			mmu_shadow_l1d(sim_cpu_mmu(s_, cpu), (unsigned)i, nullptr, nullptr);
}

// The Verilated L1 DTLB arrays, 4K, 2M and 1G, of the geometry
// model/sc/CMakeLists.txt builds them with (its list is the one statement
// of it): only a configuration of that geometry can be co-simulated.
namespace {
struct built_array {
	enum cfg_key entries, ways;
	unsigned sets, nways, vpn_bits, shift;
};
const built_array built[3] = {
	{ K_L1D4K_ENTRIES, K_L1D4K_WAYS, MMUSIM_COSIM_L1D4K_SETS, MMUSIM_COSIM_L1D4K_WAYS,
	  MMUSIM_COSIM_L1D4K_VPN_W, 12 },
	{ K_L1D2M_ENTRIES, K_L1D2M_WAYS, MMUSIM_COSIM_L1D2M_SETS, MMUSIM_COSIM_L1D2M_WAYS,
	  MMUSIM_COSIM_L1D2M_VPN_W, 21 },
	{ K_L1D1G_ENTRIES, K_L1D1G_WAYS, MMUSIM_COSIM_L1D1G_SETS, MMUSIM_COSIM_L1D1G_WAYS,
	  MMUSIM_COSIM_L1D1G_VPN_W, 30 },
};
} // namespace

bool cosim::attach()
{
	const config &c = s_->cfg;
	bool fits = true;
	for (const built_array &b : built)
		fits = fits && c.v[b.entries] == (uint64_t)b.sets * b.nways && c.v[b.ways] == b.nways;
	if (!fits) {
		int n = std::snprintf(s_->err, sizeof s_->err,
		                      "--mode cosim has Verilated L1 DTLBs of the default geometry only (");
		for (unsigned i = 0; i < 3 && n > 0 && (size_t)n < sizeof s_->err; i++)
			n += std::snprintf(s_->err + n, sizeof s_->err - (size_t)n, "%s%s=%u %s=%u", i ? ", " : "",
			                   config_key_name(built[i].entries), built[i].sets * built[i].nways,
			                   config_key_name(built[i].ways), built[i].nways);
		if (n > 0 && (size_t)n < sizeof s_->err)
			std::snprintf(s_->err + n, sizeof s_->err - (size_t)n, ")");
		return false;
	}
	bool plru = c.v[K_REPLACEMENT] != 0;
	static const char *const sizes[3] = { "4k", "2m", "1g" };
	for (unsigned cpu = 0; cpu < s_->ncpus; cpu++) {
		mmu *m = sim_cpu_mmu(s_, cpu);
		for (int i = 0; i < 3; i++) {
			char name[32];
			std::snprintf(name, sizeof name, "cpu%u_l1d_%s", cpu, sizes[i]);
			array_base *a;
			if (i == 0)
				a = plru ? (array_base *)new rtl_module<Vl1d4k_plru>(name) : new rtl_module<Vl1d4k_lru>(name);
			else if (i == 1)
				a = plru ? (array_base *)new rtl_module<Vl1d2m_plru>(name) : new rtl_module<Vl1d2m_lru>(name);
			else
				a = plru ? (array_base *)new rtl_module<Vl1d1g_plru>(name) : new rtl_module<Vl1d1g_lru>(name);
			a->owner = this;
			a->cpu = cpu;
			a->array = mmu_shadow_l1d(m, (unsigned)i, &cosim::on_op, a)->name;
			a->shift = built[i].shift;
			a->mask = (1ull << built[i].vpn_bits) - 1;   // canonical 57-bit addresses
			arrays_.emplace_back(a);
		}
	}
	return true;
}

void cosim::on_op(void *ctx, const tlb *t, const tlb_op *op)
{
	array_base *a = static_cast<array_base *>(ctx);
	cosim *self = a->owner;
	if (self->failed_)
		return;
	self->ops_++;
	sim *s = self->s_;
	pending p{};
	p.kind = op->kind;
	p.pcid = op->pcid;
	p.way = op->way;
	p.cycle = sim_cpu_clock(s, a->cpu);
	p.line = s->rec.line;
	switch (op->kind) {
	case TLB_OP_LOOKUP:
		p.vpn = op->vpn & a->mask;
		p.pge = op->pge;
		p.write = op->write;
		if (op->way >= 0) {
			const tlb_entry &e = t->entries[(size_t)op->set * t->ways + (unsigned)op->way];
			p.pfn = e.pfn;
			p.perm = e.perm;
			p.dirty = e.dirty;
		}
		break;
	case TLB_OP_FILL:
		p.vpn = op->fill->vpn & a->mask;
		p.pcid = op->fill->pcid;
		p.global = op->fill->global;
		p.perm = op->fill->perm;
		p.dirty = op->fill->dirty;
		p.pfn = op->fill->pfn;
		if (self->inject_at_ && self->ops_ >= self->inject_at_) {
			self->inject_at_ = 0;   // test only: the RTL gets one PFN bit wrong
			p.pfn ^= 1;
		}
		break;
	default:
		p.vpn = (op->va >> a->shift) & a->mask;
		break;
	}
	a->push(p);
}

void cosim::report(const array_base &a, enum tlb_op_kind kind, uint64_t cycle, uint64_t line,
                   const char *what)
{
	if (failed_)
		return;
	failed_ = true;
	std::snprintf(s_->err, sizeof s_->err,
	              "co-simulation mismatch at cycle %llu (trace line %llu), CPU %u, %s, %s: %s",
	              (unsigned long long)cycle, (unsigned long long)line, a.cpu, a.array, op_name(kind), what);
	s_->failure = FAIL_CHECK;
}

} // namespace mmusim_sc
