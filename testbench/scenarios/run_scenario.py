#!/usr/bin/env python3
"""Runs one scenario trace through mmusim and checks its expectations.

A scenario is a trace whose comments carry:
  # set: KEY=VALUE            configuration (repeatable)
  # expect: PATH = NUMBER     a statistic from the JSON (dotted path;
                              cpus.N.path for per-CPU values)
  # exit: N                   expected exit status (default 0)
The derivation of each number is written in the trace's comments.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def parse_header(path):
    sets, expects, exit_code = [], [], 0
    with open(path, encoding="ascii") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if line.startswith("# set:"):
                sets.append(line[len("# set:"):].strip())
            elif line.startswith("# expect:"):
                body = line[len("# expect:"):]
                if "=" not in body:
                    sys.exit(f"{path}:{lineno}: error: expected '# expect: PATH = NUMBER'")
                key, value = body.split("=", 1)
                expects.append((lineno, key.strip(), value.strip()))
            elif line.startswith("# exit:"):
                exit_code = int(line[len("# exit:"):])
    return sets, expects, exit_code


def lookup(stats, dotted):
    node = stats
    for part in dotted.split("."):
        if isinstance(node, list):
            node = node[int(part)]
        elif part in node:
            node = node[part]
        else:
            raise KeyError(dotted)
    return node


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mmusim")
    ap.add_argument("trace")
    ap.add_argument("--mode", default="fast")
    ap.add_argument("--set", action="append", default=[], help="extra KEY=VALUE")
    args = ap.parse_args()
    sets, expects, exit_code = parse_header(args.trace)
    if not expects:
        sys.exit(f"{args.trace}:1: error: no '# expect:' lines")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "stats.json")
        cmd = [args.mmusim, "--quiet", "--mode", args.mode, "--stats-json", out]
        for s in sets + args.set:
            cmd += ["--set", s]
        cmd.append(args.trace)
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != exit_code:
            sys.exit(f"{args.trace}: exit status {proc.returncode}, expected {exit_code}\n{proc.stderr}")
        with open(out, encoding="utf-8") as f:
            stats = json.load(f)
    failures = 0
    for lineno, key, want in expects:
        try:
            got = lookup(stats, key)
        except (KeyError, IndexError, ValueError):
            print(f"{args.trace}:{lineno}: no statistic '{key}'")
            failures += 1
            continue
        ok = abs(float(got) - float(want)) < 1e-9 if isinstance(got, float) else str(got) == want
        print(f"{'ok  ' if ok else 'FAIL'} {key} = {got}" + ("" if ok else f" (expected {want}, line {lineno})"))
        failures += not ok
    print(f"{len(expects) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
