#!/usr/bin/env python3
"""Runs mmusim twice on each trace (and once through standard input), and
on its binary form (mmusim --pack) from a file and through standard input,
and checks that the statistics JSON files are byte-identical, the
"provenance" line aside (it names the command and the file).  That line
must give each file's size and SHA-256, read from a file or standard input."""
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile


def trace_sets(path):
    """The '# set: KEY=VALUE' lines of a scenario (run_scenario.py's)."""
    with open(path, "rb") as f:
        return [s for line in f.read().decode("ascii", "replace").splitlines()
                if line.startswith("# set:") for s in ("--set", line[6:].strip())]


def run(mmusim, trace, out, stdin=False, sets=()):
    if os.path.exists(out):
        os.unlink(out)
    cmd = [mmusim, "--quiet", "--stats-json", out, *sets, "-" if stdin else trace]
    with open(trace, "rb") as f:
        proc = subprocess.run(cmd, stdin=f if stdin else subprocess.DEVNULL, capture_output=True)
    return proc.returncode


PROVENANCE = re.compile(rb'^  "provenance": .*\n', re.M)


def provenance_ok(blob, path):
    """The provenance line names the trace's size and SHA-256."""
    found = PROVENANCE.findall(blob)
    if len(found) != 1:
        return False
    prov = json.loads(found[0].decode().split(":", 1)[1].strip().rstrip(","))
    with open(path, "rb") as f:
        data = f.read()
    return prov["trace"]["size"] == len(data) and prov["trace"]["sha256"] == hashlib.sha256(data).hexdigest()


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: determinism.py MMUSIM TRACE...")
    mmusim, traces = sys.argv[1], sys.argv[2:]
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for trace in traces:
            outs = [os.path.join(tmp, f"{i}.json") for i in range(5)]
            packed = os.path.join(tmp, "packed.mmtb")
            subprocess.run([mmusim, "--pack", packed, trace], check=True)
            sets = trace_sets(trace)
            codes = [run(mmusim, trace, outs[0], sets=sets), run(mmusim, trace, outs[1], sets=sets),
                     run(mmusim, trace, outs[2], stdin=True, sets=sets),
                     run(mmusim, packed, outs[3], sets=sets),
                     run(mmusim, packed, outs[4], stdin=True, sets=sets)]
            blobs = [open(o, "rb").read() if os.path.exists(o) else b"" for o in outs]
            same = (len(set(codes)) == 1 and blobs[0] and len({PROVENANCE.sub(b"", b) for b in blobs}) == 1
                    and all(provenance_ok(b, p) for b, p in zip(blobs, [trace] * 3 + [packed] * 2)))
            print(f"{'ok  ' if same else 'FAIL'} {os.path.basename(trace)}")
            failures += not same
    print(f"{len(traces) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
