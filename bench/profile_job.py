#!/usr/bin/python3
# profile_job.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Where one tiny job's time goes, end to end (docs/architecture.md,
"The cost of one job").

A burst of N empty jobs f(x) = x on 2 local workers: the CPU time of each
thread and process per job, from /proc/<pid>/task/<tid>/schedstat
(nanoseconds), and the pieces of the client's share timed one by one:

  Python submit     Server.submit() with its call into the library stubbed
  library submit    the rest of the submit loop; and the call into
                    libpp-glib alone (Pp.Server.submit_data)
  I/O thread        pp-server-io: frames out, results in, jobs finished
  runner            each pp-runner.py: read, parse, unpickle, call,
                    pickle, write (and its pieces, timed in this process)
  job()             collecting a finished job's result
  round trip        one job at a time, submit then job(): the latency

Run with Debian's interpreter: /usr/bin/python3 bench/profile_job.py [N]
"""

import json
import json.scanner
import os
import pickle
import statistics
import sys
import time
import timeit
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench as base  # noqa: E402


def identity(x):
    return x


def schedstat_ns(path):
    with open(path) as f:
        return int(f.read().split()[0])


def thread_cpu():
    """{thread name: CPU ns} for this process's threads."""
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open("/proc/self/task/%s/comm" % tid) as f:
                name = f.read().strip()
            ns = schedstat_ns("/proc/self/task/%s/schedstat" % tid)
        except OSError:
            continue
        key = "client main thread" if int(tid) == os.getpid() else name
        out[key] = out.get(key, 0) + ns
    return out


def children_cpu():
    """CPU ns of this process's children (the runners), all threads."""
    total = 0
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
            if int(stat[stat.rindex(")") + 2:].split()[1]) != me:
                continue
            for tid in os.listdir("/proc/%s/task" % entry):
                total += schedstat_ns("/proc/%s/task/%s/schedstat" % (entry, tid))
        except (OSError, ValueError):
            continue
    return total


def runner_pieces(n=200000):
    """The runner's per-job Python work, piece by piece, in µs."""
    scan = json.scanner.make_scanner(json.JSONDecoder())
    header = json.dumps({"t": "job", "id": 123456, "key": "a" * 64, "fmt": "pickle"},
                        separators=(",", ":")).encode()
    body = pickle.dumps((123456,), 5)
    res = b'{"t":"res","id":%d,"ok":true,"fmt":"pickle","time":%.9f}'

    def parse():
        text = header.decode("utf-8")
        return scan(text, 0)
    pieces = {
        "header parse": parse,
        "args unpickle": lambda: pickle.loads(body),
        "call f(x)": lambda: identity(*(1,)),
        "result pickle": lambda: pickle.dumps(123456, 5),
        "res header": lambda: res % (123456, 1e-6),
    }
    return {k: timeit.timeit(fn, number=n) / n * 1e6 for k, fn in pieces.items()}


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50000
    base.ensure_environment(base.REPO / "_build")
    pp = base.import_pp()
    from pp import _server
    server = pp.Server(2)
    try:
        [j() for j in [server.submit(identity, (i,)) for i in range(1000)]]
        rows = []
        c0, k0 = thread_cpu(), children_cpu()
        t0 = time.perf_counter()
        jobs = [server.submit(identity, (i,)) for i in range(n)]
        t1 = time.perf_counter()
        server.wait()
        t2 = time.perf_counter()
        results = [j() for j in jobs]
        t3 = time.perf_counter()
        c1, k1 = thread_cpu(), children_cpu()
        base.check(results == list(range(n)), "pp-glib")
        del jobs, results

        # The call into the library alone, with the same function and data.
        function, _ = next(iter(server._functions.values()))
        data = [pickle.dumps((i,), _server._PROTOCOL) for i in range(n)]
        submit_data = server._submit_data
        t4 = time.perf_counter()
        raw = [submit_data(function, d, _server._PICKLE, "default") for d in data]
        t5 = time.perf_counter()
        server.wait()
        del raw

        # Server.submit's own Python work: the library call stubbed out.
        saved = server._submit_data
        server._submit_data = lambda *args: None
        t6 = time.perf_counter()
        for i in range(n):
            server.submit(identity, (i,))
        t7 = time.perf_counter()
        server._submit_data = saved

        samples = []
        for i in range(2000):
            s = time.perf_counter_ns()
            server.submit(identity, (i,))()
            samples.append(time.perf_counter_ns() - s)
    finally:
        server.destroy()

    per = lambda seconds: seconds / n * 1e6
    submit_us = per(t1 - t0)
    library_us = per(t5 - t4)
    python_us = per(t7 - t6)
    rows.append(("Python submit (the library call stubbed out)", python_us))
    rows.append(("library submit in the burst (submit loop minus the above)", submit_us - python_us))
    rows.append(("library submit alone (Pp.Server.submit_data, workers busy)", library_us))
    for name, ns in sorted(c1.items()):
        d = ns - c0.get(name, 0)
        if d > 0 and name != "client main thread":
            rows.append(("CPU of thread %s" % name, d / n / 1000.0))
    rows.append(("CPU of the 2 runners, per job", (k1 - k0) / n / 1000.0))
    for name, us in runner_pieces().items():
        rows.append(("  runner piece: %s" % name, us))
    rows.append(("job() of a finished job", per(t3 - t2)))
    rows.append(("client main thread CPU, all of the above", (c1["client main thread"]
                                                              - c0["client main thread"]) / n / 1000.0))
    rows.append(("wall time per job in the burst", per(t3 - t0)))
    rows.append(("round trip of one job alone, median", statistics.median(samples) / 1000.0))
    width = max(len(r[0]) for r in rows)
    print("one empty job, %d-job burst on 2 workers, load average %s" %
          (n, " ".join("%.2f" % x for x in os.getloadavg())))
    for name, us in rows:
        print("%s  %7.2f us" % (name.ljust(width), us))
    return 0


if __name__ == "__main__":
    sys.exit(main())
