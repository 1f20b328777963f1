#!/usr/bin/python3
# bench_backend.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The per-job cost of pp's two ways to libpp-glib, side by side.

pp reaches libpp-glib through its own extension module pp._ppcore (the
default) or through PyGObject (PP_BACKEND=gi). Each round runs, in a fresh
interpreter per backend (the backend is chosen at import), N empty jobs
f(x) = x on 2 workers: submit all, then collect all; the rounds alternate
the backends, so both see the same machine. Reported per job: submit,
collect (job() of a finished or running job), both, and the client
process's CPU time (its threads: the caller, libpp-glib's I/O thread), the
median of the rounds and the best round, plus the import time of pp.

Run from the build environment: ./dev.sh env /usr/bin/python3 bench/bench_backend.py [--quick] [--json PATH]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import pp
t_import = time.perf_counter() - t0
n = int(sys.argv[1])

def f(x):
    return x

server = pp.Server(2)
for j in [server.submit(f, (i,)) for i in range(200)]:  # warm up
    j()
c0 = time.process_time()
t0 = time.perf_counter()
jobs = [server.submit(f, (i,)) for i in range(n)]
t1 = time.perf_counter()
total = sum(j() for j in jobs)
t2 = time.perf_counter()
c2 = time.process_time()
assert total == n * (n - 1) // 2
server.destroy()
print(json.dumps({"backend": pp._backend.NAME, "import_ms": t_import * 1e3,
                  "submit_us": (t1 - t0) / n * 1e6, "collect_us": (t2 - t1) / n * 1e6,
                  "total_us": (t2 - t0) / n * 1e6, "cpu_us": (c2 - c0) / n * 1e6}))
"""

BACKENDS = ("ppcore", "gi")


def run(backend, n):
    env = dict(os.environ, PP_BACKEND=backend)
    out = subprocess.run([sys.executable, "-c", CHILD, str(n)], env=env, check=True,
                         capture_output=True, text=True, timeout=600).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 jobs, 3 rounds")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    n = args.jobs or (2000 if args.quick else 20000)
    rounds = args.rounds or (3 if args.quick else 5)

    samples = {b: [] for b in BACKENDS}
    for _ in range(rounds):
        for backend in BACKENDS:
            samples[backend].append(run(backend, n))
    figures = {}
    for backend in BACKENDS:
        figures[backend] = {key: statistics.median(s[key] for s in samples[backend])
                            for key in ("import_ms", "submit_us", "collect_us", "total_us", "cpu_us")}
    print("%d empty jobs, 2 workers, median of %d rounds (%s)" % (n, rounds, sys.version.split()[0]))
    print("%-8s | %9s | %10s | %11s | %9s | %13s" % (
        "backend", "import ms", "submit us", "collect us", "total us", "client CPU us"))
    for backend in BACKENDS:
        f = figures[backend]
        print("%-8s | %9.1f | %10.2f | %11.2f | %9.2f | %13.2f"
              % (backend, f["import_ms"], f["submit_us"], f["collect_us"], f["total_us"],
                 f["cpu_us"]))
    best = {b: {key: min(s[key] for s in samples[b]) for key in ("total_us", "cpu_us")}
            for b in BACKENDS}
    for backend in BACKENDS:
        print("%-8s best round: %.2f us total, %.2f us client CPU"
              % (backend, best[backend]["total_us"], best[backend]["cpu_us"]))
    print("gi / ppcore per job, medians: %.2f (wall), %.2f (client CPU)"
          % (figures["gi"]["total_us"] / figures["ppcore"]["total_us"],
             figures["gi"]["cpu_us"] / figures["ppcore"]["cpu_us"]))
    print("gi / ppcore per job, best rounds: %.2f (wall), %.2f (client CPU)"
          % (best["gi"]["total_us"] / best["ppcore"]["total_us"],
             best["gi"]["cpu_us"] / best["ppcore"]["cpu_us"]))
    if args.json:
        with open(args.json, "w") as fp:
            json.dump({"jobs": n, "rounds": rounds, "figures": figures, "best": best,
                   "samples": samples}, fp,
                      indent=2)


if __name__ == "__main__":
    main()
