"""The one way the scripts write their output files, as mmusim does
(model/base/output.c): nothing half-written, nothing overwritten that
should not be.

    with safe_output(path, inputs=[args.input]) as out:
        out.write(...)

- The target is checked before any work: its directory must exist, and
  it must not be a non-regular file (a device, a FIFO, a directory) nor
  one of the inputs.  A bad target raises OutputError at once.
- Everything goes to a new, unpredictable temp file in the target's
  directory (tempfile.mkstemp: O_EXCL), renamed into place only when the
  block ends without an exception; otherwise the temp file is removed
  and the target is left as it was.
- "-" is standard output, written directly.
- install_signal_handlers() turns SIGTERM and SIGHUP into SystemExit, so
  a killed tool unwinds through the same cleanup as SIGINT
  (KeyboardInterrupt) does.
- Every temp file is on a list from the instant it exists (the signals
  are blocked while it is made and listed) until it is renamed or removed,
  and whatever is still listed when the interpreter exits is removed: a
  signal between two statements of the caller (testbench/faults found
  one 0.09 s into import-lackey) cannot leave one behind.
"""

import atexit
import contextlib
import io
import os
import signal
import stat
import sys
import tempfile


class OutputError(Exception):
    """An output that cannot or must not be written."""

    def __init__(self, path, message):
        super().__init__(message)
        self.path = path
        self.message = message

    def __str__(self):
        return "%s: error: %s" % (self.path, self.message)


def os_error(e, fallback="?"):
    """'FILE: error: MESSAGE' for an OSError (no [Errno N])."""
    name = e.filename if e.filename is not None else fallback
    return "%s: error: %s" % (name, e.strerror or e)


def _same_file(a, b):
    return a.st_dev == b.st_dev and a.st_ino == b.st_ino


def check_output(path, inputs=()):
    """Raises OutputError if PATH may not be written; None for '-'."""
    if path == "-":
        return
    if not path or path.endswith("/"):
        raise OutputError(path or "''", "not a file name")
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise OutputError(path, "no such directory: %s" % folder)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as e:
        raise OutputError(path, e.strerror)
    if not stat.S_ISREG(st.st_mode):
        raise OutputError(path, "not a regular file (use '-' for standard output)")
    for other in inputs:
        if not other or other == "-":
            continue
        try:
            if _same_file(st, os.stat(other)):
                raise OutputError(path, "it is the input %s" % other)
        except OSError:
            pass


_temps = set()   # temp files made and not yet renamed or removed
_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


def _new_temp(path):
    """A new temp file beside PATH: (fd, its path), listed in _temps
    before any signal can be taken."""
    folder = os.path.dirname(path) or "."
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".%s-" % os.path.basename(path)[:32])
        _temps.add(tmp)
    except OSError as e:
        raise OutputError(path, e.strerror)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
    return fd, tmp


def _drop_temp(tmp):
    with contextlib.suppress(OSError):
        os.unlink(tmp)
    _temps.discard(tmp)


@atexit.register
def _remove_leftover_temps():
    for tmp in list(_temps):
        _drop_temp(tmp)


def _rename_into_place(tmp, path):
    """Renames the finished temp file onto PATH, unless something other
    than a regular file has taken the name meanwhile."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise OutputError(path, "no longer a regular file")
    except FileNotFoundError:
        pass
    os.replace(tmp, path)
    _temps.discard(tmp)


@contextlib.contextmanager
def safe_output(path, inputs=(), binary=False, encoding="ascii"):
    """A stream for PATH, committed atomically on success (see above)."""
    check_output(path, inputs)
    if path == "-":
        if binary:
            yield sys.stdout.buffer
            sys.stdout.buffer.flush()
        else:
            out = io.TextIOWrapper(sys.stdout.buffer, encoding=encoding, newline="\n",
                                   write_through=False)
            try:
                yield out
                out.flush()
            finally:
                out.detach()
        return
    fd, tmp = _new_temp(path)
    ok = False
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.fchmod(fd, 0o666 & ~mask)
        raw = os.fdopen(fd, "wb", buffering=1 << 20)
        out = raw if binary else io.TextIOWrapper(raw, encoding=encoding, newline="\n")
        with out:
            yield out
            out.flush()
            os.fsync(raw.fileno())
        _rename_into_place(tmp, path)
        ok = True
    finally:
        if not ok:
            _drop_temp(tmp)


_pending = {}   # id(stream) -> (stream, raw file, temp path, target)


def open_output(path, inputs=(), wrap=None):
    """The stream-returning form of safe_output, for code that cannot
    use a with block: finish_output(stream, ok) commits or discards it.
    WRAP(raw binary file) makes the stream (default: ASCII text)."""
    check_output(path, inputs)
    if path == "-":
        raw = sys.stdout.buffer
        stream = wrap(raw) if wrap else io.TextIOWrapper(raw, encoding="ascii", newline="\n",
                                                          write_through=False)
        _pending[id(stream)] = (stream, raw, None, path)
        return stream
    fd, tmp = _new_temp(path)
    mask = os.umask(0)
    os.umask(mask)
    os.fchmod(fd, 0o666 & ~mask)
    raw = os.fdopen(fd, "wb", buffering=1 << 20)
    stream = wrap(raw) if wrap else io.TextIOWrapper(raw, encoding="ascii", newline="\n")
    _pending[id(stream)] = (stream, raw, tmp, path)
    return stream


def finish_output(stream, ok):
    """Renames the output into place if OK, else removes its temp file
    (the target stays as it was).  Raises OutputError if the commit fails."""
    entry = _pending.pop(id(stream), None)
    if entry is None:
        return
    stream, raw, tmp, path = entry
    if tmp is None:   # standard output
        try:
            if ok:
                stream.flush()
        finally:
            if isinstance(stream, io.TextIOWrapper):
                stream.detach()
        return
    try:
        if ok:
            fd = os.dup(raw.fileno())
            try:
                stream.close()   # the last bytes (an .mmtb's end record) too
                os.fsync(fd)
            finally:
                os.close(fd)
            _rename_into_place(tmp, path)
            tmp = None
    except OSError as e:
        raise OutputError(path, e.strerror or str(e))
    finally:
        if tmp is not None:
            with contextlib.suppress(Exception):
                stream.close()
            _drop_temp(tmp)


def write_file(path, data, inputs=(), binary=False):
    """All of DATA to PATH through safe_output."""
    with safe_output(path, inputs, binary=binary) as out:
        out.write(data)


def _to_exit(signum, frame):
    raise SystemExit(130)


def install_signal_handlers():
    """SIGINT, SIGTERM and SIGHUP unwind (cleanup runs) and exit 130,
    without a KeyboardInterrupt traceback (testbench/faults found one)."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _to_exit)
