"""mmusim from Python: the simulator's library (libmmusim) through ctypes.

    import mmusim
    stats = mmusim.run("traces/lazy-tlb.trace", preset="zen2", pcid="off")
    stats["tlb"]["hit_rate"], stats["shootdowns"]["ipis"]

`run` returns the statistics as a dict, the very document `mmusim
--stats-json` writes (schema mmusim-stats/1); keyword arguments are
configuration keys, with the dots of a key written as underscores or
passed in a dict (`run(t, **{"tlb.stlb.entries": 2048})`,
`run(t, tlb_stlb_entries=2048)`).  Records can also come from Python as
they are made, in constant memory:

    stats = mmusim.run_records(["mmtrace 1", "cpus 1", "proc 1 a",
                                "0 switch 1", "0 mmap 0x10000 0x1000 rw-",
                                "0 r 0x10000 8"])

A bad trace or configuration raises mmusim.Error with the command's exit
status (`.status`: 64 configuration, 65 trace, 66 unreadable input) and its
message ("FILE:LINE:COL: error: ...").  A run whose checker saw stale TLB
hits returns its statistics (check.stale_hits > 0), as the command writes
them before exiting 1.

Many runs as a pandas DataFrame, one row per run, one column per statistic:

    pandas.json_normalize([mmusim.run(t, pcid=p) for p in ("on", "off")])

The library is found in this order: $MMUSIM_LIBRARY, the installation this
module came with, then the system's library path.  Standard library only.
"""

import ctypes
import json
import os

__all__ = ["Error", "Simulator", "run", "run_records", "version", "library_path"]

_OK, _CHECK = 0, 1


class Error(Exception):
    """A run or a configuration the simulator refused; .status is mmusim's exit status."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def _candidates():
    env = os.environ.get("MMUSIM_LIBRARY")
    if env:
        yield env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        from . import _location  # written by cmake --install
        yield os.path.normpath(os.path.join(here, _location.LIBRARY))
    except ImportError:
        pass
    yield "libmmusim.so.0"


def _load():
    tried = []
    for cand in _candidates():
        try:
            return ctypes.CDLL(cand), cand
        except OSError as e:
            tried.append("%s (%s)" % (cand, e))
    raise ImportError("mmusim: cannot load libmmusim: tried " + "; ".join(tried) +
                      " (set MMUSIM_LIBRARY to the path of libmmusim.so)")


_lib, library_path = _load()
_READ = ctypes.CFUNCTYPE(ctypes.c_long, ctypes.c_void_p, ctypes.POINTER(ctypes.c_char), ctypes.c_size_t)
_H = ctypes.c_void_p


def _fn(name, res, *args):
    f = getattr(_lib, name)
    f.restype, f.argtypes = res, list(args)
    return f


_version = _fn("mmusim_version", ctypes.c_char_p)
_open = _fn("mmusim_open", ctypes.c_int, ctypes.POINTER(_H), ctypes.c_char_p)
_close = _fn("mmusim_close", None, _H)
_set = _fn("mmusim_set", ctypes.c_int, _H, ctypes.c_char_p, ctypes.c_char_p)
_config_file = _fn("mmusim_config_file", ctypes.c_int, _H, ctypes.c_char_p)
_get = _fn("mmusim_get", ctypes.c_char_p, _H, ctypes.c_char_p)
_run_file = _fn("mmusim_run_file", ctypes.c_int, _H, ctypes.c_char_p)
_run_buffer = _fn("mmusim_run_buffer", ctypes.c_int, _H, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t)
_run_stream = _fn("mmusim_run_stream", ctypes.c_int, _H, ctypes.c_char_p, _READ, ctypes.c_void_p)
_stats_json = _fn("mmusim_stats_json", ctypes.c_char_p, _H)
_error = _fn("mmusim_error", ctypes.c_char_p, _H)


def version():
    """The library's version (git describe when it was built)."""
    return _version().decode()


def _b(s):
    return os.fsencode(s) if not isinstance(s, bytes) else s


class Simulator:
    """One configured machine; each run boots it afresh.

        with mmusim.Simulator("skylake", pcid="off") as sim:
            a = sim.run("a.trace")
            b = sim.run("b.trace")
    """

    def __init__(self, preset=None, config=None, **keys):
        self._h = _H()
        status = _open(ctypes.byref(self._h), _b(preset) if preset else None)
        if not self._h:
            raise MemoryError("mmusim: out of memory")
        if status:
            self._raise(status)
        if config is not None:
            self._check(_config_file(self._h, _b(config)))
        self.set(**keys)

    def close(self):
        if self._h:
            _close(self._h)
            self._h = _H()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def _raise(self, status):
        raise Error(status, _error(self._h).decode(errors="replace"))

    def _check(self, status):
        if status:
            self._raise(status)

    def set(self, **keys):
        """Sets configuration keys (as --set): set(pcid="off", **{"tlb.stlb.entries": 2048})."""
        for key, value in keys.items():
            key = self._key(key)
            if isinstance(value, bool):
                value = "on" if value else "off"
            self._check(_set(self._h, key.encode(), str(value).encode()))

    def _key(self, key):
        """A keyword's key: as given when it is one, else with '_' read as '.' where that names one."""
        if _get(self._h, key.encode()) is not None or "_" not in key:
            return key
        parts = key.split("_")
        # try every way of joining the parts with '.' or '_' (keys have few parts)
        for mask in range(1 << (len(parts) - 1)):
            cand = parts[0]
            for i, p in enumerate(parts[1:]):
                cand += ("." if mask >> i & 1 else "_") + p
            if _get(self._h, cand.encode()) is not None:
                return cand
        return key

    def get(self, key):
        """A key's value as the statistics spell it ("on", "64"); KeyError when unknown."""
        v = _get(self._h, self._key(key).encode())
        if v is None:
            raise KeyError(key)
        return v.decode()

    def _result(self, status):
        if status not in (_OK, _CHECK):
            self._raise(status)
        return json.loads(_stats_json(self._h).decode())

    def run(self, trace):
        """Runs a trace file ("-": standard input); returns the statistics dict."""
        return self._result(_run_file(self._h, _b(os.fspath(trace))))

    def run_text(self, text, name="<text>"):
        """Runs an mmtrace held in a string or bytes."""
        data = text.encode() if isinstance(text, str) else bytes(text)
        return self._result(_run_buffer(self._h, _b(name), data, len(data)))

    def run_records(self, records, name="<records>"):
        """Runs records as an iterable yields them: lines of mmtrace text (str or
        bytes, with or without their newline), the header first.  They are
        simulated as they come; an exception raised by the iterable is raised
        again here after the run stops."""
        it = iter(records)
        pending = bytearray()
        failure = []

        def read(_user, buf, cap):
            try:
                while len(pending) < cap:
                    rec = next(it, None)
                    if rec is None:
                        break
                    if isinstance(rec, str):
                        rec = rec.encode()
                    pending.extend(rec)
                    if not rec.endswith(b"\n"):
                        pending.extend(b"\n")
                n = min(cap, len(pending))
                ctypes.memmove(buf, bytes(pending[:n]), n)
                del pending[:n]
                return n
            except BaseException as e:  # noqa: B902 - handed back to the caller
                failure.append(e)
                return -1

        callback = _READ(read)
        status = _run_stream(self._h, _b(name), callback, None)
        if failure:
            raise failure[0]
        return self._result(status)


def run(trace, preset=None, config=None, **keys):
    """Runs one trace file with a preset and configuration keys; returns the statistics dict."""
    with Simulator(preset, config, **keys) as sim:
        return sim.run(trace)


def run_records(records, preset=None, config=None, name="<records>", **keys):
    """Runs records from an iterable of mmtrace lines; returns the statistics dict."""
    with Simulator(preset, config, **keys) as sim:
        return sim.run_records(records, name)
