"""gen-workload: every scenario obeys the trace rules, is deterministic, and
its parameters do what they say."""

import os
import tempfile
import time
import unittest

from common import REPO, records, run
from mmtrace_check import check

SCENARIOS = ["kthread-pingpong", "asid-pressure", "munmap-storm", "fork-exec-shell",
             "cow-server", "syscall-heavy", "hugepage-ws", "mixed"]
SMALL = {"mixed": ["accesses=20000"], "hugepage-ws": ["accesses=5000"]}


def generate(scenario, *params, seed=1):
    proc = run("gen-workload", scenario, "--seed", seed, *params, "-o", "-")
    return proc


class TestGenWorkload(unittest.TestCase):
    def valid(self, scenario, *params, seed=1):
        proc = generate(scenario, *params, seed=seed)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        errors, counts = check(proc.stdout)
        self.assertEqual(errors, [], "%s %s" % (scenario, params))
        return proc.stdout, counts

    def test_list_names_every_scenario(self):
        proc = run("gen-workload", "--list")
        self.assertEqual(proc.returncode, 0)
        for name in SCENARIOS:
            self.assertIn(name + ":", proc.stdout)
        self.assertIn("procs=8", proc.stdout)
        self.assertIn("huge=on", proc.stdout)

    def test_every_scenario_valid_and_deterministic(self):
        for name in SCENARIOS:
            with self.subTest(name):
                a, _ = self.valid(name, *SMALL.get(name, []))
                b, _ = self.valid(name, *SMALL.get(name, []))
                self.assertEqual(a, b)
                c, _ = self.valid(name, *SMALL.get(name, []), seed=2)
                self.assertNotEqual(a, c)

    def test_variants_valid(self):
        variants = [("munmap-storm", "op=mprotect", "threads=3", "lazy=2"),
                    ("munmap-storm", "lazy=0", "threads=1"),
                    ("fork-exec-shell", "vfork=on"), ("hugepage-ws", "huge=off", "accesses=100"),
                    ("kthread-pingpong", "idle_every=3", "rounds=10"),
                    ("cow-server", "cpus=1", "workers=3"),
                    ("mixed", "cpus=16", "procs=3", "threads=1", "accesses=5000"),
                    ("mixed", "cpus=1", "procs=1", "accesses=5000")]
        for variant in variants:
            with self.subTest(variant):
                self.valid(*variant)

    def test_asid_pressure_uses_procs_processes(self):
        out, counts = self.valid("asid-pressure", "procs=9", "rounds=3", "accesses=5")
        self.assertEqual(counts["procs"], 9)
        self.assertEqual(counts["switch"], 27)
        self.assertEqual(counts["r"] + counts["w"], 9 * 3 * 5)

    def test_kthread_pingpong_alternates(self):
        out, counts = self.valid("kthread-pingpong", "rounds=5")
        switches = [r[2] for r in records(out, "switch")]
        self.assertEqual(switches, ["100", "101"] * 5)

    def test_munmap_storm_shape(self):
        out, counts = self.valid("munmap-storm", "threads=3", "lazy=1", "rounds=7")
        self.assertIn("cpus 4", out)
        self.assertEqual(counts["munmap"], 7)
        self.assertEqual(counts["clone"], 3)
        self.assertIn("3 switch 13", out)   # the lazy CPU runs its kworker

    def test_hugepage_flag(self):
        on, _ = self.valid("hugepage-ws", "huge=on", "accesses=10")
        off, _ = self.valid("hugepage-ws", "huge=off", "accesses=10")
        self.assertIn("0 mmap 0x40000000 0x4000000 rw- huge", on)
        self.assertIn("0 mmap 0x40000000 0x4000000 rw-\n", off)

    def test_fork_exec_shell_counts(self):
        _, counts = self.valid("fork-exec-shell", "iterations=7")
        self.assertEqual((counts["fork"], counts["exec"], counts["exit"]), (7, 7, 7))
        _, counts = self.valid("fork-exec-shell", "iterations=7", "vfork=on")
        self.assertEqual((counts["vfork"], counts["exec"], counts["exit"]), (7, 7, 7))

    def test_syscall_heavy_counts(self):
        _, counts = self.valid("syscall-heavy", "rounds=10", "syscalls=5")
        self.assertEqual(counts["syscall"], 50)

    def test_mixed_scales(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "m.trace")
            start = time.monotonic()
            proc = run("gen-workload", "mixed", "accesses=1000000", "-o", path)
            elapsed = time.monotonic() - start
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(path) as f:
                n = sum(1 for line in f if line[:1].isdigit() and line.split()[1] in
                        ("r", "w", "x", "kr", "kw"))
        self.assertGreaterEqual(n, 1000000)
        self.assertLess(elapsed, 20.0)   # 10M in well under a minute needs ~1M in < 6 s

    def test_bad_parameters(self):
        for args in (["nosuch"], ["mixed", "bogus=1"], ["mixed", "accesses=x"],
                     ["hugepage-ws", "huge=maybe"], ["asid-pressure", "procs=0"], ["mixed"]):
            with self.subTest(args):
                extra = [] if args == ["mixed"] else ["-o", "-"]
                proc = run("gen-workload", *(args + extra))
                self.assertNotEqual(proc.returncode, 0)
                self.assertIn("error:", proc.stderr)


    def test_committed_examples_are_current(self):
        listing = os.path.join(REPO, "traces", "gen", "commands.txt")
        with open(listing) as f:
            entries = [line.split(":", 1) for line in f
                       if line.strip() and not line.startswith("#")]
        self.assertGreaterEqual(len(entries), 8)
        for name, args in entries:
            with self.subTest(name):
                proc = run("gen-workload", *args.split(), "-o", "-")
                self.assertEqual(proc.returncode, 0, proc.stderr)
                with open(os.path.join(REPO, "traces", "gen", name)) as f:
                    self.assertEqual(proc.stdout, f.read(),
                                     "regenerate traces/gen/%s (see commands.txt)" % name)
                self.assertEqual(check(proc.stdout)[0], [])


if __name__ == "__main__":
    unittest.main()
