#!/usr/bin/env python3
# tests/stress/scale.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Scale: one client driving 64 ppd nodes on loopback, against 1 node.

Starts --nodes ppd (default 64; smoke 8) of 1 worker each on 127.0.0.1 (each
on a port of its own, a temporary config and runtime directory, no D-Bus)
and, for each step of node counts (1, 8, 16, 32, 64: the doubling steps up
to --nodes), in --rounds rounds whose order alternates, a fresh client
(pp.Server(0, ppservers=the first k nodes)) that

- connects: the time from pp.Server() until every one of its k nodes is
  "ready" in Server.nodes (the library's node list: connected and
  authenticated), the client's CPU time meanwhile (per node: flat when
  connecting costs the same per node however many there are), and the
  client's RSS and open fds before and after;
- runs --jobs empty jobs (submit all, then collect each, checked): the
  client's CPU time per job (getrusage, all its threads), jobs/s, and how
  many of the k nodes ran some;
- is destroyed: the client's fd count must come back to what it was.

The client's RSS per node is measured apart, in fresh interpreters (a
process keeps the high-water mark of its earlier clients): after a batch
with all nodes against after the same batch with 1, in --rounds rounds.

Then --cycles clients in a row (30; smoke 20), each connecting to all
nodes, running a few jobs and destroyed: the client's fd count must not
grow. Then: RSS per ppd node (the 64 ppd, workers excluded, while connected) and
each ppd's fd count before the first client and after the last (a ppd must
close what every client's connection opened).

Promises (the run fails when one breaks):
- every result right, and with k nodes every node ran jobs;
- client CPU per job with --nodes nodes at most 2x that with 1 node (the
  per-job cost must not grow with the node count: no scan of every node per
  job);
- connecting to --nodes nodes takes under --max-connect seconds (10);
- the client's RSS grows by under --max-rss-per-node MB per node (1; not
  judged under AddressSanitizer, whose quarantine keeps freed memory);
- no fd left behind by a client (client and ppd side).

Also checks RLIMIT_NOFILE against what the run needs (and raises the soft
limit to the hard one when it is too low, saying so) and RLIMIT_NPROC.

Run: ./dev.sh stress scale   (or ./dev.sh env /usr/bin/python3 tests/stress/scale.py [--smoke])
"""

import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "bench"))
import sampling  # noqa: E402
import bench  # noqa: E402
import bench_cluster  # noqa: E402


def steps_for(count):
    steps = [1]
    k = 8
    while k < count:
        steps.append(k)
        k *= 2
    if count > 1:
        steps.append(count)
    return sorted(set(steps))


def check_nofile(count):
    """The fd limit against what the run needs: the client holds a socket
    per node, each ppd its listener, client and worker pipes."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 64 + 2 * count
    print("RLIMIT_NOFILE soft %d, hard %d; the client needs about %d" % (soft, hard, need))
    if soft != resource.RLIM_INFINITY and soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            raise SystemExit("RESULT: FAIL RLIMIT_NOFILE hard limit %d < %d needed" % (hard, need))
        resource.setrlimit(resource.RLIMIT_NOFILE, (need if hard == resource.RLIM_INFINITY
                                                    else hard, hard))
        print("raised the soft RLIMIT_NOFILE to %d" % resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    # Each node is a ppd and its worker: two processes of this user.
    soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
    print("RLIMIT_NPROC soft %s; the nodes need %d processes" % (
        "unlimited" if soft == resource.RLIM_INFINITY else soft, 2 * count))
    if soft != resource.RLIM_INFINITY and soft < 2 * count + 64:
        raise SystemExit("RESULT: FAIL RLIMIT_NPROC %d is too low for %d nodes" % (soft, count))


def ready_count(server):
    return sum(1 for n in server.nodes if not n.is_local and n.state == "ready")


def connect(pp, addresses, timeout):
    """A client of the nodes at addresses once all are ready in
    Server.nodes, the seconds that took and the client's CPU seconds (its
    polling of Server.nodes every 2 ms included)."""
    t0 = time.perf_counter()
    cpu0 = bench_cluster.client_cpu_s()
    server = pp.Server(0, ppservers=addresses, secret=bench_cluster.SECRET, bus=False)
    try:
        deadline = time.monotonic() + timeout
        while ready_count(server) < len(addresses):
            if time.monotonic() > deadline:
                states = {}
                for n in server.nodes:
                    states[n.state] = states.get(n.state, 0) + 1
                raise SystemExit("RESULT: FAIL only %d of %d nodes ready after %.0f s: %r" % (
                    ready_count(server), len(addresses), timeout, states))
            time.sleep(0.002)
    except BaseException:
        server.destroy()
        raise
    return server, time.perf_counter() - t0, bench_cluster.client_cpu_s() - cpu0


def one_client(pp, nodes, k, jobs, timeout):
    """Connect to k nodes, run the batch, destroy; the figures."""
    me = os.getpid()
    fds0 = sampling.fd_count(me)
    rss0 = sampling.rss_mb(me)
    server, seconds, connect_cpu = connect(pp, nodes.addresses(k), timeout)
    try:
        rss1 = sampling.rss_mb(me)
        fds1 = sampling.fd_count(me)
        cpu, rate, used = bench_cluster.run_client_cpu(server, jobs, k)
        rss2 = sampling.rss_mb(me)
        ppd_rss = nodes.rss_mb()[:k]
    finally:
        server.destroy()
    return {"k": k, "connect_s": seconds, "connect_cpu_s": connect_cpu, "cpu_us": cpu, "rate": rate, "used": used,
            "rss_before": rss0, "rss_connected": rss1, "rss_after_jobs": rss2,
            "fds_before": fds0, "fds_connected": fds1, "ppd_rss": ppd_rss}


def measured_client(pp, nodes, k, jobs, timeout):
    """one_client(), and the client's fds once it is gone: its last
    reference dropped on return (the Pp.Server and its main context go with
    the Python object), destroy() having closed the connections."""
    res = one_client(pp, nodes, k, jobs, timeout)
    me = os.getpid()
    deadline = time.monotonic() + 5
    while sampling.fd_count(me) > res["fds_before"] and time.monotonic() < deadline:
        time.sleep(0.01)
    res["fds_after"] = sampling.fd_count(me)
    return res


def run_cycles(pp, nodes, count, cycles, timeout):
    """cycles clients in a row, each connecting to all count nodes, running
    a few jobs and destroyed: the client's fds and RSS before and after."""
    me = os.getpid()
    fds0, rss0 = sampling.fd_count(me), sampling.rss_mb(me)
    t0 = time.perf_counter()
    for _ in range(cycles):
        one_client(pp, nodes, count, 4 * count, timeout)
    seconds = time.perf_counter() - t0
    fds1, rss1 = sampling.fd_count(me), sampling.rss_mb(me)
    print("%d clients of %d nodes in a row, %.2f s: client fds %d -> %d, RSS %.1f -> %.1f MB"
          % (cycles, count, seconds, fds0, fds1, rss0, rss1), flush=True)
    return {"cycles": cycles, "seconds": seconds, "fds_before": fds0, "fds_after": fds1,
            "rss_before": rss0, "rss_after": rss1}


def fresh_client(pp, addresses, jobs, timeout):
    """In a process of its own (--fresh-client): the RSS before the client,
    once connected, and after a batch of jobs, printed as JSON."""
    parent = os.getppid()

    def orphaned():
        # The run was stopped while this one ran: do not outlive it.
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)
    threading.Thread(target=orphaned, daemon=True).start()
    me = os.getpid()
    before = sampling.rss_mb(me)
    server, _, _ = connect(pp, addresses, timeout)
    try:
        connected = sampling.rss_mb(me)
        bench_cluster.run_client_cpu(server, jobs, len(addresses))
        after = sampling.rss_mb(me)
    finally:
        server.destroy()
    print(json.dumps({"before": before, "connected": connected, "after_jobs": after}))


def fresh_rss(nodes, k, jobs, timeout):
    """fresh_client() with the first k nodes, in a new interpreter: its RSS
    owes nothing to the clients before it."""
    out = subprocess.run([sys.executable, __file__, "--fresh-client",
                          ",".join(nodes.addresses(k)), "--jobs", str(jobs)],
                         stdout=subprocess.PIPE, timeout=timeout + 120, check=True)
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true",
                        help="a short run (8 nodes, 2,000 jobs, 1 round) for the test suite")
    parser.add_argument("--nodes", type=int, help="ppd nodes (default 64; smoke 8)")
    parser.add_argument("--jobs", type=int, help="empty jobs per client (default 20,000; smoke 2,000)")
    parser.add_argument("--rounds", type=int, help="rounds, medians reported (default 3; smoke 1)")
    parser.add_argument("--cycles", type=int,
                        help="clients of all nodes created and destroyed in a row, "
                             "for fd leaks (default 30; smoke 20)")
    parser.add_argument("--max-connect", type=float, default=10.0,
                        help="seconds allowed to connect to all nodes (10)")
    parser.add_argument("--max-cpu-ratio", type=float, default=2.0,
                        help="client CPU per job, all nodes / 1 node, allowed (2)")
    parser.add_argument("--max-rss-per-node", type=float, default=1.0,
                        help="client MB per connected node allowed (1)")
    parser.add_argument("--json", metavar="PATH", help="write the figures here")
    parser.add_argument("--fresh-client", metavar="ADDRESSES", help=argparse.SUPPRESS)
    parser.add_argument("--build-dir", default=str(REPO / "_build"))
    args = parser.parse_args()
    count = args.nodes if args.nodes is not None else (8 if args.smoke else 64)
    jobs = args.jobs if args.jobs is not None else (2000 if args.smoke else 20000)
    rounds = args.rounds if args.rounds is not None else (1 if args.smoke else 3)
    ncycles = args.cycles if args.cycles is not None else (20 if args.smoke else 30)
    if not 2 <= count <= 1000 or jobs < 100 or rounds < 1 or ncycles < 1:
        parser.error("need 2 <= --nodes <= 1000, --jobs >= 100, --rounds >= 1, --cycles >= 1")
    args.cycles = ncycles
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    pp = bench.import_pp()
    if args.fresh_client:
        fresh_client(pp, tuple(args.fresh_client.split(",")), jobs, args.max_connect * 6)
        return 0
    exe = bench_cluster.ppd_path(Path(args.build_dir))
    check_nofile(count)
    steps = steps_for(count)
    print("scale: %d ppd x 1 worker, steps %s, %d jobs per client, %d round(s)" % (
        count, steps, jobs, rounds), flush=True)

    workdir = tempfile.mkdtemp(prefix="pp-stress-scale-")
    results = {k: [] for k in steps}
    failures = []
    nodes = None
    try:
        t0 = time.monotonic()
        nodes = bench_cluster.Nodes(exe, count, workdir)
        started = time.monotonic() - t0
        pids = [p.pid for p in nodes.procs]
        # Let each ppd's workers come up before the first figures. A first
        # client opens what a process keeps for its later ones (GLib's
        # global contexts and their eventfds): not measured.
        time.sleep(1.0)
        one_client(pp, nodes, 1, min(jobs, 1000), args.max_connect * 6)
        ppd_fds0 = [sampling.fd_count(p) for p in pids]
        ppd_idle_rss = nodes.rss_mb()
        print("started %d ppd in %.2f s; idle ppd RSS mean %.2f MB, fds %d..%d" % (
            count, started, statistics.mean(ppd_idle_rss), min(ppd_fds0), max(ppd_fds0)),
            flush=True)
        for r in range(rounds):
            for k in (steps if r % 2 == 0 else list(reversed(steps))):
                res = measured_client(pp, nodes, k, jobs, args.max_connect * 6)
                results[k].append(res)
                print("round %d, %2d nodes: connect %.3f s, %.1f us CPU/job, %.0f jobs/s, "
                      "%d used, client RSS %.1f -> %.1f MB, fds %d -> %d -> %d" % (
                          r + 1, k, res["connect_s"], res["cpu_us"], res["rate"], res["used"],
                          res["rss_before"], res["rss_connected"], res["fds_before"],
                          res["fds_connected"], res["fds_after"]), flush=True)
        fresh = {1: [], count: []}
        for r in range(rounds):
            for k in ((1, count) if r % 2 == 0 else (count, 1)):
                fresh[k].append(fresh_rss(nodes, k, jobs, args.max_connect * 6))
        print("client RSS in fresh processes (before, connected, after the batch): %s" % "; ".join(
            "%d nodes %.1f, %.1f, %.1f MB" % (k, f["before"], f["connected"], f["after_jobs"])
            for k in fresh for f in fresh[k]), flush=True)
        cycles = run_cycles(pp, nodes, count, args.cycles, args.max_connect * 6)
        time.sleep(1.0)
        ppd_fds1 = [sampling.fd_count(p) for p in pids]
        deadline = time.monotonic() + 10
        while ppd_fds1 != ppd_fds0 and time.monotonic() < deadline:
            time.sleep(0.1)
            ppd_fds1 = [sampling.fd_count(p) for p in pids]
    finally:
        if nodes is not None:
            nodes.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    med = lambda k, key: statistics.median(r[key] for r in results[k])
    print("\n%6s %10s %14s %14s %12s %12s %9s %16s %12s" % (
        "nodes", "connect s", "connect ms/nd", "conn. CPU us/nd", "CPU us/job", "jobs/s",
        "used", "client +MB conn.", "ppd MB mean"))
    table = {}
    for k in steps:
        row = {"connect_s": med(k, "connect_s"), "cpu_us": med(k, "cpu_us"),
               "connect_cpu_us_per_node": 1e6 * med(k, "connect_cpu_s") / k,
               "rate": med(k, "rate"), "used_min": min(r["used"] for r in results[k]),
               "client_mb_connect": med(k, "rss_connected") - med(k, "rss_before"),
               "ppd_rss_mean": statistics.mean(v for r in results[k] for v in r["ppd_rss"])}
        table[k] = row
        print("%6d %10.3f %14.2f %14.0f %12.1f %12.0f %9d %16.2f %12.2f" % (
            k, row["connect_s"], 1000 * row["connect_s"] / k, row["connect_cpu_us_per_node"],
            row["cpu_us"], row["rate"],
            row["used_min"], row["client_mb_connect"], row["ppd_rss_mean"]))
    one, top = table[1], table[count]
    ratio = top["cpu_us"] / one["cpu_us"]
    # The client's RSS with every node connected (and after their batch,
    # which sizes its per-node state), against 1 node, per added node: each
    # in a fresh process, as a process keeps the high-water mark of its
    # earlier clients.
    rss_top = statistics.median(f["after_jobs"] for f in fresh[count])
    rss_one = statistics.median(f["after_jobs"] for f in fresh[1])
    per_node = (rss_top - rss_one) / (count - 1)
    print("\nclient CPU per job: %.1f us with 1 node, %.1f us with %d (%.2fx); "
          "jobs/s %.0f against %.0f" % (one["cpu_us"], top["cpu_us"], count, ratio,
                                         top["rate"], one["rate"]))
    print("client RSS after the batch, fresh processes (median): %.1f MB with 1 node, "
          "%.1f MB with %d: %.3f MB per node"
          % (rss_one, rss_top, count, per_node))
    print("ppd RSS per node while connected, workers excluded: mean %.2f MB, max %.2f MB"
          % (top["ppd_rss_mean"], max(max(r["ppd_rss"]) for r in results[count])))
    fd_leaks = [(k, r["fds_before"], r["fds_after"]) for k in steps for r in results[k]
                if r["fds_after"] > r["fds_before"]]
    ppd_leaks = [(i, a, b) for i, (a, b) in enumerate(zip(ppd_fds0, ppd_fds1)) if b > a]
    verdicts = [
        ("with k nodes, all k ran jobs (min used %s)" % ", ".join(
            "%d/%d" % (table[k]["used_min"], k) for k in steps),
         all(table[k]["used_min"] == k for k in steps)),
        ("client CPU per job %d nodes / 1 node %.2fx <= %.1fx" % (count, ratio, args.max_cpu_ratio),
         ratio <= args.max_cpu_ratio),
        ("connect to %d nodes %.3f s < %.1f s" % (count, top["connect_s"], args.max_connect),
         top["connect_s"] < args.max_connect),
        ("client RSS per node %.3f MB not judged: AddressSanitizer's quarantine keeps freed "
         "memory" % per_node, True) if sampling.sanitized(os.getpid()) else
        ("client RSS per node %.3f MB < %.1f MB" % (per_node, args.max_rss_per_node),
         per_node < args.max_rss_per_node),
        ("client fds back after every destroy (%d leaks)" % len(fd_leaks), not fd_leaks),
        ("client fds after %d clients in a row: %d -> %d" % (
            cycles["cycles"], cycles["fds_before"], cycles["fds_after"]),
         cycles["fds_after"] <= cycles["fds_before"]),
        ("ppd fds back after every client (%d of %d ppd hold more)" % (len(ppd_leaks), count),
         not ppd_leaks),
    ]
    sampling.print_verdicts(verdicts, failures)
    if fd_leaks:
        print("client fd leaks (nodes, before, after): %r" % fd_leaks[:10])
    if ppd_leaks:
        print("ppd fd leaks (node, before, after): %r" % ppd_leaks[:10])
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"nodes": count, "jobs": jobs, "rounds": rounds, "ppd_start_s": started,
                       "ppd_idle_rss_mb": ppd_idle_rss, "table": table, "cpu_ratio": ratio,
                       "client_mb_per_node": per_node, "results": results, "cycles": cycles,
                       "fresh_clients": fresh,
                       "verdicts": verdicts}, f, indent=1)
    return sampling.result(failures)


if __name__ == "__main__":
    sys.exit(main())
