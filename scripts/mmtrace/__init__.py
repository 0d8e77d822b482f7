"""Shared helpers for the mmusim trace scripts (Python 3 standard library only).

mmtrace v1 is defined in docs/trace-format.md.
This package holds what more than one script needs: reading and writing files
where '-' means stdin/stdout, the COMM rule, error reporting in the
`FILE:LINE: error: MESSAGE` form, and TraceWriter, which writes records and
refuses any record that would break a trace rule (so a bug in a generator or
importer shows up as an exception, not as a bad trace).
"""

import re
import sys

from mmtrace import compressed, safeout  # noqa: E402
from mmtrace.safeout import OutputError, install_signal_handlers, os_error  # noqa: E402,F401

COMM_RE = re.compile(r"[A-Za-z0-9_./:-]{1,15}\Z")
_COMM_BAD_CHAR = re.compile(r"[^A-Za-z0-9_./:-]")
PID_MAX = 4194304
PAGE = 4096
USER_TOP = 0x00007FFFFFFFF000
DIRECT_MAP = 0xFFFF888000000000


class InputError(Exception):
    """Bad input at FILE:LINE; the scripts print it and exit non-zero."""

    def __init__(self, path, line, message):
        super().__init__(message)
        self.path = path
        self.line = line
        self.message = message

    def __str__(self):
        return "%s:%d: error: %s" % (self.path, self.line, self.message)


class RuleError(Exception):
    """A record that would break a trace rule (a bug in the caller)."""


def sanitize_comm(name, fallback="task"):
    """Make NAME a valid COMM: 1-15 chars of [A-Za-z0-9_./:-].

    `<...>` (ftrace's unknown comm) and empty names become FALLBACK; every
    other character outside the set becomes '_'; the result is cut to 15
    characters (as the kernel's TASK_COMM_LEN does).
    """
    name = (name or "").strip()
    if not name or name == "<...>":
        return fallback
    return _COMM_BAD_CHAR.sub("_", name)[:15]


def open_input(path):
    """The lines of PATH ('-' = stdin), gzip, xz or zstd compressed or
    not (told by the magic number, mmtrace.compressed); OSError
    propagates, a damaged or truncated compressed input is InputError at
    the line after its last whole one."""
    return compressed.open_lines(path, InputError)


def open_output(path, inputs=()):
    """A stream for PATH ('-' = stdout) written through a temp file
    (safeout: checked first, never a device or an input); a PATH ending
    in .mmtb gets the binary form of what is written (mmtb.MmtbSink).
    End it with finish_output(stream, ok)."""
    if path.endswith(".mmtb"):
        from mmtrace.mmtb import MmtbSink
        return safeout.open_output(path, inputs, wrap=MmtbSink)
    return safeout.open_output(path, inputs)


finish_output = safeout.finish_output


def fail(prog, message, status=1):
    """Print `PROG: error: MESSAGE` and exit with STATUS."""
    sys.stderr.write("%s: error: %s\n" % (prog, message))
    sys.exit(status)


def parse_number(text):
    """Decimal or 0x hex integer; ValueError otherwise."""
    text = text.strip().lower()
    if text.startswith("0x"):
        return int(text[2:], 16)
    if not text.isdigit():
        raise ValueError("not a number: %r" % text)
    return int(text, 10)


class TraceWriter:
    """Writes an mmtrace v1 file and checks each record against the rules.

    State kept per CPU: the running task and whether the next record must be a
    switch (after exit, vfork or a preempted exec). Per task: kind ('proc' or 'kthread'),
    whether it is alive, the CPU it runs on, and whether it is blocked in
    vfork. The checks are docs/trace-format.md's: declare before use, unique PIDs, a
    task on one CPU at a time, kernel threads only do k*, tick and switch,
    and after exit/vfork/exec preempted the next record on that CPU is a switch.
    """

    def __init__(self, out, cpus, flush_lines=65536):
        if not 1 <= cpus <= 256:
            raise RuleError("cpus %d out of 1..256" % cpus)
        self.out = out
        self.cpus = cpus
        self.current = [0] * cpus
        self.need_switch = [False] * cpus
        self.kind = {0: "kthread"}
        self.alive = {0: True}
        self.running_on = {}
        self.vfork_parent_of = {}
        self.blocked = set()
        self._buf = []
        self._flush_lines = flush_lines
        self.records = 0
        self.prefix = ""          # "@NS " before CPU records once at() is called
        self.on_leave = None      # on_leave(cpu): before a switch, exit or exec there
        self.emit("mmtrace 1")
        self.emit("cpus %d" % cpus)

    def at(self, ns):
        """Stamp the CPU records that follow with @NS (nanoseconds), or none."""
        self.prefix = "" if ns is None else "@%d " % ns

    def cpu_line(self, cpu, text):
        self.emit("%s%d %s" % (self.prefix, cpu, text))

    # -- output ---------------------------------------------------------
    def emit(self, line):
        self._buf.append(line)
        self.records += 1
        if len(self._buf) >= self._flush_lines:
            self.flush()

    def emit_many(self, lines):
        self._buf.extend(lines)
        self.records += len(lines)
        if len(self._buf) >= self._flush_lines:
            self.flush()

    def flush(self):
        if self._buf:
            self.out.write("\n".join(self._buf))
            self.out.write("\n")
            self._buf = []

    def comment(self, text):
        self._buf.append("# " + text.replace("\n", " "))

    # -- declarations ----------------------------------------------------
    def _new_pid(self, pid, comm):
        if not 1 <= pid <= PID_MAX:
            raise RuleError("pid %d out of 1..%d" % (pid, PID_MAX))
        if pid in self.kind:
            raise RuleError("pid %d declared twice" % pid)
        if not COMM_RE.match(comm):
            raise RuleError("bad comm %r" % comm)

    def proc(self, pid, comm):
        self._new_pid(pid, comm)
        self.kind[pid] = "proc"
        self.alive[pid] = True
        self.emit("proc %d %s" % (pid, comm))

    def kthread(self, pid, comm):
        self._new_pid(pid, comm)
        self.kind[pid] = "kthread"
        self.alive[pid] = True
        self.emit("kthread %d %s" % (pid, comm))

    def thread(self, pid, tgid, comm):
        """A thread of the process live task TGID belongs to (a declaration)."""
        if self.kind.get(tgid) != "proc" or not self.alive.get(tgid):
            raise RuleError("thread %d of %d: not a live user task" % (pid, tgid))
        self._new_pid(pid, comm)
        self.kind[pid] = "proc"
        self.alive[pid] = True
        self.emit("thread %d %d %s" % (pid, tgid, comm))

    def _state(self, op, pid):
        if self.kind.get(pid) != "proc" or not self.alive.get(pid):
            raise RuleError("%s of %d: not a live user task" % (op, pid))

    def vma(self, pid, start, length, prot, flags=()):
        """A mapping PID's address space has at this point (a declaration)."""
        self._state("vma", pid)
        if start % PAGE or length <= 0:
            raise RuleError("vma 0x%x+0x%x: not page-aligned" % (start, length))
        self.emit("vma %d 0x%x 0x%x %s%s" % (pid, start, length, prot,
                                             "".join(" " + f for f in flags)))

    def present(self, pid, start, length, kind):
        """Pages of PID mapped at this point (a declaration)."""
        self._state("present", pid)
        if kind not in ("anon", "cow", "file"):
            raise RuleError("present kind %r" % kind)
        self.emit("present %d 0x%x 0x%x %s" % (pid, start, length, kind))

    def layout(self, pid, start_code, end_code, start_data, end_data, start_brk, brk,
               start_stack, mmap_base=None):
        """The layout fields of PID's mm (a declaration, docs/trace-format.md)."""
        self._state("layout", pid)
        vals = [start_code, end_code, start_data, end_data, start_brk, brk, start_stack]
        if mmap_base is not None:
            vals.append(mmap_base)
        if end_code < start_code or end_data < start_data or brk < start_brk:
            raise RuleError("layout of %d: an end below its start" % pid)
        self.emit("layout %d %s" % (pid, " ".join("0x%x" % v for v in vals)))

    def cpumask(self, pid, cpu):
        """CPU is in PID's mm_cpumask though it runs something else (a
        declaration: left there before the trace began)."""
        self._state("cpumask", pid)
        if not 0 <= cpu < self.cpus:
            raise RuleError("cpumask CPU %d out of range" % cpu)
        self.emit("cpumask %d %d" % (pid, cpu))

    def next_trim(self, pid, ns):
        """PID's mm next trims its cpumask after NS (a declaration)."""
        self._state("next_trim", pid)
        self.emit("next_trim %d %d" % (pid, ns))

    def known(self, pid):
        return pid in self.kind

    def blocked_task(self, pid):
        """Blocked in vfork until its child execs or exits."""
        return pid in self.blocked

    def is_kthread(self, pid):
        return self.kind.get(pid) == "kthread"

    # -- CPU records -------------------------------------------------------
    def _cpu(self, cpu):
        if not 0 <= cpu < self.cpus:
            raise RuleError("cpu %d out of 0..%d" % (cpu, self.cpus - 1))

    def _check_not_pending(self, cpu, op):
        if self.need_switch[cpu]:
            raise RuleError("cpu %d: %s right after exit/vfork (needs a switch)" % (cpu, op))

    def _user(self, cpu, op):
        self._cpu(cpu)
        self._check_not_pending(cpu, op)
        pid = self.current[cpu]
        if self.kind.get(pid) != "proc":
            raise RuleError("cpu %d: %s by kernel thread %d" % (cpu, op, pid))
        return pid

    def switch(self, cpu, pid, untraced=False):
        """Switch CPU to PID; a switch to the running task is dropped (no-op).
        UNTRACED marks a switch the source kernel did not trace."""
        self._cpu(cpu)
        if pid not in self.kind:
            raise RuleError("switch to undeclared pid %d" % pid)
        if not self.alive[pid]:
            raise RuleError("switch to dead pid %d" % pid)
        if pid in self.blocked:
            raise RuleError("switch to vfork parent %d" % pid)
        if pid != 0 and self.running_on.get(pid, cpu) != cpu:
            raise RuleError("pid %d already runs on cpu %d" % (pid, self.running_on[pid]))
        if pid == self.current[cpu] and not self.need_switch[cpu]:
            return False
        if self.on_leave:
            self.on_leave(cpu)
        prev = self.current[cpu]
        if self.running_on.get(prev) == cpu:
            del self.running_on[prev]
        self.current[cpu] = pid
        if pid != 0:
            self.running_on[pid] = cpu
        self.need_switch[cpu] = False
        self.cpu_line(cpu, "switch %d%s" % (pid, " untraced" if untraced else ""))
        return True

    def user_op(self, cpu, text):
        """An r/w/x/syscall/mmap/munmap/mprotect/madvise/mremap record (TEXT
        without the CPU)."""
        self._user(cpu, text.split(None, 1)[0])
        self.cpu_line(cpu, text)

    def user_ops(self, cpu, texts):
        """Many user-mode records at once (fast path for accesses)."""
        self._user(cpu, "access")
        prefix = "%s%d " % (self.prefix, cpu)
        self.emit_many([prefix + t for t in texts])

    def kernel_ops(self, cpu, texts):
        """Kernel-mode records of CPU `cpu`'s task, each text without the CPU
        prefix: accesses (`kr ADDR [SIZE]`, `kw`, `kx`) and the kernel's own
        mappings and flushes (`vmap ADDR LEN PROT`, `vunmap ADDR LEN`,
        `kflush ADDR LEN`, `kflush all`); any task may do them, kernel
        threads and the idle task included."""
        self._cpu(cpu)
        self._check_not_pending(cpu, "k*")
        prefix = "%s%d " % (self.prefix, cpu)
        self.emit_many([prefix + t for t in texts])

    def roi(self, marker):
        """`roi begin` or `roi end`: the statistics count only the records
        between the two (the region of interest)."""
        if marker not in ("begin", "end"):
            raise ValueError("roi marker %r: begin or end" % (marker,))
        self.emit("roi %s" % marker)

    def tick(self, cpu, cycles):
        self._cpu(cpu)
        self._check_not_pending(cpu, "tick")
        self.cpu_line(cpu, "tick %d" % cycles)

    def fork(self, cpu, child, comm=None, kind="fork"):
        """fork/vfork/clone CHILD from the running task; CHILD becomes a proc."""
        parent = self._user(cpu, kind)
        if child in self.kind:
            raise RuleError("%s child %d already exists" % (kind, child))
        if not 1 <= child <= PID_MAX:
            raise RuleError("pid %d out of range" % child)
        self.kind[child] = "proc"
        self.alive[child] = True
        self.cpu_line(cpu, "%s %d" % (kind, child))
        if kind == "vfork":
            self.blocked.add(parent)
            self.vfork_parent_of[child] = parent
            self.need_switch[cpu] = True

    def _release_vfork(self, pid):
        parent = self.vfork_parent_of.pop(pid, None)
        if parent is not None:
            self.blocked.discard(parent)

    def exec(self, cpu, comm, stack=None, preempted=False):
        """exec COMM [STACK] [preempted]: with STACK, exec builds the stack
        with its top there; preempted, the task is switched out between
        loading its new mm and releasing the old one (the next record on
        this CPU must be a switch)."""
        pid = self._user(cpu, "exec")
        if not COMM_RE.match(comm):
            raise RuleError("bad comm %r" % comm)
        if self.on_leave:
            self.on_leave(cpu)
        self._release_vfork(pid)
        text = "exec %s" % comm if stack is None else "exec %s 0x%x" % (comm, stack)
        if preempted:
            text += " preempted"
            self.need_switch[cpu] = True
        self.cpu_line(cpu, text)

    def preempted(self, cpu):
        """The host descheduled vCPU CPU until its next record (a KVM guest)."""
        self._cpu(cpu)
        self.cpu_line(cpu, "preempted")

    def exit(self, cpu):
        pid = self._user(cpu, "exit")
        if self.on_leave:
            self.on_leave(cpu)
        self._release_vfork(pid)
        self.alive[pid] = False
        self.need_switch[cpu] = True
        self.cpu_line(cpu, "exit")

    def finish(self):
        """Switch any CPU that still owes a switch to idle, then flush."""
        for cpu in range(self.cpus):
            if self.need_switch[cpu]:
                self.switch(cpu, 0)
        self.flush()
        self.out.flush()
