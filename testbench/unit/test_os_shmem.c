/* Unit tests of os/shmem.c through the engine: a shared anonymous
 * mapping is one shmem object (mm/shmem.c shmem_zero_setup, v6.18) whose
 * frames every mapping of it maps -- a forked child's faults find the
 * parent's frames (fork copies no page tables for it: vma_needs_copy) --
 * and the object's frames go with its last mapping. */
#include "check.h"
#include "run_trace.h"

static sim s;

/* The frame PID's page tables map va to, or 0. */
static uint64_t frame(uint32_t pid, uint64_t va)
{
	unsigned level;
	uint64_t pa = pt_find_leaf(&s.k, os_task(&s.k, pid)->mm, va, &level);
	uint64_t e = pa ? phys_read64(&s.k.pm, pa) : 0;
	return (e & PTE_P) ? (e & PTE_ADDR) >> 12 : 0;
}

static const char fork_trace[] =
	"mmtrace 1\ncpus 1\nproc 1 app\n"
	"0 switch 1\n"                            /* 2 */
	"0 mmap 0x10000000 0x10000 rw- shared\n"  /* 3: one object */
	"0 w 0x10000000\n"
	"0 w 0x10001000\n"                        /* 5 */
	"0 mmap 0x10100000 0x1000 rw- shared\n"   /* 6: another object */
	"0 w 0x10100000\n"
	"0 fork 2\n"                              /* 8 */
	"0 switch 2\n"
	"0 r 0x10000000\n"                        /* 10: fault-around: pages 0, 1 */
	"0 w 0x10003000\n"                        /* 11: a new page of the object */
	"0 r 0x10100000\n"
	"0 switch 1\n"
	"0 r 0x10003000\n"                        /* 14: the child's page */
	"0 munmap 0x10000000 0x10000\n"           /* 15 */
	"0 munmap 0x10100000 0x1000\n"
	"0 switch 2\n"
	"0 munmap 0x10000000 0x10000\n"           /* 18: the objects' last mappings */
	"0 munmap 0x10100000 0x1000\n";

static void fork_child_maps_the_parents_frames(void)
{
	open_trace(&s, fork_trace);
	run_to(&s, 2);
	uint64_t before = s.k.pm.frames_in_use;
	run_to(&s, 14);
	uint64_t p0 = frame(1, 0x10000000), p1 = frame(1, 0x10001000);
	uint64_t p3 = frame(1, 0x10003000), q0 = frame(1, 0x10100000);
	CHECK(p0 && p1 && p3 && q0);
	CHECK_EQ(frame(2, 0x10000000), p0);
	CHECK_EQ(frame(2, 0x10001000), p1);   /* mapped by the child's fault-around */
	CHECK_EQ(frame(2, 0x10003000), p3);   /* faulted by the child, then the parent */
	CHECK_EQ(frame(2, 0x10100000), q0);
	CHECK(p0 != p1 && p0 != q0 && p3 != p0);
	CHECK_EQ(frame(2, 0x10002000), 0);    /* in nobody's object: not mapped */
	/* the object's reference and one per mapping */
	CHECK_EQ(phys_refcount(&s.k.pm, p0), 3);
	CHECK_EQ(s.st.cpu[0].faults_demand, 3 + 3 + 1);
	run_to(&s, 16);
	CHECK_EQ(phys_refcount(&s.k.pm, p0), 2);   /* the object and the child */
	run_to(&s, 0);
	/* the objects and their frames are gone; the child's pgd remains */
	CHECK_EQ(s.k.pm.frames_in_use, before + 1);
	sim_close(&s);
}

static const char dontneed_trace[] =
	"mmtrace 1\ncpus 1\nproc 1 app\n"
	"0 switch 1\n"
	"0 mmap 0x10000000 0x10000 rw- shared\n"
	"0 w 0x10000000\n"
	"0 w 0x10002000\n"                        /* 5 */
	"0 madvise 0x10000000 0x10000 dontneed\n" /* the PTEs go, the object keeps the pages */
	"0 r 0x10002000\n";                       /* 7: fault-around maps both again */

static void dontneed_keeps_the_objects_pages(void)
{
	open_trace(&s, dontneed_trace);
	run_to(&s, 5);
	uint64_t p0 = frame(1, 0x10000000), p2 = frame(1, 0x10002000);
	run_to(&s, 6);
	CHECK_EQ(frame(1, 0x10000000), 0);
	CHECK_EQ(phys_refcount(&s.k.pm, p0), 1);
	run_to(&s, 0);
	CHECK_EQ(frame(1, 0x10000000), p0);
	CHECK_EQ(frame(1, 0x10002000), p2);
	CHECK_EQ(s.st.cpu[0].faults_demand, 3);
	sim_close(&s);
}

/* The level of the leaf mapping va for PID (0: none). */
static unsigned leaf_level(uint32_t pid, uint64_t va)
{
	unsigned level = 0;
	return pt_find_leaf(&s.k, os_task(&s.k, pid)->mm, va, &level) ? level : 0;
}

static const char huge_trace[] =
	"mmtrace 1\ncpus 1\nproc 1 app\n"
	"0 switch 1\n"
	"0 mmap 0x40000000 0x400000 rw- shared huge\n"
	"0 w 0x40000000\n"                                  /* 4: a 2 MiB page */
	"0 w 0x40200000\n"
	"0 fork 2\n"
	"0 switch 2\n"
	"0 r 0x40001000\n"                                  /* 8: the same 2 MiB page */
	"0 mremap 0x40200000 0x200000 0x50001000 0x200000\n" /* misaligned, nothing mapped */
	"0 r 0x50002000\n";                                 /* 10: the object's page is split */

static void huge_pages_are_shared_whole_or_split(void)
{
	open_trace(&s, huge_trace);
	run_to(&s, 8);
	CHECK_EQ(leaf_level(1, 0x40000000), 2);
	CHECK_EQ(leaf_level(2, 0x40000000), 2);
	CHECK_EQ(frame(2, 0x40000000), frame(1, 0x40000000));
	run_to(&s, 0);
	CHECK_EQ(leaf_level(2, 0x50002000), 1);
	CHECK_EQ(frame(2, 0x50002000), frame(1, 0x40200000) + 1);
	CHECK_EQ(leaf_level(1, 0x40200000), 2);   /* the parent's mapping stays whole */
	sim_close(&s);
}

int main(void)
{
	RUN(fork_child_maps_the_parents_frames);
	RUN(dontneed_keeps_the_objects_pages);
	RUN(huge_pages_are_shared_whole_or_split);
	return check_report();
}
