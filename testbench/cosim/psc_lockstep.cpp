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
#include "lockstep_common.h"

#include "Vpsc_pd_lru.h"
#include "Vpsc_pd_plru.h"
#include "Vpsc_pdpt_lru.h"
#include "Vpsc_pdpt_plru.h"
#include "Vpsc_pml4_lru.h"
#include "Vpsc_pml5_plru.h"
#include "Vpsc_pd3way_plru.h"

namespace {

using lockstep::Inval;
using lockstep::Mismatch;
using lockstep::Options;

struct Geometry {
	unsigned sets, ways, shift, key_w;
};

struct Coverage {
	uint64_t hits = 0, misses = 0, fill_conflict = 0, fill_invalid = 0, fill_victim = 0;
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
		tlb_init(&c_, "psc", g.sets * g.ways, g.ways, o.plru ? TLB_PLRU : TLB_LRU, 1ull << g.shift);
		// 50% lookups, 36% fills, 6% multi-request cycles, 8% invalidations;
		// the contents after every operation
		this->mix_ = { 50, 86, 92 };
		this->contents_every_ = 1;
		this->inval_shift_ = g.shift;
	}
	void report() const
	{
		const Coverage &c = cov_;
		printf("lookups: %" PRIu64 " hits, %" PRIu64 " misses\n", c.hits, c.misses);
		printf("fills: %" PRIu64 " over a conflict, %" PRIu64 " into an invalid way, %" PRIu64
		       " into the victim\n", c.fill_conflict, c.fill_invalid, c.fill_victim);
		this->icov_.print();
	}

private:
	// Small ranges force conflicts and evictions: ways + 2 keys per set and
	// 4 PCIDs; one in 16 is drawn from the full width instead.
	uint64_t key()
	{
		if (pick(16) == 0)
			return rng_() & ((1ull << g_.key_w) - 1);
		return pick(g_.sets * (g_.ways + 2));
	}

	struct Lookup {
		uint64_t key;
		uint16_t pcid;
	};
	using Fill = tlb_entry;

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
		n.shift = (uint8_t)g_.shift;
		recent_[recent_next_++ % 16] = n;
		top_->fill_valid_i = 1;
		top_->fill_key_i = n.vpn;
		top_->fill_pcid_i = n.pcid;
		top_->fill_perm_i = n.perm;
		top_->fill_pfn_i = n.pfn;
		return n;
	}
	uint64_t inval_addr() { return key(); }
	void drive_inval(const Inval &i) { top_->inv_key_i = i.addr; }

	// walker.c's lookup: the key, the PCID, no PGE, not a write
	const tlb_entry *c_lookup(const Lookup &l) { return tlb_lookup(&c_, l.key, g_.shift, l.pcid, false, false); }

	bool check_lookup(Mismatch *m, const Lookup &l, const tlb_entry *e, const char *with)
	{
		bool hit = e != nullptr;
		unsigned way = hit ? this->way_of(e) : 0;
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
		const tlb_entry *row = &c_.entries[(size_t)tlb_set_of(&c_, n.vpn) * g_.ways];
		unsigned conflicts = 0, invalid = 0;
		for (unsigned w = 0; w < g_.ways; w++) {
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
	bool c_fill_and_check(Mismatch *m, const tlb_entry &n)
	{
		unsigned way = this->way_of(tlb_fill(&c_, &n));
		if (top_->fill_way_o == way)
			return true;
		return fail(m, "fill key=%#" PRIx64 " pcid=%u: C writes way %u, RTL way %u", n.vpn, n.pcid, way,
		            (unsigned)top_->fill_way_o);
	}

	// every entry and every set's victim through the debug port
	bool contents(Mismatch *m, const char *when)
	{
		for (unsigned s = 0; s < g_.sets; s++) {
			for (unsigned w = 0; w < g_.ways; w++) {
				top_->dbg_set_i = s;
				top_->dbg_way_i = w;
				top_->eval();
				const tlb_entry &e = c_.entries[s * g_.ways + w];
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

	Geometry g_;
	Coverage cov_;
	tlb_entry recent_[16] = {};
	unsigned recent_next_ = 0;
};

template <class Top> int run_with(const Options &o, const Geometry &g)
{
	return lockstep::run<Lockstep<Top>>(o, g, "psc");
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
	o.geometry = "pd";
	if (!lockstep::parse_options(argc, argv, &o))
		return usage();
	// name, sets, ways, key shift (key width: 57 - shift, tlb_psc's default);
	// must match the MODELS of psc_lockstep in testbench/cosim/CMakeLists.txt
	static const struct { const char *name; unsigned sets, ways, shift; } geometries[] = {
		{ "pd", 8, 4, 21 }, { "pdpt", 1, 4, 30 }, { "pml4", 1, 2, 39 }, { "pml5", 1, 2, 48 },
		{ "pd3way", 4, 3, 21 },
	};
	Geometry geometry{};
	bool known = false;
	for (const auto &g : geometries) {
		if (o.geometry == g.name) {
			geometry = { g.sets, g.ways, g.shift, 57 - g.shift };
			known = true;
		}
	}
	if (!known)
		return usage();
	printf("psc_lockstep: geometry %s (%u sets x %u ways, key shift %u) policy %s seed %" PRIu64
	       " ops %" PRIu64 "\n", o.geometry.c_str(), geometry.sets, geometry.ways, geometry.shift,
	       o.policy.c_str(), o.seed, o.ops);
	std::string key = o.geometry + "_" + o.policy;
	if (key == "pd_lru") return run_with<Vpsc_pd_lru>(o, geometry);
	if (key == "pd_plru") return run_with<Vpsc_pd_plru>(o, geometry);
	if (key == "pdpt_lru") return run_with<Vpsc_pdpt_lru>(o, geometry);
	if (key == "pdpt_plru") return run_with<Vpsc_pdpt_plru>(o, geometry);
	if (key == "pml4_lru") return run_with<Vpsc_pml4_lru>(o, geometry);
	if (key == "pml5_plru") return run_with<Vpsc_pml5_plru>(o, geometry);
	if (key == "pd3way_plru") return run_with<Vpsc_pd3way_plru>(o, geometry);
	fprintf(stderr, "psc_lockstep: no Verilated model for %s\n", key.c_str());
	return 64;
}
