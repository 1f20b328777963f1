#!/usr/bin/python3
# bench.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""pp-glib against the standard library's process pools, side by side.

Every contender uses 2 worker processes; servers and pools are created and
warmed up before the clock starts. Four measurements:

  throughput  N empty jobs f(x) = x: pp-glib (submit all, then collect all)
              vs multiprocessing.Pool.apply_async one by one,
              Pool.map(chunksize=1) and ProcessPoolExecutor (submit + result)
  latency     round trip of one tiny job, sequentially: pp-glib (submit, then
              job()) vs a raw os.pipe ping-pong between two processes (the
              floor) vs Pool.apply_async().get(); median and p90
  sum_primes  the 8 jobs of examples/sum_primes.py: serial vs pp-glib vs
              Pool.map; speedup
  rss         growth of the client's VmRSS while N jobs sit in pp-glib's
              queue (both workers blocked), measured in a fresh process

Prints a table (name | figure | goal | result) and writes JSON to
bench/results/bench-<timestamp>.json and bench/results/latest.json (or only
to --json PATH). See bench/README.md. The goals are for humans: the exit
status is 0 whatever they say, unless --strict.

Run with Debian's interpreter: /usr/bin/python3 bench/bench.py [--quick]
"""

import argparse
import concurrent.futures
import datetime
import gc
import importlib.util
import json
import math
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORKERS = 2

FULL = {
    "throughput_jobs": 20000,
    "throughput_rounds": 5,
    "latency_samples": 1000,
    "sum_primes_inputs": [100000 + 100 * k for k in range(8)],
    "sum_primes_repeat": 3,
    "rss_jobs": 20000,
}
QUICK = {
    "throughput_jobs": 2000,
    "throughput_rounds": 1,
    "latency_samples": 200,
    "sum_primes_inputs": [20000 + 100 * k for k in range(8)],
    "sum_primes_repeat": 1,
    "rss_jobs": 2000,
}
WARMUP_JOBS = 200
LATENCY_WARMUP = 50


# --- the job functions (module level: pp sends their source, the pools
# --- pickle them by name) ----------------------------------------------------

def identity(x):
    return x


def isprime(n):
    """Returns True if n is prime and False otherwise"""
    if not isinstance(n, int):
        raise TypeError("argument passed to is_prime is not of 'int' type")
    if n < 2:
        return False
    if n == 2:
        return True
    max = int(math.ceil(math.sqrt(n)))
    i = 2
    while i <= max:
        if n % i == 0:
            return False
        i += 1
    return True


def sum_primes(n):
    """Calculates sum of all primes below given integer n"""
    return sum([x for x in range(2, n) if isprime(x)])


def hold(path):
    """Blocks a worker until the file at path exists; leaves a marker
    path.<pid> first, so the client knows which workers are blocked."""
    open("%s.%d" % (path, os.getpid()), "w").close()
    while not os.path.exists(path):
        time.sleep(0.005)
    return 0


# --- environment ---------------------------------------------------------------

def ensure_environment(build_dir):
    """Re-executes under an interpreter with gi, and with the build tree's
    library, typelib, runner and pp package, when they are not set up."""
    env = os.environ
    if importlib.util.find_spec("gi") is None:
        if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
            os.execv("/usr/bin/python3", ["/usr/bin/python3", *sys.argv])
        raise SystemExit(f"{sys.executable} has no PyGObject (gi); use /usr/bin/python3")
    libdir = build_dir / "libpp-glib"
    if ("GI_TYPELIB_PATH" in env or env.get("_PP_BENCH_ENV")
            or not (libdir / "Pp-1.0.typelib").exists()):
        return

    def prepend(var, path):
        env[var] = os.pathsep.join([str(path)] + [p for p in env.get(var, "").split(os.pathsep) if p])

    prepend("GI_TYPELIB_PATH", libdir)
    prepend("LD_LIBRARY_PATH", libdir)   # read by the dynamic loader at start-up
    prepend("PYTHONPATH", REPO / "python")
    env.setdefault("PP_RUNNER", str(REPO / "libpp-glib" / "pp-runner.py"))
    for ppcore in (build_dir / "python" / "ppcore").glob("_ppcore*.so"):
        env.setdefault("PP_PPCORE", str(ppcore))  # pp's extension module
    env["_PP_BENCH_ENV"] = "1"
    os.execv(sys.executable, [sys.executable, *sys.argv])


def import_pp():
    """The pp package: the source tree's, unless PYTHONPATH says otherwise."""
    src = REPO / "python"
    if ("PYTHONPATH" not in os.environ and (src / "pp" / "__init__.py").exists()
            and str(src) not in sys.path):
        sys.path.insert(0, str(src))
    import pp
    return pp


def pp_server():
    """A pp-glib server with WORKERS workers, already warmed up."""
    pp = import_pp()
    server = pp.Server(WORKERS)
    warm = [server.submit(identity, (i,)) for i in range(WORKERS * 10)]
    check([j() for j in warm] == list(range(WORKERS * 10)), "pp-glib warm-up")
    return server


def pool():
    p = multiprocessing.Pool(WORKERS)
    p.map(identity, range(WORKERS * 10), chunksize=1)
    return p


def percentiles(samples_ns):
    """(median, p90) in microseconds; p90 by the nearest-rank method."""
    s = sorted(samples_ns)
    p90 = s[max(0, math.ceil(0.9 * len(s)) - 1)]
    return statistics.median(s) / 1000.0, p90 / 1000.0


def check(cond, what):
    if not cond:
        raise RuntimeError(f"wrong results from {what}")


# --- throughput ----------------------------------------------------------------

def throughput_pp(n):
    server = pp_server()
    try:
        [j() for j in [server.submit(identity, (i,)) for i in range(WARMUP_JOBS)]]
        t0 = time.perf_counter()
        jobs = [server.submit(identity, (i,)) for i in range(n)]
        results = [j() for j in jobs]
        elapsed = time.perf_counter() - t0
    finally:
        server.destroy()
    check(results == list(range(n)), "pp-glib")
    return n / elapsed


def throughput_pool_apply_async(n):
    with pool() as p:
        [r.get() for r in [p.apply_async(identity, (i,)) for i in range(WARMUP_JOBS)]]
        t0 = time.perf_counter()
        handles = [p.apply_async(identity, (i,)) for i in range(n)]
        results = [r.get() for r in handles]
        elapsed = time.perf_counter() - t0
    check(results == list(range(n)), "Pool.apply_async")
    return n / elapsed


def throughput_pool_map(n):
    with pool() as p:
        p.map(identity, range(WARMUP_JOBS), chunksize=1)
        t0 = time.perf_counter()
        results = p.map(identity, range(n), chunksize=1)
        elapsed = time.perf_counter() - t0
    check(results == list(range(n)), "Pool.map")
    return n / elapsed


def throughput_executor(n):
    with concurrent.futures.ProcessPoolExecutor(WORKERS) as ex:
        [f.result() for f in [ex.submit(identity, i) for i in range(WARMUP_JOBS)]]
        t0 = time.perf_counter()
        futures = [ex.submit(identity, i) for i in range(n)]
        results = [f.result() for f in futures]
        elapsed = time.perf_counter() - t0
    check(results == list(range(n)), "ProcessPoolExecutor")
    return n / elapsed


# --- latency ---------------------------------------------------------------------

def latency_pp(n):
    server = pp_server()
    try:
        for i in range(LATENCY_WARMUP):
            server.submit(identity, (i,))()
        samples = []
        for i in range(n):
            t0 = time.perf_counter_ns()
            result = server.submit(identity, (i,))()
            samples.append(time.perf_counter_ns() - t0)
            check(result == i, "pp-glib")
    finally:
        server.destroy()
    return percentiles(samples)


def latency_pingpong(n, cpus=None):
    """The floor: 8 raw bytes there and back over two pipes, no framing,
    no serialization, a child that only echoes. cpus=(parent, child) pins
    both processes (see pinned_cpu_pairs); by default the scheduler places
    them, as it places every other contender."""
    to_child_r, to_child_w = os.pipe()
    to_parent_r, to_parent_w = os.pipe()
    saved = os.sched_getaffinity(0) if cpus else None
    if cpus:
        os.sched_setaffinity(0, {cpus[0]})
    pid = os.fork()
    if pid == 0:
        if cpus:
            os.sched_setaffinity(0, {cpus[1]})
        os.close(to_child_w)
        os.close(to_parent_r)
        while True:
            data = os.read(to_child_r, 64)
            if not data:
                os._exit(0)
            os.write(to_parent_w, data)
    os.close(to_child_r)
    os.close(to_parent_w)
    samples = []
    try:
        msg = b"pingpong"
        for i in range(LATENCY_WARMUP + n):
            t0 = time.perf_counter_ns()
            os.write(to_child_w, msg)
            reply = os.read(to_parent_r, 64)
            if i >= LATENCY_WARMUP:
                samples.append(time.perf_counter_ns() - t0)
            check(reply == msg, "ping-pong")
    finally:
        os.close(to_child_w)
        os.close(to_parent_r)
        os.waitpid(pid, 0)
        if saved:
            os.sched_setaffinity(0, saved)
    return percentiles(samples)


def pinned_cpu_pairs():
    """{"same_cpu": (a, a), "cross_cpu": (a, b)} from the CPUs we may use,
    or only what is possible."""
    allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    pairs = {}
    if allowed:
        pairs["same_cpu"] = (allowed[0], allowed[0])
    if len(allowed) > 1:
        pairs["cross_cpu"] = (allowed[0], allowed[1])
    return pairs


def latency_pool_apply_async(n):
    samples = []
    with pool() as p:
        for i in range(LATENCY_WARMUP):
            p.apply_async(identity, (i,)).get()
        for i in range(n):
            t0 = time.perf_counter_ns()
            result = p.apply_async(identity, (i,)).get()
            samples.append(time.perf_counter_ns() - t0)
            check(result == i, "Pool.apply_async")
    return percentiles(samples)


# --- sum_primes --------------------------------------------------------------------

def sum_primes_serial(inputs):
    t0 = time.perf_counter()
    results = [sum_primes(n) for n in inputs]
    return time.perf_counter() - t0, results


def sum_primes_pp(server, inputs):
    t0 = time.perf_counter()
    jobs = [server.submit(sum_primes, (n,), (isprime,), ("math",)) for n in inputs]
    results = [j() for j in jobs]
    return time.perf_counter() - t0, results


def sum_primes_pool_map(p, inputs):
    t0 = time.perf_counter()
    results = p.map(sum_primes, inputs, chunksize=1)
    return time.perf_counter() - t0, results


def sum_primes_all(inputs, repeat):
    """Best of `repeat` rounds of serial, pp-glib, Pool.map, interleaved
    so that a change in the machine's load hits all three alike. Returns
    {"serial"|"pp"|"pool_map": (seconds, results)}."""
    server = pp_server()
    try:
        with pool() as p:
            # Warm-up: defines the function on every pp worker, imports math.
            [j() for j in [server.submit(sum_primes, (1000,), (isprime,), ("math",))
                           for _ in range(WORKERS * 2)]]
            p.map(sum_primes, [1000] * WORKERS * 2, chunksize=1)
            sum_primes(1000)
            best = {}
            for _ in range(repeat):
                for key, run in (("serial", lambda: sum_primes_serial(inputs)),
                                 ("pp", lambda: sum_primes_pp(server, inputs)),
                                 ("pool_map", lambda: sum_primes_pool_map(p, inputs))):
                    elapsed, results = run()
                    if key not in best or elapsed < best[key][0]:
                        best[key] = (elapsed, results)
    finally:
        server.destroy()
    return best


# --- client RSS --------------------------------------------------------------------

def vmrss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def rss_child(n):
    """Runs in a fresh process (see rss_growth): the VmRSS growth while n
    jobs are queued behind two jobs that block both workers."""
    server = pp_server()
    try:
        [j() for j in [server.submit(identity, (i,)) for i in range(WARMUP_JOBS)]]
        with tempfile.TemporaryDirectory(prefix="pp-bench-") as tmp:
            release = os.path.join(tmp, "release")
            blockers = [server.submit(hold, (release,), (), ("os", "time"))
                        for _ in range(WORKERS)]
            deadline = time.monotonic() + 10
            while (len(os.listdir(tmp)) < WORKERS and time.monotonic() < deadline):
                time.sleep(0.005)
            blocked = len(os.listdir(tmp))
            gc.collect()
            before = vmrss_kb()
            jobs = [server.submit(identity, (i,)) for i in range(n)]
            queued = vmrss_kb()
            done_early = sum(1 for j in jobs if getattr(j, "finished", False))
            Path(release).touch()
            check([b() for b in blockers] == [0] * WORKERS, "hold")
            results = [j() for j in jobs]
            drained = vmrss_kb()
    finally:
        server.destroy()
    check(results == list(range(n)), "pp-glib")
    return {"before_kb": before, "queued_kb": queued, "drained_kb": drained,
            "blocked_workers": blocked, "finished_before_release": done_early}


def rss_growth(n):
    """Runs rss_child in a fresh interpreter, so that memory freed by the
    other measurements cannot hide the growth."""
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()),
                           "--rss-child", str(n)],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"the RSS measurement failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- report ------------------------------------------------------------------------

def run_all(params, only, log):
    figures = {}

    if "throughput" in only:
        n, rounds = params["throughput_jobs"], params["throughput_rounds"]
        log(f"throughput: {n} empty jobs each, {rounds} interleaved rounds, median ...")
        contenders = (("pp", throughput_pp), ("pool_apply_async", throughput_pool_apply_async),
                      ("pool_map", throughput_pool_map), ("executor", throughput_executor))
        samples = {key: [] for key, _ in contenders}
        # Interleaved, so that a noisy stretch of the machine hits all alike.
        for _ in range(rounds):
            for key, fn in contenders:
                samples[key].append(fn(n))
        for key, _ in contenders:
            figures[f"throughput_{key}_jobs_per_s"] = statistics.median(samples[key])
            figures[f"throughput_{key}_samples"] = samples[key]

    if "latency" in only:
        n = params["latency_samples"]
        log(f"latency: {n} sequential round trips each ...")
        for key, fn in (("pingpong", latency_pingpong), ("pp", latency_pp),
                        ("pool_apply_async", latency_pool_apply_async)):
            median, p90 = fn(n)
            figures[f"latency_{key}_median_us"] = median
            figures[f"latency_{key}_p90_us"] = p90
        figures["latency_ratio_pp_pingpong"] = (figures["latency_pp_median_us"]
                                                / figures["latency_pingpong_median_us"])
        # For reading the above: on a VM, waking a process on another CPU
        # costs far more than a switch on the same one, and the scheduler
        # may pick either for the unpinned ping-pong.
        for where, cpus in pinned_cpu_pairs().items():
            median, p90 = latency_pingpong(n, cpus)
            figures[f"latency_pingpong_{where}_median_us"] = median
            figures[f"latency_pingpong_{where}_p90_us"] = p90

    if "sum_primes" in only:
        inputs, repeat = params["sum_primes_inputs"], params["sum_primes_repeat"]
        log(f"sum_primes: {len(inputs)} jobs, {inputs[0]}..{inputs[-1]} ...")
        best = sum_primes_all(inputs, repeat)
        (serial, expected), (parallel, results), (mapped, results2) = (
            best["serial"], best["pp"], best["pool_map"])
        check(results == expected, "pp-glib sum_primes")
        check(results2 == expected, "Pool.map sum_primes")
        figures["sum_primes_serial_s"] = serial
        figures["sum_primes_pp_s"] = parallel
        figures["sum_primes_pool_map_s"] = mapped
        figures["sum_primes_speedup_pp"] = serial / parallel
        figures["sum_primes_speedup_pool_map"] = serial / mapped

    if "rss" in only:
        n = params["rss_jobs"]
        log(f"rss: {n} queued jobs, in a fresh process ...")
        rss = rss_growth(n)
        figures["rss_baseline_mb"] = rss["before_kb"] / 1024.0
        figures["rss_growth_mb"] = (rss["queued_kb"] - rss["before_kb"]) / 1024.0
        figures["rss_after_drain_mb"] = rss["drained_kb"] / 1024.0
        if rss["blocked_workers"] != WORKERS or rss["finished_before_release"]:
            log(f"warning: only {rss['blocked_workers']} workers were blocked, "
                f"{rss['finished_before_release']} jobs finished early")

    return figures


def evaluate(f):
    """The goals: (name, figure key, goal text, passed) for each one whose
    figures were measured."""
    goals = []
    if "throughput_pp_jobs_per_s" in f:
        goals.append(("throughput pp-glib", "throughput_pp_jobs_per_s",
                      f">= Pool.map(chunksize=1) ({f['throughput_pool_map_jobs_per_s']:.0f}/s)",
                      f["throughput_pp_jobs_per_s"] >= f["throughput_pool_map_jobs_per_s"]))
    if "latency_pp_median_us" in f:
        goals.append(("latency pp-glib vs ping-pong", "latency_ratio_pp_pingpong",
                      "<= 1.5x ping-pong",
                      f["latency_ratio_pp_pingpong"] <= 1.5))
        goals.append(("latency pp-glib vs Pool", "latency_pp_median_us",
                      f"< Pool.apply_async ({f['latency_pool_apply_async_median_us']:.1f} us)",
                      f["latency_pp_median_us"] < f["latency_pool_apply_async_median_us"]))
    if "sum_primes_speedup_pp" in f:
        goals.append(("sum_primes speedup pp-glib", "sum_primes_speedup_pp", ">= 1.95x",
                      f["sum_primes_speedup_pp"] >= 1.95))
    if "rss_growth_mb" in f:
        goals.append(("client RSS growth", "rss_growth_mb", "< 25 MB",
                      f["rss_growth_mb"] < 25.0))
    return goals


def table_rows(f, params, goals):
    by_key = {g[1]: g for g in goals}
    rows = []

    def row(name, key, text):
        if key not in f:
            return
        g = by_key.pop(key, None)
        rows.append((name, text, g[2] if g else "(reference)",
                     ("PASS" if g[3] else "FAIL") if g else ""))

    n, rounds = params["throughput_jobs"], params.get("throughput_rounds", 1)
    row(f"throughput pp-glib ({n} jobs, median of {rounds})", "throughput_pp_jobs_per_s",
        f"{f.get('throughput_pp_jobs_per_s', 0):.0f} jobs/s")
    row("throughput Pool.apply_async", "throughput_pool_apply_async_jobs_per_s",
        f"{f.get('throughput_pool_apply_async_jobs_per_s', 0):.0f} jobs/s")
    row("throughput Pool.map(chunksize=1)", "throughput_pool_map_jobs_per_s",
        f"{f.get('throughput_pool_map_jobs_per_s', 0):.0f} jobs/s")
    row("throughput ProcessPoolExecutor", "throughput_executor_jobs_per_s",
        f"{f.get('throughput_executor_jobs_per_s', 0):.0f} jobs/s")
    for key, name in (("pp", "pp-glib"), ("pingpong", "pipe ping-pong"),
                      ("pool_apply_async", "Pool.apply_async")):
        row(f"latency {name} median (p90)", f"latency_{key}_median_us",
            f"{f.get(f'latency_{key}_median_us', 0):.1f} us ({f.get(f'latency_{key}_p90_us', 0):.1f})")
    for where in ("same_cpu", "cross_cpu"):
        row(f"latency ping-pong pinned {where.replace('_', ' ')}",
            f"latency_pingpong_{where}_median_us",
            f"{f.get(f'latency_pingpong_{where}_median_us', 0):.1f} us "
            f"({f.get(f'latency_pingpong_{where}_p90_us', 0):.1f})")
    row("latency pp-glib / ping-pong", "latency_ratio_pp_pingpong",
        f"{f.get('latency_ratio_pp_pingpong', 0):.2f}x")
    row("sum_primes serial", "sum_primes_serial_s", f"{f.get('sum_primes_serial_s', 0):.3f} s")
    row("sum_primes pp-glib", "sum_primes_pp_s", f"{f.get('sum_primes_pp_s', 0):.3f} s")
    row("sum_primes Pool.map", "sum_primes_pool_map_s", f"{f.get('sum_primes_pool_map_s', 0):.3f} s")
    row("sum_primes speedup pp-glib", "sum_primes_speedup_pp",
        f"{f.get('sum_primes_speedup_pp', 0):.3f}x")
    row("sum_primes speedup Pool.map", "sum_primes_speedup_pool_map",
        f"{f.get('sum_primes_speedup_pool_map', 0):.3f}x")
    row("client RSS before submitting", "rss_baseline_mb", f"{f.get('rss_baseline_mb', 0):.1f} MB")
    row(f"client RSS growth ({params['rss_jobs']} queued)", "rss_growth_mb",
        f"{f.get('rss_growth_mb', 0):.1f} MB")
    return rows


def print_table(rows):
    header = ("name", "figure", "goal", "result")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(4)]
    line = lambda r: " | ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
    print(line(header))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


def write_json(report, path, prefix="bench", latest="latest.json"):
    """Writes *report* to *path*, or else to bench/results/PREFIX-<timestamp>.json
    and bench/results/LATEST (unless *latest* is None); returns the paths."""
    if path is not None:
        targets = [Path(path)]
    else:
        results = HERE / "results"
        results.mkdir(parents=True, exist_ok=True)
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        targets = [results / f"{prefix}-{stamp}.json"]
        if latest is not None:
            targets.append(results / latest)
    text = json.dumps(report, indent=2, sort_keys=True) + "\n"
    for t in targets:
        t.parent.mkdir(parents=True, exist_ok=True)
        t.write_text(text)
    return targets


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a small smoke run (2,000 jobs, 200 latency samples; < 30 s)")
    parser.add_argument("--json", metavar="PATH",
                        help="write the JSON report here (instead of bench/results/)")
    parser.add_argument("--only", metavar="LIST", default="throughput,latency,sum_primes,rss",
                        help="comma-separated subset of: throughput,latency,sum_primes,rss")
    parser.add_argument("--build-dir", type=Path, default=REPO / "_build",
                        help="the meson build tree to use when GI_TYPELIB_PATH is not set")
    parser.add_argument("--strict", action="store_true",
                        help="exit with status 1 when a goal is not met")
    parser.add_argument("--rss-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    ensure_environment(args.build_dir)

    if args.rss_child is not None:
        print(json.dumps(rss_child(args.rss_child)))
        return 0

    only = set(args.only.split(","))
    unknown = only - {"throughput", "latency", "sum_primes", "rss"}
    if unknown:
        parser.error(f"unknown measurement(s): {', '.join(sorted(unknown))}")
    params = QUICK if args.quick else FULL
    log = lambda msg: print(msg, file=sys.stderr, flush=True)

    pp = import_pp()
    started = time.perf_counter()
    figures = run_all(params, only, log)
    goals = evaluate(figures)
    elapsed = time.perf_counter() - started

    print()
    print(f"pp-glib benchmark ({'quick' if args.quick else 'full'}), "
          f"{WORKERS} workers everywhere, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")
    print()
    print_table(table_rows(figures, params, goals))
    print()
    print(f"{sum(g[3] for g in goals)}/{len(goals)} goals met, {elapsed:.1f} s")

    report = {
        "timestamp": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "workers": WORKERS,
        "elapsed_s": elapsed,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": sys.version,
            "python_executable": sys.executable,
        },
        "pp": {
            "module": getattr(pp, "__file__", None),
            "version": getattr(pp, "version", getattr(pp, "__version__", None)),
        },
        "params": params,
        "figures": figures,
        "goals": [{"name": n, "figure": k, "goal": g, "value": figures[k], "pass": ok}
                  for n, k, g, ok in goals],
    }
    for t in write_json(report, args.json):
        print(f"wrote {t}")

    if args.strict and not all(g[3] for g in goals):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
