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

// The MMU of one CPU, as seen from outside: what it runs, what it looks up,
// what its walker does, and running counters.
struct cpu_mmu : sc_core::sc_module {
	sc_core::sc_signal<bool> clk{"clk"};          // driven only inside a VCD window
	sc_core::sc_signal<uint32_t> pid{"pid"};
	sc_core::sc_signal<bool> user_mode{"user_mode"};
	sc_core::sc_signal<uint64_t> cr3{"cr3"};      // with the PCID in bits 11:0
	sc_core::sc_signal<uint32_t> pcid{"pcid"};
	sc_core::sc_signal<bool> lookup_valid{"lookup_valid"};
	sc_core::sc_signal<uint64_t> lookup_va{"lookup_va"};
	sc_core::sc_signal<uint32_t> lookup_kind{"lookup_kind"};   // 0 r, 1 w, 2 x
	sc_core::sc_signal<bool> l1_hit{"l1_hit"};
	sc_core::sc_signal<bool> stlb_hit{"stlb_hit"};
	sc_core::sc_signal<bool> walk_active{"walk_active"};
	sc_core::sc_signal<uint32_t> walk_level{"walk_level"};     // 0 when idle
	sc_core::sc_signal<uint64_t> walk_pte_pa{"walk_pte_pa"};   // 0 for a PSC step
	sc_core::sc_signal<bool> page_fault{"page_fault"};
	sc_core::sc_signal<uint64_t> fault_va{"fault_va"};
	sc_core::sc_signal<bool> ipi_sent{"ipi_sent"};
	sc_core::sc_signal<bool> ipi_received{"ipi_received"};
	sc_core::sc_signal<bool> shootdown{"shootdown"};
	sc_core::sc_signal<uint64_t> hits{"hits"};
	sc_core::sc_signal<uint64_t> misses{"misses"};
	sc_core::sc_signal<uint64_t> walks{"walks"};
	sc_core::sc_signal<uint64_t> faults{"faults"};

	// plain copies of the counters: the driver increments these and writes
	// the signals, so it never reads a signal back within a delta cycle
	uint64_t n_hits = 0, n_misses = 0, n_walks = 0, n_faults = 0;
	unsigned ipis_in = 0;         // IPIs being handled (handled..acked)
	bool in_shootdown = false;

	explicit cpu_mmu(sc_core::sc_module_name name) : sc_core::sc_module(name) {}

	void collect(std::vector<trace_var> &v) const
	{
		std::string s = basename();
		add_var(v, s, "clk", 1, clk);
		add_var(v, s, "pid", 32, pid);
		add_var(v, s, "user_mode", 1, user_mode);
		add_var(v, s, "cr3", 64, cr3);
		add_var(v, s, "pcid", 12, pcid);
		add_var(v, s, "lookup_valid", 1, lookup_valid);
		add_var(v, s, "lookup_va", 64, lookup_va);
		add_var(v, s, "lookup_kind", 2, lookup_kind);
		add_var(v, s, "l1_hit", 1, l1_hit);
		add_var(v, s, "stlb_hit", 1, stlb_hit);
		add_var(v, s, "walk_active", 1, walk_active);
		add_var(v, s, "walk_level", 3, walk_level);
		add_var(v, s, "walk_pte_pa", 64, walk_pte_pa);
		add_var(v, s, "page_fault", 1, page_fault);
		add_var(v, s, "fault_va", 64, fault_va);
		add_var(v, s, "ipi_sent", 1, ipi_sent);
		add_var(v, s, "ipi_received", 1, ipi_received);
		add_var(v, s, "shootdown", 1, shootdown);
		add_var(v, s, "hits", 64, hits);
		add_var(v, s, "misses", 64, misses);
		add_var(v, s, "walks", 64, walks);
		add_var(v, s, "faults", 64, faults);
	}
};

// The interconnect that carries TLB-shootdown IPIs between CPUs: which CPU
// sent the latest one to which, and how many are between send and ack.
struct ipi_interconnect : sc_core::sc_module {
	sc_core::sc_signal<uint32_t> in_flight{"in_flight"};
	sc_core::sc_signal<uint32_t> last_from{"last_from"};
	sc_core::sc_signal<uint32_t> last_to{"last_to"};
	sc_core::sc_signal<uint64_t> sent{"sent"};

	uint32_t n_in_flight = 0;
	uint64_t n_sent = 0;

	explicit ipi_interconnect(sc_core::sc_module_name name) : sc_core::sc_module(name) {}

	void collect(std::vector<trace_var> &v) const
	{
		std::string s = basename();
		add_var(v, s, "in_flight", 16, in_flight);
		add_var(v, s, "last_from", 16, last_from);
		add_var(v, s, "last_to", 16, last_to);
		add_var(v, s, "sent", 64, sent);
	}
};

// The memory side of the page walkers: every paging-structure access of a
// walk (the read of each level, and the locked A/D writes), with the cache
// level that served it (0 PSC, 1 L1D, 2 L2, 3 LLC, 4 DRAM).
struct pt_memory : sc_core::sc_module {
	sc_core::sc_signal<bool> req_valid{"req_valid"};
	sc_core::sc_signal<uint64_t> req_addr{"req_addr"};
	sc_core::sc_signal<bool> req_write{"req_write"};
	sc_core::sc_signal<uint32_t> req_cpu{"req_cpu"};
	sc_core::sc_signal<uint32_t> req_src{"req_src"};
	sc_core::sc_signal<uint64_t> reads{"reads"};
	sc_core::sc_signal<uint64_t> writes{"writes"};

	unsigned outstanding = 0;
	uint64_t n_reads = 0, n_writes = 0;

	explicit pt_memory(sc_core::sc_module_name name) : sc_core::sc_module(name) {}

	void collect(std::vector<trace_var> &v) const
	{
		std::string s = basename();
		add_var(v, s, "req_valid", 1, req_valid);
		add_var(v, s, "req_addr", 64, req_addr);
		add_var(v, s, "req_write", 1, req_write);
		add_var(v, s, "req_cpu", 16, req_cpu);
		add_var(v, s, "req_src", 3, req_src);
		add_var(v, s, "reads", 64, reads);
		add_var(v, s, "writes", 64, writes);
	}
};

} // namespace mmusim_sc

#endif
