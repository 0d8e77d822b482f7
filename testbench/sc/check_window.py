#!/usr/bin/env python3
"""A window of the waves by trace lines (--vcd-from/--vcd-to line:N).

  check_window.py MMUSIM

On testbench/sc/window.trace, clock.mhz=1000 (1 ns = 1 cycle), the
records' cycles by hand (docs/waves.md, "A window by trace lines"):

  line  5  0 switch 1        CPU 0, 0..1199 (cost.switch 1000 + cost.cr3_write 200)
  line  6  1 switch 2        CPU 1, 0..1199 (starts with line 5: the previous record's start)
  line  7  @2000 0 tick 100  CPU 0, 2000..2099
  line  8  a comment         no record
  line  9  @2050 1 tick 500  CPU 1, 2050..2549
  line 10  @2200 0 tick 0    CPU 0, 2200, taking no time: its start is its last cycle
  line 11  proc 3 c          a declaration: runs on no CPU
  line 12  @2300 0 tick 50   CPU 0, 2300..2349
  line 13  @3000 1 tick 10   CPU 1, 3000..3009, the run's end at 3010

so line:7..line:10 is cycles 2000..2549 (line 9, on CPU 1, runs past line
10's end), line:8..line:11 is 2050..2549 (from the next record, to the
previous), line:10..line:10 is 2200..2200, line:12..line:13 2300..3009,
line:5..line:6 0..1199.  Each window's VCD must open at FROM (the
$dumpvars, in 100 ps units), have its last change at TO's half cycle (the
clock falling), close at TO + 1, and hold nothing outside; the same cycles
given as numbers write the same bytes.  Then the bad values, with their
exact messages and statuses (64), and no VCD left after one.
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vcd import read_vcd  # noqa: E402

TRACE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "window.trace")
U = 10   # VCD units (100 ps) per cycle
WINDOWS = [  # (--vcd-from, --vcd-to, first cycle, last cycle)
    ("line:7", "line:10", 2000, 2549),
    ("line:8", "line:11", 2050, 2549),
    ("line:10", "line:10", 2200, 2200),
    ("line:12", "line:13", 2300, 3009),
    ("line:5", "line:6", 0, 1199),
    ("line:12", None, 2300, 3009),     # to the end: the clock stops at 3010
    (None, "line:6", 0, 1199),         # from the start
]
TRY = "\n(try mmusim --help)"
BAD = [  # (options, status, message)
    (["--vcd-from", "line:0"], 64, "mmusim: error: --vcd-from line:0: trace lines count from 1" + TRY),
    (["--vcd-to", "line:0"], 64, "mmusim: error: --vcd-to line:0: trace lines count from 1" + TRY),
    (["--vcd-from", "line:14"], 64,
     "mmusim: error: --vcd-from line:14 is past the trace's last record (line 13)"),
    (["--vcd-from", "line:7", "--vcd-to", "line:99"], 64,
     "mmusim: error: --vcd-to line:99 is past the trace's last record (line 13)"),
    (["--vcd-from", "line:9", "--vcd-to", "line:7"], 64, "mmusim: error: --vcd-to is before --vcd-from"),
    (["--vcd-from", "line:11", "--vcd-to", "line:11"], 64,
     "mmusim: error: lines 11 to 11 hold no record that runs on a CPU (--vcd-from line:11 --vcd-to line:11)"),
    (["--vcd-to", "line:4"], 64, "mmusim: error: --vcd-to line:4 is before the trace's first record (line 5)"),
    (["--vcd-from", "line:x"], 64,
     "mmusim: error: --vcd-from takes line:N with N a trace line number, not 'line:x'" + TRY),
    (["--vcd-from", "line:"], 64,
     "mmusim: error: --vcd-from takes line:N with N a trace line number, not 'line:'" + TRY),
    (["--vcd-to", "line:-3"], 64,
     "mmusim: error: --vcd-to takes line:N with N a trace line number, not 'line:-3'" + TRY),
    (["--vcd-to", "lines:5"], 64, "mmusim: error: --vcd-to takes a cycle number or line:N, not 'lines:5'" + TRY),
    (["--vcd-from", "12x"], 64, "mmusim: error: --vcd-from takes a cycle number or line:N, not '12x'" + TRY),
    (["--vcd-from", "line:7", "--vcd-to", "3000"], 64,
     "mmusim: error: --vcd-from and --vcd-to take both cycles or both line:N" + TRY),
    (["--vcd-from", "5", "--vcd-to", "line:7"], 64,
     "mmusim: error: --vcd-from and --vcd-to take both cycles or both line:N" + TRY),
]


def run(mmusim, vcd, opts):
    return subprocess.run([mmusim, "--mode", "systemc", "--quiet", "--set", "clock.mhz=1000",
                           "--vcd", vcd, *opts, TRACE], capture_output=True, text=True)


def window_opts(frm, to):
    return (["--vcd-from", frm] if frm else []) + (["--vcd-to", to] if to else [])


def main():
    mmusim = sys.argv[1]
    failures = 0

    def fail(msg):
        nonlocal failures
        print("FAIL " + msg, file=sys.stderr)
        failures += 1

    with tempfile.TemporaryDirectory() as tmp:
        vcd = os.path.join(tmp, "w.vcd")
        for frm, to, first, last in WINDOWS:
            what = f"{frm}..{to}"
            p = run(mmusim, vcd, window_opts(frm, to))
            if p.returncode != 0:
                fail(f"{what}: exit {p.returncode}: {p.stderr}")
                continue
            v = read_vcd(vcd)
            changes = sorted(t for s in v.signals.values() for t, _ in s.changes)
            want = (first * U, last * U + 5, (last + 1) * U)
            got = (v.times[0], changes[-1], v.times[-1])
            if got != want:
                fail(f"{what}: opens, last change, closes at {got}, want {want}")
            outside = [t for t in changes if not first * U <= t <= last * U + U - 1]
            if outside:
                fail(f"{what}: changes outside cycles {first}..{last}: {outside[:5]}")
            clk = v.signals["mmusim.cpu0.clk"].rising_edges()
            if clk != last - first + 1:
                fail(f"{what}: {clk} clock cycles, want {last - first + 1}")
            with open(vcd, "rb") as f:
                by_lines = f.read()
            p = run(mmusim, vcd, ["--vcd-from", str(first), "--vcd-to", str(last)])
            with open(vcd, "rb") as f:
                if p.returncode != 0 or f.read() != by_lines:
                    fail(f"{what}: cycles {first}..{last} write another VCD")
            if not failures:
                print(f"ok {what}: cycles {first}..{last}")
        for opts, status, message in BAD:
            if os.path.exists(vcd):
                os.unlink(vcd)
            p = run(mmusim, vcd, opts)
            got = (p.returncode, p.stderr.rstrip("\n"))
            if got != (status, message):
                fail(f"{' '.join(opts)}: got {got}, want {(status, message)}")
            left = [n for n in os.listdir(tmp)]
            if left:
                fail(f"{' '.join(opts)}: left behind {left}")
        if not failures:
            print(f"ok {len(BAD)} bad windows refused")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
