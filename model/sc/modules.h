// sc/modules.h - the SystemC side of one simulated machine: a module per
// CPU's MMU, the IPI interconnect between the CPUs and the memory side the
// page walkers read from.  Each exposes its state as sc_signals; the
// replay driver (replay.h) writes them at the cycles the C engine reported,
// so they hold no behaviour of their own: the C model is the only source
// of behaviour and timing.  Time: 1 cycle = 1 ns of SystemC time.
#ifndef MMUSIM_SC_MODULES_H
#define MMUSIM_SC_MODULES_H

#include <systemc>

#include <cstdint>
#include <string>
#include <vector>

namespace mmusim_sc {

// One signal as the VCD writer sees it: scope, name, width and a reader.
struct trace_var {
	std::string scope;
	std::string name;
	unsigned width;
	const void *sig;
	uint64_t (*read)(const void *sig);
	const sc_core::sc_event *changed;
};

template <class T> uint64_t read_signal(const void *sig)
{
	return (uint64_t) static_cast<const sc_core::sc_signal<T> *>(sig)->read();
}

template <class T>
void add_var(std::vector<trace_var> &vars, const std::string &scope, const char *name,
             unsigned width, const sc_core::sc_signal<T> &s)
{
	vars.push_back(trace_var{scope, name, width, &s, &read_signal<T>, &s.value_changed_event()});
}

// A module's signals, each named once in a list of X(type, name, VCD
// width): MMUSIM_SC_SIGNALS(list) declares them and the module's collect,
// which gives them to the VCD writer in the list's order.
#define MMUSIM_SC_SIGNAL(type, name, width) sc_core::sc_signal<type> name{#name};
#define MMUSIM_SC_VAR(type, name, width) add_var(v, s, #name, width, name);
#define MMUSIM_SC_SIGNALS(list) \
	list(MMUSIM_SC_SIGNAL) \
	void collect(std::vector<trace_var> &v) const \
	{ \
		std::string s = basename(); \
		list(MMUSIM_SC_VAR) \
	}

// The MMU of one CPU, as seen from outside: what it runs, what it looks up,
// what its walker does, and running counters.
#define CPU_MMU_SIGNALS(X) \
	X(bool, clk, 1)                  /* driven only inside a VCD window */ \
	X(uint32_t, pid, 32) \
	X(bool, user_mode, 1) \
	X(uint64_t, cr3, 64)             /* with the PCID in bits 11:0 */ \
	X(uint32_t, pcid, 12) \
	X(bool, lookup_valid, 1) \
	X(uint64_t, lookup_va, 64) \
	X(uint32_t, lookup_kind, 2)      /* 0 r, 1 w, 2 x */ \
	X(bool, l1_hit, 1) \
	X(bool, stlb_hit, 1) \
	X(bool, walk_active, 1) \
	X(uint32_t, walk_level, 3)       /* 0 when idle */ \
	X(uint64_t, walk_pte_pa, 64)     /* 0 for a PSC step */ \
	X(bool, page_fault, 1) \
	X(uint64_t, fault_va, 64) \
	X(bool, ipi_sent, 1) \
	X(bool, ipi_received, 1) \
	X(bool, shootdown, 1) \
	X(uint64_t, hits, 64) \
	X(uint64_t, misses, 64) \
	X(uint64_t, walks, 64) \
	X(uint64_t, faults, 64) \
	X(uint64_t, line, 64)            /* trace line of the record it runs, from its start */

struct cpu_mmu : sc_core::sc_module {
	MMUSIM_SC_SIGNALS(CPU_MMU_SIGNALS)

	// plain copies of the counters: the driver increments these and writes
	// the signals, so it never reads a signal back within a delta cycle
	uint64_t n_hits = 0, n_misses = 0, n_walks = 0, n_faults = 0;
	unsigned ipis_in = 0;         // IPIs being handled (handled..acked)
	bool in_shootdown = false;

	explicit cpu_mmu(sc_core::sc_module_name name) : sc_core::sc_module(name) {}
};

// The interconnect that carries TLB-shootdown IPIs between CPUs: which CPU
// sent the latest one to which, and how many are between send and ack.
#define IPI_SIGNALS(X) \
	X(uint32_t, in_flight, 16) \
	X(uint32_t, last_from, 16) \
	X(uint32_t, last_to, 16) \
	X(uint64_t, sent, 64)

struct ipi_interconnect : sc_core::sc_module {
	MMUSIM_SC_SIGNALS(IPI_SIGNALS)

	uint32_t n_in_flight = 0;
	uint64_t n_sent = 0;

	explicit ipi_interconnect(sc_core::sc_module_name name) : sc_core::sc_module(name) {}
};

// The memory side of the page walkers: every paging-structure access of a
// walk (the read of each level, and the locked A/D writes), with the cache
// level that served it (0 PSC, 1 L1D, 2 L2, 3 LLC, 4 DRAM).
#define PT_MEMORY_SIGNALS(X) \
	X(bool, req_valid, 1) \
	X(uint64_t, req_addr, 64) \
	X(bool, req_write, 1) \
	X(uint32_t, req_cpu, 16) \
	X(uint32_t, req_src, 3) \
	X(uint64_t, reads, 64) \
	X(uint64_t, writes, 64)

struct pt_memory : sc_core::sc_module {
	MMUSIM_SC_SIGNALS(PT_MEMORY_SIGNALS)

	unsigned outstanding = 0;
	uint64_t n_reads = 0, n_writes = 0;

	explicit pt_memory(sc_core::sc_module_name name) : sc_core::sc_module(name) {}
};

} // namespace mmusim_sc

#endif
