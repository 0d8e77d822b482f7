"""What a kernel trace itself counts: tlb_flush events by reason and pages
field, user page faults, and scheduler switches (those traced, and those a
CPU's switch sequence shows the kernel made without tracing).

These are the kernel's side of scripts/validate-kernel's comparison; the
model's side is mmusim's statistics (tlb_flush, tlb_flush_pages, faults,
switches).
"""

REASONS = ("task_switch", "remote_shootdown", "local_shootdown", "local_mm_shootdown",
           "remote_send_ipi", "remote_wrong_cpu")
# the tracepoint's names (include/linux/mm_types.h TLB_FLUSH_REASON)
REASON_TEXT = ("flush on task switch", "remote shootdown", "local shootdown",
               "local MM shootdown", "remote IPI send", "remote wrong CPU")
KINDS = ("full", "range", "none")   # pages -1, N > 0, 0


class KernelCounts:
    def __init__(self):
        self.flush = {r: 0 for r in REASONS}
        self.flush_kind = {(r, k): 0 for r in REASONS for k in KINDS}
        self.in_irq = {(r, k): 0 for r in REASONS for k in KINDS}   # traced in hard interrupt context
        self.faults_user = 0
        self.faults_kernel_user_addr = 0
        self.switches = 0
        self.untraced_switches = 0
        self.cpus = set()
        self.first_ts = None
        self.last_ts = None

    def as_dict(self):
        return {"tlb_flush": dict(self.flush),
                "tlb_flush_pages": {r: {k: self.flush_kind[(r, k)] for k in KINDS} for r in REASONS},
                "faults_user": self.faults_user, "switches": self.switches,
                "untraced_switches": self.untraced_switches,
                "duration_ns": (self.last_ts - self.first_ts) if self.first_ts is not None else 0}


def count(events, user_top=1 << 47):
    """KernelCounts of a list of schedparse Events (in time order)."""
    k = KernelCounts()
    last_next = {}
    for ev in events:
        if k.first_ts is None:
            k.first_ts = ev.ts
        k.last_ts = ev.ts
        k.cpus.add(ev.cpu)
        kind = ev.kind
        if kind == "tlb_flush":
            reason = ev.f["reason"]
            if 0 <= reason < len(REASONS):
                r = REASONS[reason]
                pages = ev.f["pages"]
                kind_ = "full" if pages < 0 else "range" if pages > 0 else "none"
                k.flush[r] += 1
                k.flush_kind[(r, kind_)] += 1
                k.in_irq[(r, kind_)] += ev.irq
        elif kind == "page_fault_user":
            k.faults_user += 1
        elif kind == "page_fault_kernel":
            if ev.f["address"] < user_top:
                k.faults_kernel_user_addr += 1
        elif kind == "sched_switch":
            k.switches += 1
            prev = last_next.get(ev.cpu)
            if prev is not None and prev != ev.f["pp"]:
                k.untraced_switches += 1   # the CPU ran prev_pid without a traced switch to it
            last_next[ev.cpu] = ev.f["np"]
    return k


def ipi_latency_ns(events, window_ns=1000000):
    """The machine's flush IPI latency as the trace shows it: the median
    time from a "remote IPI send" to a "remote shootdown" or "remote
    wrong CPU" on another CPU (the target's handler), each handler matched
    with the latest send from another CPU before it, within window_ns;
    None when the trace has none."""
    samples = []
    last_send = {}     # cpu -> time of its latest unmatched send
    for ev in events:
        if ev.kind != "tlb_flush":
            continue
        reason = ev.f["reason"]
        if reason == 4:
            last_send[ev.cpu] = ev.ts
        elif reason in (1, 5):
            best = None
            for cpu, ts in last_send.items():
                if cpu != ev.cpu and ev.ts - ts <= window_ns and (best is None or ts > best[1]):
                    best = (cpu, ts)
            if best is not None:
                samples.append(ev.ts - best[1])
                del last_send[best[0]]
    if not samples:
        return None
    samples.sort()
    return samples[len(samples) // 2]


def ipi_send_ns(events, window_ns=1000000):
    """The initiator's time to send flush IPIs as the trace shows it: the
    median time from a "remote IPI send" to the same task's "local MM
    shootdown" on the same CPU right after it, for the sends a target
    handled (a remote shootdown or wrong CPU on another CPU before the
    next send: the kernel traces a send even when it interrupts no one);
    None when there is none."""
    samples = []
    last = {}          # cpu -> [time, pid, local flush time or None, handled]
    def close(cpu):
        s = last.pop(cpu, None)
        if s and s[2] is not None and s[3]:
            samples.append(s[2] - s[0])
    for ev in events:
        if ev.kind != "tlb_flush":
            continue
        reason = ev.f["reason"]
        if reason == 4:
            close(ev.cpu)
            last[ev.cpu] = [ev.ts, ev.pid, None, False]
        elif reason == 3:
            s = last.get(ev.cpu)
            if s and s[1] == ev.pid and s[2] is None and ev.ts - s[0] <= window_ns:
                s[2] = ev.ts
        elif reason in (1, 5):
            for cpu, s in last.items():
                if cpu != ev.cpu and ev.ts - s[0] <= window_ns:
                    s[3] = True
    for cpu in list(last):
        close(cpu)
    if not samples:
        return None
    samples.sort()
    return samples[len(samples) // 2]
