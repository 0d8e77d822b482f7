"""Every script in scripts/ behaves like a tool: --help answers without
starting the job, and scripts/run-example does not redo a current build.

The job's tools (cmake, ninja's builds, apt-get, sudo, yosys, clang, ...)
are replaced on PATH by stubs that log their arguments, so a script that
starts its job instead of answering shows up in the log (and builds or
installs nothing)."""

import os
import stat
import subprocess
import tempfile
import textwrap
import unittest

from common import SCRIPTS

STUBS = ["cmake", "apt-get", "sudo", "yosys", "clang", "gtkwave", "xvfb-run", "sbatch", "valgrind"]


def scripts():
    for name in sorted(os.listdir(SCRIPTS)):
        path = os.path.join(SCRIPTS, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            yield name, path


class Sandbox:
    """A temporary folder with logging stubs first on PATH."""

    def __init__(self, tmp, real=()):
        self.tmp, self.log = tmp, os.path.join(tmp, "calls.log")
        bindir = os.path.join(tmp, "bin")
        os.mkdir(bindir)
        for tool in STUBS:
            if tool not in real:
                self.stub(bindir, tool, 'echo "%s $*" >> "%s"; exit 1' % (tool, self.log))
        # setup asks dpkg-query what is installed: everything is
        self.stub(bindir, "dpkg-query", "printf 'install ok installed'")
        self.env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"])

    @staticmethod
    def stub(bindir, name, body):
        path = os.path.join(bindir, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + body + "\n")
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)

    def calls(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return f.read().splitlines()


class TestHelp(unittest.TestCase):
    def test_every_script_answers_help_without_starting_its_job(self):
        for name, path in scripts():
            for flag in ("--help", "-h"):
                with self.subTest(script=name, flag=flag), tempfile.TemporaryDirectory() as tmp:
                    box = Sandbox(tmp)
                    env = dict(box.env, MMUSIM_BUILD_DIR=os.path.join(tmp, "build"))
                    proc = subprocess.run([path, flag], capture_output=True, text=True,
                                          env=env, cwd=tmp, timeout=60)
                    self.assertEqual(proc.returncode, 0, proc.stderr)
                    self.assertIn("usage:", proc.stdout)
                    self.assertEqual(box.calls(), [])
                    self.assertEqual(sorted(os.listdir(tmp)), ["bin"])  # wrote nothing


class TestBench(unittest.TestCase):
    def test_build_directory_without_mmusim_is_a_clear_error(self):
        """--mmusim takes the binary or its build directory; a directory
        that holds none is one line, not a traceback from running it."""
        with tempfile.TemporaryDirectory() as d:
            p = subprocess.run([os.path.join(SCRIPTS, "bench"), "--mmusim", d], capture_output=True,
                               text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(p.stderr, "bench: error: %s is not built (scripts/build)\n" % os.path.join(d, "mmusim"))


class TestRunExample(unittest.TestCase):
    def fake_build(self, tmp, current):
        """A build folder as scripts/build leaves it: a PGO=USE cache, and a
        build.ninja whose mmusim (a stub printing its arguments), built by
        ninja, is current or older than its source."""
        build = os.path.join(tmp, "build")
        os.mkdir(build)
        with open(os.path.join(build, "CMakeCache.txt"), "w") as f:
            f.write("CMAKE_GENERATOR:INTERNAL=Ninja\nMMUSIM_PGO:STRING=USE\n")
        with open(os.path.join(build, "build.ninja"), "w") as f:
            f.write(textwrap.dedent("""\
                rule copy
                  command = cp $in $out
                build mmusim: copy source
                """))
        Sandbox.stub(build, "source", 'echo "mmusim ran: $*"')
        subprocess.run(["ninja", "-C", build, "mmusim"], check=True, capture_output=True)
        if not current:
            later = os.stat(os.path.join(build, "mmusim")).st_mtime + 10
            os.utime(os.path.join(build, "source"), (later, later))
        return build

    def run_example(self, tmp, build):
        box = Sandbox(tmp)
        proc = subprocess.run([os.path.join(SCRIPTS, "run-example"), "--quiet"], capture_output=True,
                              text=True, env=dict(box.env, MMUSIM_BUILD_DIR=build), timeout=60)
        return proc, box.calls()

    def test_current_build_is_run_not_rebuilt(self):
        with tempfile.TemporaryDirectory() as tmp:
            proc, calls = self.run_example(tmp, self.fake_build(tmp, current=True))
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(calls, [])
            self.assertRegex(proc.stdout, r"^mmusim ran: --quiet .*traces/mixed-4cpu\.trace\n$")

    def test_stale_build_starts_the_two_pass_build(self):
        with tempfile.TemporaryDirectory() as tmp:
            proc, calls = self.run_example(tmp, self.fake_build(tmp, current=False))
            self.assertNotEqual(proc.returncode, 0)   # the cmake stub fails the first pass
            self.assertEqual(len(calls), 1, calls)
            self.assertIn("-DMMUSIM_PGO=GENERATE", calls[0])
            self.assertNotIn("mmusim ran", proc.stdout)


if __name__ == "__main__":
    unittest.main()
