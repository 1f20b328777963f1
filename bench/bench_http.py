#!/usr/bin/env python3
# bench_http.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Throughput of empty jobs through one ppd over 127.0.0.1, with its HTTP
off and with --http-port on and a WebSocket reader of /api/v1/events
attached (reading every event), side by side in one run: the two ppd run
at once and the rounds alternate (in turn off-on and on-off), so that a
change in the machine's load hits both alike. Goal: HTTP on within 5% of
off, as the median of the ratios of the rounds run side by side.

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
FULL = {"jobs": 20000, "rounds": 9}
QUICK = {"jobs": 2000, "rounds": 2}


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
    # Per chunk, at C speed: its first and last seq and how many events it
    # holds; the first must follow the last chunk's, and the count must be
    # last - first + 1 (a missing event would break one or the other).
    last, tail = None, b""
    while True:
        try:
            data = sock.recv(1 << 20)
        except OSError:
            return
        if not data:
            state["closed"] = 1
            return
        data = tail + data
        cut = data.rfind(b'{"seq":')
        tail, data = data[cut:], data[:cut]    # the last object may be cut
        count = data.count(b'{"seq":')
        if count == 0:
            continue
        first = int(SEQ.search(data).group(1))
        end = int(SEQ.match(data, data.rfind(b'{"seq":')).group(1))
        if (last is not None and first != last + 1) or end - first + 1 != count:
            state["gaps"] += 1
        last = end
        state["events"] += count

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
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--json", metavar="PATH", help="write the JSON report here")
    parser.add_argument("--build-dir", default=str(bench.REPO / "_build"))
    parser.add_argument("--no-reader", action="store_true",
                        help="HTTP on without a WebSocket reader (what HTTP alone costs)")
    parser.add_argument("--rounds", type=int, help="rounds of each (default 9, quick 2)")
    parser.add_argument("--jobs", type=int, help="jobs per round (default 20,000, quick 2,000)")
    args = parser.parse_args()
    build_dir = Path(args.build_dir)
    bench.ensure_environment(build_dir)
    pp = bench.import_pp()
    params = dict(QUICK if args.quick else FULL)
    params.update({key: value for key, value in (("rounds", args.rounds), ("jobs", args.jobs))
                   if value})
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    exe = bench_cluster.ppd_path(build_dir)
    t0 = time.time()
    off, on = HttpPpd(exe, False), HttpPpd(exe, True)
    reader = None
    servers = []
    try:
        reader = None if args.no_reader else Reader(on.http)
        servers = [bench_cluster.remote_server(pp, [off]), bench_cluster.remote_server(pp, [on])]
        figures = {"off": [], "on": []}
        cpu = {"off": 0.0, "on": 0.0, "reader": 0.0}
        switches = {"off": 0, "on": 0}
        pairs = list(zip(("off", "on"), servers, (off, on)))
        for i in range(params["rounds"]):
            # The order alternates: what one round leaves behind (the
            # reader's last reads) falls on either side alike.
            for name, server, node in (pairs if i % 2 == 0 else pairs[::-1]):
                before = cpu_seconds(node.proc.pid)
                switches_before = context_switches(node.proc.pid)
                reader_before = reader.cpu_seconds() if reader else 0
                figures[name].append(bench_cluster.run_throughput(server, params["jobs"]))
                cpu[name] += cpu_seconds(node.proc.pid) - before
                switches[name] += context_switches(node.proc.pid) - switches_before
                if reader and name == "on":
                    cpu["reader"] += reader.cpu_seconds() - reader_before
        n_jobs = params["rounds"] * (params["jobs"] + bench.WARMUP_JOBS)
        per_job = {name: cpu[name] * 1e6 / n_jobs for name in cpu}
        switches_per_job = {name: switches[name] / n_jobs for name in switches}
        time.sleep(0.5)
    finally:
        for server in servers:
            server.destroy()
        if reader is not None:
            reader.close()
        bench_cluster.stop_processes([off.proc, on.proc])

    events = reader.events if reader else 0
    gaps = reader.gaps if reader else 0
    dropped = ", dropped by ppd" if reader and reader.closed_by_ppd else ""
    best_off, best_on = max(figures["off"]), max(figures["on"])
    ratio = best_on / best_off
    paired = statistics.median(b / a for a, b in zip(figures["off"], figures["on"]))
    table = [("throughput through ppd, HTTP off, jobs/s", "%.0f" % best_off, "", ""),
             ("throughput through ppd, HTTP on + WebSocket reader, jobs/s", "%.0f" % best_on, "", ""),
             ("  ratio on/off, median of the rounds side by side", "%.3f" % paired,
              "≥ 0.95", "PASS" if paired >= 0.95 else "MISS"),
             ("  ratio on/off, best rounds", "%.3f" % ratio, "", ""),
             ("ppd CPU per job, HTTP off, µs", "%.1f" % per_job["off"], "", ""),
             ("ppd CPU per job, HTTP on + reader, µs", "%.1f" % per_job["on"], "", ""),
             ("ppd context switches per 1,000 jobs, HTTP off", "%.0f" % (1000 * switches_per_job["off"]),
              "", ""),
             ("ppd context switches per 1,000 jobs, HTTP on + reader",
              "%.0f" % (1000 * switches_per_job["on"]), "", ""),
             ("the reader's own CPU per job, µs", "%.1f" % per_job["reader"], "", ""),
             ("  events read (gaps)", "%d (%d)%s" % (events, gaps, dropped), "", "")]
    print("pp-glib HTTP benchmark (%s), %d CPUs, loopback, %d rounds of %d jobs\n"
          % ("quick" if args.quick else "full", os.cpu_count(), params["rounds"], params["jobs"]))
    bench.print_table(table)
    print("\n%.1f s" % (time.time() - t0))
    report = {"when": datetime.datetime.now().isoformat(timespec="seconds"),
              "mode": "quick" if args.quick else "full", "params": params,
              "figures": {"throughput_http_off": figures["off"],
                          "throughput_http_on_reader": figures["on"],
                          "ratio_best": ratio, "ratio_median_paired": paired,
                          "ppd_context_switches_per_job": switches_per_job,
                          "ppd_cpu_us_per_job": per_job, "events_read": events, "event_gaps": gaps,
                          "median_off": statistics.median(figures["off"]),
                          "median_on": statistics.median(figures["on"])}}
    bench.write_json(report, args.json, "http", latest=None)


if __name__ == "__main__":
    main()
