#!/usr/bin/python3
# bench_modern.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""pp-glib's modern API against the standard library, side by side.

Every contender uses 2 worker processes, created and warmed up before the
clock starts; every measurement checks its results. Rows:

  submit    N empty jobs f(x) = x through the plain submit loop (submit
            all, then job() each) vs Pool.map(f, xs, chunksize=1)
  executor  pp.Executor.submit of N jobs (then .result() each) vs
            ProcessPoolExecutor.submit
  map       server.map(f, range(M)) vs Pool.map(f, range(M)) (its default
            chunksize)
  asyncio   A jobs awaited in asyncio (gather of `await job`) vs
            gather of loop.run_in_executor(ProcessPoolExecutor, f, x)
  imap_rss  server.imap(f, generator of G items) consumed one by one: the
            client's VmRSS growth (peak minus the reading after the first
            200,000 items), in a fresh process

The throughput rows run in interleaved rounds (the median is reported), so
a noisy stretch of a shared machine hits both contenders alike.  Prints a
table and writes JSON to bench/results/modern-<timestamp>.json and
bench/results/modern-latest.json (or only to --json PATH).  The goals are
for humans: the exit status is 0 whatever they say, unless --strict.

Run with Debian's interpreter: /usr/bin/python3 bench/bench_modern.py [--quick]
"""

import argparse
import asyncio
import concurrent.futures
import contextlib
import datetime
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import bench as base  # noqa: E402  (environment set-up, table, JSON)

WORKERS = 2

FULL = {
    "submit_jobs": 20000,
    "executor_jobs": 20000,
    "map_items": 1000000,
    "asyncio_jobs": 10000,
    "imap_items": 10000000,
    "rounds": 3,
}
QUICK = {
    "submit_jobs": 2000,
    "executor_jobs": 2000,
    "map_items": 100000,
    "asyncio_jobs": 1000,
    "imap_items": 400000,
    "rounds": 1,
}
WARMUP = 200
RSS_BASE_ITEMS = 200000

GOALS = (
    # name, figure, reference figure, factor ("ratio >= factor")
    ("submit loop vs Pool.map(chunksize=1)", "submit_pp_jobs_per_s",
     "submit_pool_map_jobs_per_s", 1.5),
    ("Executor.submit vs ProcessPoolExecutor", "executor_pp_jobs_per_s",
     "executor_ppe_jobs_per_s", 5.0),
    ("server.map vs Pool.map", "map_pp_items_per_s", "map_pool_items_per_s", 1.0),
    ("await job vs run_in_executor(PPE)", "asyncio_pp_jobs_per_s",
     "asyncio_ppe_jobs_per_s", 3.0),
)
RSS_GOAL_MB = 20.0


def identity(x):
    return x


# --- contenders -------------------------------------------------------------------

def pp_server(pp):
    server = pp.Server(WORKERS)
    warm = [server.submit(identity, (i,)) for i in range(WARMUP)]
    base.check([j() for j in warm] == list(range(WARMUP)), "pp-glib warm-up")
    return server


def pool():
    p = multiprocessing.Pool(WORKERS)
    p.map(identity, range(WARMUP), chunksize=1)
    return p


def ppe():
    ex = concurrent.futures.ProcessPoolExecutor(WORKERS)
    base.check([f.result() for f in [ex.submit(identity, i) for i in range(WARMUP)]]
               == list(range(WARMUP)), "ProcessPoolExecutor warm-up")
    return ex


@contextlib.contextmanager
def served(pp):
    """A warmed-up pp server, destroyed on the way out."""
    server = pp_server(pp)
    try:
        yield server
    finally:
        server.destroy()


def timed(run):
    """run()'s results and its wall time in seconds."""
    t0 = time.perf_counter()
    results = run()
    return results, time.perf_counter() - t0


def rate(n, results, elapsed, what):
    """Items per second, once *results* are checked to be range(n)."""
    base.check(results == list(range(n)), what)
    return n / elapsed


def submit_pp(pp, n):
    with served(pp) as server:
        results, elapsed = timed(lambda: [j() for j in [server.submit(identity, (i,))
                                                        for i in range(n)]])
    return rate(n, results, elapsed, "pp submit")


def submit_pool_map(pp, n):
    with pool() as p:
        results, elapsed = timed(lambda: p.map(identity, range(n), chunksize=1))
    return rate(n, results, elapsed, "Pool.map(chunksize=1)")


def submit_all(ex, n):
    """ex.submit() of n jobs, then .result() each."""
    return [f.result() for f in [ex.submit(identity, i) for i in range(n)]]


def executor_pp(pp, n):
    with served(pp) as server:
        with pp.Executor(server=server) as ex:
            submit_all(ex, WARMUP)
            results, elapsed = timed(lambda: submit_all(ex, n))
    return rate(n, results, elapsed, "pp.Executor")


def executor_ppe(pp, n):
    with ppe() as ex:
        results, elapsed = timed(lambda: submit_all(ex, n))
    return rate(n, results, elapsed, "ProcessPoolExecutor")


def map_pp(pp, n):
    with served(pp) as server:
        server.map(identity, range(WARMUP))
        results, elapsed = timed(lambda: server.map(identity, range(n)))
    return rate(n, results, elapsed, "server.map")


def map_pool(pp, n):
    with pool() as p:
        results, elapsed = timed(lambda: p.map(identity, range(n)))
    return rate(n, results, elapsed, "Pool.map")


# The asyncio rows start the clock inside the running loop.

def asyncio_pp(pp, n):
    with served(pp) as server:
        async def main():
            t0 = time.perf_counter()
            results = await asyncio.gather(*[server.submit(identity, (i,)) for i in range(n)])
            return results, time.perf_counter() - t0
        results, elapsed = asyncio.run(main())
    return rate(n, results, elapsed, "await job")


def asyncio_ppe(pp, n):
    with ppe() as ex:
        async def main():
            loop = asyncio.get_running_loop()
            t0 = time.perf_counter()
            results = await asyncio.gather(*[loop.run_in_executor(ex, identity, i)
                                             for i in range(n)])
            return results, time.perf_counter() - t0
        results, elapsed = asyncio.run(main())
    return rate(n, results, elapsed, "run_in_executor")


# --- imap memory (in a fresh process) ---------------------------------------------

def imap_child(n):
    pp = base.import_pp()
    server = pp_server(pp)
    count = total = 0
    before = peak = None
    try:
        t0 = time.perf_counter()
        for value in server.imap(identity, (x for x in range(n))):
            count += 1
            total += value
            if count % 100000 == 0:
                rss = base.vmrss_kb()
                if count == RSS_BASE_ITEMS:
                    before = peak = rss
                elif before is not None:
                    peak = max(peak, rss)
        elapsed = time.perf_counter() - t0
    finally:
        server.destroy()
    base.check(count == n and total == n * (n - 1) // 2, "server.imap")
    return {"before_kb": before, "peak_kb": peak, "items_per_s": n / elapsed}


def imap_rss(n):
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()),
                           "--imap-child", str(n)],
                          capture_output=True, text=True, timeout=1200)
    if proc.returncode != 0:
        raise RuntimeError(f"the imap measurement failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- report -----------------------------------------------------------------------

ROWS = {
    "submit": ("submit_jobs", (("submit_pp_jobs_per_s", submit_pp),
                               ("submit_pool_map_jobs_per_s", submit_pool_map))),
    "executor": ("executor_jobs", (("executor_pp_jobs_per_s", executor_pp),
                                   ("executor_ppe_jobs_per_s", executor_ppe))),
    "map": ("map_items", (("map_pp_items_per_s", map_pp),
                          ("map_pool_items_per_s", map_pool))),
    "asyncio": ("asyncio_jobs", (("asyncio_pp_jobs_per_s", asyncio_pp),
                                 ("asyncio_ppe_jobs_per_s", asyncio_ppe))),
}


def run_all(pp, params, only, log):
    figures = {}
    rounds = params["rounds"]
    for row, (size_key, contenders) in ROWS.items():
        if row not in only:
            continue
        n = params[size_key]
        log(f"{row}: {n} each, {rounds} interleaved round(s) ...")
        samples = {key: [] for key, _ in contenders}
        for _ in range(rounds):
            for key, fn in contenders:
                samples[key].append(fn(pp, n))
        for key, _ in contenders:
            figures[key] = statistics.median(samples[key])
            figures[key.replace("_per_s", "_samples")] = samples[key]
    if "imap_rss" in only:
        n = params["imap_items"]
        log(f"imap_rss: a {n}-item generator, in a fresh process ...")
        rss = imap_rss(n)
        figures["imap_rss_before_mb"] = rss["before_kb"] / 1024.0
        figures["imap_rss_growth_mb"] = (rss["peak_kb"] - rss["before_kb"]) / 1024.0
        figures["imap_items_per_s"] = rss["items_per_s"]
    return figures


def evaluate(f):
    goals = []
    for name, key, ref, factor in GOALS:
        if key in f and ref in f:
            ratio = f[key] / f[ref]
            goals.append((name, key, f">= {factor:g}x ({ratio:.2f}x)", ratio >= factor, ratio))
    if "imap_rss_growth_mb" in f:
        goals.append(("imap client RSS growth", "imap_rss_growth_mb",
                      f"<= {RSS_GOAL_MB:g} MB", f["imap_rss_growth_mb"] <= RSS_GOAL_MB,
                      f["imap_rss_growth_mb"]))
    return goals


def table_rows(f, params, goals):
    labels = {
        "submit_pp_jobs_per_s": f"submit loop, {params['submit_jobs']} jobs",
        "submit_pool_map_jobs_per_s": "Pool.map(chunksize=1)",
        "executor_pp_jobs_per_s": f"pp.Executor.submit, {params['executor_jobs']} jobs",
        "executor_ppe_jobs_per_s": "ProcessPoolExecutor.submit",
        "map_pp_items_per_s": f"server.map, {params['map_items']} items",
        "map_pool_items_per_s": "Pool.map (default chunksize)",
        "asyncio_pp_jobs_per_s": f"await job, {params['asyncio_jobs']} jobs",
        "asyncio_ppe_jobs_per_s": "run_in_executor(ProcessPoolExecutor)",
    }
    goal_of = {g[1]: g for g in goals}
    rows = []
    for key, label in labels.items():
        if key in f:
            g = goal_of.get(key)
            rows.append((label, f"{f[key]:.0f}/s", g[2] if g else "(reference)",
                         ("PASS" if g[3] else "MISS") if g else ""))
    if "imap_rss_growth_mb" in f:
        g = goal_of["imap_rss_growth_mb"]
        rows.append((f"server.imap RSS growth, {params['imap_items']} items",
                     f"{f['imap_rss_growth_mb']:.1f} MB", g[2], "PASS" if g[3] else "MISS"))
        rows.append(("server.imap rate", f"{f['imap_items_per_s']:.0f}/s", "(reference)", ""))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a small smoke run (a tenth of the sizes or less, one round)")
    parser.add_argument("--json", metavar="PATH",
                        help="write the JSON report here (instead of bench/results/)")
    parser.add_argument("--only", metavar="LIST", default="submit,executor,map,asyncio,imap_rss",
                        help="comma-separated subset of: submit,executor,map,asyncio,imap_rss")
    parser.add_argument("--rounds", type=int, help="interleaved rounds of the throughput rows")
    parser.add_argument("--build-dir", type=Path, default=REPO / "_build",
                        help="the meson build tree to use when GI_TYPELIB_PATH is not set")
    parser.add_argument("--strict", action="store_true",
                        help="exit with status 1 when a goal is not met")
    parser.add_argument("--imap-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    base.ensure_environment(args.build_dir)

    if args.imap_child is not None:
        print(json.dumps(imap_child(args.imap_child)))
        return 0

    only = set(args.only.split(","))
    unknown = only - set(ROWS) - {"imap_rss"}
    if unknown:
        parser.error(f"unknown measurement(s): {', '.join(sorted(unknown))}")
    params = dict(QUICK if args.quick else FULL)
    if args.rounds:
        params["rounds"] = args.rounds
    log = lambda msg: print(msg, file=sys.stderr, flush=True)

    pp = base.import_pp()
    started = time.perf_counter()
    figures = run_all(pp, params, only, log)
    goals = evaluate(figures)
    elapsed = time.perf_counter() - started

    print()
    print(f"pp-glib modern API benchmark ({'quick' if args.quick else 'full'}), "
          f"{WORKERS} workers everywhere, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, load average "
          f"{' '.join('%.2f' % x for x in os.getloadavg())}")
    print()
    base.print_table(table_rows(figures, params, goals))
    print()
    print(f"{sum(g[3] for g in goals)}/{len(goals)} goals met, {elapsed:.1f} s")

    report = {
        "timestamp": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "workers": WORKERS,
        "elapsed_s": elapsed,
        "loadavg": os.getloadavg(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": sys.version},
        "pp": {"module": getattr(pp, "__file__", None)},
        "params": params,
        "figures": figures,
        "goals": [{"name": n, "figure": k, "goal": g, "value": v, "pass": ok}
                  for n, k, g, ok, v in goals],
    }
    for t in base.write_json(report, args.json, "modern", "modern-latest.json"):
        print(f"wrote {t}")

    if args.strict and not all(g[3] for g in goals):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
