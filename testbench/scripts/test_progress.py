"""The importers' and experiment's progress on stderr (issue 14): a line
rewritten in place on a terminal (a pty as stderr), nothing through a pipe,
complete lines with --progress, JSON lines with --progress=json; the
importers' outputs byte-identical whatever the progress."""

import gzip
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from common import FAKE_MMUSIM, on_a_terminal, real_trace, run, script

SCHED = real_trace("tracecompass-atrace-android-4cpu.txt")
# 60000 lackey records (20000 of each kind), valgrind's chatter around them.
# import-lackey writes 80007 records: mmtrace 1, cpus 1, proc, switch, 3
# mmaps (the fetches' pages 0x401-0x414, the loads' 0x1ffefff-0x1fff000
# as the last crosses, the modifies' 0x421-0x422), then 20000 x, 20000 r
# and 20000 r + w for the M records.
LACKEY_RECORDS = 80007
LACKEY = ("==1== Lackey\n"
          + "".join("I  %07x,4\n L 1ffefff%03x,8\n M 0421%03x,4\n" % (0x401000 + 4 * i, i % 4096, i % 4096)
                    for i in range(20000))
          + "==1== done\n")


def drain(fd):
    out = b""
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:   # EIO: the terminal's other end closed
            return out
        if not data:
            return out
        out += data


def body_lines(path):
    """The lines of PATH but its comments: TraceWriter's records."""
    with open(path) as f:
        return sum(1 for line in f if not line.startswith("#"))


class TestImporterProgress(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.lackey = os.path.join(self.dir, "in.log")
        with open(self.lackey, "w") as f:
            f.write(LACKEY)

    def tearDown(self):
        self.tmp.cleanup()

    def out(self, name):
        return os.path.join(self.dir, name)

    def read(self, name):
        with open(self.out(name), "rb") as f:
            return f.read()

    def jsons(self, stderr, tool):
        docs = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
        self.assertGreaterEqual(len(docs), 2, stderr)
        for doc in docs:
            self.assertEqual(list(doc), ["tool", "records", "bytes", "total_bytes", "percent",
                                         "rate_records_s", "elapsed_s", "eta_s", "done"])
            self.assertEqual(doc["tool"], tool)
        self.assertEqual((docs[0]["records"], docs[0]["bytes"], docs[0]["done"]), (0, 0, False))
        self.assertEqual([d["done"] for d in docs], [False] * (len(docs) - 1) + [True])
        # at most 4 a second: the objects between the first and the last
        # are 0.25 s or more apart
        times = [d["elapsed_s"] for d in docs[:-1]]
        self.assertTrue(all(b - a >= 0.25 for a, b in zip(times, times[1:])), times)
        self.assertEqual(sorted(d["bytes"] for d in docs), [d["bytes"] for d in docs])
        return docs

    def check_terminal(self, text, tool, of):
        # the line (not before the first half second) rewritten in place
        self.assertRegex(text, r"\r\033\[K%s: [0-9.]+[kM]? records, %s[0-9.]+ ?[kM]?(B| records)/s, "
                         r"0:0\d elapsed" % (tool, of))
        self.assertNotIn("\n", text)
        self.assertTrue(text.endswith("\r\033[K"), repr(text[-40:]))   # cleared at the end

    def test_lackey_on_a_terminal_in_place_then_cleared(self):
        # 4 x LACKEY, 240000 records: a run long enough for the line
        with open(self.lackey, "w") as f:
            f.write(LACKEY * 4)
        status, text = on_a_terminal([sys.executable, script("import-lackey"), self.lackey,
                                      self.out("tty")])
        self.assertEqual(status, 0, text)
        self.check_terminal(text, "import-lackey", r"\d+% of 2 x [0-9.]+ MB, ")
        self.assertRegex(text, r" records/s, 0:0\d elapsed, ~0:\d\d left")

    def test_sched_from_a_pipe_on_a_terminal(self):
        # the input through a pipe in two parts a second apart, as mmusim's
        # test does, so that the run outlasts the first half second
        master, slave = os.openpty()
        proc = subprocess.Popen([sys.executable, script("import-sched"), "-", self.out("tty"), "--quiet"],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=slave)
        os.close(slave)
        got = []
        reader = threading.Thread(target=lambda: got.append(drain(master)))
        reader.start()
        with open(SCHED, "rb") as f:
            data = f.read()
        proc.stdin.write(data[:len(data) // 2])
        proc.stdin.flush()
        time.sleep(1.2)
        proc.stdin.write(data[len(data) // 2:])
        proc.stdin.close()
        self.assertEqual(proc.wait(), 0)
        reader.join()
        os.close(master)
        self.check_terminal(got[0].decode(), "import-sched", "")
        self.assertNotIn("%", got[0].decode())   # a pipe: no size, no share
        plain = run("import-sched", SCHED, self.out("plain"), "--quiet")
        self.assertEqual(plain.returncode, 0)
        self.assertEqual(self.read("tty").replace(b"from -", b"from " + os.path.basename(SCHED).encode()),
                         self.read("plain"))

    def test_pipe_nothing_progress_lines_json_objects_same_output(self):
        for tool, src, passes in (("import-lackey", self.lackey, 2), ("import-sched", SCHED, 3)):
            quiet = ["--quiet"] if tool == "import-sched" else []
            plain = run(tool, src, self.out("plain"), *quiet)
            self.assertEqual((plain.returncode, plain.stderr), (0, ""))   # a pipe: nothing
            lines = run(tool, src, self.out("lines"), "--progress", *quiet)
            self.assertEqual(lines.returncode, 0, lines.stderr)
            self.assertNotIn("\r", lines.stderr)
            got = lines.stderr.splitlines()
            self.assertGreaterEqual(len(got), 1)
            self.assertTrue(all(x.startswith(tool + ": ") and " records" in x for x in got), got)
            self.assertRegex(got[-1], r"%s: %s records, 100%% of %d x [0-9.]+ kB, [0-9.]+k records/s, "
                             r"0:0\d elapsed, done\Z" % (tool, "%.1fk" % (body_lines(self.out("plain")) / 1000),
                                                          passes))
            js = run(tool, src, self.out("json"), "--progress=json", *quiet)
            self.assertEqual(js.returncode, 0, js.stderr)
            docs = self.jsons(js.stderr, tool)
            size = os.path.getsize(src)
            self.assertEqual(docs[-1]["records"], body_lines(self.out("plain")))
            if tool == "import-lackey":
                self.assertEqual(docs[-1]["records"], LACKEY_RECORDS)
            self.assertEqual((docs[-1]["bytes"], docs[-1]["total_bytes"], docs[-1]["percent"]),
                             (passes * size, passes * size, 100.0))
            self.assertEqual(docs[0]["total_bytes"], passes * size)
            status, _ = on_a_terminal([sys.executable, script(tool), src, self.out("tty")] + quiet)
            self.assertEqual(status, 0)
            for name in ("lines", "json", "tty"):
                self.assertEqual(self.read(name), self.read("plain"), (tool, name))

    def test_compressed_input_counts_its_compressed_bytes(self):
        gz = self.lackey + ".gz"
        with open(gz, "wb") as f:
            f.write(gzip.compress(LACKEY.encode(), mtime=0))
        js = run("import-lackey", gz, self.out("gz"), "--progress=json")
        self.assertEqual(js.returncode, 0, js.stderr)
        docs = self.jsons(js.stderr, "import-lackey")
        size = os.path.getsize(gz)
        self.assertLess(size, len(LACKEY) // 4)
        self.assertEqual((docs[0]["total_bytes"], docs[-1]["bytes"]), (2 * size, 2 * size))
        plain = run("import-lackey", self.lackey, self.out("plain"))
        self.assertEqual(plain.returncode, 0)
        self.assertEqual(docs[-1]["records"], body_lines(self.out("plain")))
        # the same but the comment naming the input
        self.assertEqual(self.read("gz").replace(b"in.log.gz", b"in.log"), self.read("plain"))

    def test_a_pipe_as_input_has_no_percent(self):
        with open(SCHED, "rb") as f:
            js = subprocess.run([sys.executable, script("import-sched"), "-", self.out("pipe"),
                                 "--progress=json", "--quiet"], stdin=f, capture_output=True, text=True)
        self.assertEqual(js.returncode, 0, js.stderr)
        docs = self.jsons(js.stderr, "import-sched")
        self.assertTrue(all(d["total_bytes"] is None and d["percent"] is None and d["eta_s"] is None
                            for d in docs))
        self.assertEqual(docs[-1]["bytes"], os.path.getsize(SCHED))
        self.assertEqual(docs[-1]["records"], body_lines(self.out("pipe")))
        with open(SCHED, "rb") as f:
            lines = subprocess.run([sys.executable, script("import-sched"), "-", self.out("lines"),
                                    "--progress", "--quiet"], stdin=f, capture_output=True, text=True)
        self.assertEqual(lines.returncode, 0, lines.stderr)
        got = lines.stderr.splitlines()
        self.assertRegex(got[-1], r"import-sched: 75.0k records, [0-9.]+k records/s, 0:0\d elapsed, done\Z")
        self.assertFalse(any("%" in x or "left" in x for x in got), got)

    def test_a_failed_import_ends_with_its_error(self):
        with open(self.lackey, "a") as f:
            f.write("junk\n")
        js = run("import-lackey", self.lackey, self.out("bad"), "--progress=json")
        self.assertEqual(js.returncode, 1)
        last = js.stderr.splitlines()[-1]
        self.assertRegex(last, r"in\.log:\d+: error: not a lackey record")
        self.assertFalse(any('"done": true' in x for x in js.stderr.splitlines()))
        status, text = on_a_terminal([sys.executable, script("import-lackey"), self.lackey, self.out("bad")])
        self.assertEqual(status, 1)
        # the error alone, or after the line taken off
        self.assertRegex(text.split("\r\033[K")[-1], r"\A\S*in\.log:\d+: error: not a lackey record")

    def test_bad_progress_value_is_a_usage_error(self):
        proc = run("import-lackey", self.lackey, self.out("x"), "--progress=yes")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("invalid choice: 'yes'", proc.stderr)


class TestExperimentProgress(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.args = ["--mmusim", FAKE_MMUSIM, "--config", "base:", "--config", "two:pcid=off", "-j", "1"]
        for name in ("a.trace", "b.trace"):
            path = os.path.join(self.tmp.name, name)
            with open(path, "w") as f:
                f.write("mmtrace 1\ncpus 1\n0 tick 1\n")
            self.args += ["--trace", path]

    def tearDown(self):
        self.tmp.cleanup()

    def test_json_and_lines(self):
        js = run("experiment", *(self.args + ["--progress=json"]))
        self.assertEqual(js.returncode, 0, js.stderr)
        docs = [json.loads(x) for x in js.stderr.splitlines()]
        self.assertEqual(len(docs), 6)    # the start, one per run (4), the end
        self.assertEqual([list(d) for d in docs], [["tool", "runs", "total_runs", "failed", "percent",
                                                    "elapsed_s", "eta_s", "done"]] * 6)
        self.assertEqual([(d["tool"], d["runs"], d["total_runs"], d["done"]) for d in docs],
                         [("experiment", n, 4, False) for n in range(5)] + [("experiment", 4, 4, True)])
        lines = run("experiment", *(self.args + ["--progress"]))
        self.assertEqual(lines.returncode, 0, lines.stderr)
        self.assertEqual([x.split(",")[0] for x in lines.stderr.splitlines()],
                         ["experiment: %d/4 runs done" % n for n in range(1, 5)])


if __name__ == "__main__":
    unittest.main()
