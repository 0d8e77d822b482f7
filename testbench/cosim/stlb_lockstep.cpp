// Lockstep co-simulation of rtl/tlb_stlb.sv (Verilated) and the C model's
// STLB: a tlb of model/hw/tlb.c holding 4 KiB and 2 MiB entries (shifts
// 12 and 21), looked up as model/hw/mmu.c's lookup does: the 4 KiB page of
// the VA, then, on a miss, its 2 MiB page. A seeded constrained-random
// stream drives both (testbench/cosim/lockstep_common.h): 45% lookups (3/4
// of both sizes as the MMU does, 1/4 of one size alone, as the C array's
// hook reports each tlb_lookup; half at a recent fill), 39% fills of either
// size, 8% invalidations of every kind and 8% cycles with two or three
// requests at once (the priority: invalidation > fill > a hit's touch).
// The addresses are drawn so that 4 KiB pages sit inside the 2 MiB pages
// of other entries (a VA then matches entries of both sizes) and sets
// overflow (Ways + 2 pages per set, mostly in the first 2 sets). Every output is compared every cycle, and every entry (valid,
// size, VPN, PCID, G, perm, D, PFN) and every set's replacement state (the
// LRU ages or PLRU bits themselves, and the victim) after every operation.
// On a mismatch the run is repeated with an FST waveform up to the failing
// cycle, and the exit status is 1.
//
//   stlb_lockstep --geometry skylake|zen2|fa4|2x1|4x12|16x8|6x4 --policy lru|plru
//                 --ops N --seed S [--fst FILE]
#include "lockstep_common.h"

#include <algorithm>

#include "Vstlb_skylake_lru.h"
#include "Vstlb_skylake_plru.h"
#include "Vstlb_zen2_lru.h"
#include "Vstlb_zen2_plru.h"
#include "Vstlb_fa4_lru.h"
#include "Vstlb_fa4_plru.h"
#include "Vstlb_2x1_lru.h"
#include "Vstlb_4x12_plru.h"
#include "Vstlb_16x8_lru.h"
#include "Vstlb_16x8_plru.h"
#include "Vstlb_6x4_lru.h"

namespace {

using lockstep::Inval;
using lockstep::Mismatch;
using lockstep::Options;

constexpr unsigned kVpnW = 36;  // VA >> 12 of a 48-bit VA: tlb_stlb's VpnW default

struct Geometry {
	unsigned sets, ways;
};

struct Coverage {
	uint64_t hits[2] = {}, misses = 0, single_size = 0, both_match = 0, global_hits = 0, needs_walk = 0;
	uint64_t fills[2] = {}, fill_conflict = 0, fill_multi = 0, fill_invalid = 0, fill_victim = 0;
};

template <class Top> class Lockstep : public lockstep::Lockstep<Lockstep<Top>, Top> {
	using Base = lockstep::Lockstep<Lockstep<Top>, Top>;
	friend Base;
	using Base::c_;
	using Base::fail;
	using Base::pcid;
	using Base::pick;
	using Base::rng_;
	using Base::top_;

public:
	Lockstep(const Options &o, const Geometry &g, const char *fst_path, uint64_t stop_at)
	    : Base(o, fst_path, stop_at), g_(g)
	{
		// model/hw/mmu.c: init_tlb(&m->stlb, ..., s4k | s2m)
		tlb_init(&c_, "stlb", g.sets * g.ways, g.ways, o.plru ? TLB_PLRU : TLB_LRU,
		         1ull << 12 | 1ull << 21);
		this->mix_ = { 45, 84, 92 };
		this->contents_every_ = 1;
		this->inval_shift_ = 12;
		way_w_ = 1;
		while ((1u << way_w_) < g.ways)
			way_w_++;
	}
	void report() const
	{
		const Coverage &c = cov_;
		printf("lookups: %" PRIu64 " hits on 4K entries, %" PRIu64 " on 2M entries (%" PRIu64
		       " answered by a 4K entry where a 2M one matched too, %" PRIu64 " on another PCID's global entry, %" PRIu64
		       " needing a walk for D), %" PRIu64 " misses; %" PRIu64 " of one size alone\n",
		       c.hits[0], c.hits[1], c.both_match, c.global_hits, c.needs_walk, c.misses, c.single_size);
		printf("fills: %" PRIu64 " 4K, %" PRIu64 " 2M; %" PRIu64 " over a conflict (%" PRIu64
		       " invalidating others), %" PRIu64 " into an invalid way, %" PRIu64 " into the victim\n",
		       c.fills[0], c.fills[1], c.fill_conflict, c.fill_multi, c.fill_invalid, c.fill_victim);
		this->icov_.print();
	}

private:
	// A page index: Ways + 2 per set, 3/4 of them in the first 2 sets (so
	// that the presets' 128 sets overflow within a few thousand operations).
	uint64_t hot()
	{
		unsigned s = pick(4) != 0 ? pick(std::min(g_.sets, 2u)) : pick(g_.sets);
		return s + (uint64_t)g_.sets * pick(g_.ways + 2);
	}
	// 4 KiB pages (VA >> 12) from the start of four 2 MiB regions; 2 MiB
	// pages (VA >> 21), a quarter of them one of those four regions; one in
	// 16 from the full width.
	uint64_t page4k()
	{
		if (pick(16) == 0)
			return rng_() & ((1ull << kVpnW) - 1);
		return ((uint64_t)pick(4) << 9) + hot();
	}
	uint64_t page2m()
	{
		if (pick(16) == 0)
			return rng_() & ((1ull << (kVpnW - 9)) - 1);
		if (pick(4) == 0)
			return pick(4);
		return hot();
	}
	// a VA >> 12 in either kind of page
	uint64_t va_page() { return pick(2) ? page4k() : page2m() << 9 | pick(512); }

	struct Lookup {
		uint64_t vpn;    // VA >> 12
		unsigned sizes;  // bit 0: 4 KiB searched, bit 1: 2 MiB
		uint16_t pcid;
		bool pge, write;
	};
	struct Fill {
		tlb_entry e;     // the C model's entry (vpn = VA >> its shift)
		uint64_t vpn_in; // the RTL's fill_vpn_i: VA >> 12 (2 MiB: any low 9 bits)
	};

	Lookup draw_lookup()
	{
		Lookup l{ va_page(), pick(4) != 0 ? 3u : 1u + pick(2), pcid(), pick(4) != 0, pick(3) == 0 };
		if (pick(2) == 0) { // a page filled recently: mostly hits
			const tlb_entry &r = recent_[pick(16)];
			l.vpn = r.shift == 21 ? r.vpn << 9 | pick(512) : r.vpn;
			if (pick(4) != 0)
				l.pcid = r.pcid;
		}
		top_->lookup_valid_i = 1;
		top_->lookup_sizes_i = l.sizes;
		top_->lookup_vpn_i = l.vpn;
		top_->lookup_pcid_i = l.pcid;
		top_->lookup_pge_i = l.pge;
		top_->lookup_write_i = l.write;
		return l;
	}
	Fill draw_fill()
	{
		Fill f{};
		bool big = pick(2) == 0;
		f.e.shift = big ? 21 : 12;
		f.e.vpn = big ? page2m() : page4k();
		f.e.pcid = pcid();
		f.e.global = pick(5) == 0;
		f.e.perm = (uint8_t)pick(8);
		f.e.dirty = (uint8_t)pick(2);
		f.e.pfn = rng_() & ((1ull << 40) - 1);
		f.vpn_in = big ? f.e.vpn << 9 | pick(512) : f.e.vpn;
		recent_[recent_next_++ % 16] = f.e;
		top_->fill_valid_i = 1;
		top_->fill_size_i = big;
		top_->fill_vpn_i = f.vpn_in;
		top_->fill_pcid_i = f.e.pcid;
		top_->fill_global_i = f.e.global;
		top_->fill_perm_i = f.e.perm;
		top_->fill_dirty_i = f.e.dirty;
		top_->fill_pfn_i = f.e.pfn;
		return f;
	}
	uint64_t inval_addr() { return va_page(); }
	void drive_inval(const Inval &i) { top_->inv_vpn_i = i.addr; }

	// model/hw/mmu.c lookup: the 4 KiB page, then on a miss the 2 MiB page
	const tlb_entry *c_lookup(const Lookup &l)
	{
		const tlb_entry *e = nullptr;
		if (l.sizes & 1)
			e = tlb_lookup(&c_, l.vpn, 12, l.pcid, l.pge, l.write);
		if (!e && (l.sizes & 2))
			e = tlb_lookup(&c_, l.vpn >> 9, 21, l.pcid, l.pge, l.write);
		return e;
	}
	// whether some entry of page shift `shift` matches (tlb.h's lookup rule), without touching
	bool c_matches(uint64_t vpn, unsigned shift, uint16_t pcid, bool pge) const
	{
		const tlb_entry *row = &c_.entries[(size_t)tlb_set_of(&c_, vpn) * g_.ways];
		for (unsigned w = 0; w < g_.ways; w++)
			if (row[w].valid && row[w].shift == shift && row[w].vpn == vpn &&
			    (row[w].pcid == pcid || (row[w].global && pge)))
				return true;
		return false;
	}

	bool check_lookup(Mismatch *m, const Lookup &l, const tlb_entry *e, const char *with)
	{
		bool hit = e != nullptr;
		unsigned way = hit ? this->way_of(e) : 0, set = hit ? this->set_of(e) : 0;
		unsigned size = hit && e->shift == 21;
		bool walk = hit && l.write && !e->dirty;
		bool bad = top_->hit_o != hit || top_->multi_hit_o || top_->needs_walk_o != walk ||
		           (hit && (top_->hit_size_o != size || top_->hit_set_o != set || top_->hit_way_o != way ||
		                    top_->hit_pfn_o != e->pfn || top_->hit_perm_o != e->perm ||
		                    top_->hit_dirty_o != e->dirty || top_->hit_global_o != e->global ||
		                    top_->hit_pcid_o != e->pcid));
		if (!bad) {
			if (hit) {
				cov_.hits[size]++;
				cov_.both_match += size == 0 && (l.sizes & 2) && c_matches(l.vpn >> 9, 21, l.pcid, l.pge);
				cov_.global_hits += e->global && e->pcid != l.pcid;
			}
			cov_.misses += !hit;
			cov_.single_size += l.sizes != 3;
			cov_.needs_walk += walk;
			return true;
		}
		return fail(m, "lookup%s vpn=%#" PRIx64 " sizes=%u pcid=%u pge=%d write=%d: C hit=%d size=%u set=%u way=%u"
		            " pfn=%#" PRIx64 " perm=%u dirty=%d g=%d pcid=%u needs_walk=%d; RTL hit=%d size=%u set=%u way=%u"
		            " pfn=%#" PRIx64 " perm=%u dirty=%d g=%d pcid=%u needs_walk=%d multi_hit=%d",
		            with, l.vpn, l.sizes, l.pcid, l.pge, l.write, hit, size, set, way, hit ? e->pfn : 0,
		            hit ? e->perm : 0, hit ? e->dirty : 0, hit ? e->global : 0, hit ? e->pcid : 0, walk,
		            (int)top_->hit_o, (unsigned)top_->hit_size_o, (unsigned)top_->hit_set_o,
		            (unsigned)top_->hit_way_o, (uint64_t)top_->hit_pfn_o, (unsigned)top_->hit_perm_o,
		            (int)top_->hit_dirty_o, (int)top_->hit_global_o, (unsigned)top_->hit_pcid_o,
		            (int)top_->needs_walk_o, (int)top_->multi_hit_o);
	}
	void classify_fill(const Fill &f)
	{
		const tlb_entry &n = f.e;
		const tlb_entry *row = &c_.entries[(size_t)tlb_set_of(&c_, n.vpn) * g_.ways];
		unsigned conflicts = 0, invalid = 0;
		for (unsigned w = 0; w < g_.ways; w++) {
			invalid += !row[w].valid;
			conflicts += row[w].valid && row[w].shift == n.shift && row[w].vpn == n.vpn &&
			             (row[w].pcid == n.pcid || row[w].global || n.global);
		}
		cov_.fills[n.shift == 21]++;
		if (conflicts)
			cov_.fill_conflict++;
		else if (invalid)
			cov_.fill_invalid++;
		else
			cov_.fill_victim++;
		cov_.fill_multi += conflicts > 1;
	}
	bool c_fill_and_check(Mismatch *m, const Fill &f)
	{
		const tlb_entry *e = tlb_fill(&c_, &f.e);
		unsigned way = this->way_of(e), set = this->set_of(e);
		if (top_->fill_way_o == way && top_->fill_set_o == set)
			return true;
		return fail(m, "fill %s vpn=%#" PRIx64 " (fill_vpn_i %#" PRIx64 ") pcid=%u g=%d: C writes set %u way %u,"
		            " RTL set %u way %u", f.e.shift == 21 ? "2M" : "4K", f.e.vpn, f.vpn_in, f.e.pcid,
		            f.e.global, set, way, (unsigned)top_->fill_set_o, (unsigned)top_->fill_way_o);
	}

	// set s's replacement state in the RTL's encoding (tlb_repl): LRU way w's
	// age in bits [w*WayW +: WayW]; PLRU node n in bit n-1
	uint64_t c_repl(unsigned s) const
	{
		uint64_t v = 0;
		if (!this->o_.plru) {
			for (unsigned w = 0; w < g_.ways; w++)
				v |= (uint64_t)c_.repl[s * g_.ways + w] << (w * way_w_);
		} else {
			for (unsigned n = 1; n < c_.tree_leaves; n++)
				v |= (uint64_t)(c_.repl[s * c_.tree_leaves + n] != 0) << (n - 1);
		}
		return v;
	}

	// every entry, every set's replacement state and victim through the debug port
	bool contents(Mismatch *m, const char *when)
	{
		for (unsigned s = 0; s < g_.sets; s++) {
			for (unsigned w = 0; w < g_.ways; w++) {
				top_->dbg_set_i = s;
				top_->dbg_way_i = w;
				top_->eval();
				const tlb_entry &e = c_.entries[s * g_.ways + w];
				bool same = top_->dbg_valid_o == e.valid &&
				            (!e.valid || (top_->dbg_size_o == (e.shift == 21) && top_->dbg_vpn_o == e.vpn &&
				                          top_->dbg_pcid_o == e.pcid && top_->dbg_global_o == e.global &&
				                          top_->dbg_perm_o == e.perm && top_->dbg_dirty_o == e.dirty &&
				                          top_->dbg_pfn_o == e.pfn));
				if (!same)
					return fail(m, "%s: set %u way %u: C valid=%d size=%s vpn=%#" PRIx64 " pcid=%u g=%d pfn=%#" PRIx64
					            "; RTL valid=%d size=%s vpn=%#" PRIx64 " pcid=%u g=%d pfn=%#" PRIx64, when, s, w,
					            e.valid, e.shift == 21 ? "2M" : "4K", e.vpn, e.pcid, e.global, e.pfn,
					            (int)top_->dbg_valid_o, top_->dbg_size_o ? "2M" : "4K",
					            (uint64_t)top_->dbg_vpn_o, (unsigned)top_->dbg_pcid_o, (int)top_->dbg_global_o,
					            (uint64_t)top_->dbg_pfn_o);
			}
			if (top_->dbg_repl_o != c_repl(s))
				return fail(m, "%s: set %u replacement state: C %#" PRIx64 ", RTL %#" PRIx64, when, s, c_repl(s),
				            (uint64_t)top_->dbg_repl_o);
			if (top_->dbg_victim_o != tlb_victim(&c_, s))
				return fail(m, "%s: set %u victim: C way %u, RTL way %u", when, s, tlb_victim(&c_, s),
				            (unsigned)top_->dbg_victim_o);
		}
		return true;
	}

	Geometry g_;
	unsigned way_w_;
	Coverage cov_;
	tlb_entry recent_[16] = {};
	unsigned recent_next_ = 0;
};

template <class Top> int run_with(const Options &o, const Geometry &g)
{
	return lockstep::run<Lockstep<Top>>(o, g, "stlb");
}

int usage()
{
	fprintf(stderr, "usage: stlb_lockstep [--geometry skylake|zen2|fa4|2x1|4x12|16x8|6x4] [--policy lru|plru] "
	                "[--ops N] [--seed S] [--fst FILE]\n");
	return 64;
}

} // namespace

int main(int argc, char **argv)
{
	Options o;
	o.geometry = "fa4";
	if (!lockstep::parse_options(argc, argv, &o))
		return usage();
	// name, sets, ways; must match the MODELS of stlb_lockstep in testbench/cosim/CMakeLists.txt
	static const struct { const char *name; unsigned sets, ways; } geometries[] = {
		{ "skylake", 128, 12 }, { "zen2", 128, 16 }, { "fa4", 1, 4 }, { "2x1", 2, 1 },
		{ "4x12", 4, 12 }, { "16x8", 16, 8 }, { "6x4", 6, 4 },
	};
	Geometry geometry{};
	bool known = false;
	for (const auto &g : geometries) {
		if (o.geometry == g.name) {
			geometry = { g.sets, g.ways };
			known = true;
		}
	}
	if (!known)
		return usage();
	printf("stlb_lockstep: geometry %s (%u sets x %u ways, 4K and 2M entries) policy %s seed %" PRIu64
	       " ops %" PRIu64 "\n", o.geometry.c_str(), geometry.sets, geometry.ways, o.policy.c_str(), o.seed, o.ops);
	std::string key = o.geometry + "_" + o.policy;
	if (key == "skylake_lru") return run_with<Vstlb_skylake_lru>(o, geometry);
	if (key == "skylake_plru") return run_with<Vstlb_skylake_plru>(o, geometry);
	if (key == "zen2_lru") return run_with<Vstlb_zen2_lru>(o, geometry);
	if (key == "zen2_plru") return run_with<Vstlb_zen2_plru>(o, geometry);
	if (key == "fa4_lru") return run_with<Vstlb_fa4_lru>(o, geometry);
	if (key == "fa4_plru") return run_with<Vstlb_fa4_plru>(o, geometry);
	if (key == "2x1_lru") return run_with<Vstlb_2x1_lru>(o, geometry);
	if (key == "4x12_plru") return run_with<Vstlb_4x12_plru>(o, geometry);
	if (key == "16x8_lru") return run_with<Vstlb_16x8_lru>(o, geometry);
	if (key == "16x8_plru") return run_with<Vstlb_16x8_plru>(o, geometry);
	if (key == "6x4_lru") return run_with<Vstlb_6x4_lru>(o, geometry);
	fprintf(stderr, "stlb_lockstep: no Verilated model for %s\n", key.c_str());
	return 64;
}
