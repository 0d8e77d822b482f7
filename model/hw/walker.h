/* hw/walker.h - the page walker of one CPU (internal to hw/). */
#ifndef MMUSIM_HW_WALKER_H
#define MMUSIM_HW_WALKER_H

#include "hw/mmu.h"

typedef struct walk_out {
	uint64_t end;            /* cycle the walk finished */
	uint64_t pfn;            /* leaf: first 4 KiB frame of the page */
	unsigned shift;          /* 12, 21 or 30 */
	uint8_t perm;            /* PERM_* combined over the levels */
	uint8_t global, dirty;
	uint32_t pf_error;       /* on failure */
	/* where the leaf is, as mmu_probe_leaf says (hw/mmu.h) when the walk
	 * took the probe's way (from CR3, or from a PSC entry filled on that
	 * way, mmu_path_known), else 0 */
	uint64_t leaf;
} walk_out;

/* Walks va from CR3 starting at cycle `start`.  Reads entries through the
 * data caches, starts at the deepest PSC hit, fills the PSCs, sets A and D.
 * Appends its steps to r->steps.  Returns false on a #PF (w->pf_error). */
bool walk(mmu *m, uint64_t va, enum access_kind kind, bool user, uint64_t start,
          walk_out *w, xlate_result *r);

#endif
