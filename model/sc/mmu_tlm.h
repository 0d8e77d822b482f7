// sc/mmu_tlm.h - the MMU of one CPU as a TLM-2.0 component, so it drops
// into a SystemC virtual platform.
//
//   xlate_socket (tlm_utils::simple_target_socket): translation requests.
//     A generic payload whose address is the virtual address, command read
//     or write, and an xlate_extension with the access kind (r/w/x), the
//     mode (user/kernel), the CPU and the PCID the initiator expects to be
//     loaded.  The 8-byte data buffer receives the physical address.
//     Response: TLM_OK_RESPONSE, or TLM_ADDRESS_ERROR_RESPONSE for a #PF
//     or #GP (the extension says which, with the #PF error code);
//     TLM_COMMAND_ERROR_RESPONSE for a command that contradicts the kind,
//     TLM_GENERIC_ERROR_RESPONSE for a CPU or PCID that is not loaded.
//   walk_socket (tlm_utils::simple_initiator_socket): the walker's
//     paging-structure accesses (reads, and the locked A/D writes), taken
//     from the translation's walk timeline and sent to the memory target
//     (pt_memory_tlm) after the translation.
//
// Timing style: loosely timed.  b_transport never waits; the translation
// starts at sc_time_stamp() + delay (1 cycle = 1 ns), the C model
// (mmu_translate, hw/mmu.h) computes it, and delay grows by its cycles.
// Each PTE access goes out annotated with the time its step started; a
// pte_extension carries that step's latency from the C model's cache
// path, which the memory target adds to the delay, so the delay coming
// back is the step's completion cycle.  A quantum keeper in the initiator
// is the intended use.
//
// Behaviour and timing come only from the C model's hw layer: the
// component owns an `mmu` built with mmu_init on a machine_shared (physical
// memory, LLC) that the platform provides (machine_memory below builds
// one).  The walker reads the entries from that physical memory itself;
// walk_socket carries the same accesses, in order and in time, so the
// platform's memory target must serve that same memory (pt_memory_tlm
// does, and so does examples/tlm-platform's).
//
// Installed (cmake --install, docs/tlm-platform.md) with the C model
// headers it includes under include/mmusim/; a platform includes
// <mmusim/sc/mmu_tlm.h> and links mmusim::systemc (CMake) or
// mmusim-systemc (pkg-config).
#ifndef MMUSIM_SC_MMU_TLM_H
#define MMUSIM_SC_MMU_TLM_H

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <vector>

extern "C" {
#include "base/config.h"
#include "base/phys.h"
#include "base/stats.h"
#include "hw/mmu.h"
}

namespace mmusim_sc {

// The physical memory and LLC one machine's MMUs share, built from the
// configuration (mem.size, cache.llc.*): what every mmu_tlm of the
// platform is given, and the memory its walks read.  Page tables are
// written into `pm` (phys_write64, or a memory target's writes).
struct machine_memory {
	phys_mem pm;
	machine_shared sh{};

	// Throws std::runtime_error when memory or the LLC cannot be built.
	explicit machine_memory(const config &cfg);
	~machine_memory();
	machine_memory(const machine_memory &) = delete;
	machine_memory &operator=(const machine_memory &) = delete;
};

// Request and response of one translation.
struct xlate_extension : tlm::tlm_extension<xlate_extension> {
	// request
	enum access_kind kind = ACC_READ;
	bool user = true;
	unsigned cpu = 0;
	uint16_t pcid = 0;
	// response
	enum xlate_fault fault = XF_NONE;
	uint32_t pf_error = 0;
	uint64_t pa = 0;
	uint64_t start = 0;            // cycle the translation started
	uint64_t cycles = 0;           // its latency
	enum xlate_level level = XL_L1;
	unsigned pte_accesses = 0;     // sent on walk_socket

	tlm::tlm_extension_base *clone() const override { return new xlate_extension(*this); }
	void copy_from(const tlm::tlm_extension_base &e) override
	{
		*this = static_cast<const xlate_extension &>(e);
	}
};

// One paging-structure access of a walk, on walk_socket.
struct pte_extension : tlm::tlm_extension<pte_extension> {
	unsigned cpu = 0, level = 0;
	unsigned src = 0;              // enum mem_source: where the cache model found it
	uint64_t latency = 0;          // cycles, from the C model

	tlm::tlm_extension_base *clone() const override { return new pte_extension(*this); }
	void copy_from(const tlm::tlm_extension_base &e) override
	{
		*this = static_cast<const pte_extension &>(e);
	}
};

class mmu_tlm : public sc_core::sc_module {
public:
	tlm_utils::simple_target_socket<mmu_tlm> xlate_socket;
	tlm_utils::simple_initiator_socket<mmu_tlm> walk_socket;

	// Throws std::runtime_error when the configuration cannot build an MMU.
	mmu_tlm(sc_core::sc_module_name name, unsigned cpu, const config &cfg, machine_shared *sh);
	~mmu_tlm() override;

	// Architectural operations (hw/mmu.h); each returns its cycles.
	unsigned write_cr3(uint64_t value) { return mmu_write_cr3(&m_, value); }
	unsigned write_cr4(uint64_t value) { return mmu_write_cr4(&m_, value); }
	unsigned invlpg(uint64_t va) { return mmu_invlpg(&m_, va); }
	const cpu_stats &stats() const { return st_; }

private:
	void b_transport(tlm::tlm_generic_payload &gp, sc_core::sc_time &delay);
	unsigned send_walk(const xlate_result &r, const sc_core::sc_time &delay);
	sc_core::sc_time cycles(uint64_t n) const
	{
		return sc_core::sc_time::from_value(n * cycle_value_);
	}

	mmu m_;
	cpu_stats st_{};
	latency_hist *hist_;
	uint64_t cycle_value_;
	// one payload reused for every PTE access: no allocation per access
	tlm::tlm_generic_payload pte_gp_;
	pte_extension *pte_ext_;
	uint64_t pte_data_ = 0;
};

// The memory behind walk_socket: serves reads from simulated physical
// memory (phys_read64) and writes to it; adds each access's latency from
// its pte_extension.  Keeps a log of what it saw (for tests and tools).
class pt_memory_tlm : public sc_core::sc_module {
public:
	struct access {
		uint64_t addr;
		bool write;
		uint64_t value;
		sc_core::sc_time issued, completed;   // annotated delay in and out
	};
	tlm_utils::simple_target_socket<pt_memory_tlm> socket;
	std::vector<access> log;

	pt_memory_tlm(sc_core::sc_module_name name, phys_mem *pm);

private:
	void b_transport(tlm::tlm_generic_payload &gp, sc_core::sc_time &delay);
	phys_mem *pm_;
};

} // namespace mmusim_sc

#endif
