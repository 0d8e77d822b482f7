#!/usr/bin/env python3
"""The fast paths change nothing: every trace given, and generated
workloads that stress them (4 KiB and 2 MiB pages, page visits of several
accesses, shootdowns, mprotect, fork/COW, exec, exit, kernel threads,
PTI, PLRU), give the same statistics and exit status with them as with
test.slow_paths=on, where every translation takes the full path; and the
same in the binary form: packed by `mmusim --pack` and, for the generated
ones, written as .mmtb by gen-workload itself; and the same with the
parse stage off and on (--threads 1 and 2), text and binary."""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GENERATED = [
    ("mixed", ["accesses=200000", "run=4", "slice=512"], []),
    ("mixed", ["accesses=100000"], ["tlb.replacement=plru"]),
    ("mixed", ["accesses=100000", "run=6"], ["pti=on"]),
    ("mixed", ["accesses=100000", "run=3"], ["pcid=off", "lazy_tlb=off"]),
    ("munmap-storm", [], []),
    ("fork-exec-shell", [], []),
    ("cow-server", [], []),
    ("hugepage-ws", ["huge=on", "accesses=50000"], []),
    ("kthread-pingpong", [], ["pge=off"]),
]


def trace_sets(path):
    """The '# set: KEY=VALUE' lines of a scenario (run_scenario.py's)."""
    with open(path, "rb") as f:
        return [line[6:].strip() for line in f.read().decode("ascii", "replace").splitlines()
                if line.startswith("# set:")]


def stats(mmusim, trace, sets, out, args=()):
    if os.path.exists(out):
        os.unlink(out)   # a run that writes none must not find the last one's
    cmd = [mmusim, "--quiet", "--stats-json", out, *args]
    for s in sets:
        cmd += ["--set", s]
    rc = subprocess.run(cmd + [trace], capture_output=True).returncode
    if not os.path.exists(out):
        return rc, None
    with open(out, encoding="utf-8") as f:
        data = json.load(f)
    data["config"].pop("test.slow_paths", None)
    data.pop("provenance")   # it holds the command line
    return rc, data


def records_of(mmtb):
    """A .mmtb's bytes after its header (which holds the original's name)."""
    with open(mmtb, "rb") as f:
        data = f.read()
    name_len = int.from_bytes(data[12:14], "little")
    return data[(16 + name_len + 7) // 8 * 8:]


def compare(mmusim, trace, sets, tmp, name, binaries=()):
    """The trace as it is against its variants: the slow paths, the trace
    packed by mmusim --pack, and BINARIES (other .mmtb forms of it)."""
    a = stats(mmusim, trace, sets, os.path.join(tmp, "fast.json"))
    packed = os.path.join(tmp, "packed.mmtb")
    subprocess.run([mmusim, "--pack", packed, trace], check=True)
    variants = [("slow paths", trace, sets + ["test.slow_paths=on"], [])]
    variants += [(f"binary ({os.path.basename(t)})", t, sets, []) for t in (packed, *binaries)]
    variants += [(f"{n} thread(s)", t, sets, ["--threads", n]) for n in ("1", "2") for t in (trace, packed)]
    same = a[1] is not None
    for t in binaries:
        if records_of(t) != records_of(packed):
            print(f"     {os.path.basename(t)}: not the records mmusim --pack writes")
            same = False
    for what, t, vsets, args in variants:
        b = stats(mmusim, t, vsets, os.path.join(tmp, "variant.json"), args)
        if a == b:
            continue
        same = False
        print(f"     {what}: exit {b[0]} (not {a[0]})" if a[0] != b[0] else f"     {what}:")
        if a[1] and b[1]:
            for key in a[1]:
                if a[1][key] != b[1].get(key):
                    print(f"     differs: {key}")
    print(f"{'ok  ' if same else 'FAIL'} {name} {' '.join(sets)}")
    return same


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: fast_paths.py MMUSIM [TRACE...]")
    mmusim, traces = sys.argv[1], sys.argv[2:]
    failures = 0
    gen = os.path.join(ROOT, "scripts", "gen-workload")
    with tempfile.TemporaryDirectory() as tmp:
        for trace in traces:
            failures += not compare(mmusim, trace, trace_sets(trace), tmp, os.path.basename(trace))
        for i, (scenario, params, sets) in enumerate(GENERATED):
            trace = os.path.join(tmp, f"gen{i}.trace")
            binary = os.path.join(tmp, f"gen{i}.mmtb")
            for out in (trace, binary):
                subprocess.run([sys.executable, gen, scenario, "--seed", str(i + 3), *params, "-o", out],
                               check=True)
            failures += not compare(mmusim, trace, sets, tmp, f"{scenario} {' '.join(params)}", [binary])
    total = len(traces) + len(GENERATED)
    print(f"{total - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
