// Lockstep co-simulation of rtl/tlb_array.sv (Verilated) and the C
// model's TLB array (model/hw/tlb.c): a seeded constrained-random stream of
// operations, one per cycle, drives both; every output is compared every
// cycle, and the full contents and each set's victim after every
// invalidation (and every 64 operations). On a mismatch the run is
// repeated with an FST waveform up to the failing cycle, and the exit
// status is 1.
//
//   tlb_lockstep --geometry 16x4 --policy lru --ops N --seed S [--fst FILE]
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>

#include "verilated.h"
#include "verilated_fst_c.h"

extern "C" {
#include "hw/tlb.h"
}

#include "Vtlb_16x4_lru.h"
#include "Vtlb_16x4_plru.h"
#include "Vtlb_8x4_lru.h"
#include "Vtlb_1x4_lru.h"
#include "Vtlb_1x4_plru.h"
#include "Vtlb_4x12_plru.h"

namespace {

// Invalidation encodings of tlb_array.sv
enum { INV_FLUSH_PCID = 0, INV_INVLPG = 1, INV_INVPCID_ADDR = 2, INV_FLUSH_ALL = 3,
       INV_FLUSH_NONGLOBAL = 4 };

struct Options {
	unsigned sets = 16, ways = 4;
	bool plru = false;
	uint64_t ops = 200000, seed = 1;
	std::string fst;
};

struct Mismatch {
	uint64_t cycle = 0;
	std::string what;
};

const char *inv_name(int op)
{
	static const char *n[] = { "flush_pcid", "invlpg", "invpcid_addr", "flush_all", "flush_nonglobal" };
	return n[op];
}

template <class Top> class Lockstep {
public:
	Lockstep(const Options &o, const char *fst_path, uint64_t stop_at)
	    : o_(o), rng_(o.seed), stop_at_(stop_at)
	{
		ctx_.reset(new VerilatedContext);
		if (fst_path)
			ctx_->traceEverOn(true);
		top_.reset(new Top(ctx_.get()));
		if (fst_path) {
			fst_.reset(new VerilatedFstC);
			top_->trace(fst_.get(), 99);
			fst_->open(fst_path);
		}
		tlb_init(&c_, "cosim", o.sets * o.ways, o.ways, o.plru ? TLB_PLRU : TLB_LRU, 1ull << 12);
		idle();
		top_->clk_i = 0;
		top_->rst_ni = 0;
		step();
		top_->rst_ni = 1;
		step();
	}
	~Lockstep()
	{
		if (fst_)
			fst_->close();
		tlb_free(&c_);
	}

	// Runs until ops are done, a mismatch, or stop_at; returns true if clean.
	bool run(Mismatch *m)
	{
		for (cycle_ = 0; cycle_ < o_.ops && cycle_ <= stop_at_; cycle_++) {
			unsigned roll = pick(100);
			bool ok;
			if (roll < 50)
				ok = lookup(m);
			else if (roll < 78)
				ok = fill(m);
			else
				ok = invalidate(m);
			if (ok && (cycle_ % 64 == 0))
				ok = contents(m, "periodic check");
			if (!ok) {
				m->cycle = cycle_;
				return false;
			}
		}
		return true;
	}

private:
	unsigned pick(unsigned n) { return std::uniform_int_distribution<unsigned>(0, n - 1)(rng_); }
	// small ranges force conflicts: 4 VPNs per set, 4 PCIDs
	uint64_t vpn() { return pick(4 * o_.sets); }
	uint16_t pcid() { return (uint16_t)pick(4); }

	void idle()
	{
		top_->lookup_valid_i = 0;
		top_->fill_valid_i = 0;
		top_->inv_valid_i = 0;
	}
	void step()
	{
		top_->eval();
		if (fst_)
			fst_->dump(ctx_->time());
		ctx_->timeInc(1);
		top_->clk_i = 1;
		top_->eval();
		if (fst_)
			fst_->dump(ctx_->time());
		ctx_->timeInc(1);
		top_->clk_i = 0;
		top_->eval();
	}
	bool fail(Mismatch *m, const char *fmt, ...) __attribute__((format(printf, 3, 4)))
	{
		char buf[512];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(buf, sizeof buf, fmt, ap);
		va_end(ap);
		m->what = buf;
		return false;
	}

	bool lookup(Mismatch *m)
	{
		uint64_t v = vpn();
		uint16_t p = pcid();
		bool pge = pick(4) != 0, write = pick(3) == 0;
		idle();
		top_->lookup_valid_i = 1;
		top_->lookup_vpn_i = v;
		top_->lookup_pcid_i = p;
		top_->lookup_pge_i = pge;
		top_->lookup_write_i = write;
		top_->eval();
		tlb_entry *e = tlb_lookup(&c_, v, 12, p, pge, write);
		bool hit = e != nullptr;
		unsigned way = hit ? (unsigned)((e - c_.entries) % o_.ways) : 0;
		bool rtl_hit = top_->hit_o;
		bool bad = rtl_hit != hit || top_->multi_hit_o ||
		           (hit && (top_->hit_way_o != way || top_->hit_pfn_o != e->pfn ||
		                    top_->hit_perm_o != e->perm || top_->hit_dirty_o != e->dirty ||
		                    top_->needs_walk_o != (write && !e->dirty)));
		if (bad)
			return fail(m, "lookup vpn=%" PRIu64 " pcid=%u pge=%d write=%d: C hit=%d way=%u pfn=%" PRIu64
			            " perm=%u dirty=%d; RTL hit=%d way=%u pfn=%" PRIu64 " perm=%u dirty=%d needs_walk=%d multi=%d",
			            v, p, pge, write, hit, way, hit ? e->pfn : 0, hit ? e->perm : 0, hit ? e->dirty : 0,
			            rtl_hit, (unsigned)top_->hit_way_o, (uint64_t)top_->hit_pfn_o,
			            (unsigned)top_->hit_perm_o, (int)top_->hit_dirty_o, (int)top_->needs_walk_o,
			            (int)top_->multi_hit_o);
		step();
		return true;
	}

	bool fill(Mismatch *m)
	{
		tlb_entry n{};
		n.vpn = vpn();
		n.pcid = pcid();
		n.global = pick(5) == 0;
		n.perm = (uint8_t)pick(8);
		n.dirty = (uint8_t)pick(2);
		n.pfn = ((uint64_t)rng_() << 8 ^ rng_()) & ((1ull << 40) - 1);
		n.shift = 12;
		idle();
		top_->fill_valid_i = 1;
		top_->fill_vpn_i = n.vpn;
		top_->fill_pcid_i = n.pcid;
		top_->fill_global_i = n.global;
		top_->fill_perm_i = n.perm;
		top_->fill_dirty_i = n.dirty;
		top_->fill_pfn_i = n.pfn;
		top_->eval();
		unsigned rtl_way = top_->fill_way_o;
		tlb_entry *e = tlb_fill(&c_, &n);
		unsigned way = (unsigned)((e - c_.entries) % o_.ways);
		if (rtl_way != way)
			return fail(m, "fill vpn=%" PRIu64 " pcid=%u g=%d: C writes way %u, RTL way %u", n.vpn, n.pcid,
			            n.global, way, rtl_way);
		step();
		return true;
	}

	bool invalidate(Mismatch *m)
	{
		int op = (int)pick(5);
		uint64_t v = vpn();
		uint16_t p = pcid();
		idle();
		top_->inv_valid_i = 1;
		top_->inv_op_i = op;
		top_->inv_vpn_i = v;
		top_->inv_pcid_i = p;
		switch (op) {
		case INV_FLUSH_PCID: tlb_flush_pcid(&c_, p); break;
		case INV_INVLPG: tlb_invlpg(&c_, v << 12, p); break;
		case INV_INVPCID_ADDR: tlb_invpcid_addr(&c_, v << 12, p); break;
		case INV_FLUSH_ALL: tlb_flush_all(&c_); break;
		default: tlb_flush_nonglobal(&c_); break;
		}
		step();
		idle();
		char what[96];
		snprintf(what, sizeof what, "after %s vpn=%" PRIu64 " pcid=%u", inv_name(op), v, p);
		return contents(m, what);
	}

	bool contents(Mismatch *m, const char *when)
	{
		idle();
		for (unsigned s = 0; s < o_.sets; s++) {
			for (unsigned w = 0; w < o_.ways; w++) {
				top_->dbg_set_i = s;
				top_->dbg_way_i = w;
				top_->eval();
				const tlb_entry &e = c_.entries[s * o_.ways + w];
				bool same = top_->dbg_valid_o == e.valid &&
				            (!e.valid || (top_->dbg_vpn_o == e.vpn && top_->dbg_pcid_o == e.pcid &&
				                          top_->dbg_global_o == e.global && top_->dbg_perm_o == e.perm &&
				                          top_->dbg_dirty_o == e.dirty && top_->dbg_pfn_o == e.pfn));
				if (!same)
					return fail(m, "%s: set %u way %u: C valid=%d vpn=%" PRIu64 " pcid=%u g=%d; RTL valid=%d vpn=%" PRIu64
					            " pcid=%u g=%d", when, s, w, e.valid, e.vpn, e.pcid, e.global,
					            (int)top_->dbg_valid_o, (uint64_t)top_->dbg_vpn_o,
					            (unsigned)top_->dbg_pcid_o, (int)top_->dbg_global_o);
			}
			if (top_->dbg_victim_o != tlb_victim(&c_, s))
				return fail(m, "%s: set %u victim: C way %u, RTL way %u", when, s, tlb_victim(&c_, s),
				            (unsigned)top_->dbg_victim_o);
		}
		return true;
	}

	Options o_;
	std::mt19937_64 rng_;
	uint64_t stop_at_;
	uint64_t cycle_ = 0;
	std::unique_ptr<VerilatedContext> ctx_;
	std::unique_ptr<Top> top_;
	std::unique_ptr<VerilatedFstC> fst_;
	tlb c_;
};

template <class Top> int run_with(const Options &o)
{
	Mismatch m;
	bool ok;
	{
		Lockstep<Top> ls(o, o.fst.empty() ? nullptr : o.fst.c_str(), UINT64_MAX);
		ok = ls.run(&m);
	}
	if (ok) {
		printf("%" PRIu64 " operations, 0 mismatches\n1 passed, 0 failed\n", o.ops);
		return 0;
	}
	printf("MISMATCH at cycle %" PRIu64 ": %s\n", m.cycle, m.what.c_str());
	std::string path = o.fst.empty() ? "cosim-mismatch-seed" + std::to_string(o.seed) + ".fst" : o.fst;
	{
		Mismatch again;
		Lockstep<Top> replay(o, path.c_str(), m.cycle);
		replay.run(&again);
	}
	printf("waveform up to the mismatch: %s\n0 passed, 1 failed\n", path.c_str());
	return 1;
}

int usage()
{
	fprintf(stderr, "usage: tlb_lockstep [--geometry 16x4|8x4|1x4|4x12] [--policy lru|plru] "
	                "[--ops N] [--seed S] [--fst FILE]\n");
	return 64;
}

} // namespace

int main(int argc, char **argv)
{
	Options o;
	std::string geometry = "16x4", policy = "lru";
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		if (i + 1 >= argc)
			return usage();
		std::string v = argv[++i];
		if (a == "--geometry")
			geometry = v;
		else if (a == "--policy")
			policy = v;
		else if (a == "--ops")
			o.ops = strtoull(v.c_str(), nullptr, 0);
		else if (a == "--seed")
			o.seed = strtoull(v.c_str(), nullptr, 0);
		else if (a == "--fst")
			o.fst = v;
		else
			return usage();
	}
	o.plru = policy == "plru";
	if (sscanf(geometry.c_str(), "%ux%u", &o.sets, &o.ways) != 2)
		return usage();
	printf("tlb_lockstep: geometry %s policy %s seed %" PRIu64 " ops %" PRIu64 "\n", geometry.c_str(),
	       policy.c_str(), o.seed, o.ops);
	std::string key = geometry + "_" + policy;
	if (key == "16x4_lru") return run_with<Vtlb_16x4_lru>(o);
	if (key == "16x4_plru") return run_with<Vtlb_16x4_plru>(o);
	if (key == "8x4_lru") return run_with<Vtlb_8x4_lru>(o);
	if (key == "1x4_lru") return run_with<Vtlb_1x4_lru>(o);
	if (key == "1x4_plru") return run_with<Vtlb_1x4_plru>(o);
	if (key == "4x12_plru") return run_with<Vtlb_4x12_plru>(o);
	fprintf(stderr, "tlb_lockstep: no Verilated model for %s\n", key.c_str());
	return 64;
}
