"""mmusim's progress line (docs/trace-format.md, "The command line"): on a
terminal by default, rewritten in place and taken off at the end; nothing
when standard error is not a terminal; --progress asks for lines anyway,
--progress=json for one object a line, from records 0 to the last with
"done": true; the statistics are the same with or without it."""

import json
import os
import pty
import subprocess
import tempfile
import threading
import time
import unittest

from common import MMUSIM, run


def stats_without_provenance(path):
    with open(path) as f:
        data = json.load(f)
    data.pop("provenance")
    return data


@unittest.skipUnless(os.path.exists(MMUSIM), "build/mmusim not built yet")
class TestMmusimProgress(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.trace = os.path.join(cls.tmp.name, "mixed.trace")
        proc = run("gen-workload", "--seed", "4", "-o", cls.trace, "mixed", "accesses=120000")
        assert proc.returncode == 0, proc.stderr
        with open(cls.trace, "rb") as f:
            cls.text = f.read()
        cls.records = sum(1 for line in cls.text.decode().splitlines()[2:]
                          if line.strip() and not line.startswith("#"))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_terminal_shows_a_line_and_takes_it_off(self):
        # the trace comes through a pipe in two halves a second apart, so
        # that the run outlasts the half second before the first line
        master, slave = pty.openpty()
        proc = subprocess.Popen([MMUSIM, "--quiet", "-"], stdin=subprocess.PIPE, stderr=slave,
                                stdout=subprocess.DEVNULL)
        os.close(slave)
        got = []
        reader = threading.Thread(target=lambda: got.append(self.drain(master)))
        reader.start()
        half = len(self.text) // 3
        proc.stdin.write(self.text[:half])
        proc.stdin.flush()
        time.sleep(1.2)
        proc.stdin.write(self.text[half:])
        proc.stdin.close()
        self.assertEqual(proc.wait(), 0)
        reader.join()
        out = got[0].decode()
        self.assertIn("\r\x1b[Kmmusim: ", out)
        self.assertIn(" records/s, ", out)
        self.assertTrue(out.endswith("\r\x1b[K"), repr(out[-80:]))   # taken off at the end

    @staticmethod
    def drain(fd):
        out = b""
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return out
            if not data:
                return out
            out += data

    def test_nothing_when_not_a_terminal(self):
        proc = subprocess.run([MMUSIM, "--quiet", self.trace], capture_output=True)
        self.assertEqual((proc.returncode, proc.stderr), (0, b""))

    def test_json_lines_from_zero_to_done(self):
        out = os.path.join(self.tmp.name, "with.json")
        proc = subprocess.run([MMUSIM, "--quiet", "--progress=json", "--stats-json", out, self.trace],
                              capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        lines = [json.loads(line) for line in proc.stderr.splitlines()]
        self.assertGreaterEqual(len(lines), 2)
        self.assertEqual((lines[0]["records"], lines[0]["done"], lines[0]["tool"]), (0, False, "mmusim"))
        last = lines[-1]
        self.assertEqual((last["done"], last["records"]), (True, self.records))
        self.assertEqual((last["bytes"], last["total_bytes"], last["percent"]),
                         (len(self.text), len(self.text), 100.0))
        self.assertEqual(set(last), {"tool", "records", "bytes", "total_bytes", "percent",
                                     "rate_records_s", "elapsed_s", "eta_s", "done"})
        plain = os.path.join(self.tmp.name, "without.json")
        self.assertEqual(subprocess.run([MMUSIM, "--quiet", "--stats-json", plain, self.trace]).returncode, 0)
        self.assertEqual(stats_without_provenance(out), stats_without_provenance(plain))

    def test_progress_on_writes_lines_when_not_a_terminal(self):
        proc = subprocess.run([MMUSIM, "--quiet", "--progress", self.trace], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertNotIn("\r", proc.stderr)
        last = proc.stderr.splitlines()[-1]
        self.assertTrue(last.startswith("mmusim: ") and last.endswith(", done"), last)
        self.assertIn("100% of ", last)

    def test_bad_value_is_a_usage_error(self):
        proc = subprocess.run([MMUSIM, "--progress=loud", self.trace], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 64)
        self.assertIn("unknown --progress 'loud' (on, json or off)", proc.stderr)


if __name__ == "__main__":
    unittest.main()
