"""Parse kernel event text: ftrace, trace-cmd report and perf script.

Each recognised line becomes an Event; lines of other events are kept only
for their CPU number (so the CPU count can come from the max CPU seen).

Line forms (TASK may contain spaces and dashes; the PID is after the last '-'):
  ftrace          TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: BODY   (or a syscall,
                  `sys_mmap(addr: 0, len: 0x2000, ...)` / `sys_mmap -> 0x7f...`)
  ftrace + TGID   TASK-PID (TGID) [CPU] FLAGS TIMESTAMP: EVENT: BODY   (TGID may be -----)
  trace-cmd       TASK-PID [CPU] TIMESTAMP: EVENT: BODY                (no flags column)
  perf script     COMM PID[/TID] [CPU] TIMESTAMP: [PERIOD] SUBSYS:EVENT: BODY
Headers and chatter skipped: '#' lines, blank lines, `version = N`, `cpus=N`,
`CPU N is empty`, `CPU:N [LOST N EVENTS]` (counted), stack lines starting with `=>`.
Any other line is an error.

Events and their fields (Event.f):
  sched_switch        pc pp ps nc np (prev/next comm and pid, prev state)
  sched_process_fork  comm pid ccomm cpid
  sched_process_exec  file pid old_pid
  sched_process_exit  comm pid
  sched_wakeup_new    comm pid
  sched_wakeup        comm pid target (the CPU it will run on)
  task_newtask        pid comm flags (clone_flags as an int)
  tlb_flush           pages (int, -1 for a full flush) reason (int, 0..5)
  page_fault_user     address ip error (ints; ip None when the kernel printed a
                      symbol); page_fault_kernel alike
  sys_enter           name (mmap, munmap, ...) args {name: int}
  sys_exit            name ret (int, negative for an error)
Timestamps are kept exactly, as integer nanoseconds (Event.ts).
"""

import re

from . import InputError

FTRACE_LINE = re.compile(
    r"\s*(?P<task>.*?)-(?P<pid>\d+)\s+"
    r"(?:\(\s*(?P<tgid>\d+|-+)\s*\)\s+)?"
    r"\[(?P<cpu>\d+)\]\s+"
    r"(?:(?P<flags>[^\s\d][^\s]{2,5})\s+)?"
    r"(?P<ts>\d+\.\d+):\s+(?P<rest>.*?)\s*\Z")
PERF_LINE = re.compile(
    r"\s*(?P<task>.*?)\s+(?P<pid>\d+)(?:/(?P<tid>\d+))?\s+"
    r"\[(?P<cpu>\d+)\]\s+"
    r"(?P<ts>\d+\.\d+):\s+(?:\d+\s+)?(?P<rest>[A-Za-z0-9_]+:[A-Za-z0-9_]+:.*?)\s*\Z")
EVENT_NAME = re.compile(r"(?P<event>\w+(?::\w+)?):(?:\s+|\Z)(?P<body>.*)\Z")
SKIP_LINE = re.compile(
    r"\s*(\Z|#|version\s*=|cpus\s*=\s*\d+|CPU\s+\d+\s+is\s+empty|CPU:\s*\d+\s+\[LOST|=>)")
LOST_LINE = re.compile(r"\s*CPU:\s*\d+\s+\[LOST\s+(\d+)\s+EVENTS\]")
HEADER_CPUS = re.compile(r"(?:#P:\s*(\d+))|(?:^\s*cpus\s*=\s*(\d+))")

SWITCH_KV = re.compile(
    r"prev_comm=(?P<pc>.*?)\s+prev_pid=(?P<pp>\d+)\s+prev_prio=(?P<pprio>-?\d+)\s+"
    r"prev_state=(?P<ps>\S+)\s+(?:==>\s+)?"
    r"next_comm=(?P<nc>.*?)\s+next_pid=(?P<np>\d+)\s+next_prio=(?P<nprio>-?\d+)")
SWITCH_COMPACT = re.compile(
    r"(?P<pc>.+?):(?P<pp>\d+)\s+\[(?P<pprio>-?\d+)\]\s+(?P<ps>\S+)\s+==>\s+"
    r"(?P<nc>.+?):(?P<np>\d+)\s+\[(?P<nprio>-?\d+)\]")
FORK_KV = re.compile(r"comm=(?P<comm>.*?)\s+pid=(?P<pid>\d+)\s+"
                     r"child_comm=(?P<ccomm>.*?)\s+child_pid=(?P<cpid>\d+)")
EXEC_KV = re.compile(r"filename=(?P<file>.*?)\s+pid=(?P<pid>\d+)(?:\s+old_pid=(?P<old_pid>\d+))?")
EXIT_KV = re.compile(r"comm=(?P<comm>.*?)\s+pid=(?P<pid>\d+)")
WAKEUP_NEW_KV = re.compile(r"comm=(?P<comm>.*?)\s+pid=(?P<pid>\d+)")
WAKEUP_KV = re.compile(r"comm=(?P<comm>.*?)\s+pid=(?P<pid>\d+)\s+prio=-?\d+"
                       r"(?:\s+success=\d+)?\s+target_cpu=(?P<target>\d+)")
NEWTASK_KV = re.compile(r"pid=(?P<pid>\d+)\s+comm=(?P<comm>.*?)\s+clone_flags=(?P<flags>[0-9a-fA-Fx]+)")
TLB_FLUSH_KV = re.compile(r"pages[:=]\s*(?P<pages>-?\d+)\s+reason[:=]\s*(?P<name>.*?)\s*"
                          r"\((?P<reason>\d+)\)")
FAULT_KV = re.compile(r"address=(?P<address>\S+)\s+ip=(?P<ip>\S+)\s+error_code=(?P<error>\S+)")
# syscalls: ftrace prints `sys_mmap(addr: 0, len: 0x2000)` and `sys_mmap -> 0x7f..`;
# perf and trace-cmd `syscalls:sys_enter_mmap: addr: 0x00, len: 0x2000` and
# `syscalls:sys_exit_mmap: 0x7f..` (or `ret=...`, `__syscall_nr=9, ret: 0x...`)
FTRACE_SYS_ENTER = re.compile(r"sys_(?P<name>\w+)\((?P<args>.*)\)\Z")
FTRACE_SYS_EXIT = re.compile(r"sys_(?P<name>\w+)\s+->\s+(?P<ret>\S+)\Z")
SYS_ARG = re.compile(r"(?P<k>\w+)\s*[:=]\s*(?P<v>-?(?:0x)?[0-9a-fA-F]+)")
SYSCALLS = ("mmap", "munmap", "mprotect", "brk", "madvise", "mremap")

# Event kinds the importer acts on, and the body parser of each.
BODY = {
    "sched_switch": (SWITCH_KV, SWITCH_COMPACT),
    "sched_process_fork": (FORK_KV,),
    "sched_process_exec": (EXEC_KV,),
    "sched_process_exit": (EXIT_KV,),
    "sched_wakeup_new": (WAKEUP_NEW_KV,),
    "sched_wakeup": (WAKEUP_KV,),
    "task_newtask": (NEWTASK_KV,),
    "tlb_flush": (TLB_FLUSH_KV,),
    "page_fault_user": (FAULT_KV,),
    "page_fault_kernel": (FAULT_KV,),
}
INT_FIELDS = {
    "sched_switch": ("pp", "np"), "sched_process_fork": ("pid", "cpid"),
    "sched_process_exec": ("pid", "old_pid"), "sched_process_exit": ("pid",),
    "sched_wakeup_new": ("pid",), "sched_wakeup": ("pid", "target"), "task_newtask": ("pid",),
    "tlb_flush": ("pages", "reason"),
}


class Event:
    """One parsed line: where and when, who runs, and what happened."""

    __slots__ = ("line", "cpu", "ts", "pid", "task", "tgid", "kind", "f", "irq")

    def __init__(self, line, cpu, ts, pid, task, tgid, kind, fields, irq=False):
        self.line = line
        self.cpu = cpu
        self.ts = ts
        self.pid = pid
        self.task = task
        self.tgid = tgid
        self.kind = kind
        self.f = fields
        self.irq = irq        # recorded in hard interrupt context (ftrace's flags column)


def timestamp_ns(text):
    """'71.333910' -> 71333910000, exactly (no floating point)."""
    sec, _, frac = text.partition(".")
    return int(sec) * 1000000000 + int((frac + "000000000")[:9])


def number(text):
    """A number as the kernel prints syscall arguments and addresses: hex,
    with or without 0x (older kernels print `buf: 7ffe`, v6.18 omits the
    0x below 10), or a negative decimal."""
    text = text.strip().rstrip(",")
    if text.startswith("-"):
        return -int(text[1:], 10)
    return int(text[2:] if text.lower().startswith("0x") else text, 16)


def signed64(v):
    """A return value printed unsigned (0xfffffffffffffff4) as signed (-12)."""
    return v - (1 << 64) if v >= (1 << 63) else v


def _match_line(text):
    """(fields dict, tgid or None) for an event line, or None."""
    m = FTRACE_LINE.match(text)
    if m:
        d = m.groupdict()
        tgid = d["tgid"]
        d["tgid"] = int(tgid) if tgid and tgid.isdigit() else None
        return d
    m = PERF_LINE.match(text)
    if m:
        d = m.groupdict()
        if d["tid"] is not None:  # perf: PID/TID = TGID/task
            d["tgid"] = int(d["pid"])
            d["pid"] = d["tid"]
        else:
            d["tgid"] = None
        return d
    return None


def _syscall(rest):
    """(kind, fields) for a syscall line of a name in SYSCALLS, else None."""
    m = FTRACE_SYS_ENTER.match(rest)
    if m and m.group("name") in SYSCALLS:
        args = {a.group("k"): number(a.group("v")) for a in SYS_ARG.finditer(m.group("args"))}
        return "sys_enter", {"name": m.group("name"), "args": args}
    m = FTRACE_SYS_EXIT.match(rest)
    if m and m.group("name") in SYSCALLS:
        return "sys_exit", {"name": m.group("name"), "ret": signed64(number(m.group("ret")))}
    m = EVENT_NAME.match(rest)
    if not m:
        return None
    event = m.group("event").rsplit(":", 1)[-1]
    for prefix, kind in (("sys_enter_", "sys_enter"), ("sys_exit_", "sys_exit")):
        name = event[len(prefix):]
        if event.startswith(prefix) and name in SYSCALLS:
            body = m.group("body")
            args = {a.group("k"): number(a.group("v")) for a in SYS_ARG.finditer(body)}
            if kind == "sys_enter":
                args.pop("__syscall_nr", None)
                return kind, {"name": name, "args": args}
            ret = args.get("ret")
            if ret is None:
                words = body.replace(",", " ").split()
                ret = number(words[-1]) if words else 0
            return kind, {"name": name, "ret": signed64(ret)}
    return None


def _parse_body(path, lineno, kind, body):
    for regex in BODY[kind]:
        m = regex.match(body)
        if m:
            f = m.groupdict()
            for key in INT_FIELDS.get(kind, ()):
                if f.get(key) is not None:
                    f[key] = int(f[key])
            if kind == "task_newtask":
                f["flags"] = int(f["flags"], 16)
            elif kind in ("page_fault_user", "page_fault_kernel"):
                try:
                    f["address"], f["error"] = number(f["address"]), number(f["error"])
                except ValueError:
                    return None
                try:
                    f["ip"] = number(f["ip"])
                except ValueError:
                    f["ip"] = None   # a symbol (%ps of a kernel address, e.g. __put_user_4)
            return f
    raise InputError(path, lineno, "cannot parse %s fields: %r" % (kind, body[:80]))


class Parsed:
    """What parse() read: header CPU count, max CPU seen, events, lost events."""

    def __init__(self):
        self.header_cpus = None
        self.max_cpu = -1
        self.events = []
        self.lost = 0
        self.unusable = 0


def parse(stream, path):
    """Read STREAM; return a Parsed."""
    out = Parsed()
    events = out.events
    for lineno, raw in enumerate(stream, 1):
        text = raw.rstrip("\r\n")
        if SKIP_LINE.match(text):
            h = HEADER_CPUS.search(text)
            if h and out.header_cpus is None:
                out.header_cpus = int(h.group(1) or h.group(2))
            lost = LOST_LINE.match(text)
            if lost:
                out.lost += int(lost.group(1))
            continue
        d = _match_line(text)
        if d is None:
            raise InputError(path, lineno, "not a scheduler event line: %r" % text[:80])
        cpu = int(d["cpu"])
        if cpu > 255:
            raise InputError(path, lineno, "cpu %d out of 0..255" % cpu)
        out.max_cpu = max(out.max_cpu, cpu)
        rest = d["rest"]
        sc = _syscall(rest) if "sys_" in rest else None
        if sc:
            kind, fields = sc
        else:
            m = EVENT_NAME.match(rest)
            kind = m.group("event").rsplit(":", 1)[-1] if m else None
            if kind not in BODY:
                continue  # another event: not used
            fields = _parse_body(path, lineno, kind, m.group("body"))
            if fields is None:
                out.unusable += 1
                continue
        flags = d.get("flags") or ""
        events.append(Event(lineno, cpu, timestamp_ns(d["ts"]), int(d["pid"]),
                            d["task"].strip(), d["tgid"], kind, fields,
                            len(flags) > 2 and flags[2] in "hH"))
    return out
