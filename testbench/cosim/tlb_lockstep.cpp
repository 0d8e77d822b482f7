// Lockstep co-simulation of rtl/tlb_array.sv (Verilated) and the C
// model's TLB array (model/hw/tlb.c): a seeded constrained-random stream of
// operations, one per cycle, drives both; every output is compared every
// cycle, and the full contents and each set's victim after every
// invalidation (and every 64 operations). A few cycles carry two or three
// requests at once to check the RTL's priority (invalidation > fill >
// a lookup hit's replacement update): the C model then applies only the
// winner, and the lookup of that cycle is answered without a touch. On a
// mismatch the run is repeated with an FST waveform up to the failing
// cycle, and the exit status is 1.
//
//   tlb_lockstep --geometry 4k|2m|1g|12way --policy lru|plru --ops N --seed S [--fst FILE]
//
// Geometries: the L1 DTLB's 4K (64 entries, 4-way), 2M (32 entries, 4-way)
// and 1G (4 entries, fully associative) arrays, and a 48-entry 12-way array
// (non-power-of-two ways, PLRU only).
#include "lockstep_common.h"

#include "Vtlb_4k_lru.h"
#include "Vtlb_4k_plru.h"
#include "Vtlb_2m_lru.h"
#include "Vtlb_2m_plru.h"
#include "Vtlb_1g_lru.h"
#include "Vtlb_1g_plru.h"
#include "Vtlb_12way_plru.h"

namespace {

using lockstep::Inval;
using lockstep::Mismatch;
using lockstep::Options;

struct Geometry {
	unsigned sets, ways, shift, vpn_w;
};

// What the random stream exercised, printed at the end of a clean run.
struct Coverage {
	uint64_t hits = 0, misses = 0, needs_walk = 0, global_hits = 0;
	uint64_t fill_conflict = 0, fill_invalid = 0, fill_victim = 0, fill_multi = 0;
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
		tlb_init(&c_, "cosim", g.sets * g.ways, g.ways, o.plru ? TLB_PLRU : TLB_LRU, 1ull << g.shift);
		// 50% lookups, 38% fills, 6% multi-request cycles, 6% invalidations;
		// the contents every 64 operations and after every invalidation
		this->mix_ = { 50, 88, 94 };
		this->contents_every_ = 64;
		this->inval_shift_ = g.shift;
	}
	void report() const
	{
		const Coverage &c = cov_;
		printf("lookups: %" PRIu64 " hits (%" PRIu64 " on another PCID's global entry, %" PRIu64
		       " needing a walk for D), %" PRIu64 " misses\n", c.hits, c.global_hits, c.needs_walk, c.misses);
		printf("fills: %" PRIu64 " over a conflict (%" PRIu64 " invalidating others), %" PRIu64
		       " into an invalid way, %" PRIu64 " into the victim\n", c.fill_conflict, c.fill_multi,
		       c.fill_invalid, c.fill_victim);
		this->icov_.print();
	}

private:
	// Small ranges force conflicts and evictions: ways + 2 VPNs per set and
	// 4 PCIDs; one in 16 is drawn from the full width instead.
	uint64_t vpn()
	{
		if (pick(16) == 0)
			return rng_() & ((1ull << g_.vpn_w) - 1);
		return pick(g_.sets * (g_.ways + 2));
	}

	// ---- one request of each kind: draw it, drive the RTL's port ----
	struct Lookup {
		uint64_t vpn;
		uint16_t pcid;
		bool pge, write;
	};
	using Fill = tlb_entry;

	Lookup draw_lookup()
	{
		Lookup l{ vpn(), pcid(), pick(4) != 0, pick(3) == 0 };
		if (pick(2) == 0) { // a page filled recently: mostly hits
			const tlb_entry &r = recent_[pick(16)];
			l.vpn = r.vpn;
			if (pick(4) != 0)
				l.pcid = r.pcid;
		}
		top_->lookup_valid_i = 1;
		top_->lookup_vpn_i = l.vpn;
		top_->lookup_pcid_i = l.pcid;
		top_->lookup_pge_i = l.pge;
		top_->lookup_write_i = l.write;
		return l;
	}
	tlb_entry draw_fill()
	{
		tlb_entry n{};
		n.vpn = vpn();
		n.pcid = pcid();
		n.global = pick(5) == 0;
		n.perm = (uint8_t)pick(8);
		n.dirty = (uint8_t)pick(2);
		n.pfn = rng_() & ((1ull << 40) - 1);
		n.shift = (uint8_t)g_.shift;
		recent_[recent_next_++ % 16] = n;
		top_->fill_valid_i = 1;
		top_->fill_vpn_i = n.vpn;
		top_->fill_pcid_i = n.pcid;
		top_->fill_global_i = n.global;
		top_->fill_perm_i = n.perm;
		top_->fill_dirty_i = n.dirty;
		top_->fill_pfn_i = n.pfn;
		return n;
	}
	uint64_t inval_addr() { return vpn(); }
	void drive_inval(const Inval &i) { top_->inv_vpn_i = i.addr; }

	// ---- the C model's side ----
	const tlb_entry *c_lookup(const Lookup &l)
	{
		return tlb_lookup(&c_, l.vpn, g_.shift, l.pcid, l.pge, l.write);
	}

	// Compares the RTL's lookup outputs (inputs already evaluated) with e.
	bool check_lookup(Mismatch *m, const Lookup &l, const tlb_entry *e, const char *with)
	{
		bool hit = e != nullptr;
		unsigned way = hit ? this->way_of(e) : 0;
		bool walk = hit && l.write && !e->dirty;
		bool bad = top_->hit_o != hit || top_->multi_hit_o || top_->needs_walk_o != walk ||
		           (hit && (top_->hit_way_o != way || top_->hit_pfn_o != e->pfn ||
		                    top_->hit_perm_o != e->perm || top_->hit_dirty_o != e->dirty));
		if (!bad) {
			cov_.hits += hit;
			cov_.misses += !hit;
			cov_.needs_walk += walk;
			cov_.global_hits += hit && e->global && e->pcid != l.pcid;
			return true;
		}
		return fail(m, "lookup%s vpn=%#" PRIx64 " pcid=%u pge=%d write=%d: C hit=%d way=%u pfn=%#" PRIx64
		            " perm=%u dirty=%d needs_walk=%d; RTL hit=%d way=%u pfn=%#" PRIx64
		            " perm=%u dirty=%d needs_walk=%d multi_hit=%d",
		            with, l.vpn, l.pcid, l.pge, l.write, hit, way, hit ? e->pfn : 0, hit ? e->perm : 0,
		            hit ? e->dirty : 0, walk, (int)top_->hit_o, (unsigned)top_->hit_way_o,
		            (uint64_t)top_->hit_pfn_o, (unsigned)top_->hit_perm_o, (int)top_->hit_dirty_o,
		            (int)top_->needs_walk_o, (int)top_->multi_hit_o);
	}
	// How the C model will place n: on a conflict (and how many), an invalid way, or the victim.
	void classify_fill(const tlb_entry &n)
	{
		const tlb_entry *row = &c_.entries[(size_t)tlb_set_of(&c_, n.vpn) * g_.ways];
		unsigned conflicts = 0, invalid = 0;
		for (unsigned w = 0; w < g_.ways; w++) {
			invalid += !row[w].valid;
			conflicts += row[w].valid && row[w].vpn == n.vpn &&
			             (row[w].pcid == n.pcid || row[w].global || n.global);
		}
		if (conflicts)
			cov_.fill_conflict++;
		else if (invalid)
			cov_.fill_invalid++;
		else
			cov_.fill_victim++;
		cov_.fill_multi += conflicts > 1;
	}
	bool c_fill_and_check(Mismatch *m, const tlb_entry &n)
	{
		unsigned way = this->way_of(tlb_fill(&c_, &n));
		if (top_->fill_way_o == way)
			return true;
		return fail(m, "fill vpn=%#" PRIx64 " pcid=%u g=%d: C writes way %u, RTL way %u", n.vpn, n.pcid,
		            n.global, way, (unsigned)top_->fill_way_o);
	}

	// every valid entry and every set's victim through the debug port
	bool contents(Mismatch *m, const char *when)
	{
		for (unsigned s = 0; s < g_.sets; s++) {
			for (unsigned w = 0; w < g_.ways; w++) {
				top_->dbg_set_i = s;
				top_->dbg_way_i = w;
				top_->eval();
				const tlb_entry &e = c_.entries[s * g_.ways + w];
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

	Geometry g_;
	Coverage cov_;
	tlb_entry recent_[16] = {};  // the last fills: lookups aim at them
	unsigned recent_next_ = 0;
};

template <class Top> int run_with(const Options &o, const Geometry &g)
{
	return lockstep::run<Lockstep<Top>>(o, g, "cosim");
}

int usage()
{
	fprintf(stderr, "usage: tlb_lockstep [--geometry 4k|2m|1g|12way] [--policy lru|plru] "
	                "[--ops N] [--seed S] [--fst FILE]\n");
	return 64;
}

} // namespace

int main(int argc, char **argv)
{
	Options o;
	o.geometry = "4k";
	if (!lockstep::parse_options(argc, argv, &o))
		return usage();
	// name, sets, ways, page shift (VPN width: 48 - shift, 4-level paging)
	static const struct { const char *name; unsigned sets, ways, shift; } geometries[] = {
		{ "4k", 16, 4, 12 }, { "2m", 8, 4, 21 }, { "1g", 1, 4, 30 }, { "12way", 4, 12, 12 },
	};
	Geometry geometry{};
	bool known = false;
	for (const auto &g : geometries) {
		if (o.geometry == g.name) {
			geometry = { g.sets, g.ways, g.shift, 48 - g.shift };
			known = true;
		}
	}
	if (!known)
		return usage();
	printf("tlb_lockstep: geometry %s (%u sets x %u ways, page shift %u) policy %s seed %" PRIu64
	       " ops %" PRIu64 "\n", o.geometry.c_str(), geometry.sets, geometry.ways, geometry.shift,
	       o.policy.c_str(), o.seed, o.ops);
	std::string key = o.geometry + "_" + o.policy;
	if (key == "4k_lru") return run_with<Vtlb_4k_lru>(o, geometry);
	if (key == "4k_plru") return run_with<Vtlb_4k_plru>(o, geometry);
	if (key == "2m_lru") return run_with<Vtlb_2m_lru>(o, geometry);
	if (key == "2m_plru") return run_with<Vtlb_2m_plru>(o, geometry);
	if (key == "1g_lru") return run_with<Vtlb_1g_lru>(o, geometry);
	if (key == "1g_plru") return run_with<Vtlb_1g_plru>(o, geometry);
	if (key == "12way_plru") return run_with<Vtlb_12way_plru>(o, geometry);
	fprintf(stderr, "tlb_lockstep: no Verilated model for %s\n", key.c_str());
	return 64;
}
