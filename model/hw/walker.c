/* hw/walker.c - x86-64 page walk, 4 or 5 levels (SDM Vol.3A 4.5).
 *
 * One loop from the top level (or the deepest paging-structure-cache hit,
 * SDM 4.10.3.2) down to the leaf.  Each entry is read through this CPU's
 * data caches and timed by where its line was found.  Rights combine as
 * the SDM says (4.6): R/W and U/S are ANDed over the levels, XD is ORed.
 * A is set in every entry used and D in the leaf on a write (4.8), each a
 * timed locked write.
 *
 * Where the entries are: the machine's physical memory (machine_shared.pm)
 * or, when the MMU has a paging-structure port (mmu.pt_port, hw/mmu.h),
 * whatever the port reaches.  read_entry and write_entry are the only
 * places that decide; walk_from is compiled twice, once for each, so the
 * walk without a port is the plain phys_read64/phys_write64 code.
 */
#include "hw/walker.h"

static void add_step(xlate_result *r, uint64_t cycle, uint64_t pa, unsigned level,
                     enum mem_source src, bool write)
{
	if (r->nsteps < WALK_MAX_STEPS)
		r->steps[r->nsteps++] = (walk_step){ cycle, pa, (uint8_t)level, (uint8_t)src, write };
}

/* The entry at a.pa, read by the walk: through the port when there is one
 * (the value it returns is the entry), else from physical memory. */
static inline __attribute__((always_inline)) uint64_t read_entry(const phys_mem *pm,
                                                                 const pt_port *port, pt_access a)
{
	if (port)
		return port->read64(port->ctx, &a);
	return phys_read64(pm, a.pa);
}

/* The walk's A/D update of the entry at a.pa to v. */
static inline __attribute__((always_inline)) void write_entry(phys_mem *pm, const pt_port *port,
                                                              pt_access a, uint64_t v)
{
	if (port)
		port->write64(port->ctx, &a, v);
	else
		phys_write64(pm, a.pa, v);
}

static uint8_t entry_perm(uint64_t e)
{
	return (uint8_t)(((e & PTE_RW) ? PERM_W : 0) | ((e & PTE_US) ? PERM_U : 0) |
	                 ((e & PTE_XD) ? PERM_XD : 0));
}

static uint8_t combine(uint8_t acc, uint8_t lvl)
{
	return (uint8_t)((acc & lvl & (PERM_W | PERM_U)) | ((acc | lvl) & PERM_XD));
}

/* The deepest PSC entry for va: returns the level of the table to read
 * next and its address, or the top level and CR3's table.  (Inlined into
 * both copies of walk_from, as it was into the one walk before.) */
static inline __attribute__((always_inline)) unsigned
psc_start(mmu *m, uint64_t va, uint16_t pcid, uint64_t *table, uint8_t *perm, bool *known)
{
	*table = m->cr3 & PTE_ADDR;
	*perm = PERM_W | PERM_U;
	*known = true;
	if (!m->pwc_on)
		return m->levels;
	for (unsigned level = 2; level <= m->levels; level++) {
		/* psc[level-2] caches entries of that level, keyed by the VA bits
		 * that select them: PDE by 47:21, PDPTE by 47:30, PML4E by 47:39 */
		tlb *c = &m->psc[level - 2];
		if (!c->sets)
			continue;
		unsigned key_shift = level_shift(level);
		tlb_entry *e = tlb_lookup(c, va >> key_shift, key_shift, pcid, false, false);
		if (e) {
			m->st->pwc_hits++;
			*table = e->pfn << 12;
			*perm = e->perm;
			*known = mmu_path_known(m, e);
			return level - 1;
		}
	}
	return m->levels;
}

/* The walk, with the entries read and written through `port` (NULL:
 * physical memory).  `from` is when the walk's last step ended: each
 * access is issued then (pt_access.issue) and completes at t. */
static inline __attribute__((always_inline)) bool
walk_from(mmu *m, const pt_port *port, uint64_t va, enum access_kind kind, bool user,
          uint64_t start, walk_out *w, xlate_result *r)
{
	phys_mem *pm = m->sh->pm;
	uint16_t pcid = mmu_pcid(m);
	uint64_t t = start + m->lat_pwc, from = start;
	uint64_t table;
	uint8_t perm;
	/* the checker's (hw/mmu.c, check_hit): whether this walk reads the
	 * entries a probe from CR3 would, the PSC entries it fills stamped
	 * so (their check_epoch, unused otherwise) */
	bool known;
	unsigned level = psc_start(m, va, pcid, &table, &perm, &known);
	uint64_t stamp = known ? m->sh->check_epoch + 1 : 0;
	if (level < m->levels) {
		add_step(r, t, 0, level + 1, SRC_PSC, false);
		from = t;
	}
	for (;; level--) {
		uint64_t pte_pa = table + 8ull * pt_index(va, level);
		enum mem_source src;
		t += cache_access(&m->path, pte_pa, &src);
		m->st->walk_mem_refs++;
		add_step(r, t, pte_pa, level, src, false);
		uint64_t e = read_entry(pm, port, (pt_access){ pte_pa, from, t, (uint8_t)level,
		                                              (uint8_t)src, false });
		from = t;
		if (!(e & PTE_P)) {
			w->pf_error = pf_error_code(false, kind, user);
			w->end = t;
			return false;
		}
		uint8_t above = perm;
		perm = combine(perm, entry_perm(e));
		if (!pte_is_leaf(e, level)) {
			if (!(e & PTE_A)) {
				t += m->cost_ad;
				write_entry(pm, port, (pt_access){ pte_pa, from, t, (uint8_t)level,
				                                  (uint8_t)src, true }, e |= PTE_A);
				add_step(r, t, pte_pa, level, src, true);
				from = t;
			}
			tlb *c = &m->psc[level - 2];
			if (m->pwc_on && c->sets) {
				unsigned key_shift = level_shift(level);
				tlb_entry n = { .vpn = va >> key_shift, .pfn = (e & PTE_ADDR) >> 12,
				                .pcid = pcid, .perm = perm, .shift = (uint8_t)key_shift,
				                .check_epoch = stamp };
				tlb_fill(c, &n);
			}
			table = e & PTE_ADDR;
			continue;
		}
		if (perm_denied(perm, kind, user)) {
			w->pf_error = pf_error_code(true, kind, user);
			w->end = t;
			return false;
		}
		uint64_t set = PTE_A | (kind == ACC_WRITE ? PTE_D : 0);
		if ((e & set) != set) {
			t += m->cost_ad;
			write_entry(pm, port, (pt_access){ pte_pa, from, t, (uint8_t)level,
			                                  (uint8_t)src, true }, e |= set);
			add_step(r, t, pte_pa, level, src, true);
		}
		unsigned shift = level_shift(level);
		w->shift = shift;
		w->pfn = (e & PTE_ADDR & ~((1ull << shift) - 1)) >> 12;
		w->perm = perm;
		w->global = (e & PTE_G) != 0;
		w->dirty = (e & PTE_D) != 0;
		w->leaf = known && !m->memo_off ? pte_pa | above : 0;
		w->end = t;
		return true;
	}
}

bool walk(mmu *m, uint64_t va, enum access_kind kind, bool user, uint64_t start,
          walk_out *w, xlate_result *r)
{
	if (m->pt_port)
		return walk_from(m, m->pt_port, va, kind, user, start, w, r);
	return walk_from(m, NULL, va, kind, user, start, w, r);
}

/* The checker's read: untimed, no side effects (the port's peek64). */
static uint64_t peek_entry(const phys_mem *pm, const pt_port *port, uint64_t pa)
{
	if (port)
		return port->peek64(port->ctx, pa);
	return phys_read64(pm, pa);
}

bool mmu_probe_leaf(const mmu *m, uint64_t va, uint64_t *pfn, unsigned *shift, uint8_t *perm,
                    uint64_t *leaf)
{
	const phys_mem *pm = m->sh->pm;
	const pt_port *port = m->pt_port;
	uint64_t table = m->cr3 & PTE_ADDR;
	uint8_t acc = PERM_W | PERM_U;
	*leaf = 0;
	if (!va_canonical(va, m->levels))
		return false;
	for (unsigned level = m->levels; level >= 1; level--) {
		uint64_t pa = table + 8ull * pt_index(va, level);
		uint64_t e = peek_entry(pm, port, pa);
		if (!(e & PTE_P))
			return false;
		uint8_t above = acc;
		acc = combine(acc, entry_perm(e));
		if (pte_is_leaf(e, level)) {
			*shift = level_shift(level);
			*pfn = (e & PTE_ADDR & ~((1ull << *shift) - 1)) >> 12;
			*perm = acc;
			*leaf = pa | above;
			return true;
		}
		table = e & PTE_ADDR;
	}
	return false;
}

bool mmu_probe(const mmu *m, uint64_t va, uint64_t *pfn, unsigned *shift, uint8_t *perm)
{
	uint64_t leaf;
	return mmu_probe_leaf(m, va, pfn, shift, perm, &leaf);
}

/* The last step of mmu_probe_leaf, from the leaf it found: the same
 * reads of the same entries give the same answer, so while the entries
 * above are unchanged this is what a probe from the top would say. */
int mmu_probe_from_leaf(const mmu *m, uint64_t leaf, unsigned shift, uint64_t *pfn, uint8_t *perm)
{
	unsigned level = (shift - 12) / 9 + 1;
	uint64_t e = peek_entry(m->sh->pm, m->pt_port, leaf & ~7ull);
	if (!(e & PTE_P))
		return 0;
	if (!pte_is_leaf(e, level))
		return -1;
	*pfn = (e & PTE_ADDR & ~((1ull << shift) - 1)) >> 12;
	*perm = combine((uint8_t)(leaf & 7), entry_perm(e));
	return 1;
}
