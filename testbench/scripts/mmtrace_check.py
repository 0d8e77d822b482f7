"""A small, independent checker of mmtrace v1 rules, for the script tests.

It does not share code with scripts/mmtrace on purpose: a bug in the writer
must not hide itself. It checks the header, syntax of every record, declare
before use, unique PIDs, no task on two CPUs at once, kernel threads doing
only k*/tick/switch, the switch after exit/vfork, vfork parents not being
scheduled, page-aligned user-half mmap addresses, and the extensions
(docs/trace-format.md): @TIME prefixes, thread/vma/present/cpumask/next_trim declarations,
madvise, mremap, preempted, the file flag, exec's STACK and preempted, and
switch's untraced. check()
returns a list of "LINE: message" strings (empty when the trace is good) and
a summary dict.
"""

import re

COMM = re.compile(r"[A-Za-z0-9_./:-]{1,15}\Z")
NUM = re.compile(r"(0x[0-9a-fA-F]{1,16}|[0-9]{1,20})\Z")
PROT = re.compile(r"[r-][w-][x-]\Z")
FLAGS = {"shared", "huge", "giant", "populate", "file", "stack", "special"}
USER_OPS = {"r", "w", "x", "syscall", "mmap", "munmap", "mprotect", "madvise", "mremap", "brk",
            "fork", "vfork", "clone", "exec", "exit"}
KERNEL_OPS = {"kr", "kw", "kx"}
ARGC = {"switch": (1, 1), "r": (1, 2), "w": (1, 2), "x": (1, 2), "kr": (1, 2),
        "kw": (1, 2), "kx": (1, 2), "syscall": (0, 0), "tick": (1, 1),
        "mmap": (3, 10), "brk": (1, 1), "munmap": (2, 2), "mprotect": (3, 3), "fork": (1, 1),
        "vfork": (1, 1), "clone": (1, 1), "exec": (1, 4), "exit": (0, 0),
        "madvise": (3, 3), "mremap": (4, 4), "preempted": (0, 0)}


def _num(text):
    if not NUM.match(text):
        raise ValueError("bad number %r" % text)
    value = int(text, 0)
    if value >= 1 << 64:
        raise ValueError("number over 64 bits")
    return value


def _flag_ok(flag):
    """A FLAG of mmap/vma: a word, file=NAME or offset=OFF."""
    if flag.startswith("file=") and len(flag) > 5:
        return len(flag) <= 5 + 255
    if flag.startswith("offset="):
        return _num(flag[7:]) % 4096 == 0
    return flag in FLAGS


class _State:
    def __init__(self, cpus):
        self.cpus = cpus
        self.current = [0] * cpus
        self.need_switch = [False] * cpus
        self.kind = {0: "kthread"}
        self.alive = {0: True}
        self.on_cpu = {}
        self.blocked = set()
        self.vfork_parent = {}
        self.counts = {}


def _declare(st, fields):
    if fields[0] == "thread":
        if len(fields) != 4:
            raise ValueError("thread needs PID TGID COMM")
        tgid = _num(fields[2])
        if st.kind.get(tgid) != "proc" or not st.alive.get(tgid):
            raise ValueError("thread of %d: not a live user task" % tgid)
        fields = [fields[0], fields[1], fields[3]]
    if len(fields) != 3:
        raise ValueError("declaration needs PID COMM")
    pid = _num(fields[1])
    if not 1 <= pid <= 4194304:
        raise ValueError("pid out of range")
    if pid in st.kind:
        raise ValueError("pid %d declared twice" % pid)
    if not COMM.match(fields[2]):
        raise ValueError("bad comm %r" % fields[2])
    st.kind[pid] = "kthread" if fields[0] == "kthread" else "proc"
    st.alive[pid] = True


def _state(st, fields):
    """vma PID ADDR LEN PROT [FLAG...] / present PID ADDR LEN KIND"""
    pid = _num(fields[1])
    if st.kind.get(pid) != "proc" or not st.alive.get(pid):
        raise ValueError("%s of %d: not a live user task" % (fields[0], pid))
    _range(fields[0], fields[2], fields[3])
    if fields[0] == "vma":
        if len(fields) < 5 or not PROT.match(fields[4]):
            raise ValueError("vma needs PID ADDR LEN PROT")
        for flag in fields[5:]:
            if not _flag_ok(flag) or flag == "populate":
                raise ValueError("bad vma flag %r" % flag)
    elif len(fields) != 5 or fields[4] not in ("anon", "cow", "file"):
        raise ValueError("present needs PID ADDR LEN anon|cow|file")


def _range(op, addr_text, len_text):
    addr = _num(addr_text)
    length = _num(len_text)
    if addr % 4096:
        raise ValueError("%s address not page-aligned" % op)
    if addr + length > 0x00007FFFFFFFF000 + 4096 or length == 0:
        raise ValueError("%s range outside the user half" % op)


def _switch(st, cpu, pid):
    if pid not in st.kind:
        raise ValueError("switch to undeclared pid %d" % pid)
    if not st.alive[pid]:
        raise ValueError("switch to exited pid %d" % pid)
    if pid in st.blocked:
        raise ValueError("switch to blocked vfork parent %d" % pid)
    if pid != 0 and st.on_cpu.get(pid, cpu) != cpu:
        raise ValueError("pid %d runs on cpu %d already" % (pid, st.on_cpu[pid]))
    prev = st.current[cpu]
    if st.on_cpu.get(prev) == cpu:
        del st.on_cpu[prev]
    st.current[cpu] = pid
    if pid:
        st.on_cpu[pid] = cpu
    st.need_switch[cpu] = False


def _child(st, cpu, op, args):
    child = _num(args[0])
    if child in st.kind or not 1 <= child <= 4194304:
        raise ValueError("%s child %d is not a new pid" % (op, child))
    st.kind[child] = "proc"
    st.alive[child] = True
    if op == "vfork":
        st.blocked.add(st.current[cpu])
        st.vfork_parent[child] = st.current[cpu]
        st.need_switch[cpu] = True


def _user_op(st, cpu, op, args):
    pid = st.current[cpu]
    if st.kind[pid] != "proc":
        raise ValueError("%s by kernel thread %d" % (op, pid))
    if op in ("r", "w", "x"):
        _access(args)
    elif op == "madvise":
        _range(op, args[0], args[1])
        if args[2] not in ("dontneed", "free"):
            raise ValueError("bad madvise advice %r" % args[2])
    elif op == "mremap":
        _range(op, args[0], args[1])
        _range(op, args[2], args[3])
    elif op in ("mmap", "munmap", "mprotect"):
        _range(op, args[0], args[1])
        if op != "munmap":
            if not PROT.match(args[2]):
                raise ValueError("bad prot %r" % args[2])
            if op == "mprotect" and len(args) != 3:
                raise ValueError("mprotect takes no flags")
            for flag in args[3:]:
                if not _flag_ok(flag):
                    raise ValueError("bad mmap flag %r" % flag)
    elif op == "brk":
        _num(args[0])
    elif op in ("fork", "vfork", "clone"):
        _child(st, cpu, op, args)
    elif op == "exec":
        if args[-1] == "preempted" and len(args) > 1:
            args = args[:-1]
            st.need_switch[cpu] = True
        elif len(args) == 4:
            raise ValueError("exec takes COMM [STACK [ARGPAGES]] [preempted]")
        if not COMM.match(args[0]):
            raise ValueError("bad comm %r" % args[0])
        if len(args) > 1 and (_num(args[1]) % 4096 or _num(args[1]) == 0):
            raise ValueError("exec STACK not page-aligned")
        parent = st.vfork_parent.pop(pid, None)
        st.blocked.discard(parent)
    elif op == "exit":
        parent = st.vfork_parent.pop(pid, None)
        st.blocked.discard(parent)
        st.alive[pid] = False
        st.need_switch[cpu] = True


def _access(args):
    _num(args[0])
    if len(args) == 2 and _num(args[1]) == 0:
        raise ValueError("size 0")


def _cpu_record(st, fields):
    if fields[0].startswith("@"):
        _num(fields[0][1:])
        fields = fields[1:]
        if not fields or not fields[0].isdigit():
            raise ValueError("a time stamp prefixes a CPU record")
    cpu = _num(fields[0])
    if cpu >= st.cpus:
        raise ValueError("cpu %d out of range" % cpu)
    op, args = fields[1], fields[2:]
    if op not in ARGC:
        raise ValueError("unknown op %r" % op)
    lo, hi = ARGC[op]
    if op == "switch" and len(args) == 2 and args[1] == "untraced":
        args = args[:1]
    if not lo <= len(args) <= hi:
        raise ValueError("%s takes %d..%d arguments" % (op, lo, hi))
    st.counts[op] = st.counts.get(op, 0) + 1
    if op == "preempted":
        return   # any time, whatever the CPU runs or owes
    if st.need_switch[cpu] and op != "switch":
        raise ValueError("%s after exit/vfork: a switch must come first" % op)
    if op == "switch":
        _switch(st, cpu, _num(args[0]))
    elif op == "tick":
        _num(args[0])
    elif op in KERNEL_OPS:
        _access(args)
        addr = _num(args[0])
        if st.kind[st.current[cpu]] == "kthread" and addr < (1 << 63):
            raise ValueError("kernel thread touches user address")
    else:
        _user_op(st, cpu, op, args)


def check(text):
    """Check mmtrace TEXT; return (errors, summary)."""
    errors = []
    st = None
    header = 0
    for lineno, raw in enumerate(text.splitlines(), 1):
        fields = raw.split("#", 1)[0].split()
        if not fields:
            continue
        try:
            if header == 0:
                if fields != ["mmtrace", "1"]:
                    raise ValueError("first record must be 'mmtrace 1'")
                header = 1
            elif header == 1:
                if len(fields) != 2 or fields[0] != "cpus" or not 1 <= _num(fields[1]) <= 256:
                    raise ValueError("second record must be 'cpus N'")
                st = _State(_num(fields[1]))
                header = 2
            elif fields[0] in ("proc", "kthread", "thread"):
                _declare(st, fields)
            elif fields[0] in ("vma", "present"):
                _state(st, fields)
            elif fields[0] == "layout":
                pid = _num(fields[1])
                if not 9 <= len(fields) <= 10 or st.kind.get(pid) != "proc" or not st.alive.get(pid):
                    raise ValueError("layout needs PID and 7 or 8 addresses of a live user task")
                for f in fields[2:]:
                    _num(f)
            elif fields[0] == "cpumask":
                pid = _num(fields[1])
                if len(fields) != 3 or st.kind.get(pid) != "proc" or not st.alive.get(pid):
                    raise ValueError("cpumask needs PID CPU of a live user task")
                if _num(fields[2]) >= st.cpus:
                    raise ValueError("cpumask CPU out of range")
            elif fields[0] == "next_trim":
                pid = _num(fields[1])
                if len(fields) != 3 or st.kind.get(pid) != "proc" or not st.alive.get(pid):
                    raise ValueError("next_trim needs PID NS of a live user task")
                _num(fields[2])
            else:
                _cpu_record(st, fields)
        except (ValueError, IndexError) as e:
            errors.append("%d: %s" % (lineno, e))
            if header < 2:
                break
    if header < 2:
        errors.append("missing header")
    summary = dict(st.counts) if st else {}
    if st:
        summary["cpus"] = st.cpus
        summary["procs"] = sum(1 for k in st.kind.values() if k == "proc")
        summary["kthreads"] = sum(1 for k in st.kind.values() if k == "kthread") - 1
    return errors, summary


def check_file(path):
    with open(path, "r", encoding="ascii") as f:
        return check(f.read())
