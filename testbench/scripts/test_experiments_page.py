"""experiments-page: regenerates the results page, figures and CSVs."""

import csv
import os
import subprocess
import tempfile
import unittest

from common import MMUSIM, script

DEBIAN_PYTHON = "/usr/bin/python3"


def have_matplotlib():
    return subprocess.run([DEBIAN_PYTHON, "-c", "import matplotlib"],
                          capture_output=True).returncode == 0


@unittest.skipUnless(os.access(MMUSIM, os.X_OK), "mmusim not built")
@unittest.skipUnless(have_matplotlib(), "matplotlib missing from Debian's python3")
class TestExperimentsPage(unittest.TestCase):
    def test_quick_page(self):
        with tempfile.TemporaryDirectory() as out:
            proc = subprocess.run([script("experiments-page"), "--quick", "--mmusim", MMUSIM,
                                   "--out", out, "-j", "2"], capture_output=True, text=True)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(os.path.join(out, "experiments.md")) as f:
                page = f.read()
            for heading in ("What lazy TLB saves", "What page-table isolation costs",
                            "Where ASID exhaustion begins", "Shootdown IPIs saved"):
                self.assertIn(heading, page)
            for fig in ("lazy_cr3", "lazy_misses", "pti_cycles", "asid_knee", "shootdown_ipis"):
                with open(os.path.join(out, "fig", fig + ".png"), "rb") as f:
                    self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
            with open(os.path.join(out, "data", "asids.csv"), newline="") as f:
                rows = {(r["trace"], r["config"]): r for r in csv.DictReader(f)}
            # the ASID cliff: 5 processes fit in 6 ASIDs, 7 do not
            five, seven = rows[("asid-05", "asids6")], rows[("asid-07", "asids6")]
            self.assertEqual(int(seven["flushes.full"]), int(seven["switches.total"]))
            self.assertEqual(int(five["flushes.full"]), 5)
            self.assertFalse(any(os.path.isabs(r[0]) for r in rows))
            # the real scheduler traces come from traces/real in the repository,
            # so a fresh clone has their rows too
            with open(os.path.join(out, "data", "lazy_tlb.csv"), newline="") as f:
                real = {r["trace"] for r in csv.DictReader(f) if r["trace"].startswith("real-")}
            self.assertEqual(len(real), 3, real)


if __name__ == "__main__":
    unittest.main()
