"""The kernel's own accounting of each address space in a capture.

scripts/capture records `kmem:rss_stat` and `mmap:exit_mmap` and appends
an end snapshot to its trace; this module takes the snapshot (capture),
reads the three back, and works out, for every mm the capture saw, its
owner, whether the capture saw it born, and its RSS by type at the end of
its life: just before exit_mmap tore it down, or at the end of the capture
(validate-kernel compares them with mmusim's per-process statistics).

The events (Linux v6.18):
  rss_stat   `mm_id=ID curr=C type=MM_ANONPAGES size=NB`: after every change
             of one of an mm's RSS counters (add_mm_counter, inc_mm_counter,
             dec_mm_counter in include/linux/mm.h), the counter's new value
             in bytes (percpu_counter_sum_positive << PAGE_SHIFT); ID is a
             hash of the mm pointer (mm_ptr_to_hash), C is 1 when the mm is
             the current task's. Types MM_FILEPAGES, MM_ANONPAGES,
             MM_SWAPENTS, MM_SHMEMPAGES.
  exit_mmap  `mt_mod PTR, DESTROY`: at the end of exit_mmap (mm/mmap.c),
             after unmap_vmas has zeroed the counters. It names the maple
             tree by a differently hashed pointer, so the mm it destroys is
             found from the teardown: the rss_stat events with curr=0 that
             the same task recorded just before it.

End snapshot: `#` lines (every trace reader skips them) after the events:
  # end-snapshot 1 [CLOCK NS]       the trace clock's reading before /proc was read
  # end-task TGID COMM              one per live user process
  # end-status TGID KEY VALUE       VALUE of a /proc/TGID/status line (kB), KEY in STATUS_KEYS
  # end-vma TGID START END PERMS OFFSET DEV INODE [PATH]   one per /proc/TGID/maps line
Kernel threads (no VmSize line) are left out, and so is a process that
exits while it is being read.
"""

import os
import re
import time

from . import InputError
from . import schedparse
from . import snapshot as snapmod

MAGIC = "end-snapshot 1"
STATUS_KEYS = ("VmPeak", "VmSize", "VmLck", "VmPin", "VmHWM", "VmRSS", "RssAnon", "RssFile",
               "RssShmem", "VmData", "VmStk", "VmExe", "VmLib", "VmPTE", "VmSwap", "HugetlbPages")
MEMBERS = {"MM_FILEPAGES": "file", "MM_ANONPAGES": "anon", "MM_SWAPENTS": "swap",
           "MM_SHMEMPAGES": "shmem"}
RSS_KV = re.compile(r"mm_id=(?P<mm>\d+)\s+curr=(?P<curr>\d+)\s+type=(?P<type>\w+)\s+size=(?P<size>-?\d+)B?")
EXIT_MMAP = re.compile(r"mt_mod\s+(?P<mt>\S+?),?\s+DESTROY")
CLONE_VM = 0x100
CLONE_THREAD = 0x10000
CLOCK_IDS = {"mono": "CLOCK_MONOTONIC", "mono_raw": "CLOCK_MONOTONIC_RAW",
             "boot": "CLOCK_BOOTTIME", "tai": "CLOCK_TAI"}
GATE_AREA = "[vsyscall]"         # in maps, but no VMA of the mm (get_gate_vma)


# -- taking it (scripts/capture) ---------------------------------------------

def _status(text):
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in STATUS_KEYS or key == "Name":
            out[key] = value.strip()
    return out


def take_end_snapshot(clock=None, proc="/proc"):
    """The end snapshot's lines (without newlines) for every live user process."""
    clock_id = getattr(time, CLOCK_IDS.get(clock, ""), None)
    reading = None if clock_id is None else (clock, time.clock_gettime_ns(clock_id))
    lines = ["# " + MAGIC + ("" if reading is None else " %s %d" % reading)]
    for name in sorted((d for d in os.listdir(proc) if d.isdigit()), key=int):
        try:
            status = _status(snapmod._read(os.path.join(proc, name, "status")))
            maps = snapmod._read(os.path.join(proc, name, "maps"))
        except (OSError, UnicodeError):
            continue                   # gone, or unreadable
        if "VmSize" not in status:
            continue                   # a kernel thread, or a zombie
        lines.append("# end-task %s %s" % (name, snapmod.clean(status.get("Name", ""))))
        for key in STATUS_KEYS:
            if key in status:
                lines.append("# end-status %s %s %s" % (name, key, status[key].split()[0]))
        for line in maps.splitlines():
            if line:
                start, end, perms, offset, dev, inode, path = snapmod.parse_maps_line(line)
                text = "# end-vma %s %08x %08x %s %08x %s %d" % (name, start, end, perms, offset, dev, inode)
                lines.append(text + " " + path if path else text)
    return lines


# -- reading it --------------------------------------------------------------

class RssEvent:
    __slots__ = ("line", "cpu", "ts", "pid", "tgid", "mm", "curr", "member", "size")

    def __init__(self, line, cpu, ts, pid, tgid, mm, curr, member, size):
        self.line, self.cpu, self.ts, self.pid, self.tgid = line, cpu, ts, pid, tgid
        self.mm, self.curr, self.member, self.size = mm, curr, member, size


class EndProcess:
    """One process of the end snapshot: comm, status {KEY: kB}, vmas."""

    def __init__(self, tgid, comm):
        self.tgid = tgid
        self.comm = comm
        self.status = {}
        self.vmas = []           # (start, end, perms, offset, dev, inode, path)

    @property
    def map_count(self):
        return sum(1 for v in self.vmas if v[6] != GATE_AREA)

    @property
    def vm_size_kb(self):
        return sum(v[1] - v[0] for v in self.vmas if v[6] != GATE_AREA) // 1024


class KernelMM:
    """What a capture says about the kernel's mms."""

    def __init__(self):
        self.rss = []            # RssEvent, in file order
        self.exits = []          # (line, cpu, ts, pid, tgid) of each exit_mmap
        self.end = None          # {tgid: EndProcess}, None without an end snapshot
        self.end_clock = None


def _end_line(out, path, lineno, text):
    body = text[1:].strip()
    if body.startswith(MAGIC):
        out.end = {}
        words = body[len(MAGIC):].split()
        if len(words) == 2 and words[1].isdigit():
            out.end_clock = (words[0], int(words[1]))
        return
    if out.end is None:
        raise InputError(path, lineno, "%s before `# %s`" % (body.split()[0], MAGIC))
    kind, _, rest = body.partition(" ")
    try:
        if kind == "end-task":
            tgid, _, comm = rest.partition(" ")
            out.end[int(tgid)] = EndProcess(int(tgid), comm)
            return
        tgid, _, rest = rest.partition(" ")
        proc = out.end.get(int(tgid))
        if proc is None:
            raise InputError(path, lineno, "%s of process %s without its end-task line" % (kind, tgid))
        if kind == "end-status":
            key, value = rest.split()
            proc.status[key] = int(value)
        else:
            f = rest.split(None, 6)
            proc.vmas.append((int(f[0], 16), int(f[1], 16), f[2], int(f[3], 16), f[4], int(f[5]),
                              f[6] if len(f) > 6 else ""))
    except (ValueError, IndexError):
        raise InputError(path, lineno, "malformed %s line: %r" % (kind, text[:80]))


def parse(stream, path):
    """Read a capture's rss_stat, exit_mmap and end snapshot lines."""
    out = KernelMM()
    for lineno, raw in enumerate(stream, 1):
        if raw.startswith("# end-"):
            _end_line(out, path, lineno, raw.rstrip("\r\n"))
            continue
        if "rss_stat:" not in raw and "exit_mmap:" not in raw:
            continue
        d = schedparse._match_line(raw.rstrip("\r\n"))
        if d is None:
            continue
        m = schedparse.EVENT_NAME.match(d["rest"])
        if not m:
            continue
        kind = m.group("event").rsplit(":", 1)[-1]
        where = (lineno, int(d["cpu"]), schedparse.timestamp_ns(d["ts"]), int(d["pid"]))
        tgid = d["tgid"] if d["tgid"] is not None else where[3]
        if kind == "rss_stat":
            f = RSS_KV.match(m.group("body"))
            if not f or f.group("type") not in MEMBERS:
                raise InputError(path, lineno, "cannot parse rss_stat fields: %r" % m.group("body")[:80])
            out.rss.append(RssEvent(*where, tgid, int(f.group("mm")), int(f.group("curr")),
                                    MEMBERS[f.group("type")], int(f.group("size"))))
        elif kind == "exit_mmap":
            out.exits.append(where + (tgid,))
    return out


# -- working out each mm ------------------------------------------------------

class MM:
    """One kernel mm (by its rss_stat id) as the capture saw it."""

    def __init__(self, ident):
        self.id = ident
        self.owner = None        # TGID it was the mm of (curr=1 events, not vfork children's)
        self.first_ts = None     # first rss_stat event
        self.owner_ts = None     # first curr=1 event of the owner
        self.born = False        # the capture saw its fork or exec
        self.fate = "unknown"    # "exit" (its exit_mmap seen), "end" (alive at the end), "unknown"
        self.rss = {}            # member -> bytes at its end (before teardown, or at the end)
        self.history = []        # its RssEvents
        self.exit_pid = None


def analyze(kern, sched_events):
    """[MM] in order of first appearance, from KernelMM KERN and the
    schedparse events (task_newtask, sched_process_fork, sched_process_exec)."""
    mms = {}
    order = []
    for ev in kern.rss:
        mm = mms.get(ev.mm)
        if mm is None:
            mm = mms[ev.mm] = MM(ev.mm)
            mm.first_ts = ev.ts
            order.append(mm)
        mm.history.append(ev)
    # vfork children (CLONE_VM without CLONE_THREAD) run in their parent's mm
    # until they exec: their curr=1 events do not make them its owner.
    shared_from = {}             # pid -> ts it started sharing its parent's mm
    forked = {}                  # tgid -> ts of its fork (a new mm, dup_mmap)
    execs = {}                   # tgid -> [ts of each exec]
    for ev in sched_events:
        if ev.kind == "task_newtask":
            flags = ev.f["flags"]
            if flags & CLONE_VM and not flags & CLONE_THREAD:
                shared_from[ev.f["pid"]] = ev.ts
            elif not flags & CLONE_VM:
                forked.setdefault(ev.f["pid"], ev.ts)
        elif ev.kind == "sched_process_exec":
            execs.setdefault(ev.f["pid"], []).append(ev.ts)
    vfork_end = {}
    for pid, t in shared_from.items():
        after = [x for x in execs.get(pid, ()) if x >= t]
        vfork_end[pid] = (t, min(after) if after else None)

    def sharing(ev):
        span = vfork_end.get(ev.tgid)
        return span is not None and ev.ts >= span[0] and (span[1] is None or ev.ts < span[1])

    for mm in order:
        for ev in mm.history:
            if ev.curr == 1 and not sharing(ev):
                mm.owner, mm.owner_ts = ev.tgid, ev.ts
                break
        if mm.owner is None:
            continue
        born_fork = forked.get(mm.owner)
        if born_fork is not None and born_fork <= mm.first_ts:
            mm.born = True
        elif any(t <= mm.owner_ts for t in execs.get(mm.owner, ())):
            mm.born = True
    # exit_mmap: the mm whose teardown (curr=0 events by the same task)
    # immediately precedes it
    by_task = {}
    for ev in kern.rss:
        by_task.setdefault(ev.pid, []).append(ev)
    for _line, _cpu, ts, pid, _tgid in kern.exits:
        seq = by_task.get(pid, [])
        last = None
        for ev in seq:                     # the task's last rss_stat before ts
            if ev.ts > ts:
                break
            last = ev
        if last is None or last.curr != 0:
            continue
        mm = mms[last.mm]
        if mm.fate == "exit":
            continue
        mm.fate = "exit"
        mm.exit_pid = pid
        cut = len(mm.history)
        while cut and mm.history[cut - 1].pid == pid and mm.history[cut - 1].curr == 0 \
                and mm.history[cut - 1].ts <= ts:
            cut -= 1
        mm.rss = {}
        for ev in mm.history[:cut]:
            mm.rss[ev.member] = ev.size
    for mm in order:
        if mm.fate != "exit":
            for ev in mm.history:
                mm.rss[ev.member] = ev.size
    # alive at the end: the owner's current mm (its last one) when the end
    # snapshot still shows the owner
    if kern.end is not None:
        last_of = {}
        for mm in order:
            if mm.owner is not None:
                last_of[mm.owner] = mm
        for tgid, mm in last_of.items():
            if mm.fate != "exit" and tgid in kern.end:
                mm.fate = "end"
    return order
