#!/usr/bin/python3
# bench_bus.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the session bus export costs: pp-glib's throughput with it off and on.

The plain submit loop of bench.py (N empty jobs f(x) = x on 2 workers:
submit all, then collect all) with pp.Server(2, bus=False), with the export
on, and with the export on while `gdbus monitor` watches the program (so the
bus has a match rule for its signals and delivers every batch), in
interleaved rounds (the order turning), a fresh server each time. The goal:
within noise, at most 5% slower, as the median of each round's ratio to the
round's off; the client's own CPU time per job (all its threads: the export
works in them) is reported too, less sensitive to other load.

Needs a session bus: the one in DBUS_SESSION_BUS_ADDRESS (run it under
`dbus-run-session`), else a private dbus-daemon it starts and stops.

    dbus-run-session -- /usr/bin/python3 bench/bench_bus.py --quick
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench  # noqa: E402  (its environment set-up and job function)

FULL = {"jobs": 40000, "rounds": 11}
QUICK = {"jobs": 5000, "rounds": 7}
GOAL_PERCENT = 5.0


def private_bus():
    """A dbus-daemon of our own when there is no session bus."""
    proc = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = proc.stdout.readline().strip()
    return proc


def wait_for_name(server, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        name = server._srv.dup_bus_name()
        if name:
            return name
        time.sleep(0.01)
    raise RuntimeError("the server did not get on the session bus")


def throughput(pp, n, mode):
    server = pp.Server(bench.WORKERS, bus=mode != "off")
    watcher = None
    try:
        if mode != "off":
            name = wait_for_name(server)
            if mode == "watched":
                watcher = subprocess.Popen(["gdbus", "monitor", "-e", "-d", name],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(0.2)     # its match rules in place
        warm = [server.submit(bench.identity, (i,)) for i in range(bench.WARMUP_JOBS)]
        bench.check([j() for j in warm] == list(range(bench.WARMUP_JOBS)), "warm-up")
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        jobs = [server.submit(bench.identity, (i,)) for i in range(n)]
        results = [j() for j in jobs]
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
    finally:
        server.destroy()
        if watcher is not None:
            watcher.terminate()
            watcher.wait()
    bench.check(results == list(range(n)), "pp-glib")
    return n / elapsed, cpu * 1e6 / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000 jobs, 7 rounds")
    parser.add_argument("--json", metavar="PATH", help="write the figures there")
    parser.add_argument("--build-dir", type=Path, default=bench.REPO / "_build")
    args = parser.parse_args()
    bench.ensure_environment(args.build_dir)
    if shutil.which("gdbus") is None:
        raise SystemExit("gdbus is needed (libglib2.0-bin)")
    os.environ.pop("PP_NO_BUS", None)
    daemon = None
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        daemon = private_bus()
    pp = bench.import_pp()
    params = QUICK if args.quick else FULL
    modes = ("off", "on", "watched")
    samples = {mode: [] for mode in modes}
    cpu = {mode: [] for mode in modes}
    try:
        for i in range(params["rounds"]):       # interleaved: noise hits all alike
            for mode in modes[i % 3:] + modes[:i % 3]:
                rate, cpu_per_job = throughput(pp, params["jobs"], mode)
                samples[mode].append(rate)
                cpu[mode].append(cpu_per_job)
    finally:
        if daemon is not None:
            daemon.terminate()
            daemon.wait()
    figures = {}
    for mode in modes:
        figures[f"bus_{mode}_jobs_per_s"] = statistics.median(samples[mode])
        figures[f"bus_{mode}_best_jobs_per_s"] = max(samples[mode])
        figures[f"bus_{mode}_samples"] = samples[mode]
        figures[f"bus_{mode}_client_cpu_us_per_job"] = statistics.median(cpu[mode])
        figures[f"bus_{mode}_ratio_median_paired"] = statistics.median(
            b / a for a, b in zip(samples["off"], samples[mode]))
    print(f"pp-glib bus export ({'quick' if args.quick else 'full'}): {params['jobs']} empty jobs, "
          f"{params['rounds']} interleaved rounds; jobs/s, and the client's CPU µs per job")
    print(f"{'export':<28} | {'median':>8} | {'best':>8} | {'paired vs off':>13} | "
          f"{'CPU µs/job':>10} | goal")
    for mode, label in (("off", "off (bus=False)"), ("on", "on"),
                        ("watched", "on, gdbus monitor watching")):
        paired = figures[f"bus_{mode}_ratio_median_paired"]
        slower = 100.0 * (1 - paired)
        figures[f"bus_{mode}_slower_percent"] = slower
        goal = "" if mode == "off" else ("ok" if slower <= GOAL_PERCENT else "MISSED") + \
            f" (<= {GOAL_PERCENT:.0f}% slower)"
        print(f"{label:<28} | {figures[f'bus_{mode}_jobs_per_s']:8.0f} | "
              f"{figures[f'bus_{mode}_best_jobs_per_s']:8.0f} | {-slower:+12.1f}% | "
              f"{figures[f'bus_{mode}_client_cpu_us_per_job']:10.2f} | {goal}")
    print(f"(load average {os.getloadavg()[0]:.1f})")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
