"""Seeded synthetic memory accesses for traces that have none (scheduler traces).

A user process owns one working set: WS_PAGES pages mapped `rw-` at
WS_BASE, mapped once by the first of its threads to run (and again after an
exec, which empties the address space). Every time a user task is switched
in it makes ACCESSES accesses of 8 bytes, aligned, to pages drawn either
uniformly or from a Zipf-like law (page k has weight 1/(k+1)^ZIPF_S, so low
pages are hot), a fraction WRITE_RATIO of them writes. A kernel thread makes
KACCESSES `kr`/`kw` accesses to its own 16-page patch of the direct map
(0xffff888000000000 + 64 KiB * (pid mod 1024)), i.e. well inside the 1 GiB
pages of the default 16 GiB machine. One random.Random(seed) drives it all,
so the output depends only on the input order, the options and the seed.
"""

import bisect
import itertools
import random

from . import DIRECT_MAP, PAGE


class AccessModel:
    def __init__(self, seed=1, accesses=64, pages=256, write_ratio=0.3,
                 distribution="zipf", zipf_s=1.0, kaccesses=4, base=0x10000000):
        self.rng = random.Random(seed)
        self.accesses = accesses
        self.pages = pages
        self.write_ratio = write_ratio
        self.kaccesses = kaccesses
        self.base = base
        if distribution == "zipf":
            weights = [1.0 / (k + 1) ** zipf_s for k in range(pages)]
            self.cum = list(itertools.accumulate(weights))
        else:
            self.cum = None

    def mmap_record(self):
        return "mmap 0x%x 0x%x rw-" % (self.base, self.pages * PAGE)

    def _pages(self, count):
        rng = self.rng
        if self.cum is None:
            return [rng.randrange(self.pages) for _ in range(count)]
        total = self.cum[-1]
        cum = self.cum
        return [bisect.bisect_left(cum, rng.random() * total) for _ in range(count)]

    def user_slice(self, count=None):
        """Records (without CPU) for one slice of a user task."""
        count = self.accesses if count is None else count
        rng = self.rng
        out = []
        for page in self._pages(count):
            op = "w" if rng.random() < self.write_ratio else "r"
            addr = self.base + page * PAGE + rng.randrange(PAGE // 8) * 8
            out.append("%s 0x%x 8" % (op, addr))
        return out

    def kernel_slice(self, pid, count=None):
        """kr/kw records for one slice of a kernel thread."""
        count = self.kaccesses if count is None else count
        rng = self.rng
        patch = DIRECT_MAP + (pid % 1024) * 16 * PAGE
        out = []
        for _ in range(count):
            op = "kw" if rng.random() < self.write_ratio else "kr"
            out.append("%s 0x%x 8" % (op, patch + rng.randrange(16 * PAGE // 8) * 8))
        return out
