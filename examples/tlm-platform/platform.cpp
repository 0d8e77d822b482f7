// examples/tlm-platform/platform.cpp - a small SystemC virtual platform
// around mmusim's TLM-2.0 MMU (docs/tlm-platform.md).
//
//   cpu.mem_socket  ---------------------------> memory.cpu_socket
//   cpu.mmu_socket  --> mmu.xlate_socket
//                       mmu.walk_socket -------> memory.walk_socket
//
// The memory is the platform's own storage: the page tables exist only
// there.  The CPU stub writes x86-64 page tables (4-level paging, SDM
// Vol.3A 4.5) into it through memory.cpu_socket, loads CR3, then sends
// fetches, loads and stores to the MMU.  The MMU's walks read those tables
// through its walk socket: each entry the walker reads is a b_transport
// that memory.walk_socket answers with the entry, and each A/D update the
// walker makes is a write there.  Then the CPU stub changes one entry in
// the memory, invalidates it (INVLPG) and translates again: the walk sees
// the new entry.  Every answer is checked against what the page tables say
// (the tables `requests` and `after_remap`, written from the tables
// below); the program exits 1 if any differs.
//
// Build it against an installed mmusim (CMakeLists.txt beside this file):
// find_package(mmusim COMPONENTS systemc), target mmusim::systemc.
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <exception>
#include <vector>

#include <mmusim/sc/mmu_tlm.h>

extern "C" {
#include <mmusim/hw/paging.h>
}

using sc_core::sc_time;
using sc_core::SC_NS;

// Linux's flags (arch/x86/include/asm/pgtable_types.h): _PAGE_TABLE for
// an entry that points to a table; a user page's PTE as a fault leaves it
// (present, user, accessed; RW and dirty once written; NX on data).
static const uint64_t TABLE = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D;
static const uint64_t TEXT = PTE_P | PTE_US | PTE_A;
static const uint64_t DATA = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_XD;
static const uint64_t CLEAN = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_XD;   // D clear

// Where the tables are in physical memory, and what they hold.  An index
// is the 9 bits of the virtual address that select the entry (pt_index).
// Virtual layout: text 0x400000, data 0x401000, bss 0x402000 (clean),
// nothing at 0x403000, a 2 MiB heap page at 0x600000, the stack's top
// page at 0x7ffffffff000.
struct entry {
	uint64_t table;
	unsigned index;
	uint64_t value;
	const char *what;
};
static const uint64_t PML4 = 0x1000;
static const uint16_t PCID = 1;
static const entry page_tables[] = {
	{PML4, 0, 0x2000 | TABLE, "PML4[0]     -> PDPT 0x2000"},
	{0x2000, 0, 0x3000 | TABLE, "PDPT[0]     -> PD 0x3000"},
	{0x3000, 2, 0x4000 | TABLE, "PD[2]       -> PT 0x4000 (0x400000-0x5fffff)"},
	{0x4000, 0, 0x100000 | TEXT, "PT[0]       text  0x400000 -> 0x100000, read-only"},
	{0x4000, 1, 0x101000 | DATA, "PT[1]       data  0x401000 -> 0x101000, dirty"},
	{0x4000, 2, 0x102000 | CLEAN, "PT[2]       bss   0x402000 -> 0x102000, clean"},
	// PT[3] stays 0: 0x403000 is not mapped
	{0x3000, 3, 0x200000 | DATA | PTE_PS, "PD[3]       heap  0x600000 -> 0x200000, 2 MiB page"},
	{PML4, 255, 0x5000 | TABLE, "PML4[255]   -> PDPT 0x5000"},
	{0x5000, 511, 0x6000 | TABLE, "PDPT[511]   -> PD 0x6000"},
	{0x6000, 511, 0x7000 | TABLE, "PD[511]     -> PT 0x7000"},
	{0x7000, 511, 0x103000 | DATA, "PT[511]     stack 0x7ffffffff000 -> 0x103000"},
};

// The translations the CPU asks for and what the tables above say of
// each: the physical address, or the #PF error code (SDM 4.7: P 1, W 2,
// U 4, I 16).
struct request {
	enum access_kind kind;
	uint64_t va;
	uint64_t pa;          // when no fault
	uint32_t pf_error;    // 0: no fault
};
static const request requests[] = {
	{ACC_EXEC, 0x400000, 0x100000, 0},
	{ACC_READ, 0x401008, 0x101008, 0},
	{ACC_WRITE, 0x401010, 0x101010, 0},
	{ACC_READ, 0x402000, 0x102000, 0},
	{ACC_WRITE, 0x402008, 0x102008, 0},       // the walker sets D
	{ACC_READ, 0x600040, 0x200040, 0},
	{ACC_WRITE, 0x7ffffffff008, 0x103008, 0},
	{ACC_WRITE, 0x400010, 0, PF_P | PF_W | PF_U},    // text is read-only
	{ACC_EXEC, 0x401000, 0, PF_P | PF_U | PF_I},     // data is NX
	{ACC_READ, 0x403000, 0, PF_U},                   // not present
};

// Then PT[1] is changed in the memory (the data page moves to 0x104000)
// and INVLPG drops what the MMU cached of it: the next translation of the
// page walks and finds the new entry.
static const entry remap = {0x4000, 1, 0x104000 | DATA, "PT[1]       data  0x401000 -> 0x104000, moved"};
static const request after_remap[] = {
	{ACC_READ, 0x401008, 0x104008, 0},
};

// The platform's memory: its own storage, SIZE bytes of 8-byte words,
// behind two target sockets, one for the CPU and one for the MMU's walks.
// A walk's access carries a pte_extension with its latency from the C
// model's caches, which the memory adds to the delay: the MMU checks that
// the delay coming back is its walk's timeline.  The walk socket also
// answers transport_dbg, the untimed reads the MMU's checker makes.
class memory : public sc_core::sc_module {
public:
	static constexpr uint64_t SIZE = 4 << 20;   // 4 MiB: the tables and the pages they map
	tlm_utils::simple_target_socket<memory> cpu_socket{"cpu_socket"};
	tlm_utils::simple_target_socket<memory> walk_socket{"walk_socket"};
	unsigned walk_reads = 0, walk_writes = 0, cpu_writes = 0;

	explicit memory(sc_core::sc_module_name name) : sc_core::sc_module(name), words_(SIZE / 8)
	{
		cpu_socket.register_b_transport(this, &memory::cpu_access);
		walk_socket.register_b_transport(this, &memory::walk_access);
		walk_socket.register_transport_dbg(this, &memory::debug_access);
	}

private:
	// 8-byte aligned accesses inside memory
	bool serve(tlm::tlm_generic_payload &gp)
	{
		uint64_t addr = gp.get_address();
		if (gp.get_data_length() != 8 || (addr & 7) || addr >= SIZE) {
			gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
			return false;
		}
		if (gp.is_write())
			std::memcpy(&words_[addr / 8], gp.get_data_ptr(), 8);
		else
			std::memcpy(gp.get_data_ptr(), &words_[addr / 8], 8);
		gp.set_response_status(tlm::TLM_OK_RESPONSE);
		return true;
	}
	void cpu_access(tlm::tlm_generic_payload &gp, sc_time &delay)
	{
		if (serve(gp) && gp.is_write())
			cpu_writes++;
		delay += sc_time(1, SC_NS);
	}
	void walk_access(tlm::tlm_generic_payload &gp, sc_time &delay)
	{
		if (!serve(gp))
			return;
		(gp.is_write() ? walk_writes : walk_reads)++;
		mmusim_sc::pte_extension *e = nullptr;
		gp.get_extension(e);
		if (e)
			delay += sc_time(1, SC_NS) * (double)e->latency;
	}
	unsigned debug_access(tlm::tlm_generic_payload &gp)
	{
		return !gp.is_write() && serve(gp) ? 8 : 0;
	}
	std::vector<uint64_t> words_;
};

static const char *kind_name(enum access_kind k)
{
	return k == ACC_EXEC ? "fetch" : k == ACC_WRITE ? "store" : "load ";
}

static const char *level_name(enum xlate_level l)
{
	return l == XL_L1 ? "L1 TLB" : l == XL_STLB ? "STLB  " : "walk  ";
}

// The CPU stub: an initiator with a quantum keeper (loosely timed).
class cpu_stub : public sc_core::sc_module {
public:
	tlm_utils::simple_initiator_socket<cpu_stub> mem_socket{"mem_socket"};
	tlm_utils::simple_initiator_socket<cpu_stub> mmu_socket{"mmu_socket"};
	unsigned failures = 0, faults = 0, translations = 0;

	SC_HAS_PROCESS(cpu_stub);
	cpu_stub(sc_core::sc_module_name name, mmusim_sc::mmu_tlm &mmu, const memory &mem)
		: sc_core::sc_module(name), mmu_(mmu), mem_(mem)
	{
		SC_THREAD(run);
	}

private:
	void run()
	{
		qk_.reset();
		for (const entry &e : page_tables) {
			write64(e.table + 8 * (uint64_t)e.index, e.value);
			std::printf("page table  %-50s at 0x%" PRIx64 " = 0x%016" PRIx64 "\n", e.what,
			            e.table + 8 * (uint64_t)e.index, e.value);
		}
		// CR3: the PML4's address and the PCID (CR4.PCIDE is on: pcid=on)
		qk_.inc(sc_time(1, SC_NS) * (double)mmu_.write_cr3(PML4 | PCID));
		std::printf("CR3         0x%" PRIx64 " (PML4 0x%" PRIx64 ", PCID %u)\n",
		            (uint64_t)(PML4 | PCID), PML4, PCID);
		for (const request &q : requests)
			translate(q);

		// The entry the D-assist of the bss store set D in, read back
		// from the memory: the walk's write reached it.
		uint64_t bss = 0x4000 + 8 * 2;
		std::printf("memory      PT[2] at 0x%" PRIx64 " = 0x%016" PRIx64 " after the walks\n", bss,
		            read64(bss));
		// A change in the memory alone, then INVLPG: the next walk reads it.
		write64(remap.table + 8 * (uint64_t)remap.index, remap.value);
		std::printf("page table  %-50s at 0x%" PRIx64 " = 0x%016" PRIx64 "\n", remap.what,
		            remap.table + 8 * (uint64_t)remap.index, remap.value);
		qk_.inc(sc_time(1, SC_NS) * (double)mmu_.invlpg(0x401000));
		std::printf("INVLPG      0x401000\n");
		for (const request &q : after_remap)
			translate(q);
	}

	uint64_t read64(uint64_t pa)
	{
		uint64_t value = 0;
		access(tlm::TLM_READ_COMMAND, pa, &value);
		return value;
	}

	void write64(uint64_t pa, uint64_t value) { access(tlm::TLM_WRITE_COMMAND, pa, &value); }

	void access(tlm::tlm_command cmd, uint64_t pa, uint64_t *value)
	{
		tlm::tlm_generic_payload gp;
		gp.set_command(cmd);
		gp.set_address(pa);
		gp.set_data_ptr(reinterpret_cast<unsigned char *>(value));
		gp.set_data_length(8);
		gp.set_streaming_width(8);
		gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
		sc_time delay = qk_.get_local_time();
		mem_socket->b_transport(gp, delay);
		if (gp.is_response_error()) {
			std::printf("%s of 0x%" PRIx64 " failed: %s\n", cmd == tlm::TLM_WRITE_COMMAND ? "write" : "read",
			            pa, gp.get_response_string().c_str());
			failures++;
		}
		qk_.set(delay);
		sync();
	}

	void translate(const request &q)
	{
		unsigned n = ++translations;
		mmusim_sc::xlate_extension x;   // user mode, CPU 0
		x.kind = q.kind;
		x.pcid = PCID;
		uint64_t pa = 0;
		tlm::tlm_generic_payload gp;
		gp.set_command(q.kind == ACC_WRITE ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
		gp.set_address(q.va);
		gp.set_data_ptr(reinterpret_cast<unsigned char *>(&pa));
		gp.set_data_length(8);
		gp.set_streaming_width(8);
		gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
		gp.set_extension(&x);
		unsigned reads = mem_.walk_reads, writes = mem_.walk_writes;
		sc_time delay = qk_.get_local_time();
		mmu_socket->b_transport(gp, delay);
		gp.clear_extension(&x);
		qk_.set(delay);
		sync();
		reads = mem_.walk_reads - reads;
		writes = mem_.walk_writes - writes;

		char result[40];
		bool ok;
		if (gp.get_response_status() == tlm::TLM_OK_RESPONSE) {
			std::snprintf(result, sizeof result, "0x%" PRIx64, pa);
			ok = !q.pf_error && pa == q.pa;
		} else if (gp.get_response_status() == tlm::TLM_ADDRESS_ERROR_RESPONSE && x.fault == XF_PF) {
			std::snprintf(result, sizeof result, "#PF error 0x%x", (unsigned)x.pf_error);
			ok = q.pf_error && x.pf_error == q.pf_error;
			faults++;
		} else {
			std::snprintf(result, sizeof result, "%s", gp.get_response_string().c_str());
			ok = false;
		}
		if (reads + writes != x.pte_accesses) {
			std::printf("the memory saw %u walk accesses, the MMU sent %u\n", reads + writes,
			            x.pte_accesses);
			ok = false;
		}
		std::printf("%2u %s 0x%-14" PRIx64 "-> %-16s %s  walk reads %u, A/D writes %u%s\n", n,
		            kind_name(q.kind), q.va, result, level_name(x.level), reads, writes,
		            ok ? "" : "   NOT WHAT THE PAGE TABLES SAY");
		failures += !ok;
	}

	void sync()
	{
		if (qk_.need_sync())
			qk_.sync();
	}

	mmusim_sc::mmu_tlm &mmu_;
	const memory &mem_;
	tlm_utils::tlm_quantumkeeper qk_;
};

int sc_main(int, char *[])
{
	config cfg;
	char err[256];
	if (config_preset(&cfg, "skylake", err, sizeof err)) {
		std::fprintf(stderr, "tlm-platform: %s\n", err);
		return 2;
	}
	tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(1, sc_core::SC_US));
	try {
		mmusim_sc::machine_memory machine(cfg);   // the LLC the MMU's walks go through
		memory mem("memory");                     // the page tables: here only
		mmusim_sc::mmu_tlm mmu("mmu", 0, cfg, &machine.sh);
		cpu_stub cpu("cpu", mmu, mem);
		cpu.mem_socket.bind(mem.cpu_socket);
		cpu.mmu_socket.bind(mmu.xlate_socket);
		mmu.walk_socket.bind(mem.walk_socket);
		sc_core::sc_start();

		unsigned n = cpu.translations;
		std::printf("total       %u translations, %u page faults; page-table entries written %u; "
		            "walk reads %u, A/D writes %u (the MMU counted %" PRIu64 " walk reads)\n",
		            n, cpu.faults, mem.cpu_writes, mem.walk_reads, mem.walk_writes,
		            mmu.stats().walk_mem_refs);
		if (mmu.stats().walk_mem_refs != mem.walk_reads) {
			std::printf("tlm-platform: the memory served %u walk reads, the MMU made %" PRIu64 "\n",
			            mem.walk_reads, mmu.stats().walk_mem_refs);
			cpu.failures++;
		}
		if (cpu.failures) {
			std::printf("tlm-platform: not what the page tables say: %u\n", cpu.failures);
			return 1;
		}
		return 0;
	} catch (const std::exception &e) {
		std::fprintf(stderr, "tlm-platform: %s\n", e.what());
		return 2;
	}
}
