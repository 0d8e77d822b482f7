// sc/cosim.cpp - mmusim --mode cosim: the L1 DTLB arrays of every CPU run
// in the Verilated RTL (rtl/tlb_array.sv) beside the C arrays.  Every
// operation the C array performs (lookup, fill, each invalidation) reaches
// the RTL through the array's tlb_op_hook in the same step, one clock cycle
// per operation, and every answer (hit, way, PFN, rights, D, needs-walk,
// the way a fill writes) is compared.  The first mismatch stops the run
// with a report and exit status 1.  Timing and statistics still come from
// the C engine, so they equal fast mode's.
#include "sc/cosim.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "verilated.h"

#include "Vl1d4k_lru.h"
#include "Vl1d4k_plru.h"
#include "Vl1d2m_lru.h"
#include "Vl1d2m_plru.h"
#include "Vl1d1g_lru.h"
#include "Vl1d1g_plru.h"

namespace mmusim_sc {

namespace {

// Invalidation encodings of tlb_array.sv
enum { INV_FLUSH_PCID = 0, INV_INVLPG = 1, INV_INVPCID_ADDR = 2, INV_FLUSH_ALL = 3,
       INV_FLUSH_NONGLOBAL = 4 };

struct rtl_array {
	virtual ~rtl_array() = default;
	// Applies op to the RTL; returns "" or a description of the mismatch.
	virtual std::string apply(const tlb *t, const tlb_op *op) = 0;
};

// One Verilated array; vpn_bits: the RTL's VPN width (canonical addresses
// make the C model's wider VPN a sign extension of these bits).
template <class Top> class rtl_twin : public rtl_array {
public:
	rtl_twin(VerilatedContext *ctx, unsigned shift, unsigned vpn_bits)
	    : top_(new Top(ctx)), shift_(shift), mask_(vpn_bits >= 64 ? ~0ull : (1ull << vpn_bits) - 1)
	{
		idle();
		// a real falling edge of rst_ni (a fresh model starts at 0) and a
		// clock during reset, or the LRU ages keep their zero start values
		top_->clk_i = 0;
		top_->rst_ni = 1;
		top_->eval();
		top_->rst_ni = 0;
		top_->eval();
		top_->clk_i = 1;
		top_->eval();
		top_->clk_i = 0;
		top_->rst_ni = 1;
		top_->eval();
	}

	std::string apply(const tlb *t, const tlb_op *op) override
	{
		char buf[400];
		idle();
		switch (op->kind) {
		case TLB_OP_LOOKUP: {
			top_->lookup_valid_i = 1;
			top_->lookup_vpn_i = op->vpn & mask_;
			top_->lookup_pcid_i = op->pcid;
			top_->lookup_pge_i = op->pge;
			top_->lookup_write_i = op->write;
			top_->eval();
			bool hit = op->way >= 0;
			const tlb_entry *e = hit ? &t->entries[(size_t)op->set * t->ways + (unsigned)op->way] : nullptr;
			bool same = top_->hit_o == hit && !top_->multi_hit_o &&
			            (!hit || (top_->hit_way_o == (unsigned)op->way && top_->hit_pfn_o == e->pfn &&
			                      top_->hit_perm_o == e->perm && top_->hit_dirty_o == e->dirty &&
			                      top_->needs_walk_o == (op->write && !e->dirty)));
			if (!same) {
				std::snprintf(buf, sizeof buf,
				              "lookup vpn 0x%" PRIx64 " pcid %u pge %d write %d: C hit %d way %d pfn 0x%" PRIx64
				              " perm %u dirty %d; RTL hit %d way %u pfn 0x%" PRIx64 " perm %u dirty %d multi-hit %d",
				              op->vpn, op->pcid, op->pge, op->write, hit, op->way, hit ? e->pfn : 0,
				              hit ? e->perm : 0u, hit ? e->dirty : 0, (int)top_->hit_o,
				              (unsigned)top_->hit_way_o, (uint64_t)top_->hit_pfn_o,
				              (unsigned)top_->hit_perm_o, (int)top_->hit_dirty_o, (int)top_->multi_hit_o);
				return buf;
			}
			break;
		}
		case TLB_OP_FILL: {
			const tlb_entry *n = op->fill;
			top_->fill_valid_i = 1;
			top_->fill_vpn_i = n->vpn & mask_;
			top_->fill_pcid_i = n->pcid;
			top_->fill_global_i = n->global;
			top_->fill_perm_i = n->perm;
			top_->fill_dirty_i = n->dirty;
			top_->fill_pfn_i = n->pfn;
			top_->eval();
			if (top_->fill_way_o != (unsigned)op->way) {
				std::snprintf(buf, sizeof buf, "fill vpn 0x%" PRIx64 " pcid %u global %d: C writes way %d, RTL way %u",
				              n->vpn, n->pcid, n->global, op->way, (unsigned)top_->fill_way_o);
				return buf;
			}
			break;
		}
		default:
			top_->inv_valid_i = 1;
			top_->inv_pcid_i = op->pcid;
			top_->inv_vpn_i = (op->va >> shift_) & mask_;
			top_->inv_op_i = op->kind == TLB_OP_FLUSH_PCID ? INV_FLUSH_PCID
			                 : op->kind == TLB_OP_INVLPG ? INV_INVLPG
			                 : op->kind == TLB_OP_INVPCID_ADDR ? INV_INVPCID_ADDR
			                 : op->kind == TLB_OP_FLUSH_ALL ? INV_FLUSH_ALL : INV_FLUSH_NONGLOBAL;
			break;
		}
		top_->eval();
		top_->clk_i = 1;   // the operation's state change
		top_->eval();
		top_->clk_i = 0;
		top_->eval();
		return "";
	}

private:
	void idle()
	{
		top_->lookup_valid_i = 0;
		top_->fill_valid_i = 0;
		top_->inv_valid_i = 0;
	}
	std::unique_ptr<Top> top_;
	unsigned shift_;
	uint64_t mask_;
};

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

} // namespace

struct cosim::shadow {
	cosim *owner;
	unsigned cpu;
	const char *array;
	std::unique_ptr<rtl_array> rtl;
};

cosim::cosim(sim *s) : s_(s), ctx_(new VerilatedContext)
{
	// Test only: MMUSIM_COSIM_INJECT=N gives the RTL a wrong PFN in the
	// first fill at or after operation N, to prove mismatches are caught.
	const char *inject = std::getenv("MMUSIM_COSIM_INJECT");
	inject_at_ = inject ? std::strtoull(inject, nullptr, 10) : 0;
}

cosim::~cosim()
{
	for (auto &sh : shadows_) {
		tlb *t = sh->owner->array_of(sh->cpu, sh->array);
		if (t)
			t->hook = nullptr;
	}
}

tlb *cosim::array_of(unsigned cpu, const char *name)
{
	mmu *m = &s_->k.cpu[cpu].hw;
	for (int i = 0; i < 3; i++)
		if (m->l1d[i].name == name)
			return &m->l1d[i];
	return nullptr;
}

// Only the built geometries: the default L1 DTLB (4K 16x4, 2M 8x4, 1G 1x4).
bool cosim::attach()
{
	const config &c = s_->cfg;
	if (c.v[K_L1D4K_ENTRIES] != 64 || c.v[K_L1D4K_WAYS] != 4 || c.v[K_L1D2M_ENTRIES] != 32 ||
	    c.v[K_L1D2M_WAYS] != 4 || c.v[K_L1D1G_ENTRIES] != 4 || c.v[K_L1D1G_WAYS] != 4) {
		std::snprintf(s_->err, sizeof s_->err,
		              "mmusim: error: --mode cosim has Verilated L1 DTLBs of the default geometry only "
		              "(tlb.l1d.4k 64x4, tlb.l1d.2m 32x4, tlb.l1d.1g 4x4)");
		return false;
	}
	bool plru = c.v[K_REPLACEMENT] != 0;
	for (unsigned cpu = 0; cpu < s_->ncpus; cpu++) {
		mmu *m = &s_->k.cpu[cpu].hw;
		for (int i = 0; i < 3; i++) {
			std::unique_ptr<shadow> sh(new shadow{ this, cpu, m->l1d[i].name, nullptr });
			VerilatedContext *ctx = ctx_.get();
			// VPN widths for canonical 57-bit addresses: 45, 36, 27 bits
			if (i == 0)
				sh->rtl.reset(plru ? (rtl_array *)new rtl_twin<Vl1d4k_plru>(ctx, 12, 45)
				                   : new rtl_twin<Vl1d4k_lru>(ctx, 12, 45));
			else if (i == 1)
				sh->rtl.reset(plru ? (rtl_array *)new rtl_twin<Vl1d2m_plru>(ctx, 21, 36)
				                   : new rtl_twin<Vl1d2m_lru>(ctx, 21, 36));
			else
				sh->rtl.reset(plru ? (rtl_array *)new rtl_twin<Vl1d1g_plru>(ctx, 30, 27)
				                   : new rtl_twin<Vl1d1g_lru>(ctx, 30, 27));
			m->l1d[i].hook = &cosim::on_op;
			m->l1d[i].hook_ctx = sh.get();
			shadows_.push_back(std::move(sh));
		}
	}
	return true;
}

void cosim::on_op(void *ctx, const tlb *t, const tlb_op *op)
{
	shadow *sh = static_cast<shadow *>(ctx);
	cosim *self = sh->owner;
	if (self->failed_)
		return;
	self->ops_++;
	tlb_op corrupted;
	tlb_entry wrong;
	if (op->kind == TLB_OP_FILL && self->ops_ >= self->inject_at_ && self->inject_at_) {
		/* test only: the RTL gets a fill with one PFN bit flipped */
		self->inject_at_ = 0;
		wrong = *op->fill;
		wrong.pfn ^= 1;
		corrupted = *op;
		corrupted.fill = &wrong;
		op = &corrupted;
	}
	std::string bad = sh->rtl->apply(t, op);
	if (bad.empty())
		return;
	sim *s = self->s_;
	self->failed_ = true;
	std::snprintf(s->err, sizeof s->err,
	              "mmusim: co-simulation mismatch at cycle %llu (trace line %llu), CPU %u, %s, %s: %s",
	              (unsigned long long)s->k.cpu[sh->cpu].clock, (unsigned long long)s->rec.line, sh->cpu,
	              sh->array, op_name(op->kind), bad.c_str());
	s->exit_code = EXIT_CHECK;
}

} // namespace mmusim_sc
