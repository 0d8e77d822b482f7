/* os/vma.c - the VMAs of an mm: a sorted array of non-overlapping
 * [start, end) ranges (Linux keeps a maple tree; the order and the
 * operations are the same: find_vma, split_vma, merge, insert, detach),
 * and what mm_struct counts of them: the pages by class
 * (vm_stat_account), map_count (the number of VMAs, as vma_link,
 * __split_vma, vma_merge and vms_complete_munmap_vmas keep it) and the
 * virtual high-water mark (update_hiwater_vm). */
#include "os/os.h"
#include "base/trace.h"
#include "base/output.h"

#include <stdlib.h>
#include <string.h>

void vma_reserve(mm_struct *mm, size_t n)
{
	if (n <= mm->capvma)
		return;
	mm->capvma = n < 8 ? 8 : 2 * n;
	mm->vma = realloc(mm->vma, mm->capvma * sizeof *mm->vma);
	if (!mm->vma)
		output_out_of_memory();
}

/* Index of the first VMA ending after va. */
size_t vma_lower(const mm_struct *mm, uint64_t va)
{
	size_t lo = 0, hi = mm->nvma;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (mm->vma[mid].end <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

vm_area *find_vma_mut(mm_struct *mm, uint64_t va)
{
	size_t i = vma_lower(mm, va);
	return i < mm->nvma && mm->vma[i].start <= va ? &mm->vma[i] : NULL;
}

const vm_area *find_vma(const mm_struct *mm, uint64_t va)
{
	return find_vma_mut((mm_struct *)mm, va);
}

bool vma_overlaps(const mm_struct *mm, uint64_t s, uint64_t e)
{
	size_t i = vma_lower(mm, s);
	return i < mm->nvma && mm->vma[i].start < e;
}

/* split_vma: the VMA containing va (if any) is cut so that va is a
 * boundary; both halves keep its rights, flags and anon_vma, and the
 * upper one maps its object from its own page offset (vm_pgoff; the new
 * VMA takes a reference on the file, get_file in __split_vma). */
void vma_split_at(mm_struct *mm, uint64_t va)
{
	size_t i = vma_lower(mm, va);
	if (i >= mm->nvma || mm->vma[i].start >= va)
		return;
	vma_reserve(mm, mm->nvma + 1);
	memmove(&mm->vma[i + 1], &mm->vma[i], (mm->nvma - i) * sizeof *mm->vma);
	mm->nvma++;
	mm->vma[i].end = va;
	mm->vma[i + 1].start = va;
	mm->vma[i + 1].pgoff += (va - mm->vma[i].start) >> 12;
	shmem_get(mm->vma[i + 1].shm);
}

/* vm_stat_account (mm/mmap.c, v6.18) with the classes of
 * include/linux/mm.h (is_exec_mapping, is_stack_mapping,
 * is_data_mapping): VM_EXEC is PROT_X_, VM_WRITE PROT_W_, VM_SHARED
 * MAPF_SHARED, VM_STACK (VM_GROWSDOWN on x86) MAPF_STACK. */
void vm_stat_account(mm_struct *mm, const vm_area *v, int64_t npages)
{
	bool exec = v->prot & PROT_X_, write = v->prot & PROT_W_;
	bool shared = v->flags & MAPF_SHARED, stack = v->flags & MAPF_STACK;
	uint64_t n = (uint64_t)npages;
	mm->total_vm += n;
	if (exec && !write && !stack)
		mm->exec_vm += n;
	else if (stack)
		mm->stack_vm += n;
	else if (write && !shared)
		mm->data_vm += n;
}

static int64_t vma_pages(const vm_area *v)
{
	return (int64_t)((v->end - v->start) >> 12);
}

/* do_vmi_align_munmap -> vms_complete_munmap_vmas: "Update high
 * watermark before we lower total_vm" (update_hiwater_vm), then the
 * removed VMAs' pages leave their classes; map_count falls by their
 * number (nvma here). */
void vma_remove_range(kernel *k, mm_struct *mm, uint64_t s, uint64_t e)
{
	vma_split_at(mm, s);
	vma_split_at(mm, e);
	size_t i = vma_lower(mm, s), j = i;
	if (i < mm->nvma && mm->vma[i].end <= e && mm->hiwater_vm < mm->total_vm)
		mm->hiwater_vm = mm->total_vm;
	while (j < mm->nvma && mm->vma[j].end <= e) {
		vm_stat_account(mm, &mm->vma[j], -vma_pages(&mm->vma[j]));
		shmem_put(k, mm->vma[j++].shm);   /* remove_vma -> fput */
	}
	if (j == i)
		return;
	memmove(&mm->vma[i], &mm->vma[j], (mm->nvma - j) * sizeof *mm->vma);
	mm->nvma -= j - i;
}

/* v must not overlap a VMA of mm. */
void vma_insert(mm_struct *mm, vm_area v)
{
	vma_reserve(mm, mm->nvma + 1);
	size_t i = vma_lower(mm, v.start);
	memmove(&mm->vma[i + 1], &mm->vma[i], (mm->nvma - i) * sizeof *mm->vma);
	mm->vma[i] = v;
	mm->nvma++;
	shmem_get(v.shm);
	vm_stat_account(mm, &v, vma_pages(&v));   /* __mmap_region, insert_vm_struct */
}

void anon_vma_prepare(kernel *k, vm_area *v)
{
	if (!v->anon_vma)
		v->anon_vma = k->next_anon_vma++;
}

/* is_mergeable_anon_vma: either has none yet, or they share one. */
static bool anon_compatible(uint64_t a, uint64_t b)
{
	return !a || !b || a == b;
}

/* Whether b, which starts where a ends, can be one VMA with it
 * (mm/vma.c, v6.18: is_mergeable_vma -- the same flags and file --,
 * is_mergeable_anon_vma, and b's vm_pgoff following a's, which for
 * anonymous memory is its address at mmap).  Hugetlb VMAs (huge,
 * giant) never merge: hugetlbfs sets VM_DONTEXPAND, one of VM_SPECIAL;
 * nor do special mappings (special): __install_special_mapping sets
 * VM_DONTEXPAND too. */
static bool can_merge(const vm_area *a, const vm_area *b)
{
	return a->end == b->start && a->prot == b->prot && a->flags == b->flags &&
	       !(a->flags & (MAPF_HUGE | MAPF_GIANT | MAPF_SPECIAL)) && a->shm == b->shm &&
	       a->file_id == b->file_id && anon_compatible(a->anon_vma, b->anon_vma) &&
	       b->pgoff == a->pgoff + ((a->end - a->start) >> 12);
}

/* VMA i+1 becomes part of VMA i (the merged VMA drops the second's
 * file reference: remove_vma -> fput). */
static void merge_next(kernel *k, mm_struct *mm, size_t i)
{
	vm_area *a = &mm->vma[i], *b = &mm->vma[i + 1];
	a->end = b->end;
	if (!a->anon_vma)
		a->anon_vma = b->anon_vma;
	shmem_put(k, b->shm);
	memmove(b, b + 1, (mm->nvma - i - 2) * sizeof *b);
	mm->nvma--;
}

/* vma_merge_new_range / vma_merge_existing_range: with the previous
 * VMA (can_merge_left), the next (can_merge_right), or both -- but
 * both only if the previous and the next VMA's anon_vmas are
 * compatible, else the previous one alone.  No counter changes but
 * map_count. */
size_t vma_merge_at(kernel *k, mm_struct *mm, size_t i)
{
	if (i >= mm->nvma)
		return i;
	bool left = i > 0 && can_merge(&mm->vma[i - 1], &mm->vma[i]);
	bool right = i + 1 < mm->nvma && can_merge(&mm->vma[i], &mm->vma[i + 1]);
	if (left && right && !anon_compatible(mm->vma[i - 1].anon_vma, mm->vma[i + 1].anon_vma))
		right = false;
	if (right)
		merge_next(k, mm, i);
	if (left) {
		merge_next(k, mm, i - 1);
		i--;
	}
	return i;
}

/* Every VMA goes (exit_mmap's remove_vma, or teardown). */
void vma_drop_all(kernel *k, mm_struct *mm)
{
	for (size_t i = 0; i < mm->nvma; i++)
		shmem_put(k, mm->vma[i].shm);
	mm->nvma = 0;
}

/* After mprotect (vma_modify_flags -> vma_merge_existing_range, each
 * changed VMA in turn): a VMA whose rights changed (MAPF_CHANGED_)
 * merges with the VMA before it and the one after it where can_merge
 * allows; a split at lo or hi of a VMA that kept its rights (split_lo,
 * split_hi) is undone.  VMAs neither touched nor split stay apart, as
 * Linux leaves them. */
void vma_merge_changed(kernel *k, mm_struct *mm, uint64_t lo, uint64_t hi, bool split_lo,
                       bool split_hi)
{
	size_t i = vma_lower(mm, lo);
	if (i > 0)
		i--;
	while (i + 1 < mm->nvma && mm->vma[i].end <= hi) {
		vm_area a = mm->vma[i], b = mm->vma[i + 1];
		uint64_t boundary = a.end;
		bool touched = ((a.flags | b.flags) & MAPF_CHANGED_) != 0;
		bool resplit = (boundary == lo && split_lo) || (boundary == hi && split_hi);
		a.flags &= ~MAPF_CHANGED_, b.flags &= ~MAPF_CHANGED_;
		if (boundary >= lo && (touched || resplit) && can_merge(&a, &b)) {
			uint32_t changed = (mm->vma[i].flags | mm->vma[i + 1].flags) & MAPF_CHANGED_;
			merge_next(k, mm, i);
			mm->vma[i].flags |= changed;
		} else {
			i++;
		}
	}
	for (i = vma_lower(mm, lo); i < mm->nvma && mm->vma[i].start < hi; i++)
		mm->vma[i].flags &= ~MAPF_CHANGED_;
}

/* do_brk_flags: the new heap VMA i becomes part of the VMA before it
 * when that one ends where it starts, lies above min (vma_prev_limit of
 * start_brk) and can merge (vmg.just_expand: never with the next). */
void vma_expand_prev(kernel *k, mm_struct *mm, size_t i, uint64_t min)
{
	if (i > 0 && i < mm->nvma && mm->vma[i - 1].end > min && can_merge(&mm->vma[i - 1], &mm->vma[i]))
		merge_next(k, mm, i - 1);
}
