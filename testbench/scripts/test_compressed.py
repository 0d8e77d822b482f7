"""Compressed traces as users keep them (docs/trace-format.md, "Compressed
traces"): real .gz, .xz and .zst files read by mmusim (model/base/zsource.c)
with statistics identical to the uncompressed trace's, from a file, from
standard input, with one thread and two, text and .mmtb; a file cut short or
damaged is exit 66 at FILE:LINE:1 (the line after the last whole one), never a
shorter trace.  The same files through the Python readers
(scripts/mmtrace/compressed.py): import-lackey and import-sched."""

import gzip
import json
import lzma
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import zlib

from common import MMUSIM, real_trace, run

ZSTD = shutil.which("zstd")


def compress(fmt, data):
    if fmt == "gz":
        return gzip.compress(data, mtime=0)
    if fmt == "xz":
        return lzma.compress(data)
    return subprocess.run([ZSTD, "-q", "-c"], input=data, capture_output=True, check=True).stdout


def decoded_prefix(fmt, data):
    """What a streaming decoder gets out of DATA before it runs out."""
    if fmt == "gz":
        return zlib.decompressobj(31).decompress(data)
    if fmt == "xz":
        return lzma.LZMADecompressor().decompress(data)
    return None   # the zstd command buffers: no exact line to expect


FORMATS = ["gz", "xz"] + (["zst"] if ZSTD else [])
NAMES = {"gz": "gzip", "xz": "xz", "zst": "zstd"}


def without_provenance(path):
    with open(path) as f:
        data = json.load(f)
    data.pop("provenance")
    return data


@unittest.skipUnless(os.path.exists(MMUSIM), "build/mmusim not built yet")
class TestMmusimCompressed(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        cls.plain = os.path.join(cls.dir, "w.trace")
        # 60000 accesses: about 1 MB of text, several of the reader's 256 KiB blocks
        proc = run("gen-workload", "mixed", "accesses=60000", "-o", cls.plain)
        assert proc.returncode == 0, proc.stderr
        with open(cls.plain, "rb") as f:
            cls.text = f.read()
        cls.lines = cls.text.count(b"\n")
        cls.ref = os.path.join(cls.dir, "ref.json")
        proc = subprocess.run([MMUSIM, "--quiet", "--stats-json", cls.ref, cls.plain],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        cls.ref_stats = without_provenance(cls.ref)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def mmusim(self, *args, stdin=None):
        return subprocess.run([MMUSIM, "--quiet"] + list(args), input=stdin,
                              capture_output=True)

    def same_stats(self, *args, stdin=None):
        out = os.path.join(self.dir, "out.json")
        proc = self.mmusim("--stats-json", out, *args, stdin=stdin)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(without_provenance(out), self.ref_stats)
        os.unlink(out)

    def test_statistics_identical(self):
        for fmt in FORMATS:
            packed = compress(fmt, self.text)
            # told by the magic number, not the name
            path = self.write("w.%s.data" % fmt, packed)
            for threads in ("1", "2"):
                with self.subTest(fmt=fmt, threads=threads):
                    self.same_stats("--threads", threads, path)
            with self.subTest(fmt=fmt, input="stdin"):
                self.same_stats("-", stdin=packed)

    def test_members_in_a_row(self):
        """`cat a.gz b.gz` is one stream, as gzip -d reads it."""
        half = self.text.index(b"\n", len(self.text) // 2) + 1
        path = self.write("two.gz", gzip.compress(self.text[:half]) + gzip.compress(self.text[half:]))
        self.same_stats(path)

    def test_compressed_mmtb(self):
        mmtb = os.path.join(self.dir, "w.mmtb")
        proc = self.mmusim("--pack", mmtb, self.write("p.gz", compress("gz", self.text)))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(mmtb, "rb") as f:
            binary = f.read()
        for fmt in FORMATS:
            with self.subTest(fmt):
                self.same_stats(self.write("w.mmtb." + fmt, compress(fmt, binary)))
        # cut short: a read error at the record where the data stops, not the end
        cut = self.write("cut.mmtb.gz", compress("gz", binary)[:-100])
        proc = self.mmusim(cut)
        self.assertEqual(proc.returncode, 66)
        self.assertRegex(proc.stderr.decode(), r"^\S*cut\.mmtb\.gz: error: byte \d+: "
                         r"the gzip data ends early \(a truncated file\?\)\n\Z")

    def refused(self, path, line, message, stdin=None):
        out = os.path.join(self.dir, "no.json")
        proc = self.mmusim("--stats-json", out, path, stdin=stdin)
        self.assertEqual(proc.returncode, 66, proc.stderr)
        name = "<stdin>" if path == "-" else path
        if line is None:
            self.assertRegex(proc.stderr.decode(), r"^%s:\d+:1: error: %s\n\Z"
                             % (re.escape(name), re.escape(message)))
        else:
            self.assertEqual(proc.stderr.decode(), "%s:%d:1: error: %s\n" % (name, line, message))
        self.assertFalse(os.path.exists(out))

    def test_truncated(self):
        for fmt in FORMATS:
            packed = compress(fmt, self.text)
            ends = "the %s data ends early (a truncated file?)" % NAMES[fmt]
            for cut in (len(packed) // 2, len(packed) - 3, 7):
                with self.subTest(fmt=fmt, cut=cut):
                    part = packed[:cut]
                    path = self.write("cut.%s" % fmt, part)
                    prefix = decoded_prefix(fmt, part)
                    line = None if prefix is None else prefix.count(b"\n") + 1
                    # the last 3 bytes are the trailer (gzip's ISIZE, xz's
                    # footer, zstd's checksum): every line is there, and still
                    # the trace is not complete
                    if cut == len(packed) - 3 and fmt != "zst":
                        self.assertEqual(line, self.lines + 1)
                    self.refused(path, line, ends)
                    for threads in ("1", "2"):
                        proc = self.mmusim("--threads", threads, path)
                        self.assertEqual(proc.returncode, 66)
            with self.subTest(fmt=fmt, input="stdin"):
                self.refused("-", None, ends, stdin=packed[:len(packed) // 2])

    def test_damaged(self):
        cases = {"gz": (-6, "the gzip data is damaged (incorrect data check)"),    # the CRC-32
                 "xz": (-1, "the xz data is damaged (corrupt compressed data)"),   # the footer
                 "zst": (-1, "the zstd data is damaged (Restored data doesn't match checksum)")}
        for fmt in FORMATS:
            where, message = cases[fmt]
            with self.subTest(fmt):
                data = bytearray(compress(fmt, self.text))
                data[where] ^= 1
                path = self.write("bad." + fmt, bytes(data))
                # zstd holds back its last block until the checksum: an earlier line
                self.refused(path, self.lines + 1 if fmt != "zst" else None, message)

    def test_parse_only(self):
        proc = self.mmusim("--parse-only", self.write("po.xz", compress("xz", self.text)))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        proc = self.mmusim("--parse-only", self.write("pc.xz", compress("xz", self.text)[:-5]))
        self.assertEqual(proc.returncode, 66)


LOG = b"""\
==1== Lackey, an example Valgrind tool
I  04016e0,3
 L 1ffefffd78,8
 S 1ffefffd70,8
 M 0421fc8,4
"""


class TestPythonReaders(unittest.TestCase):
    def test_import_lackey(self):
        log = LOG * 2000
        with tempfile.TemporaryDirectory() as tmp:
            def convert(name, data):
                src = os.path.join(tmp, name)
                with open(src, "wb") as f:
                    f.write(data)
                dst = os.path.join(tmp, "out.trace")
                proc = run("import-lackey", src, dst)
                out = None
                if os.path.exists(dst):
                    with open(dst) as f:
                        out = f.read().replace(name, "LOG")
                    os.unlink(dst)
                return proc, out
            proc, ref = convert("plain.log", log)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            for fmt in FORMATS:
                with self.subTest(fmt):
                    proc, out = convert("log." + fmt, compress(fmt, log))
                    self.assertEqual(proc.returncode, 0, proc.stderr)
                    self.assertEqual(out, ref)
                    packed = compress(fmt, log)[:-3]
                    proc, out = convert("cut." + fmt, packed)
                    self.assertNotEqual(proc.returncode, 0)
                    self.assertIsNone(out)
                    prefix = decoded_prefix(fmt, packed)
                    line = r"\d+" if prefix is None else str(prefix.count(b"\n") + 1)
                    self.assertRegex(proc.stderr, r"cut\.%s:%s: error: the %s data ends early"
                                     % (fmt, line, NAMES[fmt]))

    def test_import_sched(self):
        with open(real_trace("lisa-trace-cmd-report-6cpu.txt"), "rb") as f:
            capture = f.read()
        with tempfile.TemporaryDirectory() as tmp:
            outs = []
            for fmt in [None] + FORMATS:
                src = os.path.join(tmp, "cap." + (fmt or "txt"))
                with open(src, "wb") as f:
                    f.write(capture if fmt is None else compress(fmt, capture))
                dst = os.path.join(tmp, "out.trace")
                proc = run("import-sched", src, dst)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                with open(dst) as f:
                    outs.append(f.read().replace(os.path.basename(src), "CAP"))
            for out in outs[1:]:
                self.assertEqual(out, outs[0])


if __name__ == "__main__":
    unittest.main()
