#!/usr/bin/env python3
"""Rules written once (issue 13): where a rule must be restated in another
language or file, the copies are held to the one definition here.

  test_written_once.py

- The wave signals: the lists in model/sc/modules.h (CPU_MMU_SIGNALS,
  IPI_SIGNALS, PT_MEMORY_SIGNALS: names, VCD widths, the writer's order)
  are what the writer declares (model/sc/replay.h names the scopes ipi and
  memory, replay.cpp cpuN).  scripts/waves' CPU_SIGNALS and GROUPS, the
  table in docs/waves.md and the committed model/sc/mmusim.gtkw must list
  the same signals, with the same widths, in the same order.
- The invalidation codes: model/hw/tlb.h's enum tlb_op_kind (after LOOKUP
  and FILL, from 0: TLB_INV_CODE) against rtl/tlb_pkg.sv's inv_op_e and
  the localparams of rtl/tlb_array.sv, by name and value; and no C or C++
  file defines codes of its own.
- The leaf test (hw/paging.h pte_is_leaf), the #PF error code (hw/mmu.h
  pf_error_code) and Linux's _PAGE_TABLE (os/os.h PAGE_TABLE): no other
  file of model/ tests PTE_PS, composes PF_* bits or spells
  P|RW|US|A|D out again.
- The cosim models: the VPN width every RTL model of --mode cosim is
  Verilated with (model/sc/rtl_cache.h rtl_vpn_w) is rtl/tlb_pkg.sv's
  VpnMaxW, and cosim.cpp does not restate it; the key width of the PSC
  models (rtl_psc_key_w) is PscKeyMaxW; the RTL sources embedded for the
  models (model/sc/CMakeLists.txt MMUSIM_RTL_EMBED) are the lockstep
  tests' (testbench/cosim/CMakeLists.txt TLB_SV, then PSC_SV's others), in
  the same order.

Needs python3 only; runs in every build.
"""
import importlib.machinery
import importlib.util
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
failures = []


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def eq(what, got, want):
    if got != want:
        failures.append(f"{what}:\n  got  {got!r}\n  want {want!r}")


def check(what, cond):
    if not cond:
        failures.append(what)


# ---- the wave signals -------------------------------------------------------

def writer_signals():
    """{scope kind: [(name, width)]} from modules.h's X lists."""
    text = read("model/sc/modules.h")
    lists = {}
    for macro, scope in (("CPU_MMU_SIGNALS", "cpu"), ("IPI_SIGNALS", "ipi"),
                         ("PT_MEMORY_SIGNALS", "memory")):
        m = re.search(r"#define %s\(X\)((?:.*\\\n)*.*\n)" % macro, text)
        check(f"modules.h: no #define {macro}(X)", m)
        body = m.group(1) if m else ""
        lists[scope] = [(n, int(w)) for n, w in re.findall(r"X\(\s*\w+\s*,\s*(\w+)\s*,\s*(\d+)\s*\)", body)]
        check(f"modules.h: {macro} lists no signal", lists[scope])
    replay_h = read("model/sc/replay.h")
    check("replay.h: the IPI interconnect is not named ipi", 'ipi_interconnect ipi{"ipi"}' in replay_h)
    check("replay.h: the memory side is not named memory", 'pt_memory memory{"memory"}' in replay_h)
    check("replay.cpp: the CPUs are not named cpuN",
          '("cpu" + std::to_string(i))' in read("model/sc/replay.cpp"))
    return lists


def waves_script_signals():
    path = os.path.join(ROOT, "scripts", "waves")
    loader = importlib.machinery.SourceFileLoader("mmusim_waves", path)
    spec = importlib.util.spec_from_loader("mmusim_waves", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    lists = {"cpu": [(n, w) for n, _flags, w in mod.CPU_SIGNALS]}
    for scope, sigs in mod.GROUPS:
        lists[scope] = [(n, w) for n, _flags, w in sigs]
    return lists


def docs_signals():
    """The table after 'Signals, under `mmusim.`:' in docs/waves.md."""
    text = read("docs/waves.md")
    start = text.find("Signals, under `mmusim.`:")
    check("docs/waves.md: no 'Signals, under `mmusim.`:' table", start >= 0)
    lists, scope = {}, None
    rows = 0
    for line in text[start:].splitlines()[1:]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows += 1
        if rows <= 2:   # the header and its rule
            continue
        if cells[0]:
            scope = "cpu" if cells[0] == "cpuN" else cells[0]
        for name in cells[1].split(","):
            lists.setdefault(scope, []).append((name.strip(), int(cells[2])))
    return lists


def gtkw_signals():
    """model/sc/mmusim.gtkw: the groups in order, each signal with its range."""
    lists = {}
    for line in read("model/sc/mmusim.gtkw").splitlines():
        m = re.fullmatch(r"mmusim\.(\w+)\.(\w+)(?:\[(\d+):0\])?", line)
        if m:
            scope = "cpu" if re.fullmatch(r"cpu\d+", m.group(1)) else m.group(1)
            width = int(m.group(3)) + 1 if m.group(3) else 1
            lists.setdefault(m.group(1), []).append((m.group(2), width))
    cpus = [s for s in lists if re.fullmatch(r"cpu\d+", s)]
    check("mmusim.gtkw: no CPU group", cpus)
    for s in cpus[1:]:
        eq(f"mmusim.gtkw: {s}'s signals are cpu0's", lists[s], lists[cpus[0]])
    out = {"cpu": lists[cpus[0]] if cpus else []}
    out.update({s: v for s, v in lists.items() if s not in cpus})
    return out


def signals():
    want = writer_signals()
    for what, got in (("scripts/waves (CPU_SIGNALS, GROUPS)", waves_script_signals()),
                      ("docs/waves.md's table", docs_signals()),
                      ("model/sc/mmusim.gtkw", gtkw_signals())):
        eq(f"{what}: scopes", list(got), list(want))
        for scope in want:
            eq(f"{what}: the {scope} signals (name, width) against model/sc/modules.h",
               got.get(scope), want[scope])


# ---- the invalidation codes -------------------------------------------------

def camel(c_name):
    """TLB_OP_FLUSH_NONGLOBAL -> invflushnonglobal, as InvFlushNonGlobal compares."""
    return "inv" + c_name.replace("_", "").lower()


def invalidation_codes():
    m = re.search(r"enum tlb_op_kind \{(.*?)\};", read("model/hw/tlb.h"), re.S)
    check("tlb.h: no enum tlb_op_kind", m)
    kinds = re.findall(r"TLB_OP_(\w+)", m.group(1) if m else "")
    eq("tlb.h: tlb_op_kind starts with LOOKUP, FILL", kinds[:2], ["LOOKUP", "FILL"])
    want = [(camel(k), i) for i, k in enumerate(kinds[2:])]
    check("tlb.h: TLB_INV_CODE is not kind - TLB_OP_FLUSH_PCID",
          re.search(r"#define TLB_INV_CODE\(kind\) \(\(unsigned\)\(kind\) - \(unsigned\)TLB_OP_FLUSH_PCID\)",
                    read("model/hw/tlb.h")))
    eq("tlb.h: the first invalidation", kinds[2:3], ["FLUSH_PCID"])
    pkg = re.search(r"typedef enum logic \[2:0\] \{(.*?)\} inv_op_e;", read("rtl/tlb_pkg.sv"), re.S)
    check("tlb_pkg.sv: no inv_op_e", pkg)
    got = [(n.lower(), int(v)) for n, v in re.findall(r"(Inv\w+)\s*=\s*3'd(\d+)", pkg.group(1) if pkg else "")]
    eq("rtl/tlb_pkg.sv inv_op_e against hw/tlb.h tlb_op_kind", got, want)
    array = read("rtl/tlb_array.sv")
    eq("rtl/tlb_array.sv: Inv* localparams of its own values (take them from tlb_pkg)",
       re.findall(r"localparam[^;=]*\b(Inv\w+)\s*=\s*\d*'d\d+", array), [])
    eq("rtl/tlb_array.sv: Inv* localparams (name tlb_pkg's labels instead)",
       re.findall(r"localparam[^;=]*\b(Inv\w+)\s*=", array), [])
    check("rtl/tlb_array.sv: inv_op_i is not a tlb_pkg::inv_op_e",
          re.search(r"input\s+tlb_pkg::inv_op_e\s+inv_op_i\b", array))
    check("rtl/tlb_array.sv: its kills are not tlb_pkg::inv_kills's", "tlb_pkg::inv_kills(inv_op_i" in array)
    for d in ("model", "testbench"):
        for dirpath, _dirs, files in os.walk(os.path.join(ROOT, d)):
            for f in files:
                if f.endswith((".c", ".h", ".cpp")):
                    path = os.path.join(dirpath, f)
                    with open(path, encoding="utf-8", errors="replace") as fh:
                        text = fh.read()
                    check(f"{os.path.relpath(path, ROOT)}: defines invalidation codes of its own "
                          "(use TLB_INV_CODE, hw/tlb.h)",
                          not re.search(r"\bINV_FLUSH_PCID\s*=", text))


# ---- leaf test, #PF error code, PAGE_TABLE ----------------------------------

def model_sources():
    for dirpath, _dirs, files in os.walk(os.path.join(ROOT, "model")):
        for f in sorted(files):
            if f.endswith((".c", ".h", ".cpp")):
                path = os.path.join(dirpath, f)
                with open(path, encoding="utf-8", errors="replace") as fh:
                    yield os.path.relpath(path, ROOT), fh.read()


def rules():
    for rel, text in model_sources():
        code = re.sub(r"/\*.*?\*/|//[^\n]*", "", text, flags=re.S)
        if rel != "model/hw/paging.h":
            check(f"{rel}: tests PTE_PS itself (the leaf test is pte_is_leaf, hw/paging.h)",
                  not re.search(r"&\s*PTE_PS\b", code))
        if rel not in ("model/hw/paging.h", "model/hw/mmu.h"):
            check(f"{rel}: composes #PF error bits (pf_error_code, hw/mmu.h)",
                  not re.search(r"\bPF_[PWUI]\b", code))
        if rel != "model/os/os.h":
            check(f"{rel}: spells out _PAGE_TABLE (PAGE_TABLE, os/os.h)",
                  not re.search(r"PTE_P\s*\|\s*PTE_RW\s*\|\s*PTE_US\s*\|\s*PTE_A\s*\|\s*PTE_D", code))


# ---- the cosim models --------------------------------------------------------

def cosim_models():
    width = re.search(r"constexpr unsigned rtl_vpn_w = (\d+);", read("model/sc/rtl_cache.h"))
    vpn_max = re.search(r"localparam int unsigned VpnMaxW = (\d+);", read("rtl/tlb_pkg.sv"))
    check("model/sc/rtl_cache.h: no rtl_vpn_w", width is not None)
    check("rtl/tlb_pkg.sv: no VpnMaxW", vpn_max is not None)
    if width and vpn_max:
        eq("rtl_vpn_w (model/sc/rtl_cache.h) and VpnMaxW (rtl/tlb_pkg.sv)", width.group(1), vpn_max.group(1))
    key_w = re.search(r"constexpr unsigned rtl_psc_key_w = (\d+);", read("model/sc/rtl_cache.h"))
    key_max = re.search(r"localparam int unsigned PscKeyMaxW = (\d+);", read("rtl/tlb_pkg.sv"))
    check("model/sc/rtl_cache.h: no rtl_psc_key_w", key_w is not None)
    check("rtl/tlb_pkg.sv: no PscKeyMaxW", key_max is not None)
    if key_w and key_max:
        eq("rtl_psc_key_w (model/sc/rtl_cache.h) and PscKeyMaxW (rtl/tlb_pkg.sv)", key_w.group(1), key_max.group(1))
    cpp = re.sub(r"/\*.*?\*/|//[^\n]*", "", read("model/sc/cosim.cpp"), flags=re.S)
    check("cosim.cpp: restates the RTL's VPN width (45; use rtl_vpn_w)", not re.search(r"\b45\b", cpp))
    embed = re.search(r"set\(MMUSIM_RTL_EMBED ([^)]*)\)", read("model/sc/CMakeLists.txt"))
    lockstep = [re.search(r"set\(%s ([^)]*)\)" % v, read("testbench/cosim/CMakeLists.txt"))
                for v in ("TLB_SV", "PSC_SV")]
    check("model/sc/CMakeLists.txt: no MMUSIM_RTL_EMBED", embed is not None)
    check("testbench/cosim/CMakeLists.txt: no TLB_SV or PSC_SV", None not in lockstep)
    if embed and None not in lockstep:
        want = []
        for m in lockstep:
            want += [f.replace("${CMAKE_SOURCE_DIR}/", "") for f in m.group(1).split()
                     if f.replace("${CMAKE_SOURCE_DIR}/", "") not in want]
        eq("the .sv files of --mode cosim's models (MMUSIM_RTL_EMBED) and of the lockstep tests (TLB_SV, then PSC_SV)",
           [f for f in embed.group(1).split() if f.endswith(".sv")], want)


def main():
    signals()
    invalidation_codes()
    rules()
    cosim_models()
    for f in failures:
        print("FAIL " + f, file=sys.stderr)
    if not failures:
        print("ok written once: wave signals (modules.h = scripts/waves = docs/waves.md = mmusim.gtkw), "
              "invalidation codes (tlb.h = tlb_pkg.sv = tlb_array.sv), leaf test, #PF code, "
              "PAGE_TABLE, cosim models (VPN and PSC key widths, RTL sources)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
