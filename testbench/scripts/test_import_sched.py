"""import-sched: real traces, each input format, repairs, options, bad input."""

import os
import subprocess
import tempfile
import unittest

from common import MMUSIM, real_trace, records, run, summary
from mmtrace_check import check

FTRACE_HEADER = """\
# tracer: nop
#
# entries-in-buffer/entries-written: 6/6   #P:2
#
#           TASK-PID     CPU#  ||||    TIMESTAMP  FUNCTION
#              | |         |   ||||       |         |
          <idle>-0     [000] d..3   100.000100: sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=bash next_pid=500 next_prio=120
            bash-500   [000] ....   100.000200: sched_process_fork: comm=bash pid=500 child_comm=bash child_pid=501
            bash-500   [000] d..3   100.000300: sched_switch: prev_comm=bash prev_pid=500 prev_prio=120 prev_state=S ==> next_comm=kworker/0:1 next_pid=20 next_prio=120
          <idle>-0     [001] d..3   100.000310: sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=bash next_pid=501 next_prio=120
            bash-501   [001] ....   100.000400: sched_process_exec: filename=/usr/bin/my prog pid=501 old_pid=501
            bash-501   [001] ....   100.000500: sched_process_exit: comm=my prog pid=501 prio=120
            bash-501   [001] d..3   100.000600: sched_switch: prev_comm=my prog prev_pid=501 prev_prio=120 prev_state=X ==> next_comm=swapper/1 next_pid=0 next_prio=120
"""

TGID_COLUMN = """\
   Binder:549_4-2029  (  549) [000] d..3 10.000100: sched_switch: prev_comm=Binder:549_4 prev_pid=2029 prev_prio=120 prev_state=S ==> next_comm=EventThread next_pid=654 next_prio=111
    EventThread-654   (  549) [000] d..3 10.000200: sched_switch: prev_comm=EventThread prev_pid=654 prev_prio=111 prev_state=S ==> next_comm=surfaceflinger next_pid=549 next_prio=120
 surfaceflinger-549   (  549) [000] d..3 10.000300: sched_switch: prev_comm=surfaceflinger prev_pid=549 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120
          <idle>-0    (-----) [001] d..3 10.000400: sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=app next_pid=700 next_prio=120
"""

TRACE_CMD = """\
version = 6
cpus=2
           <...>-1701  [001]    76.211513: sched_switch:          prev_comm=trace-cmd prev_pid=1701 prev_prio=120 prev_state=64 next_comm=swapper/1 next_pid=0 next_prio=120
          <idle>-0     [000]    76.211523: sched_switch:          prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=0 next_comm=sh next_pid=1642 next_prio=120
              sh-1642  [000]    76.211696: sched_wakeup:          comm=kworker/u12:1 pid=46 prio=120 success=1 target_cpu=0
              sh-1642  [000]    76.211701: sched_switch:          prev_comm=sh prev_pid=1642 prev_prio=120 prev_state=4096 next_comm=kworker/u12:1 next_pid=46 next_prio=120
   kworker/u12:1-46    [000]    76.211715: sched_switch:          prev_comm=kworker/u12:1 prev_pid=46 prev_prio=120 prev_state=1 next_comm=sh next_pid=1642 next_prio=120
"""

PERF_SCRIPT = """\
            perf 47449 [000]  4709.475645: sched:sched_switch: perf:47449 [120] R ==> migration/0:18 [0]
     migration/0    18 [000]  4709.475650: sched:sched_switch: migration/0:18 [0] S ==> swapper/0:0 [120]
         swapper     0 [001]  4709.475700: sched:sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=Web Content next_pid=3001 next_prio=120
     Web Content 3000/3001 [001]  4709.475800: sched:sched_switch: prev_comm=Web Content prev_pid=3001 prev_prio=120 prev_state=S ==> next_comm=Web Content next_pid=3000 next_prio=120
         swapper     0 [000]  4709.475900: sched:sched_switch: swapper/0:0 [120] R ==> rcu_sched:9 [120]
"""

# CPU 1 switches in task 300 while CPU 0 still runs it (a lost switch-out).
NEEDS_REPAIR = """\
  <idle>-0     [000] d..3   1.000100: sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=worker next_pid=300 next_prio=120
  <idle>-0     [001] d..3   1.000200: sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=worker next_pid=300 next_prio=120
  worker-300   [001] d..3   1.000300: sched_switch: prev_comm=worker prev_pid=300 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120
"""

# PID 400 exits and a new task gets PID 400 later (PID reuse).
PID_REUSE = """\
  <idle>-0     [000] d..3   1.000100: sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=old next_pid=400 next_prio=120
  old-400      [000] ....   1.000200: sched_process_exit: comm=old pid=400 prio=120
  old-400      [000] d..3   1.000300: sched_switch: prev_comm=old prev_pid=400 prev_prio=120 prev_state=X ==> next_comm=new next_pid=400 next_prio=120
"""


# exec_mmap preempted at task_unlock (a real 6.18 capture, shortened): the
# exec's CR3 load on CPU 1 (need-resched set) is followed at once by the
# task's own switch out; it resumes on CPU 0, where the old mm's exit_mmap
# flush is sent, and sched_process_exec fires there at the end.
EXEC_PREEMPTED = """\
          <idle>-0       (-------) [001] d..2.  4802.114631: sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=bash next_pid=3514 next_prio=120
            bash-3514    (   3514) [001] d..2.  4802.114632: tlb_flush: pages:-1 reason:flush on task switch (0)
            bash-3514    (   3514) [001] d..2.  4802.114700: page_fault_user: address=0x7f0000001000 ip=0x7f0000001000 error_code=0x6
            true-3514    (   3514) [001] dN.1.  4802.118310: tlb_flush: pages:-1 reason:flush on task switch (0)
            true-3514    (   3514) [001] d..2.  4802.118316: sched_switch: prev_comm=bash prev_pid=3514 prev_prio=120 prev_state=R+ ==> next_comm=migration/1 next_pid=21 next_prio=0
          <idle>-0       (-------) [000] d..2.  4802.119871: sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=bash next_pid=3514 next_prio=120
          <idle>-0       (-------) [000] d..2.  4802.119872: tlb_flush: pages:-1 reason:flush on task switch (0)
            true-3514    (   3514) [000] ...1.  4802.119956: tlb_flush: pages:-1 reason:remote IPI send (4)
          <idle>-0       (-------) [001] d.h1.  4802.119979: tlb_flush: pages:0 reason:remote wrong CPU (5)
            true-3514    (   3514) [000] d..2.  4802.119996: tlb_flush: pages:0 reason:remote wrong CPU (5)
            true-3514    (   3514) [000] .....  4802.120351: sched_process_exec: filename=/bin/true pid=3514 old_pid=3514
"""


# A process older than the capture (5115) whose first flush traces a
# remote IPI send though the trace shows it on CPU 1 only: CPU 0 was in its
# mm_cpumask from before (a real 6.18 capture, shortened).
OLD_CPUMASK = """\
# tracer: nop
#
# entries-in-buffer/entries-written: 5/5   #P:2
     lto1-ltrans-5115    (   5115) [001] .....  4829.465856: sys_munmap(addr: 0x7f6beb2ee000, len: 0x92000)
     lto1-ltrans-5115    (   5115) [001] ...1.  4829.465923: tlb_flush: pages:-1 reason:remote IPI send (4)
     lto1-ltrans-5115    (   5115) [001] d..2.  4829.465924: tlb_flush: pages:-1 reason:local MM shootdown (3)
     lto1-ltrans-5115    (   5115) [001] .....  4829.465960: sys_munmap -> 0x0
     lto1-ltrans-5116    (   5116) [000] d..2.  4829.472070: sched_switch: prev_comm=lto1-ltrans prev_pid=5116 prev_prio=120 prev_state=R ==> next_comm=python3 next_pid=5120 next_prio=120
"""


# KVM PV: CPU 1 runs a thread of the same process and records nothing for
# milliseconds (the host preempted it) while CPU 0 munmaps twice; then an
# IPI of CPU 0's third munmap is handled on CPU 1 (it runs again).
PV_PREEMPTED = """\
# tracer: nop
#
# entries-in-buffer/entries-written: 12/12   #P:2
  threads_munmap-4687    (   4686) [001] .....  4820.500000: page_fault_user: address=0x7f0000002000 ip=0x7f0000002000 error_code=0x6
  threads_munmap-4686    (   4686) [000] .....  4820.500100: sys_munmap(addr: 0x7f0000010000, len: 0x1000)
  threads_munmap-4686    (   4686) [000] ...1.  4820.500110: tlb_flush: pages:1 reason:remote IPI send (4)
  threads_munmap-4686    (   4686) [000] d..2.  4820.500111: tlb_flush: pages:1 reason:local MM shootdown (3)
  threads_munmap-4686    (   4686) [000] .....  4820.500120: sys_munmap -> 0x0
  threads_munmap-4686    (   4686) [000] .....  4820.500200: sys_munmap(addr: 0x7f0000011000, len: 0x1000)
  threads_munmap-4686    (   4686) [000] ...1.  4820.500210: tlb_flush: pages:1 reason:remote IPI send (4)
  threads_munmap-4686    (   4686) [000] d..2.  4820.500211: tlb_flush: pages:1 reason:local MM shootdown (3)
  threads_munmap-4686    (   4686) [000] .....  4820.500220: sys_munmap -> 0x0
  threads_munmap-4686    (   4686) [000] .....  4820.507000: sys_munmap(addr: 0x7f0000012000, len: 0x1000)
  threads_munmap-4686    (   4686) [000] ...1.  4820.507010: tlb_flush: pages:1 reason:remote IPI send (4)
  threads_munmap-4687    (   4686) [001] d.h1.  4820.507040: tlb_flush: pages:1 reason:remote shootdown (1)
  threads_munmap-4686    (   4686) [000] d..2.  4820.507041: tlb_flush: pages:1 reason:local MM shootdown (3)
  threads_munmap-4686    (   4686) [000] .....  4820.507050: sys_munmap -> 0x0
"""


def convert(text, *options):
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.txt")
        dst = os.path.join(tmp, "out.trace")
        with open(src, "w") as f:
            f.write(text)
        proc = run("import-sched", src, dst, *options)
        out = None
        if os.path.exists(dst):
            with open(dst) as f:
                out = f.read()
    return proc, out


class TestImportSchedFormats(unittest.TestCase):
    def good(self, text, *options):
        proc, out = convert(text, *options)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        errors, _ = check(out)
        self.assertEqual(errors, [])
        return out, summary(proc.stderr)

    def test_ftrace_header_fork_exec_exit(self):
        out, n = self.good(FTRACE_HEADER)
        self.assertIn("cpus 2", out)
        self.assertIn("proc 500 bash", out)
        self.assertIn("kthread 20 kworker/0:1", out)
        self.assertIn("0 fork 501", out)
        self.assertIn("1 exec my_prog", out)   # sanitized: space -> _
        lines = [" ".join(r) for r in records(out)]
        exit_at = lines.index("1 exit")
        self.assertEqual(lines[exit_at + 1], "1 switch 0")
        self.assertEqual((n["fork"], n["exec"], n["exit"], n["repairs"]), (1, 1, 1, 0))
        # the capture ends before the switch after the exit: made up, untraced
        out, _ = self.good(FTRACE_HEADER.rsplit("\n", 2)[0] + "\n")
        lines = [" ".join(r) for r in records(out)]
        after = [x for x in lines[lines.index("1 exit") + 1:] if x.startswith("1 ")]
        self.assertEqual(after[0], "1 switch 0 untraced")

    def test_tgid_column_makes_threads_declared_threads(self):
        out, n = self.good(TGID_COLUMN)
        # 2029 is the first of TGID 549 (proc), 654 and 549 are its threads,
        # declared as such: no clone (and no switch) is made up for them
        self.assertIn("proc 2029 Binder:549_4", out)
        self.assertIn("thread 654 2029 EventThread", out)
        self.assertIn("thread 549 2029 surfaceflinger", out)
        self.assertIn("proc 700 app", out)   # unknown TGID: its own process
        self.assertEqual(n["clone"], 0)
        self.assertEqual(len(records(out, "switch")), 4 + 1)   # + CPU 0's first (2029)
        self.assertEqual(len(records(out, "mmap")), 2)  # one working set per process

    def test_trace_cmd_numeric_state_and_unknown_comm(self):
        out, n = self.good(TRACE_CMD)
        self.assertIn("cpus 2", out)
        self.assertIn("proc 1701 trace-cmd", out)   # <...> named from prev_comm
        self.assertIn("kthread 46 kworker/u12:1", out)
        self.assertEqual(n["sched_switch"], 4)
        self.assertEqual(n["inferred"], 1)          # 1701 ran on CPU 1 before tracing
        self.assertEqual(len(records(out, "switch")), 4 + 1)

    def test_perf_script_both_forms(self):
        out, n = self.good(PERF_SCRIPT)
        self.assertIn("kthread 18 migration/0", out)
        self.assertIn("kthread 9 rcu_sched", out)
        self.assertIn("proc 3001 Web_Content", out)
        self.assertIn("thread 3000 3001 Web_Content", out)   # perf pid/tid: 3000 is 3001's group
        self.assertEqual(n["sched_switch"], 5)

    def test_repair_when_task_on_two_cpus(self):
        out, n = self.good(NEEDS_REPAIR)
        self.assertEqual(n["repairs"], 1)
        lines = [" ".join(r) for r in records(out) if r[0].isdigit() and r[1] == "switch"]
        self.assertEqual(lines, ["0 switch 300", "0 switch 0 untraced", "1 switch 300", "1 switch 0"])

    def test_pid_reuse_gets_new_pid(self):
        out, n = self.good(PID_REUSE)
        self.assertIn("proc 400 old", out)
        self.assertIn("proc 401 new", out)
        self.assertEqual(n["reused"], 1)

    def test_pid_map_follows_reuse(self):
        # --pid-map: which output PID each kernel PID became, from when
        # (kernel ns): 400's second life is output PID 401 from 1.000300
        with tempfile.TemporaryDirectory() as tmp:
            pids = os.path.join(tmp, "pids")
            self.good(PID_REUSE, "--pid-map", pids)
            with open(pids) as f:
                lines = f.read().splitlines()
        self.assertEqual(lines, ["# import-sched pid map: KERNEL_PID OUTPUT_PID FROM_NS",
                                 "400 400 1000100000", "400 401 1000300000"])

    def test_no_accesses_and_ticks(self):
        out, _ = self.good(FTRACE_HEADER, "--no-accesses", "--ghz", "2")
        ops = {r[1] for r in records(out) if r[0].isdigit()}
        self.assertFalse(ops & {"r", "w", "kr", "kw", "mmap"})
        ticks = [int(r[2]) for r in records(out, "tick")]
        self.assertIn(400000, ticks)   # bash ran 200 us on CPU 0 at 2 GHz

    def test_access_options(self):
        out, _ = self.good(TRACE_CMD, "--accesses-per-slice", "10", "--working-set-pages", "4",
                           "--kernel-accesses", "0", "--distribution", "uniform")
        user = [r for r in records(out) if len(r) > 1 and r[1] in ("r", "w")]
        self.assertEqual(len(user), 10 * 3)   # three switch-ins of user tasks
        self.assertTrue(all(0x10000000 <= int(r[2], 16) < 0x10000000 + 4 * 4096 for r in user))
        self.assertIn("mmap 0x10000000 0x4000 rw-", out)
        self.assertFalse(records(out, "kr") + records(out, "kw"))

    def test_kthread_options(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("# my kernel threads\nsh\n1701\n")
        try:
            out, _ = self.good(TRACE_CMD, "--kthreads", f.name)
        finally:
            os.unlink(f.name)
        self.assertIn("kthread 1642 sh", out)
        self.assertIn("kthread 1701 trace-cmd", out)
        out, _ = self.good(TRACE_CMD, "--no-default-kthreads", "--kthread-pattern", "kwork")
        self.assertIn("kthread 46 kworker/u12:1", out)
        out, _ = self.good(TRACE_CMD, "--no-default-kthreads")
        self.assertIn("proc 46 kworker/u12:1", out)

    def test_deterministic_and_seeded(self):
        a, _ = self.good(FTRACE_HEADER, "--seed", "7")
        b, _ = self.good(FTRACE_HEADER, "--seed", "7")
        c, _ = self.good(FTRACE_HEADER, "--seed", "8")
        self.assertEqual(a, b)
        self.assertNotEqual(a, c)

    def test_other_events_lost_events_and_tlb_flush(self):
        text = ("CPU:1 [LOST 12 EVENTS]\n"
                "  app-70 [001] d..3 1.000100: tlb_flush: pages=-1 reason=flush on task switch (0)\n"
                "  app-70 [001] d..3 1.000200: sched_wakeup_new: comm=app pid=71 prio=120 target_cpu=001\n"
                "  app-70 [001] .... 1.000300: sys_read(fd: 3, buf: 7ffe, count: 1)\n"
                "  app-70 [001] d..3 1.000400: sched_switch: prev_comm=app prev_pid=70 prev_prio=120 "
                "prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120\n")
        out, n = self.good(text)
        self.assertNotIn("tlb_flush", out)   # validate-kernel reads those; no record
        self.assertEqual([" ".join(r) for r in records(out, "switch")],
                         ["1 switch 70 untraced", "1 switch 0"])
        self.assertNotIn("71", out)

    def test_stdin_to_stdout(self):
        proc = run("import-sched", "-", "-", "--quiet", stdin=TRACE_CMD)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr, "")
        self.assertTrue(proc.stdout.startswith("mmtrace 1\ncpus 2\n"))

    def test_exec_preempted_after_its_cr3_load(self):
        out, n = self.good(EXEC_PREEMPTED)
        lines = [x for x in out.splitlines() if x.startswith("@")]
        execs = [x for x in lines if " exec " in x]
        self.assertEqual(len(execs), 1)
        self.assertRegex(execs[0], r"^@3679000 1 exec true 0x[0-9a-f]+ preempted$")   # at the CR3 load
        after = lines[lines.index(execs[0]) + 1:]
        self.assertRegex(next(x for x in after if x.split()[1] == "1"), r" 1 switch 21$")
        self.assertIn("@69000 1 w 0x7f0000001000", lines)   # the old mm's fault stays before it
        self.assertEqual((n["exec"], n["exec_preempted"]), (1, 1))
        # had the old mm been released before the switch (its flush on CPU 1
        # in between), the exec was not preempted there
        text = EXEC_PREEMPTED.replace(
            "            true-3514    (   3514) [001] d..2.  4802.118316: sched_switch:",
            "            true-3514    (   3514) [001] d..2.  4802.118312: tlb_flush: pages:-1 reason:local MM shootdown (3)\n"
            "            true-3514    (   3514) [001] d..2.  4802.118316: sched_switch:")
        out, n = self.good(text)
        self.assertEqual((n["exec"], n["exec_preempted"]), (1, 0))
        self.assertRegex(out, r"\n@3679000 1 exec true 0x[0-9a-f]+\n")

    def test_cpumask_of_a_process_older_than_the_capture(self):
        out, n = self.good(OLD_CPUMASK, "--no-accesses")
        decl = [x for x in out.splitlines() if x.split()[0] in ("cpumask", "next_trim")]
        # no other CPU took an IPI: that flush did not trim; the next trim
        # is taken as 1 s after the send (at 67 us)
        self.assertEqual(decl, ["cpumask 5115 0", "next_trim 5115 1000067000"])
        self.assertEqual(n["cpumasks"], 1)
        # CPU 0 handles an IPI just after: maybe a trim, the clock stays due
        handled = OLD_CPUMASK.replace(
            "     lto1-ltrans-5115    (   5115) [001] d..2.  4829.465924:",
            "          <idle>-0       (-------) [000] d.h1.  4829.465950: tlb_flush: pages:0 "
            "reason:remote wrong CPU (5)\n     lto1-ltrans-5115    (   5115) [001] d..2.  4829.465924:")
        out, _ = self.good(handled, "--no-accesses")
        decl = [x for x in out.splitlines() if x.split()[0] in ("cpumask", "next_trim")]
        self.assertEqual(decl, ["cpumask 5115 0"])
        # seen on CPU 0 before its first send: the trace explains the mask
        ran = OLD_CPUMASK.replace("# tracer: nop\n", "# tracer: nop\n"
            "     lto1-ltrans-5115    (   5115) [000] .....  4829.465000: sys_brk(brk: 0)\n")
        out, n = self.good(ran, "--no-accesses")
        self.assertNotIn("cpumask", out)
        self.assertEqual(n["cpumasks"], 0)

    def test_kernel_fault_with_a_symbol_ip(self):
        # schedule_tail's put_user of the child TID: the kernel prints the ip
        # as a symbol; the fault (a COW of a present page) still counts
        text = EXEC_PREEMPTED.splitlines()[0] + "\n" + (
            "            bash-3514    (   3514) [001] d....  4802.114635: page_fault_user: "
            "address=0x7f0000001000 ip=0x7f0000001000 error_code=0x4\n"
            "            bash-3514    (   3514) [001] d....  4802.114640: page_fault_kernel: "
            "address=0x7f0000001a10 ip=__put_user_4 error_code=0x3\n")
        out, n = self.good(text)
        self.assertEqual(n["kernel_faults"], 1)
        self.assertRegex(out, r"\n@9000 1 kw 0x7f0000001a10\n")

    def test_kvm_pv_marks_preempted_vcpus(self):
        out, n = self.good(PV_PREEMPTED, "--kvm-pv=yes")
        lines = [x for x in out.splitlines() if x.startswith("@")]
        cpu1 = [x for x in lines if x.split()[1] == "1"]
        # preempted before the first send's munmap (110 us after the first
        # event), once; running again before the third send, which it took
        self.assertIn("@110000 1 preempted", cpu1)
        self.assertEqual(sum(" preempted" in x for x in lines), 1)
        self.assertIn("@7010000 1 tick 0", cpu1)
        self.assertLess(lines.index("@110000 1 preempted"),
                        lines.index("@110000 0 munmap 0x7f0000010000 0x1000"))
        self.assertEqual(n["preempted"], 1)
        out, n = self.good(PV_PREEMPTED, "--kvm-pv=no")
        self.assertNotIn("preempted", out.replace("exec_preempted", ""))
        self.assertEqual(n["preempted"], 0)

    def test_snapshot_shmem_mappings_are_not_files(self):
        # /proc/PID/maps shows an inode for /dev/zero and memfd mappings:
        # shared ones (and any of /dev/zero) are shmem, anonymous memory to
        # mmusim; a private memfd mapping is a private file mapping
        snap = ("mmusim-snapshot 1\ncpus 2\nclock mono 4802114000000\n"
                "task 3514 3514 user bash\n"
                "vma 3514 7f0000000000 7f0000001000 rw-s 00000000 00:01 7 /dev/zero (deleted)\n"
                "vma 3514 7f0000010000 7f0000011000 rw-s 00000000 00:01 8 /memfd:buf (deleted)\n"
                "vma 3514 7f0000020000 7f0000021000 r-xp 00000000 00:01 8 /memfd:buf (deleted)\n"
                "vma 3514 7f0000030000 7f0000031000 rw-s 00000000 08:01 9 /tmp/data\n")
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "s.snapshot")
            with open(path, "w") as f:
                f.write(snap)
            out, _ = self.good(EXEC_PREEMPTED, "--snapshot", path)
        vmas = [x for x in out.splitlines() if x.startswith("vma 3514 0x7f00000") and "0000 0x1000" in x]
        self.assertEqual(vmas, ["vma 3514 0x7f0000000000 0x1000 rw- shared",
                                "vma 3514 0x7f0000010000 0x1000 rw- shared",
                                "vma 3514 0x7f0000020000 0x1000 r-x file=/memfd:buf?(deleted)",
                                "vma 3514 0x7f0000030000 0x1000 rw- shared file=/tmp/data"])

    def test_brk_records_and_the_heap_layout(self):
        """brk results become brk records (the first one only tells the
        heap's start); a snapshot's [heap] declares start_brk and brk."""
        snap = ("mmusim-snapshot 1\ncpus 2\nclock mono 4802114000000\n"
                "task 3514 3514 user bash\n"
                "vma 3514 555555570000 555555591000 rw-p 00000000 00:00 0 [heap]\n")
        trace = EXEC_PREEMPTED.split("            true-3514")[0] + (
            "            bash-3514    (   3514) [001] .....  4802.114800: sys_brk(brk: 555555592000)\n"
            "            bash-3514    (   3514) [001] .....  4802.114810: sys_brk -> 0x555555592000\n"
            "            bash-3514    (   3514) [001] .....  4802.114820: sys_brk(brk: 555555580000)\n"
            "            bash-3514    (   3514) [001] .....  4802.114830: sys_brk -> 0x555555580000\n")
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "s.snapshot")
            with open(path, "w") as f:
                f.write(snap)
            out, _ = self.good(trace, "--snapshot", path)
        lines = out.splitlines()
        self.assertIn("layout 3514 0x0 0x0 0x0 0x0 0x555555570000 0x555555591000 0x0", lines)
        brks = [" ".join(x.split()[-2:]) for x in lines if " brk " in x and not x.startswith("#")]
        self.assertEqual(brks, ["brk 0x555555592000", "brk 0x555555580000"])

    def test_heap_of_a_process_older_than_the_trace_starts_at_its_lowest_brk(self):
        """A live shell-loop capture, shortened: bash 17757 began between
        the snapshot and the trace (in neither), so the first brk the trace
        shows grows its heap rather than asking where it is, and the next
        one shrinks it below that. SYSCALL_DEFINE1(brk) never returns a
        break below mm->start_brk, so the heap starts at the lowest result:
        one layout (START_BRK 0x...20000, BRK the first result
        0x...28000); the first brk record changes nothing, the second
        unmaps [0x...20000, 0x...28000), 8 pages. Without it mmusim
        stopped: 'brk 0x55cf67f20000 is below the heap's start'."""
        trace = (
            "# tracer: nop\n# CPUs: 2  #P:2\n"
            "     rcu_preempt-15      (     15) [000] d..2.  5047.908528: sched_switch: prev_comm=rcu_preempt prev_pid=15 prev_prio=120 prev_state=I ==> next_comm=bash next_pid=17757 next_prio=120\n"
            "            bash-17757   (  17757) [000] d....  5047.908744: page_fault_user: address=0x55cf67ef4f98 ip=0x55cf5faef0aa error_code=0x7\n"
            "            bash-17757   (  17757) [000] .....  5047.908784: sys_brk(brk: 0x55cf67f28000)\n"
            "            bash-17757   (  17757) [000] .....  5047.908796: sys_brk -> 0x55cf67f28000\n"
            "            bash-17757   (  17757) [000] d....  5047.908798: page_fault_user: address=0x55cf67f07a88 ip=0x7f488d087c98 error_code=0x6\n"
            "            bash-17757   (  17757) [000] .....  5047.908836: sys_brk(brk: 0x55cf67f20000)\n"
            "            bash-17757   (  17757) [000] .....  5047.908842: sys_brk -> 0x55cf67f20000\n"
            "            bash-17757   (  17757) [000] d....  5047.908851: page_fault_user: address=0x55cf67ef0b1c ip=0x55cf5faba2c3 error_code=0x7\n")
        out, n = self.good(trace)
        lines = out.splitlines()
        self.assertIn("layout 17757 0x0 0x0 0x0 0x0 0x55cf67f20000 0x55cf67f28000 0x0", lines)
        self.assertEqual(n["heap_floors"], 1)
        brks = [" ".join(x.split()[-2:]) for x in lines if " brk " in x and not x.startswith("#")]
        self.assertEqual(brks, ["brk 0x55cf67f28000", "brk 0x55cf67f20000"])
        self.assertEqual(self.replay(out), 0)
        # a fork of it shares the heap's start (dup_mm): the child's lower
        # brk sets the parent's layout; the first result stays its BRK
        forked = trace.replace(
            "            bash-17757   (  17757) [000] .....  5047.908836: sys_brk(brk: 0x55cf67f20000)\n"
            "            bash-17757   (  17757) [000] .....  5047.908842: sys_brk -> 0x55cf67f20000\n",
            "            bash-17757   (  17757) [000] .....  5047.908800: sched_process_fork: comm=bash pid=17757 child_comm=bash child_pid=17760\n"
            "            bash-17757   (  17757) [000] d..2.  5047.908810: sched_switch: prev_comm=bash prev_pid=17757 prev_prio=120 prev_state=S ==> next_comm=bash next_pid=17760 next_prio=120\n"
            "            bash-17760   (  17760) [000] .....  5047.908836: sys_brk(brk: 0x55cf67f1f000)\n"
            "            bash-17760   (  17760) [000] .....  5047.908842: sys_brk -> 0x55cf67f1f000\n"
            ).replace("bash-17757   (  17757) [000] d....  5047.908851", "bash-17760   (  17760) [000] d....  5047.908851")
        out, n = self.good(forked)
        self.assertIn("layout 17757 0x0 0x0 0x0 0x0 0x55cf67f1f000 0x55cf67f28000 0x0", out.splitlines())
        self.assertEqual(n["heap_floors"], 1)
        self.assertEqual(self.replay(out), 0)
        # a snapshot's [heap] above a brk result: START_BRK is that result
        snap = ("mmusim-snapshot 1\ncpus 2\nclock mono 5047908000000\n"
                "task 17757 17757 user bash\n"
                "vma 17757 55cf67ee4000 55cf67f28000 rw-p 00000000 00:00 0 [heap]\n")
        low = trace.replace("0x55cf67f20000", "0x55cf67ee0000")
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "s.snapshot")
            with open(path, "w") as f:
                f.write(snap)
            out, n = self.good(low, "--snapshot", path)
        self.assertIn("layout 17757 0x0 0x0 0x0 0x0 0x55cf67ee0000 0x55cf67f28000 0x0", out.splitlines())
        self.assertEqual(n["heap_floors"], 0)
        self.assertEqual(self.replay(out), 0)

    def replay(self, text):
        """mmusim's exit status on TEXT (it checks every brk)."""
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "t.trace")
            with open(path, "w") as f:
                f.write(text)
            proc = subprocess.run([MMUSIM, "--quiet", path], capture_output=True, text=True)
        self.assertEqual(proc.stderr, "")
        return proc.returncode


class TestImportSchedBadInput(unittest.TestCase):
    def bad(self, text, line, words):
        proc, out = convert(text)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIsNone(out, "no half-written output")
        self.assertRegex(proc.stderr, r"in\.txt:%d: error: .*%s" % (line, words))

    def test_garbage_line(self):
        self.bad(TRACE_CMD + "this is not a trace line\n", 8, "not a scheduler event")

    def test_truncated_switch(self):
        self.bad(FTRACE_HEADER.replace("next_comm=kworker/0:1 next_pid=20", "next_comm=x"),
                 9, "cannot parse sched_switch")

    def test_cpu_out_of_range(self):
        self.bad("  a-1 [300] d..3 1.0: sched_switch: x\n", 1, "cpu 300")

    def test_empty(self):
        self.bad("# nothing here\n", 1, "no scheduler events")


class TestImportSchedRealTraces(unittest.TestCase):
    def convert_real(self, name):
        with tempfile.TemporaryDirectory() as tmp:
            dst = os.path.join(tmp, "out.trace")
            proc = run("import-sched", real_trace(name), dst)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(dst) as f:
                out = f.read()
        errors, counts = check(out)
        self.assertEqual(errors, [])
        n = summary(proc.stderr)
        with open(real_trace(name)) as f:
            switch_lines = sum("sched_switch:" in line for line in f)
        self.assertEqual(n["sched_switch"], switch_lines)
        # every sched_switch line is one switch record, plus the documented extras
        self.assertEqual(counts["switch"], n["switch"])
        self.assertEqual(n["switch"], switch_lines - n["noop"] + n["inferred"] + n["implied"]
                         + n["repairs"])
        return out, n, counts

    def test_ftrace_8cpu_fork_exec_exit(self):
        out, n, counts = self.convert_real("tracecompass-ftrace-syscalls-fork-exec-8cpu.txt")
        self.assertIn("cpus 8", out)
        self.assertEqual((counts["fork"], counts["exec"], counts["exit"]), (1, 1, 2))
        self.assertIn("2 fork 4084", out)
        self.assertIn("5 exec ls", out)
        kthreads = {r[2] for r in records(out, "kthread")}
        self.assertEqual(kthreads, {"kworker/u32:4", "kworker/1:2", "kworker/4:3", "kworker/2:2",
                                    "kworker/5:0", "kworker/3:4", "kworker/0:1H", "jbd2/sdd1-8"})
        self.assertEqual((n["inferred"], n["repairs"]), (4, 0))

    def test_trace_cmd_6cpu(self):
        out, n, counts = self.convert_real("lisa-trace-cmd-report-6cpu.txt")
        self.assertIn("cpus 6", out)
        kthreads = {r[2] for r in records(out, "kthread")}
        self.assertTrue({"kworker/u12:1", "rcu_preempt", "watchdog/1"} <= kthreads)
        self.assertTrue(any(k.startswith("migration/") for k in kthreads))
        procs = {r[2] for r in records(out, "proc")}
        self.assertTrue({"sh", "sshd", "trace-cmd"} <= procs)
        self.assertEqual(counts["switch"], 1856 + n["inferred"] + n["repairs"] - n["noop"])

    def test_atrace_4cpu_tgid_threads(self):
        out, n, counts = self.convert_real("tracecompass-atrace-android-4cpu.txt")
        self.assertIn("cpus 4", out)
        # Binder threads of one TGID share an mm: declared threads, not clones
        self.assertGreater(len(records(out, "thread")), 50)
        self.assertEqual(counts.get("clone", 0), n["clone"])
        kthreads = {r[2] for r in records(out, "kthread")}
        self.assertTrue({"ksoftirqd/1", "rcu_preempt"} <= kthreads)
        self.assertTrue(any(k.startswith("kworker/") for k in kthreads))
        self.assertTrue(all(len(r[2]) <= 15 for r in records(out, "proc")))


if __name__ == "__main__":
    unittest.main()
