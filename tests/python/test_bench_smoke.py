# test_bench_smoke.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs bench/bench.py --quick and checks that it completes and reports every
# figure. It deliberately does NOT check the performance goals: those are for
# humans reading the table on a quiet machine, not for CI.

import json
import math
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench" / "bench.py"
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


def test_bench_quick(tmp_path):
    out = tmp_path / "bench.json"
    env = dict(os.environ)
    if "PYTHONPATH" not in env:
        env["PYTHONPATH"] = str(REPO / "python")
    proc = subprocess.run([PYTHON, str(BENCH), "--quick", "--json", str(out)],
                          cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"

    report = json.loads(out.read_text())
    assert report["mode"] == "quick"
    assert report["workers"] == 2
    assert report["params"]["throughput_jobs"] == 2000
    assert report["params"]["latency_samples"] == 200

    figures = report["figures"]
    for name in FIGURES:
        value = figures.get(name)
        assert isinstance(value, (int, float)) and not isinstance(value, bool), (name, value)
        assert math.isfinite(value) and value > 0, (name, value)

    # Every goal is evaluated (pass or fail; which one is not our business).
    assert {g["figure"] for g in report["goals"]} == GOALS
    assert all(isinstance(g["pass"], bool) for g in report["goals"])

    # The human-readable table is there too.
    assert "name" in proc.stdout and "| goal" in proc.stdout
    assert "throughput pp-glib" in proc.stdout
    assert "client RSS growth" in proc.stdout
