// sc/event_queue.h - the engine's events waiting to be replayed.
//
// The engine runs records in file order, but CPU clocks overlap: a record
// on CPU 1 may report events earlier than the last ones CPU 0 reported.
// Events are therefore kept in a min-heap on (cycle, arrival order) and
// released once final: every event of a later record has a cycle at or
// after sim.last_start, so anything earlier can be replayed safely.
//
// Events are plain 32-byte values in one vector that only grows (reserve
// once), so the hot path never allocates.
#ifndef MMUSIM_SC_EVENT_QUEUE_H
#define MMUSIM_SC_EVENT_QUEUE_H

#include <algorithm>
#include <cstdint>
#include <vector>

namespace mmusim_sc {

enum class ev : uint8_t {
	context,       // b = pid, flag = user mode
	cr3,           // a = CR3 value (PCID in bits 11:0)
	lookup,        // a = va, flag = kind | level << 2 | counted hit (16) / miss (32)
	lookup_end,
	walk_begin,
	walk_step,     // a = PTE address (0: PSC step), b = level, flag = source | write << 3
	step_done,     // a = PTE address
	walk_end,
	fault,         // a = va, b = error code, flag = segv | counted hit (16) / miss (32)
	fault_end,
	ipi_send,      // cpu = sender, b = target
	ipi_send_end,
	ipi_handle,    // cpu = target
	ipi_ack,       // cpu = target
	shootdown_begin,
	shootdown_end,
	line,          // a = the trace line of the record the CPU starts
};

struct event {
	uint64_t cycle;
	uint64_t seq;    // arrival order: ties on one cycle keep engine order
	uint64_t a;
	uint32_t b;
	uint16_t cpu;
	ev type;
	uint8_t flag;
};

class event_queue {
public:
	event_queue() { heap_.reserve(4096); }

	void push(uint64_t cycle, ev type, unsigned cpu, uint64_t a = 0, uint32_t b = 0,
	          uint8_t flag = 0)
	{
		heap_.push_back(event{cycle, seq_++, a, b, (uint16_t)cpu, type, flag});
		std::push_heap(heap_.begin(), heap_.end(), later);
	}
	bool empty() const { return heap_.empty(); }
	const event &top() const { return heap_.front(); }
	void pop()
	{
		std::pop_heap(heap_.begin(), heap_.end(), later);
		heap_.pop_back();
	}

private:
	static bool later(const event &x, const event &y)
	{
		return x.cycle != y.cycle ? x.cycle > y.cycle : x.seq > y.seq;
	}
	std::vector<event> heap_;
	uint64_t seq_ = 0;
};

} // namespace mmusim_sc

#endif
