#!/usr/bin/env python3
# tests/stress/soak.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Soak: millions of tiny jobs through 4 ppd nodes and local workers, flat memory.

One client (pp.Server with local workers and 4 ppd nodes of 1 worker each on
127.0.0.1) runs --jobs tiny jobs (default 10,000,000), each a real job of
its own: server.submit(tiny, (i,)) with at most --window jobs in flight,
each job() collected in submission order and checked (--api executor:
pp.Executor's submit() and result() instead) (tiny(i) = 2i + 1, so
the results also sum to jobs^2). Every --interval seconds a sampler thread
reads the RSS, open file descriptors and threads of the client and of each
ppd (/proc), and the RSS of their workers. After the warm-up (the first
--warmup fraction of the jobs) it fits the least-squares slope of each RSS
over the jobs done, in MB per million jobs.

Promises (the run fails when one breaks):
- every job ends with its own right result, none fails, the count and the
  sum are right, and every node (the local workers and each ppd) ran jobs;
- flat memory: for the client, each ppd, the client's local workers (their
  sum) and the ppd's workers (their sum), the fitted RSS growth over the
  measured stretch (slope x millions of jobs) stays under --max-slope MB per
  million jobs x millions + --noise-mb. 1 MB per million is one byte per
  job: any per-job leak (a job, a frame, a closure: tens to hundreds of
  bytes each) breaks it several times over, while the allocator's steady
  state (arenas, caches, the window of jobs in flight) is a constant, not a
  slope; --noise-mb absorbs its wobble over a short (smoke) run;
- no fd or thread growth: after the warm-up no process ever holds more
  file descriptors or threads than its maximum during the warm-up;
  (with AddressSanitizer, whose quarantine holds freed memory, the RSS is
  reported, not judged);
- no stall: if no job completes for --stall seconds the run stops and fails.

Run: ./dev.sh stress soak   (or ./dev.sh env /usr/bin/python3 tests/stress/soak.py [--smoke])
"""

import argparse
import collections
import json
import math
import os
import shutil
import signal
import sys
import tempfile
import time
import _thread
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "bench"))
import sampling  # noqa: E402
import bench  # noqa: E402
import bench_cluster  # noqa: E402


def tiny(x):
    return 2 * x + 1


class Progress:
    """What the main loop has done, read by the sampler thread."""

    def __init__(self):
        self.done = 0
        self.last_change = time.monotonic()
        self.stalled = False


def probe_fn(t0, progress, client_pid, ppd_pids):
    def probe():
        done = progress.done
        return {
            "t": time.monotonic() - t0,
            "jobs": done,
            "client_rss": sampling.rss_mb(client_pid),
            "client_fds": sampling.fd_count(client_pid),
            "client_threads": sampling.threads(client_pid),
            "local_workers_rss": sampling.tree_rss_mb(client_pid),
            "ppd_rss": [sampling.rss_mb(p) for p in ppd_pids],
            "ppd_fds": [sampling.fd_count(p) for p in ppd_pids],
            "ppd_threads": [sampling.threads(p) for p in ppd_pids],
            "ppd_workers_rss": sum(sampling.tree_rss_mb(p) for p in ppd_pids),
        }
    return probe


class Watch:
    """The sampler's probe, plus: a table row every 5% of the jobs, and the
    stall watchdog (interrupts the main thread)."""

    def __init__(self, probe, progress, total, stall):
        self.probe = probe
        self.progress = progress
        self.total = total
        self.stall = stall
        self.next_row = 0
        self.last_row = None
        self.last_jobs = -1

    def __call__(self):
        s = self.probe()
        now = time.monotonic()
        if s["jobs"] != self.last_jobs:
            self.last_jobs = s["jobs"]
            self.progress.last_change = now
        elif now - self.progress.last_change > self.stall and not self.progress.stalled:
            self.progress.stalled = True
            print("STALL: no job completed for %.0f s at %d jobs" % (self.stall, s["jobs"]),
                  flush=True)
            _thread.interrupt_main()
        if s["jobs"] >= self.next_row:
            print_row(s, self.last_row)
            self.last_row = s
            self.next_row = s["jobs"] + max(1, self.total // 20)
        return s


HEADER = ("%8s %10s %9s %9s %5s %4s %27s %19s %9s %9s" % (
    "time s", "jobs", "jobs/s", "client MB", "fds", "thr", "ppd MB (each)",
    "ppd fds (each)", "cl.wrk MB", "ppd.wrk MB"))


def print_row(s, previous):
    if previous is None:
        print(HEADER)
        rate = float("nan")
    else:
        dt = s["t"] - previous["t"]
        rate = (s["jobs"] - previous["jobs"]) / dt if dt > 0 else float("nan")
    print("%8.1f %10d %9.0f %9.1f %5d %4d %27s %19s %9.1f %9.1f" % (
        s["t"], s["jobs"], rate, s["client_rss"], s["client_fds"], s["client_threads"],
        "/".join("%.1f" % v for v in s["ppd_rss"]),
        "/".join("%d" % v for v in s["ppd_fds"]),
        s["local_workers_rss"], s["ppd_workers_rss"]), flush=True)


def start_client(pp, addresses, local):
    server = pp.Server(local, ppservers=addresses, secret=bench_cluster.SECRET, bus=False)
    try:
        deadline = time.monotonic() + 120
        while len(server.get_active_nodes()) < len(addresses) + 1:
            if time.monotonic() > deadline:
                raise SystemExit("nodes did not become active: %r" % server.get_active_nodes())
            time.sleep(0.02)
    except BaseException:
        server.destroy()
        raise
    return server


def run_jobs(server, n, window, progress, api="submit"):
    """Submits tiny(i) for i in range(n), at most window in flight, collects
    each in order; returns (count, sum, wrong, failed, first error). api
    "submit": server.submit() and job(); "executor": pp.Executor(server=
    server).submit() and future.result()."""
    if api == "executor":
        import pp
        executor = pp.Executor(server=server)
        submit = lambda fn, args: executor.submit(fn, *args).result
    else:
        submit = server.submit
    inflight = collections.deque()
    count = total = wrong = failed = 0
    first_error = None

    def collect():
        nonlocal count, total, wrong, failed, first_error
        i, job = inflight.popleft()
        try:
            r = job()
        except Exception as exc:  # a failed job breaks the promise; go on counting
            failed += 1
            if first_error is None:
                first_error = "job %d: %r" % (i, exc)
            return
        count += 1
        total += r
        if r != 2 * i + 1:
            wrong += 1
            if first_error is None:
                first_error = "job %d returned %r, not %d" % (i, r, 2 * i + 1)
        progress.done = count + failed

    for i in range(n):
        inflight.append((i, submit(tiny, (i,))))
        if len(inflight) >= window:
            collect()
    while inflight:
        collect()
    return count, total, wrong, failed, first_error


def after(samples, jobs0):
    return [s for s in samples if s["jobs"] >= jobs0]


def analyse(samples, n, warm_jobs, max_slope, noise_mb, sanitized=()):
    """The slopes and fd/thread growth; a list of (line, ok) verdicts. The
    RSS of the processes named in sanitized is reported, not judged."""
    warm = [s for s in samples if s["jobs"] < warm_jobs]
    meas = after(samples, warm_jobs)
    verdicts = []
    report = {}
    if len(meas) < 3 or not warm:
        return [("too few samples after the warm-up (%d): use a smaller --interval" % len(meas), False)], report
    xs = [s["jobs"] / 1e6 for s in meas]
    span = xs[-1] - xs[0]
    limit = max_slope * span + noise_mb
    series = [("client", [s["client_rss"] for s in meas])]
    nppd = len(meas[0]["ppd_rss"])
    series += [("ppd-%d" % k, [s["ppd_rss"][k] for s in meas]) for k in range(nppd)]
    series += [("client's local workers", [s["local_workers_rss"] for s in meas]),
               ("ppd workers (sum)", [s["ppd_workers_rss"] for s in meas])]
    print("\nRSS after the warm-up (%d jobs), over %.2f million jobs, %d samples:" % (
        warm_jobs, span, len(meas)))
    print("%-24s %9s %9s %9s %12s %12s" % ("process", "first MB", "last MB", "max MB",
                                          "MB/M jobs", "fitted MB"))
    for name, ys in series:
        sl = sampling.slope(xs, ys)
        grown = sl * span
        report[name] = {"first_mb": ys[0], "last_mb": ys[-1], "max_mb": max(ys),
                        "slope_mb_per_mjobs": sl, "fitted_growth_mb": grown}
        print("%-24s %9.1f %9.1f %9.1f %12.3f %12.2f" % (name, ys[0], ys[-1], max(ys), sl, grown))
        if name in sanitized:
            verdicts.append(("%s RSS not judged: AddressSanitizer's quarantine keeps freed "
                             "memory" % name, True))
        else:
            verdicts.append(("%s RSS: fitted growth %.2f MB < %.2f MB (%.1f MB/M x %.2f M + %.1f MB)"
                             % (name, grown, limit, max_slope, span, noise_mb),
                             not math.isnan(sl) and grown < limit))
    for what, key in (("fds", "fds"), ("threads", "threads")):
        groups = [("client", lambda s, key=key: s["client_" + key])]
        groups += [("ppd-%d" % k, lambda s, k=k, key=key: s["ppd_" + key][k]) for k in range(nppd)]
        for name, get in groups:
            w = max(get(s) for s in warm)
            m = max(get(s) for s in meas)
            last = get(meas[-1])
            report.setdefault(name, {})[what] = {"warmup_max": w, "after_max": m, "last": last}
            verdicts.append(("%s %s: max after warm-up %d <= max during it %d (last %d)"
                             % (name, what, m, w, last), m <= w))
    return verdicts, report


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true",
                        help="a short run (300,000 jobs, 100,000 under AddressSanitizer; "
                             "0.5 s samples) for the test suite")
    parser.add_argument("--jobs", type=int, help="jobs to run (default 10,000,000; smoke 300,000)")
    parser.add_argument("--nodes", type=int, default=4, help="ppd nodes of 1 worker each (4)")
    parser.add_argument("--local", type=int, default=2, help="the client's local workers (2)")
    parser.add_argument("--window", type=int, default=4096, help="jobs in flight (4096)")
    parser.add_argument("--api", choices=("submit", "executor"), default="submit",
                        help="server.submit and job() (default), or pp.Executor's submit "
                             "and result()")
    parser.add_argument("--interval", type=float, help="seconds between samples (5; smoke 0.5)")
    parser.add_argument("--warmup", type=float, default=0.1,
                        help="fraction of the jobs before the measured stretch (0.1)")
    parser.add_argument("--max-slope", type=float, default=1.0,
                        help="RSS MB per million jobs allowed (1.0)")
    parser.add_argument("--noise-mb", type=float, default=4.0,
                        help="MB of allocator wobble allowed on top (4)")
    parser.add_argument("--stall", type=float, default=120.0,
                        help="fail when no job completes for this many seconds (120)")
    parser.add_argument("--json", metavar="PATH", help="write every sample and figure here")
    parser.add_argument("--build-dir", default=str(REPO / "_build"))
    args = parser.parse_args()
    # Under AddressSanitizer (the suite's asan run) jobs are ~10x slower.
    smoke_jobs = 100_000 if sampling.sanitized(os.getpid()) else 300_000
    n = args.jobs if args.jobs is not None else (smoke_jobs if args.smoke else 10_000_000)
    interval = args.interval if args.interval is not None else (0.5 if args.smoke else 5.0)
    if n < 1000 or not 1 <= args.nodes <= 256 or args.local < 0 or args.window < 1 \
            or not 0 < args.warmup < 1 or interval <= 0:
        parser.error("need --jobs >= 1000, 1 <= --nodes <= 256, --local >= 0, "
                     "--window >= 1, 0 < --warmup < 1, --interval > 0")
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    pp = bench.import_pp()
    exe = bench_cluster.ppd_path(Path(args.build_dir))

    print("soak: %d jobs (%s), %d ppd x 1 worker + %d local workers, window %d, "
          "sample every %.1f s" % (n, args.api, args.nodes, args.local, args.window, interval),
          flush=True)
    workdir = tempfile.mkdtemp(prefix="pp-stress-soak-")
    progress = Progress()
    sampler = None
    server = None
    nodes = None
    failures = []
    t_start = time.monotonic()
    try:
        nodes = bench_cluster.Nodes(exe, args.nodes, workdir)
        server = start_client(pp, nodes.addresses(args.nodes), args.local)
        connected = time.monotonic() - t_start
        print("started %d ppd and connected in %.2f s" % (args.nodes, connected), flush=True)
        sanitized = [name for name, pid in [("client", os.getpid())] + [
            ("ppd-%d" % k, p.pid) for k, p in enumerate(nodes.procs)] if sampling.sanitized(pid)]
        if "client" in sanitized:
            # The workers inherit its LD_PRELOAD of the sanitizer runtime.
            sanitized += ["client's local workers", "ppd workers (sum)"]
        probe = probe_fn(time.monotonic(), progress, os.getpid(), [p.pid for p in nodes.procs])
        watch = Watch(probe, progress, n, args.stall)
        sampler = sampling.Sampler(watch, interval).start()
        t0 = time.monotonic()
        cpu0 = bench_cluster.client_cpu_s()
        try:
            count, total, wrong, failed, first_error = run_jobs(server, n, args.window, progress,
                                                                args.api)
        except KeyboardInterrupt:
            if not progress.stalled:
                raise
            print("node states at the stall: %r" % (server.nodes,), flush=True)
            raise SystemExit("RESULT: FAIL stalled at %d of %d jobs" % (progress.done, n))
        elapsed = time.monotonic() - t0
        cpu = bench_cluster.client_cpu_s() - cpu0
        time.sleep(min(interval, 1.0))
        sampler.stop()
        if watch.last_row is not sampler.samples[-1]:
            print_row(sampler.samples[-1], watch.last_row)
        stats = server.get_stats()
    finally:
        if sampler is not None:
            try:
                sampler.stop()
            except Exception as exc:
                failures.append("sampler: %r" % exc)
        if server is not None:
            server.destroy()
        if nodes is not None:
            nodes.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print("\n%d jobs in %.1f s: %.0f jobs/s, client CPU %.1f us per job" % (
        n, elapsed, n / elapsed, 1e6 * cpu / n))
    per_node = {name: s.njobs for name, s in stats.items()}
    print("jobs per node: %s" % ", ".join("%s %d" % kv for kv in sorted(per_node.items())))
    verdicts = [
        ("results: %d right, %d wrong, %d failed of %d" % (count - wrong, wrong, failed, n),
         count == n and wrong == 0 and failed == 0),
        ("sum of results %d == %d^2" % (total, n), total == n * n),
        ("every node ran jobs (%d nodes)" % len(per_node),
         len(per_node) == args.nodes + (1 if args.local else 0)
         and all(v > 0 for v in per_node.values())),
    ]
    if first_error:
        print("first error: %s" % first_error)
    more, report = analyse(sampler.samples, n, int(n * args.warmup), args.max_slope, args.noise_mb,
                            sanitized)
    verdicts += more
    sampling.print_verdicts(verdicts, failures)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"jobs": n, "nodes": args.nodes, "local": args.local, "window": args.window,
                       "elapsed_s": elapsed, "jobs_per_s": n / elapsed,
                       "client_cpu_us_per_job": 1e6 * cpu / n, "per_node": per_node,
                       "figures": report, "samples": sampler.samples,
                       "verdicts": verdicts}, f, indent=1)
    return sampling.result(failures)


if __name__ == "__main__":
    sys.exit(main())
