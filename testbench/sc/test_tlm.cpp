// testbench/sc/test_tlm.cpp - the TLM-2.0 MMU against the C model.
//
// Builds the same page tables in two simulated physical memories: one
// behind the TLM MMU's walk socket (pt_memory_tlm; the mmu_tlm itself is
// built on a third machine_memory whose phys_mem stays empty, so its walks
// find the tables only through the socket), one behind a plain `mmu`
// called directly.  Drives a list of translations through the target
// socket from an initiator with a quantum keeper and checks, for each:
// physical address, fault and #PF error code, latency (annotated delay and
// extension), the start cycle, and that the PTE accesses the memory target
// saw (count, addresses, read/write, values, timing) are the walk timeline
// of the direct call.  Then a CR3 write that keeps the TLBs makes the
// checker verify a hit: its reads are transport_dbg calls, not walk
// accesses.  At the end every statistic of the two MMUs is the same.
//
// A second MMU, behind a memory target that misbehaves on request
// (bad_memory), checks what the walker's port does then: an error
// response, a delay that is not the walk's timeline and a target without
// transport_dbg are SC_REPORT_ERRORs once the translation returns, and an
// exception the target throws reaches the initiator as it was thrown.
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "sc/mmu_tlm.h"

extern "C" {
#include "hw/paging.h"
}

using namespace sc_core;
using mmusim_sc::mmu_tlm;
using mmusim_sc::pt_memory_tlm;
using mmusim_sc::xlate_extension;

static int failures;
#define CHECK_EQ(what, got, want)                                                                 \
	do {                                                                                          \
		unsigned long long g_ = (unsigned long long)(got), w_ = (unsigned long long)(want);       \
		if (g_ != w_) {                                                                           \
			std::fprintf(stderr, "FAIL %s: %s = 0x%llx, want 0x%llx\n", what, #got, g_, w_);     \
			failures++;                                                                           \
		}                                                                                         \
	} while (0)

// Physical memory, LLC (mmu_tlm.h's machine_memory) and page tables of
// one machine.
struct platform : mmusim_sc::machine_memory {
	uint64_t pml4 = 0;

	explicit platform(const config &cfg) : machine_memory(cfg)
	{
		pml4 = alloc_table();
		// the same deterministic allocator gives both machines the same frames
		map(0x400000, frame(0), PTE_P | PTE_RW | PTE_US, 1);         // user rw
		map(0x401000, frame(0), PTE_P | PTE_US, 1);                  // user read-only
		map(0x402000, frame(0), PTE_P | PTE_RW, 1);                  // kernel only
		map(0x403000, frame(0), PTE_P | PTE_RW | PTE_US | PTE_XD, 1); // no execute
		map(0x40000000, frame(9), PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D, 2); // 2 MiB page
	}
	uint64_t frame(unsigned order)
	{
		uint64_t pfn;
		if (phys_alloc(&pm, order, &pfn))
			std::abort();
		return pfn << 12;
	}
	uint64_t alloc_table() { return frame(0); }
	// Maps va to pa with a leaf at `level` (1: 4 KiB, 2: 2 MiB).
	void map(uint64_t va, uint64_t pa, uint64_t flags, unsigned level)
	{
		uint64_t table = pml4;
		for (unsigned l = 4; l > level; l--) {
			uint64_t e_pa = table + 8 * pt_index(va, l);
			uint64_t e = phys_read64(&pm, e_pa);
			if (!(e & PTE_P)) {
				e = alloc_table() | PTE_P | PTE_RW | PTE_US;
				phys_write64(&pm, e_pa, e);
			}
			table = e & PTE_ADDR;
		}
		phys_write64(&pm, table + 8 * pt_index(va, level),
		             pa | flags | (level > 1 ? PTE_PS : 0));
	}
};

struct request {
	const char *what;
	uint64_t va;
	enum access_kind kind;
	bool user;
	uint16_t pcid;
	tlm::tlm_response_status want;
};

static const uint16_t PCID = 5;
static const request requests[] = {
	{"first read walks", 0x400010, ACC_READ, true, PCID, tlm::TLM_OK_RESPONSE},
	{"second read hits the L1", 0x400020, ACC_READ, true, PCID, tlm::TLM_OK_RESPONSE},
	{"write to a clean page: D-assist walk", 0x400030, ACC_WRITE, true, PCID, tlm::TLM_OK_RESPONSE},
	{"read of a read-only page", 0x401000, ACC_READ, true, PCID, tlm::TLM_OK_RESPONSE},
	{"write to a read-only page faults", 0x401008, ACC_WRITE, true, PCID, tlm::TLM_ADDRESS_ERROR_RESPONSE},
	{"user read of a kernel page faults", 0x402000, ACC_READ, true, PCID, tlm::TLM_ADDRESS_ERROR_RESPONSE},
	{"kernel read of a kernel page", 0x402000, ACC_READ, false, PCID, tlm::TLM_OK_RESPONSE},
	{"fetch from an XD page faults", 0x403000, ACC_EXEC, true, PCID, tlm::TLM_ADDRESS_ERROR_RESPONSE},
	{"fetch from an executable page", 0x400100, ACC_EXEC, true, PCID, tlm::TLM_OK_RESPONSE},
	{"2 MiB page", 0x40123456, ACC_READ, true, PCID, tlm::TLM_OK_RESPONSE},
	{"2 MiB page, hit", 0x401fff00, ACC_WRITE, true, PCID, tlm::TLM_OK_RESPONSE},
	{"unmapped address faults", 0x800000, ACC_READ, true, PCID, tlm::TLM_ADDRESS_ERROR_RESPONSE},
	{"non-canonical address: #GP", 0x0000800000000000ull, ACC_READ, true, PCID, tlm::TLM_ADDRESS_ERROR_RESPONSE},
	{"PCID not loaded", 0x400010, ACC_READ, true, PCID + 1, tlm::TLM_GENERIC_ERROR_RESPONSE},
	{"same page again after the faults", 0x400040, ACC_WRITE, true, PCID, tlm::TLM_OK_RESPONSE},
};

SC_MODULE(tester) {
	tlm_utils::simple_initiator_socket<tester> socket{"socket"};
	platform *ref_platform;
	pt_memory_tlm *memory;
	mmu_tlm *dut;
	machine_shared *dut_sh;
	mmu ref;
	cpu_stats ref_st{};
	latency_hist *ref_hist;

	SC_CTOR(tester) { SC_THREAD(run); }

	void run()
	{
		tlm_utils::tlm_quantumkeeper qk;
		qk.reset();
		const sc_time ns(1, SC_NS);
		for (const request &q : requests) {
			tlm::tlm_generic_payload gp;
			xlate_extension x;
			x.kind = q.kind;
			x.user = q.user;
			x.cpu = 0;
			x.pcid = q.pcid;
			gp.set_extension(&x);
			uint64_t pa_out = 0;
			gp.set_command(q.kind == ACC_WRITE ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
			gp.set_address(q.va);
			gp.set_data_ptr(reinterpret_cast<unsigned char *>(&pa_out));
			gp.set_data_length(8);
			gp.set_streaming_width(8);
			gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
			sc_time in = qk.get_local_time(), delay = in;
			uint64_t start = (sc_time_stamp() + in).value() / ns.value();
			size_t seen = memory->log.size();
			socket->b_transport(gp, delay);
			gp.clear_extension(&x);
			CHECK_EQ(q.what, gp.get_response_status(), q.want);
			if (q.want == tlm::TLM_GENERIC_ERROR_RESPONSE) {
				CHECK_EQ(q.what, memory->log.size(), seen);
				continue;
			}
			xlate_result r;   // the C model, called directly on the twin machine
			mmu_translate(&ref, q.va, q.kind, q.user, start, &r);
			CHECK_EQ(q.what, x.start, start);
			CHECK_EQ(q.what, x.fault, r.fault);
			CHECK_EQ(q.what, x.pf_error, r.pf_error);
			CHECK_EQ(q.what, x.level, r.level);
			CHECK_EQ(q.what, x.cycles, r.end - r.start);
			CHECK_EQ(q.what, (delay - in).value(), (r.end - r.start) * ns.value());
			if (r.fault == XF_NONE) {
				CHECK_EQ(q.what, pa_out, r.pa);
				CHECK_EQ(q.what, x.pa, r.pa);
			}
			// the memory target saw exactly the walk's PTE accesses, in order and time
			std::vector<walk_step> steps;
			uint64_t from = r.walk_start;
			std::vector<uint64_t> issued;
			for (unsigned i = 0; r.walked && i < r.nsteps; i++) {
				if (r.steps[i].pte_pa) {
					steps.push_back(r.steps[i]);
					issued.push_back(from);
				}
				from = r.steps[i].cycle;
			}
			CHECK_EQ(q.what, x.pte_accesses, steps.size());
			CHECK_EQ(q.what, memory->log.size() - seen, steps.size());
			for (size_t i = 0; i < steps.size() && seen + i < memory->log.size(); i++) {
				const pt_memory_tlm::access &a = memory->log[seen + i];
				CHECK_EQ(q.what, a.addr, steps[i].pte_pa);
				CHECK_EQ(q.what, a.write, steps[i].write);
				// a write carries the entry the direct walk left; a read, the
				// entry before the A/D update that follows it, if any
				uint64_t want = phys_read64(&ref_platform->pm, steps[i].pte_pa);
				bool updated = i + 1 < steps.size() && steps[i + 1].write &&
				               steps[i + 1].pte_pa == steps[i].pte_pa;
				uint64_t ad = PTE_A | PTE_D;
				if (updated)
					CHECK_EQ(q.what, a.value & ~ad, want & ~ad);
				else
					CHECK_EQ(q.what, a.value, want);
				CHECK_EQ(q.what, a.issued.value(), in.value() + (issued[i] - start) * ns.value());
				CHECK_EQ(q.what, a.completed.value(),
				         in.value() + (steps[i].cycle - start) * ns.value());
			}
			std::printf("%-40s %s pa=0x%llx cycles=%llu pte_accesses=%u\n", q.what,
			            r.fault == XF_NONE ? "ok   " : r.fault == XF_PF ? "#PF  " : "#GP  ",
			            (unsigned long long)x.pa, (unsigned long long)x.cycles, x.pte_accesses);
			qk.inc(delay - in);
			if (qk.need_sync())
				qk.sync();
		}
		checker(qk);
	}

	// CR3 reloaded with NOFLUSH: the TLB entries stay, the checker's epoch
	// moves, so the next hit is verified against the page tables through
	// transport_dbg with no walk access: the leaf alone, as the PCID keeps
	// its root (hw/mmu.c, check_hit), 1 untimed read.  Then a table entry
	// above the leaves declared written: verified from CR3, 4 reads.
	void checker(tlm_utils::tlm_quantumkeeper &qk)
	{
		uint64_t cr3 = mmu_cr3(&ref) | CR3_NOFLUSH;
		CHECK_EQ("CR3 NOFLUSH", dut->write_cr3(cr3), mmu_write_cr3(&ref, cr3));
		checked_hit(qk, "hit verified by the checker after CR3 NOFLUSH", 0x400050, 1);
		mmu_tables_written(dut_sh, 2);
		mmu_tables_written(&ref_platform->sh, 2);
		checked_hit(qk, "hit verified from CR3 after a table write", 0x400058, 4);
	}

	void checked_hit(tlm_utils::tlm_quantumkeeper &qk, const char *what, uint64_t va,
	                 unsigned long reads)
	{
		tlm::tlm_generic_payload gp;
		xlate_extension x;
		x.kind = ACC_READ;
		x.pcid = PCID;
		gp.set_extension(&x);
		uint64_t pa_out = 0;
		gp.set_command(tlm::TLM_READ_COMMAND);
		gp.set_address(va);
		gp.set_data_ptr(reinterpret_cast<unsigned char *>(&pa_out));
		gp.set_data_length(8);
		gp.set_streaming_width(8);
		gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
		sc_time delay = qk.get_local_time();
		uint64_t start = (sc_time_stamp() + delay).value() / sc_time(1, SC_NS).value();
		size_t seen = memory->log.size();
		unsigned long peeks = memory->debug_reads;
		socket->b_transport(gp, delay);
		gp.clear_extension(&x);
		xlate_result r;
		mmu_translate(&ref, va, ACC_READ, true, start, &r);
		CHECK_EQ(what, gp.get_response_status(), tlm::TLM_OK_RESPONSE);
		CHECK_EQ(what, x.level, XL_L1);
		CHECK_EQ(what, pa_out, r.pa);
		CHECK_EQ(what, x.pte_accesses, 0);
		CHECK_EQ(what, memory->log.size(), seen);
		CHECK_EQ(what, memory->debug_reads - peeks, reads);   // the PTE; or PML4E, PDPTE, PDE, PTE
		std::printf("%-40s ok    pa=0x%llx transport_dbg reads=%lu\n", what,
		            (unsigned long long)pa_out, memory->debug_reads - peeks);
	}
};

// A memory target for a phys_mem that misbehaves as `mode` says, and has
// no transport_dbg.
struct bad_memory : sc_module {
	enum mode_t { GOOD, REFUSE, NO_LATENCY, THROW } mode = GOOD;
	tlm_utils::simple_target_socket<bad_memory> socket{"socket"};
	phys_mem *pm;

	bad_memory(sc_module_name name, phys_mem *p) : sc_module(name), pm(p)
	{
		socket.register_b_transport(this, &bad_memory::b_transport);
	}
	void b_transport(tlm::tlm_generic_payload &gp, sc_time &delay)
	{
		if (mode == REFUSE) {
			gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
			return;
		}
		if (mode == THROW)
			throw std::runtime_error("bad_memory threw");
		uint64_t v;
		if (gp.is_write()) {
			std::memcpy(&v, gp.get_data_ptr(), 8);
			phys_write64(pm, gp.get_address(), v);
		} else {
			v = phys_read64(pm, gp.get_address());
			std::memcpy(gp.get_data_ptr(), &v, 8);
		}
		mmusim_sc::pte_extension *e = nullptr;
		gp.get_extension(e);
		if (e && mode == GOOD)
			delay += sc_time(1, SC_NS) * (double)e->latency;
		gp.set_response_status(tlm::TLM_OK_RESPONSE);
	}
};

SC_MODULE(bad_tester) {
	tlm_utils::simple_initiator_socket<bad_tester> socket{"socket"};
	bad_memory *memory;
	mmu_tlm *dut;
	uint64_t cr3;

	SC_CTOR(bad_tester) { SC_THREAD(run); }

	// Translates va (a user read) with the memory in `mode`; returns what
	// the initiator caught ("" for nothing).
	std::string attempt(bad_memory::mode_t mode, uint64_t va)
	{
		memory->mode = mode;
		tlm::tlm_generic_payload gp;
		xlate_extension x;
		x.pcid = PCID;
		gp.set_extension(&x);
		uint64_t pa_out = 0;
		gp.set_command(tlm::TLM_READ_COMMAND);
		gp.set_address(va);
		gp.set_data_ptr(reinterpret_cast<unsigned char *>(&pa_out));
		gp.set_data_length(8);
		gp.set_streaming_width(8);
		sc_time delay = SC_ZERO_TIME;
		std::string caught;
		try {
			socket->b_transport(gp, delay);
		} catch (const sc_report &r) {
			caught = r.get_msg();
		} catch (const std::runtime_error &e) {
			caught = std::string("runtime_error: ") + e.what();
		}
		gp.clear_extension(&x);
		memory->mode = bad_memory::GOOD;
		return caught;
	}

	void expect(const char *what, const std::string &caught, const char *want)
	{
		bool ok = want ? caught.find(want) != std::string::npos : caught.empty();
		if (!ok) {
			std::fprintf(stderr, "FAIL %s: caught \"%s\", want \"%s\"\n", what, caught.c_str(),
			             want ? want : "");
			failures++;
		} else {
			std::printf("%-40s %s\n", what, want ? want : "ok");
		}
	}

	void run()
	{
		expect("a refused PTE read", attempt(bad_memory::REFUSE, 0x400010), "refused");
		expect("a PTE read without its latency", attempt(bad_memory::NO_LATENCY, 0x400010),
		       "disagrees with the walk timeline");
		expect("a target that throws", attempt(bad_memory::THROW, 0x401000),
		       "runtime_error: bad_memory threw");
		expect("a good walk", attempt(bad_memory::GOOD, 0x400020), nullptr);
		// the TLB entry stays, the checker's epoch moves: the next hit is
		// verified through transport_dbg, which this target lacks
		dut->write_cr3(cr3 | CR3_NOFLUSH);
		expect("a checker read without transport_dbg", attempt(bad_memory::GOOD, 0x400028),
		       "transport_dbg");
	}
};

int sc_main(int, char **)
{
	config cfg;
	char err[256];
	if (config_preset(&cfg, "skylake", err, sizeof err)) {
		std::fprintf(stderr, "%s\n", err);
		return 1;
	}
	tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(1, SC_US));
	platform dut_platform(cfg), ref_platform(cfg);
	mmusim_sc::machine_memory dut_machine(cfg);   // the LLC; its phys_mem stays empty
	mmu_tlm dut("mmu", 0, cfg, &dut_machine.sh);
	pt_memory_tlm memory("memory", &dut_platform.pm);
	tester t("tester");
	t.socket.bind(dut.xlate_socket);
	dut.walk_socket.bind(memory.socket);
	t.memory = &memory;
	t.dut = &dut;
	t.dut_sh = &dut_machine.sh;
	t.ref_platform = &ref_platform;
	t.ref_hist = static_cast<latency_hist *>(std::calloc(1, sizeof(latency_hist)));
	if (mmu_init(&t.ref, 0, &cfg, &ref_platform.sh, &t.ref_st, t.ref_hist, err, sizeof err)) {
		std::fprintf(stderr, "%s\n", err);
		return 1;
	}
	uint64_t cr3 = dut_platform.pml4 | PCID;
	CHECK_EQ("same page tables", ref_platform.pml4, dut_platform.pml4);
	CHECK_EQ("CR3 write cost", dut.write_cr3(cr3), mmu_write_cr3(&t.ref, cr3));
	// the second MMU, behind the misbehaving memory
	platform bad_platform(cfg);
	mmu_tlm bad_dut("bad_mmu", 0, cfg, &bad_platform.sh);
	bad_memory bad_mem("bad_memory", &bad_platform.pm);
	bad_tester bt("bad_tester");
	bt.socket.bind(bad_dut.xlate_socket);
	bad_dut.walk_socket.bind(bad_mem.socket);
	bt.memory = &bad_mem;
	bt.dut = &bad_dut;
	bt.cr3 = bad_platform.pml4 | PCID;
	bad_dut.write_cr3(bt.cr3);
	sc_start();
	CHECK_EQ("walks", dut.stats().walks, t.ref_st.walks);
	CHECK_EQ("walk memory references", dut.stats().walk_mem_refs, t.ref_st.walk_mem_refs);
	CHECK_EQ("PTE reads at the memory target", t.ref_st.walk_mem_refs,
	         [&] { size_t n = 0; for (auto &a : memory.log) n += !a.write; return n; }());
	CHECK_EQ("some walks", t.ref_st.walks >= 5, 1);
	CHECK_EQ("every statistic", std::memcmp(&dut.stats(), &t.ref_st, sizeof t.ref_st), 0);
	CHECK_EQ("the MMU's own phys_mem holds no page table", dut_machine.pm.content_pages, 0);
	mmu_free(&t.ref);
	std::free(t.ref_hist);
	if (failures) {
		std::fprintf(stderr, "%d checks failed\n", failures);
		return 1;
	}
	std::printf("TLM MMU agrees with the C model\n");
	return 0;
}
