# test_bench_smoke.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs bench/bench.py --quick, bench/bench_cluster.py --quick (4 ppd nodes
# instead of 64), bench_modern.py and bench_http.py --quick and checks that
# they complete and report every figure. It deliberately does NOT check the performance goals: those are for humans
# reading the table on a quiet machine, not for CI.

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench" / "bench.py"
BENCH_CLUSTER = REPO / "bench" / "bench_cluster.py"
PYTHON = os.environ.get("PP_TEST_PYTHON", sys.executable)

FIGURES = [
    "throughput_pp_jobs_per_s",
    "throughput_pool_apply_async_jobs_per_s",
    "throughput_pool_map_jobs_per_s",
    "throughput_executor_jobs_per_s",
    "latency_pp_median_us",
    "latency_pp_p90_us",
    "latency_pingpong_median_us",
    "latency_pingpong_p90_us",
    "latency_pool_apply_async_median_us",
    "latency_pool_apply_async_p90_us",
    "latency_ratio_pp_pingpong",
    "sum_primes_serial_s",
    "sum_primes_pp_s",
    "sum_primes_pool_map_s",
    "sum_primes_speedup_pp",
    "sum_primes_speedup_pool_map",
    "rss_baseline_mb",
    "rss_growth_mb",
]
GOALS = {
    "throughput_pp_jobs_per_s",
    "latency_ratio_pp_pingpong",
    "latency_pp_median_us",
    "sum_primes_speedup_pp",
    "rss_growth_mb",
}


def run_bench(script, tmp_path, out):
    """Runs *script* --quick --json *out* in *tmp_path*; its process, once
    it succeeded, and its report."""
    env = dict(os.environ)
    if "PYTHONPATH" not in env:
        env["PYTHONPATH"] = str(REPO / "python")
    proc = subprocess.run([PYTHON, str(script), "--quick", "--json", str(out)],
                          cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    return proc, json.loads(out.read_text())


def check_figures(figures, names):
    """Every one of *names* is a finite positive number in *figures*."""
    for name in names:
        value = figures.get(name)
        assert isinstance(value, (int, float)) and not isinstance(value, bool), (name, value)
        assert math.isfinite(value) and value > 0, (name, value)


def need_ppd():
    ppd = os.environ.get("PPD")
    if not ppd or not os.access(ppd, os.X_OK):
        pytest.skip("ppd is not built (set PPD)")


def assert_children_gone():
    """Every process a benchmark started is gone: one left running would
    have become this process's child (the subreaper fixture)."""
    deadline = time.monotonic() + 5
    while running_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running_children() == []


def test_bench_quick(tmp_path):
    proc, report = run_bench(BENCH, tmp_path, tmp_path / "bench.json")
    assert report["mode"] == "quick"
    assert report["workers"] == 2
    assert report["params"]["throughput_jobs"] == 2000
    assert report["params"]["latency_samples"] == 200

    check_figures(report["figures"], FIGURES)

    # Every goal is evaluated (pass or fail; which one is not our business).
    assert {g["figure"] for g in report["goals"]} == GOALS
    assert all(isinstance(g["pass"], bool) for g in report["goals"])

    # The human-readable table is there too.
    assert "name" in proc.stdout and "| goal" in proc.stdout
    assert "throughput pp-glib" in proc.stdout
    assert "client RSS growth" in proc.stdout


CLUSTER_FIGURES = [
    "throughput_local",
    "throughput_ppd",
    "sum_primes_local",
    "sum_primes_2ppd",
    "ppd_idle_rss_mb",
    "cpu_1ppd",
    "cpu_nppd",
    "cpu_ratio",
    "rate_1ppd",
    "rate_nppd",
    "connect_nppd",
    "ppd_rss_mb_mean",
    "ppd_rss_mb_max",
]


def running_children():
    """This process's children that are not zombies: with the subreaper
    fixture, the processes a finished benchmark left behind."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == os.getpid() and fields[0] != "Z":
            found.append((int(entry), stat[:stat.rindex(")") + 1]))
    return found


def test_bench_cluster_quick(tmp_path, subreaper):
    need_ppd()
    proc, report = run_bench(BENCH_CLUSTER, tmp_path, tmp_path / "cluster.json")
    # Every ppd it started (and so their workers) is gone.
    assert_children_gone()

    assert report["mode"] == "quick"
    assert report["params"]["nodes"] == 4
    assert report["params"]["cpu_jobs"] == 1000
    figures = report["figures"]
    check_figures(figures, CLUSTER_FIGURES)
    # The many-node batch did go through every node.
    assert figures["nodes_used_nppd"] == 4

    assert "client CPU per job via 4 ppd x 1 worker (4 used)" in proc.stdout
    assert "client CPU per job 4 ppd / 1 ppd" in proc.stdout
    assert "ppd RSS per node, 4 nodes" in proc.stdout


BENCH_MODERN = REPO / "bench" / "bench_modern.py"
MODERN_FIGURES = [
    "submit_pp_jobs_per_s", "submit_pool_map_jobs_per_s",
    "executor_pp_jobs_per_s", "executor_ppe_jobs_per_s",
    "map_pp_items_per_s", "map_pool_items_per_s",
    "asyncio_pp_jobs_per_s", "asyncio_ppe_jobs_per_s",
    "imap_items_per_s", "imap_rss_before_mb",
]


def test_bench_modern_quick(tmp_path):
    proc, report = run_bench(BENCH_MODERN, tmp_path, tmp_path / "modern.json")
    assert report["mode"] == "quick"
    figures = report["figures"]
    check_figures(figures, MODERN_FIGURES)
    growth = figures["imap_rss_growth_mb"]
    assert isinstance(growth, float) and math.isfinite(growth)
    # Every goal is evaluated (pass or fail is for humans).
    assert {g["figure"] for g in report["goals"]} == {
        "submit_pp_jobs_per_s", "executor_pp_jobs_per_s", "map_pp_items_per_s",
        "asyncio_pp_jobs_per_s", "imap_rss_growth_mb"}
    assert "pp.Executor.submit" in proc.stdout and "server.imap RSS growth" in proc.stdout


BENCH_HTTP = REPO / "bench" / "bench_http.py"


def test_bench_http_quick(tmp_path, subreaper):
    """bench_http.py --quick: its reader sees every event of every job of
    the HTTP ppd, with no gap, and is not dropped."""
    need_ppd()
    proc, report = run_bench(BENCH_HTTP, tmp_path, tmp_path / "http.json")
    assert_children_gone()

    figures = report["figures"]
    rounds, jobs = report["params"]["rounds"], report["params"]["jobs"]
    assert len(figures["throughput_http_off"]) == len(figures["throughput_http_on_reader"]) == rounds
    # job-started and job-finished for every job, warm-up ones (200) too
    assert figures["events_read"] >= 2 * rounds * (jobs + 200), figures
    assert figures["event_gaps"] == 0, figures
    assert "dropped by ppd" not in proc.stdout
    for name in ("ratio_median_paired", "ratio_best"):
        assert math.isfinite(figures[name]) and figures[name] > 0, (name, figures)
    for mode in ("off", "http", "on"):
        assert len(figures["all_cpu_us_per_job_rounds"][mode]) == rounds, figures
        assert figures["ppd_cpu_us_per_job"][mode] > 0, figures
    for name in ("ratio_median_paired_http", "cpu_ratio_median_paired_on"):
        assert math.isfinite(figures[name]) and figures[name] > 0, (name, figures)
    assert "ppd context switches per 1,000 jobs, HTTP on + WebSocket reader" in proc.stdout
