"""capture and mmtrace.snapshot: unit tests, a fake tracefs, and live captures.

The unit and fake-tracefs tests need no root: capture runs in this process
with os.geteuid patched, against a directory of plain files standing in for
tracefs (--tracefs DIR). The live tests run only as root with a usable
/sys/kernel/tracing that nobody else is using; otherwise they print
`SKIP: ...` and pass.
"""

import contextlib
import gzip
import importlib.machinery
import importlib.util
import io
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest
from unittest import mock

from common import SCRIPTS, run, script

sys.path.insert(0, SCRIPTS)
from mmtrace import InputError  # noqa: E402
from mmtrace import kmm, schedparse  # noqa: E402
from mmtrace import snapshot as snapmod  # noqa: E402

TRACEFS = "/sys/kernel/tracing"


def load_capture():
    """scripts/capture as a module (it has no .py suffix)."""
    loader = importlib.machinery.SourceFileLoader("capture_script", script("capture"))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


capture = load_capture()

PIPE_LINES = """\
          <idle>-0       (-------) [000] d..2.   100.000100: sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=sh next_pid=500 next_prio=120
              sh-500     (    500) [000] .....   100.000200: sched_process_exec: filename=/bin/true pid=500 old_pid=500
CPU:1 [LOST 5 EVENTS]
            true-500     (    500) [000] d....   100.000300: page_fault_user: address=0x7f0000001000 ip=0x7f0000001000 error_code=0x14
"""

STATS = ("entries: 0\noverrun: 0\ncommit overrun: 0\nbytes: 0\noldest event ts: 0.0\n"
         "now ts: 1.0\ndropped events: 0\nread events: 0\n")


def page_entry(present=False, exclusive=False, file=False, pfn=0x1234, soft_dirty=True):
    """One little-endian pagemap entry."""
    v = pfn | (soft_dirty << 55) | (exclusive << 56) | (file << 61) | (present << 63)
    return struct.pack("<Q", v)


# -- a fake tracefs ---------------------------------------------------------

ORIGINAL = {
    "tracing_on": "1",
    "current_tracer": "nop",
    "trace_clock": "[local] global counter uptime perf mono mono_raw boot tai x86-tsc",
    "buffer_size_kb": "1408",
    "options/record-tgid": "0",
    "options/overwrite": "1",
}


def make_fake_tracefs(root, events=capture.DEFAULT_EVENTS, **override):
    """A directory of plain files laid out like tracefs; return its file values."""
    files = dict(ORIGINAL, **override)
    files["trace"] = "old buffer contents"
    files["trace_pipe"] = PIPE_LINES.rstrip("\n")
    for cpu in (0, 1):
        files["per_cpu/cpu%d/stats" % cpu] = STATS.rstrip("\n")
        files["per_cpu/cpu%d/buffer_size_kb" % cpu] = files["buffer_size_kb"]
    for event in events:
        subsys, name = event.split(":")
        files["events/%s/%s/enable" % (subsys, name)] = "0"
        files["events/%s/%s/filter" % (subsys, name)] = "none"
    for name, text in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text + "\n")
    return files


def settings_of(root, events=capture.DEFAULT_EVENTS):
    """The values capture must restore, as the files hold them now."""
    out = {}
    for name in list(ORIGINAL) + ["events/%s/%s/enable" % tuple(e.split(":")) for e in events]:
        path = os.path.join(root, name)
        if os.path.exists(path):
            with open(path) as f:
                text = f.read().strip()
            out[name] = capture.selected(text) if name == "trace_clock" else text
    return out


STATE_FILES = list(ORIGINAL) + ["trace", "events/sched/sched_switch/enable",
                                "events/exceptions/page_fault_user/enable"]


def state_dump_cmd(root, dest):
    """A command that copies the fake settings into DEST while it runs."""
    lines = " ".join('"%s"' % os.path.join(root, n) for n in STATE_FILES)
    return ["sh", "-c", 'for f in %s; do printf "%%s\\n" "$(cat "$f")"; done > "%s"' % (lines, dest)]


def parse_trace(text, path):
    """(header CPU count, events) from schedparse, whichever form parse returns."""
    got = schedparse.parse(io.StringIO(text), path)
    if isinstance(got, tuple):
        return got[0], got[2]
    return got.header_cpus, got.events


def run_capture(argv, euid=0):
    """capture.main(ARGV) in this process as user EUID; (status, stderr)."""
    err = io.StringIO()
    with mock.patch("os.geteuid", return_value=euid), contextlib.redirect_stderr(err):
        try:
            status = capture.main([str(a) for a in argv])
        except SystemExit as e:
            status = e.code
    return status, err.getvalue()


class TestNames(unittest.TestCase):
    def test_base_name(self):
        cases = {"cap/foo.txt": "cap/foo", "foo": "foo", "foo.txt.gz": "foo", "foo.gz": "foo",
                 "a.b/c.trace": "a.b/c.trace", "x.txt.txt": "x.txt", "/abs/run.txt": "/abs/run",
                 "foo.txt.xz": "foo", "foo.txt.zst": "foo", "foo.xz.gz": "foo.xz"}
        for out, base in cases.items():
            self.assertEqual(snapmod.base_name(out), base, out)

    def test_outputs_side_file_names(self):
        with tempfile.TemporaryDirectory() as tmp:
            o = capture.Outputs(os.path.join(tmp, "run.txt"))
            o.discard()
            self.assertEqual(o.final["snapshot"], os.path.join(tmp, "run.snapshot"))
            self.assertEqual(o.final["meta"], os.path.join(tmp, "run.meta.json"))
            self.assertEqual(os.listdir(tmp), [])


class TestEvents(unittest.TestCase):
    def test_replace_add_and_duplicates(self):
        d = capture.DEFAULT_EVENTS
        self.assertEqual(capture.parse_events("sched:sched_switch,tlb:tlb_flush"),
                         ["sched:sched_switch", "tlb:tlb_flush"])
        self.assertEqual(capture.parse_events("+irq:irq_handler_entry"), d + ["irq:irq_handler_entry"])
        self.assertEqual(capture.parse_events("+sched:sched_switch"), d)
        self.assertEqual(capture.parse_events("tlb:tlb_flush,+sched:sched_switch, tlb:tlb_flush"),
                         ["tlb:tlb_flush", "sched:sched_switch"])

    def test_malformed(self):
        for text in ("", "sched_switch", "sched:", "+", "a:b:c", "sched:sched switch"):
            with self.assertRaises(ValueError, msg=text):
                capture.parse_events(text)

    def test_usage_errors_exit_2(self):
        for argv in (["-o", "x.txt", "--events", "nocolon", "--", "true"],
                     ["-o", "x.txt"], ["--", "true"], ["-o", "x.txt", "--buffer-kb", "0", "--", "true"]):
            proc = run("capture", *argv)
            self.assertEqual(proc.returncode, 2, argv)
            self.assertIn("capture: error:", proc.stderr)

    def test_help(self):
        proc = run("capture", "--help")
        self.assertEqual(proc.returncode, 0)
        self.assertIn("sched:sched_switch", proc.stdout)
        self.assertIn("BASE.snapshot", proc.stdout)


class TestSnapshotFile(unittest.TestCase):
    def sample(self):
        return snapmod.Snapshot(
            cpus=2, clock=("mono", 123456789),
            running={0: [1, 40], 1: [41]},
            tasks={1: (1, "user", "init"), 2: (2, "kthread", "kthreadd"),
                   40: (40, "user", "Web Content"), 41: (40, "user", "")},
            vmas={40: [(0x400000, 0x401000, "r-xp", 0, "08:01", 1234, "/usr/bin/web app"),
                       (0x7ffd0000, 0x7ffd2000, "rw-p", 0, "00:00", 0, "[stack]"),
                       (0x10000000, 0x10004000, "rw-s", 0x1000, "00:05", 77, "")]},
            present={40: [(0x400000, 0x401000, "f"), (0x7ffd0000, 0x7ffd1000, "x"),
                          (0x7ffd1000, 0x7ffd2000, "xf"), (0x10000000, 0x10001000, "-")]},
            comments=["a comment"])

    def roundtrip(self, name):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, name)
            snapmod.write_snapshot(path, self.sample())
            got = snapmod.read_snapshot(path)
            with open(path, "rb") as f:
                raw = f.read()
        self.assertEqual(got, self.sample())
        return raw

    def test_plain_roundtrip_and_format(self):
        raw = self.roundtrip("run.snapshot").decode()
        lines = raw.splitlines()
        self.assertEqual(lines[:3], ["mmusim-snapshot 1", "# a comment", "cpus 2"])
        self.assertIn("clock mono 123456789", lines)
        self.assertIn("running 0 40", lines)
        self.assertIn("task 40 40 user Web Content", lines)
        self.assertIn("vma 40 00400000 00401000 r-xp 00000000 08:01 1234 /usr/bin/web app", lines)
        self.assertIn("vma 40 10000000 10004000 rw-s 00001000 00:05 77", lines)
        self.assertIn("present 40 7ffd1000 7ffd2000 xf", lines)

    def test_gzip_roundtrip_found_by_magic(self):
        raw = self.roundtrip("run.snapshot.gz")
        self.assertEqual(raw[:2], b"\x1f\x8b")
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "no-suffix.snapshot")
            with gzip.open(path, "wt") as f:
                f.write("mmusim-snapshot 1\ncpus 4\n")
            self.assertEqual(snapmod.read_snapshot(path).cpus, 4)

    def test_malformed_lines(self):
        good = "mmusim-snapshot 1\n# c\ncpus 2\n"
        cases = [
            ("mmusim-snapshot 2\ncpus 1\n", 1, "expected"),
            ("", 1, "expected"),
            ("mmusim-snapshot 1\n# only a comment\n", 2, "no cpus line"),
            (good + "cpus 3\n", 4, "cpus given twice"),
            (good + "bogus 1 2\n", 4, "unknown record 'bogus'"),
            (good + "task 1 1 daemon init\n", 4, "kind 'daemon'"),
            (good + "task x 1 user init\n", 4, "bad pid"),
            (good + "task 1 1\n", 4, "task needs 3 or 4 fields"),
            (good + "running 0\n", 4, "running needs 2 fields"),
            (good + "clock mono -5\n", 4, "bad clock reading"),
            (good + "vma 1 2000 1000 rw-p 0 00:00 0\n", 4, "not below end"),
            (good + "vma 1 1000 2000 rwzp 0 00:00 0\n", 4, "bad perms"),
            (good + "vma 1 0x1000 2000 rw-p 0 00:00 0\n", 4, "bad start"),
            (good + "vma 1 1000 2000 rw-p 0 0000 0\n", 4, "bad dev"),
            (good + "present 1 1000 2000 fx\n", 4, "bad flags"),
            (good + "present 1 1000 2000\n", 4, "present needs 4 fields"),
            ("mmusim-snapshot 1\ncpus 0\n", 2, "at least 1"),
        ]
        with tempfile.TemporaryDirectory() as tmp:
            for text, line, words in cases:
                for name, opener in (("s.snapshot", open), ("s.snapshot.gz", gzip.open)):
                    path = os.path.join(tmp, name)
                    with opener(path, "wt") as f:
                        f.write(text)
                    with self.assertRaises(InputError, msg=text) as cm:
                        snapmod.read_snapshot(path)
                    self.assertEqual(cm.exception.line, line, text)
                    self.assertIn(words, cm.exception.message, text)
                    self.assertRegex(str(cm.exception), r"^%s:%d: error: " % (re.escape(path), line))


class TestPagemap(unittest.TestCase):
    def test_flag_letters(self):
        cases = [(dict(present=True), "-"), (dict(present=True, exclusive=True), "x"),
                 (dict(present=True, file=True), "f"),
                 (dict(present=True, exclusive=True, file=True), "xf")]
        for kw, letters in cases:
            self.assertEqual(snapmod.runs_in(page_entry(**kw), 0x1000), [(0x1000, 0x2000, letters)], kw)
        # not present (swapped: bit 62 only) counts for nothing, whatever the other bits
        swapped = struct.pack("<Q", (1 << 62) | (1 << 56) | (1 << 61) | 0xabc)
        self.assertEqual(snapmod.runs_in(swapped + page_entry(), 0), [])

    def test_runs_group_consecutive_identical_flags(self):
        x, xf, f, no = (page_entry(True, True), page_entry(True, True, True),
                        page_entry(True, file=True), page_entry())
        data = x + page_entry(True, True, pfn=99) + f + no + xf + xf + xf + no + no + x
        self.assertEqual(snapmod.runs_in(data, 0x400000), [
            (0x400000, 0x402000, "x"), (0x402000, 0x403000, "f"),
            (0x404000, 0x407000, "xf"), (0x409000, 0x40a000, "x")])

    def test_runs_joined_across_chunks(self):
        pages = [page_entry(True, True)] * 5 + [page_entry()] + [page_entry(True)] * 3
        with tempfile.TemporaryFile() as f:
            f.write(b"\0" * 8 * 16 + b"".join(pages))     # the VMA starts at page 16
            f.flush()
            for chunk in (1, 2, 3, 64):
                runs = snapmod.vma_runs(f.fileno(), 16 * 4096, 25 * 4096, chunk_pages=chunk)
                self.assertEqual(runs, [(0x10000, 0x15000, "x"), (0x16000, 0x19000, "-")], chunk)

    def test_skipped_vmas(self):
        vma = lambda s, e, perms="rw-p", path="": (s, e, perms, 0, "00:00", 0, path)  # noqa: E731
        self.assertEqual(snapmod.skip_reason(vma(0, 1 << 30)), None)
        self.assertEqual(snapmod.skip_reason(vma(0, 0x1000, "---p")), "no access")
        self.assertEqual(snapmod.skip_reason(vma(0, 0x1000, "---s")), "no access")
        self.assertEqual(snapmod.skip_reason(vma(0, 0x1000, "r-xp", "[vsyscall]")), "vsyscall")
        self.assertEqual(snapmod.skip_reason(vma(0, (4 << 30) + 4096)), "larger than 4 GiB")


class TestProcSnapshot(unittest.TestCase):
    def test_parse_stat_odd_comm(self):
        fields = ["S"] + [str(i) for i in range(4, 53)]
        fields[6] = str(0x00200000)           # stat field 9: flags
        fields[36] = "1"                      # stat field 39: processor
        comm, state, flags, cpu = snapmod.parse_stat("77 (a) b (c) d) " + " ".join(fields))
        self.assertEqual((comm, state, flags, cpu), ("a) b (c) d", "S", 0x00200000, 1))

    def test_own_process(self):
        t0 = time.monotonic()
        snap = snapmod.take_snapshot()
        elapsed = time.monotonic() - t0
        me = os.getpid()
        self.assertEqual(snap.tasks[me][:2], (me, "user"))
        self.assertTrue(snap.vmas[me])
        self.assertTrue(snap.present[me])
        self.assertLess(elapsed, 2.0)
        vmas = snap.vmas[me]
        for start, end, flags in snap.present[me]:
            self.assertTrue(any(v[0] <= start < end <= v[1] for v in vmas), hex(start))
            self.assertIn(flags, ("-", "x", "f", "xf"))
        self.assertTrue(any(f in ("x", "xf") for _, _, f in snap.present[me]) or os.geteuid() != 0)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "s.snapshot")
            snapmod.write_snapshot(path, snap)
            back = snapmod.read_snapshot(path)
        self.assertEqual(back.tasks, snap.tasks)
        self.assertEqual(back.present, snap.present)
        self.assertEqual(back.vmas, snap.vmas)

    def test_vanished_process_left_out(self):
        with tempfile.TemporaryDirectory() as proc:
            os.makedirs(os.path.join(proc, "123", "task"))     # no task/*/stat, no maps
            snap = snapmod.take_snapshot(proc=proc, cpus=2)
        self.assertEqual((snap.tasks, snap.vmas, snap.present), ({}, {}, {}))


class TestFakeTracefs(unittest.TestCase):
    """capture against --tracefs DIR of plain files (root faked)."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.fs = os.path.join(self.tmp, "tracefs")
        self.files = make_fake_tracefs(self.fs)
        self.before = settings_of(self.fs)
        self.out = os.path.join(self.tmp, "cap", "run.txt")
        os.makedirs(os.path.dirname(self.out))

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def capture(self, cmd, *options):
        return run_capture(["-o", self.out, "--tracefs", self.fs] + list(options) + ["--"] + cmd)

    def assert_restored(self):
        self.assertEqual(settings_of(self.fs), self.before)

    def outputs(self):
        return sorted(os.listdir(os.path.dirname(self.out)))

    def test_settings_written_then_restored(self):
        state = os.path.join(self.tmp, "state.txt")
        status, err = self.capture(state_dump_cmd(self.fs, state), "--buffer-kb", "64")
        self.assertEqual(status, 0, err)
        with open(state) as f:
            during = dict(zip(STATE_FILES, f.read().split("\n")))
        self.assertEqual(during, {"tracing_on": "1", "current_tracer": "nop", "trace_clock": "mono",
                                  "buffer_size_kb": "64", "options/record-tgid": "1",
                                  "options/overwrite": "0", "trace": "",
                                  "events/sched/sched_switch/enable": "1",
                                  "events/exceptions/page_fault_user/enable": "1"})
        self.assert_restored()
        self.assertEqual(self.outputs(), ["run.elf", "run.meta.json", "run.snapshot", "run.txt"])

    def test_trace_file_header_and_lost_events(self):
        status, err = self.capture(["true"])
        self.assertEqual(status, 0, err)
        with open(self.out) as f:
            text = f.read()
        header = [x for x in text.splitlines() if x.startswith("#")]
        self.assertTrue(any("#P:%d" % snapmod.online_cpus() in x for x in header))
        self.assertTrue(any("scripts/capture" in x for x in header))
        self.assertIn("# command: true", header)
        self.assertIn("# trace_clock: mono", header)
        events_text, _, end = text.partition("# end-snapshot 1")
        self.assertTrue(events_text.endswith(PIPE_LINES))   # raw trace_pipe, unchanged
        self.assertRegex(end, r"^ mono \d+\n# end-task ")    # then the end snapshot
        cpus, events = parse_trace(text, self.out)
        self.assertEqual(cpus, snapmod.online_cpus())
        self.assertEqual([e.kind for e in events if e.kind.startswith("sched")],
                         ["sched_switch", "sched_process_exec"])
        with open(os.path.join(self.tmp, "cap", "run.meta.json")) as f:
            meta = json.load(f)
        self.assertEqual((meta["lost_events"], meta["lost_by_cpu"]["1"]), (5, 5))
        self.assertEqual((meta["tool"], meta["version"], meta["backend"]), ("scripts/capture", 1, "tracefs"))
        self.assertEqual((meta["exit_status"], meta["interrupted"], meta["trace_clock"]), (0, False, "mono"))
        self.assertEqual(meta["command"], ["true"])
        self.assertEqual(meta["events"], capture.DEFAULT_EVENTS)
        for key in ("started", "duration_s", "buffer_kb", "cpus", "kernel", "uname", "cpu_model",
                    "hypervisor", "kvm_pv_tlb_flush", "hostname"):
            self.assertIn(key, meta)
        self.assertRegex(meta["started"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertRegex(err, r"capture: 3 events written .*LOST 5 EVENTS \(cpu1 5\)")
        snap = snapmod.read_snapshot(os.path.join(self.tmp, "cap", "run.snapshot"))
        self.assertEqual(snap.clock[0], "mono")
        self.assertIn(os.getpid(), snap.tasks)

    def test_gzip_output(self):
        self.out += ".gz"
        status, err = self.capture(["true"])
        self.assertEqual(status, 0, err)
        with gzip.open(self.out, "rt") as f:
            self.assertTrue(f.read().partition("# end-snapshot")[0].endswith(PIPE_LINES))
        self.assertEqual(self.outputs(), ["run.elf", "run.meta.json", "run.snapshot", "run.txt.gz"])

    def test_end_snapshot(self):
        # /proc/PID/status and maps of every live user process, after the
        # events: this test's own process among them, read back by kmm.parse
        status, err = self.capture(["true"])
        self.assertEqual(status, 0, err)
        with open(self.out) as f:
            kern = kmm.parse(f, self.out)
        me = kern.end[os.getpid()]
        self.assertEqual(kern.end_clock[0], "mono")
        self.assertGreater(me.status["VmSize"], 0)
        self.assertIn("RssAnon", me.status)
        self.assertTrue(any(v[6] == "[stack]" for v in me.vmas))
        self.assertEqual(me.vm_size_kb, me.status["VmSize"])   # maps add up to VmSize
        self.assertEqual(me.map_count, sum(1 for v in me.vmas if v[6] != "[vsyscall]"))

    def test_duration_ends_while_command_runs(self):
        # --duration 0.3 of a 30 s sleep: the capture ends after 0.3 s,
        # the end snapshot shows the stopped sleep, then it gets SIGTERM
        marker = os.path.join(self.tmp, "pid")
        t0 = time.monotonic()
        status, err = self.capture(["sh", "-c", "echo $$ > %s; exec sleep 30" % marker],
                                   "--duration", "0.3")
        self.assertLess(time.monotonic() - t0, 10)
        self.assertEqual(status, 0, err)
        self.assertIn("ended after --duration 0.3 s while sh still ran", err)
        self.assert_restored()
        with open(os.path.join(self.tmp, "cap", "run.meta.json")) as f:
            meta = json.load(f)
        self.assertEqual((meta["exit_status"], meta["ended_by_duration"]), (None, True))
        with open(marker) as f:
            pid = int(f.read())
        with open(self.out) as f:
            kern = kmm.parse(f, self.out)
        self.assertEqual(kern.end[pid].comm, "sleep")
        self.assertFalse(os.path.exists("/proc/%d" % pid))

    def test_duration_usage(self):
        for value in ("0", "-1", "x"):
            status, err = run_capture(["-o", self.out, "--duration", value, "--", "true"])
            self.assertEqual(status, 2, err)

    def test_command_exits_nonzero(self):
        status, err = self.capture(["sh", "-c", "exit 3"])
        self.assertEqual(status, 3)
        self.assertIn("capture: warning: sh exited with status 3", err)
        self.assert_restored()
        with open(os.path.join(self.tmp, "cap", "run.meta.json")) as f:
            self.assertEqual(json.load(f)["exit_status"], 3)

    def test_command_not_found_changes_nothing(self):
        status, err = self.capture(["/nonexistent/cmd"])
        self.assertEqual(status, 127)
        self.assertRegex(err, r"^capture: error: /nonexistent/cmd: command not found$")
        self.assertEqual(self.outputs(), [])
        with open(os.path.join(self.fs, "trace")) as f:
            self.assertEqual(f.read(), "old buffer contents\n")     # not even cleared
        self.assert_restored()

    def test_command_fails_to_start_restores(self):
        bad = os.path.join(self.tmp, "not-a-program")
        with open(bad, "wb") as f:
            f.write(b"\x7fELF garbage")
        os.chmod(bad, 0o755)
        status, err = self.capture([bad])
        self.assertEqual(status, 126, err)
        self.assertIn("capture: error: %s: Exec format error" % bad, err)
        self.assertEqual(self.outputs(), [])
        self.assert_restored()

    def test_exception_restores_and_removes_files(self):
        with mock.patch.object(capture.snapmod, "take_snapshot", side_effect=RuntimeError("boom")):
            with self.assertRaises(RuntimeError):
                self.capture(["true"])
        self.assertEqual(self.outputs(), [])
        self.assert_restored()

    def test_interrupted(self):
        # the command sends SIGINT to capture (this process, its parent) and dies of the forward
        status, err = self.capture(["sh", "-c", "kill -INT $PPID; sleep 5"])
        self.assertEqual(status, 130, err)
        self.assertIn("interrupted by SIGINT", err)
        self.assert_restored()
        with open(os.path.join(self.tmp, "cap", "run.meta.json")) as f:
            self.assertTrue(json.load(f)["interrupted"])
        with open(self.out) as f:
            self.assertEqual(f.read().splitlines()[-1], "# capture interrupted by SIGINT")
        self.assertIs(signal.getsignal(signal.SIGINT), signal.default_int_handler)

    def test_second_signal_still_restores(self):
        t0 = time.monotonic()
        status, err = self.capture(["sh", "-c", "trap '' INT; kill -INT $PPID; sleep 0.3; kill -INT $PPID; sleep 5"])
        self.assertEqual(status, 130, err)
        self.assertLess(time.monotonic() - t0, 4)          # the second one sent SIGTERM
        self.assert_restored()
        self.assertEqual(self.outputs(), ["run.elf", "run.meta.json", "run.snapshot", "run.txt"])

    def test_other_settings_restored(self):
        self.files = make_fake_tracefs(self.fs, tracing_on="0", current_tracer="function",
                                       trace_clock="global [counter] uptime")
        self.before = settings_of(self.fs)
        state = os.path.join(self.tmp, "state.txt")
        status, err = self.capture(state_dump_cmd(self.fs, state))
        self.assertEqual(status, 0, err)
        with open(state) as f:
            during = dict(zip(STATE_FILES, f.read().split("\n")))
        self.assertEqual((during["current_tracer"], during["trace_clock"]), ("nop", "global"))
        self.assert_restored()
        with open(os.path.join(self.tmp, "cap", "run.meta.json")) as f:
            self.assertEqual(json.load(f)["trace_clock"], "global")

    def test_unknown_event_changes_nothing(self):
        status, err = self.capture(["true"], "--events", "+sched:no_such_event,tlb:tlb_flush")
        self.assertEqual(status, 1)
        self.assertRegex(err, r"^capture: error: unknown event sched:no_such_event \(not in .*/events\)$")
        self.assertEqual(self.outputs(), [])
        self.assert_restored()

    def test_event_subset(self):
        state = os.path.join(self.tmp, "state.txt")
        status, err = self.capture(state_dump_cmd(self.fs, state), "--events", "tlb:tlb_flush")
        self.assertEqual(status, 0, err)
        with open(state) as f:
            during = dict(zip(STATE_FILES, f.read().split("\n")))
        self.assertEqual(during["events/sched/sched_switch/enable"], "0")
        with open(os.path.join(self.tmp, "cap", "run.meta.json")) as f:
            self.assertEqual(json.load(f)["events"], ["tlb:tlb_flush"])

    def test_busy_tracefs(self):
        with open(os.path.join(self.fs, "set_event"), "w") as f:
            f.write("irq:irq_handler_entry\n")
        status, err = self.capture(["true"])          # auto with --tracefs: no perf fallback
        self.assertEqual(status, 1)
        self.assertIn("cannot use tracefs: tracing is on with events enabled", err)
        self.assertEqual(self.outputs(), [])
        status, err = self.capture(["true"], "--backend", "tracefs")
        self.assertEqual(status, 0, err)
        self.assertIn("taking it over", err)
        with open(self.out) as f:
            self.assertIn("left as found: irq:irq_handler_entry", f.read())
        self.assert_restored()

    def test_not_root(self):
        status, err = run_capture(["-o", self.out, "--tracefs", self.fs, "--", "true"], euid=1000)
        self.assertEqual(status, 1)
        self.assertEqual(err, "capture: error: must be run as root (it reconfigures the kernel's tracing)\n")
        self.assertEqual(self.outputs(), [])
        with open(os.path.join(self.fs, "trace")) as f:
            self.assertEqual(f.read(), "old buffer contents\n")
        self.assert_restored()


def nobody_runner():
    """argv prefix that runs a command as nobody, or None."""
    if os.geteuid() != 0:
        return None
    if shutil.which("setpriv"):
        return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    if shutil.which("runuser"):
        return ["runuser", "-u", "nobody", "--"]
    return None


@unittest.skipUnless(nobody_runner(), "not root, or no setpriv/runuser to become nobody")
class TestRealNonRoot(unittest.TestCase):
    def test_nobody_gets_one_line_error(self):
        before = live_settings() if live_reason() is None else None
        with tempfile.TemporaryDirectory() as tmp:
            os.chmod(tmp, 0o777)
            out = os.path.join(tmp, "x.txt")
            proc = subprocess.run(nobody_runner() + [sys.executable, script("capture"), "-o", out,
                                                     "--", "true"], capture_output=True, text=True)
            self.assertEqual(proc.returncode, 1, proc.stderr)
            self.assertEqual(proc.stderr,
                             "capture: error: must be run as root (it reconfigures the kernel's tracing)\n")
            self.assertEqual(os.listdir(tmp), [])
        if before is not None:
            self.assertEqual(live_settings(), before)


# -- live --------------------------------------------------------------------

def live_reason():
    """Why the live tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "not root"
    if not os.path.exists(os.path.join(TRACEFS, "tracing_on")):
        return "no tracefs at %s" % TRACEFS
    fs = capture.Tracefs(TRACEFS)
    why = fs.unusable() or fs.lock()
    if why is None:
        fs.unlock()
        why = fs.busy()
    return why


def live_settings(events=capture.DEFAULT_EVENTS):
    """Every setting capture touches, as the real tracefs reads now (raw text)."""
    names = ["tracing_on", "current_tracer", "trace_clock", "buffer_size_kb", "options/record-tgid",
             "options/overwrite"] + ["events/%s/%s/enable" % tuple(e.split(":")) for e in events]
    out = {}
    for name in names:
        with open(os.path.join(TRACEFS, name)) as f:
            out[name] = f.read().strip()
    return out


TGID_COLUMN = re.compile(r"-\d+\s+\(\s*(?:\d+|-+)\s*\)\s+\[\d+\]")


@unittest.skipUnless(live_reason() is None, "SKIP: live capture: %s" % live_reason())
class TestLive(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.before = live_settings()

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def read_outputs(self, base):
        with open(base + ".txt") as f:
            text = f.read()
        with open(base + ".meta.json") as f:
            meta = json.load(f)
        return text, meta, snapmod.read_snapshot(base + ".snapshot")

    def test_capture_sh_loop(self):
        base = os.path.join(self.tmp, "loop")
        pidfile = os.path.join(self.tmp, "shell.pid")
        proc = subprocess.run(
            ["sh", "-c", 'echo $$ > "$0"; "$@"; exit $?', pidfile, sys.executable, script("capture"),
             "-o", base + ".txt", "--", "sh", "-c", "for i in 1 2 3; do /bin/true; done"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertRegex(proc.stderr, r"capture: \d+ events written .* no events lost")
        self.assertEqual(live_settings(), self.before)
        text, meta, snap = self.read_outputs(base)
        lines = text.splitlines()
        self.assertTrue(any(x.startswith("#") and "#P:" in x for x in lines))
        for event in ("sched_switch", "sched_process_exec", "tlb_flush", "page_fault_user"):
            hits = [x for x in lines if (" %s: " % event) in x]
            self.assertTrue(hits, event)
            self.assertTrue(all(TGID_COLUMN.search(x) for x in hits), event)
        self.assertTrue(any("filename=/bin/true" in x for x in lines))
        self.assertEqual((meta["lost_events"], meta["exit_status"], meta["interrupted"]), (0, 0, False))
        self.assertEqual((meta["backend"], meta["trace_clock"]), ("tracefs", "mono"))
        with open(pidfile) as f:
            shell = int(f.read())
        self.assertEqual(snap.tasks[shell][:2], (shell, "user"))
        self.assertTrue(snap.vmas[shell])
        self.assertTrue(snap.present[shell])
        self.assertEqual(snap.clock[0], "mono")
        self.assertEqual(snap.cpus, meta["cpus"])
        self.assertTrue(any(kind == "kthread" for _, kind, _ in snap.tasks.values()))
        cpus, events = parse_trace(text, base + ".txt")     # what import-sched reads
        self.assertEqual(cpus, meta["cpus"])
        self.assertTrue(any(e.tgid is not None for e in events))

    def test_ctrl_c(self):
        base = os.path.join(self.tmp, "sleep")
        t0 = time.monotonic()
        proc = subprocess.Popen([sys.executable, script("capture"), "-o", base + ".txt", "--", "sleep", "5"],
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        time.sleep(1)
        os.killpg(proc.pid, signal.SIGINT)                 # as a terminal's Ctrl-C does
        _, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 130, err)
        self.assertLess(time.monotonic() - t0, 4)
        self.assertEqual(live_settings(), self.before)
        text, meta, snap = self.read_outputs(base)
        self.assertTrue(meta["interrupted"])
        self.assertEqual(text.splitlines()[-1], "# capture interrupted by SIGINT")
        self.assertTrue(snap.tasks)

    @unittest.skipUnless(shutil.which("perf"), "perf not installed")
    def test_perf_backend(self):
        base = os.path.join(self.tmp, "perf")
        proc = subprocess.run([sys.executable, script("capture"), "--backend", "perf", "-o", base + ".txt",
                               "--", "sh", "-c", "/bin/true; exit 4"],
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, 4, proc.stderr)
        self.assertEqual(live_settings(), self.before)
        text, meta, snap = self.read_outputs(base)
        self.assertEqual((meta["backend"], meta["exit_status"]), ("perf", 4))
        cpus, events = parse_trace(text, base + ".txt")
        self.assertEqual(cpus, meta["cpus"])
        kinds = {e.kind for e in events}
        self.assertTrue({"sched_switch", "sched_process_exec"} <= kinds, kinds)
        self.assertTrue(any(e.tgid is not None for e in events))


if __name__ == "__main__":
    reason = live_reason()
    if reason is not None:
        print("SKIP: live capture tests: %s" % reason)
    unittest.main()
