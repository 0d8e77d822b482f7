"""import-sched --accesses-from: a lackey log spliced into one process's
slices of a schedule (docs/import.md, "Accesses from a lackey log"): which
records land in which slice, in order, derived by hand; what mmusim counts
of them; a real log of the project's own workload in a real capture; bad
input; compressed logs."""

import gzip
import json
import os
import subprocess
import tempfile
import unittest

from common import MMUSIM, REPO, records, run, summary
from mmtrace_check import check

# Two CPUs. Process 100 (prog) has a second thread 101 (the TGID column);
# 200 (other) is another process, 20 a kernel thread. Times in us after
# the first event (t0 = 1.000000 s):
#   0  CPU 0: idle -> 100            stretch A of prog on CPU 0 starts
#   3  CPU 0: 100 faults (a write)
#   5  CPU 0: 100 -> kworker 20      A ends: 5 us
#   6  CPU 1: idle -> 101            stretch B on CPU 1 starts
#   8  CPU 0: 20 -> 100              stretch C on CPU 0 starts
#  10  CPU 1: 101 -> idle            B ends: 4 us
#  12  CPU 0: 100 -> 200             C ends: 4 us
#  20  CPU 0: 200 -> 100             stretch D starts
#  30  CPU 0: 100 -> idle            D ends: 10 us; the trace ends
SCHED = """\
# tracer: nop
#
# entries-in-buffer/entries-written: 9/9   #P:2
          <idle>-0       (-------) [000] d..2.     1.000000: sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=prog next_pid=100 next_prio=120
            prog-100     (    100) [000] d....     1.000003: page_fault_user: address=0x7f0000001000 ip=0x400000 error_code=0x6
            prog-100     (    100) [000] d..2.     1.000005: sched_switch: prev_comm=prog prev_pid=100 prev_prio=120 prev_state=R ==> next_comm=kworker/0:1 next_pid=20 next_prio=120
          <idle>-0       (-------) [001] d..2.     1.000006: sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=prog next_pid=101 next_prio=120
     kworker/0:1-20      (     20) [000] d..2.     1.000008: sched_switch: prev_comm=kworker/0:1 prev_pid=20 prev_prio=120 prev_state=I ==> next_comm=prog next_pid=100 next_prio=120
            prog-101     (    100) [001] d..2.     1.000010: sched_switch: prev_comm=prog prev_pid=101 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120
            prog-100     (    100) [000] d..2.     1.000012: sched_switch: prev_comm=prog prev_pid=100 prev_prio=120 prev_state=R ==> next_comm=other next_pid=200 next_prio=120
           other-200     (    200) [000] d..2.     1.000020: sched_switch: prev_comm=other prev_pid=200 prev_prio=120 prev_state=S ==> next_comm=prog next_pid=100 next_prio=120
            prog-100     (    100) [000] d..2.     1.000030: sched_switch: prev_comm=prog prev_pid=100 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120
"""

# 20 records; 5 and 12 are modifies (a read and a write), 9 crosses from
# page 0x600000 into 0x601000, 17 alone touches page 0x700000.
RECS = ["I  00400000,4", " L 00600000,8", " S 00600008,8", "I  00400004,4", " M 00600010,4",
        "I  00400008,4", " L 00600018,8", "I  0040000c,4", " L 00600ffc,8", " S 00600020,8",
        "I  00400010,4", " M 00600028,4", "I  00400014,4", " L 00600030,8", " S 00600038,8",
        "I  00400018,4", " L 00700040,8", "I  0040001c,4", " S 00600048,8", "I  00400020,4"]
LOG = "==7== Lackey, an example Valgrind tool\n==7== Command: ./prog\n==7==\n" + \
    "\n".join(RECS) + "\n==7== Exit code:       0\n"
OPS = {"I": ["x"], "L": ["r"], "S": ["w"], "M": ["r", "w"]}


def accesses(numbers):
    """The access texts of log records NUMBERS (1-based), as spliced."""
    out = []
    for n in numbers:
        kind, rest = RECS[n - 1].split()
        addr, size = rest.split(",")
        out += ["%s 0x%x %s" % (op, int(addr, 16), size) for op in OPS[kind]]
    return out


def report(stderr):
    """The accesses-from line's counters (the first one) as a dict."""
    for line in stderr.splitlines():
        if line.startswith("import-sched: accesses-from "):
            return {k: int(v) if v.isdigit() else v
                    for k, v in (kv.split("=", 1) for kv in line.split(": ", 2)[2].split())}
    return {}


class Case:
    """IN, the logs and OUT in a temporary directory."""

    def __init__(self, sched=SCHED, log=LOG, name="prog.lackey"):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.src = self.write("in.txt", sched)
        self.log = self.write(name, log) if log is not None else os.path.join(self.dir, name)
        self.dst = os.path.join(self.dir, "out.trace")

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        if name.endswith(".gz"):
            with gzip.open(path, "wt") as f:
                f.write(text)
        else:
            with open(path, "w") as f:
                f.write(text)
        return path

    def run(self, *options):
        proc = run("import-sched", self.src, self.dst, *options)
        out = None
        if os.path.exists(self.dst):
            with open(self.dst) as f:
                out = f.read()
        return proc, out

    def close(self):
        self.tmp.cleanup()


def mmusim(text):
    """mmusim's exit status and --stats-json on TEXT."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "t.trace")
        with open(path, "w") as f:
            f.write(text)
        proc = subprocess.run([MMUSIM, "--quiet", "--stats-json", "-", path],
                              capture_output=True, text=True)
    return proc.returncode, (json.loads(proc.stdout) if proc.returncode == 0 else proc.stderr)


class TestSplice(unittest.TestCase):
    def setUp(self):
        self.case = Case()

    def tearDown(self):
        self.case.close()

    def good(self, *options, log=None):
        proc, out = self.case.run("--accesses-from", "prog=%s" % (log or self.case.log), *options)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(check(out)[0], [])
        return out, report(proc.stderr), proc.stderr

    def test_records_land_in_their_slices_in_order(self):
        """At 1 record a microsecond the k-th record of a stretch is due k
        us after its start; at each event the records due by then are
        written, the first stamped with its due time:
          A (CPU 0, 0-5 us):  at the fault (3 us) records 1-3 (first due
                              at 1 us); at the switch (5 us) 4-5 (due 4 us)
          B (CPU 1, 6-10 us): at 8 us 6-7 (due 7 us), on CPU 1
          at 10 us both run: CPU 0's C (8-12 us) first, 8-9 (due 9 us),
                              then B's 10-11 (due 9 us)
          C at 12 us: 12-13 (due 11 us)
          D (CPU 0, 20-30 us): wants 10, the log has 7 left: 14-20 (due
                              21 us), then it has run out.
        wanted 5 + 4 + 4 + 10 = 23, spliced 20 (all), unused 0; 22
        accesses (5 and 12 are two each); 4 slices of 2 tasks, 23 us."""
        out, n, _ = self.good("--accesses-rate", "1")
        cpu = [line for line in out.splitlines() if line[:1] in "@0123456789"]
        want = ["@0 0 switch 100"] + \
            ["@1000 0 " + a if i == 0 else "0 " + a for i, a in enumerate(accesses([1, 2, 3]))] + \
            ["@3000 0 w 0x7f0000001000"] + \
            ["@4000 0 " + a if i == 0 else "0 " + a for i, a in enumerate(accesses([4, 5]))] + \
            ["@5000 0 switch 20", "@6000 1 switch 101"] + \
            ["@7000 1 " + a if i == 0 else "1 " + a for i, a in enumerate(accesses([6, 7]))] + \
            ["@8000 0 switch 100"] + \
            ["@9000 0 " + a if i == 0 else "0 " + a for i, a in enumerate(accesses([8, 9]))] + \
            ["@9000 1 " + a if i == 0 else "1 " + a for i, a in enumerate(accesses([10, 11]))] + \
            ["@10000 1 switch 0"] + \
            ["@11000 0 " + a if i == 0 else "0 " + a for i, a in enumerate(accesses([12, 13]))] + \
            ["@12000 0 switch 200", "@20000 0 switch 100"] + \
            ["@21000 0 " + a if i == 0 else "0 " + a for i, a in enumerate(accesses(range(14, 21)))] + \
            ["@30000 0 switch 0", "@30000 0 tick 0", "@30000 1 tick 0"]
        self.assertEqual(cpu, want)
        self.assertEqual(n, {"pid": 100, "comm": "prog", "tasks": 2, "slices": 4, "running_ns": 23000,
                             "wanted": 23, "records": 20, "accesses": 22, "unused": 0, "vmas": 3})
        # the pages the log touches, none of them mapped: 0x400000, with
        # 9's crossing 0x600000-0x602000, and 0x700000; after the fault's
        # inferred mapping
        self.assertEqual([x for x in out.splitlines() if x.startswith("vma ")],
                         ["vma 100 0x7f0000001000 0x1000 rw- file", "vma 100 0x400000 0x1000 rwx",
                          "vma 100 0x600000 0x2000 rwx", "vma 100 0x700000 0x1000 rwx"])
        status, stats = mmusim(out)
        self.assertEqual(status, 0, stats)
        tasks = {t["pid"]: t for t in stats["tasks"]}
        # 100: A 1-5 (6 accesses), C 8-9, 12-13 (5, and 9 crosses a page:
        # two translations, counted as two), D 14-20 (7) and the fault;
        # 101: B 6-7, 10-11 (4); each first touch of a page faults, nothing SIGSEGVs
        self.assertEqual((tasks[100]["accesses"], tasks[101]["accesses"]), (6 + 6 + 7 + 1, 4))
        self.assertEqual(stats["accesses"], 24)
        self.assertEqual(stats["faults"]["segv"], 0)
        # the fault's page, 0x400000, 0x600000, 0x601000 (9's second), 0x700000
        self.assertEqual(stats["faults"]["demand"], 5)

    def test_the_schedule_ends_first(self):
        """At 0.5 a us (the k-th due 2k us after a start): A wants
        floor(5/2) = 2, B 2, C 2, D 5: 11 of the 20, written A 1 at the
        fault (3 us; due 2 us) and 2 at 5 us (due 4 us), B 3 at 8 us (due
        8 us), at 10 us C 4 (due 10 us) then B 5 (due 10 us), C 6 at 12 us,
        D 7-11 at 30 us (due 22 us); 9 unused."""
        out, n, _ = self.good("--accesses-rate", "0.5")
        self.assertEqual((n["wanted"], n["records"], n["unused"], n["accesses"]), (11, 11, 9, 12))
        got = [" ".join(r) for r in records(out) if r[0].isdigit() and r[1] in "rwx"]
        self.assertEqual(got, ["0 " + a for a in accesses([1])] + ["0 w 0x7f0000001000"] +
                         ["0 " + a for a in accesses([2])] + ["1 " + a for a in accesses([3])] + ["0 " + a for a in accesses([4])] +
                         ["1 " + a for a in accesses([5])] + ["0 " + a for a in accesses(range(6, 12))])
        self.assertIn("\n@22000 0 r 0x600018 8\n", out)   # 7, D's first, due at 22 us
        # only the pages of the 11 used: 17's 0x700000 is not among them
        self.assertEqual([x for x in out.splitlines() if x.startswith("vma ")][1:],
                         ["vma 100 0x400000 0x1000 rwx", "vma 100 0x600000 0x2000 rwx"])

    def test_pid_selects_the_process_of_a_thread(self):
        by_comm, _, _ = self.good("--accesses-rate", "1")
        for pid in ("100", "101"):
            proc, out = self.case.run("--accesses-rate", "1", "--accesses-from",
                                      "%s=%s" % (pid, self.case.log))
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(out, by_comm)
            self.assertEqual(report(proc.stderr)["pid"], 100)
        # the default rate, 1000 a us: 23 us want 23000 records
        _, n, _ = self.good()
        self.assertEqual((n["wanted"], n["records"], n["unused"]), (23000, 20, 0))

    def test_other_tasks_keep_their_synthetic_accesses(self):
        """--synthetic: the chosen process's slices take the log instead of
        the model (no working set mapped for it); the model's draws for it
        are made and dropped, so 200's accesses are those of the import
        without --accesses-from."""
        out, _, _ = self.good("--accesses-rate", "1", "--synthetic", "--accesses-per-slice", "3",
                              "--kernel-accesses", "0")
        proc, plain = self.case.run("--synthetic", "--accesses-per-slice", "3", "--kernel-accesses", "0")
        self.assertEqual(proc.returncode, 0, proc.stderr)

        def of_200(text):
            lines = [x.split(None, 1)[1] if x.startswith("@") else x for x in text.splitlines()]
            at = lines.index("0 switch 200")
            return lines[at:lines.index("0 switch 100", at)]
        self.assertEqual(of_200(out), of_200(plain))
        self.assertEqual(len(of_200(out)), 1 + 1 + 3)   # switch, working set mmap, 3 accesses
        self.assertEqual(out.count("mmap 0x10000000"), 1)   # 200's only
        self.assertEqual(plain.count("mmap 0x10000000"), 2)

    def test_compressed_log_and_progress(self):
        gz = self.case.write("prog.lackey.gz", LOG)
        a, _, _ = self.good("--accesses-rate", "1")
        b, n, err = self.good("--accesses-rate", "1", "--progress", log=gz)
        self.assertEqual(a, b)
        self.assertEqual(n["records"], 20)
        # the log's size counts in the total: 3 x IN plus the log, no "3 x"
        last = [x for x in err.splitlines() if x.startswith("import-sched: ") and "records," in x][-1]
        self.assertRegex(last, r"100% of [0-9.]+ kB, .*, done$")

    def test_no_time(self):
        out, _, _ = self.good("--accesses-rate", "1", "--no-time")
        self.assertNotIn("@", out)
        self.assertEqual(len([r for r in records(out) if r[1] in "rwx"]), 23)


class TestSpliceBadInput(unittest.TestCase):
    def bad(self, case, spec, status, pattern, *options):
        with open(case.dst, "w") as f:
            f.write("previous\n")
        proc, out = case.run("--accesses-from", spec, *options)
        self.assertEqual(proc.returncode, status, proc.stderr)
        self.assertEqual(out, "previous\n", "OUT stays as it was")
        lines = proc.stderr.strip().splitlines()
        self.assertRegex(lines[-1] + "\n", pattern)
        if status == 1:
            self.assertEqual(len(lines), 1, proc.stderr)   # the error alone
        self.assertEqual(os.listdir(case.dir).count("out.trace"), 1)
        self.assertEqual([x for x in os.listdir(case.dir) if x.startswith(".out.trace")], [])

    def test_bad_selections_and_logs(self):
        c = Case()
        try:
            log = c.log
            self.bad(c, "prog", 2, r"--accesses-from: 'prog': '=' missing \(PID_OR_COMM=LACKEY_LOG\)")
            self.bad(c, "prog=", 2, r"neither empty")
            self.bad(c, "prog=-", 2, r"the log must be a file")
            self.bad(c, "prog=" + log, 2, r"--accesses-rate: '0': must be > 0", "--accesses-rate", "0")
            self.bad(c, "prog=" + log, 2, r"contradict", "--no-accesses")
            self.bad(c, "999=" + log, 1,
                     r"^import-sched: error: --accesses-from 999=.*: no user process with PID 999 in .*in\.txt\n$")
            self.bad(c, "20=" + log, 1, r"no user process with PID 20 in")   # a kernel thread
            self.bad(c, "nosuch=" + log, 1, r"no user process with COMM nosuch in")
            missing = os.path.join(c.dir, "missing.lackey")
            self.bad(c, "prog=" + missing, 1, r"^%s: error: No such file or directory\n$" % missing)
            proc, _ = c.run("--accesses-from", "prog=" + log, "--accesses-from", "101=" + log)
            self.assertEqual(proc.returncode, 1)
            self.assertRegex(proc.stderr, r"--accesses-from 101=.*: the same process as --accesses-from prog=")
            # a bad line is an error wherever it is, in the unused part too
            for text, line, words in ((LOG.replace(" L 00600018,8", " X 00600018,8"), 10, "not a lackey record"),
                                      (LOG + "I  00400024,0\n", 25, "access of size 0"),
                                      (LOG.replace("I  00400020,4", "I  zz,4"), 23, "not a lackey record")):
                bad = c.write("bad.lackey", text)
                self.bad(c, "prog=" + bad, 1, r"^%s:%d: error: %s" % (bad, line, words), "--accesses-rate", "0.1")
            # a truncated gzip log: an error at the line after its last whole one
            gz = c.write("prog.lackey.gz", LOG * 40)
            with open(gz, "rb") as f:
                data = f.read()
            with open(gz, "wb") as f:
                f.write(data[:len(data) // 2])
            self.bad(c, "prog=" + gz, 1, r"^%s:\d+: error: the gzip data ends early" % gz)
        finally:
            c.close()


class TestSpliceReal(unittest.TestCase):
    """traces/captures/threads-munmap.lackey.xz: valgrind's lackey on the
    project's own ./threads_munmap 300 (testbench/workloads), the program
    of the threads-munmap capture, spliced into it by COMM."""

    def test_real_log_into_the_real_capture(self):
        caps = os.path.join(REPO, "traces", "captures")
        log = os.path.join(caps, "threads-munmap.lackey.xz")
        with tempfile.TemporaryDirectory() as tmp:
            dst = os.path.join(tmp, "t.trace")
            proc = run("import-sched", os.path.join(caps, "threads-munmap.txt.gz"), dst,
                       "--accesses-from", "threads_munmap=" + log, "--accesses-rate", "10")
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(dst) as f:
                out = f.read()
        n, s = report(proc.stderr), summary(proc.stderr)
        # its three threads (the main one and two workers) ran 127.104 ms in
        # 685 stretches (ftrace's time stamps are whole microseconds, so no
        # stretch rounds down); at 10 a us they want 1271040 of the log's
        # 1567198 records, which the schedule ends before
        self.assertEqual((n["tasks"], n["slices"], n["running_ns"], n["wanted"], n["records"],
                          n["unused"]), (3, 685, 127104000, 1271040, 1271040, 1567198 - 1271040))
        self.assertEqual(s["faults"], 20236)     # the capture's own faults stay
        spliced = sum(1 for r in records(out) if r[0].isdigit() and r[1] in ("r", "w", "x"))
        self.assertEqual(spliced, n["accesses"] + s["faults"])
        status, stats = mmusim(out)
        self.assertEqual(status, 0, stats)
        self.assertEqual(stats["faults"]["segv"], 0)
        mine = sum(t["accesses"] for t in stats["tasks"] if t["comm"] == "threads_munmap")
        self.assertGreaterEqual(mine, n["accesses"])


if __name__ == "__main__":
    unittest.main()
