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
  (goal: <= 8 MB);
- the client's CPU time per empty job through 1 and through 64 ppd nodes
  of 1 worker each (goal: 64 nodes <= 2x 1 node), the time to connect to
  the 64 nodes and their ppd's resident memory (for reference).

Run: ./dev.sh bench-cluster  (or /usr/bin/python3 bench/bench_cluster.py)
"""

import argparse
import datetime
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the shared helpers of bench.py)

SECRET = "bench-cluster-secret"
FULL = {"jobs": 20000, "rounds": 5, "inputs": [100000 + 100 * i for i in range(8)], "repeat": 5,
        "nodes": 64, "cpu_jobs": 20000, "cpu_rounds": 5}
QUICK = {"jobs": 2000, "rounds": 1, "inputs": [20000 + 100 * i for i in range(8)], "repeat": 1,
         "nodes": 4, "cpu_jobs": 1000, "cpu_rounds": 1}


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
                    stop_processes([self.proc])
                    raise
                time.sleep(0.05)

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def rss_mb(self):
        return rss_mb(self.proc.pid)

    def stop(self):
        stop_processes([self.proc])


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def stop_processes(procs, timeout=30):
    """SIGTERM to every ppd at once (each lets its running jobs finish, then
    stops its workers), then SIGKILL to those still there after timeout
    seconds; waits for each. A second Ctrl-C cannot cut this short."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in procs:
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    finally:
        signal.signal(signal.SIGINT, previous)


class Nodes:
    """count ppd of 1 worker each on 127.0.0.1, started all at once, each
    on the free port it picks itself (-p 0, read back from its log). They
    get the secret in PP_SECRET, and workdir as XDG_CONFIG_HOME and
    XDG_RUNTIME_DIR, their own pidfile and no D-Bus: nothing of the user's
    is read or written. stop() ends and waits for every one."""

    LISTENING = re.compile(rb"listening on 127\.0\.0\.1:(\d+)")

    def __init__(self, exe, count, workdir):
        self.procs = []
        self.logs = []
        self.ports = []
        env = dict(os.environ, PP_SECRET=SECRET, XDG_CONFIG_HOME=workdir, XDG_RUNTIME_DIR=workdir)
        try:
            for i in range(count):
                log = os.path.join(workdir, "ppd-%d.log" % i)
                with open(log, "wb") as stderr:
                    self.procs.append(subprocess.Popen(
                        [exe, "-p", "0", "-i", "127.0.0.1", "-w", "1", "--no-dbus",
                         "-P", os.path.join(workdir, "ppd-%d.pid" % i), "--python", sys.executable],
                        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr))
                self.logs.append(log)
            deadline = time.monotonic() + 60
            self.ports = [self._port(proc, log, deadline) for proc, log in zip(self.procs, self.logs)]
        except BaseException:
            self.stop()
            raise

    def _port(self, proc, log, deadline):
        while True:
            with open(log, "rb") as f:
                found = self.LISTENING.search(f.read())
            if found:
                return int(found.group(1))
            if proc.poll() is not None or time.monotonic() > deadline:
                with open(log, "rb") as f:
                    text = f.read().decode("utf-8", "replace")
                raise SystemExit("ppd did not start (%s):\n%s" % (
                    "exit status %d" % proc.returncode if proc.returncode is not None
                    else "no port after 60 s", text))
            time.sleep(0.02)

    def addresses(self, count):
        return tuple("127.0.0.1:%d" % port for port in self.ports[:count])

    def rss_mb(self):
        return [rss_mb(proc.pid) for proc in self.procs]

    def stop(self):
        stop_processes(self.procs)


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
    started = []
    servers = []
    try:
        node = Ppd(exe, bench.WORKERS)
        started.append(node)
        pair = [Ppd(exe, 1)]
        started.append(pair[0])
        pair.append(Ppd(exe, 1))
        started.append(pair[1])
        local = pp.Server(bench.WORKERS)
        servers.append(local)
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
        for server in servers:
            server.destroy()
        stop_processes([n.proc for n in started])
    for key in ("local", "ppd"):
        figures["throughput_%s" % key] = statistics.median(figures["throughput_%s_samples" % key])
    for key in ("local", "2ppd"):
        figures["sum_primes_%s" % key] = min(figures["sum_primes_%s_samples" % key])
    return figures


def client_cpu_s():
    """CPU time of this process so far, user + system, all its threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def connect(pp, addresses):
    """A client (ncpus=0) of the ppd at addresses once every one of them is
    ready, and the seconds that took."""
    t0 = time.perf_counter()
    server = pp.Server(0, ppservers=addresses, secret=SECRET)
    try:
        deadline = time.monotonic() + 60
        while len(server.get_active_nodes()) < len(addresses) + 1:
            if time.monotonic() > deadline:
                raise SystemExit("nodes did not become active: %d of %d" % (
                    len(server.get_active_nodes()) - 1, len(addresses)))
            time.sleep(0.005)
    except BaseException:
        server.destroy()
        raise
    return server, time.perf_counter() - t0


def remote_jobs(server):
    return {name: s.njobs for name, s in server.get_stats().items() if name != "local"}


def run_client_cpu(server, n, count):
    """The client's CPU microseconds per empty job, jobs/s and the number of
    nodes that ran some of them, for n jobs submitted at once then collected,
    after a warm-up of at least 8 jobs per node."""
    warm = max(bench.WARMUP_JOBS, 8 * count)
    bench.check([j() for j in [server.submit(bench.identity, (i,)) for i in range(warm)]]
                == list(range(warm)), "warm-up results")
    before = remote_jobs(server)
    t0 = time.perf_counter()
    cpu0 = client_cpu_s()
    results = [j() for j in [server.submit(bench.identity, (i,)) for i in range(n)]]
    cpu = client_cpu_s() - cpu0
    elapsed = time.perf_counter() - t0
    bench.check(results == list(range(n)), "client CPU results")
    used = sum(done > before.get(name, 0) for name, done in remote_jobs(server).items())
    return 1e6 * cpu / n, n / elapsed, used


def measure_nodes(pp, exe, params):
    """The client's CPU per job through 1 ppd and through params["nodes"]
    ppd, all of 1 worker (the first of them is the 1), in interleaved rounds
    that alternate which goes first. Each batch has a fresh client and is
    the only client in this process, so nothing else in it burns CPU in the
    measured window. Also: how long the many-node client takes to connect
    (median), and the ppd resident memory while it is connected."""
    count = params["nodes"]
    samples = {key: [] for key in ("cpu_1ppd", "cpu_nppd", "rate_1ppd", "rate_nppd", "connect_nppd")}
    figures = {"nodes_used_nppd": count}
    workdir = tempfile.mkdtemp(prefix="pp-bench-cluster-")
    try:
        nodes = Nodes(exe, count, workdir)
        try:
            for r in range(params["cpu_rounds"]):
                for key, k in ((("1ppd", 1), ("nppd", count)) if r % 2 == 0 else
                               (("nppd", count), ("1ppd", 1))):
                    server, seconds = connect(pp, nodes.addresses(k))
                    try:
                        cpu, rate, used = run_client_cpu(server, params["cpu_jobs"], k)
                        if key == "nppd":
                            rss = nodes.rss_mb()
                    finally:
                        server.destroy()
                    samples["cpu_" + key].append(cpu)
                    samples["rate_" + key].append(rate)
                    if key == "nppd":
                        samples["connect_nppd"].append(seconds)
                        figures["nodes_used_nppd"] = min(figures["nodes_used_nppd"], used)
        finally:
            nodes.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for key, values in samples.items():
        figures[key + "_samples"] = values
        figures[key] = statistics.median(values)
    figures["cpu_ratio"] = figures["cpu_nppd"] / figures["cpu_1ppd"]
    figures["ppd_rss_mb_mean"] = statistics.mean(rss)
    figures["ppd_rss_mb_max"] = max(rss)
    return figures


def rows(f, params):
    verdict = lambda ok: "PASS" if ok else "FAIL"
    table = []
    if "throughput_local" in f:
        ratio = f["throughput_ppd"] / f["throughput_local"]
        slower = f["sum_primes_2ppd"] / f["sum_primes_local"] - 1
        table += [
            ("throughput local pool (%d jobs, median of %d)" % (params["jobs"], params["rounds"]), "%.0f jobs/s" % f["throughput_local"], "(reference)", ""),
            ("throughput via 1 ppd, ncpus=0", "%.0f jobs/s" % f["throughput_ppd"], "(reference)", ""),
            ("throughput ppd / local", "%.2fx" % ratio, ">= 0.8x", verdict(ratio >= 0.8)),
            ("sum_primes 2 local workers", "%.3f s" % f["sum_primes_local"], "(reference)", ""),
            ("sum_primes 2 ppd x 1 worker", "%.3f s" % f["sum_primes_2ppd"], "(reference)", ""),
            ("sum_primes 2 ppd vs local", "%+.1f%%" % (100 * slower), "within 5%", verdict(slower <= 0.05)),
            ("ppd idle RSS (workers excluded)", "%.1f MB" % f["ppd_idle_rss_mb"], "<= 8 MB", verdict(f["ppd_idle_rss_mb"] <= 8)),
        ]
    n = params["nodes"]
    table += [
        ("client CPU per job via 1 ppd x 1 worker (%d jobs, median of %d)" % (params["cpu_jobs"], params["cpu_rounds"]),
         "%.1f us" % f["cpu_1ppd"], "(reference)", ""),
        ("client CPU per job via %d ppd x 1 worker (%d used)" % (n, f["nodes_used_nppd"]),
         "%.1f us" % f["cpu_nppd"], "(reference)", ""),
        ("client CPU per job %d ppd / 1 ppd" % n, "%.2fx" % f["cpu_ratio"], "<= 2x", verdict(f["cpu_ratio"] <= 2)),
        ("connect to %d ppd, until all ready (median)" % n, "%.3f s" % f["connect_nppd"], "(reference)", ""),
        ("ppd RSS per node, %d nodes, workers excluded (mean / max)" % n,
         "%.1f / %.1f MB" % (f["ppd_rss_mb_mean"], f["ppd_rss_mb_max"]), "(reference)", ""),
    ]
    return table


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--json", metavar="PATH", help="write the JSON report here")
    parser.add_argument("--build-dir", default=str(bench.REPO / "_build"))
    parser.add_argument("--nodes", type=int, metavar="N",
                        help="ppd nodes of the client CPU measurement (default: 64, quick: 4)")
    parser.add_argument("--only-nodes", action="store_true",
                        help="only the client CPU per job through 1 and N nodes")
    args = parser.parse_args()
    if args.nodes is not None and not 1 <= args.nodes <= 1000:
        parser.error("--nodes must be from 1 to 1000")
    build_dir = Path(args.build_dir)
    bench.ensure_environment(build_dir)
    pp = bench.import_pp()
    params = dict(QUICK if args.quick else FULL)
    if args.nodes is not None:
        params["nodes"] = args.nodes
    # Killed with SIGTERM, stop the ppd processes on the way out too.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    t0 = time.time()
    exe = ppd_path(build_dir)
    figures = {} if args.only_nodes else measure(pp, exe, params)
    figures.update(measure_nodes(pp, exe, params))
    table = rows(figures, params)
    print("pp-glib cluster benchmark (%s), %d CPUs, loopback\n" % ("quick" if args.quick else "full", os.cpu_count()))
    bench.print_table([tuple(r) for r in table])
    passed = sum(r[3] == "PASS" for r in table)
    print("\n%d/%d goals met, %.1f s" % (passed, sum(r[3] != "" for r in table), time.time() - t0))
    report = {"when": datetime.datetime.now().isoformat(timespec="seconds"),
              "mode": "quick" if args.quick else "full",
              "params": {k: v for k, v in params.items() if k != "inputs"},
              "figures": figures}
    bench.write_json(report, args.json, "cluster", latest=None)


if __name__ == "__main__":
    main()
