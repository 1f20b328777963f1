# test_map.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Server.map / imap / imap_unordered: chunks, order, laziness, errors,
memory, on local workers and on a ppd node."""

import itertools
import os
import subprocess
import sys
import textwrap

import pytest

pp = pytest.importorskip("pp")

pytestmark = pytest.mark.usefixtures("subreaper")


def square(x):
    return x * x


def fail_at(x, bad=777):
    if x == bad:
        raise ValueError("bad item %d" % x)
    return x


def slow_square(x):
    import time
    time.sleep(0.002)
    return x * x


@pytest.fixture(scope="module")
def server(subreaper):  # torn down before subreaper waits for children
    srv = pp.Server(2)
    yield srv
    srv.destroy()


def test_map_order(server):
    assert server.map(square, range(10000)) == [x * x for x in range(10000)]
    assert server.map(square, [3, 1, 2], chunksize=1) == [9, 1, 4]
    assert server.map(square, []) == []
    assert list(server.imap(square, iter(range(1000)), chunksize=7)) == [x * x for x in range(1000)]


def test_map_unordered_is_complete(server):
    got = server.map(slow_square, range(300), ordered=False)
    assert sorted(got) == [x * x for x in range(300)]
    got = list(server.imap_unordered(square, (x for x in range(5000)), chunksize=13))
    assert sorted(got) == [x * x for x in range(5000)]


def test_map_modules(server):
    assert server.map(checks_math, range(5), modules=("math",)) == [0, 1, 1, 1, 2]


def checks_math(x):
    return math.isqrt(x)  # noqa: F821 (modules=("math",) imports it)


def test_imap_is_lazy(server):
    pulled = itertools.count()

    def source():
        for x in range(10 ** 9):
            next(pulled)
            yield x
    it = server.imap(square, source(), chunksize=10)
    assert [next(it) for _ in range(5)] == [0, 1, 4, 9, 16]
    # A few chunks per worker are in flight, no more.
    assert next(pulled) < 200
    it.close()


def test_automatic_chunks_grow(server):
    srv = pp.Server(2)
    try:
        assert srv.map(square, range(200000)) == [x * x for x in range(200000)]
        # One job per chunk, far fewer than items; the first ones small.
        njobs = sum(s.njobs for s in srv.get_stats().values())
        assert 8 <= njobs < 2000, njobs
    finally:
        srv.destroy()


def test_exception_raised_at_its_item(server):
    got = []
    with pytest.raises(ValueError, match="bad item 777"):
        for value in server.imap(fail_at, range(5000), chunksize=100):
            got.append(value)
    # Every result before the failing item came first.
    assert got == list(range(777))
    with pytest.raises(ValueError, match="bad item 777"):
        server.map(fail_at, range(5000))
    got = []
    with pytest.raises(ValueError, match="bad item 777"):
        for value in server.imap_unordered(fail_at, range(5000), chunksize=100):
            got.append(value)
    assert set(range(700, 777)) <= set(got)
    # The server is fine afterwards.
    assert server.map(square, range(3)) == [0, 1, 4]


def test_exception_from_the_iterable(server):
    def source():
        yield 1
        yield 2
        raise RuntimeError("the source broke")
    with pytest.raises(RuntimeError, match="the source broke"):
        list(server.imap(square, source(), chunksize=1))


def test_early_stop_cancels_chunks():
    srv = pp.Server(1)
    try:
        it = srv.imap(slow_square, range(100000), chunksize=50)
        assert next(it) == 0
        it.close()
        srv.wait()
        stats = srv.get_stats()["local"]
        # Not the 2000 chunks of the whole range.
        assert stats.njobs < 50, stats.njobs
    finally:
        srv.destroy()


def test_bad_arguments(server):
    with pytest.raises(ValueError):
        server.imap(square, range(3), chunksize=0)
    with pytest.raises(ValueError):
        server.map(square, range(3), chunksize=-1)
    with pytest.raises(ValueError):
        server.map(square, range(3), chunksize=True)
    with pytest.raises(TypeError):
        server.map(42, range(3))
    with pytest.raises(TypeError):
        server.map(square, 42)
    with pytest.raises(TypeError, match="lambda or a nested function"):
        server.map(lambda x: x, [1])

    def nested(x):
        return x
    with pytest.raises(TypeError, match="lambda or a nested function"):
        list(server.imap_unordered(nested, [1]))


RSS_SCRIPT = textwrap.dedent("""
    import sys, pp

    def ident(x):       # defined in __main__: sent as source
        return x

    def rss_kb():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])

    n = int(sys.argv[1])
    srv = pp.Server(2)
    total = 0
    count = 0
    base = None
    for value in srv.imap(ident, (x for x in range(n))):
        total += value
        count += 1
        if count == 200000:
            base = rss_kb()
    peak = rss_kb()
    srv.destroy()
    assert count == n and total == n * (n - 1) // 2, (count, total)
    print(base, peak)
""")


def test_huge_generator_constant_memory(tmp_path):
    script = tmp_path / "rss.py"
    script.write_text(RSS_SCRIPT)
    n = 2000000
    env = dict(os.environ)
    if "ASAN_OPTIONS" in env:
        # Under AddressSanitizer (the library preloaded with it), freed
        # memory waits in a quarantine of 256 MB by default: without one,
        # VmRSS measures what is in use again.
        env["ASAN_OPTIONS"] += ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
    proc = subprocess.run([sys.executable, str(script), str(n)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    base, peak = map(int, proc.stdout.split())
    # A list of 2M results alone would be ~70 MB.
    assert peak - base < 20 * 1024, (base, peak)


def test_on_ppd_node():
    from test_cluster import Node, SECRET
    node = Node(workers=1)
    try:
        srv = pp.Server(0, ppservers=(node.address,), secret=SECRET)
        try:
            assert srv.map(square, range(20000)) == [x * x for x in range(20000)]
            assert sorted(srv.imap_unordered(square, iter(range(500)), chunksize=9)) == \
                [x * x for x in range(500)]
            got = []
            with pytest.raises(ValueError, match="bad item 777"):
                for value in srv.imap(fail_at, range(2000), chunksize=64):
                    got.append(value)
            assert got == list(range(777))
        finally:
            srv.destroy()
    finally:
        node.stop()

