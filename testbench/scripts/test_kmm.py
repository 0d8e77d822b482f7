"""mmtrace.kmm: rss_stat, exit_mmap and the end snapshot of a capture, each
mm's life, owner, birth and end values, and the comparison with mmusim's
per-process report (validate-kernel's per-mm section)."""

import io
import os
import sys
import unittest

from common import SCRIPTS

sys.path.insert(0, SCRIPTS)
from mmtrace import InputError, kmm, schedparse  # noqa: E402

# A hand-made capture (ftrace with the TGID column, as scripts/capture
# writes it): sh (100, born before the capture) vforks 101 (clone_flags
# 0x4111: CLONE_VM|CLONE_VFORK|SIGCHLD), which faults in sh's mm (the
# first event of that mm: 101 must still not become its owner), execs
# (its new mm 7 gets its arguments by copy_strings, curr=0, before
# sched_process_exec; curr=1 faults after exec_mmap) and exits (teardown:
# curr=0 events, then exit_mmap). mm id 7 is then reused for 102's exec
# (a fork child, clone_flags 0x11), still alive at the end.
TRACE = """\
# tracer: nop
# CPUs: 2  #P:2
      sh-100   (    100) [000] .....  10.000002: task_newtask: pid=101 comm=sh clone_flags=4111 oom_score_adj=0
      sh-101   (    101) [001] .....  10.000003: rss_stat: mm_id=5 curr=1 type=MM_ANONPAGES size=12288B
      sh-101   (    101) [001] .....  10.000004: rss_stat: mm_id=7 curr=0 type=MM_ANONPAGES size=4096B
      ls-101   (    101) [001] .....  10.000005: rss_stat: mm_id=7 curr=1 type=MM_ANONPAGES size=8192B
      ls-101   (    101) [001] .....  10.000006: sched_process_exec: filename=/usr/bin/ls pid=101 old_pid=101
      ls-101   (    101) [001] .....  10.000007: rss_stat: mm_id=7 curr=1 type=MM_FILEPAGES size=40960B
      ls-101   (    101) [001] .....  10.000008: rss_stat: mm_id=7 curr=1 type=MM_ANONPAGES size=20480B
      ls-101   (    101) [001] .....  10.000009: rss_stat: mm_id=7 curr=0 type=MM_FILEPAGES size=0B
      ls-101   (    101) [001] .....  10.000010: rss_stat: mm_id=7 curr=0 type=MM_ANONPAGES size=0B
      ls-101   (    101) [001] .....  10.000011: exit_mmap: mt_mod 00000000deadbeef, DESTROY
      sh-100   (    100) [000] .....  10.000012: rss_stat: mm_id=5 curr=1 type=MM_ANONPAGES size=16384B
      sh-100   (    100) [000] .....  10.000012: task_newtask: pid=102 comm=sh clone_flags=11 oom_score_adj=0
      sh-100   (    100) [000] .....  10.000013: rss_stat: mm_id=9 curr=0 type=MM_ANONPAGES size=4096B
      sh-102   (    102) [000] .....  10.000014: rss_stat: mm_id=9 curr=1 type=MM_ANONPAGES size=8192B
      sh-102   (    102) [000] .....  10.000015: rss_stat: mm_id=7 curr=0 type=MM_ANONPAGES size=4096B
      sh-102   (    102) [000] .....  10.000016: rss_stat: mm_id=9 curr=0 type=MM_ANONPAGES size=0B
      sh-102   (    102) [000] .....  10.000017: exit_mmap: mt_mod 00000000feedface, DESTROY
  sleep-102    (    102) [000] .....  10.000018: sched_process_exec: filename=/usr/bin/sleep pid=102 old_pid=102
  sleep-102    (    102) [000] .....  10.000019: rss_stat: mm_id=7 curr=1 type=MM_FILEPAGES size=61440B
# end-snapshot 1 mono 10000020000
# end-task 100 sh
# end-status 100 VmSize 2592
# end-status 100 RssAnon 12
# end-status 100 RssFile 1608
# end-task 102 sleep
# end-status 102 VmSize 12
# end-status 102 RssAnon 4
# end-status 102 RssFile 60
# end-vma 102 55555555000 55555556000 r--p 00000000 fe:01 1234 /usr/bin/sleep
# end-vma 102 7ffc0000000 7ffc0002000 rw-p 00000000 00:00 0 [stack]
# end-vma 102 ffffffffff600000 ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]
"""


def parse(text=TRACE):
    kern = kmm.parse(io.StringIO(text), "t.txt")
    events = schedparse.parse(io.StringIO(text), "t.txt").events
    events.sort(key=lambda ev: (ev.ts, ev.line))
    return kern, kmm.analyze(kern, events)


class TestKmm(unittest.TestCase):
    def test_parse(self):
        kern, _ = parse()
        self.assertEqual(len(kern.rss), 13)
        self.assertEqual([(e[2], e[3]) for e in kern.exits], [(10000011000, 101), (10000017000, 102)])
        first = kern.rss[0]
        self.assertEqual((first.mm, first.curr, first.member, first.size, first.tgid), (5, 1, "anon", 12288, 101))
        self.assertEqual(kern.end_clock, ("mono", 10000020000))
        sleep = kern.end[102]
        self.assertEqual((sleep.comm, sleep.status["VmSize"], sleep.status["RssFile"]), ("sleep", 12, 60))
        # [vsyscall] is the gate area, no VMA of the mm: 2 maps, 4 + 8 kB
        self.assertEqual((sleep.map_count, sleep.vm_size_kb), (2, 12))

    def test_lives_owners_births_ends(self):
        _, mms = parse()
        got = [(m.id, m.owner, m.born, m.fate, m.rss) for m in mms]
        self.assertEqual(got, [
            # sh's own mm: 101's faults while vforked do not make 101 its owner
            (5, 100, False, "end", {"anon": 16384}),
            # ls: the values before its teardown (the curr=0 events ending at exit_mmap)
            (7, 101, True, "exit", {"anon": 20480, "file": 40960}),
            # 102's fork mm (dup_mmap by 100, curr=0), torn down by its exec
            (9, 102, True, "exit", {"anon": 8192}),
            # id 7 again after its exit_mmap: a new life, sleep's exec mm
            (7, 102, True, "end", {"anon": 4096, "file": 61440}),
        ])

    def test_compare(self):
        kern, mms = parse()
        procs = [  # mmusim's `processes`, by address space
            {"pid": 101, "mm": 3, "at": "exit", "comm": "ls", "rss_anon_kb": 20, "rss_file_kb": 39,
             "rss_shmem_kb": 0, "vm_size_kb": 100, "map_count": 9},
            {"pid": 102, "mm": 4, "at": "exec", "comm": "sh", "rss_anon_kb": 8, "rss_file_kb": 0,
             "rss_shmem_kb": 0, "vm_size_kb": 100, "map_count": 9},
            {"pid": 102, "mm": 5, "at": "end", "comm": "sleep", "rss_anon_kb": 4, "rss_file_kb": 60,
             "rss_shmem_kb": 0, "vm_size_kb": 12, "map_count": 2},
            {"pid": 100, "mm": 1, "at": "end", "comm": "sh", "rss_anon_kb": 12, "rss_file_kb": 1608,
             "rss_shmem_kb": 0, "vm_size_kb": 2592, "map_count": 20},
        ]
        pid_map = {100: [(0, 100)], 101: [(10000002000, 101)], 102: [(10000012000, 102)]}
        ok, rows, skipped = kmm.compare(mms, kern.end, procs, pid_map, 0.05)
        self.assertEqual(skipped, {"born before the capture": 1})
        self.assertEqual([(r["pid"], r["at"], r["ok"]) for r in rows],
                         [(101, "exit", True), (102, "exit", True), (102, "end", True)])
        self.assertTrue(ok)
        # 39 kB of file RSS against 40: within 5%; 37 is not; VmSize exact
        procs[0]["rss_file_kb"] = 37
        procs[2]["vm_size_kb"] = 16
        ok, rows, _ = kmm.compare(mms, kern.end, procs, pid_map, 0.05)
        self.assertFalse(ok)
        self.assertEqual([r["why"] for r in rows], [["rss_file_kb"], [], ["vm_size_kb"]])

    def test_busy_at_the_end_not_compared(self):
        # capture marks a process whose /proc changed as tracing stopped:
        # /proc need not show where its trace ends
        kern, mms = parse(TRACE + "# end-busy 102\n")
        self.assertTrue(kern.end[102].busy)
        self.assertFalse(kern.end[100].busy)
        procs = [{"pid": 101, "mm": 3, "at": "exit", "comm": "ls", "rss_anon_kb": 20, "rss_file_kb": 40, "rss_shmem_kb": 0},
                 {"pid": 102, "mm": 4, "at": "exec", "comm": "sh", "rss_anon_kb": 8, "rss_file_kb": 0, "rss_shmem_kb": 0},
                 {"pid": 102, "mm": 5, "at": "end", "comm": "sleep", "rss_anon_kb": 0, "rss_file_kb": 0,
                  "rss_shmem_kb": 0, "vm_size_kb": 0, "map_count": 0}]   # would fail: not compared
        pid_map = {101: [(0, 101)], 102: [(0, 102)]}
        ok, rows, skipped = kmm.compare(mms, kern.end, procs, pid_map)
        self.assertTrue(ok)
        self.assertEqual([(r["pid"], r["at"]) for r in rows], [(101, "exit"), (102, "exit")])
        self.assertEqual(skipped["alive, its /proc changing as the capture ended (end-busy)"], 1)

    def test_mark_busy(self):
        before = ["# end-snapshot 1 mono 5", "# end-task 1 a", "# end-status 1 VmSize 4",
                  "# end-task 2 b", "# end-status 2 VmSize 8"]
        after = ["# end-snapshot 1 mono 6", "# end-task 1 a", "# end-status 1 VmSize 4",
                 "# end-task 2 b", "# end-status 2 VmSize 12", "# end-task 3 c"]
        self.assertEqual(kmm.mark_busy(before, after), after + ["# end-busy 2", "# end-busy 3"])
        self.assertEqual(kmm.mark_busy(None, after), after)

    def test_output_pid_follows_reuse(self):
        pid_map = {7: [(100, 7), (500, 4194305)]}
        self.assertEqual([kmm.output_pid(pid_map, 7, t) for t in (50, 100, 499, 500, 900)],
                         [7, 7, 7, 4194305, 4194305])
        self.assertIsNone(kmm.output_pid(pid_map, 8, 100))

    def test_bad_lines(self):
        for line, msg in (("# end-task 5 x\n", "before `# end-snapshot 1`"),
                          ("# end-snapshot 1\n# end-status 5 VmSize 3\n", "without its end-task"),
                          ("# end-snapshot 1\n# end-task 5 x\n# end-status 5 VmSize\n", "malformed end-status"),
                          ("  a-1 (1) [000] ..... 1.000001: rss_stat: mm_id=x\n", "cannot parse rss_stat")):
            with self.assertRaises(InputError) as cm:
                kmm.parse(io.StringIO(line), "bad.txt")
            self.assertIn(msg, str(cm.exception))
            self.assertRegex(str(cm.exception), r"^bad\.txt:\d+: error: ")

    def test_own_end_snapshot(self):
        lines = kmm.take_end_snapshot("mono")
        kern = kmm.parse(io.StringIO("\n".join(lines) + "\n"), "end")
        me = kern.end[os.getpid()]
        self.assertEqual(me.vm_size_kb, me.status["VmSize"])
        self.assertGreater(me.map_count, 5)


class TestSpecialMappings(unittest.TestCase):
    """import-sched's [vvar], [vvar_vclock], [vdso] below the loader (kimport)."""

    def test_layout_below_the_loader(self):
        from mmtrace import kimport
        sizes = {"[vvar]": 0x4000, "[vvar_vclock]": 0x2000, "[vdso]": 0x2000}
        # sleep's maps on the capture machine: vvar 7f871d7a5000, vvar_vclock
        # 7f871d7a9000, vdso 7f871d7ab000-7f871d7ad000, ld.so from 7f871d7ad000
        self.assertEqual(kimport.special_layout(0x7f871d7ad000, sizes), [
            (0x7f871d7a5000, 0x7f871d7a9000, 1, ("special",)),
            (0x7f871d7a9000, 0x7f871d7ab000, 1, ("special",)),
            (0x7f871d7ab000, 0x7f871d7ad000, 5, ("special", "file"))])

    def test_sizes_from_the_snapshot_else_defaults(self):
        from mmtrace import kimport

        class Snap:
            vmas = {5: [(0x1000, 0x2000, "r--p", 0, "00:00", 0, "[vvar]")],   # not all three
                    9: [(0x10000, 0x13000, "r--p", 0, "00:00", 0, "[vvar]"),
                        (0x13000, 0x14000, "r--p", 0, "00:00", 0, "[vvar_vclock]"),
                        (0x14000, 0x16000, "r-xp", 0, "00:00", 0, "[vdso]")]}
        self.assertEqual(kimport.special_sizes(Snap()),
                         {"[vvar]": 0x3000, "[vvar_vclock]": 0x1000, "[vdso]": 0x2000})
        self.assertEqual(kimport.special_sizes(None),
                         {"[vvar]": 0x4000, "[vvar_vclock]": 0x2000, "[vdso]": 0x2000})


if __name__ == "__main__":
    unittest.main()
