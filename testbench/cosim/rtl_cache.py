#!/usr/bin/env python3
"""The RTL model cache of --mode cosim (model/sc/rtl_cache.cpp).

  rtl_cache.py prebuild MMUSIM TRACE [OPTIONS]...
      runs TRACE in cosim mode once per OPTIONS (one string each, such as
      "--preset zen2"; "" for the defaults), building into the cache of
      $MMUSIM_RTL_CACHE every model they need: the ctest fixture of the
      cosim tests, which share that cache.
  rtl_cache.py test MMUSIM TRACE
      in caches of its own, empty at the start:
      - two concurrent runs both succeed with fast mode's statistics, and
        exactly one of them says it builds the model;
      - a third run builds nothing (no message) and agrees too, and the
        cache holds the lock and whole model directories only;
      - without verilator on PATH, that cached model is still used;
      - on an empty cache, no verilator, or no C++ compiler, is exit 64
        with one line naming what is missing; a SIGINT while it builds is
        exit 130; a compiler that fails is exit 70 naming the log it left;
        neither leaves a build directory; a model that builds but does not
        load is exit 70 and not cached (the next run builds it again).
"""
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time

# one small model: a 2-set direct-mapped 4K array, no 2M or 1G array, in
# the L1 DTLB and the L1 ITLB (two instances of the one model); no
# paging-structure caches
SMALL = ["--set", "tlb.l1d.4k.entries=2", "--set", "tlb.l1d.4k.ways=1",
         "--set", "tlb.l1d.2m.entries=0", "--set", "tlb.l1d.1g.entries=0",
         "--set", "tlb.l1i.4k.entries=2", "--set", "tlb.l1i.4k.ways=1",
         "--set", "tlb.l1i.2m.entries=0", "--set", "pwc=off"]
BUILDING = "mmusim: building the RTL model of tlb_array 2x1 LRU into {} (once)..."
failures = []


def check(what, ok, detail=""):
    if not ok:
        failures.append(what + (f": {detail}" if detail else ""))


def stats(path):
    """The statistics without provenance and cosim, and the cosim object."""
    with open(path, encoding="utf-8") as f:
        text = re.sub(r'^  "provenance": .*\n', "", f.read(), count=1, flags=re.M)
    m = re.search(r'^  "cosim": (.*),\n', text, flags=re.M)
    cosim = json.loads(m.group(1)) if m else None
    if m:
        text = text[:m.start()] + text[m.end():]
    return text.replace('"mode": "cosim"', '"mode": "fast"', 1), cosim


def cosim_cmd(mmusim, trace, out, extra=SMALL):
    return [mmusim, "--quiet", "--mode", "cosim", "--stats-json", out, *extra, trace]


def env_with(**kw):
    env = dict(os.environ)
    for k, v in kw.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def agrees(what, fast, out, stderr, rc):
    check(f"{what}: exit status {rc}", rc == 0, stderr.strip())
    if rc == 0:
        text, cosim = stats(out)
        check(f"{what}: statistics differ from fast mode", text == fast)
        check(f"{what}: cosim {cosim}", cosim is not None and cosim["mismatches"] == 0
              and cosim["compared"]["l1d"] > 0 and cosim["compared"]["l1i"] > 0)


def test(mmusim, trace):
    with tempfile.TemporaryDirectory() as tmp:
        cache = os.path.join(tmp, "cache")
        env = env_with(MMUSIM_RTL_CACHE=cache)
        subprocess.run([mmusim, "--quiet", "--stats-json", os.path.join(tmp, "fast.json"), *SMALL, trace],
                       check=True)
        fast, _ = stats(os.path.join(tmp, "fast.json"))

        # two at once on an empty cache
        outs = [os.path.join(tmp, f"c{i}.json") for i in range(2)]
        runs = [subprocess.Popen(cosim_cmd(mmusim, trace, o), env=env, stderr=subprocess.PIPE, text=True)
                for o in outs]
        results = [(p.communicate()[1], p.returncode) for p in runs]
        built = 0
        for i, (err, rc) in enumerate(results):
            agrees(f"concurrent run {i}", fast, outs[i], err, rc)
            built += BUILDING.format(cache) in err.splitlines()
            for line in err.splitlines():
                check(f"concurrent run {i}: unexpected message", line == BUILDING.format(cache) or
                      line == f"mmusim: waiting for another mmusim building into {os.path.abspath(cache)}...", line)
        check(f"concurrent runs: {built} said they build the model, expected 1", built == 1)

        # again: from the cache, silently
        p = subprocess.run(cosim_cmd(mmusim, trace, outs[0]), env=env, capture_output=True, text=True)
        agrees("second run", fast, outs[0], p.stderr, p.returncode)
        check("second run: a message on stderr (built again?)", p.stderr == "", p.stderr.strip())
        left = sorted(os.listdir(cache))
        check("the cache holds something else than the lock, the runtime and one model", len(left) == 3 and
              left[0] == "lock" and left[1].startswith("tlb_array-2x1-lru-") and
              left[2].startswith("verilated-"), str(left))

        # no verilator, no compiler: the cached model still serves
        nothing = os.path.join(tmp, "empty-path")
        os.mkdir(nothing)
        p = subprocess.run(cosim_cmd(mmusim, trace, outs[1]), env=env_with(MMUSIM_RTL_CACHE=cache, PATH=nothing),
                           capture_output=True, text=True)
        agrees("cached model without verilator", fast, outs[1], p.stderr, p.returncode)

        # an empty cache without the tools
        empty = os.path.join(tmp, "empty")
        p = subprocess.run(cosim_cmd(mmusim, trace, outs[1]), env=env_with(MMUSIM_RTL_CACHE=empty, PATH=nothing),
                           capture_output=True, text=True)
        want = (f"mmusim: error: --mode cosim: the RTL model of tlb_array 2x1 LRU is not in the cache {empty} "
                "and cannot be built here: verilator not found on PATH (Debian: apt-get install verilator)\n")
        check("no verilator: exit status", p.returncode == 64, str(p.returncode))
        check("no verilator: message", p.stderr == want, p.stderr)
        p = subprocess.run(cosim_cmd(mmusim, trace, outs[1]),
                           env=env_with(MMUSIM_RTL_CACHE=empty, CXX=os.path.join(nothing, "c++")),
                           capture_output=True, text=True)
        check("no compiler: exit status", p.returncode == 64, str(p.returncode))
        check("no compiler: message", p.stderr.count("\n") == 1 and "C++ compiler" in p.stderr and
              "not found" in p.stderr, p.stderr)

        # SIGINT to the process group while it builds: exit 130, nothing left half-built
        stopped = os.path.join(tmp, "stopped")
        p = subprocess.Popen(cosim_cmd(mmusim, trace, outs[1]), env=env_with(MMUSIM_RTL_CACHE=stopped),
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
        first = p.stderr.readline()
        time.sleep(1)
        os.killpg(p.pid, signal.SIGINT)
        rest = p.communicate()[1]
        check("interrupted build: exit status", p.returncode == 130, f"{p.returncode}: {first}{rest}")
        check("interrupted build: not the building message first", first.startswith("mmusim: building"), first)
        check("interrupted build: a build directory or model left",
              not [n for n in os.listdir(stopped) if n.startswith(("tmp-", "tlb_array-"))], str(os.listdir(stopped)))

        # a compiler that fails: exit 70, its log kept, no build directory left
        fake = os.path.join(tmp, "fake-c++")
        with open(fake, "w") as f:
            f.write('#!/bin/sh\nif [ "$1" = --version ]; then echo fake 1; exit 0; fi\n'
                    'echo "fake-c++: cannot compile"; exit 1\n')
        os.chmod(fake, 0o755)
        p = subprocess.run(cosim_cmd(mmusim, trace, outs[1]), env=env_with(MMUSIM_RTL_CACHE=empty, CXX=fake),
                           capture_output=True, text=True)
        check("failing compiler: exit status", p.returncode == 70, f"{p.returncode}: {p.stderr}")
        m = re.search(r"\(its output: (.*)\)$", p.stderr.splitlines()[-1] if p.stderr else "")
        check("failing compiler: no log named", m is not None, p.stderr)
        if m:
            with open(m.group(1)) as f:
                check("failing compiler: the log", "fake-c++: cannot compile" in f.read())
        check("failing compiler: a build directory left",
              not [n for n in os.listdir(empty) if n.startswith("tmp-")], str(os.listdir(empty)))
        # a compiler that "succeeds" with a model that does not load: exit 70, not cached
        junk = os.path.join(tmp, "junk-c++")
        with open(junk, "w") as f:
            f.write('#!/bin/sh\nif [ "$1" = --version ]; then echo junk 1; exit 0; fi\n'
                    'while [ $# -gt 0 ]; do [ "$1" = -o ] && echo junk > "$2"; shift; done; exit 0\n')
        os.chmod(junk, 0o755)
        bad = os.path.join(tmp, "bad")
        for attempt in (1, 2):
            p = subprocess.run(cosim_cmd(mmusim, trace, outs[1]), env=env_with(MMUSIM_RTL_CACHE=bad, CXX=junk),
                               capture_output=True, text=True)
            check(f"model that does not load, run {attempt}: exit status", p.returncode == 70,
                  f"{p.returncode}: {p.stderr}")
            check(f"model that does not load, run {attempt}: message",
                  BUILDING.format(bad) in p.stderr and "it does not load" in p.stderr, p.stderr)
    for f in failures:
        print("FAIL:", f)
    print(f"{'ok' if not failures else 'FAILED'}: the RTL model cache ({len(failures)} failures)")
    return 1 if failures else 0


def prebuild(mmusim, trace, options):
    for opts in options:
        p = subprocess.run([mmusim, "--quiet", "--mode", "cosim", *shlex.split(opts), trace],
                           capture_output=True, text=True)
        sys.stderr.write(p.stderr)
        if p.returncode:
            print(f"FAIL: cosim {opts}: exit status {p.returncode}")
            return 1
    print(f"RTL models of {len(options)} configurations in {os.environ.get('MMUSIM_RTL_CACHE')}")
    return 0


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "prebuild":
        return prebuild(sys.argv[2], sys.argv[3], sys.argv[4:])
    if len(sys.argv) == 4 and sys.argv[1] == "test":
        return test(sys.argv[2], sys.argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
