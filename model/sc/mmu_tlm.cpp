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
	pte_ext_ = new pte_extension;
	pte_gp_.set_extension(pte_ext_);   // the payload owns it from here
	pte_gp_.set_data_ptr(reinterpret_cast<unsigned char *>(&pte_data_));
	pte_gp_.set_data_length(8);
	pte_gp_.set_streaming_width(8);
	pte_gp_.set_byte_enable_ptr(nullptr);
	pte_gp_.set_dmi_allowed(false);
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
	xlate_result r;
	mmu_translate(&m_, gp.get_address(), kind, user, start, &r);
	unsigned accesses = send_walk(r, delay);
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

// Replays the walk's paging-structure accesses on walk_socket, each sent
// at the cycle its step started and annotated with its latency.
unsigned mmu_tlm::send_walk(const xlate_result &r, const sc_time &delay)
{
	if (!r.walked)
		return 0;
	unsigned sent = 0;
	uint64_t from = r.walk_start;
	for (unsigned i = 0; i < r.nsteps; i++) {
		const walk_step &st = r.steps[i];
		if (st.pte_pa) {   // 0: a paging-structure-cache hit, no memory access
			pte_ext_->cpu = m_.id;
			pte_ext_->level = st.level;
			pte_ext_->src = st.src;
			pte_ext_->latency = st.cycle - from;
			pte_gp_.set_command(st.write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
			pte_gp_.set_address(st.pte_pa);
			pte_gp_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
			pte_data_ = phys_read64(m_.sh->pm, st.pte_pa);   // what the walk left there
			sc_time d = delay + cycles(from - r.start);
			walk_socket->b_transport(pte_gp_, d);
			if (pte_gp_.is_response_error() || d != delay + cycles(st.cycle - r.start))
				SC_REPORT_ERROR(name(), "the memory target disagrees with the walk timeline");
			sent++;
		}
		from = st.cycle;
	}
	return sent;
}

pt_memory_tlm::pt_memory_tlm(sc_core::sc_module_name name, phys_mem *pm)
	: sc_core::sc_module(name), socket("socket"), pm_(pm)
{
	socket.register_b_transport(this, &pt_memory_tlm::b_transport);
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

} // namespace mmusim_sc
