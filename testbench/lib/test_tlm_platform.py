#!/usr/bin/env python3
"""examples/tlm-platform as a user builds it (docs/tlm-platform.md): install
mmusim into a temporary prefix, configure and build the example against
that prefix alone (find_package(mmusim COMPONENTS systemc); no include
path into the source or build tree), run it and compare its output with
the translations and walk accesses derived by hand below; the same through
pkg-config (mmusim-systemc); then again after moving the prefix.  Skipped
(status 77) when the SystemC layer is not built.

  test_tlm_platform.py BUILD_DIR SOURCE_DIR CXX_COMPILER CMAKE SYSTEMC
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

build, src, cxx, cmake, systemc = sys.argv[1:6]
if systemc != "ON":
    print("skipped: the SystemC layer is not built (configure with -DMMUSIM_HW_LAYERS=ON "
          "and SystemC found, e.g. libsystemc-dev), so there is no TLM MMU to install")
    sys.exit(77)
example = os.path.join(src, "examples", "tlm-platform")
failures = 0

# What the example must print.  The page tables are platform.cpp's (4-level
# paging, SDM Vol.3A 4.5): PML4 0x1000; PML4[0] -> PDPT 0x2000, PDPT[0] ->
# PD 0x3000, PD[2] -> PT 0x4000 (0x400000-0x5fffff), PT[0..2] text, data,
# bss (bss clean: D clear), PT[3] empty; PD[3] a 2 MiB page; PML4[255] ->
# PDPT 0x5000 -> PD 0x6000 -> PT 0x7000, PT[511] the stack page.  Every
# table entry already has A set (Linux's _PAGE_TABLE is P|RW|US|A|D), so no
# walk writes A; an entry's address is table + 8 * index.  The preset is
# skylake: L1 DTLB/ITLB and STLB empty at CR3's write, paging-structure
# caches PML4E 2, PDPTE 4, PDE 32 entries, empty too.
#
#  1 fetch 0x400000: every cache misses: the walk reads PML4E 0x1000,
#    PDPTE 0x2000, PDE 0x3010, PTE 0x4000 = 4 reads; fills the L1 ITLB, the
#    STLB and the three PSCs (keys va>>39 = 0, va>>30 = 0, va>>21 = 2).
#  2 load 0x401008: L1 DTLB and STLB miss; the PDE cache hits (va>>21 = 2),
#    so the walk reads only PTE 0x4008 = 1 read.
#  3 store 0x401010: L1 DTLB hit on the dirty data page = 0 reads.
#  4 load 0x402000: PDE cache hit, PTE 0x4010 = 1 read; the entry is clean.
#  5 store 0x402008: L1 DTLB hit, but the entry is clean: the D-assist walk
#    (PDE cache hit) reads PTE 0x4010 and writes D = 1 read, 1 write (SDM
#    4.8); the translation is still the L1's.
#  6 load 0x600040: the PDE cache misses (va>>21 = 3), the PDPTE cache hits
#    (va>>30 = 0): the walk reads PDE 0x3018, a 2 MiB leaf = 1 read.
#  7 store 0x7ffffffff008: PML4 index 255: every PSC misses: PML4E 0x17f8,
#    PDPTE 0x5ff8, PDE 0x6ff8, PTE 0x7ff8 = 4 reads (dirty page: no write).
#  8 store 0x400010: L1 DTLB miss, STLB hit on the text page (from 1),
#    read-only: #PF P|W|U = 0x7 from the entry, 0 reads.  A #PF invalidates
#    the TLB entries and the paging-structure-cache entries of its address
#    (SDM 4.10.4.1; hw/mmu.c fault_invalidate): PDE key 2, PDPTE key 0,
#    PML4E key 0 are gone.
#  9 fetch 0x401000: L1 ITLB miss, STLB hit on the data page (from 2), NX:
#    #PF P|U|I = 0x15, 0 reads.
# 10 load 0x403000: TLB miss, and the PSC entries 8 dropped: a full walk,
#    0x1000, 0x2000, 0x3010, PTE 0x4018 not present = 4 reads, #PF U = 0x4.
# Then, in the platform's memory, whose storage is its own (the MMU's
# phys_mem never holds a table, so every entry a walk uses came back
# through the walk socket):
#  - PT[2] at 0x4010 reads back 0x...102027 | D (0x40) = 0x8000000000102067:
#    the D-assist's write of 5 reached the memory.
#  - the CPU writes PT[1] = 0x104000 | DATA (0x8000000000104067), then
#    INVLPG 0x401000: the L1 DTLB and STLB entries of the page go, and all
#    PSC entries of PCID 1 (SDM 4.10.4.1; hw/mmu.c mmu_invlpg).
# 11 load 0x401008: TLB and PSC miss: PML4E 0x1000, PDPTE 0x2000, PDE
#    0x3010, PTE 0x4008 = 4 reads; the new entry (A and D set): 0x104008.
#    Only a walk that read the memory's new entry gives 0x104008.
# Walk reads 4+1+0+1+1+1+4+0+0+4+4 = 20, A/D writes 1; 12 entries written
# by the CPU (PT[3] is left 0; PT[1] twice).
EXPECTED = """\
page table  PML4[0]     -> PDPT 0x2000                         at 0x1000 = 0x0000000000002067
page table  PDPT[0]     -> PD 0x3000                           at 0x2000 = 0x0000000000003067
page table  PD[2]       -> PT 0x4000 (0x400000-0x5fffff)       at 0x3010 = 0x0000000000004067
page table  PT[0]       text  0x400000 -> 0x100000, read-only  at 0x4000 = 0x0000000000100025
page table  PT[1]       data  0x401000 -> 0x101000, dirty      at 0x4008 = 0x8000000000101067
page table  PT[2]       bss   0x402000 -> 0x102000, clean      at 0x4010 = 0x8000000000102027
page table  PD[3]       heap  0x600000 -> 0x200000, 2 MiB page at 0x3018 = 0x80000000002000e7
page table  PML4[255]   -> PDPT 0x5000                         at 0x17f8 = 0x0000000000005067
page table  PDPT[511]   -> PD 0x6000                           at 0x5ff8 = 0x0000000000006067
page table  PD[511]     -> PT 0x7000                           at 0x6ff8 = 0x0000000000007067
page table  PT[511]     stack 0x7ffffffff000 -> 0x103000       at 0x7ff8 = 0x8000000000103067
CR3         0x1001 (PML4 0x1000, PCID 1)
 1 fetch 0x400000        -> 0x100000         walk    walk reads 4, A/D writes 0
 2 load  0x401008        -> 0x101008         walk    walk reads 1, A/D writes 0
 3 store 0x401010        -> 0x101010         L1 TLB  walk reads 0, A/D writes 0
 4 load  0x402000        -> 0x102000         walk    walk reads 1, A/D writes 0
 5 store 0x402008        -> 0x102008         L1 TLB  walk reads 1, A/D writes 1
 6 load  0x600040        -> 0x200040         walk    walk reads 1, A/D writes 0
 7 store 0x7ffffffff008  -> 0x103008         walk    walk reads 4, A/D writes 0
 8 store 0x400010        -> #PF error 0x7    STLB    walk reads 0, A/D writes 0
 9 fetch 0x401000        -> #PF error 0x15   STLB    walk reads 0, A/D writes 0
10 load  0x403000        -> #PF error 0x4    walk    walk reads 4, A/D writes 0
memory      PT[2] at 0x4010 = 0x8000000000102067 after the walks
page table  PT[1]       data  0x401000 -> 0x104000, moved      at 0x4008 = 0x8000000000104067
INVLPG      0x401000
11 load  0x401008        -> 0x104008         walk    walk reads 4, A/D writes 0
total       11 translations, 3 page faults; page-table entries written 12; walk reads 20, A/D writes 1 (the MMU counted 20 walk reads)
"""


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL", what)
    return cond


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode:
        print("$ " + " ".join(cmd) + "\n" + p.stdout + p.stderr)
    return p


def run_platform(exe, label):
    env = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")
    p = subprocess.run([exe], capture_output=True, text=True, env=env)
    if not check(p.returncode == 0 and p.stdout == EXPECTED and p.stderr == "",
                 label + ": tlm-platform prints the translations derived by hand, status 0"):
        print("status %d; stdout:\n%s\nstderr:\n%s" % (p.returncode, p.stdout, p.stderr))


def outside(path, label):
    """An include or library path the build used lies outside the source and build trees."""
    real = os.path.realpath(path)
    for tree in (src, build):
        tree = os.path.realpath(tree)
        if real == tree or real.startswith(tree + os.sep):
            return check(False, label + ": %s is not in the source or build tree" % path)
    return True


def exercise(prefix, tmp, label):
    libdir = None
    for root, _dirs, files in os.walk(prefix):
        if "libmmusim_systemc.a" in files:
            libdir = root
    if not check(libdir is not None, label + ": libmmusim_systemc.a is installed"):
        return
    # CMake: find_package(mmusim COMPONENTS systemc), this prefix only
    bdir = os.path.join(tmp, "build-" + label)
    p = run([cmake, "-S", example, "-B", bdir, "-DCMAKE_PREFIX_PATH=" + prefix,
             "-DCMAKE_CXX_COMPILER=" + cxx, "-DCMAKE_CXX_FLAGS=-Werror", "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON",
             "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF"])
    if not check(p.returncode == 0, label + ": the example configures against the prefix"):
        return
    with open(os.path.join(bdir, "CMakeCache.txt")) as f:
        cache = f.read()
    check("mmusim_DIR:PATH=" + os.path.join(libdir, "cmake", "mmusim") in cache,
          label + ": mmusim_DIR is the prefix's package")
    p = run([cmake, "--build", bdir])
    if not check(p.returncode == 0, label + ": the example builds"):
        return
    with open(os.path.join(bdir, "compile_commands.json")) as f:
        for cmd in json.load(f):
            for word in cmd["command"].split():
                for flag in ("-I", "-isystem"):
                    if word.startswith(flag) and len(word) > len(flag):
                        outside(word[len(flag):], label)
            words = cmd["command"].split()
            for i, word in enumerate(words[:-1]):
                if word == "-isystem":
                    outside(words[i + 1], label)
    archives = set()
    for root, _dirs, files in os.walk(bdir):
        for name in files:
            if name in ("build.ninja", "link.txt"):
                with open(os.path.join(root, name)) as f:
                    archives.update(w for w in f.read().split() if w.endswith("libmmusim_systemc.a"))
    check(archives == {os.path.join(libdir, "libmmusim_systemc.a")},
          label + ": it links the prefix's libmmusim_systemc.a (%s)" % sorted(archives))
    run_platform(os.path.join(bdir, "tlm-platform"), label + " (CMake)")
    # pkg-config: mmusim-systemc
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(libdir, "pkgconfig"))
    flags = run(["pkg-config", "--cflags", "--libs", "mmusim-systemc"], env=env)
    if check(flags.returncode == 0, label + ": pkg-config mmusim-systemc"):
        for word in flags.stdout.split():
            if word.startswith(("-I", "-L")):
                outside(word[2:], label)
        exe = os.path.join(tmp, "tlm-platform-pc-" + label)
        p = run([cxx, "-std=c++17", "-Werror", "-Wall", "-Wextra", os.path.join(example, "platform.cpp"),
                 "-o", exe, *flags.stdout.split()])
        if check(p.returncode == 0, label + ": c++ platform.cpp $(pkg-config --cflags --libs mmusim-systemc)"):
            run_platform(exe, label + " (pkg-config)")


with tempfile.TemporaryDirectory(prefix="mmusim-tlm-") as tmp:
    prefix = os.path.join(tmp, "prefix")
    p = run([cmake, "--install", build, "--prefix", prefix])
    if not check(p.returncode == 0, "cmake --install"):
        sys.exit(1)
    exercise(prefix, tmp, "installed")
    moved = os.path.join(tmp, "elsewhere", "prefix")
    os.makedirs(os.path.dirname(moved))
    shutil.move(prefix, moved)
    exercise(moved, tmp, "moved")

print("%s: %d failures" % (os.path.basename(__file__), failures))
sys.exit(1 if failures else 0)
