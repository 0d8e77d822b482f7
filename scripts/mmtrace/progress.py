"""The progress line of the importers and experiment, on stderr.

Modes (the tools' --progress option):
  "auto"  the default: a line only when stderr is a terminal, rewritten in
          place ("\\r\\033[K" before each refresh) and cleared at the end;
  "on"    --progress: the line also when stderr is not a terminal, then as
          complete lines ending in "\\n", one per refresh and one at the end;
  "json"  --progress=json: one JSON object per line;
  "off"   nothing.
An importer's JSON object is written at the start (records 0), at most 4
times a second while it works (time.monotonic, read only every CHECK_EVERY
lines or items, so a record costs a counter increment), and at the end
("done": true); its human line, as mmusim's, not before the first half
second, then at most 4 times a second, and with --progress off a terminal
a last one ending in ", done".  A failed import ends with its error alone.

Importers (Progress):
  NAME: 1.2M records, 34% of 56.0 MB, 5.1M records/s, 0:03 elapsed, ~0:06 left
records: those written to OUT so far (the header lines included: at the
end, every line of OUT but its comments; before a pass writes any, the
rate is IN's bytes per second); the percent, total and time left
only when IN is a regular file (a compressed one: its compressed bytes read
against its size).  A tool that goes over its input more than once (PASSES)
counts each pass as IN's size: "34% of 2 x 56.0 MB".  JSON keys: tool,
records, bytes (of IN read, summed over the passes), total_bytes (PASSES x
IN's size, or null), percent, rate_records_s, elapsed_s, eta_s, done.

experiment (RunProgress), refreshed as runs end:
  experiment: 3/12 runs done, 1 failed, 0:04 elapsed, ~0:12 left
JSON keys: tool ("experiment"), runs, total_runs, failed, percent,
elapsed_s, eta_s, done.
"""

import json
import os
import stat
import sys
import time

MODES = ("auto", "on", "json", "off")
INTERVAL = 0.25          # seconds between refreshes, at least
FIRST_LINE = 0.5         # seconds before the first human line (mmusim's too)
CHECK_EVERY = 1024       # lines or items between two reads of the clock


def clock(seconds):
    """0:07, 12:34, 1:02:03."""
    m, s = divmod(int(seconds + 0.5), 60)
    return "%d:%02d:%02d" % (m // 60, m % 60, s) if m >= 60 else "%d:%02d" % (m, s)


def count(n):
    """1234 -> 1.2k, 5100000 -> 5.1M; below 1000 the number itself."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= size:
            return "%.1f%s" % (n / size, suffix)
    return "%.0f" % n


def size(nbytes):
    """56000000 -> 56.0 MB (powers of 1000)."""
    for unit, suffix in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if nbytes >= unit:
            return "%.1f %s" % (nbytes / unit, suffix)
    return "%.0f B" % nbytes


def file_size(path):
    """The size of PATH if it is a regular file, else None ('-', a pipe)."""
    if path is None or path == "-":
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def add_option(parser):
    """--progress (= on), --progress=json and --progress=off on PARSER (as
    mmusim's); args.progress is "auto" without it."""
    parser.add_argument("--progress", nargs="?", const="on", default="auto", choices=("on", "json", "off"),
                        help="a progress line on stderr even when it is not a terminal "
                        "(--progress=json: JSON lines for tools; off: none; default: on a terminal only)")


class _Out:
    """Where the lines go, and how, for MODE."""

    def __init__(self, mode, stream=None):
        if mode not in MODES:
            raise ValueError("progress mode %r" % mode)
        self.stream = stream or sys.stderr
        tty = self.stream.isatty()
        self.json = mode == "json"
        self.tty = tty and mode in ("auto", "on")
        self.active = self.json or mode == "on" or (mode == "auto" and tty)
        self.shown = False

    def line(self, text):
        if self.tty:
            self.stream.write("\r\033[K" + text)
            self.shown = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def obj(self, doc):
        self.stream.write(json.dumps(doc, sort_keys=False) + "\n")
        self.stream.flush()

    def clear(self):
        if self.tty and self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()


class Progress:
    """An importer's progress: Progress(NAME, MODE, PATH, PASSES); wrap the
    loops with lines() (a mmtrace.open_input stream: IN's bytes read) or
    items() (a list gone over again), tell it where the records come from
    with counter(), end each pass with end_pass() and all with close().  Inactive, it costs nothing: lines()
    and items() return what they are given."""

    def __init__(self, name, mode="auto", path=None, passes=1, stream=None):
        self.name = name
        self.out = _Out(mode, stream)
        self.active = self.out.active
        self.size = file_size(path)
        self.passes = passes
        self.total = None if self.size is None else self.size * passes
        self.others = False      # other inputs (add_input) in the total
        self.base = 0            # bytes of the passes already over
        self.bytes = 0
        self.records = 0
        self._count = None
        self.t0 = time.monotonic()
        self.last = self.t0
        self.closed = False
        if self.active and self.out.json:
            self._json(False, self.t0)

    def add_input(self, path, passes=1):
        """Another input, read PASSES times in passes of its own (import-sched's
        lackey logs): its size counts in the total ("of 4.2 MB" then)."""
        size = file_size(path)
        self.others = True
        self.total = None if self.total is None or size is None else self.total + size * passes

    def counter(self, fn):
        """FN() is the number of records written so far (None: keep the last)."""
        if fn is None and self._count is not None:
            self.records = self._count()
        self._count = fn

    def lines(self, stream):
        """STREAM's lines; every CHECK_EVERY lines the bytes read of IN
        (stream.position()) are taken and the line maybe refreshed."""
        if not self.active:
            return stream
        return self._lines(stream)

    def _lines(self, stream):
        base = self.base
        n = 0
        for line in stream:
            yield line
            n += 1
            if n == CHECK_EVERY:
                n = 0
                self.bytes = base + stream.position()
                self.poll()
        self.bytes = base + stream.position()

    def items(self, seq):
        """SEQ's items (a list), one more pass: its bytes are IN's size
        times the share of SEQ gone over."""
        if not self.active:
            return seq
        return self._items(seq)

    def _items(self, seq):
        base, total, span = self.base, max(len(seq), 1), self.size or 0
        for i, item in enumerate(seq, 1):
            yield item
            if i % CHECK_EVERY == 0:
                self.bytes = base + span * i // total
                self.poll()

    def end_pass(self, position=None, path=None):
        """A pass over: the next one counts from IN's size (or, for a
        pipe, from POSITION, the bytes this pass read); PATH: a pass over
        that other input (add_input), counted as its size."""
        size = self.size if path is None else file_size(path)
        if size is not None:
            self.base += size
        elif position is not None:
            self.base += position
        self.bytes = self.base

    def poll(self):
        """Refresh if INTERVAL has passed since the last refresh."""
        now = time.monotonic()
        if now - self.last < INTERVAL or (not self.out.json and now - self.t0 < FIRST_LINE):
            return
        self.last = now
        if self._count is not None:
            self.records = self._count()
        if self.out.json:
            self._json(False, now)
        else:
            self.out.line(self.text(now))

    def _figures(self, now):
        elapsed = now - self.t0
        rate = self.records / elapsed if elapsed > 0 else 0.0
        if self.total:
            share = min(self.bytes / self.total, 1.0)
            eta = elapsed / share * (1 - share) if share > 0 else None
            return elapsed, rate, 100.0 * share, eta
        return elapsed, rate, (100.0 if self.total == 0 else None), (0.0 if self.total == 0 else None)

    def text(self, now=None, done=False):
        elapsed, rate, percent, eta = self._figures(time.monotonic() if now is None else now)
        parts = ["%s records" % count(self.records)]
        if percent is not None:
            of = size(self.total) if self.others else size(self.size) if self.passes == 1 else \
                "%d x %s" % (self.passes, size(self.size))
            parts.append("%.0f%% of %s" % (percent, of))
        if self.records or not self.bytes:
            parts.append("%s records/s" % count(rate))
        else:   # a pass that writes nothing yet (the first of two): how fast IN goes
            parts.append("%s/s" % size(self.bytes / elapsed if elapsed > 0 else 0))
        parts.append("%s elapsed" % clock(elapsed))
        if done:
            parts.append("done")
        elif eta is not None:
            parts.append("~%s left" % clock(eta))
        return "%s: %s" % (self.name, ", ".join(parts))

    def _json(self, done, now):
        elapsed, rate, percent, eta = self._figures(now)
        self.out.obj({"tool": self.name, "records": self.records, "bytes": self.bytes,
                      "total_bytes": self.total,
                      "percent": None if percent is None else round(percent, 1),
                      "rate_records_s": round(rate, 1), "elapsed_s": round(elapsed, 3),
                      "eta_s": None if eta is None else round(eta, 1), "done": done})

    def close(self, ok=True):
        """The end: the terminal's line cleared, "on"'s last line, JSON's
        "done": true (when OK: a failed import ends with its error alone)."""
        if not self.active or self.closed:
            return
        self.closed = True
        if self._count is not None:
            self.records = self._count()
        now = time.monotonic()
        if self.out.json:
            if ok:
                self._json(True, now)
        elif self.out.tty:
            self.out.clear()
        elif ok:
            self.out.line(self.text(now, done=True))


class RunProgress:
    """experiment's progress over TOTAL runs; ended(failed) as each ends."""

    def __init__(self, name, total, mode="auto", stream=None):
        self.name = name
        self.total, self.done, self.failed = total, 0, 0
        self.out = _Out(mode, stream)
        self.on = self.out.active and (total > 0 or self.out.json)
        self.t0 = time.monotonic()
        if self.on and self.out.json:
            self._json(False)

    def ended(self, failed):
        self.done += 1
        self.failed += bool(failed)
        if not self.on:
            return
        if self.out.json:
            self._json(False)
            return
        spent = time.monotonic() - self.t0
        left = spent / self.done * (self.total - self.done)
        self.out.line("%s: %d/%d runs done, %d failed, %s elapsed, ~%s left"
                      % (self.name, self.done, self.total, self.failed, clock(spent), clock(left)))

    def _json(self, done):
        spent = time.monotonic() - self.t0
        self.out.obj({"tool": self.name, "runs": self.done, "total_runs": self.total,
                      "failed": self.failed,
                      "percent": round(100.0 * self.done / self.total, 2) if self.total else 100.0,
                      "elapsed_s": round(spent, 3),
                      "eta_s": round(spent / self.done * (self.total - self.done), 3) if self.done else None,
                      "done": done})

    def close(self):
        if not self.on:
            return
        if self.out.json:
            self._json(True)
        elif self.out.tty:
            if self.done:
                self.out.clear()
