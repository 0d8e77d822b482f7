#!/usr/bin/env python3
"""--mode cosim stops at the first mismatch between the RTL and the C
model: with a test-only fault in each compared structure
(MMUSIM_COSIM_INJECT=[STRUCTURE:]N: that structure's fills from
operation N on reach the RTL with a wrong PFN) the run must exit 1,
report the mismatch with its cycle, both answers and an array of that
structure, and mark the statistics incomplete.  A malformed value is a
usage error (64)."""
import json
import os
import subprocess
import sys
import tempfile

# MMUSIM_COSIM_INJECT's value -> the structure whose array must be named
CASES = (("500", "l1d"), ("l1d:500", "l1d"), ("l1i:500", "l1i"), ("psc:500", "psc"))


def run(mmusim, trace, tmp, inject):
    out = os.path.join(tmp, "s.json")
    if os.path.exists(out):
        os.remove(out)
    env = dict(os.environ, MMUSIM_COSIM_INJECT=inject)
    p = subprocess.run([mmusim, "--quiet", "--mode", "cosim", "--stats-json", out, trace],
                       capture_output=True, text=True, env=env)
    complete = None
    if os.path.exists(out):
        with open(out) as f:
            complete = json.load(f)["complete"]
    return p, complete


def main():
    mmusim, trace = sys.argv[1], sys.argv[2]
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        for inject, structure in CASES:
            p, complete = run(mmusim, trace, tmp, inject)
            print(f"MMUSIM_COSIM_INJECT={inject}: {p.stderr.strip()}")
            if p.returncode != 1:
                problems.append(f"{inject}: exit status {p.returncode}, expected 1")
            if "co-simulation mismatch at cycle" not in p.stderr or "RTL" not in p.stderr:
                problems.append(f"{inject}: no mismatch report on stderr")
            elif f", {structure}." not in p.stderr:
                problems.append(f"{inject}: the report names no {structure} array")
            if complete is not False:
                problems.append(f"{inject}: statistics of a stopped run say complete ({complete})")
        for bad in ("l2:5", "l1i:", "x", "0"):
            p, _ = run(mmusim, trace, tmp, bad)
            print(f"MMUSIM_COSIM_INJECT={bad}: {p.stderr.strip()}")
            if p.returncode != 64 or not p.stderr.startswith(f"mmusim: error: --mode cosim: MMUSIM_COSIM_INJECT='{bad}'"):
                problems.append(f"{bad}: exit status {p.returncode}, expected 64 and a message")
    for x in problems:
        print("FAIL:", x)
    print(f"{int(not problems)} passed, {int(bool(problems))} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
