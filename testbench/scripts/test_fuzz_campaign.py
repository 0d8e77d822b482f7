"""scripts/fuzz's campaign bookkeeping: --tally over a campaign log, and
--long's arguments refused before anything is built."""
import os
import subprocess
import tempfile
import unittest

from common import script

LOG = """# scripts/fuzz --long rounds: UTC-time version target executions seconds corpus-files result
2026-12-03T18:10:00Z a2f8241 fuzz_trace 6000000 600 420 ok
2026-12-03T18:20:00Z a2f8241 fuzz_sim 500000 600 120 ok
2026-12-03T18:21:00Z a2f8241 fuzz_importers 200 60 0 ok
2026-12-03T18:21:00Z a2f8241 round-end 1 0 0 ok
2026-12-04T09:00:00Z b31c0de fuzz_trace 5000000 600 430 ok
2026-12-04T09:10:00Z b31c0de fuzz_config 2500000 600 110 finding timeouts-rerun-in-time:0
2026-12-04T09:20:00Z b31c0de fuzz_mmtb 1000000 600 300 ok timeouts-rerun-in-time:2
"""


class Tally(unittest.TestCase):
    def tally(self, text):
        with tempfile.TemporaryDirectory() as tmp:
            log = os.path.join(tmp, "campaign.log")
            with open(log, "w") as f:
                f.write(text)
            p = subprocess.run(["bash", script("fuzz"), "--tally", log], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def test_sums_by_target_and_in_all(self):
        out = self.tally(LOG)
        # trace: 6,000,000 + 5,000,000 over 2 x 600 s = 0.33 h
        self.assertRegex(out, r"fuzz_trace +11000000 executions in +0\.33 h")
        self.assertRegex(out, r"fuzz_importers +200 mutated inputs")
        # all: 6.0 M + 0.5 M + 5.0 M + 2.5 M + 1.0 M = 15 M in 5 x 600 s =
        # 0.83 core hours; the importers' inputs and the round-end line are
        # not counted
        self.assertIn("all                15000000 executions of the libFuzzer targets in 0.83 core hours, "
                      "2026-12-03T18:10:00Z to 2026-12-04T09:20:00Z", out)
        self.assertIn("2 timeout(s) ran in time again at normal priority", out)
        self.assertRegex(out, r"code versions: (a2f8241, b31c0de|b31c0de, a2f8241)")
        self.assertIn("1 finding(s):", out)
        self.assertIn("b31c0de fuzz_config 2500000 600 110 finding", out)

    def test_no_findings(self):
        out = self.tally("\n".join(LOG.splitlines()[:5]) + "\n")
        self.assertIn("findings: none", out)


class LongArguments(unittest.TestCase):
    def test_bad_arguments_are_refused_at_once(self):
        for args in (["--long", "2", "--until", "many"], ["--long", "--jobs", "0"], ["--long", "--bogus"]):
            p = subprocess.run(["bash", script("fuzz"), *args], capture_output=True, text=True, timeout=20)
            self.assertEqual(p.returncode, 2, args)
            self.assertIn("scripts/fuzz: error:", p.stderr)


if __name__ == "__main__":
    unittest.main()
