# test_examples.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs every program in examples/ as a subprocess (with small problem sizes)
# and checks that what it prints is right: the expected values are computed
# here, independently of pp, and print_stats()'s table must account for every
# job the program submitted.
#
# Environment: the test runs against the build tree. When GI_TYPELIB_PATH,
# LD_LIBRARY_PATH, PP_RUNNER and PYTHONPATH are not set (meson sets them),
# they default to <repo>/_build (or $PP_BUILD_DIR) and the source tree.
# PP_EXAMPLE_C names the built C example; its test is skipped without it.

import hashlib
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
BUILD = Path(os.environ.get("PP_BUILD_DIR", REPO / "_build"))
PYTHON = os.environ.get("PP_TEST_PYTHON", sys.executable)
TIMEOUT = 60

STATS_TITLE = "Job execution statistics:"
STATS_HEADER = " job count | % of all jobs | job time sum | time per job | job server"


def _example_env():
    env = dict(os.environ)
    libdir = BUILD / "libpp-glib"

    def prepend(var, path):
        parts = [p for p in env.get(var, "").split(os.pathsep) if p]
        if str(path) not in parts and Path(path).exists():
            parts.insert(0, str(path))
        if parts:
            env[var] = os.pathsep.join(parts)

    if "GI_TYPELIB_PATH" not in env:
        prepend("GI_TYPELIB_PATH", libdir)
    if "LD_LIBRARY_PATH" not in env:
        prepend("LD_LIBRARY_PATH", libdir)
    prepend("PYTHONPATH", REPO / "python")
    env.setdefault("PP_RUNNER", str(REPO / "libpp-glib" / "pp-runner.py"))
    env["PYTHONUNBUFFERED"] = "1"
    return env


ENV = _example_env()


def run(argv, timeout=TIMEOUT):
    """Runs argv from examples/ and returns its stdout; fails on a non-zero exit."""
    proc = subprocess.run(argv, cwd=EXAMPLES, env=ENV, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, (
        f"{argv} exited with {proc.returncode}\n"
        f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}")
    return proc.stdout


def run_example(name, *args):
    return run([PYTHON, str(EXAMPLES / name), *map(str, args)])


@pytest.fixture(scope="module", autouse=True)
def pp_importable():
    proc = subprocess.run([PYTHON, "-c", "import pp; pp.Server"], env=ENV,
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, (
        "the pp package cannot be imported (is the library built?)\n"
        + proc.stderr)


# --- independent reference computations -----------------------------------

def primes_below(n):
    sieve = bytearray([1]) * n
    sieve[0:2] = b"\0\0"
    for i in range(2, int(n ** 0.5) + 1):
        if sieve[i]:
            sieve[i * i::i] = bytearray(len(range(i * i, n, i)))
    return [i for i in range(n) if sieve[i]]


def alternating_harmonic(end):
    """1 - 1/2 + 1/3 - ... over x in [1, end), as the examples define it."""
    return math.fsum((1.0 if x % 2 else -1.0) / x for x in range(1, end))


def stats_job_count(out):
    """Checks print_stats()'s table and returns the total job count in it."""
    lines = out.splitlines()
    assert STATS_TITLE in lines, out
    assert STATS_HEADER in lines, out
    rows = []
    for line in lines[lines.index(STATS_HEADER) + 1:]:
        m = re.match(r"^\s*(\d+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|\s*(\S.*)$", line)
        if not m:
            break
        rows.append(m)
    assert rows, f"no rows under the statistics header:\n{out}"
    assert math.isclose(sum(float(r.group(2)) for r in rows), 100.0, abs_tol=0.1), out
    assert any(r.group(5).strip() == "local" for r in rows), out
    return sum(int(r.group(1)) for r in rows)


# --- the Python examples ----------------------------------------------------

def test_sum_primes():
    first = 10000
    out = run_example("sum_primes.py", 2, first)
    assert "Usage: python sum_primes.py [ncpus]" in out
    assert "Starting pp with 2 workers" in out
    primes = primes_below(first + 800)
    inputs = [100] + list(range(first, first + 800, 100))
    expected = [f"Sum of primes below {n} is {sum(p for p in primes if p < n)}"
                for n in inputs]
    assert expected[0] == "Sum of primes below 100 is 1060"
    got = [l for l in out.splitlines() if l.startswith("Sum of primes below ")]
    assert got == expected
    assert re.search(r"^Time elapsed:  [\d.e-]+ s$", out, re.M), out
    assert stats_job_count(out) == 9
    # The separate serial section of the demo.
    serial = out[out.index("--- serial comparison"):]
    assert re.search(r"^Serial time elapsed:  [\d.e-]+ s$", serial, re.M), out
    assert re.search(r"^Speedup: \d+\.\d\dx$", serial, re.M), out


def test_sum_primes_default_size():
    # The original problem size; the lines the original program prints
    # (pp's documented output), checked against the sieve as well.
    documented = [
        "Sum of primes below 100 is 1060",
        "Sum of primes below 100000 is 454396537",
        "Sum of primes below 100100 is 454996777",
        "Sum of primes below 100200 is 455898156",
        "Sum of primes below 100300 is 456700218",
        "Sum of primes below 100400 is 457603451",
        "Sum of primes below 100500 is 458407033",
        "Sum of primes below 100600 is 459412387",
        "Sum of primes below 100700 is 460217613",
    ]
    primes = primes_below(100700)
    for line in documented:
        n, total = map(int, re.match(r"Sum of primes below (\d+) is (\d+)", line).groups())
        assert sum(p for p in primes if p < n) == total
    out = run_example("sum_primes.py", 2)
    assert [l for l in out.splitlines() if l.startswith("Sum of primes below ")] == documented
    assert stats_job_count(out) == 9
    assert "--- serial comparison" in out


def test_reverse_md5():
    out = run_example("reverse_md5.py", 2)
    digest = hashlib.md5(b"1829182").hexdigest()
    assert "Starting pp with 2 workers" in out
    assert f"hash = {digest}" in out.splitlines()
    assert f"Reverse md5 for {digest} is 1829182" in out.splitlines()
    # As in pp, the program stops collecting at the job that found the
    # number (index 117 of 128) and prints the statistics while the later
    # jobs may still run: the table counts finished jobs, the rest are
    # "active tasks".
    count = stats_job_count(out)
    m = re.search(r"^(\d+) active tasks, (\d+) cores$", out, re.M)
    assert m, out
    assert (1829182 - 1) // ((2000000 - 1) // 128 + 1) == 117
    assert 118 <= count <= 128
    assert 0 <= int(m.group(1)) <= 128 - count


def test_dynamic_ncpus():
    end, ncpus = 200000, (1, 2, 1)
    out = run_example("dynamic_ncpus.py", end, ",".join(map(str, ncpus)))
    assert out.startswith("Usage: python dynamic_ncpus.py\n")
    started = [int(n) for n in re.findall(r"^Starting  (\d+)  workers$", out, re.M)]
    assert started == list(ncpus)
    sums = re.findall(r"^Partial sum is (\S+) \| diff = (\S+)$", out, re.M)
    assert len(sums) == len(ncpus)
    expected = alternating_harmonic(end)
    for value, diff in sums:
        value, diff = float(value), float(diff)
        assert abs(value - expected) < 1e-9
        assert abs(diff - (math.log(2) - value)) < 1e-15
        assert abs(value - math.log(2)) < 1e-5
    assert stats_job_count(out) == 64 * len(ncpus)


def test_callback():
    end = 200000
    out = run_example("callback.py", 2, end)
    assert "Starting pp with 2 workers" in out
    m = re.search(r"^Partial sum is (\S+) \| diff = (\S+)$", out, re.M)
    assert m, out
    value = float(m.group(1))
    # Only right if the callback ran once for each of the 128 jobs.
    assert abs(value - alternating_harmonic(end)) < 1e-9
    assert abs(float(m.group(2)) - (math.log(2) - value)) < 1e-15
    assert stats_job_count(out) == 128


def test_auto_diff():
    n = 2000
    out = run_example("auto_diff.py", 2, n)
    assert "Starting pp with 2 workers" in out
    rows = re.findall(r"^t_log\((\S+)\) = (\S+), t_log'\((\S+)\) = (\S+)$", out, re.M)
    assert len(rows) == 32, out
    for i, (x, val, x2, dval) in enumerate(rows):
        xf = float(i) / 32 + 1
        assert float(x) == pytest.approx(xf, abs=1e-6) and x == x2
        h = xf - 1
        # f(x) = sum (-1)^(k+1) h^k / k,  f'(x) = sum (-1)^(k+1) h^(k-1)
        f = math.fsum((1 if k % 2 else -1) * h ** k / k for k in range(1, n))
        df = math.fsum((1 if k % 2 else -1) * h ** (k - 1) for k in range(1, n))
        assert float(val) == pytest.approx(f, abs=2e-6)
        assert float(dval) == pytest.approx(df, abs=2e-6)
        # ... which converge to ln(x) and 1/x.
        assert float(val) == pytest.approx(math.log(xf), abs=2e-6)
        assert float(dval) == pytest.approx(1 / xf, abs=2e-6)
    assert stats_job_count(out) == 32


# --- the C and GJS examples -------------------------------------------------

def check_json_example(out):
    lines = out.splitlines()
    assert re.match(r"^Starting pp-glib with \d+ workers$", lines[0]), out
    for i in range(8):
        assert f"add({i}, {10 * i}) = {11 * i}" in lines, out
    assert 'add("pp", "-glib") = "pp-glib"' in lines, out
    assert 'add(1, "x") raised TypeError' in lines, out
    tb = out[out.index('add(1, "x") raised TypeError'):]
    assert "Traceback" in tb and "TypeError" in tb.split("\n", 1)[1], out
    assert "job count" in out and "job server" in out, out


def test_example_js():
    gjs = shutil.which("gjs")
    if gjs is None:
        pytest.skip("gjs is not installed")
    check_json_example(run([gjs, str(EXAMPLES / "example.js")]))


def test_example_c():
    binary = os.environ.get("PP_EXAMPLE_C")
    if not binary:
        pytest.skip("PP_EXAMPLE_C is not set (meson sets it to the built pp-example-c)")
    check_json_example(run([binary]))
