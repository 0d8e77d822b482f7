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
  # end-busy TGID                   its status or maps changed while the capture ended
Kernel threads (no VmSize line) are left out, and so is a process that
exits while it is being read. The capture reads /proc twice, just before
and just after it turns tracing off, and writes the second reading; a
process whose two readings differ (or that only the second has) was
changing its address space as tracing stopped, so /proc need not show
where its trace ends: it is marked busy (mark_busy).
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


def _by_process(lines):
    out = {}
    for line in lines[1:]:
        words = line.split(" ", 3)
        out.setdefault(words[2], []).append(line)
    return out


def mark_busy(before, after):
    """AFTER's lines plus `# end-busy TGID` for each process whose lines
    differ from BEFORE's (the reading made while still tracing)."""
    if before is None:
        return after
    old, new = _by_process(before), _by_process(after)
    busy = [tgid for tgid in new if old.get(tgid) != new[tgid]]
    return after + ["# end-busy %s" % tgid for tgid in sorted(busy, key=int)]


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
        self.busy = False        # changing as the capture ended (end-busy)

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
        if kind == "end-busy":
            proc.busy = True
        elif kind == "end-status":
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
    """One life of a kernel mm: its rss_stat id from its first event to its
    exit_mmap (mm_structs are reused, and their ids with them)."""

    def __init__(self, ident, ts):
        self.id = ident
        self.owner = None        # TGID it was the mm of (curr=1 events, not vfork children's)
        self.first_ts = ts       # first rss_stat event
        self.owner_ts = None     # first curr=1 event of the owner
        self.end_ts = None       # its exit_mmap
        self.born = False        # the capture saw its fork or exec
        self.fate = "unknown"    # "exit" (its exit_mmap seen), "end" (alive at the end), "unknown"
        self.rss = {}            # member -> bytes at its end (before teardown, or at the end)
        self.history = []        # its RssEvents
        self.exit_pid = None
        self.opid = None         # the trace PID of its owner (compare)


def _close(mm, pid, ts):
    """MM's exit_mmap by task PID at TS: its values before the teardown
    (the curr=0 events of PID that end its history)."""
    mm.fate, mm.exit_pid, mm.end_ts = "exit", pid, ts
    cut = len(mm.history)
    while cut and mm.history[cut - 1].pid == pid and mm.history[cut - 1].curr == 0:
        cut -= 1
    mm.rss = {}
    for ev in mm.history[:cut]:
        mm.rss[ev.member] = ev.size


def analyze(kern, sched_events):
    """[MM] (lives) in order of first appearance, from KernelMM KERN and the
    schedparse events (task_newtask, sched_process_exec)."""
    items = [(ev.ts, ev.line, 0, ev) for ev in kern.rss]
    items += [(ts, line, 1, (pid, ts)) for line, _cpu, ts, pid, _tgid in kern.exits]
    items.sort(key=lambda x: x[:3])
    current, order, last_of_task = {}, [], {}
    for _ts, _line, kind, item in items:
        if kind == 0:
            mm = current.get(item.mm)
            if mm is None:
                mm = current[item.mm] = MM(item.mm, item.ts)
                order.append(mm)
            mm.history.append(item)
            last_of_task[item.pid] = (item, mm)
        else:
            # the mm this exit_mmap destroyed: the one whose teardown
            # (curr=0 events) the same task recorded last
            pid, ts = item
            last = last_of_task.pop(pid, None)
            if last is not None and last[0].curr == 0 and current.get(last[1].id) is last[1]:
                _close(last[1], pid, ts)
                del current[last[1].id]
    # vfork children (CLONE_VM without CLONE_THREAD) run in their parent's
    # mm until they exec: their curr=1 events do not make them its owner.
    shared_from, forked, execs = {}, {}, {}
    for ev in sched_events:
        if ev.kind == "task_newtask":
            flags = ev.f["flags"]
            if flags & CLONE_VM and not flags & CLONE_THREAD:
                shared_from.setdefault(ev.f["pid"], []).append(ev.ts)
            elif not flags & CLONE_VM:
                forked.setdefault(ev.f["pid"], []).append(ev.ts)
        elif ev.kind == "sched_process_exec":
            execs.setdefault(ev.f["pid"], []).append(ev.ts)

    def sharing(ev):
        for start in shared_from.get(ev.tgid, ()):
            if ev.ts >= start and not any(start <= t <= ev.ts for t in execs.get(ev.tgid, ())):
                return True
        return False

    for mm in order:
        for ev in mm.history:
            if ev.curr == 1 and not sharing(ev):
                mm.owner, mm.owner_ts = ev.tgid, ev.ts
                break
        if mm.owner is None:
            continue
        if mm.fate != "exit":
            for ev in mm.history:
                mm.rss[ev.member] = ev.size
        # born by fork: its owner was forked in the capture before it ran in
        # it; by exec: the owner's exec lies within its life (exec's new mm
        # gets its arguments, copy_strings, before sched_process_exec)
        end = mm.end_ts if mm.end_ts is not None else float("inf")
        mm.born = any(t <= mm.owner_ts for t in forked.get(mm.owner, ())) or \
            any(mm.first_ts <= t <= end for t in execs.get(mm.owner, ()))
    # alive at the end: the owner's last mm, when the end snapshot still
    # shows the owner
    if kern.end is not None:
        last = {}
        for mm in order:
            if mm.owner is not None:
                last[mm.owner] = mm
        for tgid, mm in last.items():
            if mm.fate != "exit" and tgid in kern.end:
                mm.fate = "end"
    return order


# -- held against mmusim's per-process statistics ----------------------------

def read_pid_map(path):
    """{kernel pid: [(from ns, output pid)]} of an import-sched --pid-map file."""
    out = {}
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            if line.startswith("#") or not line.strip():
                continue
            try:
                tpid, opid, ts = (int(x) for x in line.split())
            except ValueError:
                raise InputError(path, lineno, "want KERNEL_PID OUTPUT_PID FROM_NS")
            out.setdefault(tpid, []).append((ts, opid))
    return out


def output_pid(pid_map, pid, ts):
    """The output PID kernel PID had at kernel time TS, or None."""
    best = None
    for start, opid in pid_map.get(pid, ()):
        if start <= ts:
            best = opid
    if best is None and pid_map.get(pid):
        best = pid_map[pid][0][1]    # its first event came before its binding
    return best


def within(kernel, model, tol):
    return abs(model - kernel) <= tol * kernel


def compare(mms, end, processes, pid_map, tol=0.05):
    """Rows comparing every mm the capture saw born (and whose end it saw)
    with mmusim's `processes` report of the same address space: RssAnon
    and RssFile within TOL, and for mms alive at the end VmSize and
    map_count exactly (/proc). Returns (ok, rows, skipped {reason: n})."""
    model_of = {}
    for p in processes:
        model_of.setdefault(p["pid"], []).append(p)
    for lst in model_of.values():
        lst.sort(key=lambda p: p["mm"])
    kernel_of = {}
    for mm in mms:
        if mm.owner is None:
            continue
        mm.opid = output_pid(pid_map, mm.owner, mm.owner_ts)
        kernel_of.setdefault(mm.opid, []).append(mm)
    rows, skipped, ok = [], {}, True

    def skip(why):
        skipped[why] = skipped.get(why, 0) + 1

    for mm in mms:
        if mm.owner is None:
            skip("no owner (only other tasks changed its counters)")
            continue
        if not mm.born:
            skip("born before the capture")
            continue
        if mm.fate == "unknown":
            skip("its end not seen (no exit_mmap tied to it, not alive at the end)")
            continue
        if mm.fate == "end" and end[mm.owner].busy:
            skip("alive, its /proc changing as the capture ended (end-busy)")
            continue
        theirs = kernel_of[mm.opid]
        ours = model_of.get(mm.opid, [])
        back = len(theirs) - theirs.index(mm)      # aligned from the last one
        model = ours[-back] if back <= len(ours) else None
        row = {"pid": mm.owner, "trace_pid": mm.opid, "mm_id": mm.id, "at": mm.fate,
               "comm": model["comm"] if model else "", "kernel": {}, "mmusim": {}, "ok": True,
               "why": []}
        kb = {k: v // 1024 for k, v in mm.rss.items()}
        kern = {"rss_anon_kb": kb.get("anon", 0), "rss_file_kb": kb.get("file", 0),
                "rss_shmem_kb": kb.get("shmem", 0)}
        if mm.fate == "end":
            proc = end[mm.owner]
            kern = {"rss_anon_kb": proc.status.get("RssAnon", 0),
                    "rss_file_kb": proc.status.get("RssFile", 0),
                    "rss_shmem_kb": proc.status.get("RssShmem", 0),
                    "vm_size_kb": proc.status.get("VmSize", 0), "map_count": proc.map_count}
            row["comm"] = proc.comm
        row["kernel"] = kern
        if model is None:
            row["ok"] = False
            row["why"].append("mmusim has no address space for it")
        else:
            row["mmusim"] = {k: model[k] for k in kern}
            want_at = ("end",) if mm.fate == "end" else ("exit", "exec")
            if model["at"] not in want_at:
                row["ok"] = False
                row["why"].append("mmusim reports it at %s" % model["at"])
            for key in ("rss_anon_kb", "rss_file_kb"):
                if not within(kern[key], model[key], tol):
                    row["ok"] = False
                    row["why"].append(key)
            for key in ("vm_size_kb", "map_count"):
                if key in kern and kern[key] != model[key]:
                    row["ok"] = False
                    row["why"].append(key)
        ok &= row["ok"]
        rows.append(row)
    return ok, rows, skipped
