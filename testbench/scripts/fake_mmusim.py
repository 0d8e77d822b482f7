#!/usr/bin/env python3
"""Stand-in for build/mmusim in the script tests: same command line, writes a
statistics JSON in the schema of docs/trace-format.md whose numbers depend on the trace's
record count and the --set options, exits 65 on a trace containing 'BAD',
64 on a key outside KEYS or the value 'bad'. A trace containing 'SLOW'
takes a second per record; SIGTERM then stops it as mmusim's first SIGTERM
does: the statistics so far, "complete": false, exit 130 (with
FAKE_MMUSIM_READY=PATH it creates PATH once its SIGTERM handler is in
place)."""

import argparse
import hashlib
import json
import os
import signal
import sys
import time

KEYS = {"pcid", "asids", "pti", "lazy_tlb", "tlb.stlb.entries"}
STOP = []


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--set", action="append", default=[])
    p.add_argument("--stats-json")
    p.add_argument("--mode", default="fast")
    p.add_argument("--preset")
    p.add_argument("--parse-only", action="store_true")
    p.add_argument("trace")
    args = p.parse_args()
    config = dict(s.split("=", 1) for s in args.set)
    for key, value in config.items():
        if key not in KEYS:
            sys.stderr.write("mmusim: error: unknown configuration key '%s' (see --list-config)\n" % key)
            return 64
        if value == "bad":
            sys.stderr.write("mmusim: error: bad value 'bad' for configuration key '%s'\n" % key)
            return 64
    with open(args.trace, "rb") as f:
        data = f.read()
    text = data.decode()
    if "BAD" in text:
        sys.stderr.write("%s:1:1: error: bad trace\n" % args.trace)
        return 65
    if args.parse_only:
        return 0
    records = len(text.splitlines())
    if "SLOW" in text:
        signal.signal(signal.SIGTERM, lambda *_: STOP.append(1))
        if os.environ.get("FAKE_MMUSIM_READY"):   # tests: SIGTERM is handled from now on
            open(os.environ["FAKE_MMUSIM_READY"], "w").close()
        for n in range(records):
            if STOP:
                records = n
                break
            time.sleep(1)
    misses = records // (2 if config.get("pcid") == "off" else 4)
    stats = {
        "schema": "mmusim-stats/1", "complete": not STOP, "config": config,
        "provenance": {"command": sys.argv, "preset": args.preset or "skylake",
                       "trace": {"path": args.trace, "size": len(data),
                                 "sha256": hashlib.sha256(data).hexdigest()}},
        "cycles": records * 10, "accesses": records,
        "tlb": {"hits": records - misses, "misses": misses,
                "hit_rate": (records - misses) / records if records else 0.0},
        "walks": {"count": misses, "cycles": misses * 30,
                  "latency": {"mean": 30.0, "p50": 30, "p90": 40, "p99": 50, "max": 60,
                              "hist": [[0, 16, 1], [16, 32, misses], [32, 64, 2]]}},
        "cr3": {"writes": 5, "noflush": 3},
        "shootdowns": {"initiated": 2, "ipis": 4, "lazy_skipped": 1, "pages": 8, "cycles": 100},
    }
    if args.stats_json:
        tmp = args.stats_json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(stats, f)
        os.rename(tmp, args.stats_json)
    print("fake mmusim: %d records" % records)
    return 130 if STOP else 0


if __name__ == "__main__":
    sys.exit(main())
