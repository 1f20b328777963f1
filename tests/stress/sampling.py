# tests/stress/sampling.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the stress scripts read about processes, and how they judge a trend.

- rss_mb(pid), threads(pid): from /proc/PID/status;
- fd_count(pid): the entries of /proc/PID/fd;
- children(pid): the direct children, from /proc/PID/task/*/children;
- tree_rss_mb(pid): the RSS sum of a process's children (ppd's workers,
  the client's local workers);
- slope(xs, ys): the least-squares slope of ys over xs;
- sanitized(pid): whether pid runs with AddressSanitizer (its quarantine
  holds freed memory: RSS grows by design, so no RSS promise holds there);
- Sampler: a daemon thread calling a function every few seconds;
- print_verdicts(verdicts, failures), result(failures): a script's
  verdicts and its last line, `RESULT: ok` or `RESULT: FAIL ...`.

A process that has gone reads as NaN (RSS) or -1 (counts): a sample never
raises because a process ended between two reads.
"""

import math
import os
import threading
import time

__all__ = ["rss_mb", "threads", "fd_count", "children", "tree_rss_mb", "slope",
           "sanitized", "Sampler", "print_verdicts", "result"]


def _status_field(pid, field):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def rss_mb(pid):
    """Resident memory of pid (VmRSS) in MB, NaN when it is gone."""
    kb = _status_field(pid, "VmRSS:")
    return kb / 1024 if kb is not None else float("nan")


def threads(pid):
    """Threads of pid, -1 when it is gone."""
    count = _status_field(pid, "Threads:")
    return count if count is not None else -1


def fd_count(pid):
    """Open file descriptors of pid, -1 when it is gone (or unreadable)."""
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return -1


def children(pid):
    """The pids of pid's direct children (of all its threads)."""
    found = []
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return found
    for tid in tasks:
        try:
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                found.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            pass
    return found


def tree_rss_mb(pid):
    """The RSS sum, in MB, of pid's direct children (0 without any)."""
    values = [rss_mb(child) for child in children(pid)]
    return sum(v for v in values if not math.isnan(v))


def slope(xs, ys):
    """The least-squares slope of ys over xs (NaN with fewer than 2 distinct
    xs); NaN values of ys are left out with their xs."""
    pairs = [(x, y) for x, y in zip(xs, ys) if not math.isnan(y)]
    n = len(pairs)
    if n < 2:
        return float("nan")
    mx = sum(x for x, _ in pairs) / n
    my = sum(y for _, y in pairs) / n
    sxx = sum((x - mx) ** 2 for x, _ in pairs)
    if sxx == 0:
        return float("nan")
    return sum((x - mx) * (y - my) for x, y in pairs) / sxx


def sanitized(pid):
    """Whether AddressSanitizer's runtime is mapped in pid."""
    try:
        with open("/proc/%d/maps" % pid) as f:
            return any("libasan" in line or "libclang_rt.asan" in line for line in f)
    except OSError:
        return False


class Sampler:
    """Calls probe() at once and then every interval seconds in a daemon
    thread, appending what it returns to .samples, until stop(). A probe
    that raises stops the sampling and is re-raised by stop()."""

    def __init__(self, probe, interval):
        self.probe = probe
        self.interval = interval
        self.samples = []
        self.error = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        next_time = time.monotonic()
        while not self._stop.is_set():
            try:
                self.samples.append(self.probe())
            except BaseException as exc:  # noqa: B036 (re-raised by stop)
                self.error = exc
                return
            next_time += self.interval
            self._stop.wait(max(0.0, next_time - time.monotonic()))

    def stop(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        if self.error is not None:
            raise self.error


def print_verdicts(verdicts, failures):
    """Prints each (line, ok) of verdicts as `ok  line` or `FAIL line`
    (after a blank line); the lines of those that failed go to failures."""
    print()
    for line, ok in verdicts:
        print("%s %s" % ("ok  " if ok else "FAIL", line))
        if not ok:
            failures.append(line)


def result(failures):
    """Prints the run's last line, `RESULT: ok` or `RESULT: FAIL` and the
    failures; the exit status (0 or 1)."""
    if failures:
        print("RESULT: FAIL " + "; ".join(failures))
        return 1
    print("RESULT: ok")
    return 0
