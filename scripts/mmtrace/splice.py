"""import-sched --accesses-from: a real program's memory trace (a valgrind
lackey log, mmtrace.lackey) spliced into one process's slices of a real
schedule, in program order (docs/import.md, "Accesses from a lackey log").

- Which process (choose): a number is a kernel PID as the capture shows
  it; the process it belongs to (its thread group, a thread's TID selects
  its process), in the last address space the trace shows it in (after
  its last exec: valgrind traced the program from its exec). Anything
  else is a COMM: the first address space the trace shows made by a task
  of that comm (declared, forked or exec'd with it). Every thread of that
  process running in that address space takes from the one log: lackey
  serializes a program's threads and does not say which made an access.
- How many (Splicer): a stretch is the time a task of the process runs
  in that address space on one CPU, from its switch-in (or the exec that
  made the address space) to the next switch on that CPU, its exit or
  exec, or the trace's end. Its k-th log record (k = 1, 2, ...) is due
  RATE records per microsecond after its start, at START + k / RATE; at
  every event the records due by the event's time are written on that
  CPU, the first stamped with its own due time. The log is read once, in
  order: never reordered, never repeated. A log that runs out leaves the
  rest of the stretches without accesses; a log longer than the schedule
  wants has its rest unused; both counts are reported.
- Addresses (scan): the pages the used records touch that no mapping of
  that address space covers when it appears are declared `vma ... rwx`
  (anonymous) there, as import-lackey maps them; pages a known mapping
  covers keep its rights.
"""

from fractions import Fraction

from . import lackey, open_input, sanitize_comm

BATCH = 8192          # log records taken at once


class SpliceError(Exception):
    """A selection that cannot be made (printed as 'import-sched: error: ...')."""


def parse_spec(text):
    """PID_OR_COMM=LACKEY_LOG -> Selection; ValueError with the reason."""
    key, sep, path = text.partition("=")
    if not sep:
        raise ValueError("%r: '=' missing (PID_OR_COMM=LACKEY_LOG)" % text)
    if not key or not path:
        raise ValueError("%r: PID_OR_COMM=LACKEY_LOG, neither empty" % text)
    if path == "-":
        raise ValueError("%r: the log must be a file (it is read twice)" % text)
    return Selection(text, key, path)


def parse_rate(text):
    """Log records per microsecond: a decimal number > 0 and <= 10^6, kept exact."""
    try:
        rate = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise ValueError("%r is not a number" % text)
    if not 0 < rate <= 10 ** 6:
        raise ValueError("%r: must be > 0 and <= 1000000" % text)
    return rate


class Selection:
    """One --accesses-from: what it selects, its log, and what it did."""

    def __init__(self, text, key, path):
        self.text = text
        self.path = path
        self.pid = int(key) if key.isdigit() else None
        self.comm = None if self.pid is not None else sanitize_comm(key)
        self.epoch = None         # the chosen address space's id
        self.owner = None         # output PID and comm of the task that made it
        self.owner_comm = None
        self.wanted_first = 0     # records its stretches want (first pass)
        self.log_records = 0      # records in the log (scan)
        self.ranges = []          # [(start, end)] the used records touch
        self.vmas = 0             # vma declarations made for them
        self.wanted = 0           # second pass: records its stretches wanted,
        self.records = 0          # those spliced,
        self.accesses = 0         # the accesses they became,
        self.slices = 0           # its stretches,
        self.tasks = set()        # the output PIDs that ran them,
        self.running_ns = 0       # and their time
        self._file = None
        self._it = None

    def take(self, n):
        """The access texts of the log's next N records (fewer at its end)."""
        if self._it is None:
            self._file = open_input(self.path)
            self._it = lackey.records(self._file, self.path)
        out = []
        got = 0
        for rec in self._it:
            out.extend(lackey.accesses(*rec))
            got += 1
            if got == n:
                break
        self.records += got
        self.accesses += len(out)
        return out

    def close(self):
        if self._file is not None:
            self._file.close()
            self._file = None

    def report(self):
        return ("accesses-from %s: pid=%d comm=%s tasks=%d slices=%d running_ns=%d wanted=%d "
                "records=%d accesses=%d unused=%d vmas=%d" % (
                    self.text, self.owner, self.owner_comm, len(self.tasks), self.slices,
                    self.running_ns, self.wanted, self.records, self.accesses,
                    self.log_records - self.records, self.vmas))


class _Stretch:
    __slots__ = ("key", "start", "due")

    def __init__(self, key, start):
        self.key = key            # epoch id (first pass) or Selection
        self.start = start        # kernel ns
        self.due = 0              # records due so far (written, or missed at the log's end)


class Splicer:
    """The stretches of the selected processes, through both passes.

    First pass (CHOSEN None): counts for every address space the records
    its stretches want (wanted). Second pass (CHOSEN {epoch id:
    Selection}): writes them through WRITER. Times are kernel ns; T0 the
    trace's first event (the @TIME origin); TIMED: stamp the records."""

    def __init__(self, rate, writer, chosen=None, t0=0, timed=True):
        self.num, self.den = rate.numerator, rate.denominator
        self.w = writer
        self.chosen = chosen
        self.wanted = {}
        self.open = {}            # cpu -> _Stretch
        self.now = t0
        self.t0 = t0
        self.timed = timed

    def _due(self, st, t):
        return (t - st.start) * self.num // (1000 * self.den)

    def begin(self, cpu, task):
        """TASK now runs on CPU (after its switch-in or exec): a stretch if
        it is a thread of the process that made its address space (and, in
        the second pass, that address space is chosen). True when the
        stretch takes its accesses from a log."""
        self.end(cpu)
        e = task.epoch
        if task.kthread or e is None or task.group != e.group:
            return False
        if self.chosen is None:
            self.open[cpu] = _Stretch(e.id, self.now)
            return False
        sel = self.chosen.get(e.id)
        if sel is None:
            return False
        self.open[cpu] = _Stretch(sel, self.now)
        sel.slices += 1
        sel.tasks.add(task.opid)
        return True

    def end(self, cpu):
        """CPU's stretch ends now (a switch, exit or exec there: the
        writer's on_leave; the records due were written at the event)."""
        st = self.open.pop(cpu, None)
        if st is None:
            return
        n = self._due(st, self.now)
        if self.chosen is None:
            self.wanted[st.key] = self.wanted.get(st.key, 0) + n
        else:
            st.key.wanted += n
            st.key.running_ns += self.now - st.start

    def advance(self, now):
        """The time is NOW: write on each CPU the records due by then."""
        self.now = now
        if self.chosen is None:
            return
        for cpu in sorted(self.open):
            st = self.open[cpu]
            n = self._due(st, now) - st.due
            if n > 0 and not self.w.need_switch[cpu]:
                self._write(cpu, st, n)

    def _write(self, cpu, st, n):
        w = self.w
        while n > 0:
            k = min(n, BATCH)
            texts = st.key.take(k)
            if not texts:          # the log ran out: the rest get none
                st.due += n
                return
            if self.timed:
                # the first record's due time: START + (due + 1) / RATE, in ns
                at = st.start + -(-(st.due + 1) * 1000 * self.den // self.num)
                saved = w.prefix
                w.at(at - self.t0)
                w.user_ops(cpu, texts[:1])
                w.prefix = ""
                if len(texts) > 1:
                    w.user_ops(cpu, texts[1:])
                w.prefix = saved
            else:
                w.user_ops(cpu, texts)
            st.due += k
            n -= k

    def close(self):
        """The trace's end (after the last advance): every stretch ends."""
        for cpu in sorted(self.open):
            self.end(cpu)
        if self.chosen:
            for sel in self.chosen.values():
                sel.close()


def choose(selections, first, input_name):
    """{epoch id: Selection} after the first pass (FIRST, its Importer
    and Splicer): a PID's process in its last address space, a COMM's
    first; SpliceError for none, or one chosen twice."""
    chosen = {}
    for sel in selections:
        if sel.pid is not None:
            tgid = first.kernel_tgid(sel.pid)
            found = [e for e in first.epochs if e.tgid == tgid]
            pick = found[-1] if found else None
            what = "user process with PID %d" % sel.pid
        else:
            found = [e for e in first.epochs if e.comm == sel.comm]
            pick = found[0] if found else None
            what = "user process with COMM %s" % sel.comm
        if pick is None:
            raise SpliceError("--accesses-from %s: no %s in %s" % (sel.text, what, input_name))
        if pick.id in chosen:
            raise SpliceError("--accesses-from %s: the same process as --accesses-from %s"
                              % (sel.text, chosen[pick.id].text))
        sel.epoch = pick.id
        sel.owner, sel.owner_comm = pick.owner, pick.comm
        sel.wanted_first = first.splicer.wanted.get(pick.id, 0)
        chosen[pick.id] = sel
    return chosen


def scan(sel, progress):
    """Read SEL's log once: its records counted and checked (a bad line is
    an error wherever it is), and the pages the records the schedule
    wants touch, as ranges to declare."""
    touched = set()
    n = 0
    with open_input(sel.path) as f:
        for _kind, addr, size in lackey.records(progress.lines(f), sel.path):
            if n < sel.wanted_first:
                touched.update(lackey.pages(addr, size))
            n += 1
        progress.end_pass(f.position(), sel.path)
    sel.log_records = n
    sel.ranges = lackey.ranges(touched)

