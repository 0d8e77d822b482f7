#!/usr/bin/env python3
"""Memory is independent of trace length: mmusim's peak RSS on a trace and
on one four times longer (same workload; both many times the reader's
256 KiB block) differ by less than 4 MiB."""
import os
import resource
import subprocess
import sys
import tempfile


def peak_rss_kib(cmd):
    # a fresh Python child per run, so RUSAGE_CHILDREN is that run's peak
    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
             "stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe] + cmd, capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def write_trace(path, accesses):
    with open(path, "w") as f:
        f.write("mmtrace 1\ncpus 2\nproc 1 a\nproc 2 b\n0 switch 1\n1 switch 2\n")
        f.write("0 mmap 0x10000000 0x400000 rw-\n1 mmap 0x10000000 0x400000 rw-\n")
        for i in range(accesses):
            f.write("%d %s 0x%x 8\n" % (i & 1, "rw"[i % 3 == 0], 0x10000000 + (i * 4104) % 0x400000))


def main():
    mmusim = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        short, long_ = os.path.join(tmp, "short.trace"), os.path.join(tmp, "long.trace")
        write_trace(short, 500_000)
        write_trace(long_, 2_000_000)
        a = peak_rss_kib([mmusim, "--quiet", short])
        b = peak_rss_kib([mmusim, "--quiet", long_])
    ok = b - a < 4 * 1024
    print(f"peak RSS {a} KiB on 500k accesses, {b} KiB on 2M accesses: "
          f"{'ok' if ok else 'FAIL: grows with the trace'}")
    print(f"{int(ok)} passed, {int(not ok)} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
