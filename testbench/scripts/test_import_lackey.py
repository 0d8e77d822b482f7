"""import-lackey: record mapping, VMAs from touched pages or a maps file,
options, bad input, and a real valgrind run when valgrind is installed."""

import os
import shutil
import subprocess
import tempfile
import unittest

from common import records, run
from mmtrace_check import check

LOG = """\
==123== Lackey, an example Valgrind tool
==123== Command: ./a.out
==123==
I  04016e0,3
 L 1ffefffd78,8
 S 1ffefffd70,8
 M 0421fc8,4
I  0401ffe,4
 L ffffffffff600000,8
==123== Counted 1 call to main()
"""
MAPS = """\
00400000-00452000 r-xp 00000000 08:02 173521 /usr/bin/a.out
00421000-00423000 rw-s 00000000 00:05 1 /dev/shm/x
1ffeffe000-1fff000000 rw-p 00000000 00:00 0 [stack]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]
"""


def convert(log, *options, maps=None):
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.log")
        dst = os.path.join(tmp, "out.trace")
        with open(src, "w") as f:
            f.write(log)
        if maps is not None:
            with open(os.path.join(tmp, "maps"), "w") as f:
                f.write(maps)
            options += ("--maps", os.path.join(tmp, "maps"))
        proc = run("import-lackey", src, dst, *options)
        out = None
        if os.path.exists(dst):
            with open(dst) as f:
                out = f.read()
    return proc, out


class TestImportLackey(unittest.TestCase):
    def good(self, log, *options, maps=None):
        proc, out = convert(log, *options, maps=maps)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(check(out)[0], [])
        return out

    def test_mapping_of_records(self):
        out = self.good(LOG)
        ops = [" ".join(r[1:]) for r in records(out) if r[0] == "0" and r[1] in "rwx"]
        self.assertEqual(ops, ["x 0x4016e0 3", "r 0x1ffefffd78 8", "w 0x1ffefffd70 8",
                               "r 0x421fc8 4", "w 0x421fc8 4", "x 0x401ffe 4",
                               "r 0xffffffffff600000 8"])
        self.assertIn("proc 100 lackey", out)

    def test_vmas_from_touched_pages(self):
        out = self.good(LOG)
        mmaps = [" ".join(r[2:]) for r in records(out, "mmap")]
        # 0x401ffe,4 crosses into 0x402000: pages 0x401 and 0x402 coalesce
        self.assertEqual(mmaps, ["0x401000 0x2000 rwx", "0x421000 0x1000 rwx",
                                 "0x1ffefff000 0x1000 rwx"])
        lines = [" ".join(r) for r in records(out)]
        self.assertLess(max(i for i, l in enumerate(lines) if " mmap " in l),
                        min(i for i, l in enumerate(lines) if l.startswith("0 x ")))

    def test_gap_pages_merges(self):
        out = self.good(LOG, "--gap-pages", "32")
        mmaps = [" ".join(r[2:]) for r in records(out, "mmap")]
        self.assertEqual(mmaps[0], "0x401000 0x21000 rwx")

    def test_vmas_from_maps_file(self):
        out = self.good(LOG, maps=MAPS)
        mmaps = [" ".join(r[2:]) for r in records(out, "mmap")]
        self.assertEqual(mmaps, ["0x400000 0x52000 r-x", "0x421000 0x2000 rw- shared",
                                 "0x1ffeffe000 0x2000 rw-"])

    def test_options(self):
        out = self.good(LOG, "--cpu", "3", "--pid", "4242", "--comm", "a.out", "--limit", "2")
        self.assertIn("cpus 4", out)
        self.assertIn("proc 4242 a.out", out)
        self.assertIn("3 switch 4242", out)
        self.assertEqual(len([r for r in records(out) if r[1] in ("r", "w", "x")]), 2)

    def test_stdin_stdout(self):
        proc = run("import-lackey", "-", "-", stdin=LOG)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, self.good(LOG).replace("from in.log", "from -"))

    def test_bad_input(self):
        cases = [(LOG + " X 12,3\n", 11, "not a lackey record"),
                 ("I  0400000,0\n", 1, "size 0"),
                 ("I  zz,4\n", 1, "not a lackey record")]
        for text, line, words in cases:
            with self.subTest(text):
                proc, out = convert(text)
                self.assertNotEqual(proc.returncode, 0)
                self.assertIsNone(out)
                self.assertRegex(proc.stderr, r"in\.log:%d: error: .*%s" % (line, words))
        proc, out = convert(LOG, maps="nonsense\n")
        self.assertNotEqual(proc.returncode, 0)
        self.assertRegex(proc.stderr, r"maps:1: error: ")

    def test_bad_options(self):
        for opts in (["--comm", "has space"], ["--pid", "0"], ["--cpu", "256"]):
            proc, _ = convert(LOG, *opts)
            self.assertEqual(proc.returncode, 2)


@unittest.skipUnless(shutil.which("valgrind"), "valgrind not installed")
class TestImportLackeyReal(unittest.TestCase):
    def test_valgrind_true(self):
        with tempfile.TemporaryDirectory() as tmp:
            log = os.path.join(tmp, "true.log")
            dst = os.path.join(tmp, "true.trace")
            target = shutil.which("true")
            subprocess.run(["valgrind", "--tool=lackey", "--trace-mem=yes",
                            "--log-file=" + log, target], check=True)
            with open(log) as f:
                kinds = [line[:2] for line in f if line[:2] in ("I ", " L", " S", " M")]
            n, modify = len(kinds), kinds.count(" M")
            proc = run("import-lackey", log, dst)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(dst) as f:
                errors, counts = check(f.read())
        self.assertEqual(errors, [])
        self.assertGreater(n, 1000)
        # one record per line, two for each M (read then write)
        self.assertEqual(counts["x"] + counts["r"] + counts["w"], n + modify)
        self.assertEqual(counts["x"], kinds.count("I "))
        self.assertGreater(counts["mmap"], 3)


if __name__ == "__main__":
    unittest.main()
