/* Unit test of fork's page-table copy (os/mm.c copy_leaf), through the
 * engine: copy_present_ptes / __copy_present_ptes (Linux v6.18
 * mm/memory.c) write-protect a private writable page in both mms and
 * clear its exclusive mark (folio_try_dup_anon_rmap_ptes); the child's
 * entry is old (pte_mkold) and keeps D in a private mapping (pte_mkclean
 * is for VM_SHARED only); the walker sets A again at the child's first
 * access. */
#include "check.h"
#include "run_trace.h"

static sim s;

/* PID's leaf entry for va (0: none). */
static uint64_t pte(uint32_t pid, uint64_t va)
{
	unsigned level;
	uint64_t pa = pt_find_leaf(&s.k, os_task(&s.k, pid)->mm, va, &level);
	return pa ? phys_read64(&s.k.pm, pa) : 0;
}

static const char trace[] =
	"mmtrace 1\ncpus 1\nproc 1 app\n"
	"0 switch 1\n"                                /* 2 */
	"0 mmap 0x10000000 0x1000 rw- populate\n"
	"0 w 0x10000000\n"                            /* 4: A and D set */
	"0 fork 2\n"                                  /* 5 */
	"0 switch 2\n"
	"0 r 0x10000000\n";                           /* 7 */

static void child_entry_is_old_and_write_protected(void)
{
	open_trace(&s, trace);
	run_to(&s, 4);
	uint64_t before = pte(1, 0x10000000);
	CHECK((before & (PTE_P | PTE_RW | PTE_A | PTE_D | PTE_EXCL)) ==
	      (PTE_P | PTE_RW | PTE_A | PTE_D | PTE_EXCL));
	run_to(&s, 5);
	uint64_t parent = pte(1, 0x10000000), child = pte(2, 0x10000000);
	CHECK_EQ(parent & (PTE_RW | PTE_EXCL), 0);      /* COW in both, shared frame */
	CHECK(parent & PTE_A);                          /* the parent's stays young */
	CHECK_EQ(child & (PTE_RW | PTE_EXCL | PTE_A), 0);
	CHECK(child & PTE_D);                           /* private: still dirty */
	CHECK_EQ(child & PTE_ADDR, parent & PTE_ADDR);
	run_to(&s, 0);
	CHECK(pte(2, 0x10000000) & PTE_A);              /* the walker marked it accessed */
	CHECK_EQ(s.st.cpu[0].faults_cow + s.st.cpu[0].faults_demand, 0);
	sim_close(&s);
}

int main(void)
{
	RUN(child_entry_is_old_and_write_protected);
	return check_report();
}
