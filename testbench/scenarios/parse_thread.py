#!/usr/bin/env python3
"""The parse stage (--threads 2) changes nothing: long traces that fail
mid-trace (a reader error, an engine error on an access and on another
record, in the text and in the binary form, from a file and from standard
input) give the same message, the same exit status and no statistics file
with one thread and with two; a whole trace gives byte-identical
statistics; and an engine error while the reader waits on a pipe that
stays open ends the run at once instead of waiting for the pipe."""
import os
import re
import subprocess
import sys
import tempfile
import time

HEADER = "mmtrace 1\ncpus 2\nproc 1 a\nproc 2 b\n0 switch 1\n1 switch 2\n" \
         "0 mmap 0x10000000 0x100000 rw- populate\n1 mmap 0x20000000 0x100000 rw-\n"


def body(n, seed):
    lines = []
    for i in range(n):
        cpu = i % 2
        base = 0x10000000 if cpu == 0 else 0x20000000
        lines.append("%d %s 0x%x %d" % (cpu, "rw"[(i * seed) % 3 == 0], base + (i * 4104 * seed) % 0x100000 // 8 * 8, 8))
        if i % 5000 == 4999:
            lines.append("# a comment\n0 syscall\n1 tick 100")
    return "\n".join(lines) + "\n"


# (name, the bad tail after 150000 good accesses)
CASES = [
    ("reader error", "0 r 0x10000000 8\n0 r 0xzz\n"),
    ("engine error on an access", "0 exit\n0 r 0x10000000\n"),
    ("engine error on a record", "1 switch 1\n"),
    ("no error", "0 r 0x10000000\n"),
]


def run(mmusim, args, trace, tmp, stdin=False):
    out = os.path.join(tmp, "s.json")
    if os.path.exists(out):
        os.unlink(out)
    with open(trace if stdin else os.devnull, "rb") as f:
        p = subprocess.run([mmusim, "--quiet", "--stats-json", out, *args, "-" if stdin else trace],
                           stdin=f, capture_output=True, timeout=300)
    blob = open(out, "rb").read() if os.path.exists(out) else None
    if blob is not None:   # its provenance line holds the command (--threads): left out
        blob = re.sub(rb'^  "provenance": .*\n', b"", blob, count=1, flags=re.M)
    return p.returncode, p.stderr, blob


def main():
    mmusim = sys.argv[1]
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, tail) in enumerate(CASES):
            text = os.path.join(tmp, f"case{i}.trace")
            with open(text, "w") as f:
                f.write(HEADER + body(150000, i + 1) + tail)
            packed = os.path.join(tmp, f"case{i}.mmtb")
            pack = subprocess.run([mmusim, "--pack", packed, text], capture_output=True)
            forms = [("text", text, False), ("text on stdin", text, True)]
            if pack.returncode == 0:
                forms += [("binary", packed, False), ("binary on stdin", packed, True)]
            for form, trace, stdin in forms:
                one = run(mmusim, ["--threads", "1"], trace, tmp, stdin)
                two = run(mmusim, ["--threads", "2"], trace, tmp, stdin)
                ok = one == two and (one[0] == 0) == (one[2] is not None) and \
                    (one[0] == 0) == (name == "no error")
                print(f"{'ok  ' if ok else 'FAIL'} {name}, {form}: exit {one[0]} "
                      f"{one[1].decode(errors='replace').strip()[:120]}")
                if not ok:
                    print(f"     two threads: exit {two[0]} {two[1].decode(errors='replace').strip()[:200]}")
                failures += not ok
        # an engine error while the reader blocks on a pipe nobody closes:
        # the error comes early, then more than one read's worth of comments
        # (no records: the reader reads on and waits on the pipe, not on
        # the queue)
        trace = os.path.join(tmp, "early.trace")
        with open(trace, "w") as f:
            f.write(HEADER + "0 exit\n0 r 0x10000000\n" + ("#" + "x" * 1000 + "\n") * 1000)
        t0 = time.monotonic()
        feeder = subprocess.Popen(["sh", "-c", 'cat "$1"; sleep 60', "sh", trace], stdout=subprocess.PIPE)
        p = subprocess.run([mmusim, "--quiet", "--threads", "2", "-"], stdin=feeder.stdout,
                           capture_output=True, timeout=120)
        dt = time.monotonic() - t0
        feeder.kill()
        feeder.wait()
        ok = p.returncode == 65 and dt < 30 and b":10:3: error: after exit" in p.stderr
        print(f"{'ok  ' if ok else 'FAIL'} engine error with the pipe still open: exit {p.returncode} "
              f"after {dt:.1f} s")
        failures += not ok
    print(f"{'all passed' if not failures else f'{failures} failed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
