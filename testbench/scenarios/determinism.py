#!/usr/bin/env python3
"""Runs mmusim twice on each trace (and once through standard input) and
checks that the statistics JSON files are byte-identical."""
import os
import subprocess
import sys
import tempfile


def run(mmusim, trace, out, stdin=False):
    cmd = [mmusim, "--quiet", "--stats-json", out, "-" if stdin else trace]
    with open(trace, "rb") as f:
        proc = subprocess.run(cmd, stdin=f if stdin else subprocess.DEVNULL, capture_output=True)
    return proc.returncode


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: determinism.py MMUSIM TRACE...")
    mmusim, traces = sys.argv[1], sys.argv[2:]
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for trace in traces:
            outs = [os.path.join(tmp, f"{i}.json") for i in range(3)]
            codes = [run(mmusim, trace, outs[0]), run(mmusim, trace, outs[1]),
                     run(mmusim, trace, outs[2], stdin=True)]
            blobs = [open(o, "rb").read() if os.path.exists(o) else b"" for o in outs]
            same = codes[0] == codes[1] == codes[2] and blobs[0] and blobs[0] == blobs[1] == blobs[2]
            print(f"{'ok  ' if same else 'FAIL'} {os.path.basename(trace)}")
            failures += not same
    print(f"{len(traces) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
