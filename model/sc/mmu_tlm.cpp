// sc/mmu_tlm.cpp - see mmu_tlm.h.
#include "sc/mmu_tlm.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

namespace mmusim_sc {

using sc_core::sc_time;

machine_memory::machine_memory(const config &cfg)
{
	if (phys_init(&pm, cfg.v[K_MEM_SIZE]))
		throw std::runtime_error("mem.size: below 144 MiB or not a multiple of 2 MiB");
	if (cache_init(&sh.llc, cfg.v[K_LLC_SIZE], (unsigned)cfg.v[K_LLC_WAYS],
	               (unsigned)cfg.v[K_LAT_LLC], cfg.v[K_MEM_SIZE])) {
		phys_free(&pm);
		throw std::runtime_error("impossible geometry for cache.llc.size");
	}
	sh.pm = &pm;
}

machine_memory::~machine_memory()
{
	cache_free(&sh.llc);
	phys_free(&pm);
}

mmu_tlm::mmu_tlm(sc_core::sc_module_name name, unsigned cpu, const config &cfg,
                 machine_shared *sh)
	: sc_core::sc_module(name), xlate_socket("xlate_socket"), walk_socket("walk_socket"),
	  cycle_value_(sc_time(1, sc_core::SC_NS).value())
{
	hist_ = static_cast<latency_hist *>(std::calloc(1, sizeof *hist_));
	if (!hist_)
		throw std::bad_alloc();
	char err[256];
	if (mmu_init(&m_, cpu, &cfg, sh, &st_, hist_, err, sizeof err)) {
		std::free(hist_);
		throw std::runtime_error(err);
	}
	xlate_socket.register_b_transport(this, &mmu_tlm::b_transport);
	port_ = pt_port{&mmu_tlm::port_read, &mmu_tlm::port_write, &mmu_tlm::port_peek, this};
	mmu_set_pt_port(&m_, &port_);   // every walk access goes to walk_socket
	pte_ext_ = new pte_extension;
	pte_gp_.set_extension(pte_ext_);   // the payload owns it from here
	pte_gp_.set_data_ptr(reinterpret_cast<unsigned char *>(&pte_data_));
	pte_gp_.set_data_length(8);
	pte_gp_.set_streaming_width(8);
	pte_gp_.set_byte_enable_ptr(nullptr);
	pte_gp_.set_dmi_allowed(false);
	dbg_gp_.set_command(tlm::TLM_READ_COMMAND);
	dbg_gp_.set_data_ptr(reinterpret_cast<unsigned char *>(&dbg_data_));
	dbg_gp_.set_data_length(8);
	dbg_gp_.set_streaming_width(8);
	dbg_gp_.set_byte_enable_ptr(nullptr);
}

mmu_tlm::~mmu_tlm()
{
	mmu_free(&m_);
	std::free(hist_);
}

void mmu_tlm::b_transport(tlm::tlm_generic_payload &gp, sc_time &delay)
{
	xlate_extension *x = nullptr;
	gp.get_extension(x);
	tlm::tlm_command cmd = gp.get_command();
	enum access_kind kind = x ? x->kind : cmd == tlm::TLM_WRITE_COMMAND ? ACC_WRITE : ACC_READ;
	bool user = x ? x->user : true;
	if (cmd == tlm::TLM_IGNORE_COMMAND || (cmd == tlm::TLM_WRITE_COMMAND) != (kind == ACC_WRITE)) {
		gp.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
		return;
	}
	if (gp.get_data_length() < 8 || !gp.get_data_ptr()) {
		gp.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
		return;
	}
	if (x && (x->cpu != m_.id || x->pcid != mmu_pcid(&m_))) {
		gp.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
		return;
	}
	uint64_t start = (sc_core::sc_time_stamp() + delay).value() / cycle_value_;
	start_ = start;
	delay_in_ = delay;
	sent_ = 0;
	walk_error_ = nullptr;
	xlate_result r;
	mmu_translate(&m_, gp.get_address(), kind, user, start, &r);   // walks call port_*
	if (thrown_) {
		std::exception_ptr e = thrown_;
		thrown_ = nullptr;
		std::rethrow_exception(e);
	}
	if (walk_error_)
		SC_REPORT_ERROR(name(), walk_error_);
	unsigned accesses = sent_;
	if (x) {
		x->fault = r.fault;
		x->pf_error = r.pf_error;
		x->pa = r.fault == XF_NONE ? r.pa : 0;
		x->start = start;
		x->cycles = r.end - r.start;
		x->level = r.level;
		x->pte_accesses = accesses;
	}
	delay += cycles(r.end - r.start);
	if (r.fault != XF_NONE) {
		gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
		return;
	}
	std::memcpy(gp.get_data_ptr(), &r.pa, 8);   // x86-64: little-endian host and target
	gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

// The walker's accesses (hw/mmu.h pt_port): each a b_transport on
// walk_socket, sent at the cycle its step starts and annotated with its
// latency; a read's value is the payload's data when it returns.  Called
// from inside the C model (mmu_translate), so nothing is thrown through
// it: an exception is kept for b_transport to rethrow, a disagreement of
// the memory target is reported there, and the walker gets 0 (not
// present) for a read that did not complete.
uint64_t mmu_tlm::walk_access(const pt_access &a, uint64_t value)
{
	pte_ext_->cpu = m_.id;
	pte_ext_->level = a.level;
	pte_ext_->src = a.src;
	pte_ext_->latency = a.done - a.issue;
	pte_gp_.set_command(a.write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
	pte_gp_.set_address(a.pa);
	pte_gp_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
	pte_data_ = value;   // a write's entry; a read's buffer
	sc_time d = delay_in_ + cycles(a.issue - start_);
	sent_++;
	try {
		walk_socket->b_transport(pte_gp_, d);
	} catch (...) {
		if (!thrown_)
			thrown_ = std::current_exception();
		return 0;
	}
	if (pte_gp_.is_response_error()) {
		walk_error_ = "the memory target refused a paging-structure access";
		return 0;
	}
	if (d != delay_in_ + cycles(a.done - start_) && !walk_error_)
		walk_error_ = "the memory target disagrees with the walk timeline";
	return pte_data_;
}

uint64_t mmu_tlm::port_read(void *ctx, const pt_access *a)
{
	return static_cast<mmu_tlm *>(ctx)->walk_access(*a, 0);
}

void mmu_tlm::port_write(void *ctx, const pt_access *a, uint64_t value)
{
	static_cast<mmu_tlm *>(ctx)->walk_access(*a, value);
}

// The checker's read (mmu_probe): transport_dbg, no time, no side effect.
uint64_t mmu_tlm::port_peek(void *ctx, uint64_t pa)
{
	mmu_tlm *self = static_cast<mmu_tlm *>(ctx);
	self->dbg_gp_.set_address(pa);
	self->dbg_gp_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
	self->dbg_data_ = 0;
	unsigned n = 0;
	try {
		n = self->walk_socket->transport_dbg(self->dbg_gp_);
	} catch (...) {
		if (!self->thrown_)
			self->thrown_ = std::current_exception();
		return 0;
	}
	if (n != 8 && !self->walk_error_)
		self->walk_error_ = "the memory target answers no transport_dbg read "
		                    "(the checker reads the page tables with it)";
	return n == 8 ? self->dbg_data_ : 0;
}

pt_memory_tlm::pt_memory_tlm(sc_core::sc_module_name name, phys_mem *pm)
	: sc_core::sc_module(name), socket("socket"), pm_(pm)
{
	socket.register_b_transport(this, &pt_memory_tlm::b_transport);
	socket.register_transport_dbg(this, &pt_memory_tlm::transport_dbg);
}

void pt_memory_tlm::b_transport(tlm::tlm_generic_payload &gp, sc_time &delay)
{
	uint64_t addr = gp.get_address();
	if (gp.get_data_length() != 8 || (addr & 7) || addr >= pm_->size) {
		gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
		return;
	}
	uint64_t value;
	bool write = gp.is_write();
	if (write) {
		std::memcpy(&value, gp.get_data_ptr(), 8);
		phys_write64(pm_, addr, value);
	} else {
		value = phys_read64(pm_, addr);
		std::memcpy(gp.get_data_ptr(), &value, 8);
	}
	sc_time issued = delay;
	pte_extension *e = nullptr;
	gp.get_extension(e);
	if (e)
		delay += sc_time(1, sc_core::SC_NS) * (double)e->latency;
	log.push_back(access{addr, write, value, issued, delay});
	gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned pt_memory_tlm::transport_dbg(tlm::tlm_generic_payload &gp)
{
	uint64_t addr = gp.get_address();
	if (gp.get_data_length() != 8 || (addr & 7) || addr >= pm_->size || gp.is_write())
		return 0;
	uint64_t value = phys_read64(pm_, addr);
	std::memcpy(gp.get_data_ptr(), &value, 8);
	debug_reads++;
	gp.set_response_status(tlm::TLM_OK_RESPONSE);
	return 8;
}

} // namespace mmusim_sc
