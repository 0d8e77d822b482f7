/* base/phys.h - simulated physical memory and its frame allocator.
 *
 * Sparse: a frame takes host memory only once something is written to it
 * (in practice only paging structures are, since user data is never
 * modelled), so a 16 GiB machine costs nothing until used.  Lookups go
 * through a two-level directory, O(1) and allocation-free for reads.
 *
 * The allocator is deterministic: 4 KiB frames come from a free stack, then
 * from a bump pointer rising from the bottom; 2 MiB and 1 GiB blocks from
 * their own free stacks, then from a pointer falling from the top.  The
 * frames below PHYS_RESERVED hold the kernel image and boot structures.
 */
#ifndef MMUSIM_BASE_PHYS_H
#define MMUSIM_BASE_PHYS_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE 4096ull
/* Linux's default CONFIG_PHYSICAL_START: the kernel image at 16 MiB. */
#define PHYS_KERNEL_BASE 0x1000000ull
/* kernel image (64 MiB, docs/trace-format.md) and a margin: frames below are not handed out */
#define PHYS_RESERVED (PHYS_KERNEL_BASE + (64ull << 20))

typedef struct frame_stack {
	uint64_t *pfn;
	size_t n, cap;
} frame_stack;

typedef struct phys_mem {
	uint64_t size;          /* bytes */
	uint64_t nframes;
	uint64_t ***content;    /* [pfn >> 10][pfn & 1023] -> 512 entries, or NULL */
	uint16_t **refs;        /* [pfn >> 12] -> 4096 reference counts */
	size_t ndir;
	uint64_t bump_low;      /* next never-used 4 KiB frame */
	uint64_t bump_high;     /* frames at and above are huge blocks */
	frame_stack free4k, free2m, free1g;
	uint64_t frames_in_use; /* 4 KiB frames handed out (huge blocks count all) */
	uint64_t content_pages; /* host pages of content */
} phys_mem;

int phys_init(phys_mem *pm, uint64_t size);
void phys_free(phys_mem *pm);

uint64_t phys_read64(const phys_mem *pm, uint64_t pa);
void phys_write64(phys_mem *pm, uint64_t pa, uint64_t v);
/* Forget a frame's content (it reads as zeros again). */
void phys_clear_frame(phys_mem *pm, uint64_t pfn);

/* order 0 (4 KiB), 9 (2 MiB) or 18 (1 GiB).  Returns 0 and the first pfn,
 * or -1 when memory is exhausted.  The block's reference count is set to 1. */
int phys_alloc(phys_mem *pm, unsigned order, uint64_t *pfn);
void phys_release(phys_mem *pm, uint64_t pfn, unsigned order);

uint16_t phys_refcount(const phys_mem *pm, uint64_t pfn);
void phys_set_refcount(phys_mem *pm, uint64_t pfn, uint16_t n);

#endif
