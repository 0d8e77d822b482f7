"""What an importer knows of one address space: its mappings over time.

A VmaSet is a sorted list of non-overlapping [start, end) mappings, each
with its rights (a subset of "rwx") and flags ("shared", "file"), changed
the way the kernel changes them: mmap replaces what it covers (MAP_FIXED),
munmap removes, mprotect changes the rights of the mapped parts, mremap
moves. An importer uses it to tell which page faults hit a mapping it has
seen made, and which hit one made where it could not see (by exec, before
the capture): those are the ones whose mappings it infers.
"""

import bisect

PAGE = 4096


class VmaSet:
    def __init__(self, items=()):
        self.items = sorted(items)          # (start, end, prot, flags)
        self.starts = [v[0] for v in self.items]

    def copy(self):
        return VmaSet(self.items)

    def _rebuild(self, items):
        self.items = sorted(items)
        self.starts = [v[0] for v in self.items]

    def find(self, addr):
        i = bisect.bisect_right(self.starts, addr) - 1
        if i >= 0 and self.items[i][0] <= addr < self.items[i][1]:
            return self.items[i]
        return None

    def overlaps(self, start, end):
        i = bisect.bisect_right(self.starts, start) - 1
        if i >= 0 and self.items[i][1] > start:
            return True
        j = bisect.bisect_left(self.starts, start)
        return j < len(self.items) and self.items[j][0] < end

    def remove(self, start, end):
        out = []
        for s, e, prot, flags in self.items:
            if e <= start or s >= end:
                out.append((s, e, prot, flags))
                continue
            if s < start:
                out.append((s, start, prot, flags))
            if e > end:
                out.append((end, e, prot, flags))
        self._rebuild(out)

    def insert(self, start, end, prot, flags=()):
        self.remove(start, end)
        self._rebuild(self.items + [(start, end, prot, tuple(flags))])

    def protect(self, start, end, prot):
        out = []
        for s, e, p, flags in self.items:
            if e <= start or s >= end:
                out.append((s, e, p, flags))
                continue
            lo, hi = max(s, start), min(e, end)
            if s < lo:
                out.append((s, lo, p, flags))
            out.append((lo, hi, prot, flags))
            if e > hi:
                out.append((hi, e, p, flags))
        self._rebuild(out)

    def move(self, old, old_len, new, new_len):
        """mremap as it happened (NEW is where the mapping ended up)."""
        tmpl = self.find(old)
        if new == old:
            if new_len < old_len:
                self.remove(old + new_len, old + old_len)
            elif new_len > old_len and tmpl:
                self.insert(old + old_len, old + new_len, tmpl[2], tmpl[3])
            return
        moved = min(old_len, new_len)
        parts = [(max(s, old), min(e, old + moved), p, f) for s, e, p, f in self.items
                 if s < old + moved and e > old]
        self.remove(old, old + old_len)
        self.remove(new, new + new_len)
        for s, e, p, f in parts:
            self.insert(s - old + new, e - old + new, p, f)
        if new_len > moved and tmpl:
            self.insert(new + moved, new + new_len, tmpl[2], tmpl[3])

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)
