#!/usr/bin/env python3
"""Checks the VCD of systemc mode against the run's statistics.

Runs a small trace with --vcd, converts it with GTKWave's vcd2fst (which
must accept it), then reads it (vcd.py) and asserts: every expected signal
exists per CPU; per CPU the rising edges of walk_active equal the CPU's
walks.count, the final hits/misses counters equal its TLB hits/misses,
the pid signal takes every PID the trace switches that CPU to; the
machine's shootdown edges, IPIs and page-table reads equal the JSON; the
clock has one rising edge per cycle of the window.  Then a windowed run
(--vcd-from/--vcd-to) must stay inside its window and be smaller.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vcd import read_vcd  # noqa: E402

CPU_SIGNALS = ["clk", "pid", "user_mode", "cr3", "pcid", "lookup_valid", "lookup_va",
               "lookup_kind", "l1_hit", "stlb_hit", "walk_active", "walk_level", "walk_pte_pa",
               "page_fault", "fault_va", "ipi_sent", "ipi_received", "shootdown", "hits",
               "misses", "walks", "faults", "line"]
OTHER_SIGNALS = ["ipi.in_flight", "ipi.last_from", "ipi.last_to", "ipi.sent",
                 "memory.req_valid", "memory.req_addr", "memory.req_write", "memory.req_cpu",
                 "memory.req_src", "memory.reads", "memory.writes"]
UNITS_PER_CYCLE = 10   # timescale 100 ps, 1 cycle = 1 ns


class Checker:
    def __init__(self):
        self.failures = 0

    def eq(self, what, got, want):
        if got != want:
            print(f"FAIL {what}: got {got}, want {want}", file=sys.stderr)
            self.failures += 1

    def true(self, what, cond):
        if not cond:
            print(f"FAIL {what}", file=sys.stderr)
            self.failures += 1


def switched_pids(trace):
    pids = {}
    with open(trace, encoding="ascii") as f:
        for line in f:
            fields = line.split("#")[0].split()
            if len(fields) == 3 and fields[1] == "switch":
                pids.setdefault(int(fields[0]), set()).add(int(fields[2], 0))
    return pids


def cpu_lines(trace):
    """The line numbers of each CPU's records."""
    lines = {}
    with open(trace, encoding="ascii") as f:
        for n, line in enumerate(f, 1):
            fields = line.split("#")[0].split()
            if fields and fields[0].lstrip("@").isdigit() and len(fields) > 1:
                cpu = fields[1] if fields[0].startswith("@") else fields[0]
                lines.setdefault(int(cpu), []).append(n)
    return lines


def run(mmusim, trace, vcd, json_path, extra=()):
    cmd = [mmusim, "--mode", "systemc", "--quiet", "--stats-json", json_path, "--vcd", vcd,
           *extra, trace]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr}")
    with open(json_path, encoding="utf-8") as f:
        return json.load(f)


def check_full(c, vcd_path, stats, trace):
    vcd = read_vcd(vcd_path)
    c.eq("timescale", vcd.timescale, "100ps")
    sig = vcd.signals
    for name in OTHER_SIGNALS:
        c.true(f"signal mmusim.{name} exists", "mmusim." + name in sig)
    pids = switched_pids(trace)
    lines = cpu_lines(trace)
    for cpu in stats["cpus"]:
        i = cpu["id"]
        p = f"mmusim.cpu{i}."
        for name in CPU_SIGNALS:
            c.true(f"signal {p}{name} exists", p + name in sig)
        c.eq(f"cpu{i} walk_active rising edges", sig[p + "walk_active"].rising_edges(),
             cpu["walks"]["count"])
        c.eq(f"cpu{i} walks counter", sig[p + "walks"].final() or 0, cpu["walks"]["count"])
        c.eq(f"cpu{i} hits counter", sig[p + "hits"].final() or 0, cpu["tlb"]["hits"])
        c.eq(f"cpu{i} misses counter", sig[p + "misses"].final() or 0, cpu["tlb"]["misses"])
        mine = lines.get(i, [])
        shown = set(sig[p + "line"].values()) - {0}
        c.true(f"cpu{i} line shows only its records' lines ({sorted(shown - set(mine))[:5]} are not)",
               shown <= set(mine))
        c.true(f"cpu{i} line shows most of its {len(mine)} records (saw {len(shown)})",
               len(shown) * 2 >= len(mine))
        c.eq(f"cpu{i} line at the end", sig[p + "line"].final() or 0, mine[-1] if mine else 0)
        seen = set(sig[p + "pid"].values())
        c.true(f"cpu{i} pid takes {sorted(pids.get(i, set()))} (saw {sorted(seen)})",
               pids.get(i, set()) <= seen)
        # one rising clock edge per cycle, from cycle 0 to the end of the run
        edges = sig[p + "clk"].rising_edges()
        c.true(f"cpu{i} clock edges {edges} cover the run ({stats['cycles']} cycles)",
               edges == stats["cycles"])
    c.eq("shootdown rising edges", sum(sig[f"mmusim.cpu{x['id']}.shootdown"].rising_edges()
                                       for x in stats["cpus"]), stats["shootdowns"]["initiated"])
    c.eq("ipi.sent", sig["mmusim.ipi.sent"].final() or 0, stats["shootdowns"]["ipis"])
    c.eq("ipi_received rising edges", sum(sig[f"mmusim.cpu{x['id']}.ipi_received"].rising_edges()
                                          for x in stats["cpus"]), stats["shootdowns"]["ipis"])
    c.eq("memory.reads", sig["mmusim.memory.reads"].final() or 0, stats["walks"]["mem_refs"])
    c.eq("ipi.in_flight at the end", sig["mmusim.ipi.in_flight"].final(), 0)
    c.true("some shootdown in the trace", stats["shootdowns"]["initiated"] > 0)
    c.true("some walk in the trace", stats["walks"]["count"] > 0)


def check_window(c, vcd_path, full_size, first, last):
    vcd = read_vcd(vcd_path)
    c.true("windowed VCD has changes", len(vcd.times) > 0)
    c.eq("window starts at --vcd-from", vcd.times[0], first * UNITS_PER_CYCLE)
    c.true("window ends by --vcd-to", vcd.times[-1] <= (last + 1) * UNITS_PER_CYCLE)
    c.eq("clock edges in the window", vcd.signals["mmusim.cpu0.clk"].rising_edges(),
         last - first + 1)
    c.true("windowed VCD is smaller", os.path.getsize(vcd_path) < full_size)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("mmusim")
    ap.add_argument("vcd2fst")
    ap.add_argument("trace")
    args = ap.parse_args()
    c = Checker()
    with tempfile.TemporaryDirectory() as tmp:
        vcd = os.path.join(tmp, "run.vcd")
        stats = run(args.mmusim, args.trace, vcd, os.path.join(tmp, "run.json"))
        p = subprocess.run([args.vcd2fst, vcd, os.path.join(tmp, "run.fst")],
                           capture_output=True, text=True)
        c.eq(f"vcd2fst exit status ({p.stderr.strip()})", p.returncode, 0)
        check_full(c, vcd, stats, args.trace)
        first, last = 1000, 3000
        wvcd = os.path.join(tmp, "window.vcd")
        wstats = run(args.mmusim, args.trace, wvcd, os.path.join(tmp, "window.json"),
                     ["--vcd-from", str(first), "--vcd-to", str(last)])
        c.eq("statistics do not depend on the VCD window", wstats["walks"], stats["walks"])
        check_window(c, wvcd, os.path.getsize(vcd), first, last)
    if c.failures:
        sys.exit(f"{c.failures} checks failed")
    print("VCD checks passed")


if __name__ == "__main__":
    main()
