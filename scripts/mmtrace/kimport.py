"""The kernel-trace importer behind scripts/import-sched.

It turns parsed kernel events (schedparse) and, when there is one, the
capture's snapshot (snapshot.py) into an mmtrace through a TraceWriter.
What each event becomes, the rules for what the trace does not show, and
the counts it reports are documented in docs/import.md; in short:

- sched_switch -> `switch`, one for one, at the CR3 load when the mm
  changes (switch_points); a CPU's first event by a task that
  is not running there (the task that ran when the capture began) -> one
  `switch` first (inferred). An event by a task on a CPU the trace left
  idle means the kernel switched to it without tracing the switch (some
  kernels do not trace switches out of idle on every CPU): that switch is
  made (implied), at the wakeup that sent the task to that idle CPU when
  the trace has sched_wakeup, else before the task's first event there.
  No other switch is made up, but for a trace that lost events (repairs).
- tasks: the snapshot says which are kernel threads and which threads share
  a process; otherwise the TGID column (or perf's PID/TID) and, last, the
  comm patterns. Tasks alive before the trace are declared (`proc`,
  `thread`, `kthread`) with the mappings and present pages the snapshot
  saw (`vma`, `present`).
- task_newtask/sched_process_fork -> `fork`, or `clone` for CLONE_VM
  (threads, and vfork children: the kernel itself keeps a vfork parent off
  the CPU); children of kernel threads are kernel threads unless they exec.
- sched_process_exec -> `exec`, placed where the kernel loaded the new mm
  (exec_points); sched_process_exit -> `exit`.
- page_fault_user -> an access at the faulting address on its CPU: `x` for
  an instruction fetch (error code bit 4), `w` for a write (bit 1), else `r`;
  a fault that flushed (a COW copy) at its flush (fault_points).
- the mm syscalls, when they took effect (syscall_points) with the real
  result from their sys_exit: mmap (the
  address the kernel returned; `file` for a file mapping, `shared`,
  `populate` for MAP_POPULATE or MAP_LOCKED, `huge` for MAP_HUGETLB),
  munmap, mprotect, madvise (dontneed, free), mremap, and brk (a growth of
  the heap is an anonymous mmap, a shrink a munmap); failed calls are
  dropped.
- every record carries @TIME: nanoseconds since the trace's first event.
- exec's own mappings of the program and its loader come from BASE.elf,
  placed where the first faults show (elf_layouts); mappings the trace
  cannot show otherwise (before a capture without a snapshot, or without
  BASE.elf) are inferred from the faults that land outside every known
  mapping (infer_vmas); both are declared when the address space appears.
"""

import bisect
import os

from . import RuleError, sanitize_comm
from .vmaset import PAGE, VmaSet

CLONE_VM, CLONE_VFORK, CLONE_THREAD = 0x100, 0x4000, 0x10000
MAP_SHARED, MAP_ANONYMOUS, MAP_LOCKED, MAP_POPULATE = 0x01, 0x20, 0x2000, 0x8000
MAP_HUGETLB = 0x40000
MADV_ADVICE = {4: "dontneed", 8: "free", 9: "dontneed", 24: "dontneed"}  # REMOVE, DONTNEED_LOCKED
PF_WRITE, PF_INSTR = 0x2, 0x10
USER_TOP = 1 << 47
# The highest mmap_base x86-64 Linux picks lies below TASK_SIZE by the
# 16 GiB of stack randomization plus the 128 MiB minimum gap
# (arch/x86/mm/mmap.c mmap_base): above it is only the stack.
STACK_ZONE = 0x7ffbf8000000
# The stack top of an exec'd process that never faulted on its stack.
DEFAULT_STACK = 0x7ffe00000000
EXEC_STACK_EXPAND = 128 << 10        # setup_arg_pages: stack_expand
# Inferred mappings: faulting pages closer than this (the 64 KiB of
# fault_around_bytes) belong to one mapping.
CLUSTER_GAP_PAGES = 16


def prot_text(prot):
    return ("r" if prot & 1 else "-") + ("w" if prot & 2 else "-") + ("x" if prot & 4 else "-")


def page_align(x):
    return (x + PAGE - 1) & ~(PAGE - 1)


class Epoch:
    """One address space (mm) from its creation to its end."""

    def __init__(self, ident, vmas=None, brk=None):
        self.id = ident
        self.vmas = vmas if vmas is not None else VmaSet()
        self.initial = self.vmas.copy()
        self.brk = brk
        self.unknown = {}     # page -> kind bits (1 r, 2 w, 4 x), first pass
        # the epoch whose declaration guessed this heap's start (a process
        # older than the trace, or a fork of one); None when an exec made it
        self.heap_root = None
        self.exec = False     # made by exec (its stack is built by exec)
        # who made it: the kernel TGID, comm, group key and output PID of
        # the task that declared, forked or exec'd it (--accesses-from)
        self.tgid = self.comm = self.group = self.owner = None


class Task:
    __slots__ = ("opid", "tpid", "kthread", "epoch", "group")

    def __init__(self, opid, tpid, kthread, epoch, group):
        self.opid = opid
        self.tpid = tpid
        self.kthread = kthread
        self.epoch = epoch
        self.group = group


def infer_vmas(epoch):
    """The mappings epoch's unknown faults imply (the documented rule):
    faulting pages less than CLUSTER_GAP_PAGES apart form one mapping,
    from the first faulting page to the end of the last, never across a
    mapping known when the address space appeared; its rights are r plus
    w for a write, x for a fetch; in the stack zone it is anonymous, below
    it file-backed (the program and its loader, mapped by exec)."""
    pages = sorted(epoch.unknown)
    out = []
    i = 0
    while i < len(pages):
        j = i
        kinds = epoch.unknown[pages[i]]
        while j + 1 < len(pages):
            a, b = pages[j], pages[j + 1]
            if b - a > CLUSTER_GAP_PAGES * PAGE or epoch.initial.overlaps(a + PAGE, b) or \
                    (a < STACK_ZONE) != (b < STACK_ZONE):
                break
            j += 1
            kinds |= epoch.unknown[b]
        start, end = pages[i], pages[j] + PAGE
        prot = 1 | (kinds & 6)
        flags = () if start >= STACK_ZONE else ("file",)
        out.extend((s, e, prot, flags) for s, e in _clip(start, end, epoch.initial))
        i = j + 1
    return out


def exec_points(events):
    """Where each exec really switched to its new address space.

    sched_process_exec fires at the end of exec; the new mm was loaded
    earlier, in exec_mmap (activate_mm), and the kernel traces that CR3
    load as a tlb_flush "flush on task switch" in the exec'ing task, not
    inside a sched_switch. Between the two the task can be switched out
    and in again (a vfork parent runs as soon as exec_mmap releases its
    mm), and those switches load the new mm. Returns {id(flush event):
    exec event} for each exec whose load was traced, and the set of
    id(flush) of those preempted at once: exec_mmap's task_unlock is a
    preemption point between activate_mm and mmput(old mm), and when the
    next event on that CPU is the task's own switch out, the old mm is
    released (and the stack built) only where it runs next."""
    last = {}          # cpu -> previous event there
    candidate = {}     # pid -> latest CR3 load by it outside a switch
    points = {}
    loads = {}         # cpu -> the CR3 load just seen there
    switched = set()   # id(flush) followed at once by its task's switch out
    for ev in events:
        kind = ev.kind
        load = loads.pop(ev.cpu, None)
        if load is not None and kind == "sched_switch" and ev.f["pp"] == load.pid:
            switched.add(id(load))
        if kind == "tlb_flush" and ev.f["reason"] == 0 and ev.pid:
            prev = last.get(ev.cpu)
            if not (prev is not None and prev.kind == "sched_switch" and prev.f["pp"] == ev.pid):
                candidate[ev.pid] = ev
                loads[ev.cpu] = ev
        elif kind == "sched_process_exec":
            for pid in (ev.f["pid"], ev.f.get("old_pid")):
                flush = candidate.pop(pid, None)
                if flush is not None and id(flush) not in points:
                    points[id(flush)] = ev
                    break
        elif kind in ("task_newtask", "sched_process_exit"):
            candidate.pop(ev.f["pid"], None)
        elif kind == "sched_process_fork":
            candidate.pop(ev.f["cpid"], None)
        last[ev.cpu] = ev
    return points, {f for f in switched if f in points}


def syscall_points(events):
    """When each mm syscall took effect, and with what result.

    The kernel changes the page tables between sys_enter and sys_exit,
    and a thread can wait for mmap_lock in between (while another thread
    unmaps what it will get); the flush the call makes (its first
    tlb_flush "remote IPI send" or "local MM shootdown" in that thread)
    marks the moment, else its sys_exit, by which it is done, else its
    sys_enter. Returns {id(event at which to apply it): (enter event,
    return value or None)}; a call whose exit shows an error (but brk's)
    is left out."""
    open_calls = {}    # pid -> [enter event, anchor event or None]
    points = {}

    def close(pid, ret, exit_ev=None):
        enter, anchor = open_calls.pop(pid)
        if ret is not None and ret < 0 and enter.f["name"] != "brk":
            return
        points[id(anchor or exit_ev or enter)] = (enter, ret)

    for ev in events:
        kind = ev.kind
        if kind == "sys_enter":
            if ev.pid in open_calls:
                close(ev.pid, None)   # its exit was not traced
            open_calls[ev.pid] = [ev, None]
        elif kind == "sys_exit":
            call = open_calls.get(ev.pid)
            if call is not None and call[0].f["name"] == ev.f["name"]:
                close(ev.pid, ev.f["ret"], ev)
        elif kind == "tlb_flush" and ev.f["reason"] in (3, 4):
            call = open_calls.get(ev.pid)
            if call is not None and call[1] is None:
                call[1] = ev
    for pid in list(open_calls):
        close(pid, None)
    return points


def _segments(prog, base):
    """exec's mappings of a program at BASE (load_elf_binary, elf_load):
    each PT_LOAD file-backed up to the end of its file part, the rest of
    its memory (.bss) anonymous; [(start, end, prot, flags)]."""
    out = []
    for vaddr, filesz, memsz, prot in prog.loads:
        start = base + (vaddr & ~(PAGE - 1))
        file_end = page_align(base + vaddr + filesz)
        mem_end = page_align(base + vaddr + memsz)
        if file_end > start:
            out.append((start, file_end, prot, ("file",)))
        if mem_end > file_end:
            out.append((max(file_end, start), mem_end, prot, ()))
    return out


def _span(prog, base):
    lo = min(v for v, _, _, _ in prog.loads)
    hi = max(v + m for v, _, m, _ in prog.loads)
    return base + (lo & ~(PAGE - 1)), page_align(base + hi)


# The special mappings map_vdso (arch/x86/entry/vdso/vma.c, v6.18) installs
# at exec, in address order, with their sizes on v6.18 x86-64 when the
# capture's /proc maps do not give them: [vvar] (vdso_install_vvar_mapping,
# VDSO_NR_PAGES - VDSO_NR_VCLOCK_PAGES = 4 pages), [vvar_vclock] (2 pages:
# the pvclock and hvclock pages) and [vdso] (the image, 2 pages).  rss_stat
# never shows them ([vvar] pages are raw PFNs) and the faults show the vdso
# at most, so they are declared, `special`, where map_vdso puts them:
# get_unmapped_area top-down right after load_elf_binary mapped the loader,
# that is just below it.
SPECIALS = (("[vvar]", 0x4000, 1, ("special",)), ("[vvar_vclock]", 0x2000, 1, ("special",)),
            ("[vdso]", 0x2000, 5, ("special", "file")))


def special_sizes(snapshot):
    """{name: bytes} of the special mappings, from the first process of
    the snapshot (its /proc maps) that has all three, else SPECIALS'."""
    sizes = {name: size for name, size, _, _ in SPECIALS}
    if snapshot:
        for tgid in sorted(snapshot.vmas):
            seen = {v[6]: v[1] - v[0] for v in snapshot.vmas[tgid] if v[6] in sizes}
            if len(seen) == len(sizes):
                return seen
    return sizes


def special_layout(below, sizes):
    """[(start, end, prot, flags)] of the special mappings ending at BELOW."""
    out, end = [], below
    for name, _, prot, flags in reversed(SPECIALS):
        out.append((end - sizes[name], end, prot, flags))
        end -= sizes[name]
    return out[::-1]


def elf_layouts(events, programs, scripts, first_faults=400, specials=None):
    """Where exec put each program and its loader, from BASE.elf and the
    first faults after the exec: the loader runs first, so the first
    fault is the fetch of its entry point (its base = that address - the
    entry); it then reads the program's headers, so the program's first
    fault is on its first page (a PIE's base; an ET_EXEC program sits at
    its own addresses). Returns {id(exec event): [(start, end, prot,
    flags)]} for the execs whose layout could be placed. With SPECIALS
    ({name: bytes}), a program with a loader also gets [vvar],
    [vvar_vclock] and [vdso] just below the loader (special_layout)."""
    faults = {}        # id(exec event) -> [(address, error)]
    open_exec = {}     # pid -> exec event
    for ev in events:
        if ev.kind == "sched_process_exec":
            open_exec[ev.f["pid"]] = ev
            faults[id(ev)] = []
        elif ev.kind == "sched_process_exit":
            open_exec.pop(ev.f["pid"], None)
        elif ev.kind == "page_fault_user":
            e = open_exec.get(ev.pid)
            if e is not None:
                lst = faults[id(e)]
                lst.append((ev.f["address"], ev.f["error"]))
                if len(lst) >= first_faults:
                    del open_exec[ev.pid]
    out = {}
    for ev in events:
        if ev.kind != "sched_process_exec":
            continue
        path = ev.f["file"]
        for _ in range(4):              # scripts run their interpreter
            if path in scripts:
                path = scripts[path]
        prog = programs.get(path)
        fl = faults.get(id(ev), [])
        if prog is None or not fl:
            continue
        interp = programs.get(prog.interp) if prog.interp else None
        layout = []
        first = prog if interp is None else interp
        addr, err = fl[0]
        entry_base = addr - first.entry
        if not err & PF_INSTR or entry_base % PAGE or entry_base < 0:
            entry_base = None
        if interp is not None and entry_base is not None:
            layout += _segments(interp, entry_base)
            if specials:
                layout += special_layout(_span(interp, entry_base)[0], specials)
        if prog.kind == "exec":
            layout += _segments(prog, 0)
        elif interp is None and entry_base is not None:
            layout += _segments(prog, entry_base)
        elif interp is not None and entry_base is not None:
            ilo, ihi = _span(interp, entry_base)
            for a, _ in fl[1:]:
                if not (ilo <= a < ihi) and a < STACK_ZONE:
                    base = (a & ~(PAGE - 1)) - (min(v for v, _, _, _ in prog.loads) & ~(PAGE - 1))
                    if base > 0:
                        layout += _segments(prog, base)
                    break
        if layout:
            out[id(ev)] = layout
    return out


def fault_points(events):
    """When each page fault changed the page tables it flushed: a fault
    that copies a page (COW) flushes the old translation, and between the
    fault's tracepoint and that flush the kernel may wait for a lock or
    take the other CPU's IPI. A fault whose task's next own event is such a
    flush (tlb_flush "local MM shootdown" or "remote IPI send") is applied
    there. Returns {id(flush): fault event}."""
    pending = {}       # pid -> fault event still being handled
    points = {}
    last = {}          # cpu -> previous event there
    for ev in events:
        prev = last.get(ev.cpu)
        last[ev.cpu] = ev
        if ev.irq or not ev.pid:
            continue
        kind = ev.kind
        if kind == "tlb_flush" and ev.f["reason"] in (3, 4):
            fault = pending.pop(ev.pid, None)
            if fault is not None:
                points[id(ev)] = fault
        elif kind == "sched_switch" or (kind == "tlb_flush" and ev.f["reason"] == 0 and
                                        prev is not None and prev.kind == "sched_switch"):
            pass   # the handler slept (or the switch's CR3 load): still in it
        else:
            pending.pop(ev.pid, None)
            if kind in ("page_fault_user", "page_fault_kernel"):
                pending[ev.pid] = ev
    return points


def wakeup_points(events):
    """The wakeups after which the woken task ran on the CPU the wakeup
    chose without a traced switch: its next event is there, and is not a
    switch to it. (A woken task can also be moved before it runs.)
    Returns the set of id(sched_wakeup event)."""
    pending = {}       # pid -> wakeup event
    points = set()
    for ev in events:
        if ev.kind == "sched_wakeup":
            pending[ev.f["pid"]] = ev
            continue
        if ev.kind == "sched_switch":
            w = pending.pop(ev.f["np"], None)      # switched in where it was traced
            if w is None and not ev.irq:
                w = pending.pop(ev.f["pp"], None)
                if w is not None and w.f["target"] == ev.cpu:
                    points.add(id(w))
            continue
        if ev.irq or not ev.pid:
            continue
        w = pending.pop(ev.pid, None)
        if w is not None and w.f["target"] == ev.cpu:
            points.add(id(w))
    return points


def switch_points(events):
    """When each switch loaded its new mm: sched_switch fires before
    context_switch, and when the mm changes the CR3 load inside it is
    traced next on that CPU, a tlb_flush "flush on task switch" still in
    the outgoing task. Until then the CPU counts as switching
    (should_flush_tlb sends it the IPI); the switch is applied there.
    Returns {id(CR3 load event): sched_switch event}."""
    last = {}          # cpu -> its previous event
    points = {}
    for ev in events:
        prev = last.get(ev.cpu)
        if ev.kind == "tlb_flush" and ev.f["reason"] == 0 and not ev.irq and prev is not None \
                and prev.kind == "sched_switch" and prev.f["pp"] == ev.pid:
            points[id(ev)] = prev
        last[ev.cpu] = ev
    return points


def _shmem_like(path, shared):
    """Whether a /proc/PID/maps line with an inode is mmusim's anonymous
    memory rather than a file: /dev/zero, private (anonymous,
    vma_set_anonymous) or shared (shmem_zero_setup); and shared SysV shm
    or memfd mappings, shmem without write-notify. A private mapping of a
    memfd is a private file mapping like any other."""
    return path.startswith("/dev/zero") or (shared and path.startswith(("/SYSV", "/memfd:")))

PREEMPT_WINDOW = 1000000   # ns: a flush IPI is handled well within a millisecond


def preempt_points(events):
    """Where a KVM guest's vCPU was, as far as the kernel's flushes are
    concerned, preempted by the host. kvm_flush_tlb_multi skips a vCPU
    whose steal-time record says KVM_VCPU_PREEMPTED: no IPI, no handler
    (the CPU stays in mm_cpumask), and the host flushes it when it runs
    again. The guest cannot trace that, but it shows: after a "remote IPI
    send", a CPU that records nothing at all for PREEMPT_WINDOW took no
    IPI from it, whether it was preempted or the flush did not want it
    (should_flush_tlb); mmusim, told it is preempted from the send to its
    next record, interrupts it in neither case. A CPU the flush did
    interrupt would have recorded its handler within tens of
    microseconds. Returns {id(send event): [CPU, ...]}."""
    times = {}
    for ev in events:
        times.setdefault(ev.cpu, []).append(ev.ts)
    points = {}
    for ev in events:
        if ev.kind != "tlb_flush" or ev.f["reason"] != 4 or ev.irq:
            continue
        quiet = []
        for cpu, ts in times.items():
            if cpu == ev.cpu:
                continue
            i = bisect.bisect_right(ts, ev.ts)
            if i == len(ts) or ts[i] > ev.ts + PREEMPT_WINDOW:
                quiet.append(cpu)
        if quiet:
            points[id(ev)] = sorted(quiet)
    return points


TRIM_WINDOW = 1000000      # ns: a flush IPI is handled well within a millisecond
TRIM_PERIOD = 1000000000   # ns: should_trim_cpumask trims at most once a second


def initial_cpumasks(events, tgid_of, cpus):
    """CPUs in the mm_cpumask of processes older than the trace that the
    trace never shows running them. Since v6.14 a CPU stays in a mask
    after it switches away (switch_mm_irqs_off) until a flush finds it
    running another mm or the once-a-second trim: a process that ran on
    another CPU before the capture keeps it there. The kernel says so
    itself: flush_tlb_mm_range traces "remote IPI send" only when the mask
    holds a CPU besides the sender's. When a process's first such send
    comes while the trace has shown it on the sender's CPU alone, the mask
    held another; which one the trace cannot tell, so every other CPU is
    taken (exact on two). Its trim clock is unknown too: when no other CPU
    handles a flush IPI within TRIM_WINDOW of that send, it did not trim
    (should_trim_cpumask was false: the last trim was under a second
    before), and the next trim is taken as one second after the send.
    Returns {tgid: ([cpu, ...], ts of the next trim or None)}."""
    seen = {}          # tgid -> CPUs its threads were seen on
    decided = set()    # tgids whose first send was seen, or created here
    masks = {}
    watch = []         # [tgid, send ts, CPUs, handled] for the sends just seen
    for ev in events:
        kind = ev.kind
        while watch and ev.ts - watch[0][1] > TRIM_WINDOW:
            tgid, ts, cpus_, handled = watch.pop(0)
            masks[tgid] = (cpus_, None if handled else ts + TRIM_PERIOD)
        if ev.irq and kind == "tlb_flush":
            for w in watch:
                w[3] = w[3] or ev.cpu in w[2]
        if kind == "sched_process_fork":
            decided.add(tgid_of(ev.f["cpid"]))
        elif kind == "task_newtask":
            decided.add(tgid_of(ev.f["pid"]))
        elif kind == "sched_process_exec":
            decided.add(tgid_of(ev.f["pid"]))   # a new mm from here
        if kind == "sched_switch":
            if ev.f["np"]:
                seen.setdefault(tgid_of(ev.f["np"]), set()).add(ev.cpu)
            continue
        if ev.irq or not ev.pid:
            continue
        tgid = tgid_of(ev.pid)
        if kind == "tlb_flush" and ev.f["reason"] == 4 and tgid not in decided:
            decided.add(tgid)
            if seen.get(tgid, set()) <= {ev.cpu}:
                watch.append([tgid, ev.ts, [c for c in range(cpus) if c != ev.cpu], False])
        seen.setdefault(tgid, set()).add(ev.cpu)
    for tgid, ts, cpus_, handled in watch:
        masks[tgid] = (cpus_, None if handled else ts + TRIM_PERIOD)
    return masks


def _file_flag(path, dev, inode):
    """file=NAME for a mapped file of the snapshot: its path (what is
    not printable ASCII, a space or '#' becomes '?'), else its device and
    inode; every process mapping it shares one page cache."""
    name = path or "%s:%d" % (dev, inode)
    name = "".join(c if 32 < ord(c) < 127 and c != "#" else "?" for c in name)[:255]
    return "file=" + name


def exec_stack(epoch):
    """Where exec put the stack of an address space it made: the top of
    the stack, the argument page (exec writes the arguments and the
    environment without a user fault) taken to be the page above the
    highest stack page that faulted; DEFAULT_STACK if none did."""
    stack = [p for p in epoch.unknown if p >= STACK_ZONE]
    return max(stack) + 2 * PAGE if stack else DEFAULT_STACK


def _clip(start, end, vmas):
    """[start, end) minus the mappings of vmas."""
    parts, at = [], start
    for s, e, _, _ in vmas:
        if e <= at or s >= end:
            continue
        if s > at:
            parts.append((at, s))
        at = max(at, e)
    if at < end:
        parts.append((at, end))
    return parts


class Importer:
    """Turns events into records through a TraceWriter (one pass)."""

    def __init__(self, args, writer, look, is_kthread, snapshot, model, inferred, stacks, t0,
                 heaps=None, splicer=None):
        self.args = args
        self.w = writer
        self.look = look
        self.is_kthread = is_kthread
        self.snap = snapshot
        self.model = model
        self.inferred = inferred      # epoch id -> [(start, end, prot, flags)] (second pass)
        self.stacks = stacks          # epoch id -> exec's stack top (second pass)
        self.heaps = heaps or {}      # heap root's epoch id -> [first brk, lowest brk] (second pass)
        self.heaps_seen = {}          # the same, of this pass
        self.splicer = splicer        # --accesses-from (splice.Splicer), or None
        self.t0 = t0
        self.ident = {}               # trace pid -> Task (current incarnation)
        self.tasks = {}               # output pid -> Task
        self.dead = set()             # trace pids whose task has exited
        self.now = t0                 # the kernel time stamp of the event being imported
        self.bindings = []            # (trace pid, output pid, kernel ns of its first event)
        self.used = set(look.comm) | set(look.task_comm) | set(look.tgid)
        if snapshot:
            self.used |= set(snapshot.tasks)
        self.next_free = max([0] + [p for p in self.used if p <= 4194304]) + 1
        self.groups = {}              # group key -> [live output pids]
        self.epochs = []
        self.snap_declared = set()    # snapshot TGIDs declared
        self.pending = {}             # trace pid -> (name, args) of a syscall in progress
        self.started = set()          # CPUs whose first task is known
        self.done_execs = set()       # exec events already made at their exec_mmap
        self.vcpus_out = set()        # CPUs marked preempted (KVM PV), not yet running again
        self.guessed = {}             # cpu -> task switched in at a wakeup (untraced idle exit)
        self.n = dict.fromkeys(("sched_switch", "switch", "noop", "inferred", "implied", "repairs", "fork",
                                "clone", "exec", "exec_preempted", "exit", "reused", "faults", "kernel_faults", "syscalls",
                                "vmas_elf", "vmas_inferred", "cpumasks", "preempted", "dropped", "ignored",
                                "heap_floors"), 0)

    # -- identities ------------------------------------------------------
    def _alloc_pid(self, tpid):
        if 1 <= tpid <= 4194304 and not self.w.known(tpid):
            return tpid
        while self.next_free in self.used or self.w.known(self.next_free):
            self.next_free += 1
        if self.next_free > 4194304:
            raise RuleError("out of PIDs")
        self.n["reused"] += 1
        return self.next_free

    def _new_epoch(self, vmas=None, brk=None):
        e = Epoch(len(self.epochs), vmas, brk)
        self.epochs.append(e)
        return e

    def _bind(self, tpid, opid, kthread, epoch, group):
        t = Task(opid, tpid, kthread, epoch, group)
        self.bindings.append((tpid, opid, self.now))
        self.ident[tpid] = t
        self.tasks[opid] = t
        self.dead.discard(tpid)
        self.groups.setdefault(group, []).append(opid)
        return t

    def _live_member(self, group):
        for opid in self.groups.get(group, ()):
            if self.w.alive.get(opid) and not self.w.is_kthread(opid):
                return opid
        return None

    def _declare_epoch_state(self, opid, epoch):
        """The inferred mappings of a new address space (second pass), but
        what it already has (a child inherits its parent's); for one whose
        accesses come from a lackey log, the pages the log touches that no
        mapping covers, rwx and anonymous as import-lackey maps them."""
        for start, end, prot, flags in self.inferred.get(epoch.id, ()):
            for s, e in _clip(start, end, epoch.vmas):
                self.w.vma(opid, s, e - s, prot_text(prot), flags)
                epoch.vmas.insert(s, e, prot, flags)
                self.n["vmas_inferred"] += 1
        sel = self.splicer.chosen.get(epoch.id) if self.splicer and self.splicer.chosen else None
        for start, end in sel.ranges if sel else ():
            for s, e in _clip(start, end, epoch.vmas):
                self.w.vma(opid, s, e - s, "rwx")
                epoch.vmas.insert(s, e, 7, ())
                sel.vmas += 1

    @staticmethod
    def _own(epoch, tgid, comm, group, opid):
        epoch.tgid, epoch.comm, epoch.group, epoch.owner = tgid, comm, group, opid

    def kernel_tgid(self, tpid):
        """The thread group of trace PID TPID: the snapshot's, else the
        trace's TGID column, else its own."""
        if self.snap and tpid in self.snap.tasks:
            return self.snap.tasks[tpid][0]
        return self.look.tgid.get(tpid, tpid)

    def _kthread_task(self, tpid, raw):
        if self.snap and tpid in self.snap.tasks:
            return self.snap.tasks[tpid][1] == "kthread" and tpid not in self.look.execs
        return tpid not in self.look.execs and self.is_kthread(tpid, raw)

    def task(self, tpid, comm=None):
        """The task of trace PID TPID, declared if it is new (it existed
        before the trace, or the trace never showed its creation)."""
        if tpid == 0:
            return None
        t = self.ident.get(tpid)
        if t is not None and tpid not in self.dead:
            return t
        raw = comm if comm and comm != "<...>" else self.look.name(tpid)
        if self.snap and tpid in self.snap.tasks and not raw:
            raw = self.snap.tasks[tpid][2]
        name = sanitize_comm(raw)
        opid = self._alloc_pid(tpid)
        if self._kthread_task(tpid, raw):
            self.w.kthread(opid, name)
            return self._bind(tpid, opid, True, None, ("k", opid))
        tgid = self.look.tgid.get(tpid, tpid)
        if self.snap and tpid in self.snap.tasks:
            tgid = self.snap.tasks[tpid][0]
        group = ("g", tgid)
        member = self._live_member(group)
        if member is not None:
            self.w.thread(opid, member, name)
            return self._bind(tpid, opid, False, self.tasks[member].epoch, group)
        epoch = self._new_epoch()
        epoch.heap_root = epoch.id
        self.w.proc(opid, name)
        t = self._bind(tpid, opid, False, epoch, group)
        self._own(epoch, tgid, name, group, opid)
        if self.snap and tgid in self.snap.vmas and tgid not in self.snap_declared:
            self.snap_declared.add(tgid)
            self._declare_snapshot(opid, epoch, tgid)
        self._declare_heap_floor(opid, epoch)
        epoch.initial = epoch.vmas.copy()
        self._declare_epoch_state(opid, epoch)
        cpus, next_trim = self.look.initial_cpumasks.get(tgid, ((), None))
        for cpu in cpus:
            self.w.cpumask(opid, cpu)
            self.n["cpumasks"] += 1
        if next_trim is not None:
            self.w.next_trim(opid, max(0, next_trim - self.t0))
        return t

    def _declare_snapshot(self, opid, epoch, tgid):
        """The mappings and present pages the snapshot saw."""
        raw_pfn = []      # [vvar] pages: special PTEs, no present pages of the model
        for start, end, perms, _off, _dev, inode, path in self.snap.vmas[tgid]:
            if start >= USER_TOP or end > USER_TOP:
                continue   # [vsyscall]: the kernel half
            prot = (1 if perms[0] == "r" else 0) | (2 if perms[1] == "w" else 0) | \
                (4 if perms[2] == "x" else 0)
            flags = []
            if perms[3] == "s":
                flags.append("shared")
            vflags = list(flags)
            if inode != 0 and not _shmem_like(path or "", perms[3] == "s"):
                flags.append("file")
                vflags.append(_file_flag(path, _dev, inode))
                if _off:
                    vflags.append("offset=0x%x" % _off)
            if path == "[stack]":
                vflags.append("stack")
            if path in ("[vvar]", "[vvar_vclock]", "[vdso]") and self.look.specials:
                vflags.append("special")      # see SPECIALS
                if path == "[vdso]":
                    flags.append("file")
                    vflags.append("file")
                else:
                    raw_pfn.append((start, end))
            self.w.vma(opid, start, end - start, prot_text(prot), vflags)
            epoch.vmas.insert(start, end, prot, flags)
            if path == "[heap]":
                epoch.brk = end
                # the heap's start and end (start_brk, brk): a later brk
                # of this mm grows or shrinks it; no lower than a brk the
                # trace shows (_declare_heap_floor)
                seen = self.heaps.get(epoch.id)
                self.w.layout(opid, 0, 0, 0, 0, min(start, seen[1]) if seen else start, end, 0)
        for start, end, flags in self.snap.present.get(tgid, ()):
            if any(s <= start < e for s, e in raw_pfn):
                continue
            kind = "file" if "f" in flags else "anon" if "x" in flags else "cow"
            for s, e in self._inside(epoch.vmas, start, end):
                self.w.present(opid, s, e - s, kind)

    def _declare_heap_floor(self, opid, epoch):
        """SYSCALL_DEFINE1(brk) (mm/mmap.c, v6.18) refuses a brk below
        mm->start_brk and returns the current brk unchanged: every value
        sys_exit_brk returns is at least start_brk. A process older than
        the trace, without a [heap] in the snapshot, learns its heap's start
        from the first brk the trace shows, which need not be glibc's brk(0)
        (it began between the snapshot and the trace, or had no heap yet):
        when a later brk of this mm (or of a fork of it) goes lower, the
        heap starts at the lowest one instead and ends at the first (the
        first pass found both)."""
        seen = self.heaps.get(epoch.id)
        if seen is None or epoch.brk is not None or seen[1] >= seen[0]:
            return
        first, floor = seen
        epoch.brk = first
        self.w.layout(opid, 0, 0, 0, 0, floor, first, 0)
        self.n["heap_floors"] += 1

    @staticmethod
    def _inside(vmas, start, end):
        """The parts of [start, end) inside vmas (a snapshot can race)."""
        out = []
        for s, e, _, _ in vmas:
            lo, hi = max(s, start), min(e, end)
            if lo < hi:
                out.append((lo, hi))
        return out

    # -- scheduling ------------------------------------------------------
    def _switch(self, cpu, opid, why):
        other = self.w.running_on.get(opid)
        if opid != 0 and other is not None and other != cpu:
            self.w.switch(other, 0, untraced=True)
            self.n["repairs"] += 1
            self.n["switch"] += 1
        if self.w.switch(cpu, opid, untraced=why != "switch"):
            self.n["switch"] += 1
            if why != "switch":
                self.n[why] += 1
            self._slice(cpu, opid)
            return True
        self.n["noop"] += 1
        return False

    def _slice(self, cpu, opid):
        """Synthetic accesses after a switch-in (--synthetic; docs/import.md),
        or a stretch of a lackey log's (--accesses-from)."""
        spliced = self.splicer is not None and opid != 0 and self.splicer.begin(cpu, self.tasks[opid])
        if not self.model or opid == 0:
            return
        t = self.tasks[opid]
        if t.kthread:
            if self.model.kaccesses:
                self.w.kernel_ops(cpu, self.model.kernel_slice(opid))
            return
        if spliced:
            if self.model.accesses:
                # drawn and dropped: every other task's synthetic accesses
                # stay those of the same import without --accesses-from
                self.model.user_slice()
            return
        e = t.epoch
        if not getattr(e, "ws_mapped", False):
            self.w.user_op(cpu, self.model.mmap_record())
            e.ws_mapped = True
        if self.model.accesses:
            self.w.user_ops(cpu, self.model.user_slice())

    def running(self, cpu, tpid):
        """The task TPID as the one running on CPU (a switch is inferred
        for the task that ran when the capture began); None for idle, a
        dead task or a CPU that owes a switch."""
        cur = self.w.current[cpu]
        if tpid == 0:
            return None
        t = self.tasks.get(cur)
        if t is not None and t.tpid == tpid and self.ident.get(tpid) is t:
            return None if self.w.need_switch[cpu] else t
        if tpid in self.dead or self.w.need_switch[cpu]:
            return None
        t = self.task(tpid)
        first = cpu not in self.started
        self.started.add(cpu)
        # the CPU's first task; or a switch out of idle the kernel did not
        # trace (implied: its next switch-out or event shows the task);
        # or, from another task, lost events
        guessed = self.guessed.pop(cpu, None) == cur
        why = "inferred" if first else "implied" if cur == 0 or guessed else "repairs"
        self._switch(cpu, t.opid, why)
        return t

    def user_task(self, cpu, tpid):
        t = self.running(cpu, tpid)
        if t is None or t.kthread:
            self.n["dropped"] += 1
            return None
        return t

    # -- events ----------------------------------------------------------
    def on_wakeup(self, ev):
        """A task woken to run on an idle CPU whose switches out of idle
        the kernel does not trace: it runs there from now (implied)."""
        cpu = ev.f["target"]
        tpid = ev.f["pid"]
        if id(ev) not in self.look.wakeup_points:
            return   # it ran elsewhere first, or its switch was traced
        if cpu >= self.w.cpus or cpu not in self.look.untraced_idle_exits or \
                self.w.current[cpu] != 0 or self.w.need_switch[cpu] or tpid in self.dead:
            return
        t = self.task(tpid, ev.f["comm"])
        if t is None or t.opid in self.w.running_on or self.w.blocked_task(t.opid):
            return
        self.started.add(cpu)
        self._switch(cpu, t.opid, "implied")
        self.guessed[cpu] = t.opid

    def on_switch(self, ev):
        if id(ev) not in self.look.deferred_switches:
            self._sched_switch(ev)

    def _sched_switch(self, ev):
        self.n["sched_switch"] += 1
        self.guessed.pop(ev.cpu, None)
        f = ev.f
        if f["pp"] != 0 and not self.w.need_switch[ev.cpu]:
            self.running(ev.cpu, f["pp"])
        elif f["pp"] == 0 and self.w.current[ev.cpu] != 0 and not self.w.need_switch[ev.cpu]:
            # out of idle, so the CPU was idle: its switch into idle was
            # not traced (seen on a 6.18 KVM guest)
            self._switch(ev.cpu, 0, "implied")
        self.started.add(ev.cpu)
        nxt = self.task(f["np"], f["nc"])
        self._switch(ev.cpu, nxt.opid if nxt else 0, "switch")

    def _child(self, ev, parent_tpid, child_tpid, flags):
        if child_tpid in self.ident and child_tpid not in self.dead:
            return   # task_newtask made it; this is its sched_process_fork
        parent = self.ident.get(parent_tpid)
        raw = self.look.name(child_tpid)
        kthread_parent = parent_tpid == 0 or (parent is not None and parent.kthread) or \
            (parent is None and self._kthread_task(parent_tpid, self.look.name(parent_tpid)))
        if kthread_parent or self._kthread_task(child_tpid, raw):
            if child_tpid in self.look.execs:
                return   # a user-mode helper: declared (proc) when it runs
            opid = self._alloc_pid(child_tpid)
            self.w.kthread(opid, sanitize_comm(raw))
            self._bind(child_tpid, opid, True, None, ("k", opid))
            return
        p = self.user_task(ev.cpu, parent_tpid)
        if p is None:
            return
        child = self._alloc_pid(child_tpid)
        if flags is None:   # no task_newtask: the thread group decides
            ptgid = self.look.tgid.get(parent_tpid)
            flags = CLONE_VM | CLONE_THREAD if ptgid is not None and \
                self.look.tgid.get(child_tpid) == ptgid else 0
        if flags & CLONE_VM:
            self.w.fork(ev.cpu, child, kind="clone")
            self.n["clone"] += 1
            group = p.group if flags & CLONE_THREAD else ("g", self.look.tgid.get(child_tpid, child_tpid))
            self._bind(child_tpid, child, False, p.epoch, group)
            return
        self.w.fork(ev.cpu, child, kind="fork")
        self.n["fork"] += 1
        epoch = self._new_epoch(p.epoch.vmas.copy(), p.epoch.brk)
        epoch.heap_root = p.epoch.heap_root   # dup_mm copies start_brk and brk
        group = ("g", self.look.tgid.get(child_tpid, child_tpid))
        self._bind(child_tpid, child, False, epoch, group)
        self._own(epoch, self.kernel_tgid(child_tpid), sanitize_comm(raw), group, child)
        self._declare_epoch_state(child, epoch)

    def on_newtask(self, ev):
        self._child(ev, ev.pid, ev.f["pid"], ev.f["flags"])

    def on_fork(self, ev):
        self._child(ev, ev.f["pid"], ev.f["cpid"], None)

    def on_exec_point(self, flush, ev):
        """The exec EV at its exec_mmap, the CR3 load FLUSH (exec_points)."""
        self.done_execs.add(id(ev))
        self._exec(ev, flush.cpu, id(flush) in self.look.exec_preempted)

    def on_exec(self, ev):
        if id(ev) not in self.done_execs:
            self._exec(ev, ev.cpu)

    def _exec(self, ev, cpu, preempted=False):
        tpid = ev.f["pid"]
        old = ev.f.get("old_pid")
        if old is not None and old != tpid and old in self.ident:
            # a thread exec'd (de_thread): it takes over the leader's PID
            self.ident[tpid] = self.ident.pop(old)
            self.ident[tpid].tpid = tpid
            self.dead.discard(tpid)
        t = self.user_task(cpu, tpid)
        if t is None:
            return
        epoch = self._new_epoch()
        epoch.exec = True
        stack = self.stacks.get(epoch.id, DEFAULT_STACK)
        comm = sanitize_comm(os.path.basename(ev.f["file"]))
        self.w.exec(cpu, comm, stack, preempted)
        self.n["exec_preempted"] += preempted
        self.n["exec"] += 1
        members = self.groups.get(t.group, [])
        if t.opid in members:
            members.remove(t.opid)
        t.group = ("g", tpid, "exec", self.n["exec"])
        self.groups.setdefault(t.group, []).append(t.opid)
        t.epoch = epoch
        self._own(epoch, self.kernel_tgid(tpid), comm, t.group, t.opid)
        if self.stacks:
            epoch.vmas.insert(stack - PAGE - EXEC_STACK_EXPAND, stack, 3, ())
        for start, end, prot, flags in self.look.elf_layouts.get(id(ev), ()):
            for s, e in _clip(start, end, epoch.vmas):
                self.w.vma(t.opid, s, e - s, prot_text(prot), flags)
                epoch.vmas.insert(s, e, prot, flags)
                self.n["vmas_elf"] += 1
        epoch.initial = epoch.vmas.copy()
        self._declare_epoch_state(t.opid, epoch)
        if self.splicer and not preempted:
            self.splicer.begin(cpu, t)   # the new program runs from here

    def on_exit(self, ev):
        tpid = ev.f["pid"]
        t = self.running(ev.cpu, tpid)
        if t is None:
            self.n["dropped"] += 1
            return
        self.dead.add(tpid)
        if t.kthread:
            return
        self.w.exit(ev.cpu)
        self.n["exit"] += 1

    def on_fault(self, ev):
        if self.args.no_faults or id(ev) in self.look.deferred_faults:
            return   # applied at its flush (fault_points)
        self._fault(ev)

    def _fault(self, ev, cpu=None):
        cpu = ev.cpu if cpu is None else cpu
        f = ev.f
        addr, err = f["address"], f["error"]
        kernel = ev.kind == "page_fault_kernel"
        if kernel and addr >= USER_TOP:
            return   # the kernel's own memory: not modelled
        t = self.user_task(cpu, ev.pid)
        if t is None:
            return
        kind = "x" if err & PF_INSTR else "w" if err & PF_WRITE else "r"
        if addr < USER_TOP and not t.epoch.vmas.find(addr):
            page = addr & ~(PAGE - 1)
            t.epoch.unknown[page] = t.epoch.unknown.get(page, 0) | \
                (4 if kind == "x" else 2 if kind == "w" else 1)
        if kernel:
            self.w.kernel_ops(cpu, ["k%s 0x%x" % (kind, addr)])
            self.n["kernel_faults"] += 1
        else:
            self.w.user_op(cpu, "%s 0x%x" % (kind, addr))
            self.n["faults"] += 1

    def _fault_at(self, fault, flush):
        """FAULT applied on FLUSH's CPU, at its time (fault_points)."""
        self._fault(fault, flush.cpu)

    def _syscall_point(self, ev):
        """An mm syscall applied at the event syscall_points chose."""
        point = self.look.syscall_points.get(id(ev))
        if point is None:
            return
        enter, ret = point
        name = enter.f["name"]
        if ret is None and name == "mmap" and name in self.look.sys_exits:
            return   # its exit (the address) was not traced
        self._syscall(ev, name, enter.f["args"], ret)

    def _syscall(self, ev, name, a, ret):
        t = self.user_task(ev.cpu, ev.pid)
        if t is None:
            return
        e = t.epoch
        if name == "brk" and ret is not None and ret > 0 and e.heap_root is not None:
            seen = self.heaps_seen.setdefault(e.heap_root, [ret, ret])
            seen[1] = min(seen[1], ret)
        rec = getattr(self, "_sys_" + name)(e, a, ret)
        for text in rec:
            self.w.user_op(ev.cpu, text)
            self.n["syscalls"] += 1

    @staticmethod
    def _sys_mmap(e, a, ret):
        addr = ret if ret is not None else a.get("addr", 0)
        length, prot, flags = a.get("len", 0), a.get("prot", 0) & 7, a.get("flags", 0)
        if length <= 0 or addr % PAGE or addr + length > USER_TOP:
            return []
        words = [prot_text(prot)]
        fl = []
        if flags & MAP_SHARED:
            fl.append("shared")
        if not flags & MAP_ANONYMOUS:
            fl.append("file")
        e.vmas.insert(addr, addr + page_align(length), prot, fl)
        if flags & (MAP_POPULATE | MAP_LOCKED):
            fl = fl + ["populate"]
        if flags & MAP_HUGETLB:
            fl = fl + ["huge"]
        return ["mmap 0x%x 0x%x %s" % (addr, length, " ".join(words + fl))]

    @staticmethod
    def _sys_munmap(e, a, ret):
        addr, length = a.get("addr", 0), a.get("len", 0)
        if length <= 0 or addr % PAGE or addr + length > USER_TOP:
            return []
        e.vmas.remove(addr, addr + page_align(length))
        return ["munmap 0x%x 0x%x" % (addr, length)]

    @staticmethod
    def _sys_mprotect(e, a, ret):
        addr, length, prot = a.get("start", 0), a.get("len", 0), a.get("prot", 0) & 7
        if length <= 0 or addr % PAGE or addr + length > USER_TOP:
            return []
        e.vmas.protect(addr, addr + page_align(length), prot)
        return ["mprotect 0x%x 0x%x %s" % (addr, length, prot_text(prot))]

    @staticmethod
    def _sys_madvise(e, a, ret):
        advice = MADV_ADVICE.get(a.get("behavior"))
        addr, length = a.get("start", 0), a.get("len_in", a.get("len", 0))
        if advice is None or length <= 0 or addr % PAGE or addr + length > USER_TOP:
            return []
        return ["madvise 0x%x 0x%x %s" % (addr, length, advice)]

    @staticmethod
    def _sys_mremap(e, a, ret):
        old, old_len, new_len = a.get("addr", 0), a.get("old_len", 0), a.get("new_len", 0)
        new = ret if ret is not None else a.get("new_addr", old)
        if old_len <= 0 or new_len <= 0 or old % PAGE or new % PAGE or \
                max(old + old_len, new + new_len) > USER_TOP:
            return []
        e.vmas.move(old, page_align(old_len), new, page_align(new_len))
        return ["mremap 0x%x 0x%x 0x%x 0x%x" % (old, old_len, new, new_len)]

    @staticmethod
    def _sys_brk(e, a, ret):
        """do_brk_flags / the shrink path: the heap [start_brk, brk) grows
        as an anonymous mapping and shrinks by an unmap."""
        if ret is None or ret <= 0:
            return []
        old = e.brk
        e.brk = ret
        if old is None:
            # the mm's first brk the trace shows (glibc's brk(0)): where
            # the heap is; the record maps nothing
            return ["brk 0x%x" % ret]
        lo, hi = page_align(old), page_align(ret)
        if hi > lo:
            pre = []
            if e.vmas.overlaps(lo, hi):
                # the heap's growth meets a mapping the importer's view
                # has there (a capture's race): that goes first
                e.vmas.remove(lo, hi)
                pre = ["munmap 0x%x 0x%x" % (lo, hi - lo)]
            e.vmas.insert(lo, hi, 3, ())
            return pre + ["brk 0x%x" % ret]
        elif hi < lo:
            e.vmas.remove(hi, lo)
        return ["brk 0x%x" % ret]

    def _vcpus_at(self, ev):
        """KVM PV (preempt_points): before a remote IPI send, mark the CPUs
        that took no IPI from it preempted and let the others run again;
        any event of a CPU shows it runs."""
        if ev.kind == "tlb_flush" and ev.f["reason"] == 4 and not ev.irq:
            quiet = self.look.preempt_points.get(id(ev), ())
            for cpu in range(self.w.cpus):
                if cpu == ev.cpu:
                    continue
                if cpu in quiet and cpu not in self.vcpus_out:
                    self.w.preempted(cpu)   # before the flush this send belongs to
                    self.vcpus_out.add(cpu)
                    self.n["preempted"] += 1
                elif cpu not in quiet and cpu in self.vcpus_out:
                    self._vcpu_runs(cpu)
        if ev.cpu in self.vcpus_out:
            self._vcpu_runs(ev.cpu)

    def _vcpu_runs(self, cpu):
        self.vcpus_out.discard(cpu)
        if not self.w.need_switch[cpu]:
            self.w.tick(cpu, 0)   # any record of the CPU: its vCPU runs again

    def on_event(self, ev):
        self.now = ev.ts
        self.w.at(None if self.args.no_time else ev.ts - self.t0)
        if self.splicer:
            self.splicer.advance(ev.ts)   # a log's records due by now, before the event
        if self.look.pv:
            self._vcpus_at(ev)
        handler = self.HANDLERS.get(ev.kind)
        if handler:
            handler(self, ev)
        elif ev.kind == "tlb_flush":
            sw = self.look.switch_points.get(id(ev))
            if sw is not None:
                self._sched_switch(sw)
            exec_ev = self.look.exec_points.get(id(ev))
            if exec_ev is not None:
                self.on_exec_point(ev, exec_ev)
            fault = self.look.fault_points.get(id(ev))
            if fault is not None and not self.args.no_faults:
                self._fault_at(fault, ev)
            self._syscall_point(ev)
        elif ev.kind in ("sys_enter", "sys_exit"):
            self._syscall_point(ev)

    HANDLERS = {
        "sched_switch": on_switch, "task_newtask": on_newtask, "sched_process_fork": on_fork,
        "sched_wakeup": on_wakeup,
        "sched_process_exec": on_exec, "sched_process_exit": on_exit,
        "page_fault_user": on_fault, "page_fault_kernel": on_fault,
    }

    def finish(self, last_ts):
        """End every CPU at the trace's last time stamp (a tick of 0 where
        a record is allowed), then settle owed switches: to idle, untraced
        (the capture ended before the kernel traced the switch)."""
        self.w.at(None if self.args.no_time else last_ts - self.t0)
        if self.splicer:
            self.splicer.advance(last_ts)
        for cpu in range(self.w.cpus):
            if self.w.need_switch[cpu]:
                self.w.switch(cpu, 0, untraced=True)
                self.n["switch"] += 1
            self.w.tick(cpu, 0)
        if self.splicer:
            self.splicer.close()
        self.w.finish()

    def summary(self):
        return " ".join("%s=%d" % kv for kv in self.n.items())
