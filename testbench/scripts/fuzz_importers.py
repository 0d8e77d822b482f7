#!/usr/bin/env python3
"""A seeded random mutator over the importers' parsers (issue 15; no
Atheris: Debian packages none): import-lackey on a Lackey log and
import-sched on the real scheduler traces of traces/real, each mutated
by byte flips, insertions, deletions, and line deletions, duplications,
swaps and splices.  Every run must end in success or an error message,
never a traceback or a raw [Errno]; a success's trace must be one
mmusim accepts (--parse-only); a failure must leave no OUT and no temp
file.  Same seed, same inputs.

usage: fuzz_importers.py [--seed N] [--runs N]   (ctest: seed 15, 25 runs per tool)
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile

from common import MMUSIM, REAL_TRACES, script

LACKEY = b"""==123== Lackey, an example Valgrind tool
==123== Command: ./a.out
I  04016e0,3
 L 1ffefffd78,8
 S 1ffefffd70,8
 M 0421fc8,4
I  0401ffe,4
 L ffffffffff600000,8
==123== Counted 1 call to main()
"""
TOKENS = [b"0x", b"ffffffffffffffff", b"-1", b"nan", b"\x00", b"\xff", b" ", b"\t", b",",
          b"prev_pid=", b"next_pid=", b"sched_switch", b"==", b"99999999999999999999", b":", b"\n"]


def mutate(rng, data):
    lines = data.split(b"\n")
    for _ in range(rng.randint(1, 6)):
        k = rng.randrange(7)
        if k == 0 and data:
            i = rng.randrange(len(data))
            data = data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1:]
        elif k == 1:
            i = rng.randrange(len(data) + 1)
            data = data[:i] + rng.choice(TOKENS) + data[i:]
        elif k == 2 and data:
            i = rng.randrange(len(data))
            data = data[:i] + data[i + rng.randint(1, 16):]
        else:
            lines = data.split(b"\n")
            if len(lines) < 2:
                continue
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            if k == 3:
                del lines[i]
            elif k == 4:
                lines.insert(i, lines[j])
            elif k == 5:
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines[i] = lines[i][:len(lines[i]) // 2] + lines[j][len(lines[j]) // 2:]
            data = b"\n".join(lines)
    return data


def check_one(tool, args, data, tmp):
    src = os.path.join(tmp, "in")
    out = os.path.join(tmp, "out.trace")
    with open(src, "wb") as f:
        f.write(data)
    p = subprocess.run([sys.executable, script(tool), *args, src, out], capture_output=True, text=True,
                       errors="replace", timeout=120)
    problems = []
    if "Traceback" in p.stderr or "[Errno" in p.stderr:
        problems.append("traceback or raw errno:\n" + p.stderr[-2000:])
    if p.returncode == 0:
        q = subprocess.run([MMUSIM, "--parse-only", out], capture_output=True, text=True, errors="replace")
        if q.returncode != 0:
            problems.append("wrote a trace mmusim rejects: " + q.stderr.strip())
    elif os.path.exists(out):
        problems.append(f"exit {p.returncode} left OUT behind")
    left = set(os.listdir(tmp)) - {"in", "out.trace"}
    if left:
        problems.append(f"left temp files {sorted(left)}")
    if os.path.exists(out):
        os.unlink(out)
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--runs", type=int, default=25)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    seeds = {"import-lackey": [LACKEY], "import-sched": []}
    for name in sorted(os.listdir(REAL_TRACES)):
        if name.endswith(".txt"):
            with open(os.path.join(REAL_TRACES, name), "rb") as f:
                seeds["import-sched"].append(b"".join(f.readlines()[:80]))
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for tool, inputs in seeds.items():
            args = ["--no-snapshot", "--no-elf"] if tool == "import-sched" else []
            for i in range(a.runs):
                data = mutate(rng, rng.choice(inputs))
                for p in check_one(tool, args, data, tmp):
                    failures += 1
                    keep = os.path.join(tempfile.gettempdir(), f"fuzz-{tool}-{a.seed}-{i}.in")
                    with open(keep, "wb") as f:
                        f.write(data)
                    print(f"{tool} run {i} (input kept in {keep}): {p}")
            print(f"{tool}: {a.runs} mutated inputs, seed {a.seed}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
