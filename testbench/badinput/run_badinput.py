#!/usr/bin/env python3
"""Runs mmusim on one bad input and checks how it is refused.

A case file starts with comments:
  # expect-exit: N                 the exit status (65 bad trace, 64 usage...)
  # expect-error: LINE:COL TEXT    stderr has 'CASE:LINE:COL: error: ...TEXT...'
  # expect-stderr: TEXT            stderr contains TEXT (usage errors)
  # expect-stderr-is: TEXT         stderr is TEXT and a newline, nothing else
  # args: ARG...                   extra mmusim arguments
  # via: stdin                     feed the case on standard input as '-'
                                   (messages then name '<stdin>')
The special case 'enormous-line' writes a trace with a 1 MiB line;
'missing-file' names a trace that does not exist (exit 66).
Every case also checks that no statistics file was created, and that a
bad trace is refused alike in its binary form: `mmusim --pack` refuses it
with the same message and status, or the packed .mmtb (read the same way,
file or standard input) gives the same message and status; and alike
with --threads 1 and --threads 2 (the parse stage).
"""
import os
import shlex
import subprocess
import sys
import tempfile


def header(path):
    want = {"exit": None, "error": None, "stderr": None, "stderr_is": None, "args": [],
            "stdin": False}
    with open(path, "rb") as f:
        for raw in f:
            line = raw.decode("ascii", "replace").strip()
            if not line.startswith("# "):
                break
            key, _, value = line[2:].partition(":")
            value = value.strip()
            if key == "expect-exit":
                want["exit"] = int(value)
            elif key == "expect-error":
                want["error"] = value.split(" ", 1)
            elif key == "expect-stderr":
                want["stderr"] = value
            elif key == "expect-stderr-is":
                want["stderr_is"] = value
            elif key == "args":
                want["args"] = shlex.split(value)
            elif key == "via":
                want["stdin"] = value == "stdin"
    return want


def binary_form(mmusim, case_path, want, tmp, code, err):
    """The case packed: the same refusal at pack time or at run time."""
    packed = os.path.join(tmp, "case.mmtb")
    src = "-" if want["stdin"] else case_path
    with open(case_path if want["stdin"] else os.devnull, "rb") as stdin:
        pack = subprocess.run([mmusim, "--pack", packed, src], stdin=stdin, capture_output=True,
                              timeout=60)
    if pack.returncode != 0:
        got = (pack.returncode, pack.stderr.decode("utf-8", "replace"))
        where = "--pack"
    else:
        cmd = [mmusim, "--quiet", "--stats-json", os.path.join(tmp, "stats.json")] + want["args"]
        with open(packed if want["stdin"] else os.devnull, "rb") as stdin:
            run = subprocess.run(cmd + ["-" if want["stdin"] else packed], stdin=stdin,
                                 capture_output=True, timeout=60)
        got = (run.returncode, run.stderr.decode("utf-8", "replace"))
        where = "the packed trace"
        os.unlink(packed)
    if got != (code, err):
        return [f"{where}: exit {got[0]}, stderr {got[1].strip()[:300]!r}"]
    return []


def main():
    mmusim, case = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        if os.path.basename(case) == "enormous-line":
            case_path = os.path.join(tmp, "enormous.trace")
            with open(case_path, "w") as f:
                f.write("mmtrace 1\ncpus 1\n# " + "x" * (1 << 20) + "\n")
            want = {"exit": 65, "error": ["3:4097", "line longer than 4096 characters"],
                    "stderr": None, "args": [], "stdin": False}
        elif os.path.basename(case) == "missing-file":
            case_path = os.path.join(tmp, "does-not-exist.trace")
            want = {"exit": 66, "error": None, "stderr": "cannot read", "args": [],
                    "stdin": False}
        else:
            case_path, want = case, header(case)
        out = os.path.join(tmp, "stats.json")
        name = "<stdin>" if want["stdin"] else case_path
        cmd = [mmusim, "--quiet", "--stats-json", out] + want["args"] + [
            "-" if want["stdin"] else case_path]
        with open(case_path if want["stdin"] else os.devnull, "rb") as stdin:
            proc = subprocess.run(cmd, stdin=stdin, capture_output=True, timeout=60)
        err = proc.stderr.decode("utf-8", "replace")
        problems = []
        if proc.returncode != want["exit"]:
            problems.append(f"exit status {proc.returncode}, expected {want['exit']}")
        if want["error"]:
            loc, text = want["error"]
            prefix = f"{name}:{loc}: error: "
            line = next((l for l in err.splitlines() if l.startswith(prefix)), None)
            if line is None or text not in line:
                problems.append(f"expected '{prefix}...{text}...'")
        if want["stderr"] and want["stderr"] not in err:
            problems.append(f"expected '{want['stderr']}' on stderr")
        if want.get("stderr_is") and err != want["stderr_is"] + "\n":
            problems.append(f"expected exactly '{want['stderr_is']}' on stderr")
        if os.path.exists(out) or any(n.startswith("stats.json") for n in os.listdir(tmp)):
            problems.append("a statistics file was written")
        if "AddressSanitizer" in err or "runtime error" in err:
            problems.append("sanitizer report")
        if want["exit"] == 65:
            problems += binary_form(mmusim, case_path, want, tmp, proc.returncode, err)
            for threads in ("1", "2"):
                with open(case_path if want["stdin"] else os.devnull, "rb") as stdin:
                    again = subprocess.run(cmd[:1] + ["--threads", threads] + cmd[1:], stdin=stdin,
                                           capture_output=True, timeout=60)
                if (again.returncode, again.stderr.decode("utf-8", "replace")) != (proc.returncode, err):
                    problems.append(f"--threads {threads}: exit {again.returncode}, "
                                    f"stderr {again.stderr.decode('utf-8', 'replace').strip()[:300]!r}")
        print(f"{os.path.basename(case)}: stderr: {err.strip()[:300]}")
        for p in problems:
            print(f"FAIL: {p}")
        print(f"{0 if problems else 1} passed, {1 if problems else 0} failed")
        return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
