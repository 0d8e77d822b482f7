"""Inputs kept compressed: gzip, xz and zstd, told by the magic number as
mmusim's own reader tells them (model/base/zsource.c), read as a stream.

open_lines(path) is what every reader of a text input uses (the
importers through mmtrace.open_input, the snapshot reader): an iterator
of lines whose decoding failures are InputError at FILE:LINE, with the
words mmusim uses, so that a truncated or damaged file is an error at
the line after the last whole one, never a shorter input.  gzip and xz
come from the standard library; zstd from Python 3.14's compression.zstd
when there is one, else the `zstd` command (Debian's zstd package).
"""

import gzip
import io
import lzma
import shutil
import subprocess
import sys
import threading
import zlib

GZIP, XZ, ZSTD = "gzip", "xz", "zstd"


def detect(head):
    """The format of a stream that begins with HEAD (6 bytes or all of a
    shorter stream): GZIP, XZ, ZSTD or None."""
    if head.startswith(b"\x1f\x8b"):
        return GZIP
    if head.startswith(b"\xfd7zXZ\x00"):
        return XZ
    if head.startswith(b"\x28\xb5\x2f\xfd") or (
            len(head) >= 4 and head[0] & 0xF0 == 0x50 and head[1:4] == b"\x2a\x4d\x18"):
        return ZSTD
    return None


class DecodeError(Exception):
    """The compressed data is damaged or cut short (message as mmusim's)."""


class _Zstd(io.RawIOBase):
    """zstd -d over a raw stream: a thread feeds the command what RAW holds
    (RAW may be standard input with its first bytes already buffered)."""

    def __init__(self, raw):
        super().__init__()
        if shutil.which("zstd") is None:
            raise DecodeError("a zstd-compressed input needs the zstd command "
                              "(Debian package zstd) or Python 3.14")
        self._proc = subprocess.Popen(["zstd", "-d", "-c", "-q"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._raw = raw
        self._feeder = threading.Thread(target=self._feed, daemon=True)
        self._feeder.start()
        self._done = False

    def _feed(self):
        try:
            while True:
                block = self._raw.read(1 << 16)
                if not block:
                    break
                self._proc.stdin.write(block)
        except (OSError, ValueError):
            pass
        finally:
            try:
                self._proc.stdin.close()
            except OSError:
                pass

    def readable(self):
        return True

    def readinto(self, buf):
        if self._done:
            return 0
        n = self._proc.stdout.readinto(buf)
        if n:
            return n
        self._done = True
        err = self._proc.stderr.read().decode("ascii", "replace")
        if self._proc.wait() != 0:
            low = err.lower()
            if "truncated" in low or "premature end" in low or "unexpected end" in low:
                raise DecodeError("the zstd data ends early (a truncated file?)")
            detail = err.strip().splitlines()[-1] if err.strip() else "zstd failed"
            raise DecodeError("the zstd data is damaged (%s)" % detail.split(": ")[-1])
        return 0

    def close(self):
        if not self.closed and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        for f in (self._proc.stdout, self._proc.stderr):
            f.close()
        super().close()


def _decoder(raw, fmt):
    if fmt == GZIP:
        return gzip.GzipFile(fileobj=raw)
    if fmt == XZ:
        return lzma.LZMAFile(raw)
    try:
        from compression import zstd  # Python 3.14
        return zstd.ZstdFile(raw)
    except ImportError:
        return io.BufferedReader(_Zstd(raw), 1 << 16)


def _message(fmt, exc):
    """mmusim's words for a decoding failure EXC of format FMT."""
    if isinstance(exc, DecodeError):
        return str(exc)
    if isinstance(exc, EOFError):
        return "the %s data ends early (a truncated file?)" % fmt
    detail = str(exc) or type(exc).__name__
    return "the %s data is damaged (%s)" % (fmt, detail)


_DECODE_ERRORS = (EOFError, zlib.error, lzma.LZMAError, gzip.BadGzipFile, DecodeError)
try:
    from compression import zstd as _zstd_module  # Python 3.14
    _DECODE_ERRORS += (_zstd_module.ZstdError,)
except ImportError:
    pass


class Lines:
    """The lines of a text input, compressed or not; a context manager.
    Lines end in "\n" (a CRLF becomes one).  A decoding failure raises
    error(path, line, message), line being the one after the last whole
    line: every whole line decoded before the failure is returned first,
    as mmusim's reader does."""

    def __init__(self, path, error, encoding="ascii"):
        self._path = path
        self._error = error
        self._encoding = encoding
        self.line = 0
        raw = sys.stdin.buffer if path == "-" else open(path, "rb")
        self._raw = raw
        head = raw.peek(6)[:6] if hasattr(raw, "peek") else b""
        self.format = detect(head)
        self._binary = raw
        try:
            if self.format:
                self._binary = _decoder(raw, self.format)
        except DecodeError as e:
            self.close()
            raise error(path, 1, str(e)) from None
        self._buf = b""
        self._pos = 0
        self._failure = None
        self._end = False
        self._decoded = 0

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def _fill(self):
        try:
            # read1: one decoder call, whose output is kept even when the
            # next call fails (read(n) would drop it with the exception)
            block = self._binary.read1(1 << 16)
        except _DECODE_ERRORS as e:
            self._failure = _message(self.format or "input", e)
            return False
        if not block:
            self._end = True
            return False
        self._decoded += len(block)
        self._buf = self._buf[self._pos:] + block
        self._pos = 0
        return True

    def readline(self):
        while True:
            nl = self._buf.find(b"\n", self._pos)
            if nl >= 0:
                raw = self._buf[self._pos:nl]
                self._pos = nl + 1
                break
            if self._failure is None and not self._end and self._fill():
                continue
            if self._failure is not None:
                raise self._error(self._path, self.line + 1, self._failure)
            if self._pos == len(self._buf):
                return ""
            raw = self._buf[self._pos:]
            self._pos = len(self._buf)
            self.line += 1
            return raw.decode(self._encoding, "replace")
        self.line += 1
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        return raw.decode(self._encoding, "replace") + "\n"

    def position(self):
        """The bytes of the input as stored read so far (of a compressed
        file, its compressed bytes: the progress line's share of its
        size); from a pipe, the bytes decoded."""
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return self._decoded

    def read(self):
        return "".join(iter(self.readline, ""))

    def close(self):
        if self._binary is not self._raw:
            try:
                self._binary.close()
            except _DECODE_ERRORS:
                pass
        if self._raw is not sys.stdin.buffer:
            self._raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def open_lines(path, error, encoding="ascii"):
    """Lines(path, error, encoding): PATH '-' is standard input; OSError
    (a missing file) propagates; error(path, line, message) builds the
    exception of a decoding failure."""
    return Lines(path, error, encoding)
