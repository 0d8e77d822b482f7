"""Paths and helpers shared by the script tests."""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SCRIPTS = os.path.join(REPO, "scripts")
REAL_TRACES = os.path.join(REPO, "traces", "real")
MMUSIM = os.environ.get("MMUSIM") or os.path.join(REPO, "build", "mmusim")  # env: another build
FAKE_MMUSIM = os.path.join(HERE, "fake_mmusim.py")

sys.path.insert(0, HERE)
import mmtrace_check  # noqa: E402,F401


def script(name):
    return os.path.join(SCRIPTS, name)


def run(name, *args, stdin=None):
    """Run scripts/NAME with this interpreter; return the CompletedProcess (text)."""
    return subprocess.run([sys.executable, script(name)] + [str(a) for a in args],
                          input=stdin, capture_output=True, text=True)


def on_a_terminal(args):
    """Run ARGS with stderr a pty's slave; (exit status, what the terminal got)."""
    master, slave = os.openpty()
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:   # EIO: the terminal's other end closed
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    return p.wait(), seen.decode()


def real_trace(name):
    return os.path.join(REAL_TRACES, name)


def summary(stderr):
    """The `import-sched: key=value ...` counters as a dict."""
    m = re.search(r"^import-sched: (.*)$", stderr, re.M)
    return {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())} if m else {}


def records(text, op=None):
    """Non-comment record lines of TEXT (without an @TIME prefix), optionally
    only those whose op is OP."""
    out = []
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if fields and fields[0].startswith("@"):
            fields = fields[1:]
        if not fields:
            continue
        if op is None or (len(fields) > 1 and fields[1] == op) or fields[0] == op:
            out.append(fields)
    return out
