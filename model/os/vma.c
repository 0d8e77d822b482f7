/* os/vma.c - the VMAs of an mm: a sorted array of non-overlapping
 * [start, end) ranges (Linux keeps a maple tree; the order and the
 * operations are the same: find_vma, split_vma, insert, detach). */
#include "os/os.h"

#include <stdlib.h>
#include <string.h>

void vma_reserve(mm_struct *mm, size_t n)
{
	if (n <= mm->capvma)
		return;
	mm->capvma = n < 8 ? 8 : 2 * n;
	mm->vma = realloc(mm->vma, mm->capvma * sizeof *mm->vma);
	if (!mm->vma)
		abort();
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

void vma_remove_range(kernel *k, mm_struct *mm, uint64_t s, uint64_t e)
{
	vma_split_at(mm, s);
	vma_split_at(mm, e);
	size_t i = vma_lower(mm, s), j = i;
	while (j < mm->nvma && mm->vma[j].end <= e)
		shmem_put(k, mm->vma[j++].shm);   /* remove_vma -> fput */
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
}

/* Every VMA goes (exit_mmap's remove_vma, or teardown). */
void vma_drop_all(kernel *k, mm_struct *mm)
{
	for (size_t i = 0; i < mm->nvma; i++)
		shmem_put(k, mm->vma[i].shm);
	mm->nvma = 0;
}
