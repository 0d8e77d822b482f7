#!/usr/bin/env python3
"""`cmake --install` as a user gets it, into a temporary prefix: the files
are there; a C program built through pkg-config and a CMake project built
through find_package(mmusim), shared and static, give the statistics the
installed mmusim writes; the Python module imports from the prefix; the
scripts' wrappers run with the installation's mmusim; and all of it still
works after the prefix is moved elsewhere.  With the SystemC layer built
(SYSTEMC = ON) its archive, headers, mmusim-systemc.pc and the package's
component systemc are there; without it none of them, and
find_package(mmusim COMPONENTS systemc) fails saying why
(test_tlm_platform.py builds a platform against them).

  test_install.py BUILD_DIR SOURCE_DIR C_COMPILER CMAKE SYSTEMC
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

build, src, cc, cmake, systemc = sys.argv[1:6]
systemc = systemc == "ON"
trace = os.path.join(src, "traces", "shootdown.trace")
failures = 0

PROGRAM = r"""
#include <stdio.h>
#include <mmusim/mmusim.h>
int main(int argc, char **argv)
{
	mmusim *m;
	int rc = mmusim_open(&m, "zen2");
	if (!rc) rc = mmusim_set(m, "pcid", "off");
	if (!rc) rc = mmusim_run_file(m, argv[1]);
	if (rc > MMUSIM_CHECK) { fprintf(stderr, "%s\n", mmusim_error(m)); return rc; }
	fputs(mmusim_stats_json(m), stdout);
	mmusim_close(m);
	return 0;
}
"""

# The SystemC layer's files (cmake/install.cmake), all or none.
SYSTEMC_FILES = ["lib/libmmusim_systemc.a", "lib/pkgconfig/mmusim-systemc.pc"] + [
    "include/mmusim/" + h for h in ["sc/mmu_tlm.h", "base/config.h", "base/phys.h", "base/stats.h",
                                    "hw/mmu.h", "hw/cache.h", "hw/paging.h", "hw/tlb.h", "hw/tlb_fast.h"]]

# find_package(mmusim COMPONENTS systemc), optional then required: no
# compiler needed, the component is only looked up.
COMPONENT_PROJECT = """cmake_minimum_required(VERSION 3.16)
project(asks_for_systemc NONE)
find_package(mmusim 0.1 REQUIRED OPTIONAL_COMPONENTS systemc)
message(STATUS "optional: mmusim_systemc_FOUND=[${mmusim_systemc_FOUND}]")
if(TARGET mmusim::systemc)
  get_target_property(inc mmusim::systemc INTERFACE_INCLUDE_DIRECTORIES)
  message(STATUS "includes: ${inc}")
endif()
find_package(mmusim 0.1 REQUIRED COMPONENTS systemc)
message(STATUS "required: found")
"""

PROJECT = """cmake_minimum_required(VERSION 3.16)
project(uses_mmusim C)
find_package(mmusim 0.1 REQUIRED)
add_executable(app_shared app.c)
target_link_libraries(app_shared PRIVATE mmusim::mmusim)
add_executable(app_static app.c)
target_link_libraries(app_static PRIVATE mmusim::mmusim_static)
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


def strip(text):
    """The statistics without their provenance line (the library's has no command line)."""
    return re.sub(r'^  "provenance": .*\n', "", text, count=1, flags=re.M)


def find(prefix, pattern_dir, name):
    for root, _dirs, files in os.walk(os.path.join(prefix, pattern_dir)):
        if name in files or name in _dirs:
            return os.path.join(root, name)
    return None


with tempfile.TemporaryDirectory(prefix="mmusim-install-") as tmp:
    prefix = os.path.join(tmp, "prefix")
    p = run([cmake, "--install", build, "--prefix", prefix])
    if not check(p.returncode == 0, "cmake --install"):
        sys.exit(1)
    libdir = os.path.dirname(find(prefix, "", "libmmusim.a") or "/nonexistent/x")
    for rel in ["bin/mmusim", "bin/mmusim-gen-workload", "bin/mmusim-import-sched",
                "bin/mmusim-import-lackey", "bin/mmusim-capture", "bin/mmusim-experiment",
                "bin/mmusim-plot", "bin/mmusim-waves", "bin/mmusim-compare", "include/mmusim/mmusim.h",
                "share/man/man1/mmusim.1", "share/man/man5/mmtrace.5",
                "libexec/mmusim/mmtrace/__init__.py"]:
        check(os.path.exists(os.path.join(prefix, rel)), "installed " + rel)
    for name in ["libmmusim.so.0", "libmmusim.a", "pkgconfig/mmusim.pc", "cmake/mmusim/mmusimConfig.cmake"]:
        check(os.path.exists(os.path.join(libdir, name)), "installed lib/" + name)
    pymod = find(prefix, "", "mmusim")
    pydir = None
    for root, dirs, _files in os.walk(prefix):
        if "mmusim" in dirs and os.path.exists(os.path.join(root, "mmusim", "__init__.py")):
            pydir = root
    check(pydir is not None, "the Python module is installed")

    def expected(prefix):
        out = os.path.join(tmp, "cli.json")
        p = run([os.path.join(prefix, "bin", "mmusim"), "--quiet", "--preset", "zen2", "--set", "pcid=off",
                 "--stats-json", out, trace])
        check(p.returncode == 0, "installed mmusim runs")
        with open(out) as f:
            return strip(f.read())

    def exercise(prefix, label):
        want = expected(prefix)
        libdir2 = os.path.join(prefix, os.path.relpath(libdir, first_prefix))
        work = os.path.join(tmp, "work-" + label)
        os.makedirs(work)
        with open(os.path.join(work, "app.c"), "w") as f:
            f.write(PROGRAM)
        # a C program through pkg-config
        env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(libdir2, "pkgconfig"))
        flags = run(["pkg-config", "--cflags", "--libs", "mmusim"], env=env)
        if check(flags.returncode == 0, label + ": pkg-config mmusim"):
            exe = os.path.join(work, "app_pc")
            p = run([cc, os.path.join(work, "app.c"), "-o", exe, *flags.stdout.split(),
                     "-Wl,-rpath," + libdir2])
            if check(p.returncode == 0, label + ": cc $(pkg-config --cflags --libs mmusim)"):
                p = run([exe, trace])
                check(p.returncode == 0 and strip(p.stdout) == want,
                      label + ": pkg-config program == mmusim --stats-json")
        # a CMake project through find_package(mmusim), shared and static
        with open(os.path.join(work, "CMakeLists.txt"), "w") as f:
            f.write(PROJECT)
        bdir = os.path.join(work, "build")
        p = run([cmake, "-S", work, "-B", bdir, "-DCMAKE_PREFIX_PATH=" + prefix, "-DCMAKE_C_COMPILER=" + cc])
        if check(p.returncode == 0, label + ": find_package(mmusim)"):
            p = run([cmake, "--build", bdir])
            if check(p.returncode == 0, label + ": the CMake project builds"):
                for app in ["app_shared", "app_static"]:
                    p = run([os.path.join(bdir, app), trace])
                    check(p.returncode == 0 and strip(p.stdout) == want, label + ": %s == mmusim --stats-json" % app)
                nm = run(["nm", "-g", "--defined-only", os.path.join(bdir, "app_static")])
                check("config_set" not in nm.stdout, label + ": the static library exports only mmusim_*")
        # Python from the prefix, with no help from the environment
        pyd = os.path.join(prefix, os.path.relpath(pydir, first_prefix))
        env = {k: v for k, v in os.environ.items() if k not in ("MMUSIM_LIBRARY", "LD_LIBRARY_PATH")}
        env["PYTHONPATH"] = pyd
        code = ("import json, sys, mmusim; print(mmusim.library_path, file=sys.stderr); "
                "print(json.dumps(mmusim.run(sys.argv[1], preset='zen2', pcid='off')))")
        p = run([sys.executable, "-c", code, trace], env=env, cwd=tmp)
        got = json.loads(p.stdout) if p.returncode == 0 and p.stdout else {}
        got.pop("provenance", None)
        check(got == json.loads(want),
              label + ": python3 -c 'import mmusim' from the prefix")
        check(p.stderr.startswith(prefix), label + ": the module loads the prefix's library (%s)" % p.stderr.strip())
        # a script's wrapper, then the installed mmusim on what it wrote
        gen = os.path.join(work, "a.trace")
        p = run([os.path.join(prefix, "bin", "mmusim-gen-workload"), "asid-pressure", "procs=3", "-o", gen],
                env=env)
        if check(p.returncode == 0 and os.path.exists(gen), label + ": mmusim-gen-workload"):
            p = run([os.path.join(prefix, "bin", "mmusim"), "--quiet", gen])
            check(p.returncode == 0, label + ": mmusim runs the generated trace")
            csv_out = os.path.join(work, "grid.csv")
            env_no = {k: v for k, v in env.items() if k != "MMUSIM"}
            p = run([os.path.join(prefix, "bin", "mmusim-experiment"), "--trace", gen,
                     "--config", "nopcid:pcid=off", "-o", csv_out, "-j", "1"], env=env_no)
            check(p.returncode == 0 and os.path.exists(csv_out),
                  label + ": mmusim-experiment runs the installation's mmusim")
        p = run(["man", "-l", "--warnings", os.path.join(prefix, "share", "man", "man5", "mmtrace.5")])
        check(p.returncode == 0 and "mmtrace 1" in p.stdout, label + ": man mmtrace(5) renders")
        # the SystemC layer: there when built, else absent and refused with the reason
        for rel in SYSTEMC_FILES:
            rel = os.path.join(os.path.relpath(libdir2, prefix), rel[4:]) if rel.startswith("lib/") else rel
            there = os.path.exists(os.path.join(prefix, rel))
            check(there == systemc, label + ": %s is %s" % (rel, "installed" if systemc else "not installed"))
        cdir = os.path.join(work, "component")
        os.makedirs(cdir)
        with open(os.path.join(cdir, "CMakeLists.txt"), "w") as f:
            f.write(COMPONENT_PROJECT)
        p = subprocess.run([cmake, "-S", cdir, "-B", os.path.join(cdir, "build"), "-DCMAKE_PREFIX_PATH=" + prefix],
                           capture_output=True, text=True)
        out = p.stdout + p.stderr
        if systemc:
            want_inc = "includes: %s/include;%s/include/mmusim" % (prefix, prefix)
            ok = check(p.returncode == 0 and "optional: mmusim_systemc_FOUND=[TRUE]" in out
                       and "required: found" in out and want_inc in out,
                       label + ": find_package(mmusim COMPONENTS systemc) gives mmusim::systemc")
        else:
            ok = check(p.returncode != 0 and "optional: mmusim_systemc_FOUND=[FALSE]" in out
                       and "installed without its SystemC layer" in out and "required: found" not in out,
                       label + ": find_package(mmusim COMPONENTS systemc) says the component is unavailable")
        if not ok:
            print(out)

    first_prefix = prefix
    exercise(prefix, "installed")
    moved = os.path.join(tmp, "elsewhere", "prefix")
    os.makedirs(os.path.dirname(moved))
    shutil.move(prefix, moved)
    exercise(moved, "moved")

print("%s: %d failures" % (os.path.basename(__file__), failures))
sys.exit(1 if failures else 0)
