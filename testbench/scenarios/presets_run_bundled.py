#!/usr/bin/env python3
"""Every machine preset runs every bundled trace (traces/*.trace and
traces/gen/*.trace): exit status 0, no stale TLB hit. The zen presets
also run with page-table isolation on and with hz raised so that global
ASIDs are handed out within these short traces (hz=10000: jiffies advance
every 0.1 ms, so every flushing PID's sampling slot comes up)."""
import glob
import json
import os
import subprocess
import sys
import tempfile

PRESETS = ["skylake", "zen2", "zen3", "zen4", "zen5"]
EXTRA = {"zen3": [[], ["pti=on"], ["hz=10000"]], "zen4": [[], ["hz=10000", "pti=on"]],
         "zen5": [[], ["hz=10000"]]}


def main():
    mmusim, root = sys.argv[1], sys.argv[2]
    traces = sorted(glob.glob(os.path.join(root, "traces", "*.trace")) +
                    glob.glob(os.path.join(root, "traces", "gen", "*.trace")))
    if not traces:
        sys.exit("presets_run_bundled: no bundled traces under %s" % root)
    failures, broadcasts = 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "s.json")
        for preset in PRESETS:
            for sets in EXTRA.get(preset, [[]]):
                for t in traces:
                    cmd = [mmusim, "--quiet", "--preset", preset, "--stats-json", out]
                    for s in sets:
                        cmd += ["--set", s]
                    p = subprocess.run(cmd + [t], capture_output=True, text=True)
                    stale = json.load(open(out))["check"]["stale_hits"] if p.returncode in (0, 1) else -1
                    if p.returncode != 0 or stale != 0:
                        print("FAIL %s %s %s: exit %d, stale hits %d\n%s" % (
                            preset, " ".join(sets), t, p.returncode, stale, p.stderr))
                        failures += 1
                    elif preset.startswith("zen"):
                        broadcasts += json.load(open(out))["broadcast"]["invlpgb"]
    # the zen runs must have used broadcasts somewhere, or the test proves little
    if broadcasts == 0:
        print("FAIL no zen run issued an INVLPGB")
        failures += 1
    print("%d traces x presets, %d failures, %d INVLPGBs on the zen presets" % (
        len(traces), failures, broadcasts))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
