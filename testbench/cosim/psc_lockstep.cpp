// Lockstep co-simulation of rtl/tlb_psc.sv (Verilated) and the C model's
// paging-structure cache: a tlb of model/hw/tlb.c used as walker.c uses
// m->psc[level - 2] (key VA >> key shift, never global, lookups without
// PGE). A seeded constrained-random stream of lookups, fills and the five
// invalidations, one per cycle, plus a few cycles with two or three
// requests at once (the priority: invalidation > fill > a hit's touch),
// drives both; every output is compared every cycle and the full contents
// and every set's victim (the replacement state) after every operation.
// On a mismatch the run is repeated with an FST waveform up to the failing
// cycle, and the exit status is 1.
//
//   psc_lockstep --geometry pd|pdpt|pml4|pml5|pd3way --policy lru|plru --ops N --seed S [--fst FILE]
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

#include "Vpsc_pd_lru.h"
#include "Vpsc_pd_plru.h"
#include "Vpsc_pdpt_lru.h"
#include "Vpsc_pdpt_plru.h"
#include "Vpsc_pml4_lru.h"
#include "Vpsc_pml5_plru.h"
#include "Vpsc_pd3way_plru.h"

namespace {

struct Options {
	unsigned sets = 8, ways = 4, shift = 21, key_w = 36;
	bool plru = false;
	uint64_t ops = 200000, seed = 1;
	std::string fst;
};

struct Coverage {
	uint64_t hits = 0, misses = 0, fill_conflict = 0, fill_invalid = 0, fill_victim = 0;
	uint64_t inval[5] = {}, killed = 0, collisions = 0;
};

struct Mismatch {
	uint64_t cycle = 0;
	std::string what;
};

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
		tlb_init(&c_, "psc", o.sets * o.ways, o.ways, o.plru ? TLB_PLRU : TLB_LRU, 1ull << o.shift);
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

	bool run(Mismatch *m)
	{
		if (!contents(m, "after reset")) {
			m->cycle = 0;
			return false;
		}
		for (cycle_ = 0; cycle_ < o_.ops && cycle_ <= stop_at_; cycle_++) {
			unsigned roll = pick(100);
			bool ok;
			if (roll < 50)
				ok = lookup(m);
			else if (roll < 86)
				ok = fill(m);
			else if (roll < 92)
				ok = collide(m);
			else
				ok = invalidate(m);
			if (ok)
				ok = contents(m, "after the operation");
			if (!ok) {
				m->cycle = cycle_;
				return false;
			}
		}
		return true;
	}

	Coverage cov_;

private:
	unsigned pick(unsigned n) { return std::uniform_int_distribution<unsigned>(0, n - 1)(rng_); }
	// Small ranges force conflicts and evictions: ways + 2 keys per set and
	// 4 PCIDs; one in 16 is drawn from the full width instead.
	uint64_t key()
	{
		if (pick(16) == 0)
			return rng_() & ((1ull << o_.key_w) - 1);
		return pick(o_.sets * (o_.ways + 2));
	}
	uint16_t pcid() { return (uint16_t)(pick(16) == 0 ? pick(4096) : pick(4)); }

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

	struct Lookup {
		uint64_t key;
		uint16_t pcid;
	};
	struct Inval {
		enum tlb_op_kind op;  // driven as TLB_INV_CODE(op) (hw/tlb.h)
		uint64_t key, va;
		uint16_t pcid;
	};

	Lookup draw_lookup()
	{
		Lookup l{ key(), pcid() };
		if (pick(2) == 0) { // a key filled recently: mostly hits
			const tlb_entry &r = recent_[pick(16)];
			l.key = r.vpn;
			if (pick(4) != 0)
				l.pcid = r.pcid;
		}
		top_->lookup_valid_i = 1;
		top_->lookup_key_i = l.key;
		top_->lookup_pcid_i = l.pcid;
		return l;
	}
	tlb_entry draw_fill()
	{
		tlb_entry n{};
		n.vpn = key();
		n.pcid = pcid();
		n.perm = (uint8_t)pick(8);
		n.pfn = rng_() & ((1ull << 40) - 1);
		n.shift = (uint8_t)o_.shift;
		recent_[recent_next_++ % 16] = n;
		top_->fill_valid_i = 1;
		top_->fill_key_i = n.vpn;
		top_->fill_pcid_i = n.pcid;
		top_->fill_perm_i = n.perm;
		top_->fill_pfn_i = n.pfn;
		return n;
	}
	Inval draw_inval()
	{
		static const enum tlb_op_kind ops[] = {
			TLB_OP_FLUSH_PCID, TLB_OP_FLUSH_PCID, TLB_OP_INVLPG, TLB_OP_INVLPG, TLB_OP_INVLPG,
			TLB_OP_INVPCID_ADDR, TLB_OP_INVPCID_ADDR, TLB_OP_INVPCID_ADDR, TLB_OP_FLUSH_ALL,
			TLB_OP_FLUSH_NONGLOBAL
		};
		Inval i;
		i.op = ops[pick(10)];
		i.key = key();
		i.va = i.key << o_.shift | (rng_() & ((1ull << o_.shift) - 1)); // any byte under the entry
		i.pcid = pcid();
		top_->inv_valid_i = 1;
		top_->inv_op_i = TLB_INV_CODE(i.op);
		top_->inv_key_i = i.key;
		top_->inv_pcid_i = i.pcid;
		return i;
	}

	void c_inval(const Inval &i)
	{
		unsigned before = tlb_count_valid(&c_);
		switch (i.op) {
		case TLB_OP_FLUSH_PCID: tlb_flush_pcid(&c_, i.pcid); break;
		case TLB_OP_INVLPG: tlb_invlpg(&c_, i.va, i.pcid); break;
		case TLB_OP_INVPCID_ADDR: tlb_invpcid_addr(&c_, i.va, i.pcid); break;
		case TLB_OP_FLUSH_ALL: tlb_flush_all(&c_); break;
		default: tlb_flush_nonglobal(&c_); break;
		}
		cov_.inval[TLB_INV_CODE(i.op)]++;
		cov_.killed += before - tlb_count_valid(&c_);
	}
	// walker.c's lookup: the key, the PCID, no PGE, not a write
	tlb_entry *c_lookup(const Lookup &l) { return tlb_lookup(&c_, l.key, o_.shift, l.pcid, false, false); }
	// a lookup that loses its touch to a same-cycle fill or invalidation
	tlb_entry *c_lookup_untouched(const Lookup &l)
	{
		unsigned set = tlb_set_of(&c_, l.key);
		size_t n = o_.plru ? c_.tree_leaves : o_.ways;
		uint8_t saved[64];
		memcpy(saved, &c_.repl[set * n], n);
		tlb_entry *last = c_.last;
		tlb_entry *e = c_lookup(l);
		memcpy(&c_.repl[set * n], saved, n);
		c_.last = last;
		return e;
	}

	bool check_lookup(Mismatch *m, const Lookup &l, const tlb_entry *e, const char *with)
	{
		bool hit = e != nullptr;
		unsigned way = hit ? (unsigned)((e - c_.entries) % o_.ways) : 0;
		bool bad = top_->hit_o != hit || top_->multi_hit_o ||
		           (hit && (top_->hit_way_o != way || top_->hit_pfn_o != e->pfn || top_->hit_perm_o != e->perm));
		if (!bad) {
			cov_.hits += hit;
			cov_.misses += !hit;
			return true;
		}
		return fail(m, "lookup%s key=%#" PRIx64 " pcid=%u: C hit=%d way=%u pfn=%#" PRIx64
		            " perm=%u; RTL hit=%d way=%u pfn=%#" PRIx64 " perm=%u multi_hit=%d",
		            with, l.key, l.pcid, hit, way, hit ? e->pfn : 0, hit ? e->perm : 0, (int)top_->hit_o,
		            (unsigned)top_->hit_way_o, (uint64_t)top_->hit_pfn_o, (unsigned)top_->hit_perm_o,
		            (int)top_->multi_hit_o);
	}
	void classify_fill(const tlb_entry &n)
	{
		const tlb_entry *row = &c_.entries[(size_t)tlb_set_of(&c_, n.vpn) * o_.ways];
		unsigned conflicts = 0, invalid = 0;
		for (unsigned w = 0; w < o_.ways; w++) {
			invalid += !row[w].valid;
			conflicts += row[w].valid && row[w].vpn == n.vpn && row[w].pcid == n.pcid;
		}
		if (conflicts)
			cov_.fill_conflict++;
		else if (invalid)
			cov_.fill_invalid++;
		else
			cov_.fill_victim++;
	}
	bool check_fill(Mismatch *m, const tlb_entry &n, const tlb_entry *e)
	{
		unsigned way = (unsigned)((e - c_.entries) % o_.ways);
		if (top_->fill_way_o == way)
			return true;
		return fail(m, "fill key=%#" PRIx64 " pcid=%u: C writes way %u, RTL way %u", n.vpn, n.pcid, way,
		            (unsigned)top_->fill_way_o);
	}

	bool lookup(Mismatch *m)
	{
		idle();
		Lookup l = draw_lookup();
		top_->eval();
		if (!check_lookup(m, l, c_lookup(l), ""))
			return false;
		if (!top_->touch_ready_o)
			return fail(m, "lookup alone: RTL touch_ready_o = 0");
		step();
		return true;
	}
	bool fill(Mismatch *m)
	{
		idle();
		tlb_entry n = draw_fill();
		top_->eval();
		if (!top_->fill_ready_o)
			return fail(m, "fill alone: RTL fill_ready_o = 0");
		classify_fill(n);
		if (!check_fill(m, n, tlb_fill(&c_, &n)))
			return false;
		step();
		return true;
	}
	bool invalidate(Mismatch *m)
	{
		idle();
		Inval i = draw_inval();
		step();
		c_inval(i);
		return true;
	}
	bool collide(Mismatch *m)
	{
		unsigned kind = 1 + pick(4); // 1 lookup+fill, 2 lookup+inv, 3 fill+inv, 4 all three
		bool has_lookup = kind != 3, has_fill = kind != 2, has_inv = kind >= 2;
		idle();
		Lookup l{};
		tlb_entry n{};
		Inval i{};
		if (has_lookup)
			l = draw_lookup();
		if (has_fill)
			n = draw_fill();
		if (has_inv)
			i = draw_inval();
		top_->eval();
		if (top_->fill_ready_o != !has_inv || top_->touch_ready_o != 0)
			return fail(m, "collision %u: RTL fill_ready=%d touch_ready=%d, expected %d and 0", kind,
			            (int)top_->fill_ready_o, (int)top_->touch_ready_o, (int)!has_inv);
		if (has_lookup && !check_lookup(m, l, c_lookup_untouched(l), " (with a fill/invalidation)"))
			return false;
		cov_.collisions++;
		if (has_fill && !has_inv) {
			classify_fill(n);
			if (!check_fill(m, n, tlb_fill(&c_, &n)))
				return false;
		}
		step();
		if (has_inv)
			c_inval(i);
		return true;
	}

	// every entry and every set's victim through the debug port
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
				            (!e.valid || (top_->dbg_key_o == e.vpn && top_->dbg_pcid_o == e.pcid &&
				                          top_->dbg_perm_o == e.perm && top_->dbg_pfn_o == e.pfn));
				if (!same)
					return fail(m, "%s: set %u way %u: C valid=%d key=%" PRIu64 " pcid=%u; RTL valid=%d key=%" PRIu64
					            " pcid=%u", when, s, w, e.valid, e.vpn, e.pcid, (int)top_->dbg_valid_o,
					            (uint64_t)top_->dbg_key_o, (unsigned)top_->dbg_pcid_o);
			}
			if (top_->dbg_victim_o != tlb_victim(&c_, s))
				return fail(m, "%s: set %u victim: C way %u, RTL way %u", when, s, tlb_victim(&c_, s),
				            (unsigned)top_->dbg_victim_o);
		}
		return true;
	}

	Options o_;
	std::mt19937_64 rng_;
	tlb_entry recent_[16] = {};
	unsigned recent_next_ = 0;
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
		const Coverage &c = ls.cov_;
		printf("lookups: %" PRIu64 " hits, %" PRIu64 " misses\n", c.hits, c.misses);
		printf("fills: %" PRIu64 " over a conflict, %" PRIu64 " into an invalid way, %" PRIu64
		       " into the victim\n", c.fill_conflict, c.fill_invalid, c.fill_victim);
		printf("invalidations: %" PRIu64 " flush_pcid, %" PRIu64 " invlpg, %" PRIu64 " invpcid_addr, %" PRIu64
		       " flush_all, %" PRIu64 " flush_nonglobal; %" PRIu64 " entries removed; %" PRIu64
		       " multi-request cycles\n", c.inval[0], c.inval[1], c.inval[2], c.inval[3], c.inval[4], c.killed,
		       c.collisions);
	}
	if (ok) {
		printf("%" PRIu64 " operations, 0 mismatches\n1 passed, 0 failed\n", o.ops);
		return 0;
	}
	printf("MISMATCH at cycle %" PRIu64 ": %s\n", m.cycle, m.what.c_str());
	std::string path = o.fst.empty() ? "psc-mismatch-seed" + std::to_string(o.seed) + ".fst" : o.fst;
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
	fprintf(stderr, "usage: psc_lockstep [--geometry pd|pdpt|pml4|pml5|pd3way] [--policy lru|plru] "
	                "[--ops N] [--seed S] [--fst FILE]\n");
	return 64;
}

} // namespace

int main(int argc, char **argv)
{
	Options o;
	std::string geometry = "pd", policy = "lru";
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
	if (policy != "lru" && policy != "plru")
		return usage();
	// name, sets, ways, key shift (key width: 57 - shift, tlb_psc's default);
	// must match testbench/cosim/CMakeLists.txt's MMUSIM_PSC_MODELS
	static const struct { const char *name; unsigned sets, ways, shift; } geometries[] = {
		{ "pd", 8, 4, 21 }, { "pdpt", 1, 4, 30 }, { "pml4", 1, 2, 39 }, { "pml5", 1, 2, 48 },
		{ "pd3way", 4, 3, 21 },
	};
	bool known = false;
	for (const auto &g : geometries) {
		if (geometry == g.name) {
			o.sets = g.sets;
			o.ways = g.ways;
			o.shift = g.shift;
			o.key_w = 57 - g.shift;
			known = true;
		}
	}
	if (!known)
		return usage();
	printf("psc_lockstep: geometry %s (%u sets x %u ways, key shift %u) policy %s seed %" PRIu64
	       " ops %" PRIu64 "\n", geometry.c_str(), o.sets, o.ways, o.shift, policy.c_str(), o.seed, o.ops);
	std::string key = geometry + "_" + policy;
	if (key == "pd_lru") return run_with<Vpsc_pd_lru>(o);
	if (key == "pd_plru") return run_with<Vpsc_pd_plru>(o);
	if (key == "pdpt_lru") return run_with<Vpsc_pdpt_lru>(o);
	if (key == "pdpt_plru") return run_with<Vpsc_pdpt_plru>(o);
	if (key == "pml4_lru") return run_with<Vpsc_pml4_lru>(o);
	if (key == "pml5_plru") return run_with<Vpsc_pml5_plru>(o);
	if (key == "pd3way_plru") return run_with<Vpsc_pd3way_plru>(o);
	fprintf(stderr, "psc_lockstep: no Verilated model for %s\n", key.c_str());
	return 64;
}
