#!/usr/bin/env python3
"""The Python module mmusim (python/mmusim) over the build's libmmusim:
run() gives the statistics `mmusim --stats-json` writes, keyword keys reach
the configuration, run_records streams, errors carry the exit status.

  test_python.py MMUSIM SOURCE_DIR      (MMUSIM_LIBRARY: the shared library)
"""
import json
import os
import subprocess
import sys
import tempfile

mmusim_bin, src = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(src, "python"))
import mmusim  # noqa: E402

failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL", what)


def cli_stats(trace, *args):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "s.json")
        subprocess.run([mmusim_bin, "--quiet", "--stats-json", out, *args, trace], check=True)
        with open(out) as f:
            return json.load(f)


def same(a, b):
    """Equal statistics: the provenance aside (the library has no command line)."""
    a, b = dict(a), dict(b)
    pa, pb = a.pop("provenance"), b.pop("provenance")
    return a == b and pa["trace"] == pb["trace"] and pa["version"] == pb["version"] and pa["command"] is None



trace = os.path.join(src, "traces", "lazy-tlb.trace")
check(mmusim.version() != "", "version")

# the same statistics as the command, with a preset and keys spelt both ways
got = mmusim.run(trace, preset="zen2", pcid="off", tlb_stlb_entries=1024, **{"cache.l2.size": "1m"})
want = cli_stats(trace, "--preset", "zen2", "--set", "pcid=off", "--set", "tlb.stlb.entries=1024",
                 "--set", "cache.l2.size=1m")
check(same(got, want), "run() == mmusim --stats-json")
check(got["provenance"]["preset"] == "zen2" and got["provenance"]["trace"]["path"] == trace, "provenance")
check(got["config"]["tlb.stlb.entries"] == 1024 and got["config"]["pcid"] == "off", "keys applied")
check(mmusim.run(trace, lazy_tlb=False)["config"]["lazy_tlb"] == "off", "a bool as off")

# records from a generator, as they are made: the file's statistics
with open(trace) as f:
    lines = f.read().splitlines()
records = mmusim.run_records(iter(lines), name=trace)
check(same(records, cli_stats(trace)), "run_records == the file, its hash too")
check(same(mmusim.run_records((l.encode() + b"\n" for l in lines), name=trace), cli_stats(trace)),
      "bytes records")

# one Simulator, several runs, the configuration kept
with mmusim.Simulator("skylake", asids=2) as sim:
    check(sim.get("asids") == "2", "get")
    a = sim.run(trace)
    b = sim.run_text("\n".join(lines) + "\n", name=trace)
    check(same(a, b), "run_text == run")
    check(sim.run_text("mmtrace 1\ncpus 1\n")["provenance"]["trace"]["path"] == "<text>", "run_text's name")
    try:
        sim.get("no_such_key")
        check(False, "get of an unknown key raises")
    except KeyError:
        pass

# errors: the status and the command's message
for call, status, text in [
        (lambda: mmusim.run(trace, nokey=1), 64, "unknown configuration key 'nokey'"),
        (lambda: mmusim.run(trace, preset="pentium"), 64, "unknown preset"),
        (lambda: mmusim.run("/nonexistent.trace"), 66, "cannot read /nonexistent.trace"),
        (lambda: mmusim.run_records(["mmtrace 1", "cpus 1", "0 r 0x1"], name="t"), 65,
         "t:3:3: error: the idle task 0")]:
    try:
        call()
        check(False, "no error for " + text)
    except mmusim.Error as e:
        check(e.status == status and text in str(e), "%s: got %d %s" % (text, e.status, e))


def broken():
    yield "mmtrace 1"
    raise ValueError("the generator's own error")


try:
    mmusim.run_records(broken())
    check(False, "a generator's exception comes back")
except ValueError as e:
    check("own error" in str(e), "the generator's exception")

# a checker violation returns its statistics, as the command writes them
scen = os.path.join(src, "testbench", "scenarios", "checker_catches_skipped_shootdown.trace")
s = mmusim.run(scen, **{"test.skip_shootdowns": "on"})
check(s["check"]["stale_hits"] > 0, "stale hits reported")

# the README's one line to pandas, where pandas is installed
try:
    import pandas
except ImportError:
    pandas = None
if pandas is not None:
    df = pandas.json_normalize([mmusim.run(trace, asids=a) for a in (1, 6)])
    check(list(df["config.asids"]) == [1, 6] and "tlb.hits" in df.columns, "pandas.json_normalize")

print("%s: %d failures" % (os.path.basename(__file__), failures))
sys.exit(1 if failures else 0)
