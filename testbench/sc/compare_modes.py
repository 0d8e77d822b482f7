#!/usr/bin/env python3
"""Runs traces in fast mode and in systemc (or, with --mode, cosim) mode and
checks they agree.

For each trace (with its '# set: KEY=VALUE' lines, as run_scenario.py
applies them): the exit status, the human summary and the statistics JSON
must be identical, except the JSON's "mode" key, its "provenance" line
(which holds the command line) and, in cosim mode, its "cosim" line, which
must say that operations were compared on the L1 DTLB and ITLB (at least
each one's lookups) and the paging-structure caches (at least one lookup a
walk, when there is a PDE cache) and none mismatched.
"""
import argparse
import json
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


def run(mmusim, mode, trace, out, extra=()):
    cmd = [mmusim, "--mode", mode, "--stats-json", out, *trace_sets(trace), *extra, trace]
    p = subprocess.run(cmd, capture_output=True, text=True)
    json_text, cosim = None, None
    if os.path.exists(out):
        with open(out, encoding="utf-8") as f:
            json_text = re.sub(r'^  "provenance": .*\n', "", f.read(), count=1, flags=re.M)
        m = re.search(r'^  "cosim": (.*),\n', json_text, flags=re.M)
        if m:
            cosim = json.loads(m.group(1))
            json_text = json_text[:m.start()] + json_text[m.end():]
    return p.returncode, p.stdout, json_text, cosim, p.stderr


COMPARED = ("l1d", "l1i", "psc")   # the structures --mode cosim compares


def lookups(json_text, structure):
    """A structure's lookups in a run's statistics: the co-simulation
    compares at least those (every lookup of the region of interest, at
    least one array each; a PSC's: every walk looks up the PDE cache first,
    when it has one)."""
    s = json.loads(json_text)
    if structure == "psc":
        c = s["config"]
        return s["walks"]["count"] if c["pwc"] == "on" and c["pwc.pd.entries"] > 0 else 0
    return s["tlb"][structure]["lookups"]


def compare(mmusim, trace, tmp, mode="systemc", extra=()):
    """The differences between fast mode and MODE on TRACE, with the
    options EXTRA (--set, --preset) in both."""
    fast = run(mmusim, "fast", trace, os.path.join(tmp, "fast.json"), extra)
    sc = run(mmusim, mode, trace, os.path.join(tmp, "other.json"), extra)
    errors = []
    if fast[3] is not None:
        errors.append('fast mode wrote a "cosim" object')
    if mode == "cosim" and sc[2] is not None:
        c = sc[3]
        if c is None:
            errors.append('no "cosim" object in the JSON')
        elif set(c) != {"compared", "mismatches"} or set(c["compared"]) != set(COMPARED):
            errors.append(f'cosim: {c}: unexpected keys')
        elif c["mismatches"] != 0:
            errors.append(f'cosim: {c}: expected no mismatch')
        else:
            for k in COMPARED:
                if c["compared"][k] < lookups(sc[2], k):
                    errors.append(f'cosim: {c}: expected, compared on the {k} arrays, '
                                  f'at least its {lookups(sc[2], k)} lookups')
    if fast[0] != sc[0]:
        errors.append(f"exit status: fast {fast[0]}, {mode} {sc[0]}: {sc[4].strip()}")
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
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a configuration key for both modes (repeatable)")
    ap.add_argument("--preset", help="a preset for both modes")
    args = ap.parse_args()
    extra = [x for kv in args.set for x in ("--set", kv)]
    if args.preset:
        extra += ["--preset", args.preset]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for trace in args.traces:
            for e in compare(args.mmusim, trace, tmp, args.mode, extra):
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
