#!/usr/bin/env python3
"""The fast paths change nothing: every trace given, and generated
workloads that stress them (4 KiB and 2 MiB pages, page visits of several
accesses, shootdowns, mprotect, fork/COW, exec, exit, kernel threads,
PTI, PLRU), give the same statistics with them as with
test.slow_paths=on, where every translation takes the full path."""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GENERATED = [
    ("mixed", ["accesses=200000", "run=4", "slice=512"], []),
    ("mixed", ["accesses=100000"], ["tlb.replacement=plru"]),
    ("mixed", ["accesses=100000", "run=6"], ["pti=on"]),
    ("mixed", ["accesses=100000", "run=3"], ["pcid=off", "lazy_tlb=off"]),
    ("munmap-storm", [], []),
    ("fork-exec-shell", [], []),
    ("cow-server", [], []),
    ("hugepage-ws", ["huge=on", "accesses=50000"], []),
    ("kthread-pingpong", [], ["pge=off"]),
]


def stats(mmusim, trace, sets, out):
    cmd = [mmusim, "--quiet", "--stats-json", out]
    for s in sets:
        cmd += ["--set", s]
    rc = subprocess.run(cmd + [trace], capture_output=True).returncode
    if not os.path.exists(out):
        return rc, None
    with open(out, encoding="utf-8") as f:
        data = json.load(f)
    data["config"].pop("test.slow_paths", None)
    return rc, data


def compare(mmusim, trace, sets, tmp, name):
    a = stats(mmusim, trace, sets, os.path.join(tmp, "fast.json"))
    b = stats(mmusim, trace, sets + ["test.slow_paths=on"], os.path.join(tmp, "slow.json"))
    same = a == b and a[1] is not None
    print(f"{'ok  ' if same else 'FAIL'} {name} {' '.join(sets)}")
    if not same and a[1] and b[1]:
        for key in a[1]:
            if a[1][key] != b[1].get(key):
                print(f"     differs: {key}")
    return same


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: fast_paths.py MMUSIM [TRACE...]")
    mmusim, traces = sys.argv[1], sys.argv[2:]
    failures = 0
    gen = os.path.join(ROOT, "scripts", "gen-workload")
    with tempfile.TemporaryDirectory() as tmp:
        for trace in traces:
            failures += not compare(mmusim, trace, [], tmp, os.path.basename(trace))
        for i, (scenario, params, sets) in enumerate(GENERATED):
            trace = os.path.join(tmp, f"gen{i}.trace")
            subprocess.run([sys.executable, gen, scenario, "--seed", str(i + 3), *params, "-o", trace],
                           check=True)
            failures += not compare(mmusim, trace, sets, tmp, f"{scenario} {' '.join(params)}")
    total = len(traces) + len(GENERATED)
    print(f"{total - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
