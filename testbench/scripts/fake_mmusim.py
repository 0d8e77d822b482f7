#!/usr/bin/env python3
"""Stand-in for build/mmusim in the script tests: same command line, writes a
statistics JSON in the schema of docs/trace-format.md whose numbers depend on the trace's
record count and the --set options, exits 65 on a trace containing 'BAD'."""

import argparse
import json
import os
import sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--set", action="append", default=[])
    p.add_argument("--stats-json")
    p.add_argument("--mode", default="fast")
    p.add_argument("trace")
    args = p.parse_args()
    with open(args.trace) as f:
        text = f.read()
    if "BAD" in text:
        sys.stderr.write("%s:1:1: error: bad trace\n" % args.trace)
        return 65
    config = dict(s.split("=", 1) for s in args.set)
    records = len(text.splitlines())
    misses = records // (2 if config.get("pcid") == "off" else 4)
    stats = {
        "schema": "mmusim-stats/1", "complete": True, "config": config,
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
