"""Run every generated scenario and each imported real trace through the real
build/mmusim, or $MMUSIM (skipped until that binary exists) and expect exit 0 and a
statistics file in the schema of docs/trace-format.md."""

import json
import os
import subprocess
import tempfile
import unittest

from common import MMUSIM, REAL_TRACES, run

SCENARIOS = {"kthread-pingpong": [], "asid-pressure": [], "munmap-storm": [],
             "fork-exec-shell": [], "fork-exec-shell-vfork": ["vfork=on"], "cow-server": [],
             "syscall-heavy": [], "hugepage-ws": ["accesses=20000"],
             "hugepage-ws-off": ["huge=off", "accesses=20000"],
             "mixed": ["accesses=50000"]}


@unittest.skipUnless(os.path.exists(MMUSIM), "build/mmusim not built yet")
class TestMmusimRuns(unittest.TestCase):
    def simulate(self, trace):
        stats = trace + ".json"
        proc = subprocess.run([MMUSIM, "--stats-json", stats, trace],
                              capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
        with open(stats) as f:
            data = json.load(f)
        self.assertEqual(data.get("schema"), "mmusim-stats/1")
        return data

    def test_generated_scenarios(self):
        with tempfile.TemporaryDirectory() as tmp:
            for label, params in SCENARIOS.items():
                with self.subTest(label):
                    name = label.replace("-vfork", "").replace("-off", "")
                    trace = os.path.join(tmp, label + ".trace")
                    proc = run("gen-workload", name, *params, "-o", trace)
                    self.assertEqual(proc.returncode, 0, proc.stderr)
                    self.simulate(trace)

    def test_imported_real_traces(self):
        with tempfile.TemporaryDirectory() as tmp:
            for name in sorted(os.listdir(REAL_TRACES)):
                if not name.endswith(".txt"):
                    continue
                with self.subTest(name):
                    trace = os.path.join(tmp, name + ".trace")
                    proc = run("import-sched", os.path.join(REAL_TRACES, name), trace)
                    self.assertEqual(proc.returncode, 0, proc.stderr)
                    self.simulate(trace)


if __name__ == "__main__":
    unittest.main()
