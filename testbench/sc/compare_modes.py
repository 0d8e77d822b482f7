#!/usr/bin/env python3
"""Runs traces in fast mode and in systemc (or, with --mode, cosim) mode and
checks they agree.

For each trace (with its '# set: KEY=VALUE' lines, as run_scenario.py
applies them): the exit status, the human summary and the statistics JSON
must be identical, except the JSON's "mode" key and its "provenance" line
(which holds the command line).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile


def trace_sets(path):
    sets = []
    with open(path, encoding="ascii") as f:
        for line in f:
            if line.startswith("# set:"):
                sets += ["--set", line[len("# set:"):].strip()]
    return sets


def run(mmusim, mode, trace, out):
    cmd = [mmusim, "--mode", mode, "--stats-json", out, *trace_sets(trace), trace]
    p = subprocess.run(cmd, capture_output=True, text=True)
    json_text = None
    if os.path.exists(out):
        with open(out, encoding="utf-8") as f:
            json_text = re.sub(r'^  "provenance": .*\n', "", f.read(), count=1, flags=re.M)
    return p.returncode, p.stdout, json_text


def compare(mmusim, trace, tmp, mode="systemc"):
    fast = run(mmusim, "fast", trace, os.path.join(tmp, "fast.json"))
    sc = run(mmusim, mode, trace, os.path.join(tmp, "other.json"))
    errors = []
    if fast[0] != sc[0]:
        errors.append(f"exit status: fast {fast[0]}, {mode} {sc[0]}")
    if fast[1] != sc[1]:
        errors.append("the human summaries differ")
    if (fast[2] is None) != (sc[2] is None):
        errors.append("only one mode wrote statistics")
    elif fast[2] is not None:
        if '"mode": "fast"' not in fast[2] or f'"mode": "{mode}"' not in sc[2]:
            errors.append('no "mode" key in the JSON')
        elif fast[2].replace('"mode": "fast"', f'"mode": "{mode}"', 1) != sc[2]:
            errors.append("the statistics JSON differs beyond the mode key")
    return errors


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("mmusim")
    ap.add_argument("traces", nargs="+")
    ap.add_argument("--mode", default="systemc", choices=("systemc", "cosim"))
    args = ap.parse_args()
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for trace in args.traces:
            for e in compare(args.mmusim, trace, tmp, args.mode):
                print(f"{trace}: error: {e}", file=sys.stderr)
                failed += 1
            for name in ("fast.json", "other.json"):
                if os.path.exists(os.path.join(tmp, name)):
                    os.remove(os.path.join(tmp, name))
    if failed:
        sys.exit(1)
    print(f"{len(args.traces)} traces: fast and {args.mode} agree")


if __name__ == "__main__":
    main()
