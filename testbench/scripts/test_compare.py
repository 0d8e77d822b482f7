#!/usr/bin/env python3
"""scripts/compare: what it shows of two statistics files and its exit status.

Hand-made files pin the rows (derivations beside each check); a pair of
real runs checks it on what mmusim writes (skipped before build/mmusim)."""
import copy
import json
import os
import subprocess
import tempfile
import unittest

from common import MMUSIM, run

BASE = {
    "schema": "mmusim-stats/1", "complete": True, "mode": "fast",
    "provenance": {"version": "0.1.0-gabc", "command": ["mmusim", "t.trace"], "preset": "skylake",
                   "trace": {"path": "t.trace", "size": 100, "sha256": "aa" * 32}},
    "config": {"pcid": "on", "asids": 6},
    "cycles": 1000, "records": 10, "accesses": 8,
    "tlb": {"hits": 6, "misses": 2, "hit_rate": 0.75},
    "walks": {"count": 2, "latency": {"mean": 20.0, "hist": [[0, 1, 0], [16, 32, 2]]}},
    "kernel_entries": 200,
    "cpus": [{"id": 0, "cycles": 1000, "accesses": 8}],
}


class Compare(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, data):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(data if isinstance(data, str) else json.dumps(data))
        return path

    def rows(self, out):
        """The statistic rows: path -> (A, B, B/A)."""
        table = out.split("  statistic", 1)[1].splitlines()[1:] if "  statistic" in out else []
        return {f[0]: tuple(f[1:]) for f in (line.split() for line in table) if len(f) == 4}

    def test_same_file_exit_0(self):
        a = self.write("a.json", BASE)
        p = run("compare", a, a)
        self.assertEqual(p.returncode, 0, p.stderr)
        # 11 numbers: cycles records accesses, tlb x3, walks.count, latency.mean, the
        # histogram's 6, kernel_entries, cpus.0.{id,cycles,accesses} = 3+3+2+6+1+3 = 18
        self.assertIn("0 statistics differ, 18 equal", p.stdout)

    def test_rows_ratios_and_threshold(self):
        b = copy.deepcopy(BASE)
        b["config"]["pcid"] = "off"
        b["cycles"] = 1500                  # headline: shown, 1500/1000 = 1.5000
        b["tlb"].update(hits=4, misses=4, hit_rate=0.5)   # headline: 4/6, 4/2, 0.5/0.75
        b["kernel_entries"] = 201           # not headline, 1 in 201 = 0.5 % < 1 %: hidden
        b["walks"]["latency"]["hist"][1][2] = 3   # the histogram: only with --all
        b["cpus"][0]["cycles"] = 1500       # per CPU: only with --cpus
        a, bp = self.write("a.json", BASE), self.write("b.json", b)
        p = run("compare", a, bp)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertRegex(p.stdout, r"configuration that differs:\n  pcid +on +off\n")
        self.assertEqual(self.rows(p.stdout), {
            "cycles": ("1000", "1500", "1.5000"),
            "tlb.hit_rate": ("0.75", "0.5", "0.6667"),
            "tlb.hits": ("6", "4", "0.6667"),
            "tlb.misses": ("2", "4", "2.0000"),
        })
        # 7 differ: cycles, 3 tlb, kernel_entries, one histogram count, cpus.0.cycles; 3 hidden
        self.assertIn("7 statistics differ (3 below the threshold or per CPU not shown: --all)", p.stdout)
        rows = self.rows(run("compare", a, bp, "--threshold", "0.1").stdout)
        self.assertEqual(rows["kernel_entries"], ("200", "201", "1.0050"))
        self.assertEqual(self.rows(run("compare", a, bp, "--cpus").stdout)["cpus.0.cycles"],
                         ("1000", "1500", "1.5000"))
        rows = self.rows(run("compare", a, bp, "--all").stdout)
        self.assertEqual(len(rows), 7)
        self.assertEqual(rows["walks.latency.hist.1.2"], ("2", "3", "1.5000"))

    def test_processes_only_when_asked(self):
        a, b = copy.deepcopy(BASE), copy.deepcopy(BASE)
        a["processes"] = [{"pid": 1, "comm": "x", "vm_rss_kb": 100}]
        b["processes"] = [{"pid": 1, "comm": "x", "vm_rss_kb": 200}]
        a, b = self.write("a.json", a), self.write("b.json", b)
        self.assertEqual(self.rows(run("compare", a, b).stdout), {})
        self.assertEqual(self.rows(run("compare", a, b, "--processes").stdout),
                         {"processes.0.vm_rss_kb": ("100", "200", "2.0000")})

    def test_zero_and_missing(self):
        b = copy.deepcopy(BASE)
        b["walks"]["count"] = 0
        del b["kernel_entries"]
        b["shootdowns"] = {"ipis": 0}
        BASE0 = copy.deepcopy(BASE)
        BASE0["walks"]["count"] = 0
        BASE0["shootdowns"] = {"ipis": 0}
        b["shootdowns"]["ipis"] = 5
        rows = self.rows(run("compare", self.write("a.json", BASE0), self.write("b.json", b)).stdout)
        self.assertEqual(rows["shootdowns.ipis"], ("0", "5", "new"))   # A is 0: no ratio
        self.assertNotIn("walks.count", rows)                          # 0 and 0: equal
        p = run("compare", self.write("a.json", BASE0), self.write("b.json", b))
        self.assertRegex(p.stdout, r"\n  kernel_entries +200 +- +only in A\n")

    def test_provenance_warnings(self):
        b = copy.deepcopy(BASE)
        b["provenance"]["trace"]["sha256"] = "bb" * 32
        b["complete"] = False
        p = run("compare", self.write("a.json", BASE), self.write("b.json", b))
        self.assertEqual(p.returncode, 0)   # no statistic differs
        self.assertIn("A: %s <- t.trace (100 bytes, sha256 aaaaaaaaaaaaaaaa...), mmusim 0.1.0-gabc, "
                      "preset skylake, mode fast" % os.path.join(self.tmp.name, "a.json"), p.stdout)
        self.assertIn("[INCOMPLETE: the run was interrupted]", p.stdout)
        self.assertIn("warning: the two runs replayed different traces", p.stdout)

    def test_bad_files_exit_2(self):
        a = self.write("a.json", BASE)
        for name, text, msg in [("list.json", "[]", "not mmusim statistics"),
                                ("garbage.json", "{", "not JSON"),
                                ("old.json", json.dumps({"schema": "other/9"}), "not mmusim statistics")]:
            path = self.write(name, text)
            p = run("compare", a, path)
            self.assertEqual(p.returncode, 2)
            self.assertTrue(p.stderr.startswith(path + ": error: " + msg), p.stderr)
        p = run("compare", a, os.path.join(self.tmp.name, "missing.json"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("missing.json: error: cannot read", p.stderr)

    @unittest.skipUnless(os.access(MMUSIM, os.X_OK), "no mmusim built")
    def test_real_runs(self):
        trace = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                             "traces", "lazy-tlb.trace")
        outs = []
        for i, sets in enumerate([[], ["--set", "lazy_tlb=off"]]):
            out = os.path.join(self.tmp.name, "%d.json" % i)
            subprocess.run([MMUSIM, "--quiet", "--stats-json", out, *sets, trace], check=True)
            outs.append(out)
        p = run("compare", *outs)
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stdout, r"lazy_tlb +on +off")
        self.assertIn("cr3.writes", self.rows(p.stdout))   # kernel threads now load init_mm
        self.assertNotIn("warning", p.stdout)              # the same trace


if __name__ == "__main__":
    unittest.main()
