#!/usr/bin/env python3
"""The region of interest counts exactly what happens inside it.

1. On one-CPU traces (no IPI is ever in flight, so the state after N
   records does not depend on what follows), a run with
   --warmup-records N counts, for every count of the statistics, the
   whole run's value less that of a run of the first N records alone:
   the warm-up's work is in the state and in no count.  Cycles too: the
   region's cycles are the CPU's clock at the end less its clock after N
   records.
2. The same trace with `roi begin` after record N (and no warm-up) gives
   the same counts, its marker apart (records, roi.begin_record).
3. A region is the same however the trace is read: --threads 1 and 2,
   text and .mmtb (the warm-up ends inside a batch of accesses there),
   and on a multi-CPU trace with shootdowns too.
4. The checker's stale hits count the whole run: a violation in the
   warm-up still fails the run.
Also: the counts by page size (tlb.by_page_size) add up to each
structure's counts.
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GEN = os.path.join(ROOT, "scripts", "gen-workload")
# what is not a count: derived rates and quantiles, state at the end
NOT_COUNTS = ("hit_rate", "mpki", "mean", "p50", "p90", "p99", "max")
SKIP_TOP = ("schema", "complete", "mode", "provenance", "config", "roi", "processes",
            "address_space", "mm_totals", "tasks")
TASK_COUNTS = ("cycles", "accesses", "tlb_misses", "l1d_misses", "l1i_misses", "stlb_misses",
               "walks", "walk_cycles", "page_faults")


def task_leaves(data):
    """The tasks' counts by (PID, COMM) (runs is not additive: a task
    running as the region begins has a run in it)."""
    for row in data["tasks"]:
        for k in TASK_COUNTS:
            yield "tasks.%d.%s.%s" % (row["pid"], row["comm"], k), row[k]


def run(mmusim, trace, out, *args):
    if os.path.exists(out):
        os.unlink(out)
    p = subprocess.run([mmusim, "--quiet", "--stats-json", out, *args, trace],
                       capture_output=True, text=True)
    data = None
    if os.path.exists(out):
        with open(out, encoding="utf-8") as f:
            data = json.load(f)
        data.pop("provenance", None)
    return p.returncode, p.stderr, data


def leaves(node, path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            if path == "" and k in SKIP_TOP:
                continue
            yield from leaves(v, path + k + ".")
    elif path.endswith("hist."):   # [lo, hi, count] up to the highest bucket used
        for lo, hi, count in node:
            yield "%s%d-%d" % (path, lo, hi), count
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from leaves(v, path + str(i) + ".")
    elif isinstance(node, int) and not isinstance(node, bool):
        name = path[:-1]
        if name.rsplit(".", 1)[-1] not in NOT_COUNTS and not name.endswith(".id"):
            yield name, node


def split(path):
    """The header lines and the record lines of a text trace."""
    head, recs = [], []
    with open(path, encoding="ascii") as f:
        for line in f:
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            (recs if len(head) == 2 else head).append(line if line.endswith("\n") else line + "\n")
    return head, recs


def main():
    mmusim = sys.argv[1]
    failures = 0

    def check(cond, what):
        nonlocal failures
        print(("ok   " if cond else "FAIL ") + what)
        failures += not cond

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "s.json")
        one_cpu = []
        for name, params in (("asid-pressure", ["rounds=60"]), ("kthread-pingpong", ["rounds=300"])):
            t = os.path.join(tmp, name + ".trace")
            subprocess.run([sys.executable, GEN, "--seed", "3", "-o", t, name, *params], check=True)
            one_cpu.append(t)
        for t in one_cpu:
            head, recs = split(t)
            _, _, full = run(mmusim, t, out)
            for n in (1, 7, len(recs) // 3, len(recs) // 2 + 5, len(recs) - 1):
                prefix = os.path.join(tmp, "prefix.trace")
                with open(prefix, "w", encoding="ascii") as f:
                    f.writelines(head + recs[:n])
                _, _, pre = run(mmusim, prefix, out)
                rc, _, roi = run(mmusim, t, out, "--warmup-records", str(n))
                want = dict(leaves(full), **dict(task_leaves(full)))
                less = dict(leaves(pre), **dict(task_leaves(pre)))
                got = dict(leaves(roi), **dict(task_leaves(roi)))
                bad = [k for k in set(want) | set(less) | set(got)
                       if got.get(k, 0) != want.get(k, 0) - less.get(k, 0)]
                bad += [k for k in ("accesses", "tlb.misses", "walks.count", "cycles") if k not in got]
                check(rc == 0 and not bad and roi["roi"] == {"begin_record": n, "end_record": len(recs)},
                      "%s: --warmup-records %d counts the whole run less its first %d records%s"
                      % (os.path.basename(t), n, n, "" if not bad else " (differ: %s)" % bad[:5]))
                marked = os.path.join(tmp, "marked.trace")
                with open(marked, "w", encoding="ascii") as f:
                    f.writelines(head + recs[:n] + ["roi begin\n"] + recs[n:])
                rc, _, m = run(mmusim, marked, out)
                mine = dict(leaves(m), **dict(task_leaves(m)))
                bad = [k for k in got if k != "records" and mine.get(k) != got[k]]
                check(rc == 0 and not bad and m["roi"] == {"begin_record": n + 1, "end_record": len(recs) + 1},
                      "%s: 'roi begin' after record %d counts the same%s"
                      % (os.path.basename(t), n, "" if not bad else " (differ: %s)" % bad[:5]))

        # 3: however read; the mixed workload has shootdowns on 4 CPUs
        mixed = os.path.join(tmp, "mixed.trace")
        subprocess.run([sys.executable, GEN, "--seed", "5", "-o", mixed, "mixed", "accesses=60000"], check=True)
        packed = os.path.join(tmp, "mixed.mmtb")
        subprocess.run([mmusim, "--pack", packed, mixed], check=True, capture_output=True)
        for n in ("1000", "12345"):
            outs = []
            for t in (mixed, packed):
                for threads in ("1", "2"):
                    rc, _, d = run(mmusim, t, out, "--warmup-records", n, "--threads", threads)
                    outs.append((rc, d))
            check(all(o == outs[0] for o in outs) and outs[0][1]["roi"]["begin_record"] == int(n),
                  "mixed: --warmup-records %s the same with text and .mmtb, 1 and 2 threads" % n)
            rc, _, d = run(mmusim, mixed, out, "--warmup-records", n)
            rc2, _, e = run(mmusim, mixed, out)
            check(d["accesses"] < e["accesses"] and d["records"] == e["records"] - int(n),
                  "mixed: the region has fewer accesses and %s fewer records" % n)

        # the counts by page size add up to the structures' counts
        t = e["tlb"]
        by = t["by_page_size"]
        check(sum(by[z]["l1d_hits"] for z in by) == t["l1d"]["hits"] > 0 and
              sum(by[z]["l1i_hits"] for z in by) == t["l1i"]["hits"] and
              sum(by[z]["stlb_hits"] for z in by) == t["stlb"]["hits"] > 0 and
              0 < sum(by[z]["misses"] for z in by) <= t["misses"] and
              t["l1d"]["lookups"] == t["l1d"]["hits"] + t["l1d"]["misses"],
              "mixed: the counts by page size add up to each structure's")

        # the tasks' counts add up to the machine's, warm-up or not
        for args in ([], ["--warmup-records", "777"]):
            _, _, d = run(mmusim, mixed, out, *args)
            rows = d["tasks"]
            total = lambda k: sum(r[k] for r in rows)
            check(len(rows) > 4 and total("accesses") == d["accesses"] and
                  total("tlb_misses") == d["tlb"]["misses"] and total("walks") == d["walks"]["count"] and
                  total("stlb_misses") == d["tlb"]["stlb"]["misses"] and
                  total("l1d_misses") == d["tlb"]["l1d"]["misses"] and
                  total("page_faults") == d["faults"]["total"] and
                  total("walk_cycles") == d["walks"]["cycles"] and
                  total("cycles") == sum(c["cycles"] for c in d["cpus"]),
                  "mixed %s: the tasks' counts add up to the machine's" % " ".join(args))

        # 4: a stale hit in the warm-up fails the run
        sc = os.path.join(ROOT, "testbench", "scenarios", "checker_catches_skipped_shootdown.trace")
        _, recs = split(sc)
        rc, err, d = run(mmusim, sc, out, "--set", "test.skip_shootdowns=on",
                         "--warmup-records", str(len(recs)))
        check(rc == 1 and d is not None and d["check"]["stale_hits"] > 0 and d["accesses"] == 0,
              "a stale hit in the warm-up counts in check.stale_hits and fails the run (exit 1)")
        check("ended in its warm-up" not in err,
              "a warm-up of every record is not one that outlasts the trace")
        rc, err, d = run(mmusim, sc, out, "--warmup-records", str(len(recs) + 1))
        check("mmusim: warning: the trace ended in its warm-up" in err and d["accesses"] == 0,
              "a warm-up longer than the trace: a warning, and nothing counted")
        # 5: the importers' writer writes the markers
        sys.path.insert(0, os.path.join(ROOT, "scripts"))
        from mmtrace import TraceWriter
        written = os.path.join(tmp, "written.trace")
        with open(written, "w", encoding="ascii") as f:
            w = TraceWriter(f, 1)
            w.proc(1, "a")
            w.switch(0, 1)
            w.cpu_line(0, "mmap 0x10000 0x1000 rw- populate")
            w.user_ops(0, ["r 0x10000"])
            w.roi("begin")
            w.user_ops(0, ["r 0x10000", "r 0x10008"])
            w.roi("end")
            w.flush()
        rc, _, d = run(mmusim, written, out)
        check(rc == 0 and d["accesses"] == 2 and d["tlb"]["hits"] == 2 and d["roi"]["begin_record"] == 5,
              "TraceWriter.roi writes markers mmusim takes")
        try:
            w.roi("middle")
            check(False, "TraceWriter.roi refuses an unknown marker")
        except ValueError:
            check(True, "TraceWriter.roi refuses an unknown marker")
    print("%d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
