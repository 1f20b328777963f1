# tests/python/test_cancel_stress.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Cancelling jobs at random moments around their start, in a loop: a pp
program (a subprocess on a private session bus, two local workers and a
real ppd node with two workers) runs rounds of short jobs beside 60 s
"victims" it cancels right after submitting them, a moment later, as soon
as they run, or a moment after; the test cancels more victims over the bus
(PpClient1.CancelJob) the moment their JobsStarted arrives, as pp-monitor's
user does. After every round: every other job finished with its result,
every victim ended cancelled, every job's JobsFinished came exactly once
(with its state, none missed), every JobsStarted has its JobsFinished, and
a cancel over the bus is signalled finished promptly. At the end, the
program's nodes hold nothing (busy and held 0, nothing queued or running).

What the loop found lost (a JobsStarted, so a victim never cancelled; a
JobsFinished): the job events of a batch due while the bus had not yet
taken the last, dropped. test_a_slow_bus_loses_no_job_events makes the bus
slow on purpose.

    PPD=$PWD/_build/ppd/ppd ./dev.sh env /usr/bin/python3 -m pytest -q tests/python/test_cancel_stress.py
"""

import contextlib
import json
import os
import queue
import signal
import random
import subprocess
import sys
import threading
import time

import pytest

gi = pytest.importorskip("gi")
pp = pytest.importorskip("pp")
from gi.repository import Gio, GLib  # noqa: E402

from privatebus import quit_program  # noqa: E402
# pytestmark: the same needs (gdbus, dbus-daemon, ppd) and subreaper
from test_client_bus import IFACE, OBJECT_PATH, Bus, pytestmark  # noqa: E402,F401
from test_cluster import nodes  # noqa: E402,F401 (fixture)

ROUNDS = int(os.environ.get("PP_CANCEL_ROUNDS", "16"))
TIMEOUT = 30.0
# A cancel over the bus shows as finished within this (the signals are
# sent every 0.1 s; the rest is slack for a loaded machine, and ASan).
PROMPT = 1.0

PROGRAM = r'''
import json, os, random, sys, time
import pp
from pp._gi import Pp

def nap(t):
    import time
    time.sleep(t)
    return t

srv = pp.Server(2, ppservers=(sys.argv[1],), secret=os.environ["PP_SECRET"])
raw = srv._srv
name = None
deadline = time.monotonic() + 20
while name is None and time.monotonic() < deadline:
    name = raw.dup_bus_name()
    time.sleep(0.01)
print("NAME", name, flush=True)

def running(job):
    return job.state == Pp.JobState.RUNNING

def wait_until(job, pred, timeout):
    end = time.monotonic() + timeout
    while not pred(job) and not job.finished and time.monotonic() < end:
        time.sleep(0.0005)

def round_(rng):
    jobs = []           # (job, "done" | "cancelled", expected result)
    order = list(range(10))
    rng.shuffle(order)
    for kind in order:
        if kind < 4:
            t = rng.choice((0.02, 0.05, 0.1, 0.2))
            jobs.append((srv.submit(nap, (t,), group="batch"), "done", t))
        elif kind < 6:
            jobs.append((srv.submit(nap, (60.0,), group="bus"), "cancelled", None))
        else:
            job = srv.submit(nap, (60.0,), group="victim")
            jobs.append((job, "cancelled", None))
            mode = kind - 6
            if mode == 1:
                time.sleep(rng.random() * 0.05)
            elif mode == 2:
                wait_until(job, running, 10)
            elif mode == 3:
                wait_until(job, running, 10)
                time.sleep(rng.random() * 0.3)
            assert job.cancel(), "cancel %d (mode %d) found it finished" % (job.id, mode)
            assert not job.cancel(), "job %d cancelled twice" % job.id
    out = {}
    end = time.monotonic() + 10     # a round takes well under a second
    for job, want, value in jobs:
        while not job.finished and time.monotonic() < end:
            time.sleep(0.01)
        state = job.state.value_nick
        why = ""
        if state == "done":
            assert job() == value
        elif state != want:
            try:
                job()
            except Exception as e:
                why = "%s: %s" % (type(e).__name__, e)
        out[job.id] = [want, state, why]
    return out

for line in sys.stdin:
    words = line.split()
    if words[0] == "round":
        print("ROUND", json.dumps(round_(random.Random(int(words[1])))), flush=True)
    elif words[0] == "idle":
        end = time.monotonic() + 10
        while True:
            status = json.loads(raw.dup_status())
            nodes = [(n["name"], n["busy"], n["held"]) for n in status["nodes"]]
            idle = all(b == 0 and h == 0 for _, b, h in nodes) and \
                status["queue"]["queued"] == 0 and status["queue"]["running"] == 0
            if idle or time.monotonic() > end:
                break
            time.sleep(0.05)
        print("IDLE", json.dumps({"idle": idle, "nodes": nodes, "queue": status["queue"]}),
              flush=True)
    elif words[0] == "quit":
        break
srv.destroy()
print("BYE", flush=True)
'''


class Watcher:
    """The program's JobsStarted and JobsFinished, as the test's bus
    connection receives them; CancelJob for the started jobs of group
    "bus", the moment their JobsStarted arrives."""

    def __init__(self, bus, name):
        self.bus = bus
        self.name = name
        self.started = {}       # id -> [(node, pid)]
        self.finished = {}      # id -> [state]
        self.finished_at = {}
        self.cancelled_at = {}  # id -> time CancelJob answered True
        self.cancel_errors = []
        self.missed = 0
        self.missed_finished = 0
        conn = bus.conn
        self.subs = [
            conn.signal_subscribe(name, IFACE, "JobsStarted", OBJECT_PATH, None,
                                  Gio.DBusSignalFlags.NONE, self.on_started),
            conn.signal_subscribe(name, IFACE, "JobsFinished", OBJECT_PATH, None,
                                  Gio.DBusSignalFlags.NONE, self.on_finished),
        ]

    def on_started(self, conn, sender, path, iface, signal, params):
        jobs, missed = params.unpack()
        self.missed += missed
        for job_id, group, function, pid, node in jobs:
            self.started.setdefault(job_id, []).append((node, pid))
            if group == "bus":
                conn.call(self.name, OBJECT_PATH, IFACE, "CancelJob", GLib.Variant("(t)", (job_id,)),
                          GLib.VariantType("(b)"), Gio.DBusCallFlags.NONE, int(TIMEOUT * 1000),
                          None, self.on_cancelled, job_id)

    def on_cancelled(self, conn, result, job_id):
        try:
            if conn.call_finish(result).unpack()[0]:
                self.cancelled_at[job_id] = time.monotonic()
        except GLib.Error as e:
            self.cancel_errors.append((job_id, e.message))

    def on_finished(self, conn, sender, path, iface, signal, params):
        jobs, missed = params.unpack()
        self.missed += missed
        self.missed_finished += missed
        for job_id, group, function, state in jobs:
            self.finished.setdefault(job_id, []).append(state)
            self.finished_at.setdefault(job_id, time.monotonic())

    def close(self):
        for sub in self.subs:
            self.bus.conn.signal_unsubscribe(sub)


class Program:
    def __init__(self, bus, tmp_path, source, *args):
        script = tmp_path / "program.py"
        script.write_text(source)
        self.proc = subprocess.Popen([sys.executable, str(script), *args], env=bus.env,
                                     cwd=str(tmp_path), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put("")

    def expect(self, word, ctx, timeout=TIMEOUT):
        """The next line, which starts with *word*, iterating *ctx* (the
        bus connection's) meanwhile."""
        deadline = time.monotonic() + timeout
        while True:
            while ctx.iteration(False):
                pass
            try:
                line = self.lines.get(timeout=0.002)
                break
            except queue.Empty:
                assert time.monotonic() < deadline, "no %s from the program" % word
        words = line.split(None, 1)
        assert words and words[0] == word, (line, self.stderr() if not words else "")
        return words[1] if len(words) > 1 else ""

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def stderr(self):
        self.close()
        return self.proc.stderr.read()

    def close(self):
        status = quit_program(self.proc, TIMEOUT)
        self.reader.join(10)
        return status


def spin(ctx, seconds, until=lambda: False):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not until():
        while ctx.iteration(False):
            pass
        time.sleep(0.002)


@contextlib.contextmanager
def watched_program(tmp_path, source, *args):
    """A private bus, the pp program source on it (args its arguments) and
    a Watcher of its job signals, as (bus, program, watcher, the main
    context); after, all three closed and the program's status checked (0)."""
    bus = Bus()
    program = None
    watcher = None
    try:
        ctx = GLib.MainContext.default()
        program = Program(bus, tmp_path, source, *args)
        name = program.expect("NAME", ctx).strip()
        assert name.startswith("org.ppglib.PpClient."), name
        watcher = Watcher(bus, name)
        spin(ctx, 0.2)
        yield bus, program, watcher, ctx
    finally:
        if watcher is not None:
            watcher.close()
        if program is not None:
            assert program.close() == 0, program.proc.stderr.read()
        bus.close()


def test_cancel_around_start(tmp_path, nodes):
    node = nodes(workers=2)
    with watched_program(tmp_path, PROGRAM, node.address) as (bus, program, watcher, ctx):
        seed = int(os.environ.get("PP_CANCEL_SEED", str(random.randrange(1 << 30))))
        print("seed", seed)
        all_jobs = {}
        for r in range(ROUNDS):
            program.send("round %d" % (seed + r))
            jobs = {int(k): v for k, v in json.loads(program.expect("ROUND", ctx)).items()}
            for job_id, (want, state, why) in jobs.items():
                assert state == want, "round %d: job %d is %s (%s), not %s; %d events missed" % (
                    r, job_id, state, why, want, watcher.missed)
            spin(ctx, 5, lambda: all(j in watcher.finished for j in jobs))
            for job_id, (want, state, _) in jobs.items():
                assert watcher.finished.get(job_id) == [state], \
                    "round %d: job %d (%s) signalled finished %s; %d events missed" % (
                        r, job_id, state, watcher.finished.get(job_id), watcher.missed)
            all_jobs.update(jobs)
        spin(ctx, 0.5)
        assert watcher.cancel_errors == []
        assert watcher.missed == 0, "%d job events were missed" % watcher.missed
        # every started job was signalled finished, exactly once
        for job_id in watcher.started:
            assert job_id in all_jobs, "unknown job %d started" % job_id
        assert set(watcher.finished) == set(all_jobs)
        # cancelled over the bus: signalled finished promptly
        bus_cancelled = [j for j in all_jobs if j in watcher.cancelled_at]
        assert len(bus_cancelled) >= ROUNDS, "too few cancels over the bus: %d" % len(bus_cancelled)
        lags = {j: watcher.finished_at[j] - watcher.cancelled_at[j] for j in bus_cancelled}
        print("%d cancels over the bus, signalled finished at most %.3f s after the answer"
              % (len(lags), max(lags.values())))
        for job_id, lag in lags.items():
            assert lag < PROMPT, "job %d signalled finished %.2f s after its cancel" % (job_id, lag)
        # victims were cancelled on both kinds of node
        started_on = {nodes_[-1][0] for j, nodes_ in watcher.started.items()
                      if all_jobs[j][0] == "cancelled"}
        assert "local" in started_on and node.address in started_on, started_on
        program.send("idle")
        idle = json.loads(program.expect("IDLE", ctx))
        assert idle["idle"], idle


# Jobs run in a burst on stdin's word; their group names may be long.
BURST_PROGRAM = r'''
import sys, time
import pp

def nap(t):
    return t

srv = pp.Server(1)
name = None
deadline = time.monotonic() + 20
while name is None and time.monotonic() < deadline:
    name = srv._srv.dup_bus_name()
    time.sleep(0.01)
print("NAME", name, flush=True)
for line in sys.stdin:
    words = line.split()
    if words[0] == "run":
        group = "g" * int(words[2])
        jobs = [srv.submit(nap, (0,), group=group) for _ in range(int(words[1]))]
        srv.wait(group)
        print("RAN", " ".join(str(job.id) for job in jobs), flush=True)
    elif words[0] == "quit":
        break
srv.destroy()
print("BYE", flush=True)
'''


def test_a_slow_bus_loses_no_job_events(tmp_path):
    """The events of jobs that start and finish while the bus has not yet
    taken the last batch of signals wait for it: none is lost (they were
    dropped, counted as missed, whenever the bus was slow: pp-monitor then
    never saw a job start, or finish). The bus is made slow by stopping its
    dbus-daemon once the program's signals have filled the socket (jobs with
    a 256 KB group name)."""
    with watched_program(tmp_path, BURST_PROGRAM) as (bus, program, watcher, ctx):
        os.kill(bus.proc.pid, signal.SIGSTOP)
        try:
            program.send("run 16 262144")
            big = [int(i) for i in program.expect("RAN", ctx).split()]
            time.sleep(0.3)     # the flush of the big batches pends
            program.send("run 50 1")
            small = [int(i) for i in program.expect("RAN", ctx).split()]
            time.sleep(0.5)     # batches come due meanwhile
        finally:
            os.kill(bus.proc.pid, signal.SIGCONT)
        ids = big + small
        spin(ctx, TIMEOUT, lambda: sum(j in watcher.finished for j in ids) + watcher.missed_finished >= len(ids))
        assert watcher.missed == 0, "%d job events were missed" % watcher.missed
        for job_id in ids:
            assert len(watcher.started.get(job_id, [])) == 1, (job_id, watcher.started.get(job_id))
            assert watcher.finished.get(job_id) == ["done"], (job_id, watcher.finished.get(job_id))
