#!/usr/bin/env python3
# tests/stress/chaos.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Chaos: every job ends exactly once, with the right result or error.

4 ppd nodes on loopback (1 and 2 workers, alternately) and 2 local workers
run a stream of jobs of mixed length (1 ms to 5 s) from one pp.Server:
most return a value computed from their arguments (some print, some return
up to 2 MB), some raise, some call sys.exit(), some crash their worker
(os._exit, SIGKILL of themselves, a segfault through ctypes).  Meanwhile a
seeded chaos driver kills a ppd (-9) and restarts it on its port, freezes
one (SIGSTOP) for longer than the heartbeats allow then thaws it, restarts
one gracefully (SIGTERM), kills single workers (-9, local ones and ppd's)
and drops the client's TCP connection to a node (`ss -K`: the kernel
destroys the socket, the node sees a reset).

Checked, for every job: its callback ran exactly once, with the job's value
(None when it failed, as in pp); job() returned its value or raised the
right error (ValueError with its message, pp.JobExitError with its exit
code, pp.WorkerCrashedError for a job that crashes its worker); what it
printed arrived exactly once.  A job whose worker the chaos killed is run
again (jobs of a lost node anywhere, without limit; the job a dead worker
ran once more, README "Fault tolerance"), so it still gives its value —
unless the chaos killed its worker on both attempts, which is then
pp.WorkerCrashedError naming a worker the chaos killed, and counted.  No
job may stay unfinished longer than its length plus a bound (the
watchdog).

Run: ./dev.sh env /usr/bin/python3 tests/stress/chaos.py [--smoke]
       [--minutes M] [--seed S] [--heartbeat-ms MS]
The seed is printed first: the same seed replays the same choices (jobs
and chaos events; their timing against the jobs differs from run to run).
"""

import argparse
import collections
import heapq
import io
import os
import random
import re
import signal
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cluster  # noqa: E402

# What the chaos driver does, with its weight.
EVENTS = {
    "kill_local_worker": 22,
    "kill_node_worker": 22,
    "drop_connection": 16,
    "kill_node": 14,
    "freeze_node": 12,
    "restart_node": 8,
    "freeze_node_short": 6,
}
# Job kinds, with their weight.
KINDS = {
    "value": 62, "print": 10, "big": 5, "raise": 9, "exit": 5,
    "os_exit": 3, "sigkill": 3, "segv": 3,
}
CRASHES = {"os_exit": "exited with status 7", "sigkill": "killed by signal 9",
           "segv": "killed by signal 11"}
WORKER_PID = re.compile(r"Worker process (\d+) ")


def chaos_job(i, kind, seconds, markers):
    """The job: notes its attempt (job number and worker pid) in the
    markers file, sleeps, then does what its kind says."""
    import os
    import sys
    import time
    fd = os.open(markers, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, b"%d %d\n" % (i, os.getpid()))
    finally:
        os.close(fd)
    time.sleep(seconds)
    if kind == "raise":
        raise ValueError("chaos job %d" % i)
    if kind == "exit":
        sys.exit(i % 100 + 1)
    if kind == "os_exit":
        os._exit(7)
    if kind == "sigkill":
        os.kill(os.getpid(), 9)
    if kind == "segv":
        import ctypes
        ctypes.string_at(0)
    if kind == "print":
        for k in range(i % 3 + 1):
            print("chaos-out %d %d" % (i, k))
    if kind == "big":
        return bytes([i % 251]) * (65536 + (i * 7919) % (2 * 1024 * 1024 - 65536))
    return (i, (i * 2654435761) % 4294967296, seconds)


def expected_value(i, kind, seconds):
    if kind == "big":
        return bytes([i % 251]) * (65536 + (i * 7919) % (2 * 1024 * 1024 - 65536))
    return (i, (i * 2654435761) % 4294967296, seconds)


class Record:
    __slots__ = ("i", "kind", "seconds", "submitted", "job", "callbacks", "outcome",
                 "finished", "verdict", "cancelled")

    def __init__(self, i, kind, seconds):
        self.i = i
        self.kind = kind
        self.seconds = seconds
        self.submitted = 0.0
        self.job = None
        self.callbacks = []
        self.outcome = None
        self.finished = None
        self.verdict = None
        self.cancelled = None         # what job.cancel() returned, if called


class Capture(io.TextIOBase):
    """sys.stdout while the jobs run: what job() prints of the jobs' output,
    kept to be checked."""

    def __init__(self):
        self.lock = threading.Lock()
        self.parts = []

    def writable(self):
        return True

    def write(self, text):
        with self.lock:
            self.parts.append(text)
        return len(text)

    def lines(self):
        with self.lock:
            return "".join(self.parts).splitlines()


class Chaos(threading.Thread):
    """The seeded chaos driver: one event every interval (uniform, mean
    `mean` s), on the nodes that are up; a killed node is restarted after
    0.5-5 s, a frozen one thawed after its time."""

    def __init__(self, rng, nodes, mean, loss_s, killed, say):
        super().__init__(name="chaos", daemon=True)
        self.rng = rng
        self.nodes = nodes
        self.mean = mean
        self.loss_s = loss_s
        self.killed = killed          # pid of a worker it killed: [when, ...]
        self.say = say
        self.counts = collections.Counter()
        self.skipped = collections.Counter()
        self.pending = []             # (when, seq, action, node)
        self.seq = 0
        self.stop_event = threading.Event()
        self.down = set()             # the nodes it killed, until restarted
        self.error = None
        self.log = []

    def later(self, delay, action, node):
        self.seq += 1
        heapq.heappush(self.pending, (time.monotonic() + delay, self.seq, action, node))

    def up_nodes(self):
        return [n for n in self.nodes if n.alive() and not n.stopped and not n.busy]

    def run(self):
        try:
            next_event = time.monotonic() + self.rng.uniform(0, 2 * self.mean)
            while not self.stop_event.is_set():
                now = time.monotonic()
                while self.pending and self.pending[0][0] <= now:
                    _, _, action, node = heapq.heappop(self.pending)
                    action(node)
                self.check_nodes()
                if now >= next_event:
                    self.event()
                    next_event = now + self.rng.uniform(0, 2 * self.mean)
                wake = min([next_event] + [p[0] for p in self.pending[:1]])
                self.stop_event.wait(max(0.0, min(wake - time.monotonic(), 0.2)))
        except BaseException as e:  # reported by the main thread
            self.error = "chaos driver: %r" % (e,)
            raise

    def check_nodes(self):
        """A ppd that exits without the chaos killing or stopping it is a
        failure (a crash of ppd itself)."""
        for node in self.nodes:
            if node.proc.poll() is not None and not node.busy and node.name not in self.down:
                self.error = "ppd %s exited by itself (status %d):\n%s" % (
                    node.name, node.proc.returncode, node.tail())
                self.stop_event.set()

    def finish(self):
        """Stops the events and brings every node back up."""
        self.stop_event.set()
        self.join()
        self.pending = []
        for node in self.nodes:
            if node.busy:
                try:
                    node.proc.wait(timeout=max(0.0, 30 - (time.monotonic() - node.term_since)))
                except subprocess.TimeoutExpired:
                    node.kill()
                node.busy = False
            if node.stopped:
                node.thaw()
            if not node.alive():
                node.start()
            self.down.discard(node.name)

    def note(self, kind, what):
        self.counts[kind] += 1
        self.log.append("%.1f %s %s" % (time.monotonic(), kind, what))

    def event(self):
        kind = self.rng.choices(list(EVENTS), weights=list(EVENTS.values()))[0]
        pick = self.rng.random()
        if kind == "kill_local_worker":
            pids = sorted(cluster.runner_children(os.getpid()))
            if not pids:
                self.skipped[kind] += 1
                return
            pid = pids[int(pick * len(pids))]
            self.killed[pid].append(time.monotonic())
            os.kill(pid, signal.SIGKILL)
            self.note(kind, "pid %d" % pid)
            return
        nodes = self.up_nodes()
        if not nodes:
            self.skipped[kind] += 1
            return
        node = nodes[int(pick * len(nodes))]
        if kind == "kill_node_worker":
            pids = sorted(node.worker_pids())
            if not pids:
                self.skipped[kind] += 1
                return
            pid = pids[self.rng.randrange(len(pids))]
            self.killed[pid].append(time.monotonic())
            os.kill(pid, signal.SIGKILL)
            self.note(kind, "%s pid %d" % (node.name, pid))
        elif kind == "drop_connection":
            done = cluster.drop_connections(node.port)
            for method, n in done.items():
                self.counts["dropped by " + method] += n
            self.note(kind, "%s (%s)" % (node.name, done))
        elif kind == "kill_node":
            self.down.add(node.name)
            node.kill()
            self.note(kind, node.name)
            self.later(self.rng.uniform(0.5, 5.0), self.restart, node)
        elif kind in ("freeze_node", "freeze_node_short"):
            if kind == "freeze_node":
                seconds = self.loss_s + self.rng.uniform(1.0, 5.0)
            else:
                seconds = self.rng.uniform(0.1, 0.5 * self.loss_s)
            node.freeze()
            self.note(kind, "%s for %.1f s" % (node.name, seconds))
            self.later(seconds, lambda n: n.thaw(), node)
        elif kind == "restart_node":
            # SIGTERM: ppd tells its clients it shuts down, lets its running
            # jobs finish and exits; started again once it has.
            node.busy = True
            node.signal(signal.SIGTERM)
            node.term_since = time.monotonic()
            self.note(kind, node.name)
            self.later(0.2, self.restart_when_gone, node)

    def restart(self, node):
        node.start()
        self.down.discard(node.name)

    def restart_when_gone(self, node):
        if node.proc.poll() is None:
            if time.monotonic() - node.term_since < 30:
                self.later(0.2, self.restart_when_gone, node)
                return
            node.kill()
            self.counts["restart_needed_kill"] += 1
        node.start()
        node.busy = False


def pick_job(rng, i):
    kind = rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
    r = rng.random()
    if kind in CRASHES or kind == "exit":
        seconds = rng.uniform(0.001, 0.2)
    elif r < 0.5:
        seconds = rng.uniform(0.001, 0.01)
    elif r < 0.8:
        seconds = rng.uniform(0.01, 0.3)
    elif r < 0.95:
        seconds = rng.uniform(0.3, 2.0)
    else:
        seconds = rng.uniform(2.0, 5.0)
    return Record(i, kind, round(seconds, 4))


def judge(pp, rec, killed, outputs):
    """The verdict on one finished job: (category, None) or (None, why it
    is wrong)."""
    i, kind = rec.i, rec.kind
    if rec.cancelled:
        # pp calls no callback for a cancelled job.
        if rec.callbacks:
            return None, "cancelled, but its callback ran %d times" % len(rec.callbacks)
        if rec.outcome[0] != "error" or not isinstance(rec.outcome[1], pp.CancelledError):
            return None, "cancelled, but job() gave %r" % (rec.outcome,)
        if outputs.get(i, 0):
            return None, "cancelled, but its output arrived"
        return "cancelled", None
    if len(rec.callbacks) != 1:
        return None, "callback ran %d times" % len(rec.callbacks)
    cb_value = rec.callbacks[0][1]
    what, value = rec.outcome
    printed = outputs.get(i, 0)
    want_lines = i % 3 + 1 if kind == "print" else 0
    if what == "error" and isinstance(value, pp.WorkerCrashedError):
        found = WORKER_PID.search(str(value))
        # Pids wrap around (pid_max): a kill counts only while the job was out.
        by_chaos = found is not None and any(
            rec.submitted <= when <= rec.callbacks[0][0] for when in killed.get(int(found.group(1)), ()))
        if cb_value is not None:
            return None, "crashed, but its callback got %r" % (cb_value,)
        if printed:
            return None, "crashed, but its output arrived (%d lines)" % printed
        if kind in CRASHES and CRASHES[kind] in str(value):
            return "crashed", None
        if by_chaos:
            return "chaos_crashed", None
        return None, "unexpected WorkerCrashedError: %s" % value
    if kind in ("value", "print", "big"):
        if what != "value":
            return None, "raised %r" % (value,)
        if value != expected_value(i, kind, rec.seconds):
            return None, "wrong result %r" % (value[:64] if isinstance(value, bytes) else value,)
        if cb_value is not value and cb_value != value:
            return None, "callback got %r" % (cb_value,)
        if printed != want_lines:
            return None, "printed %d lines, %d arrived" % (want_lines, printed)
        return "ok", None
    if what != "error":
        return None, "returned %r" % (value,)
    if cb_value is not None:
        return None, "failed, but its callback got %r" % (cb_value,)
    if printed:
        return None, "its output arrived though it printed nothing"
    if kind == "raise":
        if type(value) is ValueError and str(value) == "chaos job %d" % i:
            return "raised", None
        return None, "raised %r, not ValueError('chaos job %d')" % (value, i)
    if kind == "exit":
        if isinstance(value, pp.JobExitError) and value.exit_code == i % 100 + 1:
            return "exited", None
        return None, "raised %r, not JobExitError(exit_code=%d)" % (value, i % 100 + 1)
    return None, "%s job raised %r, not WorkerCrashedError" % (kind, value)


def scan_logs(logs):
    """GLib criticals and errors, sanitizer reports: failures wherever they
    are logged."""
    found = []
    for name, path in logs:
        try:
            with open(path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            continue
        for line in text.splitlines():
            if ("-CRITICAL **" in line or "-ERROR **" in line or "Sanitizer" in line
                    or "runtime error:" in line):
                found.append("%s logged: %s" % (name, line.strip()[:300]))
    return found


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true",
                        help="a short run (40 s, heartbeats every 500 ms)")
    parser.add_argument("--minutes", type=float, help="how long jobs are submitted (default 10)")
    parser.add_argument("--seed", type=int, help="replay a run (default: a random one, printed)")
    parser.add_argument("--nodes", type=int, default=4, help="ppd nodes (default 4)")
    parser.add_argument("--local-workers", type=int, default=2, help="the client's workers (default 2)")
    parser.add_argument("--heartbeat-ms", type=int,
                        help="PP_HEARTBEAT_MS for client and nodes (default: unset, 2000 ms; smoke 500)")
    parser.add_argument("--event-interval", type=float,
                        help="mean seconds between chaos events (default 3, smoke 1)")
    parser.add_argument("--cancel-rate", type=float, default=0.02,
                        help="after a submit, job.cancel() on an unfinished job with this probability (default 0.02)")
    parser.add_argument("--bound", type=float,
                        help="watchdog: seconds a job may stay unfinished beyond its length (default 120, smoke 90)")
    args = parser.parse_args()
    if args.minutes is None:
        args.minutes = 40 / 60 if args.smoke else 10.0
    if args.heartbeat_ms is None and args.smoke:
        args.heartbeat_ms = 500
    if args.event_interval is None:
        args.event_interval = 1.0 if args.smoke else 3.0
    if args.bound is None:
        args.bound = 90.0 if args.smoke else 120.0
    if args.seed is None:
        args.seed = int.from_bytes(os.urandom(4), "little")
    if not 1 <= args.nodes <= 64 or args.local_workers < 0 or args.minutes <= 0:
        parser.error("need 1-64 nodes, >= 0 local workers, minutes > 0")
    return args


def replay_args(args):
    """The options that replay this run: the seed, and every other one the
    run was given (the smoke run's are implied by --smoke)."""
    words = ["--smoke"] if args.smoke else []
    words += ["--seed", str(args.seed)]
    if args.minutes != (40 / 60 if args.smoke else 10.0):
        words += ["--minutes", "%g" % args.minutes]
    if args.nodes != 4:
        words += ["--nodes", str(args.nodes)]
    if args.local_workers != 2:
        words += ["--local-workers", str(args.local_workers)]
    if args.heartbeat_ms and args.heartbeat_ms != (500 if args.smoke else None):
        words += ["--heartbeat-ms", str(args.heartbeat_ms)]
    if args.event_interval != (1.0 if args.smoke else 3.0):
        words += ["--event-interval", "%g" % args.event_interval]
    if args.cancel_rate != 0.02:
        words += ["--cancel-rate", "%g" % args.cancel_rate]
    if args.bound != (90.0 if args.smoke else 120.0):
        words += ["--bound", "%g" % args.bound]
    return " ".join(words)


class Run:
    def __init__(self, args, say):
        self.args = args
        self.say = say
        self.lock = threading.Lock()
        self.records = []
        self.outstanding = {}
        self.room = threading.Condition(self.lock)
        self.collect = collections.deque()
        self.collect_ready = threading.Semaphore(0)
        self.failures = []
        self.max_latency = (0.0, None)
        self.max_beyond = (0.0, None)

    def on_done(self, i, value):
        now = time.monotonic()
        with self.lock:
            rec = self.records[i]
            rec.callbacks.append((now, value))
            if len(rec.callbacks) == 1:
                self.outstanding.pop(i, None)
                latency = now - rec.submitted
                if latency > self.max_latency[0]:
                    self.max_latency = (latency, rec)
                if latency - rec.seconds > self.max_beyond[0]:
                    self.max_beyond = (latency - rec.seconds, rec)
                self.room.notify()

    def cancel_one(self, pick):
        """job.cancel() on one of the unfinished jobs (the pick-th of them)."""
        with self.lock:
            candidates = sorted(i for i, r in self.outstanding.items() if r.cancelled is None)
        if not candidates:
            return
        rec = self.records[candidates[int(pick * len(candidates))]]
        rec.cancelled = rec.job.cancel()
        if rec.cancelled:
            with self.lock:
                self.outstanding.pop(rec.i, None)
                self.room.notify()

    def collector(self, pp):
        while True:
            self.collect_ready.acquire()
            rec = self.collect.popleft()
            if rec is None:
                return
            try:
                value = rec.job()
                outcome = ("value", value)
            except Exception as e:
                outcome = ("error", e)
            # job() a second time: the same outcome, the same object.
            try:
                again = ("value", rec.job())
            except Exception as e:
                again = ("error", e)
            if again[1] is not outcome[1]:
                self.failures.append("job %d: job() a second time gave %r" % (rec.i, again))
            rec.outcome = outcome
            rec.finished = time.monotonic()

    def watchdog(self, now):
        with self.lock:
            late = [r for r in self.outstanding.values()
                    if now - r.submitted > r.seconds + self.args.bound]
        return late


def main():
    args = parse_args()
    real_stdout = sys.stdout

    def say(*parts):
        real_stdout.write(" ".join(str(p) for p in parts) + "\n")
        real_stdout.flush()

    workdir = tempfile.mkdtemp(prefix="pp-chaos-")
    if args.heartbeat_ms:
        os.environ["PP_HEARTBEAT_MS"] = str(args.heartbeat_ms)
    heartbeat = args.heartbeat_ms or 2000
    loss_s = 5 * heartbeat / 1000
    workers = [1 + i % 2 for i in range(args.nodes)]
    say("chaos: seed %d, %.2f min of jobs, %d ppd nodes (workers %s) + %d local workers, "
        "heartbeat %d ms (a silent node is lost after %.1f s)"
        % (args.seed, args.minutes, args.nodes, ",".join(map(str, workers)),
           args.local_workers, heartbeat, loss_s))
    say("replay: ./dev.sh env /usr/bin/python3 tests/stress/chaos.py " + replay_args(args))
    say("workdir:", workdir)

    # The client's stderr (pp's messages for failed jobs' callbacks, GLib's
    # node warnings) goes to a log: counted, and shown on failure.
    client_log = os.path.join(workdir, "client.log")
    saved_stderr = os.dup(2)
    log_fd = os.open(client_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    sys.stderr = open(2, "w", closefd=False, buffering=1)

    rng_jobs = random.Random(args.seed)
    rng_chaos = random.Random(args.seed ^ 0x5eed)
    rng_cancel = random.Random(args.seed ^ 0xca5ce1)
    exe = cluster.ppd_path()
    import pp
    nodes = [cluster.Node(exe, "n%d" % k, workers[k], workdir,
                          {"PP_HEARTBEAT_MS": str(args.heartbeat_ms)} if args.heartbeat_ms else None)
             for k in range(args.nodes)]
    run = Run(args, say)
    killed = collections.defaultdict(list)
    chaos = None
    server = None
    capture = Capture()
    markers = os.path.join(workdir, "attempts")
    t_start = time.monotonic()
    ok = False
    why = []
    try:
        for node in nodes:
            node.start()
        server = pp.Server(args.local_workers, ppservers=tuple(n.address for n in nodes),
                           secret=cluster.SECRET)
        deadline = time.monotonic() + 60
        while len(server.get_active_nodes()) < args.nodes + 1:
            if time.monotonic() > deadline:
                raise RuntimeError("nodes did not become active: %r" % server.get_active_nodes())
            time.sleep(0.05)
        cap = 2 * (args.local_workers + sum(workers))
        collector = threading.Thread(target=run.collector, args=(pp,), name="collector", daemon=True)
        collector.start()
        sys.stdout = capture
        chaos = Chaos(rng_chaos, nodes, args.event_interval, loss_s, killed, say)
        chaos.start()
        t0 = time.monotonic()
        end = t0 + 60 * args.minutes
        next_report = t0 + 60
        next_watch = t0 + 1.0
        i = 0
        hung = []
        while not hung and chaos.error is None:
            now = time.monotonic()
            if now >= end:
                break
            if now >= next_watch:
                next_watch = now + 1.0
                hung = run.watchdog(now)
            if now >= next_report:
                next_report += 60
                say("  %.0f s: %d jobs submitted, %d outstanding, chaos events %d"
                    % (now - t0, i, len(run.outstanding), sum(chaos.counts.values())))
            with run.lock:
                if len(run.outstanding) >= cap:
                    run.room.wait(0.5)
                    continue
            rec = pick_job(rng_jobs, i)
            with run.lock:
                run.records.append(rec)
                run.outstanding[i] = rec
                rec.submitted = time.monotonic()
            rec.job = server.submit(chaos_job, (i, rec.kind, rec.seconds, markers),
                                    callback=run.on_done, callbackargs=(i,))
            run.collect.append(rec)
            run.collect_ready.release()
            i += 1
            if rng_cancel.random() < args.cancel_rate:
                run.cancel_one(rng_cancel.random())
        submit_wall = time.monotonic() - t0
        # The chaos stops, every node comes back; every job must end.
        chaos.finish()
        drain_deadline = time.monotonic() + 5 + args.bound
        while not hung and chaos.error is None:
            with run.lock:
                left = len(run.outstanding)
            if not left:
                break
            hung = run.watchdog(time.monotonic())
            if time.monotonic() > drain_deadline:
                with run.lock:
                    hung = list(run.outstanding.values())
                break
            time.sleep(0.1)
        run.collect.append(None)
        run.collect_ready.release()
        collector.join(30)
        if collector.is_alive():
            why.append("job() did not return for every finished job within 30 s")
        wall = time.monotonic() - t0
        if chaos.error:
            why.append(chaos.error)
        for rec in hung:
            why.append("job %d (%s, %.3f s) unfinished %.0f s after it was submitted (hang)"
                       % (rec.i, rec.kind, rec.seconds, time.monotonic() - rec.submitted))
        # Let late callbacks (a duplicate would come now) arrive.
        time.sleep(1.0)
        stats = server.get_stats()
        server.destroy()
        sys.stdout = real_stdout
        left_workers = cluster.runner_children(os.getpid())

        # The verdicts.
        outputs = collections.Counter()
        for line in capture.lines():
            parts = line.split()
            if len(parts) == 3 and parts[0] == "chaos-out":
                outputs[int(parts[1])] += 1
            elif line.strip():
                why.append("unexpected output: %r" % line[:200])
        attempts = collections.Counter()
        run_pids = collections.defaultdict(list)
        with open(markers) as f:
            for line in f:
                job_number, pid = map(int, line.split())
                attempts[job_number] += 1
                run_pids[job_number].append(pid)
        categories = collections.Counter()
        for rec in run.records:
            if rec.outcome is None:
                if not any(("job %d " % rec.i) in w for w in why):
                    why.append("job %d (%s) never ended" % (rec.i, rec.kind))
                continue
            category, wrong = judge(pp, rec, killed, outputs)
            if wrong:
                why.append("job %d (%s, %.3f s): %s" % (rec.i, rec.kind, rec.seconds, wrong))
            else:
                categories[category] += 1
                rec.verdict = category
        why += run.failures
        if left_workers:
            why.append("local workers left after destroy(): %s" % left_workers)
        reruns = sum(n - 1 for n in attempts.values() if n > 1)
        with open(client_log, "rb") as f:
            log_text = f.read().decode("utf-8", "replace")
        losses = len(re.findall(r"Node 127\.0\.0\.1:\d+: .*; retrying", log_text))
        backs = log_text.count(" is back")
        latency, slow = run.max_latency
        beyond, late = run.max_beyond

        say("jobs submitted: %d in %.1f s (%d outstanding at most)" % (len(run.records), submit_wall, cap))
        ok_kinds = collections.Counter(r.kind for r in run.records if r.verdict == "ok")
        say("  ok, right value: %d (%d returned a tuple, %d printed 1-3 lines, %d returned 64 KB-2 MB)"
            % (categories["ok"], ok_kinds["value"], ok_kinds["print"], ok_kinds["big"]))
        say("  raised, right type and message: %d" % categories["raised"])
        say("  exited (sys.exit), JobExitError with the right code: %d" % categories["exited"])
        say("  crashed their worker, WorkerCrashedError: %d" % categories["crashed"])
        say("  worker killed by the chaos on both attempts, WorkerCrashedError: %d" % categories["chaos_crashed"])
        for rec in [r for r in run.records if r.verdict == "chaos_crashed"][:10]:
            say("    job %d (%s, %.3f s): ran in %s (killed by the chaos: %s); %s"
                % (rec.i, rec.kind, rec.seconds, run_pids[rec.i],
                   [p for p in run_pids[rec.i]
                    if any(rec.submitted <= t <= rec.callbacks[0][0] for t in killed.get(p, ()))], rec.outcome[1]))
        say("  cancelled (job.cancel() True), CancelledError and no callback: %d; "
            "cancel() too late (False), then as above: %d"
            % (categories["cancelled"], sum(1 for r in run.records if r.cancelled is False)))
        say("  wrong or missing: %d" % (len(run.records) - sum(categories.values())))
        say("callbacks: %d for %d jobs" % (sum(len(r.callbacks) for r in run.records), len(run.records)))
        kinds = {r.i: r.kind for r in run.records}
        rerun_crash = sum(n - 1 for i, n in attempts.items() if n > 1 and kinds[i] in CRASHES)
        say("runs: %d; reruns (runs beyond a job's first): %d, of which %d of jobs that crash "
            "their worker (retried once by design) and %d caused by the chaos (%d jobs)"
            % (sum(attempts.values()), reruns, rerun_crash, reruns - rerun_crash,
               sum(1 for i, n in attempts.items() if n > 1 and kinds[i] not in CRASHES)))
        say("chaos events: %d (%s)" % (
            sum(v for k, v in chaos.counts.items() if k in EVENTS),
            ", ".join("%s %d" % (k, chaos.counts[k]) for k in EVENTS)))
        say("  connections dropped: %d by ss -K, %d by shutdown() (those ss -K left); "
            "workers killed: %d; events skipped (no target): %d"
            % (chaos.counts["dropped by ss -K"], chaos.counts["dropped by shutdown"],
               sum(map(len, killed.values())), sum(chaos.skipped.values())))
        say("node losses seen by the client: %d (back: %d)" % (losses, backs))
        names = {n.address: n.name for n in nodes}
        say("jobs per node: %s" % ", ".join("%s %d" % (names.get(name, name), s.njobs)
                                            for name, s in sorted(stats.items(), key=lambda kv: names.get(kv[0], ""))))
        if slow is not None:
            say("max job latency: %.2f s (job %d, %s, %.3f s long); max beyond its length: %.2f s (job %d)"
                % (latency, slow.i, slow.kind, slow.seconds, beyond, late.i))
        say("wall time: %.1f s (submitting %.1f s, then draining)" % (wall, submit_wall))
        ok = not why
    except BaseException as e:
        why.append("%s: %s" % (type(e).__name__, e))
        if not isinstance(e, Exception):
            raise
    finally:
        sys.stdout = real_stdout
        if chaos is not None:
            chaos.stop_event.set()
        for node in nodes:
            try:
                node.terminate(10)
            except Exception as e:
                why.append("stopping %s: %s" % (node.name, e))
        os.dup2(saved_stderr, 2)
        os.close(saved_stderr)
        sys.stderr = sys.__stderr__
    # After the nodes stopped: what a sanitizer says at exit is in too.
    why += scan_logs([("client", client_log)] + [("ppd " + n.name, n.log) for n in nodes])
    if why:
        for w in why[:40]:
            say("FAIL:", w)
        if len(why) > 40:
            say("... and %d more" % (len(why) - 40))
        if chaos is not None:
            say("last chaos events:\n  " + "\n  ".join(chaos.log[-15:]))
        say("client log (%s), last lines:" % client_log)
        with open(client_log, "rb") as f:
            say("\n".join(f.read().decode("utf-8", "replace").splitlines()[-30:]))
        say("RESULT: FAIL %s" % why[0])
        return 1
    shutil.rmtree(workdir, ignore_errors=True)
    say("RESULT: ok" if ok else "RESULT: FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
