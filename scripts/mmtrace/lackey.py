"""valgrind lackey memory traces: the one parser of import-lackey and of
import-sched --accesses-from.

A log of `valgrind --tool=lackey --trace-mem=yes PROG` has one record a
line: `I  ADDR,SIZE` (an instruction fetch), ` L ADDR,SIZE` (a load),
` S ADDR,SIZE` (a store), ` M ADDR,SIZE` (a modify: a load and a store of
the same bytes), ADDR in hex.  valgrind's own `==PID==`, `--PID--` and
`**PID**` lines and blank lines are skipped; anything else is an error.
The records become mmtrace accesses (OPS): I -> x, L -> r, S -> w,
M -> r then w, each with its address and size, so an access that crosses
a page is two translations in mmusim, as on the machine.
"""

import re

from . import PAGE, USER_TOP, InputError

RECORD = re.compile(r"\s*([ILSM])\s+([0-9A-Fa-f]{1,16}),(\d+)\s*\Z")
CHATTER = re.compile(r"\s*\Z|==\d+==|--\d+--|\*\*\d+\*\*")
OPS = {"I": ("x",), "L": ("r",), "S": ("w",), "M": ("r", "w")}


def records(stream, path, limit=None):
    """Yield (kind, addr, size) for each lackey record of STREAM (lines
    of PATH, for the messages); InputError at PATH:LINE on anything else,
    a size of 0 or an access past 2^64.  LIMIT: at most that many."""
    count = 0
    for lineno, raw in enumerate(stream, 1):
        if limit is not None and count >= limit:
            return
        text = raw.rstrip("\r\n")
        m = RECORD.match(text)
        if m is None:
            if CHATTER.match(text):
                continue
            raise InputError(path, lineno, "not a lackey record: %r" % text[:80])
        size = int(m.group(3))
        if size == 0:
            raise InputError(path, lineno, "access of size 0")
        addr = int(m.group(2), 16)
        if addr + size > 1 << 64:
            raise InputError(path, lineno, "access wraps around the address space")
        count += 1
        yield m.group(1), addr, size


def accesses(kind, addr, size):
    """The mmtrace access texts (without the CPU) of one record."""
    return ["%s 0x%x %d" % (op, addr, size) for op in OPS[kind]]


def pages(addr, size):
    """The pages (numbers) one record touches: both of a crossing access."""
    return range(addr // PAGE, (addr + size - 1) // PAGE + 1)


def ranges(touched, gap=0):
    """Page-aligned [start, end) byte ranges covering the user pages of
    TOUCHED (page numbers), those at most GAP pages apart merged; pages in
    the kernel half ([vsyscall]) are left out, an access there is a fault
    in the model."""
    out = []
    for page in sorted(touched):
        if page * PAGE >= USER_TOP + PAGE:
            continue
        if out and page - out[-1][1] <= gap:
            out[-1][1] = page + 1
        else:
            out.append([page, page + 1])
    return [(a * PAGE, b * PAGE) for a, b in out]
