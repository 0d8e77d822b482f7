#!/usr/bin/env python3
"""--mode cosim stops at the first mismatch between the RTL and the C
model: with a test-only fault (MMUSIM_COSIM_INJECT: one fill reaches the
RTL with a wrong PFN) the run must exit 1, report the mismatch with its
cycle and both answers, and mark the statistics incomplete."""
import json
import os
import subprocess
import sys
import tempfile


def main():
    mmusim, trace = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "s.json")
        env = dict(os.environ, MMUSIM_COSIM_INJECT="500")
        p = subprocess.run([mmusim, "--quiet", "--mode", "cosim", "--stats-json", out, trace],
                           capture_output=True, text=True, env=env)
        problems = []
        if p.returncode != 1:
            problems.append(f"exit status {p.returncode}, expected 1")
        if "co-simulation mismatch at cycle" not in p.stderr or "RTL" not in p.stderr:
            problems.append(f"no mismatch report on stderr: {p.stderr.strip()}")
        if os.path.exists(out):
            with open(out) as f:
                if json.load(f)["complete"] is not False:
                    problems.append("statistics of a stopped run say complete")
        print(p.stderr.strip())
        for x in problems:
            print("FAIL:", x)
        print(f"{int(not problems)} passed, {int(bool(problems))} failed")
        return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
