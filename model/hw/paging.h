/* hw/paging.h - x86-64 paging-structure entries and address arithmetic
 * (SDM Vol.3A 4.5, tables 4-14 to 4-20). */
#ifndef MMUSIM_HW_PAGING_H
#define MMUSIM_HW_PAGING_H

#include <stdint.h>
#include <stdbool.h>

#define PTE_P    (1ull << 0)
#define PTE_RW   (1ull << 1)
#define PTE_US   (1ull << 2)
#define PTE_PWT  (1ull << 3)
#define PTE_PCD  (1ull << 4)
#define PTE_A    (1ull << 5)
#define PTE_D    (1ull << 6)
#define PTE_PS   (1ull << 7)
#define PTE_G    (1ull << 8)
#define PTE_XD   (1ull << 63)
/* bits 51:12: MAXPHYADDR 52 */
#define PTE_ADDR 0x000ffffffffff000ull

#define CR3_NOFLUSH (1ull << 63)
#define CR3_PCID_MASK 0xfffull
#define CR4_PGE   (1ull << 7)
#define CR4_LA57  (1ull << 12)
#define CR4_PCIDE (1ull << 17)

/* #PF error code (SDM 4.7) */
#define PF_P    (1u << 0)
#define PF_W    (1u << 1)
#define PF_U    (1u << 2)
#define PF_RSVD (1u << 3)
#define PF_I    (1u << 4)

/* Level numbering: 1 = PT (PTE), 2 = PD, 3 = PDPT, 4 = PML4, 5 = PML5. */

/* Whether entry e at `level` maps a page (SDM 4.5, tables 4-15 to 4-20):
 * a PTE always; a PDE (2 MiB) or PDPTE (1 GiB) with PS set; never a PML4E
 * or PML5E.  The walker, the probe and the kernel's page-table code all
 * ask here.  (Linux keeps a PROT_NONE page as a non-present leaf, so P is
 * not part of the test.) */
static inline bool pte_is_leaf(uint64_t e, unsigned level)
{
	return level == 1 || (level <= 3 && (e & PTE_PS));
}
static inline unsigned level_shift(unsigned level) { return 12 + 9 * (level - 1); }
static inline unsigned pt_index(uint64_t va, unsigned level)
{
	return (unsigned)(va >> level_shift(level)) & 511u;
}

/* Canonical: bits 63:N-1 all equal bit N-1, N = 48 or 57 (SDM 3.3.7.1). */
static inline bool va_canonical(uint64_t va, unsigned levels)
{
	unsigned bits = levels == 5 ? 57 : 48;
	int64_t s = (int64_t)(va << (64 - bits)) >> (64 - bits);
	return (uint64_t)s == va;
}

static inline uint64_t user_va_limit(unsigned levels)
{
	return levels == 5 ? (1ull << 56) : (1ull << 47);
}

/* Direct map and kernel image (docs/trace-format.md, "Accesses"). */
#define KERNEL_DIRECT_MAP 0xffff888000000000ull
#define KERNEL_IMAGE      0xffffffff81000000ull
#define KERNEL_IMAGE_SIZE (64ull << 20)
/* The vmalloc area of 4-level paging (Documentation/arch/x86/x86_64/mm.rst:
 * VMALLOC_START, 32 TiB), used with either paging: the records vmap and
 * vunmap map kernel pages there (docs/trace-format.md). */
#define VMALLOC_START 0xffffc90000000000ull
#define VMALLOC_END   0xffffe90000000000ull
/* The first address of the kernel (upper) half. */
static inline uint64_t kernel_va_start(unsigned levels) { return 0 - user_va_limit(levels); }

#endif
