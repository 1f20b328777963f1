#!/usr/bin/env python3
# bench_cluster.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""pp-glib across ppd nodes, side by side with the local pool, in one run.

- throughput of empty jobs through one ppd over 127.0.0.1 (client ncpus=0)
  against the local pool of the same size (goal: >= 0.8x);
- sum_primes on 2 ppd nodes of 1 worker each against 2 local workers
  (goal: within 5%);
- the idle resident memory of ppd itself, its Python workers excluded
  (goal: <= 8 MB).

Run: ./dev.sh bench-cluster  (or /usr/bin/python3 bench/bench_cluster.py)
"""

import argparse
import datetime
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the shared helpers of bench.py)

SECRET = "bench-cluster-secret"
FULL = {"jobs": 20000, "rounds": 5, "inputs": [100000 + 100 * i for i in range(8)], "repeat": 5}
QUICK = {"jobs": 2000, "rounds": 1, "inputs": [20000 + 100 * i for i in range(8)], "repeat": 1}


def ppd_path(build_dir):
    path = os.environ.get("PPD") or str(build_dir / "ppd" / "ppd")
    if not os.access(path, os.X_OK):
        raise SystemExit("ppd not found at %s: build first (./dev.sh build)" % path)
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Ppd:
    def __init__(self, exe, workers):
        self.port = free_port()
        # The nodes' workers run this interpreter, like the local pool's.
        self.proc = subprocess.Popen([exe, "-p", str(self.port), "-i", "127.0.0.1",
                                      "-w", str(workers), "--python", sys.executable],
                                     env=dict(os.environ, PP_SECRET=SECRET),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def rss_mb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def remote_server(pp, nodes):
    server = pp.Server(0, ppservers=tuple(n.address for n in nodes), secret=SECRET)
    deadline = time.time() + 30
    while len(server.get_active_nodes()) < len(nodes) + 1:
        if time.time() > deadline:
            raise SystemExit("nodes did not become active: %r" % server.get_active_nodes())
        time.sleep(0.05)
    return server


def run_throughput(server, n):
    [j() for j in [server.submit(bench.identity, (i,)) for i in range(bench.WARMUP_JOBS)]]
    t0 = time.perf_counter()
    results = [j() for j in [server.submit(bench.identity, (i,)) for i in range(n)]]
    elapsed = time.perf_counter() - t0
    bench.check(results == list(range(n)), "throughput results")
    return n / elapsed


def run_sum_primes_once(server, inputs):
    t0 = time.perf_counter()
    results = [j() for j in [server.submit(bench.sum_primes, (i,), (bench.isprime,), ("math",))
                             for i in inputs]]
    elapsed = time.perf_counter() - t0
    bench.check(results[0] == bench.sum_primes(inputs[0]), "sum_primes results")
    return elapsed


def measure(pp, exe, params):
    """Local pool and ppd nodes side by side, in interleaved rounds, so that a
    noisy stretch of the machine hits both alike: throughput (median) through
    one ppd, sum_primes (best) on two ppd of one worker each."""
    figures = {"throughput_local_samples": [], "throughput_ppd_samples": [],
               "sum_primes_local_samples": [], "sum_primes_2ppd_samples": []}
    node = Ppd(exe, bench.WORKERS)
    pair = [Ppd(exe, 1), Ppd(exe, 1)]
    local = pp.Server(bench.WORKERS)
    servers = []
    try:
        time.sleep(1.0)
        figures["ppd_idle_rss_mb"] = node.rss_mb()
        remote = remote_server(pp, [node])
        servers.append(remote)
        two = remote_server(pp, pair)
        servers.append(two)
        for _ in range(params["rounds"]):
            figures["throughput_local_samples"].append(run_throughput(local, params["jobs"]))
            figures["throughput_ppd_samples"].append(run_throughput(remote, params["jobs"]))
        for _ in range(params["repeat"]):
            figures["sum_primes_local_samples"].append(run_sum_primes_once(local, params["inputs"]))
            figures["sum_primes_2ppd_samples"].append(run_sum_primes_once(two, params["inputs"]))
    finally:
        for server in servers + [local]:
            server.destroy()
        for n in [node] + pair:
            n.stop()
    for key in ("local", "ppd"):
        figures["throughput_%s" % key] = statistics.median(figures["throughput_%s_samples" % key])
    for key in ("local", "2ppd"):
        figures["sum_primes_%s" % key] = min(figures["sum_primes_%s_samples" % key])
    return figures


def rows(f, params):
    ratio = f["throughput_ppd"] / f["throughput_local"]
    slower = f["sum_primes_2ppd"] / f["sum_primes_local"] - 1
    verdict = lambda ok: "PASS" if ok else "FAIL"
    return [
        ("throughput local pool (%d jobs, median of %d)" % (params["jobs"], params["rounds"]), "%.0f jobs/s" % f["throughput_local"], "(reference)", ""),
        ("throughput via 1 ppd, ncpus=0", "%.0f jobs/s" % f["throughput_ppd"], "(reference)", ""),
        ("throughput ppd / local", "%.2fx" % ratio, ">= 0.8x", verdict(ratio >= 0.8)),
        ("sum_primes 2 local workers", "%.3f s" % f["sum_primes_local"], "(reference)", ""),
        ("sum_primes 2 ppd x 1 worker", "%.3f s" % f["sum_primes_2ppd"], "(reference)", ""),
        ("sum_primes 2 ppd vs local", "%+.1f%%" % (100 * slower), "within 5%", verdict(slower <= 0.05)),
        ("ppd idle RSS (workers excluded)", "%.1f MB" % f["ppd_idle_rss_mb"], "<= 8 MB", verdict(f["ppd_idle_rss_mb"] <= 8)),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--json", metavar="PATH", help="write the JSON report here")
    parser.add_argument("--build-dir", default=str(bench.REPO / "_build"))
    args = parser.parse_args()
    build_dir = Path(args.build_dir)
    bench.ensure_environment(build_dir)
    pp = bench.import_pp()
    params = QUICK if args.quick else FULL

    t0 = time.time()
    figures = measure(pp, ppd_path(build_dir), params)
    table = rows(figures, params)
    print("pp-glib cluster benchmark (%s), %d CPUs, loopback\n" % ("quick" if args.quick else "full", os.cpu_count()))
    bench.print_table([tuple(r) for r in table])
    passed = sum(r[3] == "PASS" for r in table)
    print("\n%d/%d goals met, %.1f s" % (passed, sum(r[3] != "" for r in table), time.time() - t0))
    report = {"when": datetime.datetime.now().isoformat(timespec="seconds"),
              "params": {k: v for k, v in params.items() if k != "inputs"},
              "figures": figures}
    if args.json:
        bench.write_json(report, args.json)
    else:
        results = bench.HERE / "results"
        results.mkdir(exist_ok=True)
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        bench.write_json(report, str(results / ("cluster-%s.json" % stamp)))


if __name__ == "__main__":
    main()
