// sc/cosim.cpp - mmusim --mode cosim: the L1 DTLB and L1 ITLB arrays and
// the paging-structure caches of every CPU also run in the RTL, a
// Verilated model of rtl/tlb_array.sv per array and of rtl/tlb_psc.sv per
// PSC level, of the array's geometry and policy, from the model cache (sc/rtl_cache.h: built
// on first use).  Every operation the C array performs (lookup, fill, each
// invalidation) reaches the array's tlb_op_hook with the C model's answers
// and is applied to the RTL model at once through its ports, one clock
// cycle per operation, and every answer compared (hit, way, PFN, rights,
// D and needs-walk (not in a PSC), multi-hit, the way a fill writes, the
// set it used).  The
// first mismatch stops the run with a report and exit status 1.  Timing
// and statistics still come from the C engine, so they equal fast mode's;
// the statistics add cosim.compared.l1d, .l1i, .psc and cosim.mismatches.
#include "sc/cosim.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sc/rtl_cache.h"

namespace mmusim_sc {

namespace {

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

// The compared structures, cosim.compared.NAME's names.
const char *const structure_names[] = { "l1d", "l1i", "psc" };
// the arrays of each: the L1 DTLB's 4K, 2M, 1G; the ITLB's 4K, 2M; the
// PSC's PD, PDPT, PML4, PML5 (hw/mmu.h PSC_*)
const unsigned structure_arrays[] = { 3, 2, PSC_COUNT };
// the page shift of each array, the key shift of each PSC level
const unsigned array_shifts[][PSC_COUNT] = { { 12, 21, 30 }, { 12, 21 }, { 21, 30, 39, 48 } };
static_assert(sizeof structure_names / sizeof *structure_names == cosim::structures, "a name per structure");

// Attaches a shadow to array i of structure which, or detaches it.
const tlb *shadow(mmu *m, unsigned which, unsigned i, tlb_op_hook hook, void *ctx)
{
	return which == cosim::l1d ? mmu_shadow_l1d(m, i, hook, ctx)
	     : which == cosim::l1i ? mmu_shadow_l1i(m, i, hook, ctx)
	                           : mmu_shadow_psc(m, i, hook, ctx);
}

unsigned ceil_log2(uint64_t n)
{
	unsigned b = 0;
	while ((1ull << b) < n)
		b++;
	return b;
}

} // namespace

// One C array and its RTL twin.
//
// The VPN the RTL sees: the RTL array's set is its VPN's low bits, over a
// power-of-two number of sets, where the C array's is the VPN mod its sets
// (any number).  The RTL array has the next power of two of sets (those
// past the C array's stay empty) and is given, for VPN v, the recoding
// f(v) = (w / sets) << SetW | (w mod sets), whose low bits are the C set,
// and which is one-to-one: w is v's I significant bits u (I = the VA width
// of the paging mode minus the page shift: a canonical VA's higher bits
// copy bit I-1 of u), plus E = D mod sets when u is negative, where
// v = u + D for a negative u; w mod sets is v mod sets, and w determines u.
// With a power-of-two number of sets, f(v) = u.  attach checks that f
// fits the RTL's VPN width.  A PSC's key (VA >> key shift) is recoded the
// same way, into tlb_psc's key (rtl_psc_key_w bits).
struct cosim::array_base {
	cosim *owner = nullptr;
	unsigned cpu = 0;
	unsigned which = cosim::l1d, index = 0;   // the structure, the array's index in it
	const char *array = "";
	const tlb *t = nullptr;
	unsigned shift = 12;
	unsigned info_bits = 0, set_w = 0;
	uint64_t extend = 0;              // E
	const mmusim_rtl_tlb_array *rtl = nullptr;   // an L1 array's model
	const mmusim_rtl_tlb_psc *psc = nullptr;     // a PSC's
	void *model = nullptr;
	mmusim_rtl_tlb_io io{};
	mmusim_rtl_psc_io pio{};

	~array_base()
	{
		if (model)
			psc ? psc->destroy(model) : rtl->destroy(model);
	}

	uint64_t rtl_vpn(uint64_t v) const
	{
		uint64_t u = info_bits < 64 ? v & ((1ull << info_bits) - 1) : v;
		uint64_t w = u + ((u >> (info_bits - 1)) & 1) * extend;
		return (w / t->sets) << set_w | (w % t->sets);
	}

	void eval() { psc ? psc->eval(model, &pio) : rtl->eval(model, &io); }
	uint8_t &clk() { return psc ? pio.clk : io.clk; }
	uint8_t &rst_n() { return psc ? pio.rst_n : io.rst_n; }
	// the rising edge of the operation's cycle (the state change), the
	// clock low again for the next operation's inputs
	void edge()
	{
		clk() = 1;
		eval();
		clk() = 0;
	}

	void reset()
	{
		model = psc ? psc->create() : rtl->create();
		rst_n() = 1;
		eval();
		rst_n() = 0;   // asynchronous, active low
		eval();
		edge();
		rst_n() = 1;
		eval();
	}
};

cosim::cosim(sim *s) : s_(s) {}

cosim::~cosim()
{
	for (unsigned cpu = 0; cpu < s_->ncpus; cpu++)
		for (unsigned which = 0; which < structures; which++)
			for (unsigned i = 0; i < structure_arrays[which]; i++)
				shadow(sim_cpu_mmu(s_, cpu), which, i, nullptr, nullptr);
}

// Test only: MMUSIM_COSIM_INJECT=[STRUCTURE:]N (STRUCTURE l1d, the
// default, l1i or psc) gives that structure's RTL a wrong PFN in every
// fill from operation N on (of all structures, from 1), to prove
// mismatches are caught: the first hit on such an entry is one (every
// fill, not one: a PSC entry is often flushed before it is hit).
bool cosim::injects(const array_base &a) const
{
	return inject_at_ && ops_ >= inject_at_ && a.which == inject_into_;
}

bool cosim::parse_inject()
{
	const char *inject = std::getenv("MMUSIM_COSIM_INJECT");
	if (!inject || !*inject)
		return true;
	const char *n = inject, *colon = std::strchr(inject, ':');
	inject_into_ = structures;
	if (!colon)
		inject_into_ = l1d;
	else
		for (unsigned w = 0; w < structures; w++)
			if ((size_t)(colon - inject) == std::strlen(structure_names[w]) &&
			    !std::strncmp(inject, structure_names[w], (size_t)(colon - inject)))
				inject_into_ = w, n = colon + 1;
	char *end;
	inject_at_ = std::strtoull(n, &end, 10);
	if (inject_into_ == structures || *end || end == n || !inject_at_) {
		std::snprintf(s_->err, sizeof s_->err,
		              "--mode cosim: MMUSIM_COSIM_INJECT='%s' is not [l1d:|l1i:|psc:]N with N from 1 (a test-only fault)",
		              inject);
		return s_->failure = FAIL_USAGE, false;
	}
	return true;
}

bool cosim::attach()
{
	if (!parse_inject())
		return false;
	unsigned va_bits = s_->cfg.v[K_PAGING_LEVELS] == 5 ? 57 : 48;
	for (unsigned cpu = 0; cpu < s_->ncpus; cpu++) {
		mmu *m = sim_cpu_mmu(s_, cpu);
		for (unsigned which = 0; which < structures; which++)
		for (unsigned i = 0; i < structure_arrays[which]; i++) {
			const tlb *t = shadow(m, which, i, nullptr, nullptr);
			if (!tlb_present(t))
				continue;   // entries=0: no array, no operation
			std::unique_ptr<array_base> a(new array_base);
			a->owner = this;
			a->cpu = cpu;
			a->which = which;
			a->index = i;
			a->array = t->name;
			a->t = t;
			a->shift = array_shifts[which][i];
			a->info_bits = va_bits - a->shift;
			a->set_w = ceil_log2(t->sets);
			// D = 2^(64 - shift) - 2^I, mod sets
			unsigned __int128 d = ((unsigned __int128)1 << (64 - a->shift)) - ((unsigned __int128)1 << a->info_bits);
			a->extend = (uint64_t)(d % t->sets);
			uint64_t w_max = (1ull << a->info_bits) - 1 + a->extend;
			uint64_t f_max = (w_max / t->sets) << a->set_w | (t->sets - 1);
			unsigned width = which == psc ? rtl_psc_key_w : rtl_vpn_w;
			if (a->set_w > width || (f_max >> width) != 0) {
				if (which == psc)
					std::snprintf(s_->err, sizeof s_->err,
					              "--mode cosim: the %s cache of %u sets x %u ways (paging_levels=%u) needs keys of %u "
					              "bits in the RTL (rtl/tlb_psc.sv indexes a power-of-two number of sets by the low bits "
					              "of the key), more than its %u",
					              t->name, t->sets, t->ways, (unsigned)s_->cfg.v[K_PAGING_LEVELS],
					              ceil_log2(f_max + 1), width);
				else
					std::snprintf(s_->err, sizeof s_->err,
					              "--mode cosim: the %s array of %u sets x %u ways (paging_levels=%u) needs VPNs of %u "
					              "bits in the RTL (rtl/tlb_array.sv indexes a power-of-two number of sets by the low bits "
					              "of the VPN), more than its %u",
					              t->name, t->sets, t->ways, (unsigned)s_->cfg.v[K_PAGING_LEVELS],
					              ceil_log2(f_max + 1), width);
				return s_->failure = FAIL_USAGE, false;
			}
			std::string err;
			enum failure kind = FAIL_NONE;
			if (which == psc)
				a->psc = rtl_tlb_psc(1u << a->set_w, t->ways, a->shift, t->policy == TLB_PLRU, err, kind);
			else
				a->rtl = rtl_tlb_array(1u << a->set_w, t->ways, t->policy == TLB_PLRU, err, kind);
			if (!a->rtl && !a->psc) {
				std::snprintf(s_->err, sizeof s_->err, "%s", err.c_str());
				return s_->failure = kind, false;
			}
			a->reset();
			arrays_.push_back(std::move(a));
		}
	}
	for (std::unique_ptr<array_base> &a : arrays_)
		shadow(sim_cpu_mmu(s_, a->cpu), a->which, a->index, a->which == psc ? &cosim::on_psc_op : &cosim::on_op,
		       a.get());
	return true;
}

void cosim::on_op(void *ctx, const tlb *t, const tlb_op *op)
{
	array_base &a = *static_cast<array_base *>(ctx);
	cosim *self = a.owner;
	if (self->failed_)
		return;
	self->ops_++;
	mmusim_rtl_tlb_io &io = a.io;
	io.lookup_valid = io.fill_valid = io.inv_valid = 0;
	char buf[400];
	buf[0] = 0;
	uint64_t vpn = 0;
	switch (op->kind) {
	case TLB_OP_LOOKUP: {
		vpn = a.rtl_vpn(op->vpn);
		io.lookup_valid = 1;
		io.lookup_vpn = vpn;
		io.lookup_pcid = op->pcid;
		io.lookup_pge = op->pge;
		io.lookup_write = op->write;
		a.eval();
		bool hit = op->way >= 0;
		const tlb_entry *e = hit ? &t->entries[(size_t)op->set * t->ways + (unsigned)op->way] : nullptr;
		bool same = io.hit == hit && !io.multi_hit &&
		            (!hit || ((int)io.hit_way == op->way && io.hit_pfn == e->pfn && io.hit_perm == e->perm &&
		                      io.hit_dirty == e->dirty && io.needs_walk == (op->write && !e->dirty)));
		if (!same)
			std::snprintf(buf, sizeof buf,
			              "lookup vpn 0x%" PRIx64 " pcid %u pge %d write %d: C hit %d way %d pfn 0x%" PRIx64
			              " perm %u dirty %d; RTL hit %d way %u pfn 0x%" PRIx64 " perm %u dirty %d multi-hit %d",
			              op->vpn, op->pcid, op->pge, op->write, hit, op->way, hit ? e->pfn : 0,
			              hit ? e->perm : 0u, hit ? e->dirty : 0, io.hit, io.hit_way, io.hit_pfn, io.hit_perm,
			              io.hit_dirty, io.multi_hit);
		break;
	}
	case TLB_OP_FILL: {
		const tlb_entry &f = *op->fill;
		vpn = a.rtl_vpn(f.vpn);
		io.fill_valid = 1;
		io.fill_vpn = vpn;
		io.fill_pcid = f.pcid;
		io.fill_global = f.global;
		io.fill_perm = f.perm;
		io.fill_dirty = f.dirty;
		io.fill_pfn = f.pfn;
		if (self->injects(a))
			io.fill_pfn ^= 1;   // test only: one PFN bit wrong
		a.eval();
		if ((int)io.fill_way != op->way || !io.fill_ready)
			std::snprintf(buf, sizeof buf,
			              "fill vpn 0x%" PRIx64 " pcid %u global %d: C writes way %d, RTL way %u (ready %d)", f.vpn,
			              f.pcid, f.global, op->way, io.fill_way, io.fill_ready);
		break;
	}
	default:
		vpn = a.rtl_vpn(op->va >> a.shift);
		io.inv_valid = 1;
		io.inv_pcid = op->pcid;
		io.inv_vpn = vpn;
		io.inv_op = (uint8_t)TLB_INV_CODE(op->kind);   // hw/tlb.h: the RTL's code
		a.eval();
		break;
	}
	self->finish_op(a, op, vpn, buf, sizeof buf, "array");
}

// The end of every operation of either kind: the recoding's promise
// (array_base: the RTL's set is the C array's, for a lookup or a fill),
// then the report of what differed, or the state change and the count.
void cosim::finish_op(array_base &a, const tlb_op *op, uint64_t rtl_vpn, char *buf, size_t len,
                      const char *c_side)
{
	uint64_t rtl_set = rtl_vpn & ((1ull << a.set_w) - 1);
	if (!buf[0] && (op->kind == TLB_OP_LOOKUP || op->kind == TLB_OP_FILL) && rtl_set != (uint64_t)op->set)
		std::snprintf(buf, len, "the RTL's set %" PRIu64 " is not the C %s's, %d", rtl_set, c_side, op->set);
	if (buf[0]) {
		report(a, op->kind, sim_cpu_clock(s_, a.cpu), s_->rec.line, buf);
		return;
	}
	a.edge();   // the operation's state change
	compared_[a.which]++;
}

// A PSC operation: as on_op, through tlb_psc's ports (a key for the VPN,
// no global, PGE, write or D).
void cosim::on_psc_op(void *ctx, const tlb *t, const tlb_op *op)
{
	array_base &a = *static_cast<array_base *>(ctx);
	cosim *self = a.owner;
	if (self->failed_)
		return;
	self->ops_++;
	mmusim_rtl_psc_io &io = a.pio;
	io.lookup_valid = io.fill_valid = io.inv_valid = 0;
	char buf[400];
	buf[0] = 0;
	uint64_t key = 0;
	switch (op->kind) {
	case TLB_OP_LOOKUP: {
		key = a.rtl_vpn(op->vpn);
		io.lookup_valid = 1;
		io.lookup_key = key;
		io.lookup_pcid = op->pcid;
		a.eval();
		bool hit = op->way >= 0;
		const tlb_entry *e = hit ? &t->entries[(size_t)op->set * t->ways + (unsigned)op->way] : nullptr;
		// walker.c looks a PSC up without PGE and not as a write
		bool same = !op->pge && !op->write && io.hit == hit && !io.multi_hit &&
		            (!hit || ((int)io.hit_way == op->way && io.hit_pfn == e->pfn && io.hit_perm == e->perm));
		if (!same)
			std::snprintf(buf, sizeof buf,
			              "lookup key 0x%" PRIx64 " pcid %u pge %d write %d: C hit %d way %d pfn 0x%" PRIx64
			              " perm %u; RTL hit %d way %u pfn 0x%" PRIx64 " perm %u multi-hit %d",
			              op->vpn, op->pcid, op->pge, op->write, hit, op->way, hit ? e->pfn : 0, hit ? e->perm : 0u,
			              io.hit, io.hit_way, io.hit_pfn, io.hit_perm, io.multi_hit);
		break;
	}
	case TLB_OP_FILL: {
		const tlb_entry &f = *op->fill;
		key = a.rtl_vpn(f.vpn);
		io.fill_valid = 1;
		io.fill_key = key;
		io.fill_pcid = f.pcid;
		io.fill_perm = f.perm;
		io.fill_pfn = f.pfn;
		if (self->injects(a))
			io.fill_pfn ^= 1;   // test only: one PFN bit wrong
		a.eval();
		if (f.global || (int)io.fill_way != op->way || !io.fill_ready)
			std::snprintf(buf, sizeof buf,
			              "fill key 0x%" PRIx64 " pcid %u global %d: C writes way %d, RTL way %u (ready %d)%s", f.vpn,
			              f.pcid, f.global, op->way, io.fill_way, io.fill_ready,
			              f.global ? "; a PSC entry is never global" : "");
		break;
	}
	default:
		key = a.rtl_vpn(op->va >> a.shift);
		io.inv_valid = 1;
		io.inv_pcid = op->pcid;
		io.inv_key = key;
		io.inv_op = (uint8_t)TLB_INV_CODE(op->kind);   // hw/tlb.h: the RTL's code
		a.eval();
		break;
	}
	self->finish_op(a, op, key, buf, sizeof buf, "cache");
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
