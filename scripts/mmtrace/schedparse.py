"""Parse scheduler event text: ftrace, trace-cmd report and perf script.

Each recognised line becomes an Event; lines of other events are kept only
for their CPU number (so the CPU count can come from the max CPU seen).

Line forms (TASK may contain spaces and dashes; the PID is after the last '-'):
  ftrace          TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: BODY   (or any text
                  after the timestamp, e.g. `sys_read(fd: 3)`: kept for its CPU)
  ftrace + TGID   TASK-PID (TGID) [CPU] FLAGS TIMESTAMP: EVENT: BODY   (TGID may be -----)
  trace-cmd       TASK-PID [CPU] TIMESTAMP: EVENT: BODY                (no flags column)
  perf script     COMM PID[/TID] [CPU] TIMESTAMP: [PERIOD] SUBSYS:EVENT: BODY
Headers and chatter skipped: '#' lines, blank lines, `version = N`, `cpus=N`,
`CPU N is empty`, `CPU:N [LOST N EVENTS]`, stack lines starting with `=>`.
Any other line is an error.
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
EXEC_KV = re.compile(r"filename=(?P<file>.*?)\s+pid=(?P<pid>\d+)(?:\s+old_pid=\d+)?")
EXIT_KV = re.compile(r"comm=(?P<comm>.*?)\s+pid=(?P<pid>\d+)")
WAKEUP_NEW_KV = re.compile(r"comm=(?P<comm>.*?)\s+pid=(?P<pid>\d+)")

# Event kinds the importer acts on, and the body parser of each.
BODY = {
    "sched_switch": (SWITCH_KV, SWITCH_COMPACT),
    "sched_process_fork": (FORK_KV,),
    "sched_process_exec": (EXEC_KV,),
    "sched_process_exit": (EXIT_KV,),
    "sched_wakeup_new": (WAKEUP_NEW_KV,),
    "tlb_flush": None,
}


class Event:
    """One parsed line: where and when, who runs, and what happened."""

    __slots__ = ("line", "cpu", "ts", "pid", "task", "tgid", "kind", "f")

    def __init__(self, line, cpu, ts, pid, task, tgid, kind, fields):
        self.line = line
        self.cpu = cpu
        self.ts = ts
        self.pid = pid
        self.task = task
        self.tgid = tgid
        self.kind = kind
        self.f = fields


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


def _parse_body(path, lineno, kind, body):
    parsers = BODY[kind]
    if parsers is None:
        return {"body": body}
    for regex in parsers:
        m = regex.match(body)
        if m:
            return m.groupdict()
    raise InputError(path, lineno, "cannot parse %s fields: %r" % (kind, body[:80]))


def parse(stream, path):
    """Read STREAM; return (cpus from the header or None, max CPU seen, events)."""
    header_cpus = None
    max_cpu = -1
    events = []
    for lineno, raw in enumerate(stream, 1):
        text = raw.rstrip("\r\n")
        if SKIP_LINE.match(text):
            h = HEADER_CPUS.search(text)
            if h and header_cpus is None:
                header_cpus = int(h.group(1) or h.group(2))
            continue
        d = _match_line(text)
        if d is None:
            raise InputError(path, lineno, "not a scheduler event line: %r" % text[:80])
        cpu = int(d["cpu"])
        if cpu > 255:
            raise InputError(path, lineno, "cpu %d out of 0..255" % cpu)
        max_cpu = max(max_cpu, cpu)
        m = EVENT_NAME.match(d["rest"])
        kind = m.group("event").rsplit(":", 1)[-1] if m else None
        if kind not in BODY:
            continue  # another event (or a syscall line `sys_x(...)`): not used
        fields = _parse_body(path, lineno, kind, m.group("body"))
        events.append(Event(lineno, cpu, float(d["ts"]), int(d["pid"]),
                            d["task"].strip(), d["tgid"], kind, fields))
    return header_cpus, max_cpu, events
