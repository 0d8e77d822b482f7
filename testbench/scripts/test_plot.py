"""plot: figures from statistics JSONs and experiment CSVs (needs matplotlib)."""

import csv
import json
import os
import subprocess
import sys
import tempfile
import unittest

from common import FAKE_MMUSIM, script

# plot runs under Debian's python3 (its shebang), which has python3-matplotlib;
# the python3 on PATH may be another one without it.
DEBIAN_PYTHON = "/usr/bin/python3"


def run(name, *args, stdin=None):
    """Run scripts/NAME as a user would: through its shebang."""
    return subprocess.run([script(name)] + [str(a) for a in args],
                          input=stdin, capture_output=True, text=True)


def have_matplotlib():
    return subprocess.run([DEBIAN_PYTHON, "-c", "import matplotlib"],
                          capture_output=True).returncode == 0


def stats(hit_rate):
    return {"schema": "mmusim-stats/1", "complete": True,
            "tlb": {"hit_rate": hit_rate, "hits": 90, "misses": 10},
            "walks": {"latency": {"mean": 30.5, "p99": 80,
                                  "hist": [[0, 16, 3], [16, 32, 7], [32, 64, 1]]}},
            "shootdowns": {"initiated": 3, "ipis": 6, "lazy_skipped": 1},
            "cr3": {"writes": 12, "noflush": 8}}


PNG = b"\x89PNG\r\n\x1a\n"


@unittest.skipUnless(have_matplotlib(), "matplotlib not available to this python3")
class TestPlot(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.json = []
        for name, rate in (("pcid_on.json", 0.9), ("pcid_off.json", 0.7)):
            path = os.path.join(self.dir, name)
            with open(path, "w") as f:
                json.dump(stats(rate), f)
            self.json.append(path)

    def tearDown(self):
        self.tmp.cleanup()

    def png(self, *args):
        out = os.path.join(self.dir, "fig.png")
        proc = run("plot", *args, "-o", out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(out, "rb") as f:
            self.assertEqual(f.read(8), PNG)
        os.unlink(out)

    def test_every_kind_from_json(self):
        for kind in ("hitrate", "latency", "shootdowns", "cr3", "auto"):
            with self.subTest(kind):
                self.png(*self.json, "--kind", kind, "--label", "on", "--label", "off")

    def test_from_experiment_csv(self):
        path = os.path.join(self.dir, "r.csv")
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["trace", "config", "sets", "status", "tlb.hit_rate", "cr3.writes"])
            w.writerow(["a.trace", "base", "", 0, 0.9, 10])
            w.writerow(["a.trace", "nopcid", "pcid=off", 0, 0.8, 20])
            w.writerow(["b.trace", "base", "", 0, 0.5, 30])
        self.png(path)
        self.png(path, "--kind", "latency")   # no histogram in a CSV: mean/p99 bars

    def test_lines_against_a_swept_key(self):
        # a sweep made by experiment (the fake mmusim), one run of it failed
        traces = []
        for name, body in (("a.trace", "0 tick 1\n" * 10), ("b.trace", "BAD\n")):
            traces += ["--trace", os.path.join(self.dir, name)]
            with open(traces[-1], "w") as f:
                f.write("mmtrace 1\ncpus 1\n" + body)
        path = os.path.join(self.dir, "sweep.csv")
        proc = subprocess.run([sys.executable, script("experiment"), "--mmusim", FAKE_MMUSIM,
                               *traces, "--sweep", "asids=1,2,6", "--sweep", "pcid=on,off",
                               "-o", path], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 1, proc.stderr)   # b.trace's runs failed
        out = os.path.join(self.dir, "lines.png")
        proc = run("plot", path, "--x", "asids", "--y", "walks.count", "-o", out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("6 failed or incomplete runs left out", proc.stderr)
        with open(out, "rb") as f:
            self.assertEqual(f.read(8), PNG)
        for bad, says in ((("--x", "nokey"), "no run sets 'nokey'"),
                          (("--x", "asids", "--y", "no.stat"), "no column 'no.stat'")):
            proc = run("plot", path, *bad, "-o", out)
            self.assertEqual(proc.returncode, 1)
            self.assertIn(says, proc.stderr)
        proc = run("plot", self.json[0], "--x", "asids", "-o", out)
        self.assertEqual(proc.returncode, 1)

    def test_bad_input(self):
        path = os.path.join(self.dir, "bad.json")
        with open(path, "w") as f:
            f.write('{"tlb":\n')
        proc = run("plot", path, "-o", os.path.join(self.dir, "x.png"))
        self.assertEqual(proc.returncode, 1)
        self.assertRegex(proc.stderr, r"bad\.json:2: error: ")
        proc = run("plot", os.path.join(self.dir, "missing.json"), "-o",
                   os.path.join(self.dir, "x.png"))
        self.assertEqual(proc.returncode, 1)


    def test_standard_input(self):
        out = os.path.join(self.dir, "stdin.png")
        with open(self.json[0]) as f:
            proc = run("plot", "-", "-o", out, stdin=f.read())
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(out, "rb") as f:
            self.assertEqual(f.read(8), PNG)
        proc = run("plot", "-", "-o", out, stdin="{broken")
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("<stdin>:1: error:", proc.stderr)



class TestPlotHelp(unittest.TestCase):
    def test_help_without_matplotlib(self):
        proc = run("plot", "--help")
        self.assertEqual(proc.returncode, 0)
        self.assertIn("--kind", proc.stdout)


if __name__ == "__main__":
    unittest.main()
