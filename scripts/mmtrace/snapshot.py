"""The machine's tasks and address spaces at the start of a capture.

scripts/capture takes a snapshot of /proc just before it turns tracing on and
writes it next to the trace as BASE.snapshot (see base_name); an importer
reads it back with read_snapshot to know what already ran and what was
already mapped and present when the first event was recorded.

Format `mmusim-snapshot 1` (text, one record per line; '#' lines and blank
lines are comments; the first line is the header):

    mmusim-snapshot 1
    # any comment lines
    cpus N
    clock NAME NS
    running CPU PID
    task PID TGID KIND COMM
    vma TGID START END PERMS OFFSET DEV INODE [PATH]
    present TGID START END FLAGS

  cpus     the number of CPUs (highest online CPU + 1); exactly once.
  clock    the trace clock (mono, global, ...) and its reading in ns just
           before tracing was turned on; absent when it cannot be read.
  running  a thread in state R whose last CPU (stat field 39) is CPU; zero
           or more per CPU.
  task     every live thread (/proc/*/task/*), once per thread; KIND is
           `user` or `kthread` (PF_KTHREAD 0x00200000 in stat field 9);
           COMM is the rest of the line (it may contain spaces).
  vma      one per line of /proc/TGID/maps, once per process: START, END and
           OFFSET in hex without 0x as maps prints them, DEV as MAJ:MIN, INODE
           decimal, PATH the rest of the line (possibly empty).
  present  a maximal run [START, END) of consecutive present pages (pagemap
           bit 63) of one VMA with identical FLAGS: `-`, or the letters `x`
           (bit 56, page exclusively mapped) and `f` (bit 61, file page or
           shared anonymous), in that order: `xf`, `x`, `f`, `-`. Runs never
           cross a VMA boundary. Not read for [vsyscall], VMAs with PERMS
           ---p/---s and VMAs larger than 4 GiB (a `# skipped` comment
           names those).

Kernel threads have no vma or present lines. A process that exits while it
is being read is left out entirely (race with exit). Control characters in
COMM and PATH are written as '?'.

read_snapshot reads BASE.snapshot or its gzip form (BASE.snapshot.gz, found
by the gzip magic number, not the name) and raises InputError(path, line,
message) on a malformed line.
"""

import dataclasses
import gzip
import json
import os
import re
import time

from . import InputError, compressed

MAGIC = "mmusim-snapshot 1"
PAGE = 4096
PF_KTHREAD = 0x00200000
MAX_VMA_BYTES = 4 << 30
CHUNK_PAGES = 1 << 16            # pagemap read size: 512 KiB of entries
KINDS = ("user", "kthread")
FLAG_NAMES = ("", "-", "x", "f", "xf")   # index = run code, 0 = not present

# High byte of a pagemap entry (bits 56..63) -> run code 0..4.
_PRESENT, _EXCLUSIVE, _FILE = 0x80, 0x01, 0x20
_CODE_OF_HIGH_BYTE = bytes(
    (0 if not b & _PRESENT else 1 + bool(b & _EXCLUSIVE) + 2 * bool(b & _FILE))
    for b in range(256))
_RUN = re.compile(rb"\x01+|\x02+|\x03+|\x04+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

_HEX = re.compile(r"[0-9a-f]+\Z")
_PERMS = re.compile(r"[r-][w-][x-][ps]\Z")
_DEV = re.compile(r"[0-9a-f]+:[0-9a-f]+\Z")
_FLAGS = frozenset(FLAG_NAMES[1:])


@dataclasses.dataclass
class Snapshot:
    """What read_snapshot returns and write_snapshot writes.

    cpus     int
    clock    (name, ns) or None
    running  {cpu: [pid, ...]}
    tasks    {pid: (tgid, kind, comm)}
    vmas     {tgid: [(start, end, perms, offset, dev, inode, path), ...]}
    present  {tgid: [(start, end, flags), ...]}
    comments [text, ...] written as '# text' after the header
    """
    cpus: int = 1
    clock: tuple = None
    running: dict = dataclasses.field(default_factory=dict)
    tasks: dict = dataclasses.field(default_factory=dict)
    vmas: dict = dataclasses.field(default_factory=dict)
    present: dict = dataclasses.field(default_factory=dict)
    comments: list = dataclasses.field(default_factory=list)


def base_name(out):
    """The side files' base: OUT without a trailing .gz (or .xz, .zst: a
    trace compressed afterwards), then without .txt."""
    for suffix in (".gz", ".xz", ".zst"):
        if out.endswith(suffix):
            out = out[:-len(suffix)]
            break
    if out.endswith(".txt"):
        out = out[:-4]
    return out


def kvm_pv_choice(choice, trace):
    """--kvm-pv CHOICE (auto, yes, no) for the capture TRACE: auto reads
    kvm_pv_tlb_flush from its BASE.meta.json (scripts/capture), false when
    there is none (or TRACE is '-')."""
    if choice != "auto":
        return choice == "yes"
    if trace == "-":
        return False
    try:
        with open(base_name(trace) + ".meta.json") as f:
            return bool(json.load(f).get("kvm_pv_tlb_flush"))
    except (OSError, ValueError):
        return False


def online_cpus(sysfs="/sys/devices/system/cpu/online"):
    """Highest online CPU + 1 (os.cpu_count() when sysfs cannot be read)."""
    try:
        with open(sysfs) as f:
            text = f.read().strip()
        return max(int(part.split("-")[-1]) for part in text.split(",")) + 1
    except (OSError, ValueError):
        return os.cpu_count() or 1


def clean(text):
    """TEXT with control characters (a newline in a comm, say) as '?'."""
    return _CONTROL.sub("?", text)


# -- pagemap -----------------------------------------------------------------

def runs_in(data, start):
    """Runs of present pages in pagemap bytes DATA whose first page is START.

    Returns [(start, end, flags)]: each a maximal run of consecutive present
    pages with the same flags, addresses in bytes."""
    codes = data[7::8].translate(_CODE_OF_HIGH_BYTE)
    return [(start + m.start() * PAGE, start + m.end() * PAGE, FLAG_NAMES[codes[m.start()]])
            for m in _RUN.finditer(codes)]


def merge_runs(runs, new):
    """Append the runs NEW to RUNS, joining a run that continues the last one."""
    for run in new:
        if runs and runs[-1][1] == run[0] and runs[-1][2] == run[2]:
            runs[-1] = (runs[-1][0], run[1], run[2])
        else:
            runs.append(run)
    return runs


def vma_runs(fd, start, end, chunk_pages=CHUNK_PAGES):
    """Present runs of [START, END) read from the pagemap file descriptor FD."""
    runs = []
    addr = start
    while addr < end:
        n = min(chunk_pages, (end - addr) // PAGE)
        data = os.pread(fd, n * 8, addr // PAGE * 8)
        if len(data) != n * 8:
            raise ProcessLookupError("short pagemap read")
        merge_runs(runs, runs_in(data, addr))
        addr += n * PAGE
    return runs


def skip_reason(vma):
    """Why the pages of VMA are not read, or None."""
    start, end, perms, _, _, _, path = vma
    if path == "[vsyscall]":
        return "vsyscall"
    if perms.startswith("---"):
        return "no access"
    if end - start > MAX_VMA_BYTES:
        return "larger than 4 GiB"
    return None


# -- /proc -------------------------------------------------------------------

def parse_stat(text):
    """(comm, state, flags, processor) from a /proc/.../stat line."""
    head, _, tail = text.rpartition(")")
    comm = head.split("(", 1)[1]
    fields = tail.split()          # fields[0] is stat field 3 (state)
    return comm, fields[0], int(fields[6]), int(fields[36])


def parse_maps_line(line):
    """A /proc/PID/maps line as (start, end, perms, offset, dev, inode, path)."""
    parts = line.rstrip("\n").split(None, 5)
    start, end = parts[0].split("-")
    path = parts[5].strip() if len(parts) > 5 else ""
    return (int(start, 16), int(end, 16), parts[1], int(parts[2], 16), parts[3],
            int(parts[4]), clean(path))


def _read(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "backslashreplace")


def _threads(proc, tgid):
    """[(tid, comm, state, flags, cpu)] of process TGID; raises if it is gone."""
    out = []
    for name in os.listdir(os.path.join(proc, tgid, "task")):
        try:
            comm, state, flags, cpu = parse_stat(_read(os.path.join(proc, tgid, "task", name, "stat")))
        except (FileNotFoundError, ProcessLookupError):
            continue               # that thread has exited
        out.append((int(name), comm, state, flags, cpu))
    return out


def _maps(proc, tgid, tids):
    """VMAs of the process, from the leader's maps or a live thread's."""
    for where in [os.path.join(proc, tgid)] + [os.path.join(proc, tgid, "task", str(t)) for t in tids]:
        try:
            text = _read(os.path.join(where, "maps"))
        except (FileNotFoundError, ProcessLookupError):
            continue
        if text:
            return where, [parse_maps_line(line) for line in text.splitlines() if line]
    return None, []


def _present(where, vmas, comments, tgid):
    runs = []
    fd = os.open(os.path.join(where, "pagemap"), os.O_RDONLY)
    try:
        for vma in vmas:
            why = skip_reason(vma)
            if why is None:
                runs.extend(vma_runs(fd, vma[0], vma[1]))
            elif why == "larger than 4 GiB":
                comments.append("skipped %d %08x-%08x %s: %s" % (tgid, vma[0], vma[1], vma[6], why))
    finally:
        os.close(fd)
    return runs


def _process(snap, proc, tgid):
    """Add process TGID to SNAP; False (and nothing added) when it vanished."""
    comments = []
    try:
        threads = _threads(proc, tgid)
        if not threads:
            return False
        leader = next((t for t in threads if t[0] == int(tgid)), threads[0])
        kind = "kthread" if leader[3] & PF_KTHREAD else "user"
        vmas, runs = [], []
        if kind == "user":
            where, vmas = _maps(proc, tgid, [t[0] for t in threads])
            if vmas:
                runs = _present(where, vmas, comments, int(tgid))
    except (FileNotFoundError, ProcessLookupError):
        return False
    except PermissionError:
        snap.comments.append("unreadable %s" % tgid)
        return False
    pid = int(tgid)
    for tid, comm, state, _, cpu in threads:
        snap.tasks[tid] = (pid, kind, clean(comm))
        if state == "R":
            snap.running.setdefault(cpu, []).append(tid)
    if vmas:
        snap.vmas[pid] = vmas
    if runs:
        snap.present[pid] = runs
    snap.comments.extend(comments)
    return True


def take_snapshot(proc="/proc", cpus=None):
    """Snapshot of every live thread and user address space under PROC."""
    t0 = time.monotonic()
    snap = Snapshot(cpus=cpus or online_cpus())
    pids = sorted((d for d in os.listdir(proc) if d.isdigit()), key=int)
    processes = sum(_process(snap, proc, tgid) for tgid in pids)
    snap.comments.insert(0, "%d tasks, %d processes, %d present runs, read in %.3f s"
                         % (len(snap.tasks), processes,
                            sum(len(r) for r in snap.present.values()), time.monotonic() - t0))
    return snap


# -- writing and reading -----------------------------------------------------

def format_snapshot(snap):
    """The snapshot text of SNAP (a list of lines without newlines)."""
    lines = [MAGIC]
    lines += ["# " + clean(c) for c in snap.comments]
    lines.append("cpus %d" % snap.cpus)
    if snap.clock is not None:
        lines.append("clock %s %d" % snap.clock)
    for cpu in sorted(snap.running):
        lines += ["running %d %d" % (cpu, pid) for pid in snap.running[cpu]]
    for pid in sorted(snap.tasks):
        tgid, kind, comm = snap.tasks[pid]
        lines.append("task %d %d %s %s" % (pid, tgid, kind, comm))
    for tgid in sorted(snap.vmas):
        for start, end, perms, offset, dev, inode, path in snap.vmas[tgid]:
            line = "vma %d %08x %08x %s %08x %s %d" % (tgid, start, end, perms, offset, dev, inode)
            lines.append(line + " " + path if path else line)
    for tgid in sorted(snap.present):
        lines += ["present %d %08x %08x %s" % ((tgid,) + run) for run in snap.present[tgid]]
    return lines


def write_snapshot(path, snap):
    """Write SNAP to PATH (gzip when PATH ends in .gz)."""
    text = "\n".join(format_snapshot(snap)) + "\n"
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8", newline="\n") as f:
        f.write(text)


def _open_text(path):
    """Its lines, gzip, xz or zstd compressed or not (mmtrace.compressed)."""
    return compressed.open_lines(path, InputError, encoding="utf-8")


def _int(text, base, what):
    if not (_HEX.match(text) if base == 16 else text.isdigit()):
        raise ValueError("bad %s %r" % (what, text))
    return int(text, base)


def _record(snap, fields, rest):
    """Add one record (FIELDS split, REST the raw text after the keyword)."""
    kind = fields[0]
    if kind == "cpus":
        _want(kind, fields[1:], 1, 1)
        snap.cpus = _int(fields[1], 10, "cpu count")
        if not snap.cpus:
            raise ValueError("cpus must be at least 1")
    elif kind == "clock":
        _want(kind, fields[1:], 2, 2)
        snap.clock = (fields[1], _int(fields[2], 10, "clock reading"))
    elif kind == "running":
        _want(kind, fields[1:], 2, 2)
        snap.running.setdefault(_int(fields[1], 10, "cpu"), []).append(_int(fields[2], 10, "pid"))
    elif kind == "task":
        parts = rest.split(" ", 3)
        _want(kind, parts, 3, 4)
        if parts[2] not in KINDS:
            raise ValueError("task kind %r is not user or kthread" % parts[2])
        snap.tasks[_int(parts[0], 10, "pid")] = (_int(parts[1], 10, "tgid"), parts[2],
                                                 parts[3] if len(parts) > 3 else "")
    elif kind == "vma":
        parts = rest.split(" ", 7)
        _want(kind, parts, 7, 8)
        start, end = _int(parts[1], 16, "start"), _int(parts[2], 16, "end")
        if start >= end:
            raise ValueError("vma start %s is not below end %s" % (parts[1], parts[2]))
        if not _PERMS.match(parts[3]):
            raise ValueError("bad perms %r" % parts[3])
        if not _DEV.match(parts[5]):
            raise ValueError("bad dev %r" % parts[5])
        snap.vmas.setdefault(_int(parts[0], 10, "tgid"), []).append(
            (start, end, parts[3], _int(parts[4], 16, "offset"), parts[5],
             _int(parts[6], 10, "inode"), parts[7] if len(parts) > 7 else ""))
    elif kind == "present":
        _want(kind, fields[1:], 4, 4)
        start, end = _int(fields[2], 16, "start"), _int(fields[3], 16, "end")
        if start >= end:
            raise ValueError("present start %s is not below end %s" % (fields[2], fields[3]))
        if fields[4] not in _FLAGS:
            raise ValueError("bad flags %r (want -, x, f or xf)" % fields[4])
        snap.present.setdefault(_int(fields[1], 10, "tgid"), []).append((start, end, fields[4]))
    else:
        raise ValueError("unknown record %r" % kind)


def _want(kind, fields, low, high):
    if not low <= len(fields) <= high:
        need = str(low) if low == high else "%d or %d" % (low, high)
        raise ValueError("%s needs %s fields, has %d" % (kind, need, len(fields)))


def read_snapshot(path):
    """Read a snapshot file (plain or gzip); InputError on a malformed line."""
    snap = Snapshot()
    seen_cpus = False
    with _open_text(path) as f:
        try:
            first = f.readline()
        except (OSError, EOFError) as e:
            raise InputError(path, 1, "cannot read: %s" % e)
        if first.rstrip("\r\n") != MAGIC:
            raise InputError(path, 1, "expected %r, got %r" % (MAGIC, first.rstrip("\r\n")[:40]))
        lineno = 1
        try:
            for lineno, raw in enumerate(f, 2):
                text = raw.rstrip("\r\n")
                if not text.strip():
                    continue
                if text.startswith("#"):
                    snap.comments.append(text[1:].strip())
                    continue
                keyword, _, rest = text.partition(" ")
                if keyword == "cpus":
                    if seen_cpus:
                        raise ValueError("cpus given twice")
                    seen_cpus = True
                _record(snap, [keyword] + rest.split(), rest)
        except ValueError as e:
            raise InputError(path, lineno, str(e))
        except (OSError, EOFError) as e:
            raise InputError(path, lineno, "cannot read: %s" % e)
    if not seen_cpus:
        raise InputError(path, lineno, "no cpus line")
    return snap
