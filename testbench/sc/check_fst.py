#!/usr/bin/env python3
"""--fst writes what --vcd writes: the same signals, scopes, times and values.

  check_fst.py MMUSIM FST2VCD TRACE BAD_TRACE

Runs TRACE once in systemc mode with both --vcd and --fst, whole and then
in a window (--vcd-from/--vcd-to apply to both), converts each FST back
to VCD with GTKWave's fst2vcd and compares it with the VCD mmusim wrote,
signal by signal: every declaration (hierarchy, type, width, range) in
order, every time stamp, and every signal's changes at every time.  Also
runs --fst alone, which must give the same FST, byte for byte (it holds
no date), and checks that no
temp or side file (.hier) is left beside the outputs.  Then the outputs
refused before the run, with their exact messages and exit statuses: an
FST onto a directory, a FIFO, standard output, the trace, the VCD's own
file, and --fst in fast mode (the run would fail with 65 on BAD_TRACE:
getting 66 or 64 shows nothing ran).  Last, a disk that fills up (a file
size limit of 1,000 bytes, the FST being 2.5 KB) while the FST is
written: the FST library reports no write error, so mmusim reads the file
back and must refuse it (66), leaving the previous file as it was and no
temp file; and an empty window gives an FST all the same.
"""
import os
import resource
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vcd import read_vcd  # noqa: E402


def compare(what, vcd_path, fst_vcd_path):
    a, b = read_vcd(vcd_path), read_vcd(fst_vcd_path)
    bad = []
    if a.timescale != b.timescale:
        bad.append(f"timescale {a.timescale!r} vs {b.timescale!r}")
    if a.declarations != b.declarations:
        for x, y in zip(a.declarations, b.declarations):
            if x != y:
                bad.append(f"declaration {x} vs {y}")
                break
        else:
            bad.append(f"{len(a.declarations)} declarations vs {len(b.declarations)}")
    if a.times != b.times:
        bad.append(f"{len(a.times)} time stamps ({a.times[:3]}..{a.times[-3:]}) vs "
                   f"{len(b.times)} ({b.times[:3]}..{b.times[-3:]})")
    changes = 0
    for name, sig in a.signals.items():
        other = b.signals.get(name)
        if other is None:
            bad.append(f"{name} missing from the FST")
            continue
        changes += len(sig.changes)
        if sig.changes != other.changes:
            diff = next(i for i, (x, y) in enumerate(zip(sig.changes + [None], other.changes + [None]))
                        if x != y)
            got = other.changes[diff] if diff < len(other.changes) else "nothing"
            want = sig.changes[diff] if diff < len(sig.changes) else "nothing"
            bad.append(f"{name}: change {diff}: FST has {got}, VCD has {want}")
    for msg in bad:
        print(f"FAIL {what}: {msg}", file=sys.stderr)
    if not bad:
        print(f"ok {what}: {len(a.declarations)} signals, {len(a.times)} time stamps, "
              f"{changes} changes alike")
    if changes == 0:
        print(f"FAIL {what}: no changes at all", file=sys.stderr)
        return 1
    return len(bad)


def refusals(mmusim, bad_trace, tmp):
    failures = 0
    os.mkdir(os.path.join(tmp, "dir"))
    os.mkfifo(os.path.join(tmp, "fifo"))
    try_help = "\n(try mmusim --help)"
    cases = [
        (["--fst", "dir"], 66, "mmusim: error: cannot write dir: it is a directory"),
        (["--fst", "fifo"], 66, "mmusim: error: cannot write fifo: it is not a regular file"
                                " (use '-' for standard output)"),
        (["--fst", "-"], 64, "mmusim: error: --fst cannot write standard output ('-'):"
                             " the FST writer seeks in its file" + try_help),
        (["--fst", "bad.trace"], 66, "mmusim: error: cannot write bad.trace: it is the input bad.trace"),
        (["--fst", "w", "--vcd", "w"], 66, "mmusim: error: cannot write w twice (it is also w)"),
        (["--mode", "fast", "--fst", "w.fst"], 64,
         "mmusim: error: --fst needs --mode systemc or cosim" + try_help),
    ]
    with open(bad_trace, "rb") as f, open(os.path.join(tmp, "bad.trace"), "wb") as out:
        out.write(f.read())
    for args, status, message in cases:
        mode = [] if "--mode" in args else ["--mode", "systemc"]
        p = subprocess.run([mmusim, *mode, *args, "--stats-json", "s.json", "bad.trace"], cwd=tmp,
                           capture_output=True, text=True)
        got = (p.returncode, p.stderr.rstrip("\n"))
        if got != (status, message):
            print(f"FAIL {' '.join(args)}: got {got}, want {(status, message)}", file=sys.stderr)
            failures += 1
        left = sorted(n for n in os.listdir(tmp) if n.startswith(".mmusim-") or n in ("s.json", "w", "w.fst"))
        if left:
            print(f"FAIL {' '.join(args)}: left behind: {left}", file=sys.stderr)
            failures += 1
    if not failures:
        print(f"ok {len(cases)} outputs refused before the run")
    return failures


def full_disk(mmusim, trace, tmp):
    trace = os.path.abspath(trace)
    failures = 0
    out = os.path.join(tmp, "full.fst")
    with open(out, "w", encoding="ascii") as f:
        f.write("previous\n")
    lim = lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))  # noqa: E731
    p = subprocess.run([mmusim, "--mode", "systemc", "--quiet", "--fst", "full.fst", trace], cwd=tmp,
                       capture_output=True, text=True, preexec_fn=lim)
    want = (66, "mmusim: error: cannot write full.fst: the FST written is incomplete"
                " (a full disk or a file size limit?)")
    if (p.returncode, p.stderr.rstrip("\n")) != want:
        print(f"FAIL full disk: got {(p.returncode, p.stderr)}, want {want}", file=sys.stderr)
        failures += 1
    with open(out, encoding="ascii") as f:
        if f.read() != "previous\n":
            print("FAIL full disk: the previous file was replaced", file=sys.stderr)
            failures += 1
    left = sorted(n for n in os.listdir(tmp) if n.startswith(".mmusim-"))
    if left:
        print(f"FAIL full disk: left behind: {left}", file=sys.stderr)
        failures += 1
    p = subprocess.run([mmusim, "--mode", "systemc", "--quiet", "--fst", "empty.fst", "--vcd-from",
                        "99999999", trace], cwd=tmp, capture_output=True, text=True)
    if p.returncode != 0 or not os.path.getsize(os.path.join(tmp, "empty.fst")):
        print(f"FAIL empty window: {p.returncode} {p.stderr}", file=sys.stderr)
        failures += 1
    if not failures:
        print("ok a full disk refused, an empty window written")
    return failures


def main():
    mmusim, fst2vcd, trace, bad_trace = sys.argv[1:5]
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for what, window in [("whole run", []), ("window", ["--vcd-from", "5000", "--vcd-to", "7800"])]:
            vcd, fst, back = (os.path.join(tmp, n) for n in ("run.vcd", "run.fst", "back.vcd"))
            subprocess.run([mmusim, "--mode", "systemc", "--quiet", "--vcd", vcd, "--fst", fst,
                            *window, trace], check=True)
            with open(back, "w", encoding="ascii") as out:
                subprocess.run([fst2vcd, fst], stdout=out, check=True)
            failures += compare(what, vcd, back)
            alone = os.path.join(tmp, "alone.fst")
            subprocess.run([mmusim, "--mode", "systemc", "--quiet", "--fst", alone, *window, trace],
                           check=True)
            with open(alone, "rb") as f1, open(fst, "rb") as f2:
                a, b = f1.read(), f2.read()
            if a != b:
                print(f"FAIL {what}: --fst alone writes another FST than with --vcd", file=sys.stderr)
                failures += 1
            left = sorted(n for n in os.listdir(tmp) if n.startswith(".mmusim-"))
            if left:
                print(f"FAIL {what}: left behind: {left}", file=sys.stderr)
                failures += 1
            for n in ("run.vcd", "run.fst", "back.vcd", "alone.fst"):
                os.unlink(os.path.join(tmp, n))
        failures += refusals(mmusim, bad_trace, tmp)
        failures += full_disk(mmusim, trace, tmp)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
