// lockstep_common.h - what the lockstep co-simulations of the RTL TLB
// structures share (tlb_lockstep.cpp: rtl/tlb_array.sv, psc_lockstep.cpp:
// rtl/tlb_psc.sv, stlb_lockstep.cpp: rtl/tlb_stlb.sv), each against a C
// array of model/hw/tlb.c: the command line, the Verilated model's clock,
// reset and FST waveform, the seeded stream of operations (the mix of
// lookups, fills, invalidations and cycles with two or three requests at
// once), the C side of the five invalidations, a lookup that loses its
// replacement update, and the replay of a mismatch with a waveform.
//
// A test derives Lockstep<Derived, Top> (CRTP) and gives it:
//   struct Lookup, Fill;          one request of each kind
//   Lookup draw_lookup();          draw it and drive the RTL's lookup port
//   Fill draw_fill();              the same for the fill port
//   uint64_t inval_addr();         the RTL's page input of an invalidation
//   void drive_inval(const Inval &);
//   const tlb_entry *c_lookup(const Lookup &);   the C model's lookup
//   bool check_lookup(Mismatch *, const Lookup &, const tlb_entry *, const char *with);
//   void classify_fill(const Fill &);            coverage before the C fill
//   bool c_fill_and_check(Mismatch *, const Fill &);
//   bool contents(Mismatch *, const char *when); every entry and set's state
//   void report() const;                         the coverage of a clean run
// and sets mix_ (the stream's percentages) and contents_every_.
#ifndef MMUSIM_COSIM_LOCKSTEP_COMMON_H
#define MMUSIM_COSIM_LOCKSTEP_COMMON_H

#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "verilated.h"
#include "verilated_fst_c.h"

extern "C" {
#include "hw/tlb.h"
}

namespace lockstep {

struct Options {
	std::string geometry, policy = "lru";
	bool plru = false;
	uint64_t ops = 200000, seed = 1;
	std::string fst;
};

struct Mismatch {
	uint64_t cycle = 0;
	std::string what;
};

// One invalidation: driven as TLB_INV_CODE(op) (hw/tlb.h); addr is the
// RTL's page input (VPN or key), va any byte of that page.
struct Inval {
	enum tlb_op_kind op;
	uint64_t addr, va;
	uint16_t pcid;
};

inline const char *inv_name(enum tlb_op_kind k)
{
	static const char *n[] = { "flush_pcid", "invlpg", "invpcid_addr", "flush_all", "flush_nonglobal" };
	return n[TLB_INV_CODE(k)];
}

// The stream: roll < lookup: a lookup; < fill: a fill; < collide: a cycle
// with two or three requests; else an invalidation (of 100).
struct Mix {
	unsigned lookup, fill, collide;
};

// How the invalidations of one test went, for its report.
struct InvalCoverage {
	uint64_t inval[5] = {}, killed = 0, collisions = 0;
	void print() const
	{
		printf("invalidations: %" PRIu64 " flush_pcid, %" PRIu64 " invlpg, %" PRIu64 " invpcid_addr, %" PRIu64
		       " flush_all, %" PRIu64 " flush_nonglobal; %" PRIu64 " entries removed; %" PRIu64
		       " multi-request cycles\n", inval[0], inval[1], inval[2], inval[3], inval[4], killed, collisions);
	}
};

template <class Derived, class Top> class Lockstep {
public:
	// The C array c_ is the derived class's to initialize (tlb_init) in its
	// constructor, and Lockstep's to free.
	Lockstep(const Options &o, const char *fst_path, uint64_t stop_at)
	    : o_(o), rng_(o.seed), stop_at_(stop_at)
	{
		memset(&c_, 0, sizeof c_);
		ctx_.reset(new VerilatedContext);
		if (fst_path)
			ctx_->traceEverOn(true);
		top_.reset(new Top(ctx_.get()));
		if (fst_path) {
			fst_.reset(new VerilatedFstC);
			top_->trace(fst_.get(), 99);
			fst_->open(fst_path);
		}
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
		if (contents_every_ == 1 && !d().contents(m, "after reset")) {
			m->cycle = 0;
			return false;
		}
		for (cycle_ = 0; cycle_ < o_.ops && cycle_ <= stop_at_; cycle_++) {
			unsigned roll = pick(100);
			bool ok, inval = false;
			if (roll < mix_.lookup)
				ok = lookup(m);
			else if (roll < mix_.fill)
				ok = fill(m);
			else if (roll < mix_.collide)
				ok = collide(m, &inval);
			else
				ok = invalidate(m, &inval);
			if (ok && (cycle_ % contents_every_ == 0 || inval)) {
				idle();
				char what[160];
				if (contents_every_ == 1)
					snprintf(what, sizeof what, "after the operation");
				else if (inval)
					snprintf(what, sizeof what, "after %s addr=%#" PRIx64 " pcid=%u", inv_name(last_inval_.op),
					         last_inval_.addr, last_inval_.pcid);
				else
					snprintf(what, sizeof what, "periodic check");
				ok = d().contents(m, what);
			}
			if (!ok) {
				m->cycle = cycle_;
				return false;
			}
		}
		return true;
	}

protected:
	Derived &d() { return *static_cast<Derived *>(this); }

	unsigned pick(unsigned n) { return std::uniform_int_distribution<unsigned>(0, n - 1)(rng_); }
	// 4 PCIDs, one in 16 drawn from all 4096
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
		char buf[768];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(buf, sizeof buf, fmt, ap);
		va_end(ap);
		m->what = buf;
		return false;
	}

	// An invalidation: page and PCID flushes common, whole-array flushes
	// rare; the page at inval_shift_ (any byte of it).
	Inval draw_inval()
	{
		static const enum tlb_op_kind ops[] = {
			TLB_OP_FLUSH_PCID, TLB_OP_FLUSH_PCID, TLB_OP_INVLPG, TLB_OP_INVLPG, TLB_OP_INVLPG,
			TLB_OP_INVPCID_ADDR, TLB_OP_INVPCID_ADDR, TLB_OP_INVPCID_ADDR, TLB_OP_FLUSH_ALL,
			TLB_OP_FLUSH_NONGLOBAL
		};
		Inval i;
		i.op = ops[pick(10)];
		i.addr = d().inval_addr();
		i.va = i.addr << inval_shift_ | (rng_() & ((1ull << inval_shift_) - 1));
		i.pcid = pcid();
		top_->inv_valid_i = 1;
		top_->inv_op_i = TLB_INV_CODE(i.op);
		top_->inv_pcid_i = i.pcid;
		d().drive_inval(i);
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
		icov_.inval[TLB_INV_CODE(i.op)]++;
		icov_.killed += before - tlb_count_valid(&c_);
		last_inval_ = i;
	}
	// A lookup that loses its replacement update to a same-cycle fill or
	// invalidation: the C lookup, with the replacement state (and the
	// "last touched" shortcut) put back.
	template <class Lookup> const tlb_entry *c_lookup_untouched(const Lookup &l)
	{
		size_t n = (size_t)c_.sets * (o_.plru ? c_.tree_leaves : c_.ways);
		std::vector<uint8_t> saved(c_.repl, c_.repl + n);
		tlb_entry *last = c_.last;
		const tlb_entry *e = d().c_lookup(l);
		memcpy(c_.repl, saved.data(), n);
		c_.last = last;
		return e;
	}
	// The way and set of an entry of the C array.
	unsigned way_of(const tlb_entry *e) const { return (unsigned)((e - c_.entries) % c_.ways); }
	unsigned set_of(const tlb_entry *e) const { return (unsigned)((e - c_.entries) / c_.ways); }

	// ---- one operation per cycle ----
	bool lookup(Mismatch *m)
	{
		idle();
		typename Derived::Lookup l = d().draw_lookup();
		top_->eval();
		if (!d().check_lookup(m, l, d().c_lookup(l), ""))
			return false;
		if (!top_->touch_ready_o)
			return fail(m, "lookup alone: RTL touch_ready_o = 0");
		step();
		return true;
	}
	bool fill(Mismatch *m)
	{
		idle();
		typename Derived::Fill n = d().draw_fill();
		top_->eval();
		if (!top_->fill_ready_o)
			return fail(m, "fill alone: RTL fill_ready_o = 0");
		// the RTL's outputs keep this cycle's values until the next eval
		d().classify_fill(n);
		if (!d().c_fill_and_check(m, n))
			return false;
		step();
		return true;
	}
	bool invalidate(Mismatch *, bool *inval)
	{
		idle();
		Inval i = draw_inval();
		step();
		c_inval(i);
		*inval = true;
		return true;
	}
	// two or three requests in one cycle: the priority
	bool collide(Mismatch *m, bool *inval)
	{
		unsigned kind = 1 + pick(4); // 1 lookup+fill, 2 lookup+inv, 3 fill+inv, 4 all three
		bool has_lookup = kind != 3, has_fill = kind != 2, has_inv = kind >= 2;
		idle();
		typename Derived::Lookup l{};
		typename Derived::Fill n{};
		Inval i{};
		if (has_lookup)
			l = d().draw_lookup();
		if (has_fill)
			n = d().draw_fill();
		if (has_inv)
			i = draw_inval();
		top_->eval();
		if (top_->fill_ready_o != !has_inv || top_->touch_ready_o != 0)
			return fail(m, "collision %u: RTL fill_ready=%d touch_ready=%d, expected %d and 0", kind,
			            (int)top_->fill_ready_o, (int)top_->touch_ready_o, (int)!has_inv);
		if (has_lookup && !d().check_lookup(m, l, c_lookup_untouched(l), " (with a fill/invalidation)"))
			return false;
		icov_.collisions++;
		if (has_fill && !has_inv) {
			d().classify_fill(n);
			if (!d().c_fill_and_check(m, n))
				return false;
		}
		step();
		if (has_inv) {
			c_inval(i);
			*inval = true;
		}
		return true;
	}

	Options o_;
	std::mt19937_64 rng_;
	Mix mix_{ 50, 88, 94 };
	uint64_t contents_every_ = 1;   // every entry compared every N operations (and after invalidations)
	unsigned inval_shift_ = 12;     // an invalidation's VA = addr << inval_shift_ | offset
	InvalCoverage icov_;
	Inval last_inval_{};
	uint64_t stop_at_;
	uint64_t cycle_ = 0;
	std::unique_ptr<VerilatedContext> ctx_;
	std::unique_ptr<Top> top_;
	std::unique_ptr<VerilatedFstC> fst_;
	tlb c_;
};

// Runs one configuration, L(o, g, fst, stop_at): a clean run prints its
// coverage and returns 0; a mismatch prints it, reruns the seed with an FST
// waveform up to the failing cycle (prefix-mismatch-seedN.fst, or --fst)
// and returns 1.
template <class L, class G> int run(const Options &o, const G &g, const char *prefix)
{
	Mismatch m;
	bool ok;
	{
		L ls(o, g, o.fst.empty() ? nullptr : o.fst.c_str(), UINT64_MAX);
		ok = ls.run(&m);
		ls.report();
	}
	if (ok) {
		printf("%" PRIu64 " operations, 0 mismatches\n1 passed, 0 failed\n", o.ops);
		return 0;
	}
	printf("MISMATCH at cycle %" PRIu64 ": %s\n", m.cycle, m.what.c_str());
	std::string path = o.fst.empty() ? std::string(prefix) + "-mismatch-seed" + std::to_string(o.seed) + ".fst" : o.fst;
	{
		Mismatch again;
		L replay(o, g, path.c_str(), m.cycle);
		replay.run(&again);
	}
	printf("waveform up to the mismatch: %s\n0 passed, 1 failed\n", path.c_str());
	return 1;
}

// --geometry G --policy lru|plru --ops N --seed S --fst FILE; false on a
// usage error (the caller prints its usage).
inline bool parse_options(int argc, char **argv, Options *o)
{
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		if (i + 1 >= argc)
			return false;
		std::string v = argv[++i];
		if (a == "--geometry")
			o->geometry = v;
		else if (a == "--policy")
			o->policy = v;
		else if (a == "--ops")
			o->ops = strtoull(v.c_str(), nullptr, 0);
		else if (a == "--seed")
			o->seed = strtoull(v.c_str(), nullptr, 0);
		else if (a == "--fst")
			o->fst = v;
		else
			return false;
	}
	o->plru = o->policy == "plru";
	return o->policy == "lru" || o->policy == "plru";
}

} // namespace lockstep

#endif
