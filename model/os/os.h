/* os/os.h - the Linux-like memory manager that drives the hardware.
 *
 * Tasks, mm_struct, VMAs, page tables in simulated physical memory, demand
 * and COW faults, fork/vfork/clone/exec/exit, the scheduler switch with
 * active_mm borrowing (lazy TLB), the ASID allocator, PTI and TLB
 * shootdowns.  Names follow arch/x86/mm/tlb.c and kernel/sched/core.c so a
 * kernel engineer recognises every function; comments cite what they model.
 *
 * The kernel touches the TLBs only through the MMU's architectural
 * operations (write_cr3, write_cr4, invlpg, invpcid), as Linux does.
 * Every operation advances the clock of the CPU it runs on; IPIs advance
 * the clocks of their targets.
 */
#ifndef MMUSIM_OS_OS_H
#define MMUSIM_OS_OS_H

#include <stdint.h>
#include <stdbool.h>

#include "base/config.h"
#include "base/phys.h"
#include "base/stats.h"
#include "base/trace.h"
#include "hw/mmu.h"

#define OS_MAX_CPUS 256
#define TLB_FLUSH_ALL UINT64_MAX

/* What Linux keeps in struct page and in the PTE's software bits, kept
 * here in bits the MMU ignores (SDM Vol.3A 4.5, tables 4-18 to 4-20: bits
 * 11:9 of a leaf are ignored). */
#define PTE_SPECIAL  (1ull << 9)   /* the shared zero page (Linux _PAGE_SPECIAL, bit 9) */
#define PTE_FILEPAGE (1ull << 10)  /* a page-cache page, not anonymous memory */
#define PTE_EXCL     (1ull << 11)  /* PageAnonExclusive: an anonymous page of this mm alone */
/* Linux _PAGE_PROTNONE is the G bit of a non-present leaf: a PROT_NONE
 * page keeps its frame, and pte_present() is true for it. */
#define PTE_PROTNONE PTE_G
/* Linux _PAGE_TABLE: P | RW | US | A | D on every entry pointing to a user
 * page table (the rights are the leaves' to restrict). */
#define PAGE_TABLE (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D)

/* A shmem object: the unlinked shmem inode that shmem_zero_setup
 * (mm/shmem.c, v6.18) gives a MAP_SHARED|MAP_ANONYMOUS mapping.  Its
 * pages, by page offset, are shared by every VMA that maps it: a forked
 * child's VMA takes a reference on the file, not the page tables, and
 * its faults find the parent's frames (shmem_fault, filemap_map_pages).
 * The object holds one reference on each frame (the page cache's); each
 * PTE mapping a frame holds another. */
typedef struct shmem_page {
	uint64_t index;           /* page offset of its first 4 KiB */
	uint64_t pfn;
	unsigned level;           /* 1: 4 KiB, 2: 2 MiB, 3: 1 GiB */
} shmem_page;

typedef struct shmem_obj {
	unsigned refs;            /* the VMAs mapping it (vma->vm_file) */
	shmem_page *page;         /* sorted by index, not overlapping */
	size_t npage, cappage;
} shmem_obj;

typedef struct vm_area {
	uint64_t start, end;      /* [start, end), page-aligned */
	uint32_t prot;            /* PROT_R_ | PROT_W_ | PROT_X_ */
	uint32_t flags;           /* MAPF_* */
	/* vma->anon_vma: 0 while the VMA holds no anonymous page, else the
	 * identity of its anon_vma (fork copies the tables of a VMA that has
	 * one; two VMAs with different ones never merge) */
	uint64_t anon_vma;
	/* vm_pgoff: the page offset of start in its file or shm; for
	 * private anonymous memory start >> 12 at mmap (as __mmap_region
	 * sets it), kept when mremap moves it */
	uint64_t pgoff;
	/* shared anonymous memory or a named file (MAPF_FILE): the object
	 * holding its pages (vma->vm_file's page cache), else NULL */
	shmem_obj *shm;
	/* vma->vm_file of an unnamed file mapping: a file of its own, by a
	 * number (0: none) */
	uint64_t file_id;
} vm_area;

/* The counters of mm->rss_stat (include/linux/mm_types_task.h,
 * NR_MM_COUNTERS), by their Linux names and order. */
enum { MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES, NR_MM_COUNTERS };
/* mm_counter_of: a page hugetlb counts (mm->hugetlb_usage), not RSS */
#define MM_HUGETLB NR_MM_COUNTERS

typedef struct mm_struct {
	uint64_t ctx_id;          /* unique, never reused (mm->context.ctx_id) */
	uint64_t tlb_gen;         /* bumped by every flush request */
	int mm_users, mm_count;
	uint64_t pgd;             /* pfn of the top-level table */
	uint64_t user_pgd;        /* PTI: pfn of the user copy (0 without PTI) */
	uint64_t cpumask[OS_MAX_CPUS / 64];
	int64_t next_trim_cpumask;   /* jiffies (mm->context.next_trim_cpumask, v6.14+) */
	uint16_t global_asid;     /* mm->context.global_asid (v6.15+ INVLPGB), 0: none */
	bool asid_transition;     /* mm->context.asid_transition: some CPU may still run it on a dynamic ASID */
	vm_area *vma;
	size_t nvma, capvma;
	bool is_init;
	bool users_gone;          /* exit_mmap done */
	/* What mm_struct accounts (include/linux/mm_types.h, v6.18), kept
	 * where Linux keeps it (docs/model.md, "Accounting"): pages mapped by
	 * kind, VMA pages by class (vm_stat_account), the page-table pages,
	 * the high-water marks and the layout.  Bookkeeping only: nothing
	 * here changes a cost or a flush. */
	int64_t rss_stat[NR_MM_COUNTERS];   /* pages (add_mm_counter) */
	int64_t hugetlb_usage;    /* pages of huge/giant VMAs (hugetlb_count_add) */
	int64_t pgtables_bytes;   /* mm_inc_nr_ptes/pmds/puds */
	uint64_t total_vm, data_vm, exec_vm, stack_vm;   /* pages */
	uint64_t hiwater_rss, hiwater_vm;    /* pages */
	uint64_t start_code, end_code, start_data, end_data;
	uint64_t start_brk, brk, start_stack, mmap_base;
	bool brk_known;           /* start_brk is set (layout, or the first brk) */
	uint32_t owner_pid;       /* the process it was made for (report's PID) */
	char owner_comm[16];
	struct mm_struct *all_prev, *all_next;   /* every live mm, for teardown */
} mm_struct;

enum task_kind { TASK_USER, TASK_KTHREAD, TASK_IDLE };
enum task_state { TS_RUNNABLE, TS_RUNNING, TS_VFORK_BLOCKED, TS_DEAD };

typedef struct task {
	uint32_t pid;
	char comm[16];
	enum task_kind kind;
	enum task_state state;
	mm_struct *mm;            /* NULL for kernel threads and after exit_mm */
	mm_struct *active_mm;     /* the address space it runs in */
	int cpu;                  /* running on, or -1 */
	struct task *vfork_parent;
	/* exec ... preempted: the rest of exec, done when it next runs */
	mm_struct *exec_old;
	uint64_t exec_stack;
	unsigned exec_argpages;
} task;

/* cpu_tlbstate (arch/x86/include/asm/tlbflush.h) */
typedef struct tlb_context {
	uint64_t ctx_id, tlb_gen;
} tlb_context;

typedef struct cpu_tlbstate {
	mm_struct *loaded_mm;
	uint16_t loaded_mm_asid;
	uint16_t next_asid;
	bool is_lazy;
	/* PTI: a kernel page was flushed in this ASID only (kernel mappings
	 * are not global under PTI); the other ASIDs get flushed when next
	 * chosen (flush_tlb_one_kernel, clear_asid_other) */
	bool invalidate_other;
	tlb_context *ctxs;        /* [asids] */
	uint64_t *user_pcid_flush_mask;  /* PTI: bit per ASID, pending user flush */
} cpu_tlbstate;

/* flush_tlb_info (asm/tlbflush.h): what a flush asks of each CPU. */
typedef struct flush_info {
	struct mm_struct *mm;
	uint64_t start, end;      /* end == TLB_FLUSH_ALL: everything */
	unsigned stride_shift;
	uint64_t new_tlb_gen;
	bool freed_tables;
	bool trim_cpumask;        /* v6.14+: this flush also trims mm_cpumask */
	unsigned initiating_cpu;
	/* the mm had a global ASID when the flush began.  Linux's initiator
	 * waits for its IPIs inside flush_tlb_multi, before
	 * consider_global_asid may hand one out; the model's IPIs are handled
	 * later, at arrival, so a handler of a flush begun without one does
	 * what Linux's did: no move to the global ASID. */
	bool had_global_asid;
	/* a kernel-address flush (on_each_cpu of do_kernel_range_flush or
	 * do_flush_tlb_all; mm is &init_mm): KFLUSH_* */
	unsigned kernel;
} flush_info;
enum { KFLUSH_NONE = 0, KFLUSH_RANGE = 1, KFLUSH_FULL = 2 };

/* A flush IPI on its way: handled when the target's time reaches
 * `arrival` (os_deliver_ipis), in the state the target is in then. */
typedef struct pending_ipi {
	uint64_t arrival, seq;
	flush_info f;             /* holds a reference on f.mm (mm_count) */
} pending_ipi;

typedef struct kcpu {
	unsigned id;
	uint64_t clock;           /* cycles */
	mmu hw;
	task idle;                /* swapper/N */
	task *curr;
	bool user_mode;
	bool must_switch;         /* after exit, vfork or a preempted exec */
	bool vcpu_preempted;      /* record preempted: the host runs something else until our next record */
	bool host_flush_pending;  /* KVM_VCPU_FLUSH_TLB: a flush skipped us meanwhile */
	cpu_tlbstate tlbstate;
	pending_ipi *inbox;       /* flush IPIs sent to this CPU, not yet handled */
	size_t ninbox, capinbox;
	unsigned outstanding;     /* IPIs this CPU sent and waits for */
	uint64_t ack_at;          /* the latest acknowledgement of those */
	uint64_t wait_begin;      /* when it sent them */
} kcpu;

/* Events for observers (the SystemC layer, VCD).  Any may be NULL. */
typedef struct os_observer {
	void *ctx;
	void (*translation)(void *ctx, unsigned cpu, uint64_t va, enum access_kind kind,
	                    bool user, const xlate_result *r);
	void (*cr3_write)(void *ctx, unsigned cpu, uint64_t cycle, uint64_t value);
	void (*ipi_send)(void *ctx, unsigned from, unsigned to, uint64_t sent);
	void (*ipi)(void *ctx, unsigned from, unsigned to, uint64_t handled, uint64_t acked);
	void (*shootdown_begin)(void *ctx, unsigned cpu, uint64_t begin);
	void (*shootdown_end)(void *ctx, unsigned cpu, uint64_t end);
	void (*fault)(void *ctx, unsigned cpu, uint64_t cycle, uint64_t va, uint32_t error,
	              bool segv);
	void (*context)(void *ctx, unsigned cpu, uint64_t cycle, uint32_t pid, bool user_mode);
} os_observer;

/* The PIDs (1..TRACE_MAX_PID) in chunks of 1024, each allocated when one of
 * its PIDs is first declared: a trace names a few hundred PIDs at most, and
 * a table of every possible PID (32 MiB of pointers) costs page faults on
 * every run, which dominated short runs (the fuzzers', the tests'). */
#define PID_CHUNK_BITS 10
#define PID_CHUNKS ((TRACE_MAX_PID >> PID_CHUNK_BITS) + 1)
typedef struct pid_chunk {
	task *task[1u << PID_CHUNK_BITS];                 /* live tasks */
	uint8_t used[(1u << PID_CHUNK_BITS) / 8];        /* PID ever declared */
} pid_chunk;

typedef struct kernel {
	const config *cfg;
	unsigned ncpus;
	kcpu *cpu;
	phys_mem pm;
	machine_shared sh;
	mm_struct init_mm;
	mm_struct *all_mm;        /* list of live mms */
	uint64_t next_ctx_id;
	pid_chunk **pids;         /* PID_CHUNKS, each made when a PID in it is first declared */
	size_t pid_chunks_made;   /* how many of them are made (os_free stops there) */
	sim_stats *st;
	os_observer obs;
	unsigned levels;
	bool pcid, pti, pge, lazy_tlb, cpumask_trim, skip_shootdowns;
	unsigned asids, flush_ceiling;
	unsigned version;         /* kernel=: KERNEL_6_13, _6_14 or _6_18 */
	uint64_t cycles_per_jiffy, hz;
	/* broadcast TLB flushes (invlpgb=on): the global ASID space of
	 * arch/x86/mm/tlb.c v6.18 (global_asid_used, global_asid_freed,
	 * last_global_asid, global_asid_available, MAX_ASID_AVAILABLE) */
	bool invlpgb;
	unsigned invlpgb_count_max;
	uint16_t max_asid, last_global_asid;
	int global_asid_available;
	uint64_t global_asid_used[4096 / 64], global_asid_freed[4096 / 64];
	uint64_t zero_pfn;        /* the shared zero page (ZERO_PAGE(0)) */
	uint64_t next_anon_vma, next_file_id;   /* identities (vm_area.anon_vma, .file_id) */
	/* named files (mmap ... file=NAME): each one's page cache, kept
	 * while the machine runs (the page cache outlives its mappings) */
	struct named_file {
		char *name;
		shmem_obj *pages;
	} *files;
	size_t nfiles, capfiles;
	uint64_t next_arrival;    /* the earliest pending IPI's arrival, UINT64_MAX if none */
	uint64_t ipi_seq;
	bool untraced;            /* inside a switch the source did not trace */
	bool in_ipi;              /* inside a flush IPI's handler */
	/* last error: message and the index of the record field it is about
	 * (into trace_record.col), or -1 for an internal error */
	char err[256];
	int err_field;
} kernel;

/* Where PID (at most TRACE_MAX_PID) lives: its chunk, k->pids[pid_chunk_index],
 * and its slot in that chunk. */
static inline size_t pid_chunk_index(uint32_t pid)
{
	return pid >> PID_CHUNK_BITS;
}

static inline unsigned pid_slot(uint32_t pid)
{
	return pid & ((1u << PID_CHUNK_BITS) - 1);
}

/* The live task of PID (NULL: none, or a PID above TRACE_MAX_PID). */
static inline task *os_task(const kernel *k, uint32_t pid)
{
	const pid_chunk *ch = pid <= TRACE_MAX_PID ? k->pids[pid_chunk_index(pid)] : NULL;
	return ch ? ch->task[pid_slot(pid)] : NULL;
}

/* One CPU of the machine, for the layers above, which name none of its
 * fields: its clock, its MMU, whether it owes a switch. */
static inline kcpu *os_cpu(kernel *k, unsigned cpu)
{
	return &k->cpu[cpu];
}
static inline const kcpu *os_cpu_const(const kernel *k, unsigned cpu)
{
	return &k->cpu[cpu];
}
static inline uint64_t os_cpu_clock(const kcpu *c)
{
	return c->clock;
}
/* The engine's ordering rule starts a record on c at `start`, which is
 * never before c's clock (docs/trace-format.md, "The ordering rule"). */
static inline void os_cpu_start_at(kcpu *c, uint64_t start)
{
	c->clock = start;
}
/* The task c runs: its PID and COMM (the idle task: 0, swapper/N). */
static inline uint32_t os_cpu_task_pid(const kcpu *c)
{
	return c->curr->pid;
}
static inline const char *os_cpu_task_comm(const kcpu *c)
{
	return c->curr->comm;
}
static inline bool os_cpu_owes_switch(const kcpu *c)
{
	return c->must_switch;
}
static inline mmu *os_cpu_mmu(kcpu *c)
{
	return &c->hw;
}
static inline const mmu *os_cpu_mmu_const(const kcpu *c)
{
	return &c->hw;
}
static inline void os_set_observer(kernel *k, const os_observer *obs)
{
	k->obs = *obs;
}

/* Boot: init_mm with the kernel half, every CPU idle with init_mm loaded
 * in ASID slot 0 (not counted).  0 or -1 with k->err. */
int os_init(kernel *k, const config *cfg, unsigned ncpus, sim_stats *st);
void os_free(kernel *k);

/* Operations of the trace; each returns 0, or -1 with k->err/err_field
 * (a trace error, exit 65) or err_field == -1 (internal error, exit 70). */
int os_declare(kernel *k, uint32_t pid, const char *comm, bool kthread);
/* The state declarations (docs/trace-format.md): a thread of a live
 * process, a mapping or present pages of a process at this point of the
 * trace.  No cost, no statistics. */
int os_declare_thread(kernel *k, uint32_t pid, uint32_t tgid, const char *comm);
int os_declare_vma(kernel *k, uint32_t pid, uint64_t addr, uint64_t len, uint32_t prot,
                   uint32_t flags, const char *file, uint64_t file_off);
int os_declare_present(kernel *k, uint32_t pid, uint64_t addr, uint64_t len, unsigned kind);
/* cpumask PID CPU: CPU is in the mm_cpumask of PID's address space (left
 * there before the trace began, though the CPU runs something else). */
int os_declare_cpumask(kernel *k, uint32_t pid, unsigned cpu);
/* next_trim PID NS: PID's mm trims its mask at its first remote flush
 * after NS (mm->context.next_trim_cpumask); by default a declared
 * process's trim is long due. */
int os_declare_next_trim(kernel *k, uint32_t pid, uint64_t ns);
/* Simulated time stays below 2^62 cycles (36 years at 4 GHz): a record
 * that would start at or pass it is an error (the engine's check), so
 * the 64-bit clocks never wrap.  The bound holds because no record can
 * add more than 2^62: every latency and cost is at most 10^9 cycles
 * (config_validate) and costs per page are capped (os_cycles_times). */
#define OS_CLOCK_LIMIT (1ull << 62)
static inline uint64_t os_cycles_times(uint64_t n, uint64_t cost)
{
	const uint64_t cap = 1ull << 58;   /* even a few such terms in one record stay far below 2^62 */
	return cost && n > cap / cost ? cap : n * cost;
}
/* A record's start on a CPU's clock: @TIME in ns as cycles (saturating). */
uint64_t os_ns_to_cycles(const kernel *k, uint64_t ns);

/* Flush IPIs are handled when they arrive, not when they are sent: before
 * a record with @TIME starts at `start`, the engine delivers those due by
 * then (the records of a real trace between the send and the arrival ran
 * before the flush); before a record without one, all of them (file order
 * is the order of effects, docs/trace-format.md, "The ordering rule").  A CPU that sent some waits for
 * their acknowledgements before its next record (os_wait_acks delivers
 * them first if need be); at the end of the trace os_settle delivers the
 * rest. */
void os_deliver_ipis(kernel *k, uint64_t t);
void os_wait_acks(kernel *k, kcpu *c);
void os_settle(kernel *k);
/* KVM guests: the record `preempted` (docs/trace-format.md) marks a vCPU
 * the host has descheduled; it runs again at its next record. */
void os_vcpu_preempted(kernel *k, unsigned cpu);
void os_vcpu_resume(kernel *k, kcpu *c);
static inline void os_before_record(kernel *k, kcpu *c, uint64_t start, bool timed)
{
	if (c->vcpu_preempted)
		os_vcpu_resume(k, c);
	if (k->next_arrival <= (timed ? start : UINT64_MAX - 1))
		os_deliver_ipis(k, timed ? start : UINT64_MAX);
	if (c->outstanding | (c->ack_at != 0))
		os_wait_acks(k, c);
}
/* Speed device (the engine's record start): false when os_before_record
 * would do nothing, whatever the record's start: no IPI in flight (an
 * unacknowledged one is in an inbox, so c->outstanding needs no test),
 * none acknowledged to wait for, the vCPU running.  Every access makes
 * this test; the scenario and determinism tests hold it to the rule. */
static inline bool os_before_record_needed(const kernel *k, const kcpu *c)
{
	return (k->next_arrival != UINT64_MAX) | (c->ack_at != 0) | c->vcpu_preempted;
}
/* untraced: the trace's source did not trace this switch; the tracepoint
 * events it causes are counted apart (tlb_flush_untraced). */
int os_switch(kernel *k, unsigned cpu, uint32_t pid, bool untraced);
int os_access_general(kernel *k, unsigned cpu, uint64_t va, uint64_t size,
                      enum access_kind kind, bool user);

/* The rest of one translation (os/kernel.c): the observer, and on a
 * fault the fault-and-retry loop; r is the first attempt's result. */
uint64_t os_translate_rest(kernel *k, kcpu *c, uint64_t va, enum access_kind kind, bool user,
                           xlate_result *r);

/* One translation at cycle `start` and its data access, counted by its
 * final attempt (docs/trace-format.md, "What uses the TLBs").  Returns
 * when the data access completes, or 0 with k->err set. */
static inline __attribute__((always_inline)) uint64_t os_translate(kernel *k, kcpu *c, uint64_t va, enum access_kind kind,
                                    bool user, uint64_t start)
{
	xlate_result r;
	mmu_translate(&c->hw, va, kind, user, start, &r);
	if (k->obs.translation || r.fault != XF_NONE)
		return os_translate_rest(k, c, va, kind, user, &r);
	cpu_stats *cs = c->hw.st;   /* k->st->cpu[c->id], one load away */
	cs->accesses++;
	if (r.level != XL_WALK)
		cs->tlb_hits++;
	else
		cs->tlb_misses++;
	return r.end + mmu_data_access(&c->hw, r.pa);
}

/* An access of the trace.  Its common case inline: no mode change, a
 * user task, within one page; everything else, errors included, is
 * os_access_general, which ends in the same os_translate. */
static inline __attribute__((always_inline)) int os_access(kernel *k, unsigned cpu, uint64_t va, uint64_t size,
                            enum access_kind kind, bool user)
{
	kcpu *c = &k->cpu[cpu];
	if (c->must_switch || c->user_mode != user || c->curr->kind != TASK_USER ||
	    ((va + size - 1) ^ va) >= 4096)
		return os_access_general(k, cpu, va, size, kind, user);
	uint64_t end = os_translate(k, c, va, kind, user, c->clock);
	if (!end)
		return -1;
	if (c->clock < end)
		c->clock = end;
	return 0;
}
/* tick CYCLES: work that touches no memory; a trace error if it takes
 * the CPU's clock past OS_CLOCK_LIMIT. */
int os_tick(kernel *k, unsigned cpu, uint64_t cycles);
int os_syscall(kernel *k, unsigned cpu);
/* file: a named file's name (mmap ... file=NAME), "" or NULL for none;
 * file_off: the byte offset of addr in it (offset=OFF). */
int os_mmap(kernel *k, unsigned cpu, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
            const char *file, uint64_t file_off);
int os_munmap(kernel *k, unsigned cpu, uint64_t addr, uint64_t len);
int os_mprotect(kernel *k, unsigned cpu, uint64_t addr, uint64_t len, uint32_t prot);
int os_madvise(kernel *k, unsigned cpu, uint64_t addr, uint64_t len, unsigned advice);
int os_mremap(kernel *k, unsigned cpu, uint64_t old, uint64_t old_len, uint64_t new_addr,
              uint64_t new_len);
int os_fork(kernel *k, unsigned cpu, uint32_t child, bool vfork);
int os_clone(kernel *k, unsigned cpu, uint32_t child);
/* exec COMM [STACK [ARGPAGES]] [preempted]: a new address space; with
 * STACK, the stack exec builds (setup_arg_pages), its top at STACK.
 * preempted: the task is switched out right after the new mm is loaded,
 * and releases the old mm and builds the stack when it next runs. */
int os_exec(kernel *k, unsigned cpu, const char *comm, uint64_t stack, unsigned argpages,
            bool preempted);
int os_exit(kernel *k, unsigned cpu);
/* The kernel's own mappings (any task; a user task enters the kernel):
 * vmap ADDR LEN PROT maps new 4 KiB pages in the vmalloc area
 * (vmap_pages_range, no flush); vunmap ADDR LEN unmaps them, flushes the
 * range (flush_tlb_kernel_range) and frees the frames; kflush flushes a
 * kernel range, or everything (all: flush_tlb_all), changing no table. */
int os_vmap(kernel *k, unsigned cpu, uint64_t addr, uint64_t len, uint32_t prot);
int os_vunmap(kernel *k, unsigned cpu, uint64_t addr, uint64_t len);
int os_kflush(kernel *k, unsigned cpu, uint64_t addr, uint64_t len, bool all);
/* brk ADDR: the heap ends at ADDR now (SYSCALL_DEFINE1(brk), mm/mmap.c). */
int os_brk(kernel *k, unsigned cpu, uint64_t addr);
/* layout PID ...: the layout fields of PID's mm (what exec's ELF loader
 * set: start_code ... start_stack, mmap_base). */
int os_declare_layout(kernel *k, uint32_t pid, const uint64_t *v, unsigned n);
/* The per-process report of mm (sim_stats.reports), taken as it is now. */
void os_report_mm(kernel *k, const mm_struct *mm, unsigned at);
/* At the end of the trace: a report of every mm still in use, and the
 * machine-wide sums. */
void os_report_live(kernel *k);
/* The named file NAME's page cache, made on first use. */
shmem_obj *os_named_file(kernel *k, const char *name);

/* Checks common to records: the CPU may run this record (a switch is
 * due after exit/vfork; user ops need a user task). */
int os_check_user_op(kernel *k, unsigned cpu);
int os_check_not_pending_switch(kernel *k, unsigned cpu);
void os_enter_kernel(kernel *k, unsigned cpu);

/* ---- internal, shared between the files of os/ ---- */
int os_fail(kernel *k, int field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* arch/x86/mm/tlb.c */
void switch_mm_irqs_off(kernel *k, kcpu *c, mm_struct *next);
void enter_lazy_tlb(kernel *k, kcpu *c);
void flush_tlb_mm_range(kernel *k, kcpu *c, mm_struct *mm, uint64_t start, uint64_t end,
                        unsigned stride_shift, bool freed_tables);
/* asm/tlbflush.h: flush_tlb_mm passes freed_tables; flush_tlb_range too
 * since v6.15 (CVE-2025-22045); flush_tlb_page never. */
/* mmu_context.h destroy_context -> mm_free_global_asid (v6.15+): at
 * __mmdrop the mm's global ASID goes to global_asid_freed. */
void mm_free_global_asid(kernel *k, mm_struct *mm);
void flush_tlb_mm(kernel *k, kcpu *c, mm_struct *mm);
void flush_tlb_range(kernel *k, kcpu *c, mm_struct *mm, uint64_t start, uint64_t end);
void flush_tlb_page(kernel *k, kcpu *c, mm_struct *mm, uint64_t addr, unsigned level);
/* v6.18 flush_tlb_kernel_range and flush_tlb_all: every CPU, by IPI
 * (on_each_cpu) or, with invlpgb, by INVLPGB with include-global. */
void flush_tlb_kernel_range(kernel *k, kcpu *c, uint64_t start, uint64_t end);
void flush_tlb_all(kernel *k, kcpu *c);
/* flush_tlb_func: what CPU c does for request f, on the initiator or in
 * an IPI handler (its generation rules are tested in testbench/unit). */
void flush_tlb_func(kernel *k, kcpu *c, const flush_info *f);
/* should_flush_tlb: whether a flush without freed_tables interrupts CPU r. */
bool should_flush_tlb(const kernel *k, const kcpu *r, const flush_info *f);
/* The tlb:tlb_flush tracepoint: a reason and its pages field
 * (TLB_FLUSH_ALL for -1). */
void trace_tlb_flush(kernel *k, kcpu *c, enum flush_reason reason, uint64_t pages);
int64_t os_jiffies(const kernel *k, const kcpu *c);
void os_write_cr3(kernel *k, kcpu *c, uint64_t value);
/* PTI: kernel entry and exit (arch/x86/entry: SWITCH_TO_KERNEL_CR3 /
 * SWITCH_TO_USER_CR3) plus their cost. */
void kernel_entry(kernel *k, kcpu *c);
void kernel_exit(kernel *k, kcpu *c);
void cpumask_set(mm_struct *mm, unsigned cpu);
void cpumask_clear(mm_struct *mm, unsigned cpu);
bool cpumask_test(const mm_struct *mm, unsigned cpu);
/* os/mm.c */
mm_struct *mm_alloc(kernel *k, kcpu *c);
void mmgrab(mm_struct *mm);
void mmdrop(kernel *k, mm_struct *mm, bool lazy_ref);
void mmput(kernel *k, kcpu *c, mm_struct *mm);
void mm_unlink_free(kernel *k, mm_struct *mm);
int dup_mmap(kernel *k, kcpu *c, mm_struct *old, mm_struct *mm);
int setup_arg_pages(kernel *k, kcpu *c, mm_struct *mm, uint64_t stack, unsigned argpages);
/* os/vma.c */
const vm_area *find_vma(const mm_struct *mm, uint64_t va);
size_t vma_lower(const mm_struct *mm, uint64_t va);
bool vma_overlaps(const mm_struct *mm, uint64_t s, uint64_t e);
void vma_reserve(mm_struct *mm, size_t n);
/* vma_split_at and vma_insert take a reference on the VMA's shmem
 * object, vma_remove_range and vma_drop_all drop theirs. */
void vma_split_at(mm_struct *mm, uint64_t va);
void vma_remove_range(kernel *k, mm_struct *mm, uint64_t s, uint64_t e);
void vma_insert(mm_struct *mm, vm_area v);
void vma_drop_all(kernel *k, mm_struct *mm);
/* vm_stat_account (mm/vma.c? mm/mmap.c, v6.18) for npages of a VMA with
 * v's rights and flags, added or (npages < 0) taken away. */
void vm_stat_account(mm_struct *mm, const vm_area *v, int64_t npages);
/* vma_merge_new_range / vma_merge_existing_range (mm/vma.c): VMA i
 * merges with its neighbours where is_mergeable_vma and
 * is_mergeable_anon_vma allow; returns the index of the VMA holding
 * VMA i's start afterwards. */
size_t vma_merge_at(kernel *k, mm_struct *mm, size_t i);
/* mprotect's merges (vma.c); MAPF_CHANGED_ marks, during mprotect, a
 * VMA whose rights it changed. */
#define MAPF_CHANGED_ (1u << 31)
void vma_merge_changed(kernel *k, mm_struct *mm, uint64_t lo, uint64_t hi, bool split_lo,
                       bool split_hi);
void vma_expand_prev(kernel *k, mm_struct *mm, size_t i, uint64_t min);
/* anon_vma_prepare: v gets an anon_vma if it has none. */
void anon_vma_prepare(kernel *k, vm_area *v);
/* Which rss_stat counter a leaf of v counts in (mm_counter), or -1:
 * the zero page (not counted), a hugetlb page (hugetlb_usage). */
int mm_counter_of(uint32_t vma_flags, uint64_t pte);
void add_mm_counter(mm_struct *mm, int member, int64_t pages);
/* mm_inc_nr_ptes/pmds/puds, mm_dec_...: the table below an entry of
 * `level` came or went (a P4D table is not counted, as in Linux). */
void mm_account_table(kernel *k, mm_struct *mm, unsigned level, int sign);
uint64_t make_leaf(uint64_t pfn, uint32_t prot, unsigned level, bool writable, bool dirty);
vm_area *find_vma_mut(mm_struct *mm, uint64_t va);
/* The kinds of page a fault or a declaration installs. */
enum page_kind { PAGE_ANON, PAGE_ZERO, PAGE_FILE, PAGE_SHARED_ANON };
/* Installs a page of that kind at va (do_anonymous_page, finish_fault):
 * 0, or -1 when memory is exhausted.  *level_out: its size. */
int map_new_page(kernel *k, mm_struct *mm, vm_area *v, uint64_t va, enum page_kind kind,
                 bool write, unsigned *level_out);
/* Maps the not-present pages of file VMA v around va that one read fault
 * maps (do_fault_around); returns how many, or -1 (memory). */
int fault_around(kernel *k, mm_struct *mm, vm_area *v, uint64_t va);
void put_frame(kernel *k, uint64_t pte, unsigned level);
/* os/shmem.c: shmem objects (a new one has no reference yet) */
shmem_obj *shmem_new(void);
void shmem_get(shmem_obj *o);
void shmem_put(kernel *k, shmem_obj *o);
/* The page holding offset index, or NULL. */
shmem_page *shmem_find(shmem_obj *o, uint64_t index);
/* Whether no page of o lies in offsets [lo, hi). */
bool shmem_range_empty(const shmem_obj *o, uint64_t lo, uint64_t hi);
/* A new page of `level` at offset index (where o has none), holding
 * o's reference; NULL when memory is exhausted. */
shmem_page *shmem_add(kernel *k, shmem_obj *o, uint64_t index, unsigned level);
/* Splits a huge page of o into 512 pages a level down (as split_leaf
 * does to a mapping); returns the one holding index. */
shmem_page *shmem_split(kernel *k, shmem_obj *o, shmem_page *p, uint64_t index);
/* os/fault.c: 1 fixed (retry), 0 SIGSEGV, -1 internal error */
int handle_mm_fault(kernel *k, kcpu *c, uint64_t va, enum access_kind kind);
/* os/pgtable.c */
uint64_t pt_alloc_table(kernel *k);
void pt_write(kernel *k, mm_struct *mm, uint64_t entry_pa, uint64_t val, unsigned level);
uint64_t pt_entry_pa(kernel *k, mm_struct *mm, uint64_t va, unsigned level, bool create,
                     int *err);
uint64_t pt_find_leaf(kernel *k, const mm_struct *mm, uint64_t va, unsigned *level);
uint64_t pt_next_leaf(kernel *k, const mm_struct *mm, uint64_t va, uint64_t end);

#endif
