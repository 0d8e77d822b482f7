"""experiment: grid runs with a fake mmusim, the CSV, jobs files, --collect."""

import csv
import io
import os
import subprocess
import tempfile
import unittest

from common import FAKE_MMUSIM, run


class TestExperiment(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.traces = []
        for name, body in (("a.trace", "mmtrace 1\ncpus 1\n" + "0 tick 1\n" * 10),
                           ("b.trace", "mmtrace 1\ncpus 1\n" + "0 tick 1\n" * 22)):
            path = os.path.join(self.dir, name)
            with open(path, "w") as f:
                f.write(body)
            self.traces.append(path)

    def tearDown(self):
        self.tmp.cleanup()

    def grid(self, *extra):
        args = ["--mmusim", FAKE_MMUSIM, "--config", "base:", "--config",
                "nopcid:pcid=off,asids=4"]
        for t in self.traces:
            args += ["--trace", t]
        return run("experiment", *(args + list(extra)))

    def test_runs_grid_and_writes_csv(self):
        proc = self.grid("-j", "2", "--stat", "tlb.hit_rate", "--stat", "walks.count")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        rows = list(csv.DictReader(io.StringIO(proc.stdout)))
        self.assertEqual(len(rows), 4)
        self.assertEqual(list(rows[0]), ["trace", "config", "sets", "status",
                                         "tlb.hit_rate", "walks.count"])
        by = {(os.path.basename(r["trace"]), r["config"]): r for r in rows}
        self.assertEqual(by[("a.trace", "nopcid")]["sets"], "pcid=off;asids=4")
        self.assertEqual(by[("a.trace", "base")]["walks.count"], "3")     # 12 records // 4
        self.assertEqual(by[("b.trace", "nopcid")]["walks.count"], "12")  # 24 records // 2
        self.assertEqual({r["status"] for r in rows}, {"0"})

    def test_stats_dir_keeps_json_and_default_stats(self):
        stats = os.path.join(self.dir, "stats")
        out = os.path.join(self.dir, "r.csv")
        proc = self.grid("--stats-dir", stats, "-o", out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(sorted(os.listdir(stats)), ["a__base.json", "a__nopcid.json",
                                                     "b__base.json", "b__nopcid.json"])
        with open(out) as f:
            header = next(csv.reader(f))
        self.assertIn("shootdowns.ipis", header)
        self.assertIn("cr3.writes", header)

    def test_jobs_file_then_collect(self):
        stats = os.path.join(self.dir, "stats")
        jobs = os.path.join(self.dir, "jobs.txt")
        proc = self.grid("--stats-dir", stats, "--jobs-file", jobs)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(jobs) as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), 4)
        self.assertIn("--set pcid=off --set asids=4 --stats-json", lines[1])
        proc = self.grid("--stats-dir", stats, "--collect")
        self.assertNotEqual(proc.returncode, 0)   # nothing ran yet
        for line in lines:   # what `parallel < jobs.txt` or the Slurm array does
            subprocess.run(line, shell=True, check=True, stdout=subprocess.DEVNULL)
        proc = self.grid("--stats-dir", stats, "--collect", "--stat", "all")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        rows = list(csv.DictReader(io.StringIO(proc.stdout)))
        self.assertEqual(len(rows), 4)
        self.assertIn("walks.latency.p99", rows[0])

    def test_failed_run_reported(self):
        with open(self.traces[1], "a") as f:
            f.write("BAD\n")
        proc = self.grid("--stat", "tlb.hit_rate")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("status 65", proc.stderr)
        rows = list(csv.DictReader(io.StringIO(proc.stdout)))
        self.assertEqual([r["status"] for r in rows], ["0", "0", "65", "65"])

    def test_missing_binary_and_bad_config(self):
        proc = run("experiment", "--trace", self.traces[0], "--mmusim",
                   os.path.join(self.dir, "nope"))
        self.assertEqual(proc.returncode, 1)
        self.assertIn("error:", proc.stderr)
        proc = run("experiment", "--trace", self.traces[0], "--config", "x:pcid")
        self.assertEqual(proc.returncode, 2)

    def test_slurm_example_runs_one_line(self):
        jobs = os.path.join(self.dir, "jobs.txt")
        with open(jobs, "w") as f:
            f.write("echo first\necho second\n")
        script = os.path.join(os.path.dirname(FAKE_MMUSIM), "..", "..", "scripts",
                              "slurm-example.sh")
        env = dict(os.environ, SLURM_ARRAY_TASK_ID="2")
        proc = subprocess.run(["bash", script, jobs], env=env, capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, "second\n")


if __name__ == "__main__":
    unittest.main()
