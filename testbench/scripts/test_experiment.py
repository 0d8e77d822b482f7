"""experiment: grid runs with a fake mmusim, the CSV, jobs files, --collect."""

import csv
import io
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from common import FAKE_MMUSIM, on_a_terminal, run


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
        self.assertEqual(list(rows[0]), ["trace", "config", "sets", "status", "complete",
                                         "tlb.hit_rate", "walks.count"])
        self.assertEqual({r["complete"] for r in rows}, {"true"})
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

    def test_sweep_with_a_failing_run(self):
        # 2 traces x 2 configs x asids {2,4} x pti {on,off} = 16 runs; b.trace fails
        with open(self.traces[1], "a") as f:
            f.write("BAD\n")
        stats = os.path.join(self.dir, "stats")
        proc = self.grid("--sweep", "asids=2,4", "--sweep", "pti=on,off", "--stats-dir", stats,
                         "--stat", "walks.count")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("8 of 16 runs failed", proc.stderr)
        rows = list(csv.DictReader(io.StringIO(proc.stdout)))
        self.assertEqual(len(rows), 16)
        self.assertEqual(len(set(os.listdir(stats))), 8)   # a unique file per good run
        by = {(os.path.basename(r["trace"]), r["config"]): r for r in rows}
        r = by[("a.trace", "nopcid+asids-2+pti-off")]
        self.assertEqual(r["sets"], "pcid=off;asids=2;pti=off")   # the sweep replaces asids=4
        self.assertEqual((r["status"], r["complete"], r["walks.count"]), ("0", "true", "6"))  # 12 // 2
        r = by[("b.trace", "base+asids-4+pti-on")]
        self.assertEqual((r["status"], r["complete"], r["walks.count"]), ("65", "", ""))

    def test_grid_checked_before_any_run(self):
        stats = os.path.join(self.dir, "stats")
        for bad, says in ((("--sweep", "asids=2,bad"), "bad value 'bad'"),
                          (("--sweep", "nokey=1"), "unknown configuration key 'nokey'"),
                          (("--trace", os.path.join(self.dir, "missing.trace")), "missing.trace")):
            proc = self.grid("--stats-dir", stats, *bad)
            self.assertEqual(proc.returncode, 2, proc.stderr)
            self.assertIn(says, proc.stderr)
            self.assertEqual(proc.stdout, "")
            self.assertEqual(os.listdir(stats), [])   # nothing ran
        proc = self.grid("--sweep", "asids=2,2")
        self.assertEqual(proc.returncode, 2)

    def test_killed_slurm_task_then_resume(self):
        # the Slurm way: a jobs file, one array task per line, one task killed
        # at its time limit (SIGTERM) mid-run; --collect must not file it as a
        # success, --resume must rerun that one only
        slow = os.path.join(self.dir, "slow.trace")
        with open(slow, "w") as f:
            f.write("mmtrace 1\ncpus 1\n# SLOW\n" + "0 tick 1\n" * 30)
        self.traces.append(slow)
        stats = os.path.join(self.dir, "stats")
        jobs = os.path.join(self.dir, "jobs.txt")
        proc = self.grid("--stats-dir", stats, "--jobs-file", jobs)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(jobs) as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), 6)
        script = os.path.join(os.path.dirname(FAKE_MMUSIM), "..", "..", "scripts",
                              "slurm-example.sh")
        ready = os.path.join(self.dir, "ready")
        for task in range(1, 7):
            env = dict(os.environ, SLURM_ARRAY_TASK_ID=str(task), FAKE_MMUSIM_READY=ready)
            p = subprocess.Popen(["bash", script, jobs], env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            if "slow" in lines[task - 1]:
                # a fixed 2.5 s once came before a loaded machine had the
                # run's SIGTERM handler in place (-15, not 130): wait for it
                deadline = time.monotonic() + 60
                while not os.path.exists(ready) and time.monotonic() < deadline:
                    time.sleep(0.05)
                os.unlink(ready)
                time.sleep(1.5)          # one or two records in
                p.send_signal(signal.SIGTERM)   # slurmstepd's signal at the time limit
            self.assertEqual(p.wait(timeout=60), 130 if "slow" in lines[task - 1] else 0)
        proc = self.grid("--stats-dir", stats, "--collect", "--stat", "walks.count")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("2 of 6 runs failed", proc.stderr)
        self.assertIn("incomplete", proc.stderr)
        rows = list(csv.DictReader(io.StringIO(proc.stdout)))
        got = sorted((os.path.basename(r["trace"]), r["config"], r["status"], r["complete"])
                     for r in rows)
        self.assertEqual(got, [("a.trace", "base", "0", "true"), ("a.trace", "nopcid", "0", "true"),
                               ("b.trace", "base", "0", "true"), ("b.trace", "nopcid", "0", "true"),
                               ("slow.trace", "base", "130", "false"),
                               ("slow.trace", "nopcid", "130", "false")])
        # the resumed sweep reruns the two killed runs and keeps the four
        with open(slow, "w") as f:
            f.write("mmtrace 1\ncpus 1\n" + "0 tick 1\n" * 30)   # now quick
        before = {n: os.stat(os.path.join(stats, n)).st_mtime_ns for n in os.listdir(stats)}
        proc = self.grid("--stats-dir", stats, "--resume", "--stat", "walks.count")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("resume: 2 of 6 runs to do", proc.stderr)
        after = {n: os.stat(os.path.join(stats, n)).st_mtime_ns for n in os.listdir(stats)}
        self.assertEqual(sorted(n for n in after if after[n] != before.get(n)),
                         ["slow__base.json", "slow__nopcid.json"])
        rows = list(csv.DictReader(io.StringIO(proc.stdout)))
        self.assertEqual({r["complete"] for r in rows}, {"true"})
        # statistics of another command (the grid changed) are not kept
        proc = self.grid("--stats-dir", stats, "--resume", "--sweep", "asids=2")
        self.assertIn("resume: 6 of 6 runs to do", proc.stderr)

    def test_wrong_schema_is_a_failure(self):
        stats = os.path.join(self.dir, "stats")
        proc = self.grid("--stats-dir", stats)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(os.path.join(stats, "a__base.json"), "w") as f:
            f.write('{"schema": "other/2", "complete": true}')
        proc = self.grid("--stats-dir", stats, "--collect")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("schema mmusim-stats/1", proc.stderr)
        proc = self.grid("--stats-dir", stats, "--resume")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("resume: 1 of 4 runs to do", proc.stderr)

    def test_progress_on_a_terminal_only(self):
        proc = self.grid()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr, "")          # stderr is a pipe: no progress
        # stderr a terminal, as a user's
        args = [sys.executable, os.path.join(os.path.dirname(FAKE_MMUSIM), "..", "..",
                                             "scripts", "experiment"),
                "--mmusim", FAKE_MMUSIM, "--config", "base:", "-j", "1"]
        for t in self.traces:
            args += ["--trace", t]
        status, text = on_a_terminal(args)
        self.assertEqual(status, 0)
        self.assertIn("experiment: 1/2 runs done, 0 failed", text)
        self.assertIn("experiment: 2/2 runs done, 0 failed", text)
        self.assertTrue(text.endswith("\r\033[K"), repr(text[-20:]))   # the line cleared at the end

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
