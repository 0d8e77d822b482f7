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
//     paging-structure accesses.  The component installs itself as its
//     mmu's paging-structure port (hw/mmu.h pt_port), so every entry a
//     walk reads is a TLM_READ_COMMAND b_transport on this socket, made
//     while the walk runs, and the 8 bytes that come back in the payload
//     are the entry the walker uses; every A/D update is a
//     TLM_WRITE_COMMAND carrying the new entry.  The checker's reads
//     (mmu_probe: is a TLB hit still what the tables say, asked after a
//     CR3 write) are transport_dbg calls on the same socket: untimed, not
//     walk accesses.  The walker never reads the machine's phys_mem.
//
// Timing style: loosely timed.  b_transport never waits; the translation
// starts at sc_time_stamp() + delay (1 cycle = 1 ns), the C model
// (mmu_translate, hw/mmu.h) computes it, and delay grows by its cycles.
// Each PTE access goes out at the time its step starts (the delay of the
// translation plus the cycles of the walk before it); a pte_extension
// carries that step's latency from the C model's cache path, which the
// memory target adds to the delay, so the delay coming back is the step's
// completion cycle (the MMU reports an error otherwise: the timing is the
// C model's, the memory target supplies the values).  A quantum keeper in
// the initiator is the intended use.
//
// Behaviour and timing come only from the C model's hw layer: the
// component owns an `mmu` built with mmu_init on a machine_shared (the
// LLC its walks' lines go through, shared by the machine's MMUs) that the
// platform provides (machine_memory below builds one).  The page tables
// are wherever the memory target behind walk_socket keeps them: the
// platform's own memory (examples/tlm-platform), or a phys_mem served by
// pt_memory_tlm.
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
#include <exception>
#include <vector>

extern "C" {
#include "base/config.h"
#include "base/phys.h"
#include "base/stats.h"
#include "hw/mmu.h"
}

namespace mmusim_sc {

// The LLC one machine's MMUs share and a physical memory, built from the
// configuration (mem.size, cache.llc.*): `sh` is what every mmu_tlm of the
// platform is given.  An mmu_tlm's walks do not read `pm`: they go to its
// walk_socket.  `pm` is storage a platform may put behind that socket
// (pt_memory_tlm(name, &pm)) and write its page tables into.
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
	unsigned pte_accesses = 0;     // b_transports on walk_socket (reads and A/D writes)

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
	// the paging-structure port (hw/mmu.h pt_port) the walker calls
	static uint64_t port_read(void *ctx, const pt_access *a);
	static void port_write(void *ctx, const pt_access *a, uint64_t value);
	static uint64_t port_peek(void *ctx, uint64_t pa);
	uint64_t walk_access(const pt_access &a, uint64_t value);
	sc_core::sc_time cycles(uint64_t n) const
	{
		return sc_core::sc_time::from_value(n * cycle_value_);
	}

	mmu m_;
	cpu_stats st_{};
	latency_hist *hist_;
	uint64_t cycle_value_;
	pt_port port_;
	// the translation in progress: its start cycle and the delay it came
	// with (the time of cycle start_), and what its walk did on the socket
	uint64_t start_ = 0;
	sc_core::sc_time delay_in_;
	unsigned sent_ = 0;
	const char *walk_error_ = nullptr;   // reported once the C model returns
	std::exception_ptr thrown_;          // rethrown then: never unwound through C
	// one payload reused for every PTE access: no allocation per access
	tlm::tlm_generic_payload pte_gp_;
	pte_extension *pte_ext_;
	uint64_t pte_data_ = 0;
	tlm::tlm_generic_payload dbg_gp_;    // the checker's transport_dbg
	uint64_t dbg_data_ = 0;
};

// A memory behind walk_socket that keeps the page tables in a phys_mem:
// serves reads from it (phys_read64) and writes to it; adds each access's
// latency from its pte_extension; answers transport_dbg (the checker).
// Keeps a log of what it saw (for tests and tools).
class pt_memory_tlm : public sc_core::sc_module {
public:
	struct access {
		uint64_t addr;
		bool write;
		uint64_t value;
		sc_core::sc_time issued, completed;   // annotated delay in and out
	};
	tlm_utils::simple_target_socket<pt_memory_tlm> socket;
	std::vector<access> log;          // the b_transports
	unsigned long debug_reads = 0;    // the transport_dbg reads (not logged)

	pt_memory_tlm(sc_core::sc_module_name name, phys_mem *pm);

private:
	void b_transport(tlm::tlm_generic_payload &gp, sc_core::sc_time &delay);
	unsigned transport_dbg(tlm::tlm_generic_payload &gp);
	phys_mem *pm_;
};

} // namespace mmusim_sc

#endif
