#!/usr/bin/env python3
# bench_http.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Throughput of empty jobs through one ppd over 127.0.0.1, with its HTTP
off, with --http-port on and no reader, and with --http-port on and a
WebSocket reader of /api/v1/events attached (reading every event), side by
side in one run: the three ppd run at once, and within each round they take
turns of a few thousand jobs (the order turning), so that a change in the
machine's load hits all alike. Goal: HTTP on with a reader within 5% of
off, as the median of the ratios of the paired rounds; ppd's own CPU time
per job is reported for each too (less sensitive to other load).

Run: /usr/bin/python3 bench/bench_http.py [--quick] [--json PATH]
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the shared helpers of bench.py)
import bench_cluster  # noqa: E402

SECRET = bench_cluster.SECRET
FULL = {"jobs": 60000, "rounds": 9, "chunk": 5000}
QUICK = {"jobs": 2000, "rounds": 2, "chunk": 1000}


class HttpPpd(bench_cluster.Ppd):
    """A ppd of 2 workers, with --http-port when http is true."""

    def __init__(self, exe, http):
        self.http = None
        extra = ["--http-port", "0"] if http else []
        self.port = bench_cluster.free_port()
        self.proc = subprocess.Popen([exe, "-p", str(self.port), "-i", "127.0.0.1", "-w", "2",
                                      "--no-dbus", "--python", sys.executable, *extra],
                                     env=dict(os.environ, PP_SECRET=SECRET),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for line in self.proc.stderr:
            match = re.search(r"HTTP on http://127\.0\.0\.1:(\d+)/", line)
            if match:
                self.http = int(match.group(1))
                break
            if not http and "listening on" in line:
                break
        else:
            raise SystemExit("ppd did not start: exit status %s" % self.proc.wait())
        threading.Thread(target=self._log, daemon=True).start()

    def _log(self):
        for line in self.proc.stderr:
            if "HTTP:" in line:
                sys.stderr.write("ppd: " + line)


READER = r"""
import base64, os, re, socket, sys, threading
port, token = int(sys.argv[1]), sys.argv[2]
sock = socket.create_connection(("127.0.0.1", port))
sock.sendall(("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
              "Upgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
              "Authorization: Bearer %s\r\n\r\n"
              % (port, base64.b64encode(os.urandom(16)).decode(), token)).encode())
head = b""
while b"\r\n\r\n" not in head:
    head += sock.recv(1)
if not head.startswith(b"HTTP/1.1 101"):
    sys.exit("the events WebSocket was refused: %r" % head[:100])
print("ready", flush=True)
SEQ = re.compile(rb'\{"seq":(\d+),')
state = {"events": 0, "gaps": 0, "closed": 0}

def read():
    # Per chunk, at C speed and without copying it: its first and last seq
    # and how many events it holds; the first must follow the last chunk's,
    # and the count must be last - first + 1 (a missing event would break
    # one or the other). The last object may be cut: it moves to the front
    # of the buffer and the next read goes after it.
    buf = bytearray(1 << 21)
    view = memoryview(buf)
    last, kept = None, 0
    while True:
        try:
            n = sock.recv_into(view[kept:])
        except OSError:
            return
        if not n:
            state["closed"] = 1
            return
        end = kept + n
        cut = buf.rfind(b'{"seq":', 0, end)
        count = buf.count(b'{"seq":', 0, cut) if cut > 0 else 0
        if count == 0:
            kept = end
            continue
        first = int(SEQ.search(buf, 0, cut).group(1))
        final = int(SEQ.match(buf, buf.rfind(b'{"seq":', 0, cut)).group(1))
        if (last is not None and first != last + 1) or final - first + 1 != count:
            state["gaps"] += 1
        last = final
        state["events"] += count
        view[:end - cut] = view[cut:end]
        kept = end - cut

threading.Thread(target=read, daemon=True).start()
sys.stdin.read()
print(state["events"], state["gaps"], state["closed"], flush=True)
"""


class Reader:
    """A process that reads every event as fast as it comes: the WebSocket
    handshake by hand, then the stream in large reads, each event's
    sequence number picked out of it (ppd's frames are unmasked text, one
    JSON object each) and checked to follow the last. Its own CPU time is
    measured apart."""

    def __init__(self, port):
        token = hmac.new(SECRET.encode(), b"pp-glib ppd HTTP API token v1",
                         hashlib.sha256).hexdigest()
        self.proc = subprocess.Popen([sys.executable, "-c", READER, str(port), token],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            raise SystemExit("the reader did not start")
        self.events = self.gaps = 0
        self.closed_by_ppd = False

    def cpu_seconds(self):
        # Its reading thread ends (and its time leaves schedstat's sum)
        # only when ppd drops it, which makes the run INVALID anyway.
        return cpu_seconds(self.proc.pid)

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            fields = self.proc.stdout.readline().split()
            if len(fields) == 3:
                self.events, self.gaps = int(fields[0]), int(fields[1])
                self.closed_by_ppd = fields[2] == "1"
        self.proc.wait(30)


def context_switches(pid):
    with open("/proc/%d/status" % pid) as f:
        return sum(int(line.split()[1]) for line in f if "ctxt_switches" in line)


def cpu_seconds(pid):
    """The CPU time of all the threads of process pid: from schedstat, in
    nanoseconds, its threads being alive all along (the clock ticks of
    /proc/PID/stat are 10 ms); else from stat."""
    try:
        total = 0
        for task in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/schedstat" % (pid, task)) as f:
                total += int(f.read().split()[0])
        return total / 1e9
    except (OSError, ValueError, IndexError):
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


MODES = ("off", "http", "on")
LABELS = {"off": "HTTP off", "http": "HTTP on, no reader", "on": "HTTP on + WebSocket reader"}


def timed_batch(server, n, first):
    """n empty jobs (submit all, then collect all); their ids start at
    first, so that results are checked. Returns the seconds taken."""
    t0 = time.perf_counter()
    results = [j() for j in [server.submit(bench.identity, (first + i,)) for i in range(n)]]
    elapsed = time.perf_counter() - t0
    bench.check(results == list(range(first, first + n)), "throughput results")
    return elapsed


def children(pid):
    """The child processes of pid (ppd's workers)."""
    pids = []
    for task in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/children" % (pid, task)) as f:
                pids += [int(child) for child in f.read().split()]
        except OSError:
            pass
    return pids


class Side:
    """One mode of the comparison: in each round, a fresh ppd, its client
    (and reader), and what the rounds cost."""

    def __init__(self, mode):
        self.mode = mode
        self.node = self.reader = self.server = None
        self.rates = []        # jobs/s per round
        self.cpu = []          # ppd's CPU µs per job per round
        self.all_cpu = []      # client, ppd, workers and reader: CPU µs per job per round
        self.seconds = self.cpu_total = self.reader_cpu = 0.0
        self.switches = self.jobs = 0
        self.events = self.gaps = 0
        self.dropped = False

    def start(self, pp, exe):
        self.node = HttpPpd(exe, self.mode != "off")
        self.reader = Reader(self.node.http) if self.mode == "on" else None
        self.server = bench_cluster.remote_server(pp, [self.node])
        bench_cluster.run_throughput(self.server, 1000)     # warm-up
        self.workers = children(self.node.proc.pid)

    def stop_client(self):
        if self.server is not None:
            self.server.destroy()
            self.server = None

    def stop(self):
        """After stop_client(), once the last events had time to go."""
        self.stop_client()
        if self.reader is not None:
            self.reader.close()
            self.events += self.reader.events
            self.gaps += self.reader.gaps
            self.dropped = self.dropped or self.reader.closed_by_ppd
            self.reader = None
        if self.node is not None:
            bench_cluster.stop_processes([self.node.proc])
            self.node = None

    def total_cpu(self):
        """The CPU time of what a job of this side runs on but the reader:
        the client (this process: the other sides' clients are idle
        meanwhile), ppd and its workers."""
        total = time.process_time() + cpu_seconds(self.node.proc.pid)
        for pid in self.workers:
            try:
                total += cpu_seconds(pid)
            except OSError:
                pass
        return total

    def start_round(self):
        self.seconds = self.round_all_cpu = 0.0
        self.cpu_before = cpu_seconds(self.node.proc.pid)
        # The reader over the whole round: it reads a turn's last events
        # after the turn (ppd sends them every 25 ms), while it is idle.
        self.reader_before = self.reader.cpu_seconds() if self.reader else 0
        self.jobs_before = self.jobs

    def run(self, n):
        pid = self.node.proc.pid
        switches = context_switches(pid)
        all_cpu = self.total_cpu()
        self.seconds += timed_batch(self.server, n, self.jobs)
        self.round_all_cpu += self.total_cpu() - all_cpu
        self.jobs += n
        self.switches += context_switches(pid) - switches

    def end_round(self):
        n = self.jobs - self.jobs_before
        time.sleep(0.1)    # the reader reads the last batch
        cpu = cpu_seconds(self.node.proc.pid) - self.cpu_before
        self.cpu_total += cpu
        if self.reader:
            reader_cpu = self.reader.cpu_seconds() - self.reader_before
            self.reader_cpu += reader_cpu
            self.round_all_cpu += reader_cpu
        self.rates.append(n / self.seconds)
        self.cpu.append(cpu * 1e6 / n)
        self.all_cpu.append(self.round_all_cpu * 1e6 / n)


def stop_sides(sides):
    for side in sides.values():
        side.stop_client()
    time.sleep(0.2)    # the last events (client-left) reach the reader
    for side in sides.values():
        side.stop()


def paired(sides, mode):
    return [b / a for a, b in zip(sides["off"].rates, sides[mode].rates)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--json", metavar="PATH", help="write the JSON report here")
    parser.add_argument("--build-dir", default=str(bench.REPO / "_build"))
    parser.add_argument("--no-reader", action="store_true",
                        help="only HTTP off against HTTP on without a reader")
    parser.add_argument("--rounds", type=int, help="rounds (default 9, quick 2)")
    parser.add_argument("--jobs", type=int,
                        help="jobs per round and mode (default 60,000, quick 2,000)")
    parser.add_argument("--chunk", type=int,
                        help="jobs per turn within a round (default 5,000, quick 1,000)")
    args = parser.parse_args()
    build_dir = Path(args.build_dir)
    bench.ensure_environment(build_dir)
    pp = bench.import_pp()
    params = dict(QUICK if args.quick else FULL)
    params.update({key: value for key, value in (("rounds", args.rounds), ("jobs", args.jobs),
                                                 ("chunk", args.chunk)) if value})
    params["chunk"] = min(params["chunk"], params["jobs"])
    modes = ("off", "http") if args.no_reader else MODES
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    exe = bench_cluster.ppd_path(build_dir)
    t0 = time.time()
    sides = {mode: Side(mode) for mode in modes}
    try:
        order = list(modes)
        for i in range(params["rounds"]):
            # Fresh processes every round (but in a quick run), started in
            # turn: where the scheduler happens to place a ppd, its workers
            # and its client thread for a whole run weighs as much as HTTP
            # itself.
            for mode in order:
                if sides[mode].node is None:
                    sides[mode].start(pp, exe)
            # Within a round the sides take turns of `chunk` jobs, so that
            # a burst of load from elsewhere falls on all alike; the order
            # turns turn by turn.
            for side in sides.values():
                side.start_round()
            done = 0
            while done < params["jobs"]:
                n = min(params["chunk"], params["jobs"] - done)
                for mode in order:
                    sides[mode].run(n)
                done += n
                order = order[1:] + order[:1]
            for side in sides.values():
                side.end_round()
            if not args.quick:
                stop_sides(sides)
    finally:
        stop_sides(sides)

    reader = sides.get("on")
    # A reader dropped by ppd (too far behind: the machine too busy to run
    # it) reads nothing after: the rounds after it measure less than asked.
    events = reader.events if reader else 0
    gaps = reader.gaps if reader else 0
    dropped = ", dropped by ppd" if reader and reader.dropped else ""
    n_jobs = {mode: side.jobs for mode, side in sides.items()}
    table, figures = [], {}
    for mode in modes:
        side = sides[mode]
        table.append(("throughput through ppd, %s, jobs/s (median)" % LABELS[mode],
                      "%.0f" % statistics.median(side.rates), "", ""))
    for mode in modes[1:]:
        ratio = statistics.median(paired(sides, mode))
        goal = mode == modes[-1]
        verdict = "PASS" if ratio >= 0.95 else "MISS"
        if reader and reader.dropped:
            verdict = "INVALID (the reader was dropped)"
        table.append(("  ratio %s / off, median of the paired rounds" % LABELS[mode], "%.3f" % ratio,
                      "≥ 0.95" if goal else "", verdict if goal else ""))
        figures["ratio_median_paired_" + mode] = ratio
    for mode in modes:
        side = sides[mode]
        table.append(("ppd CPU per job, %s, µs (median of rounds)" % LABELS[mode],
                      "%.2f" % statistics.median(side.cpu), "", ""))
    for mode in modes[1:]:
        extra = statistics.median(b - a for a, b in zip(sides["off"].cpu, sides[mode].cpu))
        table.append(("  ppd CPU per job, %s minus off, µs (median of rounds)" % LABELS[mode],
                      "%+.2f" % extra, "", ""))
        figures["ppd_cpu_extra_us_per_job_" + mode] = extra
    for mode in modes:
        table.append(("CPU per job of client, ppd, workers (and reader), %s, µs" % LABELS[mode],
                      "%.2f" % statistics.median(sides[mode].all_cpu), "", ""))
    for mode in modes[1:]:
        ratio = statistics.median(a / b for a, b in zip(sides["off"].all_cpu, sides[mode].all_cpu))
        table.append(("  CPU per job, off / %s, median of the paired rounds" % LABELS[mode],
                      "%.3f" % ratio, "", ""))
        figures["cpu_ratio_median_paired_" + mode] = ratio
    for mode in modes:
        table.append(("ppd context switches per 1,000 jobs, %s" % LABELS[mode],
                      "%.0f" % (1000 * sides[mode].switches / n_jobs[mode]), "", ""))
    if reader:
        table.append(("the reader's own CPU per job, µs",
                      "%.2f" % (sides["on"].reader_cpu * 1e6 / n_jobs["on"]), "", ""))
        table.append(("  events read (gaps)", "%d (%d)%s" % (events, gaps, dropped), "", ""))
    print("pp-glib HTTP benchmark (%s), %d CPUs, loopback, %d rounds of %d jobs per mode in turns of %d"
          "\n(load average %.1f at the end)\n"
          % ("quick" if args.quick else "full", os.cpu_count(), params["rounds"], params["jobs"],
             params["chunk"], os.getloadavg()[0]))
    bench.print_table(table)
    print("\n%.1f s" % (time.time() - t0))
    last = modes[-1]
    off_rates, on_rates = sides["off"].rates, sides[last].rates
    figures.update({
        "throughput_http_off": off_rates,
        "throughput_http_on_reader" if last == "on" else "throughput_http_on": on_rates,
        "ratio_best": max(on_rates) / max(off_rates),
        "ratio_median_paired": figures["ratio_median_paired_" + last],
        "ppd_cpu_us_per_job": {mode: side.cpu_total * 1e6 / n_jobs[mode] for mode, side in sides.items()},
        "ppd_cpu_us_per_job_rounds": {mode: side.cpu for mode, side in sides.items()},
        "all_cpu_us_per_job_rounds": {mode: side.all_cpu for mode, side in sides.items()},
        "ppd_context_switches_per_job": {mode: side.switches / n_jobs[mode] for mode, side in sides.items()},
        "throughput_rounds": {mode: side.rates for mode, side in sides.items()},
        "events_read": events, "event_gaps": gaps,
        "median_off": statistics.median(off_rates), "median_on": statistics.median(on_rates),
        "load_average": os.getloadavg()[0]})
    report = {"when": datetime.datetime.now().isoformat(timespec="seconds"),
              "mode": "quick" if args.quick else "full", "params": params, "figures": figures}
    bench.write_json(report, args.json, "http", latest=None)


if __name__ == "__main__":
    main()
