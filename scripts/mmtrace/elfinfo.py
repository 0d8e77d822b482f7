"""The program headers of the programs a capture saw exec'd.

exec maps the program and its loader (PT_INTERP) itself: no mmap syscall
shows those mappings. scripts/capture therefore writes, after the run, the
layout of every file a sched_process_exec named (BASE.elf next to the
trace), and import-sched places it at the address the first faults show.

Format `mmusim-elf 1` (text, one record per line, '#' comments):

    mmusim-elf 1
    file PATH TYPE ENTRY [INTERP]    # TYPE exec or dyn; ENTRY hex; INTERP the loader's path
    load PATH VADDR FILESZ MEMSZ FLAGS   # one per PT_LOAD, hex; FLAGS r, w, x or -
    script PATH INTERPRETER          # a #! script: exec runs INTERPRETER

PATH and INTERP may not contain spaces (a file whose path has one is left
out). A file that is not an ELF64 x86-64 program is left out too.
"""

import os
import struct

from . import InputError

MAGIC = "mmusim-elf 1"
PT_LOAD, PT_INTERP = 1, 3
ET_EXEC, ET_DYN = 2, 3
PF_X, PF_W, PF_R = 1, 2, 4


class Program:
    """One program file: its type, entry, loader and PT_LOAD segments
    [(vaddr, filesz, memsz, prot bits r=1 w=2 x=4)]."""

    def __init__(self, path, kind, entry, interp=None):
        self.path = path
        self.kind = kind          # "exec" or "dyn"
        self.entry = entry
        self.interp = interp
        self.loads = []


def read_elf(path):
    """The Program of an ELF64 x86-64 file, or None."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
                return None
            e_type, e_machine = struct.unpack_from("<HH", head, 16)
            if e_machine != 62 or e_type not in (ET_EXEC, ET_DYN):
                return None
            entry, phoff = struct.unpack_from("<QQ", head, 24)
            phentsize, phnum = struct.unpack_from("<HH", head, 54)
            if phentsize < 56 or phnum > 256:
                return None
            f.seek(phoff)
            table = f.read(phentsize * phnum)
            prog = Program(path, "exec" if e_type == ET_EXEC else "dyn", entry)
            for i in range(phnum):
                p_type, p_flags, p_offset, p_vaddr, _paddr, p_filesz, p_memsz = \
                    struct.unpack_from("<IIQQQQQ", table, i * phentsize)
                if p_type == PT_LOAD:
                    prot = (1 if p_flags & PF_R else 0) | (2 if p_flags & PF_W else 0) | \
                        (4 if p_flags & PF_X else 0)
                    prog.loads.append((p_vaddr, p_filesz, p_memsz, prot))
                elif p_type == PT_INTERP:
                    f.seek(p_offset)
                    prog.interp = f.read(p_filesz).split(b"\0", 1)[0].decode("ascii", "replace")
            return prog if prog.loads else None
    except OSError:
        return None


def script_interpreter(path):
    """The interpreter of a #! script, or None."""
    try:
        with open(path, "rb") as f:
            line = f.readline(256)
    except OSError:
        return None
    if not line.startswith(b"#!"):
        return None
    words = line[2:].decode("ascii", "replace").split()
    return words[0] if words else None


def collect(paths):
    """Programs and scripts for the exec'd PATHS: ({path: Program},
    {script: interpreter}), following scripts and loaders."""
    programs, scripts = {}, {}
    todo = list(paths)
    while todo:
        path = todo.pop()
        if path in programs or path in scripts or " " in path:
            continue
        prog = read_elf(path)
        if prog is not None:
            programs[path] = prog
            if prog.interp and " " not in prog.interp:
                todo.append(prog.interp)
            continue
        interp = script_interpreter(path)
        if interp and " " not in interp:
            scripts[path] = interp
            todo.append(interp)
    return programs, scripts


def write(path, programs, scripts):
    lines = [MAGIC, "# program headers of the files exec'd during the capture"]
    for p in sorted(programs):
        prog = programs[p]
        lines.append("file %s %s %x%s" % (p, prog.kind, prog.entry,
                                          " " + prog.interp if prog.interp else ""))
        for vaddr, filesz, memsz, prot in prog.loads:
            flags = ("r" if prot & 1 else "-") + ("w" if prot & 2 else "-") + ("x" if prot & 4 else "-")
            lines.append("load %s %x %x %x %s" % (p, vaddr, filesz, memsz, flags))
    for s in sorted(scripts):
        lines.append("script %s %s" % (s, scripts[s]))
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="ascii", errors="replace") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


def read(path):
    """({path: Program}, {script: interpreter}) of a BASE.elf file."""
    programs, scripts = {}, {}
    with open(path, encoding="ascii", errors="replace") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if lineno == 1:
                if line != MAGIC:
                    raise InputError(path, 1, "expected '%s'" % MAGIC)
                continue
            w = line.split()
            try:
                if w[0] == "file" and len(w) in (4, 5) and w[2] in ("exec", "dyn"):
                    programs[w[1]] = Program(w[1], w[2], int(w[3], 16), w[4] if len(w) == 5 else None)
                elif w[0] == "load" and len(w) == 6 and w[1] in programs:
                    flags = w[5]
                    prot = (1 if "r" in flags else 0) | (2 if "w" in flags else 0) | \
                        (4 if "x" in flags else 0)
                    programs[w[1]].loads.append((int(w[2], 16), int(w[3], 16), int(w[4], 16), prot))
                elif w[0] == "script" and len(w) == 3:
                    scripts[w[1]] = w[2]
                else:
                    raise ValueError
            except (ValueError, IndexError):
                raise InputError(path, lineno, "bad line: %r" % line[:80])
    return programs, scripts
