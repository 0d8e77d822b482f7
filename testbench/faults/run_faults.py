#!/usr/bin/env python3
"""Fault injection: mmusim under read errors, short reads, full disks,
closed descriptors, signals and memory limits.  Each case checks that
nothing is lost (a run either completes or says why, with the documented
exit status), nothing half-written (no statistics file, or a whole one)
and nothing overwritten (no file other than the named output changes;
no temp file is left behind).

usage: run_faults.py MMUSIM SHIM CASE   (SHIM: the LD_PRELOAD library)
"""
import json
import os
import re
import resource
import random
import signal
import stat
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TRACE = os.path.join(HERE, "..", "..", "traces", "mixed-4cpu.trace")
MMUSIM = SHIM = TMP = None
problems = []


def check(cond, what):
    if not cond:
        problems.append(what)
    return cond


def run(args, env=None, stdin=None, stdout=subprocess.PIPE, preexec=None, timeout=120):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([MMUSIM] + args, env=e, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                          stdout=stdout, stderr=subprocess.PIPE, preexec_fn=preexec, timeout=timeout)


def shim(**kv):
    env = {"LD_PRELOAD": SHIM}
    env.update({"MMUSIM_FAULT_" + k.upper(): str(v) for k, v in kv.items()})
    return env


def leftovers(d=None):
    return [n for n in os.listdir(d or TMP) if n.startswith(".mmusim-")]


PROVENANCE = re.compile(rb'^  "provenance": (.*),\n', re.M)


def strip_provenance(blob):
    return PROVENANCE.sub(b"", blob, count=1)


def trace_of(blob):
    m = PROVENANCE.search(blob)
    trace = json.loads(m.group(1))["trace"] if m else {}
    return trace.get("size"), trace.get("sha256")


def reference():
    out = os.path.join(TMP, "ref.json")
    p = run(["--quiet", "--stats-json", out, TRACE])
    assert p.returncode == 0, p.stderr
    with open(out, "rb") as f:
        return f.read()


def err(p):
    return p.stderr.decode("utf-8", "replace")


# -- reading ---------------------------------------------------------------

def case_eio_mid_trace():
    """A read error half-way is an unreadable input (66), not the end."""
    out = os.path.join(TMP, "s.json")
    for via_stdin in (False, True):
        args = ["--quiet", "--stats-json", out, "-" if via_stdin else TRACE]
        with open(TRACE, "rb") as f:
            p = run(args, env=shim(eio_after=1000000), stdin=f if via_stdin else None)
        name = "<stdin>" if via_stdin else TRACE
        check(p.returncode == 66, f"EIO (stdin={via_stdin}): exit {p.returncode}, expected 66: {err(p)}")
        check(err(p).startswith(name + ":") and "error: read error: Input/output error" in err(p),
              f"EIO: expected '{name}:LINE:COL: error: read error: ...', got {err(p)!r}")
        check(not os.path.exists(out), "EIO: a statistics file was written")
    check(not leftovers(), "EIO: temp file left")


def case_eio_binary_and_pack():
    """The binary form and --pack: a read error is 66 too, and --pack
    leaves neither OUT nor a temp file."""
    packed = os.path.join(TMP, "t.mmtb")
    p = run(["--pack", packed, TRACE])
    check(p.returncode == 0, f"--pack: {p.returncode} {err(p)}")
    p = run(["--quiet", packed], env=shim(eio_after=300000))
    check(p.returncode == 66 and "read error: Input/output error" in err(p), f".mmtb EIO: {p.returncode} {err(p)}")
    out = os.path.join(TMP, "again.mmtb")
    p = run(["--pack", out, TRACE], env=shim(eio_after=300000))
    check(p.returncode == 66 and "read error" in err(p), f"--pack EIO: {p.returncode} {err(p)}")
    check(not os.path.exists(out) and not leftovers(), "--pack EIO: output left")
    p = run(["--pack", packed, packed])
    check(p.returncode == 66 and "is the input" in err(p), f"--pack onto its input: {p.returncode} {err(p)}")


def case_eio_at_start():
    p = run(["--quiet", TRACE], env=shim(eio_after=0))
    check(p.returncode == 66 and "read error" in err(p), f"EIO at byte 0: {p.returncode} {err(p)}")
    p = run(["--parse-only", TRACE], env=shim(eio_after=500000))
    check(p.returncode == 66 and "read error" in err(p), f"--parse-only EIO: {p.returncode} {err(p)}")


def case_short_reads():
    """Short reads and EINTR change nothing: byte-identical statistics."""
    ref = reference()
    out = os.path.join(TMP, "s.json")
    for env in (shim(short=7), shim(eintr=3), shim(short=11, eintr=5)):
        for via_stdin in (False, True):
            with open(TRACE, "rb") as f:
                p = run(["--quiet", "--stats-json", out, "-" if via_stdin else TRACE], env=env,
                        stdin=f if via_stdin else None)
            if check(p.returncode == 0, f"{env}: exit {p.returncode}: {err(p)}"):
                with open(out, "rb") as f:
                    got = f.read()
                # everything but the provenance line (it names the command), whose
                # size and SHA-256 of the trace must be the plain run's
                check(strip_provenance(got) == strip_provenance(ref),
                      f"{env} stdin={via_stdin}: statistics differ from a plain run")
                check(trace_of(got) == trace_of(ref), f"{env} stdin={via_stdin}: the trace's size and SHA-256")


def case_unreadable_inputs():
    """A directory, a closed stdin, a directory as --config: 66."""
    p = run(["--quiet", TMP])
    check(p.returncode == 66 and "Is a directory" in err(p), f"directory trace: {p.returncode} {err(p)}")
    p = subprocess.run([MMUSIM, "--quiet", "-"], stdin=None, stderr=subprocess.PIPE,
                       preexec_fn=lambda: os.close(0))
    check(p.returncode == 66 and "standard input" in err(p), f"closed stdin: {p.returncode} {err(p)}")
    p = run(["--quiet", "--config", TMP, TRACE])
    check(p.returncode == 66 and "Is a directory" in err(p), f"--config DIR: {p.returncode} {err(p)}")


def case_config_lines():
    """A --config line is read whole, however long its comment (it was
    cut at 1,024 bytes and the rest read as another line); a line beyond
    65,536 characters, a NUL byte or an endless file is a usage error (64)
    with the line, never a hang."""
    conf = os.path.join(TMP, "long.conf")
    with open(conf, "w") as f:
        f.write("# " + "x" * 3000 + "\n" + "tlb.l1d.4k.entries = 32   # " + "y" * 2000 + "\n"
                + "tlb.l1d.4k.ways=" + "0" * 1500 + "4\n")
    out = os.path.join(TMP, "conf.json")
    p = run(["--quiet", "--config", conf, "--stats-json", out, TRACE])
    ok = p.returncode == 0
    if ok:
        with open(out) as f:
            got = json.load(f)["config"]
        ok = got["tlb.l1d.4k.entries"] == 32 and got["tlb.l1d.4k.ways"] == 4
    check(ok, f"long comment lines: {p.returncode} {err(p)}")
    for name, text, want in (("huge.conf", b"pcid=on\n# " + b"z" * 70000 + b"\n", "huge.conf:2: line longer than 65536"),
                             ("nul.conf", b"pcid=on\x00\n", "nul.conf:1: NUL byte")):
        path = os.path.join(TMP, name)
        with open(path, "wb") as f:
            f.write(text)
        p = run(["--quiet", "--config", path, TRACE])
        check(p.returncode == 64 and want in err(p), f"{name}: {p.returncode} {err(p)}")
    p = run(["--quiet", "--config", "/dev/zero", TRACE], timeout=30)
    check(p.returncode == 64 and "/dev/zero:1: line longer than 65536" in err(p), f"/dev/zero: {p.returncode} {err(p)}")


# -- writing ---------------------------------------------------------------

def case_output_checked_first():
    """A bad output path is found before the run: the trace's own error
    (line 3) is never reached, and nothing is created."""
    bad = os.path.join(TMP, "bad.trace")
    with open(bad, "w") as f:
        f.write("mmtrace 1\ncpus 1\n0 frobnicate\n")
    p = run(["--quiet", "--stats-json", os.path.join(TMP, "no", "such", "dir.json"), bad])
    check(p.returncode == 66 and "cannot write" in err(p) and "frobnicate" not in err(p),
          f"bad output path: {p.returncode} {err(p)}")
    p = run(["--quiet", "--stats-json", TMP + "/", TRACE])
    check(p.returncode == 66 and "directory" in err(p), f"output a directory: {p.returncode} {err(p)}")


def case_output_never_special():
    """Never onto a FIFO (nor a device: a FIFO of our own stands for
    them, as a broken mmusim run as root would replace a real device
    node): refused, and the node stays."""
    fifo = os.path.join(TMP, "fifo")
    os.mkfifo(fifo)
    p = run(["--quiet", "--stats-json", fifo, TRACE])
    check(p.returncode == 66 and "not a regular file" in err(p), f"FIFO: {p.returncode} {err(p)}")
    check(stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO was replaced")


def case_output_not_the_input():
    copy = os.path.join(TMP, "in.trace")
    with open(TRACE, "rb") as f:
        data = f.read()
    with open(copy, "wb") as f:
        f.write(data)
    link = os.path.join(TMP, "hard.trace")
    os.link(copy, link)
    conf = os.path.join(TMP, "c.conf")
    with open(conf, "w") as f:
        f.write("pcid=on\n")
    for out, extra in ((copy, []), (link, []), (conf, ["--config", conf])):
        p = run(["--quiet", "--stats-json", out] + extra + [copy])
        check(p.returncode == 66 and "is the input" in err(p), f"--stats-json {out}: {p.returncode} {err(p)}")
    with open(copy, "rb") as f:
        check(f.read() == data, "the input trace was overwritten")
    with open(conf) as f:
        check(f.read() == "pcid=on\n", "the configuration file was overwritten")


def case_output_dash_is_stdout():
    p = run(["--stats-json", "-", TRACE], env=None)
    check(p.returncode == 0, f"--stats-json -: exit {p.returncode}")
    try:
        doc = json.loads(p.stdout)
        check(doc.get("schema") == "mmusim-stats/1" and doc.get("complete") is True, "stdout JSON incomplete")
    except ValueError:
        problems.append("standard output is not the JSON document alone")
    check(not os.path.exists(os.path.join(os.getcwd(), "-")), "a file named '-' was written")


def case_output_long_name():
    name = os.path.join(TMP, "x" * 255)
    p = run(["--quiet", "--stats-json", name, TRACE])
    check(p.returncode == 0 and os.path.getsize(name) > 0, f"255-character name: {p.returncode} {err(p)}")
    check(not leftovers(), "temp file left")


def case_output_planted_symlinks():
    """The temp file is unpredictable and made with O_EXCL: symlinks
    planted at the names an earlier version used (OUT.tmp.PID) lead
    nowhere."""
    victim = os.path.join(TMP, "victim")
    with open(victim, "w") as f:
        f.write("precious\n")
    out = os.path.join(TMP, "s.json")
    base = os.getpid()
    for pid in range(base, base + 400):
        os.symlink(victim, f"{out}.tmp.{pid}")
    for _ in range(3):
        p = run(["--quiet", "--stats-json", out, TRACE])
        check(p.returncode == 0, f"exit {p.returncode}: {err(p)}")
    with open(victim) as f:
        check(f.read() == "precious\n", "a planted symlink's target was overwritten")


def case_output_full_disk():
    """A file-size limit (a disk that fills up) while the statistics are
    written: 66, the previous statistics file untouched, no temp file."""
    out = os.path.join(TMP, "s.json")
    with open(out, "w") as f:
        f.write("previous\n")
    lim = lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))
    p = run(["--quiet", "--stats-json", out, TRACE], preexec=lim)
    check(p.returncode == 66 and "File too large" in err(p), f"full disk: {p.returncode} {err(p)}")
    with open(out) as f:
        check(f.read() == "previous\n", "the previous statistics file was replaced by a partial one")
    check(not leftovers(), "temp file left")


def case_stdout_write_error():
    with open("/dev/full", "w") as full:
        p = run([TRACE], stdout=full)
    check(p.returncode == 66 and "cannot write standard output" in err(p),
          f"stdout on /dev/full: {p.returncode} {err(p)}")
    with open("/dev/full", "w") as full:
        p = run(["--list-config"], stdout=full)
    check(p.returncode == 66, f"--list-config on /dev/full: {p.returncode}")
    p = subprocess.run([MMUSIM, TRACE], stderr=subprocess.PIPE, preexec_fn=lambda: os.close(1))
    check(p.returncode == 66 and "cannot write standard output" in err(p), f"closed stdout: {p.returncode} {err(p)}")


def case_out_of_memory():
    # A 1 GiB LLC has 16 Mi lines, whose tags take 64 MiB of host memory:
    # the run needs them, and an address space of 24 MiB cannot hold them
    # (mmusim alone needs under 4 MiB on this trace, so the limit has to
    # meet a configuration that asks for memory, not mmusim's start-up).
    out = os.path.join(TMP, "s.json")
    big = ["--set", "cache.llc.size=1G"]
    p = run(["--quiet"] + big + [TRACE])
    check(p.returncode == 0, f"the 1 GiB LLC run fails without a memory limit: {p.returncode} {err(p)}")
    lim = lambda: resource.setrlimit(resource.RLIMIT_AS, (24 << 20, 24 << 20))
    p = run(["--quiet", "--stats-json", out] + big + [TRACE], preexec=lim)
    check(p.returncode == 70 and "out of host memory" in err(p), f"out of memory: {p.returncode} {err(p)}")
    check(not os.path.exists(out) and not leftovers(), "out of memory: output left")


# -- signals ---------------------------------------------------------------

def slow_run(out, extra=()):
    """mmusim reading the trace from a pipe fed slowly: it is mid-run
    when the signals come."""
    proc = subprocess.Popen([MMUSIM, "--quiet", "--stats-json", out, *extra, "-"], stdin=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    with open(TRACE, "rb") as f:
        head = f.read(300000)
    proc.stdin.write(head)
    proc.stdin.flush()
    time.sleep(0.3)
    return proc


def case_signal_once_writes_incomplete():
    out = os.path.join(TMP, "s.json")
    proc = slow_run(out)
    proc.send_signal(signal.SIGINT)
    proc.stdin.close()   # the blocked read returns: the run sees the flag
    rc = proc.wait(60)
    check(rc == 130, f"one SIGINT: exit {rc}, expected 130")
    if check(os.path.exists(out), "one SIGINT: no statistics"):
        with open(out) as f:
            doc = json.load(f)
        check(doc["complete"] is False, "interrupted run marked complete")
    check(not leftovers(), "temp file left")


def case_signal_twice_cleans_up():
    """A second SIGINT (or SIGTERM) stops at once: exit 130, no temp
    file, no statistics file, even while the read blocks."""
    out = os.path.join(TMP, "s.json")
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        proc = slow_run(out)
        proc.send_signal(sig)
        time.sleep(0.1)
        proc.send_signal(sig)
        rc = proc.wait(60)
        proc.stdin.close()
        check(rc == 130, f"two {sig.name}: exit {rc}, expected 130")
        check(not os.path.exists(out) and not leftovers(), f"two {sig.name}: output left")


def case_fatal_signal_cleans_up():
    out = os.path.join(TMP, "s.json")
    proc = slow_run(out)
    proc.send_signal(signal.SIGSEGV)
    rc = proc.wait(60)
    proc.stdin.close()
    check(rc == -signal.SIGSEGV, f"SIGSEGV: exit {rc}")
    check(not leftovers(), "SIGSEGV: temp file left")


def settle_output(path, old, ref, rc, what):
    """What a signal may leave at path: the old file untouched, or (exit
    0) the complete statistics, or (exit 130, one signal) statistics
    marked incomplete; never a half-written file, never a temp file."""
    check(not leftovers(), f"{what}: temp file left")
    with open(path, "rb") as f:
        now = f.read()
    if now == old:
        return
    try:
        doc = json.loads(now)
    except ValueError:
        check(False, f"{what}: half-written statistics ({len(now)} bytes)")
        return
    if doc.get("complete") is True:   # the run had ended (exit 0, or 130: the signal came at the end)
        check(strip_provenance(now) == strip_provenance(ref), f"{what}: complete but other statistics")
    else:
        check(rc == 130 and doc.get("complete") is False, f"{what}: exit {rc}, complete {doc.get('complete')}")


def case_signals_at_random_points():
    """SIGINT, SIGTERM and SIGHUP at seeded random points of a run (from
    its start to past its end), once and twice: the old statistics file
    is replaced only by a complete one (or one marked incomplete, after a
    single signal), and no temp file is left."""
    ref = reference()
    t0 = time.monotonic()
    run(["--quiet", "--stats-json", os.path.join(TMP, "t.json"), TRACE])
    took = time.monotonic() - t0
    os.unlink(os.path.join(TMP, "t.json"))
    rng = random.Random(15)
    out = os.path.join(TMP, "s.json")
    old = b"old statistics\n"
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        for point in range(4):
            for times in (1, 2):
                with open(out, "wb") as f:
                    f.write(old)
                delay = rng.uniform(0, took * 1.2)
                proc = subprocess.Popen([MMUSIM, "--quiet", "--stats-json", out, TRACE],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                time.sleep(delay)
                for _ in range(times):
                    proc.send_signal(sig)
                    time.sleep(rng.uniform(0, 0.01))
                _, stderr = proc.communicate(timeout=60)
                rc = proc.returncode
                what = f"{sig.name} x{times} at {delay:.3f} s of {took:.3f} s"
                # before mmusim installs its handlers (at once, before any
                # output exists) the default action may still kill it
                check(rc in (0, 130, -sig), f"{what}: exit {rc}: {stderr[-300:]!r}")
                settle_output(out, old, ref, rc, what)


def case_tools_signals_at_random_points():
    """gen-workload and import-lackey killed by SIGINT, SIGTERM or SIGHUP
    at seeded random points: OUT is the old file or a complete trace
    (mmusim accepts it), and no temp file is left in its directory."""
    scripts = os.path.join(HERE, "..", "..", "scripts")
    rng = random.Random(15)
    out = os.path.join(TMP, "w.trace")
    old = b"old trace\n"
    lackey = os.path.join(TMP, "in.log")
    with open(lackey, "w") as f:
        f.write("==1== Lackey\n" + "".join(f" L {0x10000000 + 64 * i:x},8\n" for i in range(60000)))
    jobs = [[sys.executable, os.path.join(scripts, "gen-workload"), "--seed", "1", "-o", out, "mixed", "pages=4096"],
            [sys.executable, os.path.join(scripts, "import-lackey"), lackey, out]]
    for argv in jobs:
        t0 = time.monotonic()
        p = subprocess.run(argv, capture_output=True)
        took = time.monotonic() - t0
        check(p.returncode == 0, f"{argv[1]}: {p.stderr[-300:]!r}")
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            for point in range(3):
                with open(out, "wb") as f:
                    f.write(old)
                delay = rng.uniform(0, took * 1.1)
                proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                time.sleep(delay)
                proc.send_signal(sig)
                _, stderr = proc.communicate(timeout=120)
                what = f"{os.path.basename(argv[1])} {sig.name} at {delay:.2f} s of {took:.2f} s"
                # a SIGINT before the tool's handlers are in place is Python's
                # own KeyboardInterrupt: while it loads the tool's modules
                # (importlib frames), or at the script's first bytecode,
                # before its first statement ("line 0, in <module>", seen
                # 12-06 at 0.04 s); nothing is open then
                early = (b"importlib._bootstrap" in stderr or
                         re.search(rb'", line 0, in <module>\nKeyboardInterrupt\n$', stderr) is not None)
                check(b"Traceback" not in stderr or early, f"{what}: traceback {stderr[-300:]!r}")
                left = [n for n in os.listdir(TMP) if n.startswith(".w.trace-")]
                check(not left, f"{what}: temp files left {left}")
                for n in left:
                    os.unlink(os.path.join(TMP, n))
                with open(out, "rb") as f:
                    now = f.read()
                if now != old:
                    q = run(["--parse-only", out])
                    check(q.returncode == 0, f"{what}: exit {proc.returncode}, OUT replaced by a trace mmusim"
                          f" rejects: {err(q)[-200:]}")


def main():
    global MMUSIM, SHIM, TMP
    MMUSIM, SHIM, case = sys.argv[1], sys.argv[2], sys.argv[3]
    fn = globals().get("case_" + case)
    if not fn:
        print(f"unknown case {case}")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        TMP = tmp
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            fn()
        finally:
            os.chdir(cwd)
    for p in problems:
        print("FAIL:", p)
    print(f"{case}: {'ok' if not problems else 'FAILED'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
